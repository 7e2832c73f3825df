//! `/admin/catalog` (every product) and `/admin/catalog/{id}` (one product: texts and settings,
//! price with its history, publication, a bundle's contents, images, and a preview link).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::catalog_api::{
    admin_product, admin_products, AdminPublishProduct, AdminRemoveImage, AdminSaveProduct,
    AdminSetBundle, AdminSetPrice, ProductForm,
};
use crate::error::{AppError, Conflict, IssueCode};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::{
    failed, issue_on, Field, FormError, Loaded, Notice, BUTTON, INPUT, LINK, SECONDARY,
};

struct Texts {
    title: &'static str,
    new_product: &'static str,
    edit: &'static str,
    published: &'static str,
    draft: &'static str,
    no_price: &'static str,
    save: &'static str,
    saved: &'static str,
    product: &'static str,
    price: &'static str,
    price_hint_tiers: &'static str,
    price_hint_list: &'static str,
    price_saved: &'static str,
    history: &'static str,
    current: &'static str,
    publication: &'static str,
    publish: &'static str,
    unpublish: &'static str,
    needs_price: &'static str,
    preview: &'static str,
    bundle: &'static str,
    bundle_hint: &'static str,
    images: &'static str,
    upload: &'static str,
    image_file: &'static str,
    image_hint: &'static str,
    remove: &'static str,
    image_added: &'static str,
    storage_local: &'static str,
    storage_remote: &'static str,
    none: &'static str,
    address: &'static str,
    kind: &'static str,
    category: &'static str,
    changed: &'static str,
    by: &'static str,
    tiers: &'static str,
}

const DE: Texts = Texts {
    title: "Katalog",
    new_product: "Neues Produkt",
    edit: "Produkt bearbeiten",
    published: "veröffentlicht",
    draft: "Entwurf",
    no_price: "ohne Preis",
    save: "Speichern",
    saved: "Gespeichert.",
    product: "Produkt",
    price: "Preis",
    price_hint_tiers: "Eine Stufe pro Zeile: Schlüssel | Menge | Preis brutto (z. B. 1k | 1000 | 14,90).",
    price_hint_list: "Eine pro Zeile: Schlüssel | Aufpreis | Bezeichnung (de) | Bezeichnung (en). Die erste Geschwindigkeit ist die Voreinstellung.",
    price_saved: "Neuer Preis gilt ab sofort. Bestehende Bestellungen behalten ihren Preis.",
    history: "Preisverlauf",
    current: "aktuell",
    publication: "Veröffentlichung",
    publish: "Veröffentlichen",
    unpublish: "Zurückziehen (Entwurf)",
    needs_price: "Ein Produkt braucht einen Preis, bevor es veröffentlicht wird.",
    preview: "Vorschau im Shop",
    bundle: "Inhalt des Pakets",
    bundle_hint: "Ein Produkt pro Zeile: Produkt-Adresse | Stufe | Anzahl (z. B. instagram-follower | 1k | 1).",
    images: "Bilder",
    upload: "Bild hochladen",
    image_file: "Bilddatei (JPEG, PNG oder WebP, höchstens 10 MB, mindestens 200 × 200 Pixel)",
    image_hint: "Wird in 400, 800 und 1200 Pixel Breite gespeichert; Metadaten (z. B. Standort) werden entfernt.",
    remove: "Entfernen",
    image_added: "Bild hinzugefügt.",
    storage_local: "Lokale Ablage: Dateien liegen auf diesem Rechner",
    storage_remote: "Ablage",
    none: "keine",
    address: "Adresse",
    kind: "Art",
    category: "Kategorie",
    changed: "Geändert",
    by: "Von",
    tiers: "Stufen",
};

const EN: Texts = Texts {
    title: "Catalog",
    new_product: "New product",
    edit: "Edit product",
    published: "published",
    draft: "draft",
    no_price: "no price",
    save: "Save",
    saved: "Saved.",
    product: "Product",
    price: "Price",
    price_hint_tiers: "One tier per line: key | amount | gross price (e.g. 1k | 1000 | 14,90).",
    price_hint_list: "One per line: key | surcharge | label (de) | label (en). The first speed is the default.",
    price_saved: "The new price applies from now on. Existing orders keep theirs.",
    history: "Price history",
    current: "current",
    publication: "Publication",
    publish: "Publish",
    unpublish: "Withdraw (draft)",
    needs_price: "A product needs a price before it is published.",
    preview: "Preview in the shop",
    bundle: "Bundle contents",
    bundle_hint: "One product per line: product address | tier | quantity (e.g. instagram-follower | 1k | 1).",
    images: "Images",
    upload: "Upload image",
    image_file: "Image file (JPEG, PNG or WebP, at most 10 MB, at least 200 × 200 pixels)",
    image_hint: "Stored 400, 800 and 1200 pixels wide; metadata (such as the location) is removed.",
    remove: "Remove",
    image_added: "Image added.",
    storage_local: "Local storage: files stay on this machine",
    storage_remote: "Storage",
    none: "none",
    address: "Address",
    kind: "Kind",
    category: "Category",
    changed: "Changed",
    by: "By",
    tiers: "Tiers",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::De => &DE,
        Lang::En => &EN,
    }
}

fn words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Conflict(Conflict::ProductSlugTaken)) => {
            "Ein anderes Produkt hat schon diese Adresse."
        }
        (Lang::En, AppError::Conflict(Conflict::ProductSlugTaken)) => {
            "Another product already has this address."
        }
        (Lang::De, AppError::Conflict(Conflict::NotPriced)) => DE.needs_price,
        (Lang::En, AppError::Conflict(Conflict::NotPriced)) => EN.needs_price,
        _ => crate::ui::error_text(lang, e),
    }
}

/// `/admin/catalog`: every product with its state.
pub fn list_view() -> AnyView {
    let lang = Lang::here();
    let t = texts(lang);
    let products = Resource::new(|| (), |_| admin_products());
    view! {
        <Title text=t.title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                {super::pages::admin_nav(lang)}
                <div class="flex items-center justify-between">
                    <h1 class="text-3xl font-bold text-slate-900">{t.title}</h1>
                    <a href=lang.path("/admin/catalog/new") class=LINK data-testid="new-product">{t.new_product}</a>
                </div>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        products.await.map(|list| view! {
                            <table class="mt-6 w-full text-left text-sm" data-testid="product-table">
                                <thead><tr class="border-b text-slate-500">
                                    <th class="py-2">"Name"</th><th>{t.address}</th><th>{t.kind}</th><th>{t.category}</th>
                                    <th>"Status"</th><th>{t.price}</th><th>{t.images}</th><th>{t.changed}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|p| {
                                        let state = match (p.published, p.from.is_empty()) {
                                            (true, _) => t.published,
                                            (false, true) => t.no_price,
                                            (false, false) => t.draft,
                                        };
                                        let slug = p.slug.clone();
                                        view! {
                                            <tr class="border-b" data-testid="product-row" data-slug=slug>
                                                <td class="py-2 pr-3"><a class=LINK href=lang.path(&format!("/admin/catalog/{}", p.id))>{p.name}</a></td>
                                                <td class="pr-3 font-mono text-xs">{p.slug}</td>
                                                <td class="pr-3 text-slate-500">{p.kind}</td>
                                                <td class="pr-3">{p.category}</td>
                                                <td class="pr-3" data-testid="product-state">{state}</td>
                                                <td class="pr-3 whitespace-nowrap">{p.from}</td>
                                                <td class="pr-3 text-slate-500">{p.images}</td>
                                                <td class="text-slate-500">{p.updated}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
    .into_any()
}

/// `/admin/catalog/{id}` (or `new`).
pub fn edit_view() -> AnyView {
    let lang = Lang::here();
    let t = texts(lang);
    // Tracked: saving a new product moves the page to the product's own address, and the form
    // follows.
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let save = ServerAction::<AdminSaveProduct>::new();
    let set_price = ServerAction::<AdminSetPrice>::new();
    let publish = ServerAction::<AdminPublishProduct>::new();
    let set_bundle = ServerAction::<AdminSetBundle>::new();
    let remove_image = ServerAction::<AdminRemoveImage>::new();
    // Each section is read again only after its own change went through (never after a
    // refused one, and never another section's): what is typed elsewhere stays.
    let counter = || RwSignal::new(0u32);
    let (texts_saved, priced, published, bundled, images_changed) =
        (counter(), counter(), counter(), counter(), counter());
    let after = move |ok: bool, counters: &[RwSignal<u32>]| {
        if ok {
            for c in counters {
                c.update(|n| *n += 1);
            }
        }
    };
    Effect::new(move |_| {
        let ok = matches!(save.value().get(), Some(Ok(_)));
        after(ok, &[texts_saved]);
    });
    Effect::new(move |_| {
        let ok = matches!(set_price.value().get(), Some(Ok(_)));
        after(ok, &[priced]);
    });
    Effect::new(move |_| {
        let ok = matches!(publish.value().get(), Some(Ok(_)));
        after(ok, &[published]);
    });
    Effect::new(move |_| {
        let ok = matches!(set_bundle.value().get(), Some(Ok(_)));
        after(ok, &[bundled]);
    });
    Effect::new(move |_| {
        let ok = matches!(remove_image.value().get(), Some(Ok(_)));
        after(ok, &[images_changed]);
    });
    let texts_form = Resource::new(move || id.get(), admin_product);
    // A section reads the product itself only after its own change; until then it shares the
    // first read (one request for the whole page, not five).
    let read = move |version: Signal<u32>| {
        Resource::new(
            move || (id.get(), version.get()),
            move |(id, version)| async move {
                if version == 0 {
                    texts_form.await
                } else {
                    admin_product(id).await
                }
            },
        )
    };
    // The publication follows the texts (the preview link), the price (priced or not) and
    // itself; a bundle's form follows the texts (its kind) and itself.
    let publish_form = read(Signal::derive(move || {
        texts_saved.get() + priced.get() + published.get()
    }));
    let price_form = read(Signal::derive(move || priced.get()));
    let bundle_form = read(Signal::derive(move || texts_saved.get() + bundled.get()));
    let image_form = read(Signal::derive(move || images_changed.get()));
    super::pages::continue_at_saved(save, id, lang, "/admin/catalog");
    view! {
        <Title text=t.edit/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                {super::pages::admin_nav(lang)}
                <a href=lang.path("/admin/catalog") class=LINK>{format!("← {}", t.title)}</a>
                <h1 class="mt-2 text-3xl font-bold text-slate-900">{t.edit}</h1>
                <UploadOutcome lang=lang name="image" added=t.image_added/>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        texts_form.await.map(move |f| view! { <ProductSection lang=lang f=f save=save/> })
                    })}
                </Loaded>
                <Show when=move || id.get() != "new">
                    <Loaded lang=lang>
                        {move || Suspend::new(async move {
                            publish_form.await.map(move |f| view! { <PublishSection lang=lang f=f publish=publish/> })
                        })}
                    </Loaded>
                    <Loaded lang=lang>
                        {move || Suspend::new(async move {
                            price_form.await.map(move |f| view! { <PriceSection lang=lang f=f set_price=set_price/> })
                        })}
                    </Loaded>
                    <Loaded lang=lang>
                        {move || Suspend::new(async move {
                            bundle_form.await.map(move |f| {
                                (f.kind == "bundle").then(|| view! { <BundleSection lang=lang f=f set_bundle=set_bundle/> })
                            })
                        })}
                    </Loaded>
                    <Loaded lang=lang>
                        {move || Suspend::new(async move {
                            image_form.await.map(move |f| view! { <ImageSection lang=lang f=f remove_image=remove_image/> })
                        })}
                    </Loaded>
                </Show>
            </section>
        </Layout>
    }
    .into_any()
}

const H2: &str = "text-xl font-semibold text-slate-900";
const CARD: &str = "mt-8 space-y-4 rounded-2xl bg-white p-6 shadow ring-1 ring-slate-200";

#[component]
fn ProductSection(
    lang: Lang,
    f: ProductForm,
    save: ServerAction<AdminSaveProduct>,
) -> impl IntoView {
    let t = texts(lang);
    let error = failed(save);
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let invalid = move |name: &'static str| {
        let issue = issue_on(lang, error, name);
        move || issue.get().is_some().to_string()
    };
    let text = move |name: &'static str, label: &'static str, value: String| {
        view! {
            <Field form="product" lang=lang label=label name=name error=error>
                <input id=format!("product-{name}") name=name type="text" value=value class=INPUT
                    aria-invalid=invalid(name) aria-describedby=format!("product-{name}-error")/>
            </Field>
        }
    };
    let area = move |name: &'static str, label: &'static str, value: String| {
        view! {
            <Field form="product" lang=lang label=label name=name error=error>
                <textarea id=format!("product-{name}") name=name rows="8" class=INPUT
                    aria-invalid=invalid(name) aria-describedby=format!("product-{name}-error")>{value}</textarea>
            </Field>
        }
    };
    let select = move |name: &'static str,
                       label: &'static str,
                       current: String,
                       options: Vec<(String, String)>| {
        view! {
            <Field form="product" lang=lang label=label name=name error=error>
                <select id=format!("product-{name}") name=name class=INPUT
                    aria-invalid=invalid(name) aria-describedby=format!("product-{name}-error")>
                    {options.into_iter().map(|(value, label)| {
                        let selected = value == current;
                        view! { <option value=value selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            </Field>
        }
    };
    let mut categories = vec![(String::new(), format!("({})", t.none))];
    categories.extend(
        f.categories
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone())),
    );
    let pairs = |list: &[&str]| {
        list.iter()
            .map(|s| (s.to_string(), s.to_string()))
            .collect::<Vec<_>>()
    };
    view! {
        <ActionForm action=save attr:class=CARD attr:data-testid="product-form">
            <h2 class=H2>{t.product}</h2>
            <input type="hidden" name="id" value=f.id.clone()/>
            <FormError lang=lang error=error words=words/>
            <Show when=saved><Notice text=t.saved/></Show>
            <div class="grid gap-4 sm:grid-cols-2">
                {text("slug", "Adresse / slug", f.slug.clone())}
                {select("category", "Kategorie / category", f.category.clone(), categories)}
                {select("kind", "Art / kind", f.kind.clone(), pairs(&["service", "bundle"]))}
                {select("target", "Ziel / target", f.target.clone(), pairs(&["handle", "post", "none"]))}
                {text("name_de", "Name (de)", f.name_de.clone())}
                {text("name_en", "Name (en)", f.name_en.clone())}
                {text("summary_de", "Kurzfassung (de)", f.summary_de.clone())}
                {text("summary_en", "Summary (en)", f.summary_en.clone())}
                {area("description_de", "Beschreibung (de, Markdown)", f.description_de.clone())}
                {area("description_en", "Description (en, Markdown)", f.description_en.clone())}
                {text("unit_de", "Einheit (de), z. B. Follower", f.unit_de.clone())}
                {text("unit_en", "Unit (en), e.g. followers", f.unit_en.clone())}
                {text("position", "Position", f.position.clone())}
            </div>
            <button type="submit" class=BUTTON data-testid="product-save">{t.save}</button>
        </ActionForm>
    }
}

#[component]
fn PublishSection(
    lang: Lang,
    f: ProductForm,
    publish: ServerAction<AdminPublishProduct>,
) -> impl IntoView {
    let t = texts(lang);
    let error = failed(publish);
    let (state, label) = if f.published {
        (t.published, t.unpublish)
    } else {
        (t.draft, t.publish)
    };
    let preview = lang.path(&format!("/shop/{}?preview=1", f.slug));
    view! {
        <div class=CARD data-testid="publish-section">
            <h2 class=H2>{t.publication}</h2>
            <FormError lang=lang error=error words=words/>
            <p>"Status: " <strong data-testid="publish-state">{state}</strong></p>
            {(!f.priced).then(|| view! { <p class="text-sm text-amber-800">{t.needs_price}</p> })}
            <ActionForm action=publish>
                <input type="hidden" name="id" value=f.id.clone()/>
                <input type="hidden" name="published" value=(!f.published).to_string()/>
                <button type="submit" class=SECONDARY data-testid="publish-toggle">{label}</button>
            </ActionForm>
            {f.priced.then(|| view! {
                <a href=preview class=LINK target="_blank" rel="noopener" data-testid="preview-link">{t.preview}</a>
            })}
        </div>
    }
}

#[component]
fn PriceSection(
    lang: Lang,
    f: ProductForm,
    set_price: ServerAction<AdminSetPrice>,
) -> impl IntoView {
    let t = texts(lang);
    let error = failed(set_price);
    let saved = move || matches!(set_price.value().get(), Some(Ok(_)));
    let invalid = move |name: &'static str| {
        let issue = issue_on(lang, error, name);
        move || issue.get().is_some().to_string()
    };
    let area = move |name: &'static str, label: &'static str, hint: &'static str, value: String| {
        view! {
            <Field form="price" lang=lang label=label name=name error=error hint=hint>
                <textarea id=format!("price-{name}") name=name rows="4" class=format!("{INPUT} font-mono text-sm")
                    aria-invalid=invalid(name) aria-describedby=format!("price-{name}-hint price-{name}-error")>{value}</textarea>
            </Field>
        }
    };
    let billing = f.billing.clone();
    view! {
        <div class=CARD>
            <h2 class=H2>{t.price}</h2>
            <ActionForm action=set_price attr:class="space-y-4" attr:data-testid="price-form">
                <input type="hidden" name="id" value=f.id.clone()/>
                <FormError lang=lang error=error words=words/>
                <Show when=saved><Notice text=t.price_saved/></Show>
                <div class="grid gap-4 sm:grid-cols-2">
                    <Field form="price" lang=lang label="MwSt. / VAT (%)" name="vat" error=error>
                        <input id="price-vat" name="vat" type="text" value=f.vat.clone() class=INPUT
                            aria-invalid=invalid("vat") aria-describedby="price-vat-error"/>
                    </Field>
                    <Field form="price" lang=lang label="Abrechnung / billing" name="billing" error=error>
                        <select id="price-billing" name="billing" class=INPUT
                            aria-invalid=invalid("billing") aria-describedby="price-billing-error">
                            {["one_off", "monthly", "yearly"].into_iter().map(|b| view! {
                                <option value=b selected={b == billing}>{b}</option>
                            }).collect_view()}
                        </select>
                    </Field>
                </div>
                {area("tiers", "Stufen / tiers", t.price_hint_tiers, f.tiers.clone())}
                {area("addons", "Zusatzleistungen / add-ons", t.price_hint_list, f.addons.clone())}
                {area("speeds", "Geschwindigkeiten / speeds", t.price_hint_list, f.speeds.clone())}
                <button type="submit" class=BUTTON data-testid="price-save">{t.save}</button>
            </ActionForm>
            <h3 class="font-semibold text-slate-800">{t.history}</h3>
            <table class="w-full text-left text-xs" data-testid="price-history">
                <thead><tr class="border-b text-slate-500">
                    <th class="py-1">{t.changed}</th><th>{t.by}</th><th></th><th>{t.tiers}</th>
                </tr></thead>
                <tbody>
                    {f.history.into_iter().map(|h| view! {
                        <tr class="border-b">
                            <td class="py-1 pr-3 whitespace-nowrap">{h.at}</td>
                            <td class="pr-3">{h.by}</td>
                            <td class="pr-3">{h.current.then_some(t.current)}</td>
                            <td>{h.summary}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn BundleSection(
    lang: Lang,
    f: ProductForm,
    set_bundle: ServerAction<AdminSetBundle>,
) -> impl IntoView {
    let t = texts(lang);
    let error = failed(set_bundle);
    let bundle_issue = issue_on(lang, error, "items");
    let saved = move || matches!(set_bundle.value().get(), Some(Ok(_)));
    view! {
        <ActionForm action=set_bundle attr:class=CARD attr:data-testid="bundle-form">
            <h2 class=H2>{t.bundle}</h2>
            <input type="hidden" name="id" value=f.id.clone()/>
            <FormError lang=lang error=error words=words/>
            <Show when=saved><Notice text=t.saved/></Show>
            <Field form="bundle" lang=lang label=t.bundle name="items" error=error hint=t.bundle_hint>
                <textarea id="bundle-items" name="items" rows="5" class=format!("{INPUT} font-mono text-sm")
                    aria-invalid=move || bundle_issue.get().is_some().to_string()
                    aria-describedby="bundle-items-hint bundle-items-error">{f.items.clone()}</textarea>
            </Field>
            <button type="submit" class=BUTTON data-testid="bundle-save">{t.save}</button>
        </ActionForm>
    }
}

#[component]
fn ImageSection(
    lang: Lang,
    f: ProductForm,
    remove_image: ServerAction<AdminRemoveImage>,
) -> impl IntoView {
    let t = texts(lang);
    let error = failed(remove_image);
    let storage = if f.storage_local {
        format!("{} ({}).", t.storage_local, f.storage)
    } else {
        format!("{}: {}.", t.storage_remote, f.storage)
    };
    let action = format!("/admin/catalog/{}/images", f.id);
    let id = f.id.clone();
    view! {
        <div class=CARD data-testid="image-section">
            <h2 class=H2>{t.images}</h2>
            <FormError lang=lang error=error words=words/>
            <ul class="grid gap-4 sm:grid-cols-3">
                {f.images.into_iter().map(|img| {
                    let id = id.clone();
                    view! {
                        <li class="space-y-2" data-testid="product-image">
                            <img src=img.src alt=img.alt.clone() class="aspect-square w-full rounded-lg object-cover" loading="lazy"/>
                            <p class="text-xs text-slate-500">{img.size}</p>
                            <ActionForm action=remove_image>
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="image" value=img.id/>
                                <button type="submit" class=SECONDARY data-testid="image-remove">{t.remove}</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
            // A plain form: the file goes to the server as multipart, and the answer brings the
            // browser back here (with the outcome in the address).
            <form method="post" enctype="multipart/form-data" action=action class="space-y-3" data-testid="image-form">
                <input type="hidden" name="lang" value=lang.code()/>
                <div>
                    <label for="image-file" class="block text-sm font-medium text-slate-700">{t.image_file}</label>
                    <input id="image-file" name="image" type="file" required accept="image/jpeg,image/png,image/webp" class="mt-1 block text-sm"
                        aria-describedby="image-file-hint upload-outcome"/>
                    <p id="image-file-hint" class="mt-1 text-xs text-slate-500">{t.image_hint}</p>
                </div>
                <div class="grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="image-alt_de" class="block text-sm font-medium text-slate-700">"Bildbeschreibung (de)"</label>
                        <input id="image-alt_de" name="alt_de" type="text" maxlength="200" class=INPUT/>
                    </div>
                    <div>
                        <label for="image-alt_en" class="block text-sm font-medium text-slate-700">"Alt text (en)"</label>
                        <input id="image-alt_en" name="alt_en" type="text" maxlength="200" class=INPUT/>
                    </div>
                </div>
                <button type="submit" class=BUTTON data-testid="image-upload">{t.upload}</button>
            </form>
            <p class="text-xs text-slate-500" data-testid="storage">{storage}</p>
        </div>
    }
}

/// What the last upload came to, from the address the upload sent the browser back to
/// (`?<name>=added`, or `?<name>_error=<problem>&limit=<n>`): a product image, a proof.
#[component]
pub(super) fn UploadOutcome(lang: Lang, name: &'static str, added: &'static str) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    move || {
        query.with(|q| {
            if q.get(name).as_deref() == Some("added") {
                return Some(view! { <div id="upload-outcome" class="mt-4"><Notice text=added/></div> }.into_any());
            }
            let code = IssueCode::from_name(&q.get(&format!("{name}_error"))?)?;
            let max = q.get("limit").and_then(|l| l.parse().ok());
            let text = lang.issue(&crate::error::FieldIssue {
                field: name.into(),
                code,
                max,
            });
            Some(view! {
                <p id="upload-outcome" role="alert" data-testid="form-error" class="mt-4 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{text}</p>
            }.into_any())
        })
    }
}
