//! The WASM entry point: takes over the server-rendered page and makes it interactive.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Readable panic messages in the console during development; release builds leave the
    // formatting code out (it costs several kB of the first load).
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // hydrate_lazy: pages other than the landing page are lazy routes (split off the bundle).
    leptos::mount::hydrate_lazy(app::App);
}
