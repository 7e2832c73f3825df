//! Issuing: a paid order, a paid subscription renewal and a refund each get their document
//! once (the `source` is unique), final from the start, numbered inside the transaction that
//! writes it. The caller owns the transaction.
//!
//! What is frozen: both parties as they stood (the agency's details from the configuration,
//! the buyer's from the order), the lines and amounts, the VAT treatment, the dates (issue
//! date and date or period of supply, in German time).

use chrono::NaiveDate;
use gd_accounts::AuditEvent;
use gd_pricing::{net_of, Billing, Cents, Treatment};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::document::{Kind, Line, Party, RateSum, Seller};
use crate::{number, InvoiceError, RenderInvoice};

/// What issuing needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seller: Seller,
    /// Years after the end of the issue year that the invoice is kept.
    pub retention_years: u32,
}

impl Settings {
    pub fn from_config(config: &gd_config::Config) -> Self {
        Settings {
            seller: Seller::from_config(&config.agency),
            retention_years: config.invoice_retention_years,
        }
    }
}

/// What an issuing step came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// Finalized now, with this id.
    New(Uuid),
    /// It was issued before.
    Existing(Uuid),
    /// Nothing to issue (not paid; a refund of no order of ours).
    Nothing,
}

impl Issued {
    pub fn id(self) -> Option<Uuid> {
        match self {
            Issued::New(id) | Issued::Existing(id) => Some(id),
            Issued::Nothing => None,
        }
    }
}

/// Everything of a document before it gets its number.
struct Draft {
    kind: Kind,
    corrects: Option<Uuid>,
    source: String,
    order_id: Uuid,
    period_id: Option<Uuid>,
    payment_id: Option<Uuid>,
    user_id: Uuid,
    lang: String,
    supplied_from: NaiveDate,
    supplied_to: NaiveDate,
    treatment: Treatment,
    business: bool,
    buyer: Party,
    lines: Vec<Line>,
    paid_on: Option<NaiveDate>,
    payment_method: String,
    note: String,
}

fn treatment_str(t: Treatment) -> &'static str {
    match t {
        Treatment::Standard => "standard",
        Treatment::ReverseCharge => "reverse_charge",
        Treatment::SmallBusiness => "small_business",
    }
}

pub(crate) fn treatment_of(s: &str) -> Treatment {
    match s {
        "reverse_charge" => Treatment::ReverseCharge,
        "small_business" => Treatment::SmallBusiness,
        _ => Treatment::Standard,
    }
}

/// The amounts per VAT rate of `lines`, highest rate first.
pub fn rates_of(lines: &[Line]) -> Vec<RateSum> {
    let mut rates: Vec<RateSum> = Vec::new();
    for l in lines {
        match rates.iter_mut().find(|r| r.rate_bp == l.vat_rate_bp) {
            Some(r) => {
                r.net += l.net;
                r.vat += l.vat;
                r.total += l.total;
            }
            None => rates.push(RateSum {
                rate_bp: l.vat_rate_bp,
                net: l.net,
                vat: l.vat,
                total: l.total,
            }),
        }
    }
    rates.sort_by_key(|r| std::cmp::Reverse(r.rate_bp));
    rates
}

/// Numbers and writes `draft`, final; enqueues its rendering.
async fn finalize(
    conn: &mut PgConnection,
    draft: Draft,
    settings: &Settings,
) -> Result<Uuid, InvoiceError> {
    let issued_on = sqlx::query_scalar!(
        r#"SELECT (now() AT TIME ZONE 'Europe/Berlin')::date AS "today!: NaiveDate""#
    )
    .fetch_one(&mut *conn)
    .await?;
    let year = chrono::Datelike::year(&issued_on);
    let series = number::series(draft.kind, year);
    let seq = number::take(conn, &series).await?;
    let number = number::format(&series, seq);
    let retain_until = NaiveDate::from_ymd_opt(year + settings.retention_years as i32, 12, 31)
        .ok_or_else(|| InvoiceError::Invalid("retention date out of range".into()))?;
    let rates = rates_of(&draft.lines);
    let (net, vat, total) = draft.lines.iter().fold((0, 0, 0), |(n, v, t), l| {
        (n + l.net, v + l.vat, t + l.total)
    });
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO invoices (id, kind, series, seq, number, corrects, source, order_id,
             period_id, payment_id, user_id, lang, issued_on, supplied_from, supplied_to,
             treatment, business, seller, buyer, lines, rates, net, vat, total, paid_on,
             payment_method, note, retain_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)",
        id,
        draft.kind.as_str(),
        series,
        seq,
        number,
        draft.corrects,
        draft.source,
        draft.order_id,
        draft.period_id,
        draft.payment_id,
        draft.user_id,
        draft.lang,
        issued_on as _,
        draft.supplied_from as _,
        draft.supplied_to as _,
        treatment_str(draft.treatment),
        draft.business,
        serde_json::to_value(&settings.seller).map_err(|e| InvoiceError::Invalid(e.to_string()))?,
        serde_json::to_value(&draft.buyer).map_err(|e| InvoiceError::Invalid(e.to_string()))?,
        serde_json::to_value(&draft.lines).map_err(|e| InvoiceError::Invalid(e.to_string()))?,
        serde_json::to_value(&rates).map_err(|e| InvoiceError::Invalid(e.to_string()))?,
        net,
        vat,
        total,
        draft.paid_on as _,
        draft.payment_method,
        draft.note,
        retain_until as _,
    )
    .execute(&mut *conn)
    .await?;
    gd_accounts::record(
        conn,
        &AuditEvent::new(match draft.kind {
            Kind::Invoice => "invoice.issued",
            Kind::CreditNote => "credit_note.issued",
        })
        .subject(id)
        .details(serde_json::json!({
            "number": number, "order": draft.order_id, "total": total, "source": draft.source,
        })),
    )
    .await?;
    gd_jobs::enqueue(&mut *conn, &RenderInvoice { invoice_id: id }).await?;
    Ok(id)
}

/// Locks order `order`: its documents are issued one at a time (an invoice job and a credit
/// note that issues the same invoice first; two credit notes reading what is left of one
/// invoice), each after the one before committed.
async fn lock_order(conn: &mut PgConnection, order: Uuid) -> Result<bool, InvoiceError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM orders WHERE id = $1 FOR UPDATE", order)
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

async fn existing(conn: &mut PgConnection, source: &str) -> Result<Option<Uuid>, InvoiceError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM invoices WHERE source = $1", source)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

fn buyer_of(o: &gd_orders::Order) -> Party {
    Party {
        name: o.buyer_name.clone(),
        company: o.company.clone(),
        street: o.street.clone(),
        postal_code: o.postal_code.clone(),
        city: o.city.clone(),
        country: o.country.clone(),
        vat_id: o.vat_id.clone(),
        email: Some(o.email.clone()),
    }
}

/// A line's words: the configuration, the target, and for a plan its billing.
fn details_of(l: &gd_orders::OrderLine, de: bool) -> String {
    let mut parts = vec![l.description.clone()];
    if !l.target.is_empty() {
        parts.push(l.target.clone());
    }
    match (l.period, de) {
        (Billing::Monthly, true) => parts.push("monatlich".into()),
        (Billing::Monthly, false) => parts.push("monthly".into()),
        (Billing::Yearly, true) => parts.push("jährlich".into()),
        (Billing::Yearly, false) => parts.push("yearly".into()),
        (Billing::OneOff, _) => {}
    }
    parts.retain(|p| !p.trim().is_empty());
    parts.join(" · ")
}

/// The rate a line is invoiced at: its own under standard treatment, none otherwise.
fn rate_under(treatment: Treatment, rate_bp: i32) -> i32 {
    if treatment == Treatment::Standard {
        rate_bp
    } else {
        0
    }
}

fn payment_method(gateway: &str) -> String {
    match gateway {
        "test" => "test_gateway".into(),
        other => other.into(),
    }
}

/// The invoice of order `order`'s checkout payment (one-off lines and a plan's first period).
pub async fn for_order(
    conn: &mut PgConnection,
    order: Uuid,
    settings: &Settings,
) -> Result<Issued, InvoiceError> {
    let source = format!("order:{order}");
    if !lock_order(conn, order).await? {
        return Ok(Issued::Nothing);
    }
    if let Some(id) = existing(conn, &source).await? {
        return Ok(Issued::Existing(id));
    }
    let Some(o) = gd_orders::load(conn, order).await? else {
        return Ok(Issued::Nothing);
    };
    if o.paid_at.is_none() {
        return Ok(Issued::Nothing);
    }
    let de = o.locale == gd_common::Locale::De;
    // Supply: the day the paid work began; a plan's first period as the gateway billed it,
    // else a month or a year from the payment.
    let dates = sqlx::query!(
        r#"SELECT (o.paid_at AT TIME ZONE 'Europe/Berlin')::date AS "paid!: NaiveDate",
                  (SELECT (p.period_end AT TIME ZONE 'Europe/Berlin')::date
                   FROM subscription_periods p JOIN subscriptions s ON s.id = p.subscription_id
                   WHERE s.order_id = o.id AND p.reason = 'first' AND p.period_end IS NOT NULL
                   ORDER BY p.created_at LIMIT 1) AS "first_end: NaiveDate",
                  (SELECT s.interval FROM subscriptions s WHERE s.order_id = o.id) AS interval
           FROM orders o WHERE o.id = $1"#,
        order
    )
    .fetch_one(&mut *conn)
    .await?;
    let paid = dates.paid;
    let recurring = o.lines.iter().find(|l| l.period != Billing::OneOff);
    let supplied_to = match (recurring, dates.first_end) {
        (None, _) => paid,
        (Some(_), Some(end)) if end > paid => end.pred_opt().unwrap_or(end),
        (Some(l), _) => {
            let months = if l.period == Billing::Yearly || dates.interval.as_deref() == Some("year")
            {
                12
            } else {
                1
            };
            paid.checked_add_months(chrono::Months::new(months))
                .and_then(|d| d.pred_opt())
                .unwrap_or(paid)
        }
    };
    let lines = o
        .lines
        .iter()
        .map(|l| Line {
            position: l.position,
            name: l.name.clone(),
            details: details_of(l, de),
            quantity: i64::from(l.quantity),
            net: l.net.0,
            vat_rate_bp: rate_under(o.treatment, l.vat_rate_bp),
            vat: l.vat.0,
            total: l.total.0,
        })
        .collect();
    let draft = Draft {
        kind: Kind::Invoice,
        corrects: None,
        source,
        order_id: o.id,
        period_id: None,
        payment_id: None,
        user_id: o.user_id,
        lang: o.locale.as_str().to_owned(),
        supplied_from: paid,
        supplied_to,
        treatment: o.treatment,
        business: o.vat_id.is_some() || o.company.is_some(),
        buyer: buyer_of(&o),
        lines,
        paid_on: Some(paid),
        payment_method: payment_method(&o.gateway),
        note: String::new(),
    };
    Ok(Issued::New(finalize(conn, draft, settings).await?))
}

/// The invoice of a paid subscription renewal (period `period`).
pub async fn for_period(
    conn: &mut PgConnection,
    period: Uuid,
    settings: &Settings,
) -> Result<Issued, InvoiceError> {
    let source = format!("period:{period}");
    let order = sqlx::query_scalar!(
        "SELECT s.order_id FROM subscription_periods p
         JOIN subscriptions s ON s.id = p.subscription_id WHERE p.id = $1",
        period
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(order) = order else {
        return Ok(Issued::Nothing);
    };
    if !lock_order(conn, order).await? {
        return Ok(Issued::Nothing);
    }
    if let Some(id) = existing(conn, &source).await? {
        return Ok(Issued::Existing(id));
    }
    let p = sqlx::query!(
        r#"SELECT s.order_id, p.reason, p.status, p.amount, s.plan_name, s.interval,
                  (p.paid_at AT TIME ZONE 'Europe/Berlin')::date AS "paid: NaiveDate",
                  (p.period_start AT TIME ZONE 'Europe/Berlin')::date AS "start: NaiveDate",
                  (p.period_end AT TIME ZONE 'Europe/Berlin')::date AS "end: NaiveDate"
           FROM subscription_periods p JOIN subscriptions s ON s.id = p.subscription_id
           WHERE p.id = $1"#,
        period
    )
    .fetch_optional(&mut *conn)
    .await?;
    // The first period is paid with the checkout: the order's invoice covers it.
    let Some(p) = p.filter(|p| p.status == "paid" && p.reason != "first" && p.amount > 0) else {
        return Ok(Issued::Nothing);
    };
    let Some(o) = gd_orders::load(conn, p.order_id).await? else {
        return Ok(Issued::Nothing);
    };
    let de = o.locale == gd_common::Locale::De;
    let paid = match p.paid {
        Some(d) => d,
        None => {
            sqlx::query_scalar!(
                r#"SELECT (now() AT TIME ZONE 'Europe/Berlin')::date AS "d!: NaiveDate""#
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    let from = p.start.unwrap_or(paid);
    let to = match p.end {
        Some(end) if end > from => end.pred_opt().unwrap_or(end),
        _ => {
            let months = if p.interval == "year" { 12 } else { 1 };
            from.checked_add_months(chrono::Months::new(months))
                .and_then(|d| d.pred_opt())
                .unwrap_or(from)
        }
    };
    let recurring: Vec<&gd_orders::OrderLine> = o
        .lines
        .iter()
        .filter(|l| l.period != Billing::OneOff)
        .collect();
    let plan_total: i64 = recurring.iter().map(|l| l.total.0).sum();
    // The plan's lines when the renewal charged what they cost; otherwise (the client
    // switched plans) one line for the plan as the gateway billed it.
    let lines: Vec<Line> = if plan_total == p.amount && !recurring.is_empty() {
        recurring
            .iter()
            .enumerate()
            .map(|(i, l)| Line {
                position: i as i32 + 1,
                name: l.name.clone(),
                details: details_of(l, de),
                quantity: i64::from(l.quantity),
                net: l.net.0,
                vat_rate_bp: rate_under(o.treatment, l.vat_rate_bp),
                vat: l.vat.0,
                total: l.total.0,
            })
            .collect()
    } else {
        let rate_bp = rate_under(
            o.treatment,
            recurring.first().map_or(1900, |l| l.vat_rate_bp),
        );
        let net = if rate_bp == 0 {
            p.amount
        } else {
            net_of(Cents(p.amount), crate::vat_rate(rate_bp)).0
        };
        vec![Line {
            position: 1,
            name: if p.plan_name.is_empty() {
                (if de { "Abonnement" } else { "Subscription" }).to_owned()
            } else {
                p.plan_name.clone()
            },
            details: (if de { "Verlängerung" } else { "Renewal" }).to_owned(),
            quantity: 1,
            net,
            vat_rate_bp: rate_bp,
            vat: p.amount - net,
            total: p.amount,
        }]
    };
    let draft = Draft {
        kind: Kind::Invoice,
        corrects: None,
        source,
        order_id: o.id,
        period_id: Some(period),
        payment_id: None,
        user_id: o.user_id,
        lang: o.locale.as_str().to_owned(),
        supplied_from: from,
        supplied_to: to.max(from),
        treatment: o.treatment,
        business: o.vat_id.is_some() || o.company.is_some(),
        buyer: buyer_of(&o),
        lines,
        paid_on: Some(paid),
        payment_method: payment_method(&o.gateway),
        note: String::new(),
    };
    Ok(Issued::New(finalize(conn, draft, settings).await?))
}

/// Splits `gross` over `rates` in proportion to their totals, each into net and VAT at its
/// rate. Each rate takes the whole cents of its share, the cents left over go one by one to
/// the rates with room, so no rate gets more than its total while `gross` is at most their
/// sum (a credit note for what is left of an invoice takes exactly what is left per rate).
pub fn split_gross(gross: i64, rates: &[RateSum]) -> Vec<RateSum> {
    let whole: i64 = rates.iter().map(|r| r.total.max(0)).sum();
    if rates.is_empty() || whole <= 0 {
        return vec![RateSum {
            rate_bp: 0,
            net: gross,
            vat: 0,
            total: gross,
        }];
    }
    let mut parts: Vec<i64> = rates
        .iter()
        .map(|r| (i128::from(gross) * i128::from(r.total.max(0)) / i128::from(whole)) as i64)
        .collect();
    let mut left = gross - parts.iter().sum::<i64>();
    while left > 0 {
        let before = left;
        for (part, r) in parts.iter_mut().zip(rates) {
            if left > 0 && *part < r.total {
                *part += 1;
                left -= 1;
            }
        }
        if left == before {
            // More than all rates hold (never for a capped credit note): the first takes it.
            parts[0] += left;
            left = 0;
        }
    }
    let mut out = Vec::with_capacity(rates.len());
    for (part, r) in parts.into_iter().zip(rates) {
        let net = if r.rate_bp == 0 {
            part
        } else {
            net_of(Cents(part), crate::vat_rate(r.rate_bp)).0
        };
        out.push(RateSum {
            rate_bp: r.rate_bp,
            net,
            vat: part - net,
            total: part,
        });
    }
    out.retain(|r| r.total > 0);
    out
}

/// The credit note of refund `payment` (a `payments` row of kind refund), correcting the
/// invoice of the payment it sends back: the checkout's invoice (one-off lines, a plan's
/// first period) or a renewal's period invoice, issued first when it is not yet. For the
/// refunded amount, but never more than what is left of that invoice after the credit notes
/// before (so they never add up to more than it). `reason` is printed.
///
/// A subscription that is cancelled or ends gets none: nothing paid goes back. Only a
/// refund does.
pub async fn credit_note(
    conn: &mut PgConnection,
    payment: Uuid,
    reason: Option<&str>,
    settings: &Settings,
) -> Result<Issued, InvoiceError> {
    let source = format!("refund:{payment}");
    let r = sqlx::query!(
        r#"SELECT r.order_id, r.amount, p.period_id AS "period_id?",
                  (r.created_at AT TIME ZONE 'Europe/Berlin')::date AS "on!: NaiveDate"
           FROM payments r LEFT JOIN payments p ON p.id = r.refund_of
           WHERE r.id = $1 AND r.kind = 'refund'"#,
        payment
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = r else {
        return Ok(Issued::Nothing);
    };
    // The order's lock orders the credit notes of its invoices: what is left of one is read
    // after the credit note before it committed.
    if !lock_order(conn, r.order_id).await? {
        return Ok(Issued::Nothing);
    }
    if let Some(id) = existing(conn, &source).await? {
        return Ok(Issued::Existing(id));
    }
    // A refund recorded before refunds named their payment refunds the checkout's.
    let corrected = match r.period_id {
        Some(period) => for_period(conn, period, settings).await?,
        None => for_order(conn, r.order_id, settings).await?,
    };
    let Some(invoice) = corrected.id() else {
        tracing::warn!(refund = %payment, "no invoice to correct: no credit note");
        return Ok(Issued::Nothing);
    };
    let base = sqlx::query!(
        r#"SELECT number, rates, period_id, supplied_from AS "supplied_from: NaiveDate",
                  supplied_to AS "supplied_to: NaiveDate", treatment, business, buyer, lang,
                  user_id, payment_method
           FROM invoices WHERE id = $1"#,
        invoice
    )
    .fetch_one(&mut *conn)
    .await?;
    let rates: Vec<RateSum> = serde_json::from_value(base.rates)
        .map_err(|e| InvoiceError::Invalid(format!("invoice rates: {e}")))?;
    let before = sqlx::query_scalar!(
        "SELECT rates FROM invoices WHERE corrects = $1 AND kind = 'credit_note'",
        invoice
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut left = rates;
    for earlier in before {
        let earlier: Vec<RateSum> = serde_json::from_value(earlier)
            .map_err(|e| InvoiceError::Invalid(format!("credit note rates: {e}")))?;
        for e in earlier {
            if let Some(l) = left.iter_mut().find(|l| l.rate_bp == e.rate_bp) {
                l.net -= e.net;
                l.vat -= e.vat;
                l.total -= e.total;
            }
        }
    }
    left.retain(|l| l.total > 0);
    let open: i64 = left.iter().map(|l| l.total).sum();
    let amount = r.amount.min(open);
    if amount < r.amount {
        // The gateway sent back more than this invoice has left (it charged more than we
        // invoiced): the credit note corrects what the invoice still holds.
        tracing::warn!(
            refund = %payment, invoice = %base.number, refunded = r.amount, left = open,
            "refund exceeds what is left of the invoice: credit note capped"
        );
    }
    if amount <= 0 {
        return Ok(Issued::Nothing);
    }
    let buyer: Party = serde_json::from_value(base.buyer)
        .map_err(|e| InvoiceError::Invalid(format!("invoice buyer: {e}")))?;
    let de = base.lang != "en";
    let name = if de {
        format!("Erstattung zu Rechnung {}", base.number)
    } else {
        format!("Refund for invoice {}", base.number)
    };
    let lines = split_gross(amount, &left)
        .into_iter()
        .map(
            |part| match left.iter().find(|l| l.rate_bp == part.rate_bp) {
                // All that is left of a rate: exactly its net and VAT, so that the credit notes
                // of a wholly refunded invoice add up to it to the cent.
                Some(l) if l.total == part.total && l.net >= 0 && l.vat >= 0 => *l,
                _ => part,
            },
        )
        .enumerate()
        .map(|(i, part)| Line {
            position: i as i32 + 1,
            name: name.clone(),
            details: if part.rate_bp == 0 {
                String::new()
            } else if de {
                format!("Anteil zu {} USt", crate::percent(part.rate_bp, true))
            } else {
                format!("Share at {} VAT", crate::percent(part.rate_bp, false))
            },
            quantity: 1,
            net: part.net,
            vat_rate_bp: part.rate_bp,
            vat: part.vat,
            total: part.total,
        })
        .collect();
    let note: String = reason.unwrap_or_default().chars().take(500).collect();
    let draft = Draft {
        kind: Kind::CreditNote,
        corrects: Some(invoice),
        source,
        order_id: r.order_id,
        period_id: base.period_id,
        payment_id: Some(payment),
        user_id: base.user_id,
        lang: base.lang,
        supplied_from: base.supplied_from,
        supplied_to: base.supplied_to,
        treatment: treatment_of(&base.treatment),
        business: base.business,
        buyer,
        lines,
        paid_on: Some(r.on),
        payment_method: base.payment_method,
        note,
    };
    Ok(Issued::New(finalize(conn, draft, settings).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(rate_bp: i32, total: i64) -> RateSum {
        let net = if rate_bp == 0 {
            total
        } else {
            net_of(Cents(total), crate::vat_rate(rate_bp)).0
        };
        RateSum {
            rate_bp,
            net,
            vat: total - net,
            total,
        }
    }

    #[test]
    fn a_refund_splits_over_the_invoices_rates() {
        // 2,22 € back of a 19 % invoice: 1,87 € net and 0,35 € VAT.
        assert_eq!(split_gross(222, &[rate(1900, 890)]), vec![rate(1900, 222)]);
        // Half of an invoice with 19 % and 7 % parts: each rate its share, nothing lost.
        let parts = split_gross(1000, &[rate(1900, 1500), rate(700, 500)]);
        assert_eq!(parts.iter().map(|p| p.total).sum::<i64>(), 1000);
        assert_eq!(parts[0].total, 750);
        assert_eq!(parts[1], rate(700, 250));
        // Shares rounded down, the cents left over go where there is room: no rate ever gets
        // more than it holds (199 of 201 at 100 + 100 + 1).
        let parts = split_gross(199, &[rate(1900, 100), rate(700, 100), rate(0, 1)]);
        assert_eq!(parts.iter().map(|p| p.total).collect::<Vec<_>>(), [100, 99]);
        let parts = split_gross(200, &[rate(1900, 100), rate(700, 100), rate(0, 1)]);
        assert_eq!(
            parts.iter().map(|p| p.total).collect::<Vec<_>>(),
            [100, 100]
        );
        // No VAT (reverse charge, small business): all net.
        assert_eq!(
            split_gross(500, &[rate(0, 800)]),
            vec![RateSum {
                rate_bp: 0,
                net: 500,
                vat: 0,
                total: 500
            }]
        );
    }

    #[test]
    fn rates_sum_the_lines() {
        let line = |rate_bp, net, vat| Line {
            position: 1,
            name: String::new(),
            details: String::new(),
            quantity: 1,
            net,
            vat_rate_bp: rate_bp,
            vat,
            total: net + vat,
        };
        let rates = rates_of(&[line(700, 100, 7), line(1900, 100, 19), line(1900, 200, 38)]);
        assert_eq!(rates[0].rate_bp, 1900);
        assert_eq!((rates[0].net, rates[0].vat, rates[0].total), (300, 57, 357));
        assert_eq!((rates[1].net, rates[1].vat), (100, 7));
    }

    #[test]
    fn a_unit_price_keeps_four_places() {
        let l = Line {
            position: 1,
            name: String::new(),
            details: String::new(),
            quantity: 3,
            net: 2518,
            vat_rate_bp: 1900,
            vat: 479,
            total: 2997,
        };
        // 25,18 € / 3 = 8,3933 €.
        assert_eq!(l.unit_net_e4(), 83_933);
    }
}
