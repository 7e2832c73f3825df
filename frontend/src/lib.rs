//! The WASM entry point: takes over the server-rendered page and makes it interactive.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // hydrate_lazy: the outbox route is lazy-loaded (split off the main bundle).
    leptos::mount::hydrate_lazy(app::App);
}
