//! The printable invoice: an A4 PDF/A-3b with its fonts embedded (Liberation Sans, subset),
//! written with `krilla`. For a business buyer it is a Factur-X e-invoice: the EN 16931 XML
//! ([`crate::cii`]) is attached as `factur-x.xml` (AFRelationship "Alternative") and the XMP
//! metadata names it (krilla 0.8 cannot write custom XMP yet: the Factur-X schema is added
//! to its XMP stream afterwards with `lopdf`).
//!
//! Layout first (pages of drawing operations), drawing second, so that long invoices break
//! onto further pages with the table's header repeated. Rendering is deterministic: the same
//! invoice gives the same bytes.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use gd_pricing::Treatment;
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use crate::document::{Invoice, Kind};
use crate::{cii, InvoiceError};

static REGULAR_TTF: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 56.7;
const RIGHT: f32 = PAGE_W - 56.7;
/// Where the table may run to before the footer.
const BOTTOM: f32 = PAGE_H - 110.0;

/// The Factur-X XMP namespace and the level our XML conforms to.
const FX_NS: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";
const FX_LEVEL: &str = "EN 16931";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

const BLACK: (u8, u8, u8) = (17, 24, 39);
const GREY: (u8, u8, u8) = (90, 98, 112);
const RED: (u8, u8, u8) = (160, 30, 30);

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        color: (u8, u8, u8),
        text: String,
    },
    Rule {
        y: f32,
        width: f32,
    },
    Shade {
        y: f32,
        height: f32,
    },
    Logo {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: rustybuzz::Face<'static>,
    bold_face: rustybuzz::Face<'static>,
}

fn fonts() -> Result<&'static Fonts, InvoiceError> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            Some(Fonts {
                regular: Font::new(REGULAR_TTF.into(), 0)?,
                bold: Font::new(BOLD_TTF.into(), 0)?,
                regular_face: rustybuzz::Face::from_slice(REGULAR_TTF, 0)?,
                bold_face: rustybuzz::Face::from_slice(BOLD_TTF, 0)?,
            })
        })
        .as_ref()
        .ok_or_else(|| InvoiceError::Render("the embedded fonts cannot be read".into()))
}

/// The width of `text` in points, shaped as krilla shapes it.
fn width(fonts: &Fonts, weight: Weight, size: f32, text: &str) -> f32 {
    let face = match weight {
        Weight::Regular => &fonts.regular_face,
        Weight::Bold => &fonts.bold_face,
    };
    let mut buf = rustybuzz::UnicodeBuffer::new();
    buf.push_str(text);
    buf.guess_segment_properties();
    let shaped = rustybuzz::shape(face, &[], buf);
    let advance: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
    advance as f32 * size / face.units_per_em().max(1) as f32
}

/// Splits `text` into lines no wider than `max` (at spaces; a word longer than a line is cut).
fn wrap(fonts: &Fonts, weight: Weight, size: f32, text: &str, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(fonts, weight, size, &candidate) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A single word wider than the line: cut it where it overflows.
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if width(fonts, weight, size, &piece) > max && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        line = piece;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// German or English words of the document.
struct Words {
    de: bool,
}

impl Words {
    fn t(&self, de: &'static str, en: &'static str) -> &'static str {
        if self.de {
            de
        } else {
            en
        }
    }

    fn money(&self, cents: i64) -> String {
        let c = gd_pricing::Cents(cents);
        if self.de {
            c.de()
        } else {
            c.en()
        }
    }

    fn date(&self, d: NaiveDate) -> String {
        if self.de {
            d.format("%d.%m.%Y").to_string()
        } else {
            d.format("%-d %B %Y").to_string()
        }
    }

    fn country(&self, code: &str) -> String {
        gd_common::COUNTRY_NAMES
            .iter()
            .find(|c| c.0 == code)
            .map(|c| if self.de { c.1 } else { c.2 })
            .unwrap_or(code)
            .to_owned()
    }
}

/// Pages of operations.
struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: 0.0,
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn text_at(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        color: (u8, u8, u8),
        align: Align,
        text: &str,
    ) {
        let x = match align {
            Align::Left => x,
            Align::Right => x - width(self.fonts, weight, size, text),
        };
        self.push(Op::Text {
            x,
            y,
            size,
            weight,
            color,
            text: text.to_owned(),
        });
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = 70.0;
    }
}

/// Table columns: position, description, quantity, unit price, VAT, amount (right edges for
/// the numbers).
const COL_POS: f32 = LEFT;
const COL_DESC: f32 = LEFT + 26.0;
const COL_DESC_W: f32 = 215.0;
const COL_QTY_R: f32 = 340.0;
const COL_UNIT_R: f32 = 418.0;
const COL_VAT_R: f32 = 462.0;
const COL_AMOUNT_R: f32 = RIGHT;

fn table_header(l: &mut Layout<'_>, w: &Words) {
    let y = l.y;
    l.push(Op::Shade {
        y: y - 11.0,
        height: 16.0,
    });
    let size = 8.5;
    l.text_at(
        COL_POS + 2.0,
        y,
        size,
        Weight::Bold,
        BLACK,
        Align::Left,
        w.t("Pos.", "No."),
    );
    l.text_at(
        COL_DESC,
        y,
        size,
        Weight::Bold,
        BLACK,
        Align::Left,
        w.t("Leistung", "Service"),
    );
    l.text_at(
        COL_QTY_R,
        y,
        size,
        Weight::Bold,
        BLACK,
        Align::Right,
        w.t("Menge", "Qty"),
    );
    l.text_at(
        COL_UNIT_R,
        y,
        size,
        Weight::Bold,
        BLACK,
        Align::Right,
        w.t("Einzelpreis netto", "Unit price net"),
    );
    l.text_at(
        COL_VAT_R,
        y,
        size,
        Weight::Bold,
        BLACK,
        Align::Right,
        w.t("USt", "VAT"),
    );
    l.text_at(
        COL_AMOUNT_R - 2.0,
        y,
        size,
        Weight::Bold,
        BLACK,
        Align::Right,
        w.t("Betrag netto", "Amount net"),
    );
    l.y += 18.0;
}

fn lay_out(inv: &Invoice, fonts: &Fonts, logo: bool) -> Vec<Vec<Op>> {
    let w = Words {
        de: inv.is_german(),
    };
    let mut l = Layout::new(fonts);
    let seller = &inv.seller;

    // Letterhead: the logo, or the agency's name in type.
    if logo {
        l.push(Op::Logo {
            x: RIGHT - 150.0,
            y: 40.0,
            w: 150.0,
            h: 50.0,
        });
    } else {
        l.text_at(
            RIGHT,
            62.0,
            16.0,
            Weight::Bold,
            BLACK,
            Align::Right,
            &seller.party.name,
        );
    }
    // The sender line above the address (DIN 5008 window).
    let sender = format!(
        "{} · {} · {} {}",
        seller.party.name, seller.party.street, seller.party.postal_code, seller.party.city
    );
    l.text_at(
        LEFT,
        128.0,
        7.0,
        Weight::Regular,
        GREY,
        Align::Left,
        &sender,
    );
    // The buyer.
    let b = &inv.buyer;
    let mut address: Vec<String> = Vec::new();
    if let Some(company) = &b.company {
        address.push(company.clone());
    }
    address.push(b.name.clone());
    address.push(b.street.clone());
    address.push(format!("{} {}", b.postal_code, b.city));
    if b.country != seller.party.country {
        address.push(w.country(&b.country));
    }
    let mut y = 146.0;
    for line in &address {
        l.text_at(LEFT, y, 10.0, Weight::Regular, BLACK, Align::Left, line);
        y += 13.0;
    }
    if let Some(vat) = &b.vat_id {
        l.text_at(
            LEFT,
            y + 4.0,
            8.5,
            Weight::Regular,
            GREY,
            Align::Left,
            &format!("{} {vat}", w.t("USt-IdNr.", "VAT ID")),
        );
    }

    // The facts on the right.
    let (number_label, date_label) = match inv.kind {
        Kind::Invoice => (
            w.t("Rechnungsnummer", "Invoice number"),
            w.t("Rechnungsdatum", "Invoice date"),
        ),
        Kind::CreditNote => (
            w.t("Korrekturnummer", "Credit note number"),
            w.t("Datum", "Date"),
        ),
    };
    let supply = if inv.supplied_to > inv.supplied_from {
        (
            w.t("Leistungszeitraum", "Period of service"),
            format!(
                "{} – {}",
                w.date(inv.supplied_from),
                w.date(inv.supplied_to)
            ),
        )
    } else {
        (
            w.t("Leistungsdatum", "Date of service"),
            w.date(inv.supplied_from),
        )
    };
    let mut facts: Vec<(&str, String)> = vec![
        (number_label, inv.number.clone()),
        (date_label, w.date(inv.issued_on)),
        (supply.0, supply.1),
        (w.t("Bestellung", "Order"), inv.order_number.to_string()),
    ];
    if let Some(c) = &inv.corrects {
        facts.push((w.t("Zu Rechnung", "Corrects invoice"), c.number.clone()));
    }
    let mut fy = 146.0;
    for (label, value) in &facts {
        l.text_at(360.0, fy, 8.5, Weight::Regular, GREY, Align::Left, label);
        l.text_at(RIGHT, fy, 9.0, Weight::Regular, BLACK, Align::Right, value);
        fy += 13.0;
    }

    // The title.
    l.y = 270.0;
    let title = match inv.kind {
        Kind::Invoice => format!("{} {}", w.t("Rechnung", "Invoice"), inv.number),
        Kind::CreditNote => format!(
            "{} {}",
            w.t("Rechnungskorrektur", "Credit note"),
            inv.number
        ),
    };
    l.text_at(LEFT, l.y, 16.0, Weight::Bold, BLACK, Align::Left, &title);
    l.y += 20.0;
    // A local installation says what is not real: the payment, the issuer, or both.
    let warnings = [
        (
            inv.test_payment,
            w.t(
                "TESTZAHLUNG – kein Geld geflossen (lokales Test-Gateway)",
                "TEST PAYMENT – no money moved (local test gateway)",
            ),
        ),
        (
            seller.demo,
            w.t(
                "DEMO-AGENTUR – kein echter Rechnungssteller",
                "DEMO AGENCY – not a real issuer",
            ),
        ),
    ];
    for (_, warning) in warnings.iter().filter(|(shown, _)| *shown) {
        l.text_at(LEFT, l.y, 9.0, Weight::Bold, RED, Align::Left, warning);
        l.y += 14.0;
    }
    if inv.test_payment || seller.demo {
        l.y += 2.0;
    }
    let intro = match (&inv.corrects, inv.kind) {
        (Some(c), _) => {
            if w.de {
                format!(
                    "Wir korrigieren unsere Rechnung {} vom {} und erstatten den folgenden Betrag.",
                    c.number,
                    w.date(c.issued_on)
                )
            } else {
                format!(
                    "We correct our invoice {} of {} and refund the following amount.",
                    c.number,
                    w.date(c.issued_on)
                )
            }
        }
        (None, _) => w
            .t(
                "Vielen Dank für Ihren Auftrag. Wir berechnen Ihnen die folgenden Leistungen.",
                "Thank you for your order. We invoice the following services.",
            )
            .to_owned(),
    };
    for line in wrap(fonts, Weight::Regular, 9.5, &intro, RIGHT - LEFT) {
        l.text_at(LEFT, l.y, 9.5, Weight::Regular, BLACK, Align::Left, &line);
        l.y += 13.0;
    }
    l.y += 10.0;

    // The lines.
    table_header(&mut l, &w);
    for line in &inv.lines {
        let name = wrap(fonts, Weight::Bold, 9.0, &line.name, COL_DESC_W);
        let details = wrap(fonts, Weight::Regular, 8.0, &line.details, COL_DESC_W);
        let height = name.len() as f32 * 12.0 + details.len() as f32 * 10.5 + 8.0;
        if l.y + height > BOTTOM {
            l.new_page();
            table_header(&mut l, &w);
        }
        let top = l.y;
        l.text_at(
            COL_POS + 2.0,
            top,
            9.0,
            Weight::Regular,
            BLACK,
            Align::Left,
            &line.position.to_string(),
        );
        l.text_at(
            COL_QTY_R,
            top,
            9.0,
            Weight::Regular,
            BLACK,
            Align::Right,
            &line.quantity.to_string(),
        );
        // The unit price in cents as printed (the e-invoice keeps four places).
        let unit = (line.unit_net_e4() + 50) / 100;
        l.text_at(
            COL_UNIT_R,
            top,
            9.0,
            Weight::Regular,
            BLACK,
            Align::Right,
            &w.money(unit),
        );
        l.text_at(
            COL_VAT_R,
            top,
            9.0,
            Weight::Regular,
            BLACK,
            Align::Right,
            &crate::percent(line.vat_rate_bp, w.de),
        );
        l.text_at(
            COL_AMOUNT_R - 2.0,
            top,
            9.0,
            Weight::Regular,
            BLACK,
            Align::Right,
            &w.money(line.net),
        );
        let mut y = top;
        for n in &name {
            l.text_at(COL_DESC, y, 9.0, Weight::Bold, BLACK, Align::Left, n);
            y += 12.0;
        }
        for d in &details {
            l.text_at(
                COL_DESC,
                y - 1.0,
                8.0,
                Weight::Regular,
                GREY,
                Align::Left,
                d,
            );
            y += 10.5;
        }
        l.y = y + 4.0;
        l.push(Op::Rule {
            y: l.y - 8.0,
            width: 0.3,
        });
        l.y += 4.0;
    }

    // The totals, with VAT per rate.
    let mut totals: Vec<(String, String, Weight)> = vec![(
        w.t("Summe netto", "Total net").to_owned(),
        w.money(inv.net),
        Weight::Regular,
    )];
    match inv.treatment {
        Treatment::Standard => {
            for r in &inv.rates {
                totals.push((
                    if w.de {
                        format!(
                            "USt {} auf {}",
                            crate::percent(r.rate_bp, true),
                            w.money(r.net)
                        )
                    } else {
                        format!(
                            "VAT {} on {}",
                            crate::percent(r.rate_bp, false),
                            w.money(r.net)
                        )
                    },
                    w.money(r.vat),
                    Weight::Regular,
                ));
            }
        }
        Treatment::ReverseCharge | Treatment::SmallBusiness => totals.push((
            w.t("Umsatzsteuer", "VAT").to_owned(),
            w.money(0),
            Weight::Regular,
        )),
    }
    totals.push((
        match inv.kind {
            Kind::Invoice => w.t("Gesamtbetrag", "Total"),
            Kind::CreditNote => w.t("Erstattungsbetrag", "Amount refunded"),
        }
        .to_owned(),
        w.money(inv.total),
        Weight::Bold,
    ));
    if l.y + totals.len() as f32 * 15.0 + 20.0 > BOTTOM {
        l.new_page();
    }
    l.y += 6.0;
    for (label, value, weight) in &totals {
        l.text_at(330.0, l.y, 9.5, *weight, BLACK, Align::Left, label);
        l.text_at(
            COL_AMOUNT_R - 2.0,
            l.y,
            9.5,
            *weight,
            BLACK,
            Align::Right,
            value,
        );
        l.y += 15.0;
    }
    l.push(Op::Rule {
        y: l.y - 10.0,
        width: 0.8,
    });
    l.y += 12.0;

    // How it was paid, and the legal notes.
    let mut notes: Vec<String> = Vec::new();
    match (inv.kind, inv.paid_on) {
        (Kind::Invoice, Some(d)) => notes.push(if w.de {
            format!(
                "Der Betrag wurde am {} {} bezahlt. Es ist nichts mehr zu zahlen.",
                w.date(d),
                payment_words(&inv.payment_method, true)
            )
        } else {
            format!(
                "The amount was paid on {} {}. Nothing is due.",
                w.date(d),
                payment_words(&inv.payment_method, false)
            )
        }),
        (Kind::CreditNote, Some(d)) => notes.push(if w.de {
            format!(
                "Der Betrag wurde am {} auf das ursprüngliche Zahlungsmittel erstattet.",
                w.date(d)
            )
        } else {
            format!(
                "The amount was refunded on {} to the original means of payment.",
                w.date(d)
            )
        }),
        (_, None) => {}
    }
    match inv.treatment {
        Treatment::ReverseCharge => notes.push(
            w.t(
                "Steuerschuldnerschaft des Leistungsempfängers (Reverse-Charge-Verfahren, § 13b UStG, Art. 196 MwStSystRL).",
                "Reverse charge: the recipient of the service is liable for the VAT (Art. 196 Council Directive 2006/112/EC; § 13b UStG).",
            )
            .to_owned(),
        ),
        Treatment::SmallBusiness => notes.push(
            w.t(
                "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet (Kleinunternehmerregelung).",
                "No VAT is charged: small business under § 19 UStG (German VAT Act).",
            )
            .to_owned(),
        ),
        Treatment::Standard => {}
    }
    if !inv.note.is_empty() {
        notes.push(format!("{} {}", w.t("Grund:", "Reason:"), inv.note));
    }
    if inv.business {
        notes.push(
            w.t(
                "Diese Rechnung enthält die elektronische Rechnung (ZUGFeRD / Factur-X, EN 16931) als Anhang factur-x.xml.",
                "This invoice carries the electronic invoice (ZUGFeRD / Factur-X, EN 16931) as the attachment factur-x.xml.",
            )
            .to_owned(),
        );
    }
    for note in &notes {
        let lines = wrap(fonts, Weight::Regular, 8.5, note, RIGHT - LEFT);
        if l.y + lines.len() as f32 * 11.5 > BOTTOM {
            l.new_page();
        }
        for line in lines {
            l.text_at(LEFT, l.y, 8.5, Weight::Regular, BLACK, Align::Left, &line);
            l.y += 11.5;
        }
        l.y += 3.0;
    }

    footer(&mut l, inv, &w);
    l.pages
}

fn payment_words(method: &str, de: bool) -> &'static str {
    match (method, de) {
        ("stripe", true) => "über Stripe",
        ("stripe", false) => "through Stripe",
        ("test_gateway", true) => "über das lokale Test-Gateway",
        ("test_gateway", false) => "through the local test gateway",
        (_, true) => "",
        (_, false) => "",
    }
}

/// The agency's details at the foot of every page, with the page number.
fn footer(l: &mut Layout<'_>, inv: &Invoice, w: &Words) {
    let s = &inv.seller;
    let mut first = vec![
        s.party.name.clone(),
        s.party.street.clone(),
        format!("{} {}", s.party.postal_code, s.party.city),
    ];
    if let Some(email) = &s.party.email {
        first.push(email.clone());
    }
    if let Some(phone) = &s.phone {
        first.push(phone.clone());
    }
    let mut second = Vec::new();
    if let Some(tax) = &s.tax_number {
        second.push(format!("{} {tax}", w.t("Steuernummer", "Tax number")));
    }
    if let Some(vat) = &s.party.vat_id {
        second.push(format!("{} {vat}", w.t("USt-IdNr.", "VAT ID")));
    }
    if let Some(register) = &s.register {
        second.push(register.clone());
    }
    if let Some(md) = &s.managing_director {
        second.push(format!(
            "{} {md}",
            w.t("Geschäftsführung:", "Managing director:")
        ));
    }
    let mut third = Vec::new();
    if let Some(bank) = &s.bank {
        third.push(bank.clone());
    }
    if let Some(iban) = &s.iban {
        third.push(format!("IBAN {iban}"));
    }
    if let Some(bic) = &s.bic {
        third.push(format!("BIC {bic}"));
    }
    let pages = l.pages.len();
    for page in 0..pages {
        let ops = footer_ops(l.fonts, &[&first, &second, &third], page + 1, pages, w);
        l.pages[page].extend(ops);
    }
}

fn footer_ops(
    fonts: &Fonts,
    columns: &[&Vec<String>],
    page: usize,
    pages: usize,
    w: &Words,
) -> Vec<Op> {
    let mut ops = vec![Op::Rule {
        y: PAGE_H - 92.0,
        width: 0.3,
    }];
    let xs = [LEFT, LEFT + 170.0, LEFT + 340.0];
    for (column, x) in columns.iter().zip(xs) {
        let mut y = PAGE_H - 80.0;
        for line in column.iter() {
            for part in wrap(fonts, Weight::Regular, 7.0, line, 165.0) {
                ops.push(Op::Text {
                    x,
                    y,
                    size: 7.0,
                    weight: Weight::Regular,
                    color: GREY,
                    text: part,
                });
                y += 9.0;
            }
        }
    }
    let label = if w.de {
        format!("Seite {page} von {pages}")
    } else {
        format!("Page {page} of {pages}")
    };
    let x = RIGHT - width(fonts, Weight::Regular, 7.0, &label);
    ops.push(Op::Text {
        x,
        y: PAGE_H - 30.0,
        size: 7.0,
        weight: Weight::Regular,
        color: GREY,
        text: label,
    });
    ops
}

/// The Factur-X extension schema and values, added to krilla's XMP packet.
fn facturx_xmp(xmp: &str) -> Result<String, InvoiceError> {
    let properties: String = [
        ("DocumentFileName", "The name of the embedded XML document"),
        (
            "DocumentType",
            "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER",
        ),
        (
            "Version",
            "The actual version of the standard applying to the embedded XML document",
        ),
        (
            "ConformanceLevel",
            "The conformance level of the embedded XML document",
        ),
    ]
    .iter()
    .map(|(name, description)| {
        format!(
            r#"<rdf:li rdf:parseType="Resource"><pdfaProperty:name>{name}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"#
        )
    })
    .collect();
    let schema = format!(
        r#"<rdf:li rdf:parseType="Resource"><pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema><pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI><pdfaSchema:prefix>fx</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property></rdf:li>"#
    );
    let values = format!(
        r#"<rdf:Description rdf:about="" xmlns:fx="{FX_NS}"><fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>{}</fx:DocumentFileName><fx:Version>1.0</fx:Version><fx:ConformanceLevel>{FX_LEVEL}</fx:ConformanceLevel></rdf:Description>"#,
        cii::FILE_NAME
    );
    let anchor = "</rdf:Bag></pdfaExtension:schemas>";
    if !xmp.contains(anchor) || !xmp.contains("</rdf:RDF>") {
        return Err(InvoiceError::Render(
            "krilla's XMP packet changed its layout: the Factur-X schema cannot be added".into(),
        ));
    }
    Ok(xmp
        .replacen(anchor, &format!("{schema}{anchor}"), 1)
        .replacen("</rdf:RDF>", &format!("{values}</rdf:RDF>"), 1))
}

fn patch_xmp(pdf: &[u8]) -> Result<Vec<u8>, InvoiceError> {
    let bad = |e: lopdf::Error| InvoiceError::Render(format!("adding the Factur-X XMP: {e}"));
    let mut doc = lopdf::Document::load_mem(pdf).map_err(bad)?;
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(|r| r.as_reference())
        .map_err(bad)?;
    let meta = doc
        .get_object(root)
        .and_then(|o| o.as_dict())
        .and_then(|d| d.get(b"Metadata"))
        .and_then(|m| m.as_reference())
        .map_err(bad)?;
    let stream = doc
        .get_object_mut(meta)
        .and_then(|o| o.as_stream_mut())
        .map_err(bad)?;
    let xmp = String::from_utf8(stream.content.clone())
        .map_err(|_| InvoiceError::Render("krilla's XMP packet is not plain UTF-8".into()))?;
    stream.set_content(facturx_xmp(&xmp)?.into_bytes());
    let mut out = Vec::with_capacity(pdf.len() + 4096);
    doc.save_to(&mut out)
        .map_err(|e| InvoiceError::Render(format!("writing the PDF: {e}")))?;
    Ok(out)
}

/// The PDF of `inv`; `logo` a PNG for the letterhead. A business buyer's PDF carries `xml`
/// (the EN 16931 XML) as its Factur-X attachment.
pub fn render(
    inv: &Invoice,
    logo: Option<&[u8]>,
    xml: Option<&str>,
) -> Result<Vec<u8>, InvoiceError> {
    let fonts = fonts()?;
    let logo = match logo {
        Some(png) => Some(
            krilla::image::Image::from_png(png.to_vec().into(), false).map_err(|e| {
                InvoiceError::Render(format!("the logo is not a readable PNG: {e}"))
            })?,
        ),
        None => None,
    };
    let pages = lay_out(inv, fonts, logo.is_some());
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A3_B)
        .finish()
        .map_err(|_| InvoiceError::Render("PDF/A-3b cannot be configured".into()))?;
    let mut doc = Document::new_with(SerializeSettings {
        configuration,
        ..Default::default()
    });
    // The issue date stands for the document's date: the same invoice renders the same.
    let d = inv.issued_on;
    let stamp = DateTime::new(d.year() as u16)
        .month(d.month() as u8)
        .day(d.day() as u8)
        .hour(12)
        .minute(0)
        .second(0)
        .utc_offset_hour(0);
    let title = match inv.kind {
        Kind::Invoice => format!(
            "{} {}",
            if inv.is_german() {
                "Rechnung"
            } else {
                "Invoice"
            },
            inv.number
        ),
        Kind::CreditNote => format!(
            "{} {}",
            if inv.is_german() {
                "Rechnungskorrektur"
            } else {
                "Credit note"
            },
            inv.number
        ),
    };
    doc.set_metadata(
        Metadata::new()
            .title(title)
            .language(if inv.is_german() { "de-DE" } else { "en-GB" }.into())
            .authors(vec![inv.seller.party.name.clone()])
            .creator("Growthdesk".into())
            .creation_date(stamp),
    );
    for ops in pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| InvoiceError::Render("page size".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    color,
                    text,
                } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: rgb::Color::new(color.0, color.1, color.2).into(),
                        ..Default::default()
                    }));
                    let font = match weight {
                        Weight::Regular => fonts.regular.clone(),
                        Weight::Bold => fonts.bold.clone(),
                    };
                    surface.draw_text(
                        Point::from_xy(x, y),
                        font,
                        size,
                        &text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rule { y, width } => {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(180, 186, 196).into(),
                        width,
                        ..Default::default()
                    }));
                    let mut path = PathBuilder::new();
                    path.move_to(LEFT, y);
                    path.line_to(RIGHT, y);
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
                Op::Shade { y, height } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: rgb::Color::new(238, 240, 244).into(),
                        ..Default::default()
                    }));
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(LEFT, y, RIGHT - LEFT, height) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
                Op::Logo { x, y, w, h } => {
                    if let (Some(image), Some(size)) =
                        (logo.clone(), krilla::geom::Size::from_wh(w, h))
                    {
                        surface.push_transform(&krilla::geom::Transform::from_translate(x, y));
                        surface.draw_image(image, size);
                        surface.pop();
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    if let Some(xml) = xml {
        let embedded = doc.embed_file(EmbeddedFile {
            path: cii::FILE_NAME.into(),
            mime_type: MimeType::new("text/xml"),
            description: Some("Factur-X / ZUGFeRD e-invoice (EN 16931)".into()),
            association_kind: AssociationKind::Alternative,
            data: xml.as_bytes().to_vec().into(),
            modification_date: Some(stamp),
            compress: Some(true),
            location: None,
        });
        if embedded.is_none() {
            return Err(InvoiceError::Render("the XML is attached twice".into()));
        }
    }
    let pdf = doc
        .finish()
        .map_err(|e| InvoiceError::Render(format!("{e:?}")))?;
    match xml {
        Some(_) => patch_xmp(&pdf),
        None => Ok(pdf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_and_wrapped() {
        let fonts = fonts().unwrap_or_else(|e| panic!("{e}"));
        let short = width(fonts, Weight::Regular, 10.0, "1,00 €");
        let long = width(fonts, Weight::Regular, 10.0, "1.000,00 €");
        assert!(short > 10.0 && long > short, "{short} {long}");
        let lines = wrap(
            fonts,
            Weight::Regular,
            9.0,
            "Instagram Follower 5.000 Follower · Express · @growth.desk monatlich",
            100.0,
        );
        assert!(lines.len() > 1, "{lines:?}");
        for line in &lines {
            assert!(width(fonts, Weight::Regular, 9.0, line) <= 100.0, "{line}");
        }
        assert_eq!(
            wrap(fonts, Weight::Regular, 9.0, "", 100.0),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_facturx_schema_is_added_to_the_xmp() {
        let xmp = "<x:xmpmeta><rdf:RDF><rdf:Description><pdfaExtension:schemas><rdf:Bag><rdf:li/></rdf:Bag></pdfaExtension:schemas></rdf:Description></rdf:RDF></x:xmpmeta>";
        let patched = facturx_xmp(xmp).unwrap_or_else(|e| panic!("{e}"));
        assert!(patched.contains("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"));
        assert!(patched.contains("<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"));
        assert!(patched.contains("<pdfaSchema:prefix>fx</pdfaSchema:prefix>"));
        assert!(facturx_xmp("<rdf:RDF></rdf:RDF>").is_err());
    }
}
