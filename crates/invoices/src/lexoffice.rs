//! The Lexoffice (Lexware Office) public API, as far as the bookkeeping sync needs it:
//! contacts (created, read, updated with optimistic locking by `version`), bookkeeping
//! vouchers for the invoices we issue ourselves (`salesinvoice`, `salescreditnote`; looked up
//! by our number, since the API has no idempotency key), the PDF attached to a voucher, the
//! payment state of a voucher, and the posting categories.
//!
//! Every call is paced by a [`Pacer`] (Lexoffice allows about two requests per second per
//! client, across all endpoints). Answers are read leniently (numbers may come as strings);
//! errors come in three documented shapes and one seen in the wild, all read into
//! [`LexError`] with the service's message.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

/// What went wrong talking to Lexoffice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    /// 429: the call was not performed; it may be repeated.
    #[error("Lexoffice: too many requests")]
    RateLimited,
    /// 409: the record changed meanwhile (a stale `version`).
    #[error("Lexoffice: the record changed meanwhile")]
    Conflict,
    /// 401, 402, 403: the key is wrong, lacks a scope, or the contract does not allow it.
    #[error("Lexoffice refused the key ({status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// 400, 404, 406 …: the request itself was refused (a validation error, say).
    #[error("Lexoffice refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// 5xx, a timeout, no connection: the call may or may not have been performed.
    #[error("Lexoffice not reached: {0}")]
    Unavailable(String),
    /// A 2xx answer we cannot read.
    #[error("Lexoffice's answer is unreadable: {0}")]
    Unreadable(String),
}

impl LexError {
    /// Whether trying again later may help (rather than a person having to look).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LexError::RateLimited | LexError::Conflict | LexError::Unavailable(_)
        )
    }
}

/// The message of an error answer, from whichever shape it has: the legacy
/// `{"IssueList": [{i18nKey, source, type}]}` (contacts, files, vouchers), the regular
/// `{timestamp, status, error, path, traceId, message, details: [{violation, field,
/// message}]}`, a bare issue `{i18nKey, source}`, the gateway's `{"message": …}`; else the
/// text itself.
pub fn error_message(body: &str) -> String {
    let text = body.trim();
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return text.chars().take(300).collect();
    };
    let issue = |i: &Value| {
        let key = i["i18nKey"].as_str().unwrap_or("issue");
        match (i["source"].as_str(), i["type"].as_str()) {
            (Some(source), Some(kind)) => format!("{key} ({kind}): {source}"),
            (Some(source), None) => format!("{key}: {source}"),
            (None, Some(kind)) => format!("{key} ({kind})"),
            (None, None) => key.to_owned(),
        }
    };
    if let Some(issues) = v["IssueList"].as_array() {
        return issues.iter().map(issue).collect::<Vec<_>>().join("; ");
    }
    if v.get("traceId").is_some() || v.get("details").is_some() {
        let mut parts: Vec<String> = Vec::new();
        if let Some(m) = v["message"].as_str() {
            parts.push(m.to_owned());
        }
        for d in v["details"].as_array().into_iter().flatten() {
            parts.push(format!(
                "{}: {} ({})",
                d["field"].as_str().unwrap_or("?"),
                d["message"].as_str().unwrap_or(""),
                d["violation"].as_str().unwrap_or("")
            ));
        }
        if let Some(trace) = v["traceId"].as_str() {
            parts.push(format!("trace {trace}"));
        }
        return parts.join("; ");
    }
    if v.get("i18nKey").is_some() {
        return issue(&v);
    }
    match v.get("message") {
        Some(Value::String(m)) => m.clone(),
        Some(Value::Null) => "no message".to_owned(),
        _ => text.chars().take(300).collect(),
    }
}

/// A number Lexoffice sent as a number or as a string ("1337.00").
fn lenient_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What a create or update answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Saved {
    pub id: String,
    #[serde(default)]
    pub version: i64,
}

/// A voucher's payment state.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// balanced, openRevenue, openExpense.
    pub status: String,
    /// open, paid, paidoff, voided, …
    pub voucher_status: String,
    /// Always positive; the direction is in `status`.
    pub open_amount: f64,
    /// `yyyy-mm-dd` of the last payment, when paid.
    pub paid_date: Option<String>,
}

/// A posting category.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// Spaces calls so that all of them together stay under Lexoffice's limit: each call takes
/// the next free slot. [`Pacer::local`] paces one process; the sync gives every worker process
/// the same database-backed pacing (see `crate::sync`).
pub trait Pacer: Send + Sync {
    /// Waits for this call's slot.
    fn wait(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>>;
}

/// One process's pacing: at most one call per `spacing`.
pub struct LocalPacer {
    spacing: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl LocalPacer {
    pub fn new(spacing: Duration) -> Self {
        LocalPacer {
            spacing,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }
}

/// The slot of a call made at `now` when the next free one is `next`; moves `next` on.
fn take_slot(
    next: &mut tokio::time::Instant,
    now: tokio::time::Instant,
    spacing: Duration,
) -> tokio::time::Instant {
    let slot = (*next).max(now);
    *next = slot + spacing;
    slot
}

impl Pacer for LocalPacer {
    fn wait(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let slot = {
                let mut next = self.next.lock().await;
                take_slot(&mut next, tokio::time::Instant::now(), self.spacing)
            };
            tokio::time::sleep_until(slot).await;
        })
    }
}

/// A client of one Lexoffice account.
pub struct Client<'p> {
    http: reqwest::Client,
    base: String,
    key: String,
    pacer: &'p dyn Pacer,
}

/// How often a call is tried when Lexoffice answers 429 (each try waits for its slot and a
/// growing pause).
const RATE_LIMIT_TRIES: u32 = 4;

impl<'p> Client<'p> {
    pub fn new(base: &str, key: &str, pacer: &'p dyn Pacer) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Client {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            pacer,
        }
    }

    /// Sends the request `build` makes (again after a 429, which Lexoffice did not perform),
    /// and reads a 2xx answer's body.
    async fn call(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<String, LexError> {
        let mut pause = Duration::from_millis(500);
        for attempt in 1..=RATE_LIMIT_TRIES {
            self.pacer.wait().await;
            let res = build(&self.http)
                .bearer_auth(&self.key)
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| LexError::Unavailable(e.to_string()))?;
            let status = res.status().as_u16();
            let body = res
                .text()
                .await
                .map_err(|e| LexError::Unavailable(e.to_string()))?;
            match status {
                200..=299 => return Ok(body),
                429 if attempt < RATE_LIMIT_TRIES => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                429 => return Err(LexError::RateLimited),
                409 => return Err(LexError::Conflict),
                401..=403 => {
                    return Err(LexError::Unauthorized {
                        status,
                        message: error_message(&body),
                    })
                }
                400..=499 => {
                    return Err(LexError::Refused {
                        status,
                        message: error_message(&body),
                    })
                }
                _ => {
                    return Err(LexError::Unavailable(format!(
                        "{status}: {}",
                        error_message(&body)
                    )))
                }
            }
        }
        Err(LexError::RateLimited)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn read<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, LexError> {
        serde_json::from_str(body).map_err(|e| LexError::Unreadable(e.to_string()))
    }

    /// Creates a contact (`version` 0 is added).
    pub async fn create_contact(&self, contact: &Value) -> Result<Saved, LexError> {
        let mut body = contact.clone();
        body["version"] = json!(0);
        let url = self.url("/contacts");
        Self::read(&self.call(|h| h.post(&url).json(&body)).await?)
    }

    /// A contact as Lexoffice has it (with its `version`).
    pub async fn contact(&self, id: &str) -> Result<Value, LexError> {
        let url = self.url(&format!("/contacts/{id}"));
        Self::read(&self.call(|h| h.get(&url)).await?)
    }

    /// Replaces contact `id` with `contact` at `version`: [`LexError::Conflict`] when it
    /// changed meanwhile.
    pub async fn update_contact(
        &self,
        id: &str,
        version: i64,
        contact: &Value,
    ) -> Result<Saved, LexError> {
        let mut body = contact.clone();
        body["version"] = json!(version);
        let url = self.url(&format!("/contacts/{id}"));
        Self::read(&self.call(|h| h.put(&url).json(&body)).await?)
    }

    /// The customer contact with this email address, if there is one.
    pub async fn contact_by_email(&self, email: &str) -> Result<Option<Saved>, LexError> {
        let url = self.url("/contacts");
        // Search strings are HTML-escaped, then URL-encoded (reqwest does the second).
        let escaped = email
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let body = self
            .call(|h| {
                h.get(&url)
                    .query(&[("email", escaped.as_str()), ("customer", "true")])
            })
            .await?;
        let page: Value = Self::read(&body)?;
        Ok(page["content"]
            .as_array()
            .and_then(|c| c.first())
            .and_then(|c| {
                Some(Saved {
                    id: c["id"].as_str()?.to_owned(),
                    version: c["version"].as_i64().unwrap_or_default(),
                })
            }))
    }

    /// The voucher with our number `number`, if Lexoffice has one (how a create whose answer
    /// was lost is found again).
    pub async fn voucher_by_number(&self, number: &str) -> Result<Option<String>, LexError> {
        let url = self.url("/voucherlist");
        let body = self
            .call(|h| {
                h.get(&url).query(&[
                    ("voucherType", "salesinvoice,salescreditnote"),
                    ("voucherStatus", "any"),
                    ("voucherNumber", number),
                ])
            })
            .await?;
        let page: Value = Self::read(&body)?;
        Ok(page["content"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["voucherNumber"].as_str() == Some(number))
            .and_then(|v| v["id"].as_str())
            .map(str::to_owned))
    }

    /// Creates a bookkeeping voucher.
    pub async fn create_voucher(&self, voucher: &Value) -> Result<Saved, LexError> {
        let url = self.url("/vouchers");
        Self::read(&self.call(|h| h.post(&url).json(voucher)).await?)
    }

    /// Attaches `pdf` to voucher `id` (Lexoffice keeps one copy of the same file).
    pub async fn attach_file(&self, id: &str, name: &str, pdf: &[u8]) -> Result<(), LexError> {
        let url = self.url(&format!("/vouchers/{id}/files"));
        self.call(|h| {
            let part = reqwest::multipart::Part::bytes(pdf.to_vec())
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .unwrap_or_else(|_| reqwest::multipart::Part::bytes(pdf.to_vec()));
            h.post(&url)
                .multipart(reqwest::multipart::Form::new().part("file", part))
        })
        .await
        .map(|_| ())
    }

    /// Where voucher `id`'s payment stands.
    pub async fn payment(&self, id: &str) -> Result<Payment, LexError> {
        let url = self.url(&format!("/payments/{id}"));
        let v: Value = Self::read(&self.call(|h| h.get(&url)).await?)?;
        Ok(Payment {
            status: v["paymentStatus"].as_str().unwrap_or_default().to_owned(),
            voucher_status: v["voucherStatus"].as_str().unwrap_or_default().to_owned(),
            open_amount: lenient_number(&v["openAmount"]).unwrap_or_default(),
            paid_date: v["paidDate"].as_str().map(|d| d.chars().take(10).collect()),
        })
    }

    /// The account's posting categories.
    pub async fn categories(&self) -> Result<Vec<Category>, LexError> {
        let url = self.url("/posting-categories");
        Self::read(&self.call(|h| h.get(&url)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_take_the_next_free_slot() {
        let spacing = Duration::from_millis(550);
        let t0 = tokio::time::Instant::now();
        let mut next = t0;
        // Three calls at once: now, +550 ms, +1,100 ms.
        let slots: Vec<_> = (0..3).map(|_| take_slot(&mut next, t0, spacing)).collect();
        assert_eq!(slots, vec![t0, t0 + spacing, t0 + 2 * spacing]);
        // A call long after the last slot goes at once.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(take_slot(&mut next, later, spacing), later);
        assert_eq!(next, later + spacing);
    }

    #[test]
    fn numbers_may_come_as_strings() {
        assert_eq!(lenient_number(&json!("1337.00")), Some(1337.0));
        assert_eq!(lenient_number(&json!(12.5)), Some(12.5));
        assert_eq!(lenient_number(&json!(null)), None);
    }
}
