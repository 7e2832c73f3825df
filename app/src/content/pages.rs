//! `/legal/{slug}`: a legal page (Impressum, Datenschutzerklärung, AGB, Widerrufsbelehrung).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use super::api::legal_page;
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::Loaded;

/// A legal page (a storefront page, see `shop::storefront_page`).
pub(crate) fn legal_page_view() -> AnyView {
    legal_view().into_any()
}

fn legal_view() -> impl IntoView {
    let lang = Lang::of_path(&use_location().pathname.get_untracked());
    let params = use_params_map();
    let page = Resource::new(
        move || params.with(|p| p.get("slug").unwrap_or_default()),
        move |slug| legal_page(lang.code().to_owned(), slug),
    );
    let updated = match lang {
        Lang::De => "Stand",
        Lang::En => "Last changed",
    };
    view! {
        <Layout lang=lang>
            <article class="mx-auto max-w-3xl px-4 py-12">
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        page.await.map(|p| view! {
                            <Title text=format!("{} – Growthdesk", p.title)/>
                            <h1 class="text-3xl font-bold text-slate-900" data-testid="page-title">{p.title}</h1>
                            <p class="mt-1 text-sm text-slate-500">{format!("{updated}: {}", p.updated)}</p>
                            <div class="mt-6 space-y-3 text-slate-700 [&_a]:text-fuchsia-700 [&_h2]:mt-6 [&_h2]:text-xl [&_h2]:font-semibold [&_h2]:text-slate-900 [&_li]:ml-5 [&_ul]:list-disc"
                                data-testid="page-body" inner_html=p.body_html></div>
                        })
                    })}
                </Loaded>
            </article>
        </Layout>
    }
}
