//! Keeps each piece of static data (texts above all) in its own WASM data segment, so that
//! `cargo leptos build --split` can move the data only a lazy page uses into that page's
//! chunk. wasm-ld merges all read-only data into one segment when it optimises, and the
//! splitter then leaves the whole of it in the main module: every lazy page's texts were part
//! of the storefront's first load (cargo-leptos issue 679; measured in docs/BENCHMARKS.md).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch.starts_with("wasm")) {
        println!("cargo:rustc-link-arg-cdylib=--no-merge-data-segments");
    }
}
