//! The audit log: append-only (the database refuses UPDATE, DELETE and TRUNCATE on it).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// One thing that happened. Build with [`AuditEvent::new`] and the setters.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub action: &'static str,
    pub actor: Option<Uuid>,
    pub subject: Option<Uuid>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// `action` is a dotted name: `login.success`, `login.failure`, `role.grant`, …
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            actor: None,
            subject: None,
            ip: None,
            details: serde_json::json!({}),
        }
    }

    /// Something a person did to their own account: actor and subject are both `user`.
    pub fn own(action: &'static str, user: Uuid) -> Self {
        Self::new(action).actor(Some(user)).subject(user)
    }

    pub fn actor(mut self, actor: Option<Uuid>) -> Self {
        self.actor = actor;
        self
    }

    pub fn subject(mut self, subject: Uuid) -> Self {
        self.subject = Some(subject);
        self
    }

    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

pub async fn record(conn: &mut PgConnection, event: &AuditEvent) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, action, subject_id, ip, details) VALUES ($1, $2, $3, $4, $5)",
        event.actor,
        event.action,
        event.subject,
        event.ip.as_deref(),
        &event.details
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject_id: Option<Uuid>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

/// Which entries to list: newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// `login` matches `login.success` and `login.failure`.
    pub action_prefix: Option<String>,
    /// Entries where this user acted or was acted upon.
    pub user: Option<Uuid>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list_audit(
    conn: &mut PgConnection,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as!(
        AuditEntry,
        r#"SELECT id, at AS "at: _", actor_id, action, subject_id, ip, details FROM audit_log
           WHERE ($1::text IS NULL OR action = $1 OR action LIKE $1 || '.%')
             AND ($2::uuid IS NULL OR actor_id = $2 OR subject_id = $2)
             AND ($3::bigint IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $4"#,
        filter.action_prefix.as_deref(),
        filter.user,
        filter.before_id,
        filter.limit.clamp(1, 500)
    )
    .fetch_all(conn)
    .await
}
