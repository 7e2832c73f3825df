//! Who may call what. Every server function and every page is listed here with the access it
//! needs; the server functions enforce it themselves (`require_user`, `require_role`), and the
//! test `server/tests/access.rs` walks everything registered, fails on anything missing from
//! this list, and checks that anonymous callers, wrong roles and right roles get 401, 403 and
//! an answer.

use gd_common::Role;

/// What a caller needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// A signed-in user holding this role; `admin` and `finance` also need two-factor sign-in
    /// set up (403 until it is).
    Role(Role),
    /// A signed-in user holding any of these roles (each with its two-factor rule).
    AnyRole(&'static [Role]),
    /// Machine to machine: the request's own credential is its guard (a payment gateway's
    /// signature, an API key), not a session. Without it: 400 or 401.
    Credential,
}

/// Who works on orders: admins, and finance for refunds.
pub const ORDER_DESK: Access = Access::AnyRole(&[Role::Admin, Role::Finance]);

/// Who works on the money: finance, and admins who may look.
pub const FINANCE_DESK: Access = Access::AnyRole(&[Role::Finance, Role::Admin]);

/// Server functions, by path.
pub const SERVER_FNS: &[(&str, Access)] = &[
    ("/api/submit_lead", Access::Public),
    ("/api/shop_catalog", Access::Public),
    ("/api/shop_product", Access::Public),
    // Rate limited per address (each call may cost the agency's Instagram quota).
    ("/api/check_handle", Access::Public),
    // A guest's cart lives in their session; a line of someone else's cart is a 404.
    ("/api/current_cart", Access::Public),
    ("/api/cart_add", Access::Public),
    ("/api/cart_set_quantity", Access::Public),
    ("/api/cart_remove", Access::Public),
    // Exists only on a local installation without SMTP (404 elsewhere).
    ("/api/list_outbox", Access::Public),
    ("/api/sign_up", Access::Public),
    ("/api/verify_email", Access::Public),
    ("/api/log_in", Access::Public),
    ("/api/request_password_reset", Access::Public),
    ("/api/resend_verification", Access::Public),
    ("/api/reset_password", Access::Public),
    ("/api/log_out", Access::SignedIn),
    ("/api/current_account", Access::SignedIn),
    ("/api/my_sessions", Access::SignedIn),
    ("/api/change_password", Access::SignedIn),
    ("/api/request_email_change", Access::SignedIn),
    ("/api/request_account_deletion", Access::SignedIn),
    ("/api/end_other_sessions", Access::SignedIn),
    ("/api/login_providers", Access::Public),
    ("/api/unlink_login", Access::SignedIn),
    // The second step of a sign-in: answers only a session that passed the first.
    ("/api/verify_login_code", Access::Public),
    ("/api/two_factor_status", Access::SignedIn),
    // Starting, renewing codes and turning off also need a proof from the last ten minutes.
    ("/api/start_two_factor", Access::SignedIn),
    ("/api/confirm_two_factor", Access::SignedIn),
    ("/api/new_recovery_codes", Access::SignedIn),
    ("/api/disable_two_factor", Access::SignedIn),
    ("/api/reauthenticate", Access::SignedIn),
    ("/api/admin_list_users", Access::Role(Role::Admin)),
    ("/api/admin_set_role", Access::Role(Role::Admin)),
    ("/api/admin_audit_log", Access::Role(Role::Admin)),
    ("/api/legal_page", Access::Public),
    ("/api/blog_posts", Access::Public),
    ("/api/blog_post", Access::Public),
    ("/api/admin_pages", Access::Role(Role::Admin)),
    ("/api/admin_page", Access::Role(Role::Admin)),
    ("/api/admin_save_page", Access::Role(Role::Admin)),
    ("/api/admin_products", Access::Role(Role::Admin)),
    ("/api/admin_product", Access::Role(Role::Admin)),
    ("/api/admin_save_product", Access::Role(Role::Admin)),
    ("/api/admin_set_price", Access::Role(Role::Admin)),
    ("/api/admin_publish_product", Access::Role(Role::Admin)),
    ("/api/admin_set_bundle", Access::Role(Role::Admin)),
    ("/api/admin_remove_image", Access::Role(Role::Admin)),
    ("/api/checkout_summary", Access::SignedIn),
    ("/api/start_checkout", Access::SignedIn),
    // Makes an account inside the checkout (rate limited per address, like sign-up).
    ("/api/checkout_sign_up", Access::Public),
    // Someone else's order is a 404.
    ("/api/my_order", Access::SignedIn),
    // The caller's own invoices (another's order: 404).
    ("/api/my_invoices", Access::SignedIn),
    ("/api/finance_invoices", FINANCE_DESK),
    ("/api/finance_overview", FINANCE_DESK),
    ("/api/finance_retry_sync", FINANCE_DESK),
    ("/api/my_orders", Access::SignedIn),
    ("/api/analytics_accounts", Access::SignedIn),
    ("/api/analytics_connect_demo", Access::SignedIn),
    // Someone else's account is a 404 (admins may open any client's dashboard).
    ("/api/analytics_disconnect", Access::SignedIn),
    ("/api/analytics_sync_now", Access::SignedIn),
    ("/api/analytics_dashboard", Access::SignedIn),
    ("/api/admin_analytics", Access::Role(Role::Admin)),
    ("/api/admin_alert_seen", Access::Role(Role::Admin)),
    // Someone else's subscription is a 404.
    ("/api/my_subscriptions", Access::SignedIn),
    ("/api/change_subscription", Access::SignedIn),
    ("/api/subscription_portal", Access::SignedIn),
    ("/api/admin_orders", ORDER_DESK),
    ("/api/admin_order", ORDER_DESK),
    ("/api/admin_move_order", Access::Role(Role::Admin)),
    ("/api/admin_refund_order", ORDER_DESK),
    ("/api/admin_message_client", ORDER_DESK),
    ("/api/admin_fulfilment", Access::Role(Role::Admin)),
    ("/api/admin_fulfilment_claim", Access::Role(Role::Admin)),
    ("/api/admin_fulfilment_note", Access::Role(Role::Admin)),
    ("/api/admin_fulfilment_complete", Access::Role(Role::Admin)),
    ("/api/admin_fulfilment_decide", Access::Role(Role::Admin)),
    ("/api/admin_fulfilment_refilled", Access::Role(Role::Admin)),
    ("/api/admin_providers", Access::Role(Role::Admin)),
    ("/api/admin_add_provider", Access::Role(Role::Admin)),
    ("/api/admin_sync_provider", Access::Role(Role::Admin)),
    ("/api/admin_switch_provider", Access::Role(Role::Admin)),
    ("/api/admin_set_route", Access::Role(Role::Admin)),
    ("/api/admin_remove_route", Access::Role(Role::Admin)),
    // Someone else's fulfilment is a 404.
    ("/api/request_refill", Access::SignedIn),
    ("/api/admin_jobs", Access::Role(Role::Admin)),
    ("/api/admin_retry_job", Access::Role(Role::Admin)),
    ("/api/admin_cancel_job", Access::Role(Role::Admin)),
    ("/api/admin_mail_preview", Access::Role(Role::Admin)),
    ("/api/admin_order_mails", ORDER_DESK),
    ("/api/admin_person_mails", Access::Role(Role::Admin)),
];

/// Pages. A page whose data needs sign-in answers 401 (with a sign-in link) to anonymous
/// visitors; its server functions do the checking.
pub const PAGES: &[(&str, Access)] = &[
    ("/", Access::Public),
    ("/en", Access::Public),
    ("/dev/outbox", Access::Public),
    ("/shop", Access::Public),
    ("/en/shop", Access::Public),
    // A product on sale (the access test opens a demo product); others are a 404.
    ("/shop/{slug}", Access::Public),
    ("/en/shop/{slug}", Access::Public),
    ("/cart", Access::Public),
    // A published legal page (the access test opens the demo Impressum); others are a 404.
    ("/legal/{slug}", Access::Public),
    ("/en/legal/{slug}", Access::Public),
    ("/blog", Access::Public),
    ("/en/blog", Access::Public),
    // A published post (the access test opens a demo post); others are a 404.
    ("/blog/{slug}", Access::Public),
    ("/en/blog/{slug}", Access::Public),
    ("/en/cart", Access::Public),
    ("/login", Access::Public),
    ("/en/login", Access::Public),
    ("/signup", Access::Public),
    ("/en/signup", Access::Public),
    ("/verify-email", Access::Public),
    ("/en/verify-email", Access::Public),
    ("/forgot-password", Access::Public),
    ("/en/forgot-password", Access::Public),
    ("/reset-password", Access::Public),
    ("/en/reset-password", Access::Public),
    ("/login/code", Access::Public),
    ("/en/login/code", Access::Public),
    ("/account", Access::SignedIn),
    ("/en/account", Access::SignedIn),
    ("/account/two-factor", Access::SignedIn),
    ("/en/account/two-factor", Access::SignedIn),
    // Anonymous visitors get 401 with the form that makes an account right there.
    ("/checkout", Access::SignedIn),
    ("/en/checkout", Access::SignedIn),
    ("/portal", Access::SignedIn),
    ("/en/portal", Access::SignedIn),
    ("/portal/orders", Access::SignedIn),
    ("/en/portal/orders", Access::SignedIn),
    ("/portal/subscriptions", Access::SignedIn),
    ("/en/portal/subscriptions", Access::SignedIn),
    ("/portal/invoices", Access::SignedIn),
    ("/en/portal/invoices", Access::SignedIn),
    ("/portal/analytics", Access::SignedIn),
    ("/en/portal/analytics", Access::SignedIn),
    ("/admin/analytics", Access::Role(Role::Admin)),
    ("/en/admin/analytics", Access::Role(Role::Admin)),
    ("/finance", FINANCE_DESK),
    ("/en/finance", FINANCE_DESK),
    ("/finance/reports", FINANCE_DESK),
    ("/en/finance/reports", FINANCE_DESK),
    // Someone else's order is a 404.
    ("/portal/orders/{id}", Access::SignedIn),
    ("/en/portal/orders/{id}", Access::SignedIn),
    ("/admin/users", Access::Role(Role::Admin)),
    ("/en/admin/users", Access::Role(Role::Admin)),
    ("/admin/audit", Access::Role(Role::Admin)),
    ("/en/admin/audit", Access::Role(Role::Admin)),
    ("/admin/pages", Access::Role(Role::Admin)),
    ("/en/admin/pages", Access::Role(Role::Admin)),
    ("/admin/pages/{id}", Access::Role(Role::Admin)),
    ("/en/admin/pages/{id}", Access::Role(Role::Admin)),
    ("/admin/catalog", Access::Role(Role::Admin)),
    ("/en/admin/catalog", Access::Role(Role::Admin)),
    ("/admin/jobs", Access::Role(Role::Admin)),
    ("/en/admin/jobs", Access::Role(Role::Admin)),
    ("/admin/mail", Access::Role(Role::Admin)),
    ("/en/admin/mail", Access::Role(Role::Admin)),
    ("/admin/fulfilment", Access::Role(Role::Admin)),
    ("/en/admin/fulfilment", Access::Role(Role::Admin)),
    ("/admin/providers", Access::Role(Role::Admin)),
    ("/en/admin/providers", Access::Role(Role::Admin)),
    ("/admin/orders", ORDER_DESK),
    ("/en/admin/orders", ORDER_DESK),
    // An order that does not exist is a 404.
    ("/admin/orders/{id}", ORDER_DESK),
    ("/en/admin/orders/{id}", ORDER_DESK),
    ("/admin/catalog/{id}", Access::Role(Role::Admin)),
    ("/en/admin/catalog/{id}", Access::Role(Role::Admin)),
];

/// Plain HTTP endpoints outside Leptos: method, path (axum's template), access.
pub const ENDPOINTS: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    // For crawlers: written from the catalog in memory.
    ("GET", "/robots.txt", Access::Public),
    ("GET", "/sitemap.xml", Access::Public),
    // Open only while METRICS_TOKEN is unset (local); with it, a bearer token is needed.
    ("GET", "/metrics", Access::Public),
    // Starts a provider sign-in for anyone; `intent=link` needs a signed-in user (anonymous
    // visitors are sent to the sign-in page instead).
    ("POST", "/auth/{provider}/start", Access::Public),
    // The provider's way back; only a round trip this session started is accepted.
    ("GET", "/auth/{provider}/callback", Access::Public),
    // Product images and other stored files, by their content-addressed key.
    ("GET", "/media/{*key}", Access::Public),
    // An image upload (multipart form) to a product.
    (
        "POST",
        "/admin/catalog/{id}/images",
        Access::Role(Role::Admin),
    ),
    // A proof (image or PDF, multipart form) on fulfilment `id`, and a proof's file by its
    // note's id: admins only, never under `/media`.
    (
        "POST",
        "/admin/fulfilment/{id}/proof",
        Access::Role(Role::Admin),
    ),
    (
        "GET",
        "/admin/fulfilment/proofs/{id}",
        Access::Role(Role::Admin),
    ),
    // An invoice's PDF or XML: its client, finance and admins (anyone else: 404).
    ("GET", "/documents/invoices/{id}/{file}", Access::SignedIn),
    // The accountant's exports of a period (invoices.csv, datev.csv): finance and admins.
    ("GET", "/documents/finance/{file}", FINANCE_DESK),
    // Connecting an Instagram account: to Instagram's sign-in and back (only a round trip
    // this session started is accepted).
    ("POST", "/connect/instagram/start", Access::SignedIn),
    ("GET", "/connect/instagram/callback", Access::SignedIn),
    // New numbers of an account, as server-sent events: its client and admins (else 404).
    ("GET", "/events/analytics", Access::SignedIn),
    // An account's series, posts or posting hours as CSV: its client and admins (else 404).
    ("GET", "/documents/analytics/{id}/{file}", Access::SignedIn),
    // Stripe's (or the test gateway's) events: the signature over the body is the guard.
    ("POST", "/webhooks/stripe", Access::Credential),
    // The test gateway (only without a Stripe key): its API answers our own Stripe client
    // and needs its API key, as Stripe's does; its hosted page is for the tester.
    (
        "POST",
        "/test-gateway/v1/checkout/sessions",
        Access::Credential,
    ),
    (
        "GET",
        "/test-gateway/v1/checkout/sessions/{id}",
        Access::Credential,
    ),
    ("GET", "/test-gateway/pay/{id}", Access::Public),
    ("POST", "/test-gateway/pay/{id}", Access::Public),
    ("POST", "/test-gateway/v1/prices", Access::Credential),
    (
        "GET",
        "/test-gateway/v1/subscriptions/{id}",
        Access::Credential,
    ),
    (
        "POST",
        "/test-gateway/v1/subscriptions/{id}",
        Access::Credential,
    ),
    ("GET", "/test-gateway/v1/invoices/{id}", Access::Credential),
    // Which invoice a payment intent paid (a refunded subscription payment's).
    (
        "GET",
        "/test-gateway/v1/invoice_payments",
        Access::Credential,
    ),
    ("GET", "/test-gateway/v1/refunds", Access::Credential),
    ("POST", "/test-gateway/v1/refunds", Access::Credential),
    (
        "POST",
        "/test-gateway/v1/billing_portal/sessions",
        Access::Credential,
    ),
    // The test billing portal: whoever holds a portal session's address (made for a signed-in
    // client by `/api/subscription_portal`), as with Stripe's portal links.
    ("GET", "/test-gateway/billing/{id}", Access::Public),
    ("POST", "/test-gateway/billing/{id}", Access::Public),
];

/// Writes that no browser makes, so the same-origin guard does not apply: their credential
/// (a signature, an API key) is their guard.
pub fn outside_same_origin_guard(path: &str) -> bool {
    path == "/webhooks/stripe" || path.starts_with("/test-gateway/v1/")
}

/// Public pages whose HTML may be kept by the visitor's browser (revalidated on every use)
/// when nobody is signed in. Every other answer but the hashed assets is `no-store`.
pub const CACHEABLE_PAGES: &[&str] = &["/", "/en"];

/// Pages that carry a secret in their URL (a verification or reset token, a provider's
/// authorization code): they send no `Referer` anywhere.
pub fn carries_token_in_url(path: &str) -> bool {
    let path = path.strip_prefix("/en").unwrap_or(path);
    matches!(path, "/verify-email" | "/reset-password")
        || (path.starts_with("/auth/") && path.ends_with("/callback"))
}

pub fn server_fn_access(path: &str) -> Option<Access> {
    SERVER_FNS.iter().find(|(p, _)| *p == path).map(|(_, a)| *a)
}
