//! The WASM entry point: takes over the server-rendered page and makes it interactive.
//!
//! Two kinds of page share this one module. Storefront pages are islands pages (marked by
//! `<meta name="gd-mode" content="islands">`): only their islands hydrate, and the code of
//! the fully hydrated app never loads there. Every other page hydrates the whole app, whose
//! code is a lazy chunk of its own.

use leptos::prelude::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panic messages in the console during development; release builds leave the
    // formatting code out (it costs several kB of the first load).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    let islands = document()
        .query_selector(r#"meta[name="gd-mode"][content="islands"]"#)
        .ok()
        .flatten()
        .is_some();
    if islands {
        // Sets up the reactive root; Leptos's loader then hydrates each island in order.
        leptos::mount::hydrate_islands();
    } else {
        wasm_bindgen_futures::spawn_local(hydrate_app());
    }
}

/// The fully hydrated app, loaded only by the pages that need it. Its own pages are lazy
/// routes again, split further.
#[lazy]
async fn hydrate_app() {
    leptos::mount::hydrate_lazy(app::App);
}
