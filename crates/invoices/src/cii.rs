//! The e-invoice: an EN 16931 invoice as UN/CEFACT Cross Industry Invoice XML (the syntax of
//! Factur-X / ZUGFeRD "EN 16931" and of XRechnung's CII flavour). Written element by element
//! in the order the schema requires; every text is escaped.
//!
//! Our invoices are paid when they are issued (the checkout took the money): the whole amount
//! is shown as prepaid and nothing is due, so no payment instructions are needed. A credit
//! note (type 381) carries positive amounts and refers to the invoice it corrects.

use chrono::NaiveDate;
use gd_pricing::Treatment;

use crate::document::{Invoice, Kind, Party};

/// The guideline an EN 16931 (comfort) document declares.
pub const GUIDELINE: &str = "urn:cen.eu:en16931:2017";
/// The attachment's name inside a Factur-X PDF.
pub const FILE_NAME: &str = "factur-x.xml";

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Cents as "1234.56".
fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Ten-thousandths as "8.3933".
fn price(e4: i64) -> String {
    let sign = if e4 < 0 { "-" } else { "" };
    let c = e4.unsigned_abs();
    format!("{sign}{}.{:04}", c / 10_000, c % 10_000)
}

/// Basis points as "19.00".
fn rate(bp: i32) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

fn date(d: NaiveDate) -> String {
    format!(
        "<udt:DateTimeString format=\"102\">{}</udt:DateTimeString>",
        d.format("%Y%m%d")
    )
}

/// The VAT category of the invoice's treatment: S (standard), AE (reverse charge), E (exempt,
/// small business), and the exemption's words and code.
fn category(t: Treatment, de: bool) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    match (t, de) {
        (Treatment::Standard, _) => ("S", None, None),
        (Treatment::ReverseCharge, true) => (
            "AE",
            Some("Steuerschuldnerschaft des Leistungsempfängers"),
            Some("VATEX-EU-AE"),
        ),
        (Treatment::ReverseCharge, false) => (
            "AE",
            Some("Reverse charge: the recipient is liable for the VAT"),
            Some("VATEX-EU-AE"),
        ),
        (Treatment::SmallBusiness, true) => (
            "E",
            Some("Kein Ausweis von Umsatzsteuer, da Kleinunternehmer gemäß § 19 UStG"),
            None,
        ),
        (Treatment::SmallBusiness, false) => (
            "E",
            Some("No VAT charged: small business under § 19 UStG (German VAT Act)"),
            None,
        ),
    }
}

fn address(x: &mut String, p: &Party) {
    x.push_str("<ram:PostalTradeAddress>");
    x.push_str(&format!(
        "<ram:PostcodeCode>{}</ram:PostcodeCode>",
        esc(&p.postal_code)
    ));
    x.push_str(&format!("<ram:LineOne>{}</ram:LineOne>", esc(&p.street)));
    if p.company.is_some() {
        // The person at the company, as the address's second line.
        x.push_str(&format!("<ram:LineTwo>{}</ram:LineTwo>", esc(&p.name)));
    }
    x.push_str(&format!("<ram:CityName>{}</ram:CityName>", esc(&p.city)));
    x.push_str(&format!(
        "<ram:CountryID>{}</ram:CountryID>",
        esc(&p.country)
    ));
    x.push_str("</ram:PostalTradeAddress>");
}

/// The notes the document carries: the treatment's legal note, a credit note's reason, a
/// test payment's warning.
pub fn notes(inv: &Invoice) -> Vec<String> {
    let de = inv.is_german();
    let mut notes = Vec::new();
    if let (_, Some(reason), _) = category(inv.treatment, de) {
        notes.push(reason.to_owned());
    }
    if let Some(c) = &inv.corrects {
        notes.push(if de {
            format!(
                "Korrektur der Rechnung {} vom {}",
                c.number,
                c.issued_on.format("%d.%m.%Y")
            )
        } else {
            format!(
                "Correction of invoice {} of {}",
                c.number,
                c.issued_on.format("%Y-%m-%d")
            )
        });
    }
    if !inv.note.is_empty() {
        notes.push(inv.note.clone());
    }
    if inv.test_payment {
        notes.push(
            (if de {
                "Testzahlung über das lokale Test-Gateway: es ist kein Geld geflossen."
            } else {
                "Test payment through the local test gateway: no money moved."
            })
            .to_owned(),
        );
    }
    if inv.seller.demo {
        notes.push(
            (if de {
                "Demo-Agentur einer lokalen Installation: kein echter Rechnungssteller."
            } else {
                "Demo agency of a local installation: not a real issuer."
            })
            .to_owned(),
        );
    }
    notes
}

/// The EN 16931 CII XML of `inv`.
pub fn xml(inv: &Invoice) -> String {
    let de = inv.is_german();
    let (cat, reason, reason_code) = category(inv.treatment, de);
    let mut x = String::with_capacity(8 * 1024);
    x.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    x.push_str(concat!(
        r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100""#,
        r#" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100""#,
        r#" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100""#,
        r#" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">"#
    ));
    x.push_str("<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>");
    x.push_str(&format!("<ram:ID>{GUIDELINE}</ram:ID>"));
    x.push_str("</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>");

    x.push_str("<rsm:ExchangedDocument>");
    x.push_str(&format!("<ram:ID>{}</ram:ID>", esc(&inv.number)));
    x.push_str(&format!(
        "<ram:TypeCode>{}</ram:TypeCode>",
        match inv.kind {
            Kind::Invoice => "380",
            Kind::CreditNote => "381",
        }
    ));
    x.push_str(&format!(
        "<ram:IssueDateTime>{}</ram:IssueDateTime>",
        date(inv.issued_on)
    ));
    for note in notes(inv) {
        x.push_str(&format!(
            "<ram:IncludedNote><ram:Content>{}</ram:Content></ram:IncludedNote>",
            esc(&note)
        ));
    }
    x.push_str("</rsm:ExchangedDocument>");

    x.push_str("<rsm:SupplyChainTradeTransaction>");
    for l in &inv.lines {
        x.push_str("<ram:IncludedSupplyChainTradeLineItem>");
        x.push_str(&format!(
            "<ram:AssociatedDocumentLineDocument><ram:LineID>{}</ram:LineID></ram:AssociatedDocumentLineDocument>",
            l.position
        ));
        x.push_str(&format!(
            "<ram:SpecifiedTradeProduct><ram:Name>{}</ram:Name>",
            esc(&l.name)
        ));
        if !l.details.is_empty() {
            x.push_str(&format!(
                "<ram:Description>{}</ram:Description>",
                esc(&l.details)
            ));
        }
        x.push_str("</ram:SpecifiedTradeProduct>");
        x.push_str(&format!(
            "<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>",
            price(l.unit_net_e4())
        ));
        x.push_str(&format!(
            "<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">{}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>",
            l.quantity
        ));
        x.push_str("<ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>");
        x.push_str(&format!(
            "<ram:CategoryCode>{cat}</ram:CategoryCode><ram:RateApplicablePercent>{}</ram:RateApplicablePercent>",
            rate(l.vat_rate_bp)
        ));
        x.push_str("</ram:ApplicableTradeTax>");
        x.push_str(&format!(
            "<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>",
            amount(l.net)
        ));
        x.push_str("</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>");
    }

    // The parties.
    x.push_str("<ram:ApplicableHeaderTradeAgreement>");
    let seller = &inv.seller;
    x.push_str("<ram:SellerTradeParty>");
    if seller.party.vat_id.is_none() {
        // EN 16931 wants an identifier of the seller besides a tax number (BR-CO-26).
        if let Some(tax) = &seller.tax_number {
            x.push_str(&format!("<ram:ID>{}</ram:ID>", esc(tax)));
        }
    }
    x.push_str(&format!("<ram:Name>{}</ram:Name>", esc(&seller.party.name)));
    if let Some(email) = &seller.party.email {
        x.push_str(&format!(
            "<ram:DefinedTradeContact><ram:EmailURIUniversalCommunication><ram:URIID>{}</ram:URIID></ram:EmailURIUniversalCommunication></ram:DefinedTradeContact>",
            esc(email)
        ));
    }
    address(&mut x, &seller.party);
    if let Some(vat) = &seller.party.vat_id {
        x.push_str(&format!(
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            esc(vat)
        ));
    }
    if let Some(tax) = &seller.tax_number {
        x.push_str(&format!(
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"FC\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            esc(tax)
        ));
    }
    x.push_str("</ram:SellerTradeParty>");
    let buyer = &inv.buyer;
    x.push_str("<ram:BuyerTradeParty>");
    x.push_str(&format!("<ram:Name>{}</ram:Name>", esc(buyer.legal_name())));
    address(&mut x, buyer);
    if let Some(vat) = &buyer.vat_id {
        x.push_str(&format!(
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            esc(vat)
        ));
    }
    x.push_str("</ram:BuyerTradeParty>");
    x.push_str(&format!(
        "<ram:SellerOrderReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:SellerOrderReferencedDocument>",
        inv.order_number
    ));
    x.push_str("</ram:ApplicableHeaderTradeAgreement>");

    // When the service was supplied.
    x.push_str(&format!(
        "<ram:ApplicableHeaderTradeDelivery><ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime>{}</ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent></ram:ApplicableHeaderTradeDelivery>",
        date(inv.supplied_from)
    ));

    // The money.
    x.push_str("<ram:ApplicableHeaderTradeSettlement>");
    x.push_str(&format!(
        "<ram:PaymentReference>{}</ram:PaymentReference>",
        esc(&inv.number)
    ));
    x.push_str("<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>");
    for r in &inv.rates {
        x.push_str("<ram:ApplicableTradeTax>");
        x.push_str(&format!(
            "<ram:CalculatedAmount>{}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>",
            amount(r.vat)
        ));
        if let Some(reason) = reason {
            x.push_str(&format!(
                "<ram:ExemptionReason>{}</ram:ExemptionReason>",
                esc(reason)
            ));
        }
        x.push_str(&format!(
            "<ram:BasisAmount>{}</ram:BasisAmount><ram:CategoryCode>{cat}</ram:CategoryCode>",
            amount(r.net)
        ));
        if let Some(code) = reason_code {
            x.push_str(&format!(
                "<ram:ExemptionReasonCode>{code}</ram:ExemptionReasonCode>"
            ));
        }
        x.push_str(&format!(
            "<ram:RateApplicablePercent>{}</ram:RateApplicablePercent>",
            rate(r.rate_bp)
        ));
        x.push_str("</ram:ApplicableTradeTax>");
    }
    if inv.supplied_to > inv.supplied_from {
        x.push_str(&format!(
            "<ram:BillingSpecifiedPeriod><ram:StartDateTime>{}</ram:StartDateTime><ram:EndDateTime>{}</ram:EndDateTime></ram:BillingSpecifiedPeriod>",
            date(inv.supplied_from),
            date(inv.supplied_to)
        ));
    }
    let paid_note = match (inv.kind, inv.paid_on, de) {
        (Kind::Invoice, Some(d), true) => format!("Bezahlt am {}.", d.format("%d.%m.%Y")),
        (Kind::Invoice, Some(d), false) => format!("Paid on {}.", d.format("%Y-%m-%d")),
        (Kind::CreditNote, Some(d), true) => format!("Erstattet am {}.", d.format("%d.%m.%Y")),
        (Kind::CreditNote, Some(d), false) => format!("Refunded on {}.", d.format("%Y-%m-%d")),
        (_, None, true) => "Bereits beglichen.".to_owned(),
        (_, None, false) => "Already settled.".to_owned(),
    };
    x.push_str(&format!(
        "<ram:SpecifiedTradePaymentTerms><ram:Description>{}</ram:Description></ram:SpecifiedTradePaymentTerms>",
        esc(&paid_note)
    ));
    x.push_str("<ram:SpecifiedTradeSettlementHeaderMonetarySummation>");
    x.push_str(&format!(
        "<ram:LineTotalAmount>{}</ram:LineTotalAmount>",
        amount(inv.lines.iter().map(|l| l.net).sum())
    ));
    x.push_str(&format!(
        "<ram:TaxBasisTotalAmount>{}</ram:TaxBasisTotalAmount>",
        amount(inv.net)
    ));
    x.push_str(&format!(
        "<ram:TaxTotalAmount currencyID=\"EUR\">{}</ram:TaxTotalAmount>",
        amount(inv.vat)
    ));
    x.push_str(&format!(
        "<ram:GrandTotalAmount>{}</ram:GrandTotalAmount>",
        amount(inv.total)
    ));
    x.push_str(&format!(
        "<ram:TotalPrepaidAmount>{}</ram:TotalPrepaidAmount>",
        amount(inv.total)
    ));
    x.push_str("<ram:DuePayableAmount>0.00</ram:DuePayableAmount>");
    x.push_str("</ram:SpecifiedTradeSettlementHeaderMonetarySummation>");
    if let Some(c) = &inv.corrects {
        x.push_str(&format!(
            "<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID><ram:FormattedIssueDateTime><qdt:DateTimeString format=\"102\">{}</qdt:DateTimeString></ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>",
            esc(&c.number),
            c.issued_on.format("%Y%m%d")
        ));
    }
    x.push_str("</ram:ApplicableHeaderTradeSettlement>");
    x.push_str("</rsm:SupplyChainTradeTransaction>");
    x.push_str("</rsm:CrossIndustryInvoice>");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_text_are_written_as_the_schema_wants() {
        assert_eq!(amount(101150), "1011.50");
        assert_eq!(amount(5), "0.05");
        assert_eq!(price(83_933), "8.3933");
        assert_eq!(rate(1900), "19.00");
        assert_eq!(rate(550), "5.50");
        assert_eq!(
            esc("A&B <GmbH> \"x\"\u{1}"),
            "A&amp;B &lt;GmbH&gt; &quot;x&quot;"
        );
    }
}
