//! Exports for the accountant: the invoices and credit notes of a period as a CSV table, and
//! as a DATEV Buchungsstapel (EXTF format 700, category 21), the file German accountants
//! import into DATEV: one booking per invoice and VAT rate, the client's debtor account
//! against the revenue account of the VAT rate and treatment ([`DatevConfig`]: SKR03 by
//! default; 8400 Erlöse 19 % USt and 8300 Erlöse 7 % USt, both automatic accounts that derive
//! the tax from the account, 8336 Erlöse aus im anderen EU-Land steuerpflichtigen sonstigen
//! Leistungen (§ 13b), 8195 Erlöse als Kleinunternehmer). A batch holds one fiscal year:
//! its booking dates carry day and month only.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::PgConnection;

use gd_config::DatevConfig;

use crate::document::RateSum;
use crate::InvoiceError;

/// An invoice as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: String,
    pub number: String,
    pub corrects: Option<String>,
    pub issued_on: NaiveDate,
    pub supplied_from: NaiveDate,
    pub supplied_to: NaiveDate,
    pub order_number: i64,
    pub client: String,
    pub email: String,
    pub country: String,
    pub vat_id: String,
    pub treatment: String,
    pub net: i64,
    pub vat: i64,
    pub total: i64,
    pub rates: Vec<RateSum>,
    pub lexoffice: String,
}

/// The most invoices one export holds (a year of a busy shop; narrow the period beyond).
pub const EXPORT_MAX: i64 = 100_000;

/// The invoices and credit notes issued `from` … `to`, in number order per day.
pub async fn rows(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Row>, InvoiceError> {
    let rows = sqlx::query!(
        r#"SELECT i.kind, i.number, c.number AS "corrects?", i.issued_on AS "issued_on: NaiveDate",
                  i.supplied_from AS "supplied_from: NaiveDate",
                  i.supplied_to AS "supplied_to: NaiveDate", o.number AS order_number,
                  coalesce(i.buyer->>'company', i.buyer->>'name', '') AS "client!",
                  coalesce(i.buyer->>'email', '') AS "email!",
                  coalesce(i.buyer->>'country', '') AS "country!",
                  coalesce(i.buyer->>'vat_id', '') AS "vat_id!",
                  i.treatment, i.net, i.vat, i.total, i.rates,
                  coalesce(s.state, 'waiting') AS "lexoffice!"
           FROM invoices i
           JOIN orders o ON o.id = i.order_id
           LEFT JOIN invoices c ON c.id = i.corrects
           LEFT JOIN invoice_sync s ON s.invoice_id = i.id
           WHERE i.issued_on >= $1 AND i.issued_on <= $2
           ORDER BY i.issued_on, i.number
           LIMIT $3"#,
        from as _,
        to as _,
        EXPORT_MAX
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let rates: Vec<RateSum> = serde_json::from_value(r.rates)
                .map_err(|e| InvoiceError::Invalid(format!("rates of {}: {e}", r.number)))?;
            Ok(Row {
                kind: r.kind,
                number: r.number,
                corrects: r.corrects,
                issued_on: r.issued_on,
                supplied_from: r.supplied_from,
                supplied_to: r.supplied_to,
                order_number: r.order_number,
                client: r.client,
                email: r.email,
                country: r.country,
                vat_id: r.vat_id,
                treatment: r.treatment,
                net: r.net,
                vat: r.vat,
                total: r.total,
                rates,
                lexoffice: r.lexoffice,
            })
        })
        .collect()
}

/// `1234,56` (cents as DATEV and German spreadsheets write amounts).
fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{},{:02}", c / 100, c % 100)
}

/// The CSV table (UTF-8 with a byte order mark so that spreadsheets read the umlauts;
/// semicolons and decimal commas as German spreadsheets expect). Credit notes carry negative
/// amounts.
pub fn csv(rows: &[Row]) -> Result<Vec<u8>, InvoiceError> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let fail = |e: csv::Error| InvoiceError::Render(format!("CSV: {e}"));
    out.write_record([
        "Art",
        "Nummer",
        "Korrigiert",
        "Datum",
        "Leistung von",
        "Leistung bis",
        "Bestellung",
        "Kunde",
        "E-Mail",
        "Land",
        "USt-IdNr.",
        "Steuerfall",
        "Netto",
        "USt",
        "Brutto",
        "Lexoffice",
    ])
    .map_err(fail)?;
    for r in rows {
        let sign = if r.kind == "credit_note" { -1 } else { 1 };
        out.write_record([
            if r.kind == "credit_note" {
                "Rechnungskorrektur"
            } else {
                "Rechnung"
            },
            &r.number,
            r.corrects.as_deref().unwrap_or(""),
            &r.issued_on.to_string(),
            &r.supplied_from.to_string(),
            &r.supplied_to.to_string(),
            &r.order_number.to_string(),
            &r.client,
            &r.email,
            &r.country,
            &r.vat_id,
            &r.treatment,
            &amount(sign * r.net),
            &amount(sign * r.vat),
            &amount(sign * r.total),
            &r.lexoffice,
        ])
        .map_err(fail)?;
    }
    out.into_inner()
        .map_err(|e| InvoiceError::Render(format!("CSV: {}", e.error())))
}

/// A DATEV text field: quoted, quotes doubled, no separators or line breaks inside, cut to
/// `max` characters.
fn text(value: &str, max: usize) -> String {
    let clean: String = value
        .chars()
        .map(|c| if c == ';' || c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    format!("\"{}\"", clean.replace('"', "\"\""))
}

/// The columns of a booking line, as DATEV names them (the first fields of format 700).
const DATEV_COLUMNS: &[&str] = &[
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
];

/// The first day of the fiscal year (beginning in month `start_month`) that `day` falls in.
fn fiscal_year_start(day: NaiveDate, start_month: u32) -> NaiveDate {
    let month = start_month.clamp(1, 12);
    let year = if day.month() >= month {
        day.year()
    } else {
        day.year() - 1
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(day)
}

/// The first day of the next fiscal year when the period `from` … `to` runs into it: a DATEV
/// batch cannot hold it (its header names one fiscal year, its dates no year), so the period
/// has to be split there.
pub fn fiscal_year_boundary(from: NaiveDate, to: NaiveDate, start_month: u32) -> Option<NaiveDate> {
    let next = fiscal_year_start(from, start_month).checked_add_months(chrono::Months::new(12))?;
    (to >= next).then_some(next)
}

/// The revenue account of a booking at `rate_bp` under `treatment`, or why there is none.
fn revenue_account(
    settings: &DatevConfig,
    treatment: &str,
    rate_bp: i32,
    number: &str,
) -> Result<u32, InvoiceError> {
    match (treatment, rate_bp) {
        ("reverse_charge", _) => Ok(settings.revenue_reverse_charge),
        ("small_business", _) => Ok(settings.revenue_small_business),
        (_, 1900) => Ok(settings.revenue_standard),
        (_, 700) => Ok(settings.revenue_reduced),
        // An automatic account would book 19 % or 7 % on it: refused rather than misbooked.
        _ => Err(InvoiceError::NoRevenueAccount {
            number: number.to_owned(),
            rate_bp,
        }),
    }
}

/// The Buchungsstapel of `rows` (issued `from` … `to`), encoded as DATEV reads it
/// (Windows-1252, CRLF). Refused for a period that runs into a second fiscal year
/// ([`InvoiceError::CrossesFiscalYear`]) and for a rate without a revenue account
/// ([`InvoiceError::NoRevenueAccount`]).
pub fn datev(
    rows: &[Row],
    settings: &DatevConfig,
    from: NaiveDate,
    to: NaiveDate,
    created: DateTime<Utc>,
) -> Result<Vec<u8>, InvoiceError> {
    if let Some(boundary) = fiscal_year_boundary(from, to, settings.fiscal_year_start_month) {
        return Err(InvoiceError::CrossesFiscalYear { boundary });
    }
    let fy_start = fiscal_year_start(from, settings.fiscal_year_start_month);
    let header: Vec<String> = vec![
        text("EXTF", 4),
        "700".into(),
        "21".into(),
        text("Buchungsstapel", 14),
        "13".into(),
        created.format("%Y%m%d%H%M%S%3f").to_string(),
        String::new(),
        text("RE", 2),
        text("Growthdesk", 25),
        String::new(),
        settings.consultant.to_string(),
        settings.client.to_string(),
        fy_start.format("%Y%m%d").to_string(),
        settings.account_length.to_string(),
        from.format("%Y%m%d").to_string(),
        to.format("%Y%m%d").to_string(),
        text(&format!("Ausgangsrechnungen {from} bis {to}"), 30),
        String::new(),
        "1".into(),
        "0".into(),
        "0".into(),
        text("EUR", 3),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ];
    let mut lines = vec![header.join(";"), DATEV_COLUMNS.join(";")];
    for r in rows {
        // An invoice debits the client (S), a credit note credits them (H).
        let side = if r.kind == "credit_note" { "H" } else { "S" };
        let booking_text = match &r.corrects {
            Some(c) => format!("Korrektur zu {c} {}", r.client),
            None => r.client.clone(),
        };
        for rate in r.rates.iter().filter(|rate| rate.total != 0) {
            let revenue = revenue_account(settings, &r.treatment, rate.rate_bp, &r.number)?;
            let fields: Vec<String> = vec![
                amount(rate.total),
                text(side, 1),
                text("EUR", 3),
                String::new(),
                String::new(),
                String::new(),
                settings.debtor_account.to_string(),
                revenue.to_string(),
                String::new(),
                r.issued_on.format("%d%m").to_string(),
                text(&r.number, 36),
                text(&r.order_number.to_string(), 12),
                String::new(),
                text(&booking_text, 60),
            ];
            lines.push(fields.join(";"));
        }
    }
    let mut joined = lines.join("\r\n");
    joined.push_str("\r\n");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&joined);
    Ok(bytes.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, treatment: &str, rates: Vec<RateSum>) -> Row {
        let net = rates.iter().map(|r| r.net).sum();
        let vat = rates.iter().map(|r| r.vat).sum();
        let total = rates.iter().map(|r| r.total).sum();
        Row {
            kind: kind.into(),
            number: if kind == "credit_note" {
                "RK-2026-00001".into()
            } else {
                "RE-2026-00007".into()
            },
            corrects: (kind == "credit_note").then(|| "RE-2026-00007".to_owned()),
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
            supplied_from: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
            supplied_to: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default(),
            order_number: 10042,
            client: "Müller; \"Söhne\" GmbH".into(),
            email: "m@example.de".into(),
            country: "DE".into(),
            vat_id: String::new(),
            treatment: treatment.into(),
            net,
            vat,
            total,
            rates,
            lexoffice: "waiting".into(),
        }
    }

    fn settings() -> DatevConfig {
        DatevConfig {
            consultant: 1001,
            client: 1,
            fiscal_year_start_month: 1,
            debtor_account: 10000,
            revenue_standard: 8400,
            revenue_reduced: 8300,
            revenue_reverse_charge: 8336,
            revenue_small_business: 8195,
            account_length: 4,
        }
    }

    #[test]
    fn amounts_have_a_decimal_comma() {
        assert_eq!(amount(11900), "119,00");
        assert_eq!(amount(5), "0,05");
        assert_eq!(amount(-1999), "-19,99");
    }

    #[test]
    fn a_datev_batch_books_each_rate_against_the_treatments_account() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let rows = vec![
            row(
                "invoice",
                "standard",
                vec![RateSum {
                    rate_bp: 1900,
                    net: 10000,
                    vat: 1900,
                    total: 11900,
                }],
            ),
            row(
                "credit_note",
                "reverse_charge",
                vec![RateSum {
                    rate_bp: 0,
                    net: 5000,
                    vat: 0,
                    total: 5000,
                }],
            ),
        ];
        let bytes = datev(&rows, &settings(), day, day, DateTime::<Utc>::UNIX_EPOCH).unwrap();
        let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&bytes);
        assert!(!bad);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(lines[0]
            .starts_with("\"EXTF\";700;21;\"Buchungsstapel\";13;19700101000000000;;\"RE\";"));
        assert!(lines[0].contains(";1001;1;20260101;4;20261201;20261201;"));
        assert_eq!(lines[0].split(';').count(), 31);
        assert!(lines[1].starts_with("Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;"));
        assert_eq!(
            lines[2],
            "119,00;\"S\";\"EUR\";;;;10000;8400;;0212;\"RE-2026-00007\";\"10042\";;\"Müller  \"\"Söhne\"\" GmbH\""
        );
        assert!(lines[3].starts_with("50,00;\"H\";\"EUR\";;;;10000;8336;;0212;\"RK-2026-00001\";"));
        assert!(lines[3].contains("Korrektur zu RE-2026-00007"));
        // Windows-1252: ü is one byte.
        assert!(bytes.contains(&0xFC));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_period_within_one_fiscal_year_has_no_boundary() {
        assert_eq!(
            fiscal_year_boundary(day(2026, 1, 1), day(2026, 12, 31), 1),
            None
        );
        assert_eq!(
            fiscal_year_boundary(day(2026, 12, 1), day(2027, 1, 1), 1),
            Some(day(2027, 1, 1))
        );
        // A fiscal year from July: January to June belongs to the one begun the July before.
        assert_eq!(
            fiscal_year_boundary(day(2026, 7, 1), day(2027, 6, 30), 7),
            None
        );
        assert_eq!(
            fiscal_year_boundary(day(2027, 3, 1), day(2027, 7, 1), 7),
            Some(day(2027, 7, 1))
        );
        assert_eq!(fiscal_year_start(day(2027, 3, 1), 7), day(2026, 7, 1));
    }

    #[test]
    fn a_datev_batch_across_two_fiscal_years_is_refused_naming_the_boundary() {
        let mut s = settings();
        s.fiscal_year_start_month = 4;
        let refused = datev(
            &[],
            &s,
            day(2027, 3, 1),
            day(2027, 4, 30),
            DateTime::<Utc>::UNIX_EPOCH,
        );
        assert!(
            matches!(refused, Err(InvoiceError::CrossesFiscalYear { boundary }) if boundary == day(2027, 4, 1)),
            "{refused:?}"
        );
        // Split there, each part is fine; the header names the part's own fiscal year.
        let bytes = datev(
            &[],
            &s,
            day(2027, 4, 1),
            day(2027, 4, 30),
            DateTime::<Utc>::UNIX_EPOCH,
        )
        .unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains(";1001;1;20270401;4;20270401;20270430;"),
            "{text}"
        );
    }

    #[test]
    fn each_vat_rate_is_booked_to_its_own_account_and_an_unknown_one_is_refused() {
        let d = day(2026, 12, 1);
        let rows = vec![row(
            "invoice",
            "standard",
            vec![
                RateSum {
                    rate_bp: 1900,
                    net: 10000,
                    vat: 1900,
                    total: 11900,
                },
                RateSum {
                    rate_bp: 700,
                    net: 1000,
                    vat: 70,
                    total: 1070,
                },
            ],
        )];
        let bytes = datev(&rows, &settings(), d, d, DateTime::<Utc>::UNIX_EPOCH).unwrap();
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert!(
            lines[2].starts_with("119,00;\"S\";\"EUR\";;;;10000;8400;"),
            "{text}"
        );
        assert!(
            lines[3].starts_with("10,70;\"S\";\"EUR\";;;;10000;8300;"),
            "{text}"
        );

        let odd = vec![row(
            "invoice",
            "standard",
            vec![RateSum {
                rate_bp: 550,
                net: 1000,
                vat: 55,
                total: 1055,
            }],
        )];
        let refused = datev(&odd, &settings(), d, d, DateTime::<Utc>::UNIX_EPOCH);
        assert!(
            matches!(&refused, Err(InvoiceError::NoRevenueAccount { number, rate_bp: 550 }) if number == "RE-2026-00007"),
            "{refused:?}"
        );
        // Without VAT by treatment, the rate does not choose the account.
        let small = vec![row(
            "invoice",
            "small_business",
            vec![RateSum {
                rate_bp: 0,
                net: 1000,
                vat: 0,
                total: 1000,
            }],
        )];
        let bytes = datev(&small, &settings(), d, d, DateTime::<Utc>::UNIX_EPOCH).unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains(";10000;8195;"));
    }

    #[test]
    fn the_csv_gives_credit_notes_negative_amounts() {
        let rows = vec![row(
            "credit_note",
            "standard",
            vec![RateSum {
                rate_bp: 1900,
                net: 1000,
                vat: 190,
                total: 1190,
            }],
        )];
        let bytes = csv(&rows).unwrap_or_default();
        let text = String::from_utf8(bytes).unwrap_or_default();
        assert!(text.starts_with("\u{feff}Art;Nummer;"));
        assert!(text.contains("Rechnungskorrektur;RK-2026-00001;RE-2026-00007;2026-12-02;"));
        assert!(text.contains(";-10,00;-1,90;-11,90;waiting\r\n"));
        // A field with the separator is quoted.
        assert!(text.contains("\"Müller; \"\"Söhne\"\" GmbH\""));
    }
}
