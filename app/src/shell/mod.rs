//! The HTML document, the routes, the shared layout and the not-found page.

mod layout;
mod not_found;
mod viewer;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, StaticSegment};

pub use layout::Layout;
pub use not_found::NotFound;
pub use viewer::Viewer;

use crate::admin::{AdminAuditPage, AdminUsersPage};
use crate::auth::{
    AccountPage, ForgotPasswordPage, LoginPage, ResetPasswordPage, SignUpPage, VerifyEmailPage,
};
use crate::i18n::Lang;
use crate::landing::Landing;
use crate::outbox::OutboxPage;

/// The whole HTML document, rendered on the server around [`App`].
pub fn html_document(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="de">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                {viewer::page_viewer().map(|v| view! { <meta name="gd-viewer" content=v.encode()/> })}
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-white text-slate-800 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets tests (and curious people) tell when the page has become interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=StaticSegment("") view=|| view! { <Landing lang=Lang::De/> }/>
                <Route path=StaticSegment("en") view=|| view! { <Landing lang=Lang::En/> }/>
                <Route path=(StaticSegment("dev"), StaticSegment("outbox")) view={Lazy::<OutboxPage>::new()}/>
                <Route path=StaticSegment("login") view={Lazy::<LoginPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("login")) view={Lazy::<LoginPage>::new()}/>
                <Route path=StaticSegment("signup") view={Lazy::<SignUpPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("signup")) view={Lazy::<SignUpPage>::new()}/>
                <Route path=StaticSegment("verify-email") view={Lazy::<VerifyEmailPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("verify-email")) view={Lazy::<VerifyEmailPage>::new()}/>
                <Route path=StaticSegment("forgot-password") view={Lazy::<ForgotPasswordPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("forgot-password")) view={Lazy::<ForgotPasswordPage>::new()}/>
                <Route path=StaticSegment("reset-password") view={Lazy::<ResetPasswordPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("reset-password")) view={Lazy::<ResetPasswordPage>::new()}/>
                <Route path=StaticSegment("account") view={Lazy::<AccountPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("account")) view={Lazy::<AccountPage>::new()}/>
                <Route path=(StaticSegment("admin"), StaticSegment("users")) view={Lazy::<AdminUsersPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("admin"), StaticSegment("users")) view={Lazy::<AdminUsersPage>::new()}/>
                <Route path=(StaticSegment("admin"), StaticSegment("audit")) view={Lazy::<AdminAuditPage>::new()}/>
                <Route path=(StaticSegment("en"), StaticSegment("admin"), StaticSegment("audit")) view={Lazy::<AdminAuditPage>::new()}/>
            </Routes>
        </Router>
    }
}
