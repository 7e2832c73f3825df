//! Lead capture: the "talk to us" form on the landing page.
//!
//! This crate owns the rules for what a valid lead is ([`parse`]), how it is stored together
//! with the job that mails it ([`submit`]), when a second submission is the same lead, the
//! words of the two mails it causes, and its job: [`LeadReceived`], handled by
//! [`deliver_mails`]. It knows nothing of Leptos, axum or apalis.

mod input;
mod mails;
mod store;

pub use input::{
    parse, Email, Field, FieldIssue, InstagramHandle, IssueCode, LeadInput, Locale, Message,
    NewLead, PersonName, Problem,
};
pub use mails::{confirmation_mail, notification_mail, LeadMail};
pub use store::{load, mark_confirmation_sent, mark_notification_sent, submit, Lead, Submission};

/// What can go wrong with leads beyond bad input.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    #[error("the submitted form is invalid")]
    Invalid(Vec<FieldIssue>),
    #[error("lead {0} does not exist")]
    NotFound(uuid::Uuid),
    #[error(transparent)]
    Enqueue(#[from] gd_jobs::EnqueueError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

mod deliver;
pub use deliver::{deliver_mails, DeliverError, Delivery, LeadReceived};
