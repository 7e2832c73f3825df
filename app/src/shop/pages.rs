//! `/shop` (the catalog: categories, search, products) and `/shop/{slug}` (a product with its
//! configurator). Islands pages (see `shell::islands`): the server renders them, and only the
//! configurator hydrates. Links and the search form are ordinary links and a GET form, which
//! the storefront's navigation follows in the browser.

use gd_pricing::{price_line, Billing, Selection};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::api::{
    shop_catalog, shop_product, CatalogView, CheckHandle, HandleCheck, ProductView, TargetKind,
};
use super::texts::{amount, money, texts, Texts};
use crate::cart::api::CartAdd;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::shell::islands::set_cart_count;
use crate::shell::Layout;
use crate::ui::{issue_on, FormError, Loaded, Notice, BUTTON, INPUT, LINK};
use leptos::server_fn::ServerFn;

/// The storefront's pages other than the landing page: the catalog, products, the cart, the
/// blog and the legal pages. Islands pages, rendered by the server only (see
/// `shell::storefront`).
pub fn storefront_page() -> AnyView {
    let path = use_location().pathname.get_untracked();
    let path = path.strip_prefix("/en").unwrap_or(&path);
    if path == "/cart" {
        crate::cart::page::cart_page()
    } else if path.starts_with("/legal/") {
        crate::content::pages::legal_page_view()
    } else if path == "/blog" {
        crate::content::blog::blog_list_view()
    } else if path.starts_with("/blog/") {
        crate::content::blog::blog_post_view()
    } else if path.starts_with("/shop/") {
        product_view().into_any()
    } else {
        catalog_view().into_any()
    }
}

fn billing_suffix(t: &Texts, billing: Billing) -> &'static str {
    match billing {
        Billing::OneOff => "",
        Billing::Monthly => t.per_month,
        Billing::Yearly => t.per_year,
    }
}

fn catalog_view() -> impl IntoView {
    let lang = Lang::here();
    let t = texts(lang);
    let query = use_query_map();
    let catalog = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("category").unwrap_or_default(),
                    q.get("q").unwrap_or_default(),
                )
            })
        },
        move |(category, q)| shop_catalog(lang.code().to_owned(), category, q),
    );
    let shop = lang.path("/shop");
    view! {
        <Title text=format!("{} – Growthdesk", t.title)/>
        <Meta name="description" content=t.intro/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{t.title}</h1>
                <p class="mt-2 max-w-2xl text-slate-600">{t.intro}</p>
                <form method="get" action=shop.clone() class="mt-6 flex max-w-md gap-2" role="search">
                    <label class="sr-only" for="shop-q">{t.search_label}</label>
                    <input id="shop-q" name="q" type="search" maxlength="100" class=INPUT data-testid="shop-search"
                        value=query.with_untracked(|q| q.get("q").unwrap_or_default())/>
                    {query.with_untracked(|q| q.get("category")).map(|c| view! { <input type="hidden" name="category" value=c/> })}
                    <button type="submit" class="mt-1 rounded-lg bg-fuchsia-600 px-4 py-2 font-semibold text-white hover:bg-fuchsia-700">{t.search_button}</button>
                </form>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        catalog.await.map(|c| catalog_list(lang, t, c))
                    })}
                </Loaded>
            </section>
        </Layout>
    }
}

fn catalog_list(lang: Lang, t: &'static Texts, c: CatalogView) -> impl IntoView {
    let shop = lang.path("/shop");
    let chip = "rounded-full border px-3 py-1 text-sm";
    let on = "border-fuchsia-600 bg-fuchsia-50 text-fuchsia-800";
    let off = "border-slate-300 text-slate-700 hover:border-fuchsia-500";
    let selected = c.category.as_ref().map(|c| c.slug.clone());
    let with_query = |category: Option<&str>| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(category) = category {
            q.append_pair("category", category);
        }
        if !c.query.is_empty() {
            q.append_pair("q", &c.query);
        }
        let q = q.finish();
        if q.is_empty() {
            shop.clone()
        } else {
            format!("{shop}?{q}")
        }
    };
    let all = with_query(None);
    let chips = c
        .categories
        .iter()
        .map(|cat| {
            let class = format!(
                "{chip} {}",
                if selected.as_deref() == Some(cat.slug.as_str()) { on } else { off }
            );
            view! { <a href=with_query(Some(&cat.slug)) class=class data-testid="category-link">{cat.name.clone()}</a> }
        })
        .collect_view();
    let empty = c.products.is_empty().then(|| {
        view! { <p class="mt-8 text-slate-600" data-testid="shop-empty">{t.nothing_found}</p> }
    });
    view! {
        <nav class="mt-6 flex flex-wrap gap-2" aria-label=t.title data-testid="categories">
            <a href=all class=format!("{chip} {}", if selected.is_none() { on } else { off })>{t.all}</a>
            {chips}
        </nav>
        {empty}
        <ul class="mt-8 grid gap-6 sm:grid-cols-2 lg:grid-cols-3" data-testid="product-list">
            {c.products.into_iter().map(|p| {
                let href = lang.path(&format!("/shop/{}", p.slug));
                view! {
                    <li class="flex flex-col rounded-2xl border border-slate-200 p-6 shadow-sm hover:border-fuchsia-400" data-testid="product-card">
                        {p.image.map(|i| view! {
                            <img src=i.src srcset=i.srcset sizes="(min-width: 1024px) 320px, (min-width: 640px) 45vw, 90vw"
                                alt=i.alt loading="lazy" width=i.width.to_string() height=i.height.to_string()
                                class="mb-4 aspect-[4/3] w-full rounded-xl object-cover" data-testid="card-image"/>
                        })}
                        {p.bundle.then(|| view! { <span class="mb-2 w-fit rounded bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">{t.bundle}</span> })}
                        <h2 class="text-lg font-semibold text-slate-900">
                            <a href=href class="hover:text-fuchsia-700" data-testid="product-link">{p.name}</a>
                        </h2>
                        <p class="mt-2 flex-1 text-sm text-slate-600">{p.summary}</p>
                        <p class="mt-4 font-semibold text-slate-900" data-testid="from-price">
                            {format!("{} {} {}", t.from, money(lang, p.from), billing_suffix(t, p.billing)).trim_end().to_owned()}
                        </p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

fn product_view() -> impl IntoView {
    let lang = Lang::here();
    let params = use_params_map();
    let query = leptos_router::hooks::use_query_map();
    let product = Resource::new(
        move || {
            (
                params.with(|p| p.get("slug").unwrap_or_default()),
                query.with(|q| q.get("preview").is_some()),
            )
        },
        move |(slug, preview)| shop_product(lang.code().to_owned(), slug, preview),
    );
    view! {
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        product.await.map(|p| view! { <ProductDetail lang=lang product=p/> })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
}

#[component]
fn ProductDetail(lang: Lang, product: ProductView) -> impl IntoView {
    let t = texts(lang);
    let ProductView {
        slug,
        name,
        summary,
        description_html,
        category,
        target,
        unit,
        offer,
        addons,
        speeds,
        parts,
        images,
        preview,
        seo,
    } = product;
    let config = Configuration {
        slug,
        target,
        unit,
        offer,
        addons,
        speeds,
        bundle: !parts.is_empty(),
    };
    let gallery =
        (!images.is_empty()).then(|| {
            let mut images = images.into_iter();
            let first = images.next().map(|i| {
                view! {
                    <img src=i.src srcset=i.srcset sizes="(min-width: 768px) 560px, 100vw" alt=i.alt
                        width=i.width.to_string() height=i.height.to_string()
                        class="w-full rounded-2xl object-cover" data-testid="product-image"/>
                }
            });
            let rest = images.map(|i| view! {
            <img src=i.src srcset=i.srcset sizes="180px" alt=i.alt loading="lazy"
                width=i.width.to_string() height=i.height.to_string()
                class="h-24 w-auto rounded-lg object-cover" data-testid="product-image"/>
        }).collect_view();
            view! {
                <div class="mb-6">
                    {first}
                    <div class="mt-3 flex gap-3 overflow-x-auto">{rest}</div>
                </div>
            }
        });
    let shop = lang.path("/shop");
    let crumb = category.map(|c| {
        let href = format!("{shop}?category={}", c.slug);
        view! { <span aria-hidden="true">" › "</span><a href=href class="hover:text-fuchsia-700">{c.name}</a> }
    });
    let parts_list = (!parts.is_empty()).then(|| {
        view! {
            <div class="mt-6 rounded-xl bg-slate-50 p-4" data-testid="bundle-parts">
                <h2 class="font-semibold text-slate-900">{t.contains}</h2>
                <ul class="mt-2 list-disc space-y-1 pl-5 text-slate-700">
                    {parts.into_iter().map(|p| {
                        let times = if p.quantity > 1 { format!("{} × ", p.quantity) } else { String::new() };
                        let what = format!("{times}{} {} – ", amount(lang, p.amount), p.unit);
                        view! {
                            <li>{what}<a href=lang.path(&format!("/shop/{}", p.slug)) class=LINK>{p.name}</a></li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
    });
    view! {
        <Title text=format!("{name} – Growthdesk")/>
        <Meta name="description" content=summary.clone()/>
        <Link rel="canonical" href=seo.canonical.clone()/>
        <Link rel="alternate" hreflang="de" href=seo.de.clone()/>
        <Link rel="alternate" hreflang="en" href=seo.en.clone()/>
        <Link rel="alternate" hreflang="x-default" href=seo.de/>
        <Meta property="og:type" content="product"/>
        <Meta property="og:title" content=name.clone()/>
        <Meta property="og:description" content=summary.clone()/>
        <Meta property="og:url" content=seo.canonical/>
        {seo.image.map(|src| view! { <Meta property="og:image" content=src/> })}
        {preview.then(|| view! { <Meta name="robots" content="noindex"/> })}
        <script type="application/ld+json" inner_html=seo.json_ld></script>
        <nav class="text-sm text-slate-500" aria-label="Breadcrumb">
            <a href=shop class="hover:text-fuchsia-700">{t.title}</a>
            {crumb}
        </nav>
        {preview.then(|| view! {
            <p role="status" data-testid="preview-banner" class="mt-4 rounded-lg bg-amber-100 px-4 py-3 text-sm font-medium text-amber-900">{t.preview_banner}</p>
        })}
        <div class="mt-4 grid gap-10 md:grid-cols-2">
            <div>
                {gallery}
                <h1 class="text-3xl font-bold text-slate-900" data-testid="product-name">{name}</h1>
                <p class="mt-2 text-lg text-slate-600">{summary}</p>
                <div class="mt-6 space-y-3 text-slate-700 [&_li]:ml-5 [&_strong]:text-slate-900 [&_ul]:list-disc"
                    data-testid="product-description" inner_html=description_html></div>
                {parts_list}
            </div>
            <Configurator lang=lang config=config/>
        </div>
    }
}

/// What the configurator needs of a product: its offer (the pricing crate prices it in the
/// browser, as the server does) and the choices' labels. An island's props travel as JSON in
/// the page, so this is all the browser gets of the product.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Configuration {
    slug: String,
    target: TargetKind,
    unit: String,
    offer: gd_pricing::Offer,
    addons: Vec<super::api::Choice>,
    speeds: Vec<super::api::Choice>,
    /// A bundle's tiers are named by their price alone.
    bundle: bool,
}

/// The option configurator with its live price and the cart form: the product page's one
/// island. Without JavaScript the form posts to the cart as plain HTML.
#[island]
fn Configurator(lang: Lang, config: Configuration) -> impl IntoView {
    let t = texts(lang);
    let Configuration {
        slug,
        target,
        unit,
        offer,
        addons,
        speeds,
        bundle,
    } = config;
    let first_tier = offer
        .tiers
        .first()
        .map(|t| t.key.clone())
        .unwrap_or_default();
    let tier = RwSignal::new(first_tier.clone());
    let chosen_addons = RwSignal::new(Vec::<String>::new());
    let speed = RwSignal::new(speeds.first().map(|s| s.key.clone()));
    let quantity = RwSignal::new(1u32);
    let billing = offer.billing;
    // The answers of the cart and of the handle check, called as plain server functions (no
    // ActionForm: its form decoding would weigh on the first load); before hydration the
    // form posts as plain HTML. The island hydrates with the main module (a lazy island hydrated
    // only after all its chunks arrived, in one long task after first paint); the calls load
    // on the first use (`call_server`, one lazy chunk).
    let adding = RwSignal::new(false);
    let added: RwSignal<Option<Result<(), AppError>>> = RwSignal::new(None);
    let add_error = Signal::derive(move || added.get().and_then(|r| r.err()));
    // The handle is checked when the shopper leaves the field (format always; the account
    // itself when an Instagram app is configured). A problem shows where the cart's would.
    let checked: RwSignal<Option<Result<HandleCheck, AppError>>> = RwSignal::new(None);
    let checks = StoredValue::new(0u32);
    let check = move |handle: String| {
        checks.update_value(|n| *n += 1);
        let mine = checks.get_value();
        leptos::task::spawn_local(async move {
            let answer = send_check(handle).await;
            // Only the answer to the latest check counts.
            if checks.get_value() == mine {
                checked.set(Some(answer));
            }
        });
    };
    let check_error = Signal::derive(move || checked.get().and_then(|r| r.err()));
    let add_issue = issue_on(lang, add_error, "target");
    let check_issue = issue_on(lang, check_error, "target");
    let target_issue = Signal::derive(move || add_issue.get().or_else(|| check_issue.get()));
    let check_result = move || {
        let result = checked.get()?.ok()?;
        let (ok, text) = match result {
            HandleCheck::Professional {
                handle,
                name,
                followers,
            } => {
                let who = name.map(|n| format!(" ({n}")).unwrap_or_default();
                let count = followers
                    .map(|f| {
                        format!(
                            "{}{} {}",
                            if who.is_empty() { " (" } else { ", " },
                            amount(lang, u32::try_from(f).unwrap_or(u32::MAX)),
                            t.followers
                        )
                    })
                    .unwrap_or_default();
                let close = if who.is_empty() && count.is_empty() {
                    ""
                } else {
                    ")"
                };
                (
                    true,
                    format!("@{handle}{who}{count}{close}: {}", t.handle_professional),
                )
            }
            HandleCheck::NotProfessional { handle } => {
                (false, format!("@{handle}: {}", t.handle_not_professional))
            }
            HandleCheck::NotChecked { handle } => {
                (true, format!("@{handle}: {}", t.handle_not_checked))
            }
            HandleCheck::FormatOnly { handle } => {
                (true, format!("@{handle}: {}", t.handle_format_only))
            }
        };
        let class = if ok {
            "mt-1 text-sm text-emerald-800"
        } else {
            "mt-1 text-sm text-amber-800"
        };
        Some(view! { <p class=class data-testid="handle-check">{text}</p> })
    };
    let on_submit = {
        let slug = slug.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let form = event_target::<leptos::web_sys::HtmlFormElement>(&ev);
            let Ok(data) = leptos::web_sys::FormData::new_with_form(&form) else {
                return;
            };
            let field = |name: &str| data.get(name).as_string().unwrap_or_default();
            // What the shopper typed goes as typed: the server checks it and names the field.
            let input = CartAdd {
                lang: lang.code().to_owned(),
                product: slug.clone(),
                tier: tier.get_untracked(),
                addons: chosen_addons.get_untracked(),
                speed: speed.get_untracked().unwrap_or_default(),
                quantity: field("quantity"),
                target: field("target"),
            };
            adding.set(true);
            leptos::task::spawn_local(async move {
                let answer = send_cart_add(input).await;
                if let Ok(count) = answer {
                    set_cart_count(count);
                }
                added.set(Some(answer.map(|_| ())));
                adding.set(false);
            });
        }
    };
    let vat = offer.vat;
    let price = Memo::new({
        let offer = offer.clone();
        move |_| {
            let selection = Selection {
                tier: tier.get(),
                addons: chosen_addons.get(),
                speed: speed.get(),
                quantity: quantity.get(),
            };
            price_line(&offer, &selection).ok().map(|l| l.gross)
        }
    });
    let tiers = offer
        .tiers
        .iter()
        .map(|tr| {
            let key = tr.key.clone();
            let checked = key == first_tier;
            let label = if !bundle {
                format!(
                    "{} {unit} – {}",
                    amount(lang, tr.amount),
                    money(lang, tr.price)
                )
            } else {
                money(lang, tr.price)
            };
            view! {
                <label class="flex items-center gap-2">
                    <input type="radio" name="tier" value=key.clone() checked=checked
                        on:change=move |_| tier.set(key.clone())/>
                    <span>{label}</span>
                </label>
            }
        })
        .collect_view();
    let addon_prices = offer.addons.clone();
    let addon_inputs = (!addons.is_empty()).then(|| {
        let list = addons
            .into_iter()
            .map(|a| {
                let key = a.key.clone();
                let price = addon_prices
                    .iter()
                    .find(|p| p.key == a.key)
                    .map(|p| money(lang, p.price))
                    .unwrap_or_default();
                view! {
                    <label class="flex items-center gap-2">
                        <input type="checkbox" name="addons[]" value=key.clone()
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                let key = key.clone();
                                chosen_addons.update(|list| {
                                    list.retain(|k| *k != key);
                                    if on {
                                        list.push(key);
                                    }
                                });
                            }/>
                        <span>{format!("{} (+ {price})", a.label)}</span>
                    </label>
                }
            })
            .collect_view();
        view! { <fieldset class="space-y-1"><legend class="font-medium text-slate-800">{t.addons_label}</legend>{list}</fieldset> }
    });
    let speed_prices = offer.speeds.clone();
    let speed_inputs = (!speeds.is_empty()).then(|| {
        let first = speeds.first().map(|s| s.key.clone());
        let list = speeds
            .into_iter()
            .map(|s| {
                let key = s.key.clone();
                let surcharge = speed_prices
                    .iter()
                    .find(|p| p.key == s.key)
                    .map(|p| p.surcharge)
                    .unwrap_or_default();
                let label = if surcharge.0 > 0 {
                    format!("{} (+ {})", s.label, money(lang, surcharge))
                } else {
                    s.label.clone()
                };
                view! {
                    <label class="flex items-center gap-2">
                        <input type="radio" name="speed" value=key.clone() checked=first.as_deref() == Some(key.as_str())
                            on:change=move |_| speed.set(Some(key.clone()))/>
                        <span>{label}</span>
                    </label>
                }
            })
            .collect_view();
        view! { <fieldset class="space-y-1"><legend class="font-medium text-slate-800">{t.speed_label}</legend>{list}</fieldset> }
    });
    let target_input = match target {
        TargetKind::Handle => Some((t.handle_label, t.handle_hint, "@")),
        TargetKind::Post => Some((t.post_label, t.post_hint, "https://www.instagram.com/p/")),
        TargetKind::None => None,
    }
    .map(|(label, hint, placeholder)| {
        let is_handle = target == TargetKind::Handle;
        view! {
            <div>
                <label for="product-target" class="block font-medium text-slate-800">{label}</label>
                <input id="product-target" name="target" type="text" autocomplete="off" maxlength="200" required
                    placeholder=placeholder class=INPUT aria-describedby="product-target-hint product-target-error product-target-check"
                    aria-invalid=move || target_issue.get().is_some().to_string()
                    on:change=move |ev| {
                        if is_handle {
                            check(event_target_value(&ev));
                        }
                    }/>
                <p id="product-target-hint" class="mt-1 text-xs text-slate-500">{hint}</p>
                <p id="product-target-error" class="mt-1 text-sm text-red-700" data-testid="field-error">{move || target_issue.get()}</p>
                <div id="product-target-check" aria-live="polite">{check_result}</div>
            </div>
        }
    });
    view! {
        <form method="post" action=CartAdd::PATH on:submit=on_submit data-testid="configurator"
            class="h-fit space-y-5 rounded-2xl bg-white p-6 shadow-lg ring-1 ring-slate-200">
            <input type="hidden" name="lang" value=lang.code()/>
            <input type="hidden" name="product" value=slug/>
            <FormError lang=lang error=add_error/>
            <fieldset class="space-y-1">
                <legend class="font-medium text-slate-800">{t.tier_label}</legend>
                {tiers}
            </fieldset>
            {addon_inputs}
            {speed_inputs}
            <div>
                <label for="product-quantity" class="block font-medium text-slate-800">{t.quantity_label}</label>
                <input id="product-quantity" name="quantity" type="number" min="1" max=gd_pricing::MAX_QUANTITY.to_string()
                    value="1" class=INPUT
                    on:input=move |ev| {
                        let n = event_target_value(&ev).trim().parse::<u32>().unwrap_or(0);
                        quantity.set(n);
                    }/>
            </div>
            {target_input}
            <div class="border-t border-slate-200 pt-4" aria-live="polite">
                <p class="text-sm text-slate-500">{t.total}</p>
                <p class="text-3xl font-bold text-slate-900" data-testid="live-price">
                    {move || match price.get() {
                        Some(gross) => format!("{} {}", money(lang, gross), billing_suffix(t, billing)).trim_end().to_owned(),
                        None => t.no_price.to_owned(),
                    }}
                </p>
                <p class="text-sm text-slate-500">{format!("{} ({})", t.incl_vat, vat.percent(lang == Lang::De))}</p>
            </div>
            <button type="submit" class=BUTTON data-testid="add-to-cart" disabled=move || adding.get()>{t.add_to_cart}</button>
            <Show when=move || matches!(added.get(), Some(Ok(())))>
                <Notice text=t.added/>
                <a href=lang.path("/cart") class=LINK data-testid="go-to-cart">{t.go_to_cart}</a>
            </Show>
        </form>
    }
}

/// What the configurator asks the server.
enum Call {
    Add(CartAdd),
    Check(String),
}

/// What it answers.
enum Answer {
    /// The cart's new count (the header only needs that).
    Added(Result<u32, AppError>),
    Checked(Result<HandleCheck, AppError>),
}

/// The configurator's calls to the server: the request, the answer's decoding and the
/// server-function client load on the first call (`#[lazy]`, one chunk), while the
/// configurator itself hydrates with the page's main module.
#[lazy]
async fn call_server(call: Call) -> Answer {
    match call {
        Call::Add(input) => Answer::Added(input.run_on_client().await.map(|cart| cart.count)),
        Call::Check(handle) => Answer::Checked(CheckHandle { handle }.run_on_client().await),
    }
}

async fn send_cart_add(input: CartAdd) -> Result<u32, AppError> {
    match call_server(Call::Add(input)).await {
        Answer::Added(answer) => answer,
        Answer::Checked(_) => Err(AppError::Transport("unexpected answer".into())),
    }
}

async fn send_check(handle: String) -> Result<HandleCheck, AppError> {
    match call_server(Call::Check(handle)).await {
        Answer::Checked(answer) => answer,
        Answer::Added(_) => Err(AppError::Transport("unexpected answer".into())),
    }
}
