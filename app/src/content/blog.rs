//! `/blog` (every published post, newest first) and `/blog/{slug}` (one post), in the
//! storefront's islands pages (see `shop::storefront_page`). Admins write the posts at `/admin/pages`.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::use_params_map;

use super::api::{blog_post, blog_posts};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::Loaded;

struct Texts {
    title: &'static str,
    intro: &'static str,
    empty: &'static str,
    read: &'static str,
    back: &'static str,
}

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &Texts {
            title: "Blog",
            intro: "Wissen rund um Wachstum auf Instagram: Strategien, Zahlen, Erfahrungen.",
            empty: "Noch keine Beiträge.",
            read: "Weiterlesen",
            back: "Alle Beiträge",
        },
        Lang::En => &Texts {
            title: "Blog",
            intro: "Know-how on growing on Instagram: strategies, numbers, experience.",
            empty: "No posts yet.",
            read: "Read on",
            back: "All posts",
        },
    }
}

pub(crate) fn blog_list_view() -> AnyView {
    let lang = Lang::here();
    let t = texts(lang);
    let posts = Resource::new(|| (), move |_| blog_posts(lang.code().to_owned()));
    view! {
        <Title text=format!("{} – Growthdesk", t.title)/>
        <Meta name="description" content=t.intro/>
        <Layout lang=lang>
            <section class="mx-auto max-w-4xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.title}</h1>
                <p class="mt-2 text-lg text-slate-600">{t.intro}</p>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        posts.await.map(|index| {
                            let list = index.posts;
                            let empty = list.is_empty().then(|| view! {
                                <p class="mt-8 text-slate-600" data-testid="blog-empty">{t.empty}</p>
                            });
                            view! {
                                <Link rel="canonical" href=index.canonical/>
                                <Link rel="alternate" hreflang="de" href=index.de.clone()/>
                                <Link rel="alternate" hreflang="en" href=index.en/>
                                <Link rel="alternate" hreflang="x-default" href=index.de/>
                                {empty}
                                <ul class="mt-8 space-y-8" data-testid="blog-list">
                                    {list.into_iter().map(|p| {
                                        let href = lang.path(&format!("/blog/{}", p.slug));
                                        view! {
                                            <li class="border-b border-slate-200 pb-6" data-testid="blog-card">
                                                <p class="text-sm text-slate-500">{p.date}</p>
                                                <h2 class="mt-1 text-xl font-semibold text-slate-900">
                                                    <a href=href.clone() class="hover:text-fuchsia-700" data-testid="blog-link">{p.title}</a>
                                                </h2>
                                                <p class="mt-2 text-slate-600">{p.summary}</p>
                                                <a href=href class="mt-2 inline-block text-sm font-medium text-fuchsia-700 hover:underline" tabindex="-1" aria-hidden="true">{t.read}</a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
    .into_any()
}

pub(crate) fn blog_post_view() -> AnyView {
    let lang = Lang::here();
    let t = texts(lang);
    let params = use_params_map();
    let post = Resource::new(
        move || params.with(|p| p.get("slug").unwrap_or_default()),
        move |slug| blog_post(lang.code().to_owned(), slug),
    );
    view! {
        <Layout lang=lang>
            <article class="mx-auto max-w-3xl px-4 py-12">
                <a href=lang.path("/blog") class="text-sm font-medium text-fuchsia-700 hover:underline">{format!("← {}", t.back)}</a>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        post.await.map(|p| view! {
                            <Title text=format!("{} – Growthdesk", p.title)/>
                            <Meta name="description" content=p.summary.clone()/>
                            <Link rel="canonical" href=p.seo.canonical.clone()/>
                            <Link rel="alternate" hreflang="de" href=p.seo.de.clone()/>
                            <Link rel="alternate" hreflang="en" href=p.seo.en.clone()/>
                            <Link rel="alternate" hreflang="x-default" href=p.seo.de/>
                            <Meta property="og:type" content="article"/>
                            <Meta property="og:title" content=p.title.clone()/>
                            <Meta property="og:description" content=p.summary.clone()/>
                            <Meta property="og:url" content=p.seo.canonical/>
                            <script type="application/ld+json" inner_html=p.seo.json_ld></script>
                            <p class="mt-6 text-sm text-slate-500" data-testid="post-date">{p.date}</p>
                            <h1 class="mt-1 text-3xl font-bold text-slate-900" data-testid="page-title">{p.title}</h1>
                            <p class="mt-3 text-lg text-slate-600">{p.summary}</p>
                            <div class="mt-6 space-y-3 text-slate-700 [&_a]:text-fuchsia-700 [&_h2]:mt-6 [&_h2]:text-xl [&_h2]:font-semibold [&_h2]:text-slate-900 [&_li]:ml-5 [&_ul]:list-disc"
                                data-testid="page-body" inner_html=p.body_html></div>
                        })
                    })}
                </Loaded>
            </article>
        </Layout>
    }
    .into_any()
}
