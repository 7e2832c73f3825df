//! Fulfilment server functions: the admins' work list (manual tasks, held lines, refills by
//! hand, stuck orders) and its steps; providers, their services and the routes from products
//! to services.

use gd_pricing::Cents;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One fulfilment as the admin and the client see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartView {
    pub id: String,
    pub order_id: String,
    pub order_number: i64,
    /// A renewal's cycle (false: the order's first delivery).
    pub renewal: bool,
    pub title: String,
    pub target: String,
    pub quantity: i64,
    /// `manual` or `provider`.
    pub method: String,
    pub provider: Option<String>,
    pub service: Option<String>,
    pub status: String,
    pub hold_reason: Option<String>,
    pub error: Option<String>,
    pub external_ref: Option<String>,
    pub provider_status: Option<String>,
    pub start_count: Option<i64>,
    pub remains: Option<i64>,
    pub paid_net: Cents,
    pub cost_estimate: Option<Cents>,
    pub claimed_by: Option<String>,
    /// The last refill's status, if one was asked for.
    pub refill: Option<String>,
    /// Whether the client may ask for a refill now.
    pub refillable: bool,
    pub created: String,
    pub updated: String,
    /// The admins' notes and proofs, oldest first (the work list only).
    pub notes: Vec<NoteView>,
}

/// A note, or a proof with its note, on a fulfilment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteView {
    pub at: String,
    pub author: Option<String>,
    pub body: String,
    /// The proof's address (`/admin/fulfilment/proofs/{note}`) and its file name.
    pub proof: Option<(String, String)>,
    /// Whether the proof is an image (shown as a thumbnail).
    pub image: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckOrder {
    pub id: String,
    pub number: i64,
    pub since: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkView {
    pub parts: Vec<PartView>,
    pub stuck: Vec<StuckOrder>,
    pub stuck_hours: i64,
}

/// What needs people now: held lines first, then manual tasks and lines at providers; and
/// orders in fulfilment without change for longer than the configured time.
#[server(prefix = "/api", endpoint = "admin_fulfilment")]
pub async fn admin_fulfilment() -> Result<WorkView, AppError> {
    server::work().await
}

/// The signed-in admin takes manual task `id` (409 when someone else was quicker).
#[server(prefix = "/api", endpoint = "admin_fulfilment_claim")]
pub async fn admin_fulfilment_claim(#[server(default)] id: String) -> Result<(), AppError> {
    server::claim(&id).await
}

/// A note on fulfilment `id` (1 to 2,000 characters).
#[server(prefix = "/api", endpoint = "admin_fulfilment_note")]
pub async fn admin_fulfilment_note(
    #[server(default)] id: String,
    #[server(default)] body: String,
) -> Result<(), AppError> {
    server::note(&id, &body).await
}

/// Finishes manual task `id` with `delivered` units (empty: all): completed, or partial
/// with the rest suggested for a refund. The order follows; the client is mailed.
#[server(prefix = "/api", endpoint = "admin_fulfilment_complete")]
pub async fn admin_fulfilment_complete(
    #[server(default)] id: String,
    #[server(default)] delivered: String,
) -> Result<(), AppError> {
    server::complete(&id, &delivered).await
}

/// Decides about held line `id`: `send` (to its provider), `reference` (the provider has it
/// as order `reference`), `manual` (deliver by hand), `cancel` (not delivered: refund it).
#[server(prefix = "/api", endpoint = "admin_fulfilment_decide")]
pub async fn admin_fulfilment_decide(
    #[server(default)] id: String,
    #[server(default)] decision: String,
    #[server(default)] reference: String,
) -> Result<(), AppError> {
    server::decide(&id, &decision, &reference).await
}

/// Marks the refill of manual fulfilment `id` as done.
#[server(prefix = "/api", endpoint = "admin_fulfilment_refilled")]
pub async fn admin_fulfilment_refilled(#[server(default)] id: String) -> Result<(), AppError> {
    server::refilled(&id).await
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRow {
    pub id: String,
    pub name: String,
    pub api_url: String,
    pub currency: String,
    /// Euro per unit of its currency ("1", "0.92").
    pub eur_per_unit: String,
    pub enabled: bool,
    /// In its currency, with its decimals ("987.65432 EUR").
    pub balance: Option<String>,
    pub synced: Option<String>,
    pub services: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRow {
    /// `provider id/service id`: what a route form sends.
    pub key: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierMargin {
    pub amount: i64,
    pub price: Cents,
    pub cost: Cents,
    /// The provider's cost exceeds the tier's price net of its VAT: lines are held.
    pub loss: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRow {
    pub product_id: String,
    pub product: String,
    pub speed: String,
    pub provider: String,
    pub service: String,
    pub available: bool,
    pub guarantee_days: i32,
    pub tiers: Vec<TierMargin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvidersView {
    pub providers: Vec<ProviderRow>,
    pub services: Vec<ServiceRow>,
    pub routes: Vec<RouteRow>,
    /// Products that can be routed: (id, name).
    pub products: Vec<(String, String)>,
}

#[server(prefix = "/api", endpoint = "admin_providers")]
pub async fn admin_providers() -> Result<ProvidersView, AppError> {
    server::providers().await
}

/// Adds a provider speaking the SMM panel API v2; its services are synced at once.
#[server(prefix = "/api", endpoint = "admin_add_provider")]
pub async fn admin_add_provider(
    #[server(default)] name: String,
    #[server(default)] api_url: String,
    #[server(default)] api_key: String,
    #[server(default)] currency: String,
    #[server(default)] eur_per_unit: String,
) -> Result<(), AppError> {
    server::add_provider(name, api_url, api_key, currency, eur_per_unit).await
}

/// Reads provider `id`'s services and balance again. 409 with the provider's words when it
/// does not answer.
#[server(prefix = "/api", endpoint = "admin_sync_provider")]
pub async fn admin_sync_provider(#[server(default)] id: String) -> Result<(), AppError> {
    server::sync(&id).await
}

/// Switches provider `id` on (`enabled` = "true") or off.
#[server(prefix = "/api", endpoint = "admin_switch_provider")]
pub async fn admin_switch_provider(
    #[server(default)] id: String,
    #[server(default)] enabled: String,
) -> Result<(), AppError> {
    server::switch(&id, enabled == "true").await
}

/// Routes `product` (at `speed`, empty for every speed) to `service` (`provider id/service
/// id`), with the refill guarantee in days.
#[server(prefix = "/api", endpoint = "admin_set_route")]
pub async fn admin_set_route(
    #[server(default)] product: String,
    #[server(default)] speed: String,
    #[server(default)] service: String,
    #[server(default)] guarantee_days: String,
) -> Result<(), AppError> {
    server::set_route(&product, &speed, &service, &guarantee_days).await
}

#[server(prefix = "/api", endpoint = "admin_remove_route")]
pub async fn admin_remove_route(
    #[server(default)] product: String,
    #[server(default)] speed: String,
) -> Result<(), AppError> {
    server::remove_route(&product, &speed).await
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use gd_common::{FieldIssue, IssueCode, Role};
    use gd_fulfilment::tasks::{Decision, Part, TaskRefused};
    use uuid::Uuid;

    use super::*;
    use crate::context::{begin, commit, require_role, server_context};
    use crate::error::Conflict;

    const STAMP: &str = "%d.%m.%Y %H:%M UTC";

    fn id_of(id: &str) -> Result<Uuid, AppError> {
        Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
    }

    fn failed(e: gd_fulfilment::FulfilmentError) -> AppError {
        match e {
            gd_fulfilment::FulfilmentError::NotFound => AppError::NotFound,
            other => AppError::internal(other),
        }
    }

    fn invalid(field: &str, code: IssueCode) -> AppError {
        AppError::Validation {
            issues: vec![FieldIssue::new(field, code)],
            echo: Default::default(),
        }
    }

    fn refused(r: TaskRefused) -> AppError {
        match r {
            TaskRefused::NotNow => AppError::Conflict(Conflict::TaskChanged),
            TaskRefused::Quantity => invalid("delivered", IssueCode::OutOfRange),
            TaskRefused::Note => invalid("body", IssueCode::Required),
        }
    }

    /// The parts' view; `refill_now` says whether a client may ask for a refill.
    pub(crate) fn view(p: Part) -> PartView {
        let refillable = p.refill_offered
            && !matches!(p.refill.as_deref(), Some("requested" | "submitted"))
            && gd_fulfilment::refills::may_refill(
                &p.status,
                p.finished_at,
                p.guarantee_days,
                true,
                chrono::Utc::now(),
            )
            .is_ok();
        PartView {
            id: p.id.to_string(),
            order_id: p.order_id.to_string(),
            order_number: p.order_number,
            renewal: p.period_id.is_some(),
            title: p.title,
            target: p.target,
            quantity: p.quantity,
            method: p.method,
            provider: p.provider,
            service: p.service,
            status: p.status,
            hold_reason: p.hold_reason,
            error: p.error,
            external_ref: p.external_ref,
            provider_status: p.provider_status,
            start_count: p.start_count,
            remains: p.remains,
            paid_net: Cents(p.paid_net),
            cost_estimate: p.cost_estimate.map(Cents),
            claimed_by: p.claimed_by,
            refill: p.refill,
            refillable,
            created: p.created_at.format(STAMP).to_string(),
            updated: p.updated_at.format(STAMP).to_string(),
            notes: Vec::new(),
        }
    }

    /// A part's view with its notes and proofs.
    pub(crate) fn with_notes(p: Part, notes: Vec<gd_fulfilment::tasks::Note>) -> PartView {
        let mut v = view(p);
        v.notes = notes.into_iter().map(note_view).collect();
        v
    }

    fn note_view(n: gd_fulfilment::tasks::Note) -> NoteView {
        let image = n
            .file_type
            .as_deref()
            .is_some_and(|t| t.starts_with("image/"));
        NoteView {
            at: n.at.format(STAMP).to_string(),
            author: n.author,
            body: n.body,
            proof: n.file_key.map(|_| {
                (
                    format!("/admin/fulfilment/proofs/{}", n.id),
                    n.file_name.unwrap_or_default(),
                )
            }),
            image,
        }
    }

    pub async fn work() -> Result<WorkView, AppError> {
        require_role(Role::Admin).await?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let parts = gd_fulfilment::tasks::open(&mut conn, 300)
            .await
            .map_err(failed)?;
        let hours = ctx.config.fulfilment_stuck_hours;
        let stuck = gd_fulfilment::tasks::stuck(&mut conn, hours)
            .await
            .map_err(failed)?;
        let ids: Vec<Uuid> = parts.iter().map(|p| p.id).collect();
        let mut notes = gd_fulfilment::tasks::notes_of(&mut conn, &ids)
            .await
            .map_err(failed)?;
        Ok(WorkView {
            parts: parts
                .into_iter()
                .map(|p| {
                    let these = notes.remove(&p.id).unwrap_or_default();
                    with_notes(p, these)
                })
                .collect(),
            stuck: stuck
                .into_iter()
                .map(|(id, number, since)| StuckOrder {
                    id: id.to_string(),
                    number,
                    since: since.format(STAMP).to_string(),
                })
                .collect(),
            stuck_hours: hours,
        })
    }

    pub async fn claim(id: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id_of(id)?;
        let mut tx = begin().await?;
        gd_fulfilment::tasks::claim(&mut tx, id, admin.id)
            .await
            .map_err(failed)?
            .map_err(refused)?;
        commit(tx).await
    }

    pub async fn note(id: &str, body: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id_of(id)?;
        let mut tx = begin().await?;
        gd_fulfilment::tasks::add_note(&mut tx, id, admin.id, body, None)
            .await
            .map_err(failed)?
            .map_err(refused)?;
        commit(tx).await
    }

    pub async fn complete(id: &str, delivered: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id_of(id)?;
        let delivered = if delivered.trim().is_empty() {
            None
        } else {
            Some(
                delivered
                    .trim()
                    .replace('.', "")
                    .parse::<i64>()
                    .map_err(|_| invalid("delivered", IssueCode::InvalidNumber))?,
            )
        };
        let mut tx = begin().await?;
        gd_fulfilment::tasks::complete(&mut tx, id, admin.id, delivered)
            .await
            .map_err(failed)?
            .map_err(refused)?;
        commit(tx).await
    }

    pub async fn decide(id: &str, decision: &str, reference: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id_of(id)?;
        let decision = match decision.trim() {
            "send" => Decision::Send,
            "reference" => {
                let reference = reference.trim();
                if reference.is_empty() || reference.len() > 40 {
                    return Err(invalid("reference", IssueCode::Required));
                }
                Decision::Reference(reference.to_owned())
            }
            "manual" => Decision::Manual,
            "cancel" => Decision::Cancel,
            _ => return Err(invalid("decision", IssueCode::NotOffered)),
        };
        let mut tx = begin().await?;
        gd_fulfilment::tasks::decide(&mut tx, id, admin.id, decision)
            .await
            .map_err(failed)?
            .map_err(refused)?;
        commit(tx).await
    }

    pub async fn refilled(id: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id_of(id)?;
        let mut tx = begin().await?;
        gd_fulfilment::tasks::complete_refill(&mut tx, id, admin.id)
            .await
            .map_err(failed)?
            .map_err(refused)?;
        commit(tx).await
    }

    fn decimals(micros: i64) -> String {
        let sign = if micros < 0 { "-" } else { "" };
        let m = micros.unsigned_abs();
        let frac = format!("{:06}", m % 1_000_000);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            format!("{sign}{}", m / 1_000_000)
        } else {
            format!("{sign}{}.{frac}", m / 1_000_000)
        }
    }

    pub async fn providers() -> Result<ProvidersView, AppError> {
        require_role(Role::Admin).await?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let providers = gd_fulfilment::setup::providers(&mut conn)
            .await
            .map_err(failed)?;
        let services = gd_fulfilment::setup::services(&mut conn)
            .await
            .map_err(failed)?;
        let routes = gd_fulfilment::setup::routes(&mut conn)
            .await
            .map_err(failed)?;
        let products = gd_fulfilment::setup::routable_products(&mut conn)
            .await
            .map_err(failed)?;
        Ok(ProvidersView {
            providers: providers
                .into_iter()
                .map(|p| ProviderRow {
                    id: p.id.to_string(),
                    name: p.name,
                    api_url: p.api_url,
                    eur_per_unit: decimals(p.eur_per_unit_micros),
                    balance: p
                        .balance_micros
                        .map(|b| format!("{} {}", decimals(b), p.currency)),
                    currency: p.currency,
                    enabled: p.enabled,
                    synced: p.services_synced_at.map(|t| t.format(STAMP).to_string()),
                    services: p.services,
                    last_error: p.last_error,
                })
                .collect(),
            services: services
                .into_iter()
                .map(|s| ServiceRow {
                    key: format!("{}/{}", s.provider_id, s.service),
                    label: format!(
                        "{} · {} · {} ({} / 1.000, {}–{})",
                        s.provider,
                        s.service,
                        s.name,
                        decimals(s.rate_micros),
                        s.min_quantity,
                        s.max_quantity
                    ),
                })
                .collect(),
            routes: routes
                .into_iter()
                .map(|r| RouteRow {
                    product_id: r.product_id.to_string(),
                    product: r.product,
                    speed: r.speed_key,
                    provider: r.provider,
                    service: format!("{} · {}", r.service, r.service_name),
                    available: r.available,
                    guarantee_days: r.guarantee_days,
                    tiers: r
                        .tiers
                        .into_iter()
                        .map(|t| TierMargin {
                            amount: t.amount,
                            price: Cents(t.gross),
                            cost: Cents(t.cost),
                            loss: t.loss(),
                        })
                        .collect(),
                })
                .collect(),
            products: products
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect(),
        })
    }

    pub async fn add_provider(
        name: String,
        api_url: String,
        api_key: String,
        currency: String,
        eur_per_unit: String,
    ) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let input = gd_fulfilment::setup::ProviderInput {
            name,
            kind: String::new(),
            api_url,
            api_key,
            currency,
            eur_per_unit,
        };
        let mut tx = begin().await?;
        let id = gd_fulfilment::setup::add_provider(&mut tx, &input, admin.id)
            .await
            .map_err(failed)?
            .map_err(|issues| AppError::Validation {
                issues,
                echo: [
                    ("name".to_owned(), input.name.clone()),
                    ("api_url".to_owned(), input.api_url.clone()),
                    ("currency".to_owned(), input.currency.clone()),
                    ("eur_per_unit".to_owned(), input.eur_per_unit.clone()),
                ]
                .into_iter()
                .collect(),
            })?;
        commit(tx).await?;
        // A provider that does not answer yet is still added; its error shows in the list.
        let _ = sync_now(id).await;
        Ok(())
    }

    async fn sync_now(id: Uuid) -> Result<(), AppError> {
        let ctx = server_context()?;
        gd_fulfilment::setup::sync(&ctx.pool, gd_fulfilment::providers::http(), id)
            .await
            .map_err(failed)?
            .map_err(|why| {
                tracing::warn!(provider = %id, error = %why, "provider sync failed");
                AppError::Conflict(Conflict::ProviderUnavailable)
            })?;
        Ok(())
    }

    pub async fn sync(id: &str) -> Result<(), AppError> {
        require_role(Role::Admin).await?;
        sync_now(id_of(id)?).await
    }

    pub async fn switch(id: &str, enabled: bool) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let id = id_of(id)?;
        let mut tx = begin().await?;
        gd_fulfilment::setup::set_enabled(&mut tx, id, enabled, admin.id)
            .await
            .map_err(failed)?;
        commit(tx).await
    }

    pub async fn set_route(
        product: &str,
        speed: &str,
        service: &str,
        guarantee_days: &str,
    ) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let product = id_of(product).map_err(|_| invalid("product", IssueCode::Required))?;
        let (provider, service_id) = service
            .split_once('/')
            .and_then(|(p, s)| Some((Uuid::parse_str(p).ok()?, s.to_owned())))
            .ok_or_else(|| invalid("service", IssueCode::Required))?;
        let days = if guarantee_days.trim().is_empty() {
            30
        } else {
            guarantee_days
                .trim()
                .parse::<i32>()
                .map_err(|_| invalid("guarantee_days", IssueCode::InvalidNumber))?
        };
        let mut tx = begin().await?;
        gd_fulfilment::setup::set_route(
            &mut tx,
            product,
            speed.trim(),
            provider,
            &service_id,
            days,
            admin.id,
        )
        .await
        .map_err(failed)?
        .map_err(|issues| AppError::Validation {
            issues,
            echo: Default::default(),
        })?;
        commit(tx).await
    }

    pub async fn remove_route(product: &str, speed: &str) -> Result<(), AppError> {
        let admin = require_role(Role::Admin).await?;
        let product = id_of(product)?;
        let mut tx = begin().await?;
        gd_fulfilment::setup::remove_route(&mut tx, product, speed.trim(), admin.id)
            .await
            .map_err(failed)?;
        commit(tx).await
    }
}
