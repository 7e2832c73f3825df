//! Roles: `client` (every signed-up customer), `admin` (catalog, orders, people), `finance`
//! (invoices, payments, exports). A user may hold several.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{record, AccountError, AuditEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Client,
    Admin,
    Finance,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Client, Role::Admin, Role::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Admin => "admin",
            Role::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Gives `user` the `role` (no-op if held) and records who did it.
pub async fn grant_role(
    pool: &PgPool,
    actor: Option<Uuid>,
    user: Uuid,
    role: Role,
) -> Result<(), AccountError> {
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO user_roles (user_id, role, granted_by) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, role) DO NOTHING",
    )
    .bind(user)
    .bind(role.as_str())
    .bind(actor)
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => AccountError::NotFound,
        _ => AccountError::Database(e),
    })?
    .rows_affected();
    if inserted > 0 {
        record(
            &mut tx,
            &AuditEvent::new("role.grant")
                .actor(actor)
                .subject(user)
                .details(serde_json::json!({ "role": role.as_str() })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes `role` away from `user` (no-op if not held) and records who did it.
pub async fn revoke_role(
    pool: &PgPool,
    actor: Option<Uuid>,
    user: Uuid,
    role: Role,
) -> Result<(), AccountError> {
    let mut tx = pool.begin().await?;
    let removed = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
        .bind(user)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if removed > 0 {
        record(
            &mut tx,
            &AuditEvent::new("role.revoke")
                .actor(actor)
                .subject(user)
                .details(serde_json::json!({ "role": role.as_str() })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_round_trip_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
