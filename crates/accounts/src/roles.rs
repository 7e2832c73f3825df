//! Roles: `client` (every signed-up customer), `admin` (catalog, orders, people), `finance`
//! (invoices, payments, exports). A user may hold several.

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

pub use gd_common::Role;

use crate::{record, AccountError, AuditEvent};

/// Gives `user` the `role` (no-op if held) and records who did it.
pub async fn grant_role(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    user: Uuid,
    role: Role,
) -> Result<(), AccountError> {
    change_role(conn, actor, user, role, true).await
}

/// Takes `role` away from `user` (no-op if not held) and records who did it.
pub async fn revoke_role(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    user: Uuid,
    role: Role,
) -> Result<(), AccountError> {
    change_role(conn, actor, user, role, false).await
}

/// One transaction: the change, and its audit entry if anything changed.
async fn change_role(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    user: Uuid,
    role: Role,
    grant: bool,
) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    if !grant && role == Role::Admin {
        keep_an_active_admin(&mut tx, user).await?;
    }
    let query = if grant {
        sqlx::query!(
            "INSERT INTO user_roles (user_id, role, granted_by) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, role) DO NOTHING",
            user,
            role.as_str(),
            actor
        )
    } else {
        sqlx::query!(
            "DELETE FROM user_roles WHERE user_id = $1 AND role = $2",
            user,
            role.as_str()
        )
    };
    let changed = query
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            AccountError::on_constraint(e, crate::Constraint::ForeignKey, AccountError::NotFound)
        })?
        .rows_affected();
    if changed > 0 {
        let action = if grant { "role.grant" } else { "role.revoke" };
        let details = serde_json::json!({ "role": role.as_str() });
        record(
            &mut tx,
            &AuditEvent::new(action)
                .actor(actor)
                .subject(user)
                .details(details),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Refuses a change that would leave no active (unlocked) admin: `leaving` is about to lose
/// the admin role or be locked. Serialised by an advisory lock held until the caller's
/// transaction ends, so two admins removing each other at once cannot both succeed.
pub(crate) async fn keep_an_active_admin(
    conn: &mut PgConnection,
    leaving: Uuid,
) -> Result<(), AccountError> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended('accounts:active_admins', 0))")
        .execute(&mut *conn)
        .await?;
    let counts = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE u.id = $1) > 0 AS "leaving_is_admin!",
                  count(*) FILTER (WHERE u.id <> $1) AS "others!"
           FROM user_roles r JOIN users u ON u.id = r.user_id
           WHERE r.role = 'admin' AND u.locked_at IS NULL"#,
        leaving
    )
    .fetch_one(&mut *conn)
    .await?;
    let (leaving_is_admin, others) = (counts.leaving_is_admin, counts.others);
    if leaving_is_admin && others == 0 {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}
