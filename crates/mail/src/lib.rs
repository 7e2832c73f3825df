//! Outgoing mail behind one small trait, [`Mailer`], with two real implementations:
//! [`SmtpMailer`] (lettre over SMTP, used when `SMTP_HOST` is set) and [`OutboxMailer`] (lettre's
//! file transport: one `.eml` file per mail in a local folder, listed by the outbox page).
//! Every mail's words come from [`templates`] (German and English, text and HTML from one
//! source); [`outbox::deliver`] sends them at most once per key and records each delivery.

pub mod outbox;
pub mod templates;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use gd_config::{Config, SmtpSecurity};
use lettre::message::{header::ContentType, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// One mail to one recipient: plain text, and an HTML alternative when there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub reply_to: Option<String>,
    /// The mail's own id: its Message-ID is `<id@the sender's domain>`; the same mail sent
    /// again keeps it, so mail clients show it once.
    pub message_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address `{address}`: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot write to the outbox: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
    #[error("outbox I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Template(#[from] templates::TemplateError),
    #[error("delivery record: {0}")]
    Database(#[from] sqlx::Error),
    /// Another run of the same job is sending this mail right now: try again later.
    #[error("the mail is being sent by another run")]
    InFlight,
}

/// A send's outcome: the receiving side's answer ("250 2.0.0 Ok: queued as …").
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<String, MailError>> + Send + 'a>>;

/// Something that delivers mail.
pub trait Mailer: Send + Sync {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a>;
    /// A short human description for logs and the UI ("SMTP mail.example.com:587").
    fn describe(&self) -> String;
}

/// Picks SMTP when configured, the outbox folder otherwise.
pub fn from_config(config: &Config) -> Result<Arc<dyn Mailer>, MailError> {
    let from = parse_mailbox(&config.mail_from)?;
    Ok(match &config.smtp {
        Some(smtp) => {
            let builder = match smtp.security {
                SmtpSecurity::None => {
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
                }
                SmtpSecurity::StartTls => {
                    AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
                }
                SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
            };
            let mut builder = builder.port(smtp.port);
            if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                builder = builder
                    .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
            }
            Arc::new(SmtpMailer {
                transport: builder.build(),
                from,
                description: format!("SMTP {}:{}", smtp.host, smtp.port),
            })
        }
        None => Arc::new(OutboxMailer::new(&config.outbox_dir, from)?),
    })
}

fn parse_mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address {
            address: address.to_owned(),
            reason: e.to_string(),
        })
}

fn build(from: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
    let mut builder = Message::builder()
        .from(from.clone())
        .to(parse_mailbox(&mail.to)?)
        .subject(mail.subject.clone());
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(parse_mailbox(reply_to)?);
    }
    if let Some(id) = &mail.message_id {
        builder = builder.message_id(Some(format!("<{id}@{}>", from.email.domain())));
    }
    Ok(match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.body.clone(),
            html.clone(),
        ))?,
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?,
    })
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    description: String,
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(async move {
            let message = build(&self.from, mail)?;
            let response = self.transport.send(message).await?;
            let words: Vec<&str> = response.message().collect();
            Ok(format!("{} {}", response.code(), words.join(" ")))
        })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }
}

/// The local default: mail is written to a folder instead of being sent.
pub struct OutboxMailer {
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
    from: Mailbox,
}

impl OutboxMailer {
    pub fn new(dir: &Path, from: Mailbox) -> Result<Self, MailError> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            transport: AsyncFileTransport::new(dir),
            from,
        })
    }
}

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(async move {
            let message = build(&self.from, mail)?;
            let id = self.transport.send(message).await?;
            tracing::info!(outbox = %self.dir.display(), %id, "mail written to the local outbox");
            Ok(format!("written to the local outbox as {id}.eml"))
        })
    }

    fn describe(&self) -> String {
        format!("local outbox {}", self.dir.display())
    }
}

/// A mail found in the outbox folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub date: DateTime<Utc>,
    pub body: String,
}

/// The newest `limit` mails of the outbox, newest first. A missing folder is an empty outbox.
pub async fn read_outbox(dir: &Path, limit: usize) -> Result<Vec<OutboxMail>, MailError> {
    let mut entries = match tokio::fs::read_dir(dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut files = Vec::new();
    while let Some(entry) = entries.next_entry().await? {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "eml") {
            let modified = entry.metadata().await?.modified()?;
            files.push((DateTime::<Utc>::from(modified), path));
        }
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut mails = Vec::new();
    for (modified, path) in files.into_iter().take(limit) {
        let raw = tokio::fs::read(&path).await?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        mails.push(parse_eml(id, modified, &raw));
    }
    Ok(mails)
}

fn parse_eml(id: String, modified: DateTime<Utc>, raw: &[u8]) -> OutboxMail {
    let parsed = mail_parser::MessageParser::default().parse(raw);
    let address = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .map(|a| match (a.name(), a.address()) {
                (Some(n), Some(addr)) => format!("{n} <{addr}>"),
                (None, Some(addr)) => addr.to_owned(),
                (Some(n), None) => n.to_owned(),
                (None, None) => String::new(),
            })
            .unwrap_or_default()
    };
    match parsed {
        Some(m) => OutboxMail {
            id,
            from: address(m.from()),
            to: address(m.to()),
            subject: m.subject().unwrap_or_default().to_owned(),
            date: m
                .date()
                .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0))
                .unwrap_or(modified),
            body: m.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
        },
        None => OutboxMail {
            id,
            from: String::new(),
            to: String::new(),
            subject: "(unreadable mail file)".into(),
            date: modified,
            body: String::from_utf8_lossy(raw).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn outbox_writes_one_file_per_mail_and_reads_them_back() {
        let dir = std::env::temp_dir().join(format!("gd-outbox-{}", uuid::Uuid::new_v4()));
        let from = parse_mailbox("Growthdesk <hello@growthdesk.localhost>").unwrap();
        let mailer = OutboxMailer::new(&dir, from).unwrap();
        for n in 1..=2 {
            mailer
                .send(&Mail {
                    to: "Jörg Müller <joerg@example.de>".into(),
                    subject: format!("Grüße Nr. {n}"),
                    body: "Schöne Grüße aus Köln – äöüß".into(),
                    ..Mail::default()
                })
                .await
                .unwrap();
            // distinct modification times keep the order deterministic
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let mails = read_outbox(&dir, 10).await.unwrap();
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].subject, "Grüße Nr. 2");
        assert_eq!(mails[0].to, "Jörg Müller <joerg@example.de>");
        assert!(
            mails[0].body.contains("Schöne Grüße aus Köln – äöüß"),
            "{}",
            mails[0].body
        );
        assert_eq!(read_outbox(&dir, 1).await.unwrap().len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn missing_outbox_is_empty() {
        let dir = std::env::temp_dir().join("gd-outbox-does-not-exist");
        assert!(read_outbox(&dir, 10).await.unwrap().is_empty());
    }

    #[test]
    fn bad_recipient_is_a_clear_error() {
        let from = parse_mailbox("a@b.de").unwrap();
        let err = build(
            &from,
            &Mail {
                to: "nope".into(),
                subject: "s".into(),
                body: "b".into(),
                ..Mail::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("invalid address `nope`"));
    }
}
