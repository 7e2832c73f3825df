//! German and English texts. German is the agency's language and the default at `/`; English
//! lives under `/en`. Every text is a field of [`Texts`], so a missing translation does not
//! compile.

use crate::error::{FieldIssue, IssueCode};
use leptos::prelude::GetUntracked;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// The language of the page being shown (read once, when a view is made).
    pub fn here() -> Self {
        Self::of_path(
            &leptos_router::hooks::use_location()
                .pathname
                .get_untracked(),
        )
    }

    /// The language of a path: everything under `/en` is English.
    pub fn of_path(path: &str) -> Self {
        if path == "/en" || path.starts_with("/en/") {
            Lang::En
        } else {
            Lang::De
        }
    }

    /// `path` (starting with `/`) in this language.
    pub fn path(self, path: &str) -> String {
        match self {
            Lang::De => path.to_owned(),
            Lang::En => format!("/en{path}"),
        }
    }

    pub fn from_code(code: &str) -> Self {
        if code.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::De
        }
    }

    /// The landing page in this language.
    pub fn home(self) -> &'static str {
        match self {
            Lang::De => "/",
            Lang::En => "/en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::De => Lang::En,
            Lang::En => Lang::De,
        }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::De => &DE,
            Lang::En => &EN,
        }
    }

    /// The words for a field problem.
    pub fn issue(self, issue: &FieldIssue) -> String {
        let max = issue.max.unwrap_or_default();
        match (self, issue.code) {
            (Lang::De, IssueCode::Required) => "Bitte ausfüllen.".into(),
            (Lang::En, IssueCode::Required) => "Please fill this in.".into(),
            (Lang::De, IssueCode::TooLong) => format!("Höchstens {max} Zeichen."),
            (Lang::En, IssueCode::TooLong) => format!("At most {max} characters."),
            (Lang::De, IssueCode::InvalidEmail) => {
                "Bitte eine gültige E-Mail-Adresse angeben, z. B. name@firma.de.".into()
            }
            (Lang::En, IssueCode::InvalidEmail) => {
                "Please enter a valid email address, e.g. name@company.com.".into()
            }
            (Lang::De, IssueCode::InvalidHandle) => {
                "Instagram-Namen bestehen aus Buchstaben, Ziffern, Punkt und Unterstrich (max. 30)."
                    .into()
            }
            (Lang::En, IssueCode::InvalidHandle) => {
                "Instagram usernames use letters, digits, dots and underscores (max. 30).".into()
            }
            (Lang::De, IssueCode::ConsentMissing) => {
                "Bitte stimmen Sie der Verarbeitung Ihrer Angaben zu, damit wir antworten können."
                    .into()
            }
            (Lang::En, IssueCode::ConsentMissing) => {
                "Please agree to us processing your details so we can reply.".into()
            }
            (Lang::De, IssueCode::TooShort) => {
                format!("Mindestens {max} Zeichen.")
            }
            (Lang::En, IssueCode::TooShort) => {
                format!("At least {max} characters.")
            }
            (Lang::De, IssueCode::TooCommon) => {
                "Dieses Passwort ist zu leicht zu erraten. Ein paar zufällige Wörter sind besser."
                    .into()
            }
            (Lang::De, IssueCode::WrongPassword) => "Das aktuelle Passwort stimmt nicht.".into(),
            (Lang::En, IssueCode::WrongPassword) => "The current password is wrong.".into(),
            (Lang::De, IssueCode::WrongCode) => {
                "Der Code stimmt nicht oder wurde schon benutzt.".into()
            }
            (Lang::En, IssueCode::WrongCode) => "The code is wrong or was used already.".into(),
            (Lang::De, IssueCode::InvalidPost) => {
                "Bitte den Link zu einem Beitrag oder Reel angeben (instagram.com/p/… oder /reel/…)."
                    .into()
            }
            (Lang::En, IssueCode::InvalidPost) => {
                "Please give the link to a post or reel (instagram.com/p/… or /reel/…).".into()
            }
            (Lang::De, IssueCode::OutOfRange) => "Bitte eine Anzahl von 1 bis 100.".into(),
            (Lang::En, IssueCode::OutOfRange) => "Please choose a quantity from 1 to 100.".into(),
            (Lang::De, IssueCode::NotOffered) => {
                "Diese Auswahl gibt es nicht (mehr). Bitte die Seite neu laden.".into()
            }
            (Lang::En, IssueCode::NotOffered) => {
                "This choice is not (or no longer) offered. Please reload the page.".into()
            }
            (Lang::De, IssueCode::InvalidSlug) => {
                "Nur Kleinbuchstaben und Ziffern, Wörter mit einem Bindestrich verbunden.".into()
            }
            (Lang::En, IssueCode::InvalidSlug) => {
                "Lower-case letters and digits only, words joined by one dash.".into()
            }
            (Lang::En, IssueCode::TooCommon) => {
                "This password is too easy to guess. A few random words work better.".into()
            }
            (Lang::De, IssueCode::BadLine) => {
                format!("Zeile {max} passt nicht zum Format (siehe Hinweis).")
            }
            (Lang::En, IssueCode::BadLine) => {
                format!("Line {max} does not match the format (see the hint).")
            }
            (Lang::De, IssueCode::InvalidOffer) => {
                "Mindestens eine Stufe; jeder Schlüssel nur einmal; Preise zwischen 0 und 1 Mio. €."
                    .into()
            }
            (Lang::En, IssueCode::InvalidOffer) => {
                "At least one tier; each key once; prices between 0 and €1 million.".into()
            }
            (Lang::De, IssueCode::NotAnImage) => {
                "Das ist kein Bild im Format JPEG, PNG oder WebP.".into()
            }
            (Lang::En, IssueCode::NotAnImage) => "This is not a JPEG, PNG or WebP image.".into(),
            (Lang::De, IssueCode::FileTooLarge) => format!("Höchstens {max} MB."),
            (Lang::En, IssueCode::FileTooLarge) => format!("At most {max} MB."),
            (Lang::De, IssueCode::ImageTooSmall) => {
                format!("Das Bild ist zu klein: mindestens {max} × {max} Pixel.")
            }
            (Lang::En, IssueCode::ImageTooSmall) => {
                format!("The image is too small: at least {max} × {max} pixels.")
            }
            (Lang::De, IssueCode::ImageTooBig) => {
                format!("Das Bild ist zu groß: höchstens {max} Megapixel.")
            }
            (Lang::En, IssueCode::ImageTooBig) => {
                format!("The image is too large: at most {max} megapixels.")
            }
            (Lang::De, IssueCode::InvalidNumber) => "Bitte eine gültige Zahl angeben.".into(),
            (Lang::En, IssueCode::InvalidNumber) => "Please give a valid number.".into(),
            (Lang::De, IssueCode::TooMany) => format!("Höchstens {max}."),
            (Lang::En, IssueCode::TooMany) => format!("At most {max}."),
            (Lang::De, IssueCode::InUse) => {
                "Ein Paket verwendet das noch. Passen Sie zuerst das Paket an.".into()
            }
            (Lang::En, IssueCode::InUse) => {
                "A bundle still uses this. Change the bundle first.".into()
            }
            (Lang::De, IssueCode::Unavailable) => {
                "Das hat gerade nicht geklappt. Bitte versuchen Sie es gleich noch einmal.".into()
            }
            (Lang::En, IssueCode::Unavailable) => {
                "That did not work just now. Please try again in a moment.".into()
            }
            (Lang::De, IssueCode::InvalidVatId) => {
                "Keine gültige USt-IdNr. eines EU-Staats (z. B. DE123456789).".into()
            }
            (Lang::En, IssueCode::InvalidVatId) => {
                "Not a valid EU VAT number (e.g. DE123456789).".into()
            }
            (Lang::De, IssueCode::VatCountry) => {
                "Die USt-IdNr. gehört zu einem anderen Land als die Rechnungsadresse.".into()
            }
            (Lang::En, IssueCode::VatCountry) => {
                "The VAT number belongs to another country than the billing address.".into()
            }
            (Lang::De, IssueCode::NotAProof) => {
                "Bitte ein Bild (JPEG, PNG, WebP) oder ein PDF anhängen.".into()
            }
            (Lang::En, IssueCode::NotAProof) => {
                "Please attach an image (JPEG, PNG, WebP) or a PDF.".into()
            }
            (Lang::De, IssueCode::VatIdNotRegistered) => {
                "Das EU-Register (VIES) kennt diese USt-IdNr. nicht. Bitte prüfen Sie sie, oder lassen Sie das Feld leer: dann berechnen wir 19 % USt.".into()
            }
            (Lang::En, IssueCode::VatIdNotRegistered) => {
                "The EU register (VIES) does not know this VAT number. Please check it, or leave the field empty to pay with 19 % German VAT.".into()
            }
            (Lang::De, IssueCode::VatRegisterUnavailable) => {
                "Das EU-Register (VIES) konnte die USt-IdNr. gerade nicht bestätigen. Bitte versuchen Sie es in ein paar Minuten noch einmal, oder lassen Sie das Feld leer: dann berechnen wir 19 % USt.".into()
            }
            (Lang::En, IssueCode::VatRegisterUnavailable) => {
                "The EU register (VIES) could not confirm the VAT number just now. Please try again in a few minutes, or leave the field empty to pay with 19 % German VAT.".into()
            }
        }
    }
}

pub struct Texts {
    pub lang_name: &'static str,
    pub switch_label: &'static str,
    pub nav_services: &'static str,
    pub nav_cart: &'static str,
    pub legal_label: &'static str,
    pub legal_imprint: &'static str,
    pub legal_privacy: &'static str,
    pub legal_terms: &'static str,
    pub legal_withdrawal: &'static str,
    pub nav_process: &'static str,
    pub nav_contact: &'static str,
    pub nav_account: &'static str,
    pub nav_portal: &'static str,
    pub nav_login: &'static str,
    pub nav_admin: &'static str,
    pub nav_finance: &'static str,
    pub menu: &'static str,
    pub field_name: &'static str,
    pub field_email: &'static str,
    pub field_instagram: &'static str,
    pub field_instagram_hint: &'static str,
    pub field_message: &'static str,
    pub field_consent: &'static str,
    pub submit: &'static str,
    pub sending: &'static str,
    pub sent_title: &'static str,
    pub sent_text: &'static str,
    pub form_has_errors: &'static str,
    pub error_generic: &'static str,
    pub chars: &'static str,
    pub footer: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub back_home: &'static str,
}

static DE: Texts = Texts {
    lang_name: "Deutsch",
    switch_label: "English",
    nav_services: "Leistungen",
    nav_cart: "Warenkorb",
    legal_label: "Rechtliches",
    legal_imprint: "Impressum",
    legal_privacy: "Datenschutz",
    legal_terms: "AGB",
    legal_withdrawal: "Widerrufsbelehrung",
    nav_process: "Ablauf",
    nav_contact: "Kontakt",
    nav_account: "Konto",
    nav_portal: "Kundenportal",
    nav_login: "Anmelden",
    nav_admin: "Verwaltung",
    nav_finance: "Finanzen",
    menu: "Menü",
    field_name: "Name",
    field_email: "E-Mail",
    field_instagram: "Instagram-Name (optional)",
    field_instagram_hint: "z. B. @ihrefirma",
    field_message: "Nachricht",
    field_consent: "Ich bin einverstanden, dass Growthdesk meine Angaben zur Beantwortung meiner Anfrage speichert und verarbeitet.",
    submit: "Nachricht senden",
    sending: "Wird gesendet …",
    sent_title: "Vielen Dank!",
    sent_text: "Ihre Nachricht ist angekommen. Eine Bestätigung ist unterwegs in Ihr Postfach.",
    form_has_errors: "Bitte prüfen Sie die markierten Felder.",
    error_generic: "Das hat leider nicht geklappt. Bitte versuchen Sie es gleich noch einmal.",
    chars: "Zeichen",
    footer: "Growthdesk – Social-Media-Marketing aus Deutschland",
    not_found_title: "Seite nicht gefunden",
    not_found_text: "Diese Seite gibt es nicht (mehr).",
    back_home: "Zur Startseite",
};

static EN: Texts = Texts {
    lang_name: "English",
    switch_label: "Deutsch",
    nav_services: "Services",
    nav_cart: "Cart",
    legal_label: "Legal",
    legal_imprint: "Legal notice",
    legal_privacy: "Privacy",
    legal_terms: "Terms",
    legal_withdrawal: "Withdrawal",
    nav_process: "How it works",
    nav_contact: "Contact",
    nav_account: "Account",
    nav_portal: "Portal",
    nav_login: "Sign in",
    nav_admin: "Admin",
    nav_finance: "Finance",
    menu: "Menu",
    field_name: "Name",
    field_email: "Email",
    field_instagram: "Instagram username (optional)",
    field_instagram_hint: "e.g. @yourcompany",
    field_message: "Message",
    field_consent: "I agree that Growthdesk stores and processes my details to answer my enquiry.",
    submit: "Send message",
    sending: "Sending …",
    sent_title: "Thank you!",
    sent_text: "Your message has arrived. A confirmation is on its way to your inbox.",
    form_has_errors: "Please check the marked fields.",
    error_generic: "Sorry, that did not work. Please try again in a moment.",
    chars: "characters",
    footer: "Growthdesk – social media marketing from Germany",
    not_found_title: "Page not found",
    not_found_text: "This page does not exist (any more).",
    back_home: "Back to the home page",
};
