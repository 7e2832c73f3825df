//! The storefront's words.

use crate::i18n::Lang;

pub struct Texts {
    pub title: &'static str,
    pub intro: &'static str,
    pub all: &'static str,
    pub search_label: &'static str,
    pub search_button: &'static str,
    pub nothing_found: &'static str,
    pub from: &'static str,
    pub bundle: &'static str,
    pub per_month: &'static str,
    pub per_year: &'static str,
    pub incl_vat: &'static str,
    pub tier_label: &'static str,
    pub addons_label: &'static str,
    pub speed_label: &'static str,
    pub quantity_label: &'static str,
    pub handle_label: &'static str,
    pub handle_hint: &'static str,
    pub post_label: &'static str,
    pub post_hint: &'static str,
    pub total: &'static str,
    pub contains: &'static str,
    pub no_price: &'static str,
    pub add_to_cart: &'static str,
    pub added: &'static str,
    pub preview_banner: &'static str,
    pub handle_professional: &'static str,
    pub handle_not_professional: &'static str,
    pub handle_not_checked: &'static str,
    pub handle_format_only: &'static str,
    pub followers: &'static str,
    pub go_to_cart: &'static str,
}

const DE: Texts = Texts {
    title: "Leistungen",
    intro: "Wachstum für Ihr Instagram-Profil: wählen Sie eine Leistung, konfigurieren Sie sie und sehen Sie sofort den Preis.",
    all: "Alle",
    search_label: "Suchen",
    search_button: "Suchen",
    nothing_found: "Dazu haben wir nichts gefunden.",
    from: "ab",
    bundle: "Paket",
    per_month: "/ Monat",
    per_year: "/ Jahr",
    incl_vat: "inkl. MwSt.",
    tier_label: "Menge",
    addons_label: "Extras",
    speed_label: "Lieferung",
    quantity_label: "Anzahl",
    handle_label: "Instagram-Profil",
    handle_hint: "Ihr Profilname, z. B. @growthdesk – kein Passwort nötig.",
    post_label: "Beitrag oder Reel",
    post_hint: "Der Link, z. B. https://www.instagram.com/p/…",
    total: "Preis",
    contains: "Enthalten",
    no_price: "Diese Auswahl ist nicht möglich.",
    add_to_cart: "In den Warenkorb",
    added: "Im Warenkorb.",
    preview_banner: "Vorschau: Dieses Produkt ist nicht veröffentlicht. Nur Admins sehen diese Seite.",
    handle_professional: "öffentliches Business- oder Creator-Konto gefunden.",
    handle_not_professional: "dazu finden wir kein öffentliches Business- oder Creator-Konto. Bitte prüfen Sie die Schreibweise, oder stellen Sie das Konto in Instagram auf „Professionell“ und „Öffentlich“ – sonst können wir nicht liefern.",
    handle_not_checked: "das Konto ließ sich gerade nicht nachschlagen. Sie können trotzdem fortfahren; wir prüfen es vor dem Start.",
    handle_format_only: "Schreibweise geprüft. (Lokale Installation ohne Instagram-App: das Konto selbst wird nicht nachgeschlagen.)",
    followers: "Follower",
    go_to_cart: "Zum Warenkorb",
};

const EN: Texts = Texts {
    title: "Services",
    intro: "Growth for your Instagram profile: choose a service, configure it and see the price at once.",
    all: "All",
    search_label: "Search",
    search_button: "Search",
    nothing_found: "We found nothing for that.",
    from: "from",
    bundle: "Bundle",
    per_month: "/ month",
    per_year: "/ year",
    incl_vat: "incl. VAT",
    tier_label: "Amount",
    addons_label: "Extras",
    speed_label: "Delivery",
    quantity_label: "Quantity",
    handle_label: "Instagram profile",
    handle_hint: "Your profile name, e.g. @growthdesk: no password needed.",
    post_label: "Post or reel",
    post_hint: "Its link, e.g. https://www.instagram.com/p/…",
    total: "Price",
    contains: "Included",
    no_price: "This choice is not possible.",
    add_to_cart: "Add to cart",
    added: "Added to your cart.",
    preview_banner: "Preview: this product is not published. Only admins see this page.",
    handle_professional: "public business or creator account found.",
    handle_not_professional: "we find no public business or creator account of that name. Please check the spelling, or switch the account to \"professional\" and \"public\" in Instagram: we cannot deliver otherwise.",
    handle_not_checked: "the account could not be looked up just now. You may go on; we check it before we start.",
    handle_format_only: "Spelling checked. (Local installation without an Instagram app: the account itself is not looked up.)",
    followers: "followers",
    go_to_cart: "Go to the cart",
};

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

/// An amount as people write it: `10.000` (German), `10,000` (English).
pub fn amount(lang: Lang, n: u32) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::De => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A price in the page's language.
pub fn money(lang: Lang, cents: gd_pricing::Cents) -> String {
    match lang {
        Lang::De => cents.de(),
        Lang::En => cents.en(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped() {
        assert_eq!(amount(Lang::De, 10_000), "10.000");
        assert_eq!(amount(Lang::En, 1_000_000), "1,000,000");
        assert_eq!(amount(Lang::De, 500), "500");
    }
}
