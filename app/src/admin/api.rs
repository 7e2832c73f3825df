//! Admin server functions. All need the `admin` role.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use gd_common::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub verified: bool,
    pub locked: bool,
    pub roles: Vec<Role>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub action: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub ip: Option<String>,
    pub details: String,
}

#[cfg(feature = "ssr")]
pub(crate) async fn admin() -> Result<(crate::context::ServerContext, gd_accounts::User), AppError>
{
    let user = crate::context::require_role(Role::Admin).await?;
    Ok((crate::context::server_context()?, user))
}

/// Accounts, newest first, filtered by part of the email. Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_list_users")]
pub async fn admin_list_users(
    #[server(default)] search: String,
) -> Result<Vec<UserSummary>, AppError> {
    let (ctx, _) = admin().await?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let users = gd_accounts::list_users(&mut conn, &search, 100)
        .await
        .map_err(AppError::internal)?;
    Ok(users
        .into_iter()
        .map(|u| UserSummary {
            id: u.id.to_string(),
            email: u.email,
            verified: u.email_verified_at.is_some(),
            locked: u.locked,
            roles: u.roles.clone(),
            created_at: u.created_at.format("%d.%m.%Y %H:%M").to_string(),
        })
        .collect())
}

/// Grants (`grant` = "true") or revokes a role. Needs `admin`; recorded in the audit log.
#[server(prefix = "/api", endpoint = "admin_set_role")]
pub async fn admin_set_role(
    #[server(default)] user_id: String,
    #[server(default)] role: String,
    #[server(default)] grant: String,
) -> Result<(), AppError> {
    let (_, me) = admin().await?;
    // Granting a role hands out power: it needs a recent proof of who is asking.
    if grant == "true" {
        crate::context::require_recent_auth().await?;
    }
    let invalid = |field: &str| AppError::Validation {
        issues: vec![crate::error::FieldIssue {
            field: field.to_owned(),
            code: crate::error::IssueCode::Required,
            max: None,
        }],
        echo: Default::default(),
    };
    let user = uuid::Uuid::parse_str(&user_id).map_err(|_| invalid("user_id"))?;
    let role = Role::parse(&role).ok_or_else(|| invalid("role"))?;
    // An admin cannot take away their own admin role (someone else must).
    if user == me.id && role == Role::Admin && grant != "true" {
        return Err(AppError::Conflict(crate::error::Conflict::OwnAdminRole));
    }
    let mut tx = crate::context::begin().await?;
    let result = if grant == "true" {
        gd_accounts::grant_role(&mut tx, Some(me.id), user, role).await
    } else {
        gd_accounts::revoke_role(&mut tx, Some(me.id), user, role).await
    };
    result.map_err(|e| match e {
        gd_accounts::AccountError::NotFound => AppError::NotFound,
        gd_accounts::AccountError::LastAdmin => {
            AppError::Conflict(crate::error::Conflict::LastAdmin)
        }
        other => AppError::internal(other),
    })?;
    crate::context::commit(tx).await
}

/// The newest audit entries, optionally only one kind (`login`, `role`, `password`, …).
/// Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_audit_log")]
pub async fn admin_audit_log(#[server(default)] action: String) -> Result<Vec<AuditRow>, AppError> {
    let (ctx, _) = admin().await?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let filter = gd_accounts::AuditFilter {
        action_prefix: Some(action.trim().to_owned()).filter(|a| !a.is_empty()),
        limit: 200,
        ..Default::default()
    };
    let entries = gd_accounts::list_audit(&mut conn, &filter)
        .await
        .map_err(AppError::internal)?;
    Ok(entries
        .into_iter()
        .map(|e| AuditRow {
            id: e.id,
            at: e.at.format("%d.%m.%Y %H:%M:%S").to_string(),
            action: e.action,
            actor: e.actor_id.map(|a| a.to_string()),
            subject: e.subject_id.map(|s| s.to_string()),
            ip: e.ip,
            details: e.details.to_string(),
        })
        .collect())
}
