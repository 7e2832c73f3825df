use leptos::prelude::*;
use leptos_meta::Title;

use super::Layout;
use crate::i18n::Lang;

/// Any unknown address: a real 404, in the language of the path.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    let lang = Lang::of_path(
        &leptos_router::hooks::use_location()
            .pathname
            .get_untracked(),
    );
    let t = lang.t();
    view! {
        <Title text=t.not_found_title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-2xl px-4 py-28 text-center">
                <p class="text-6xl font-extrabold text-fuchsia-600">"404"</p>
                <h1 class="mt-4 text-2xl font-bold text-slate-900">{t.not_found_title}</h1>
                <p class="mt-2 text-slate-600">{t.not_found_text}</p>
                <a href=lang.home() rel=super::islands::crossing(super::islands::here_is_storefront(), lang.home()) class="mt-8 inline-block font-semibold text-fuchsia-700 hover:underline">{t.back_home}</a>
            </section>
        </Layout>
    }
}
