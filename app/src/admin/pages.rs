//! Admin pages: people and roles, audit log (and the shared lazy route of every admin page).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

use super::api::{admin_audit_log, admin_list_users, AdminSetRole};
use crate::content::api::{admin_page, admin_pages, AdminSavePage};
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::{failed, Field, FormError, Loaded, Notice, BUTTON, INPUT, LINK};
use gd_common::Role;

/// The words for a failed change on these pages.
fn words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Conflict(Conflict::LastAdmin)) => {
            "Das ist der letzte aktive Admin. Ernennen Sie zuerst einen anderen."
        }
        (Lang::En, AppError::Conflict(Conflict::LastAdmin)) => {
            "This is the last active admin. Appoint another one first."
        }
        (Lang::De, AppError::Conflict(Conflict::OwnAdminRole)) => {
            "Die eigene Admin-Rolle kann nur ein anderer Admin entziehen."
        }
        (Lang::En, AppError::Conflict(Conflict::OwnAdminRole)) => {
            "Only another admin can take away your admin role."
        }
        (Lang::De, AppError::Conflict(Conflict::SlugTaken)) => {
            "Eine andere Seite dieser Art hat schon diese Adresse."
        }
        (Lang::En, AppError::Conflict(Conflict::SlugTaken)) => {
            "Another page of this kind already has this address."
        }
        (Lang::De, AppError::ReauthRequired) => {
            "Bitte bestätigen Sie zuerst in Ihrem Konto, dass Sie es sind (Passwort oder Code)."
        }
        (Lang::En, AppError::ReauthRequired) => {
            "Please confirm it is you first, in your account (password or code)."
        }
        _ => crate::ui::error_text(lang, e),
    }
}

/// The links between the admin pages, at the top of each.
pub(crate) fn admin_nav(lang: Lang) -> impl IntoView {
    let links: [(&str, &str, &str); 10] = match lang {
        Lang::De => [
            ("/admin/orders", "Bestellungen", "nav-orders"),
            ("/admin/fulfilment", "Fulfilment", "nav-fulfilment"),
            ("/admin/providers", "Anbieter", "nav-providers"),
            ("/admin/users", "Personen", "nav-users"),
            ("/admin/catalog", "Katalog", "nav-catalog"),
            ("/admin/pages", "Seiten", "nav-pages"),
            ("/admin/audit", "Audit-Log", "nav-audit"),
            ("/admin/jobs", "Jobs", "nav-jobs"),
            ("/admin/mail", "Mails", "nav-mail"),
            ("/admin/analytics", "Analysen", "nav-analytics"),
        ],
        Lang::En => [
            ("/admin/orders", "Orders", "nav-orders"),
            ("/admin/fulfilment", "Fulfilment", "nav-fulfilment"),
            ("/admin/providers", "Providers", "nav-providers"),
            ("/admin/users", "People", "nav-users"),
            ("/admin/catalog", "Catalog", "nav-catalog"),
            ("/admin/pages", "Pages", "nav-pages"),
            ("/admin/audit", "Audit log", "nav-audit"),
            ("/admin/jobs", "Jobs", "nav-jobs"),
            ("/admin/mail", "Mail", "nav-mail"),
            ("/admin/analytics", "Analytics", "nav-analytics"),
        ],
    };
    view! {
        <nav class="mb-6 flex flex-wrap gap-4 border-b border-slate-200 pb-3 text-sm" aria-label="Admin" data-testid="admin-nav">
            {links.into_iter().map(|(path, label, testid)| view! {
                <a href=lang.path(path) class=LINK data-testid=testid>{label}</a>
            }).collect_view()}
        </nav>
    }
}

/// After the first save of a new item (`id` is `new`), the page continues under the item's
/// own address, `{base}/{saved id}`; the form follows the route, so a second save changes
/// the item instead of making another.
pub(super) fn continue_at_saved<A>(
    save: ServerAction<A>,
    id: Memo<String>,
    lang: Lang,
    base: &'static str,
) where
    A: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            if id.get_untracked() == "new" {
                navigate(&lang.path(&format!("{base}/{saved}")), Default::default());
            }
        }
    });
}

/// The admin pages share one lazy chunk (each lazy page type costs the first-load bundle its
/// own loader).
pub struct AdminPages;

#[lazy_route]
impl LazyRoute for AdminPages {
    fn data() -> Self {
        AdminPages
    }

    fn view(_this: Self) -> AnyView {
        let path = leptos_router::hooks::use_location()
            .pathname
            .get_untracked();
        if path.ends_with("/finance/reports") {
            crate::invoices::reports::reports_view()
        } else if path.ends_with("/finance") {
            crate::invoices::page::finance_view()
        } else if path.ends_with("/admin/jobs") {
            super::ops::jobs_view()
        } else if path.ends_with("/admin/mail") {
            super::ops::mail_view()
        } else if path.ends_with("/admin/fulfilment") {
            super::fulfilment::work_view()
        } else if path.ends_with("/admin/providers") {
            super::fulfilment::providers_view()
        } else if path.ends_with("/admin/orders") {
            super::orders::list_view()
        } else if path.contains("/admin/orders/") {
            super::orders::detail_view()
        } else if path.ends_with("/admin/catalog") {
            super::catalog::list_view()
        } else if path.contains("/admin/catalog/") {
            super::catalog::edit_view()
        } else if path.ends_with("/audit") {
            audit_view()
        } else if path.ends_with("/admin/pages") {
            pages_view()
        } else if path.contains("/admin/pages/") {
            page_edit_view()
        } else {
            users_view()
        }
    }
}

fn users_view() -> AnyView {
    let lang = Lang::here();
    let (title, search_label, roles_label) = match lang {
        Lang::De => ("Personen und Rollen", "E-Mail enthält", "Rollen"),
        Lang::En => ("People and roles", "Email contains", "Roles"),
    };
    let search = RwSignal::new(String::new());
    let set_role = ServerAction::<AdminSetRole>::new();
    let users = Resource::new(
        move || (search.get(), set_role.version().get()),
        |(search, _)| admin_list_users(search),
    );
    view! {
        <Title text=title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{title}</h1>
                <label class="mt-6 block text-sm text-slate-700">{search_label}
                    <input class="mt-1 block w-full max-w-sm rounded-lg border border-slate-300 px-3 py-2" data-testid="user-search"
                        on:input=move |ev| search.set(event_target_value(&ev))/>
                </label>
                <div class="mt-4"><FormError lang=lang error=failed(set_role) words=words/></div>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        users.await.map(|list| view! {
                                <table class="mt-6 w-full text-left text-sm" data-testid="user-table">
                                    <thead><tr class="border-b text-slate-500">
                                        <th class="py-2">"E-Mail"</th><th>{roles_label}</th><th></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|u| {
                                            let roles = u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
                                            let toggles = Role::ALL.map(|role| {
                                                let has = u.roles.contains(&role);
                                                let id = u.id.clone();
                                                let role = role.as_str();
                                                let label = format!("{}{role}", if has { "− " } else { "+ " });
                                                view! {
                                                    <ActionForm action=set_role attr:class="inline">
                                                        <input type="hidden" name="user_id" value=id/>
                                                        <input type="hidden" name="role" value=role/>
                                                        <input type="hidden" name="grant" value=(!has).to_string()/>
                                                        <button type="submit" data-testid=format!("toggle-{role}")
                                                            class="mr-1 rounded border border-slate-300 px-2 py-1 text-xs hover:border-fuchsia-500">{label}</button>
                                                    </ActionForm>
                                                }
                                            });
                                            view! {
                                                <tr class="border-b" data-testid="user-row" data-email=u.email.clone()>
                                                    <td class="py-2">{u.email.clone()}</td>
                                                    <td data-testid="user-roles">{roles}</td>
                                                    <td class="whitespace-nowrap">{toggles.into_iter().collect_view()}</td>
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

fn audit_view() -> AnyView {
    let lang = Lang::here();
    let (title, filter_label) = match lang {
        Lang::De => ("Audit-Log", "Art (z. B. login, role, password)"),
        Lang::En => ("Audit log", "Kind (e.g. login, role, password)"),
    };
    let filter = RwSignal::new(String::new());
    let entries = Resource::new(move || filter.get(), admin_audit_log);
    view! {
        <Title text=title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                {admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{title}</h1>
                <label class="mt-6 block text-sm text-slate-700">{filter_label}
                    <input class="mt-1 block w-full max-w-sm rounded-lg border border-slate-300 px-3 py-2" data-testid="audit-filter"
                        on:input=move |ev| filter.set(event_target_value(&ev))/>
                </label>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        entries.await.map(|rows| view! {
                                <table class="mt-6 w-full text-left text-xs" data-testid="audit-table">
                                    <tbody>
                                        {rows.into_iter().map(|r| view! {
                                            <tr class="border-b align-top" data-testid="audit-row">
                                                <td class="py-1 pr-3 whitespace-nowrap">{r.at}</td>
                                                <td class="pr-3 font-semibold" data-testid="audit-action">{r.action}</td>
                                                <td class="pr-3">{r.actor.unwrap_or_default()}</td>
                                                <td class="pr-3">{r.subject.unwrap_or_default()}</td>
                                                <td class="pr-3">{r.ip.unwrap_or_default()}</td>
                                                <td class="font-mono" data-testid="audit-details">{r.details}</td>
                                            </tr>
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

/// `/admin/pages`: every written page, with a link to edit it or write a new one.
fn pages_view() -> AnyView {
    let lang = Lang::here();
    let (title, new_label, published, draft) = match lang {
        Lang::De => ("Seiten", "Neue Seite", "veröffentlicht", "Entwurf"),
        Lang::En => ("Pages", "New page", "published", "draft"),
    };
    let pages = Resource::new(|| (), |_| admin_pages());
    view! {
        <Title text=title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <div class="flex items-center justify-between">
                    <h1 class="text-3xl font-bold text-slate-900">{title}</h1>
                    <a href=lang.path("/admin/pages/new") class=LINK data-testid="new-page">{new_label}</a>
                </div>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        pages.await.map(|list| view! {
                            <table class="mt-6 w-full text-left text-sm" data-testid="page-table">
                                <tbody>
                                    {list.into_iter().map(|p| view! {
                                        <tr class="border-b" data-testid="page-row">
                                            <td class="py-2 pr-3 text-slate-500">{p.kind}</td>
                                            <td class="pr-3"><a class=LINK href=lang.path(&format!("/admin/pages/{}", p.id))>{p.title}</a></td>
                                            <td class="pr-3 font-mono">{p.slug}</td>
                                            <td class="pr-3">{if p.published { published } else { draft }}</td>
                                            <td class="text-slate-500">{p.updated}</td>
                                        </tr>
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

/// `/admin/pages/{id}` (or `new`): the edit form, both languages side by side.
fn page_edit_view() -> AnyView {
    let lang = Lang::here();
    // Tracked: saving a new page moves to the page's own address, and the form follows (its
    // hidden id then names the page, so saving again changes it instead of making another).
    let params = leptos_router::hooks::use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let (title, save_label, saved_label, published_label) = match lang {
        Lang::De => (
            "Seite bearbeiten",
            "Speichern",
            "Gespeichert.",
            "Veröffentlicht",
        ),
        Lang::En => ("Edit page", "Save", "Saved.", "Published"),
    };
    let form = Resource::new(move || id.get(), admin_page);
    let save = ServerAction::<AdminSavePage>::new();
    let error = failed(save);
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    continue_at_saved(save, id, lang, "/admin/pages");
    view! {
        <Title text=title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{title}</h1>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        form.await.map(move |f| {
                            let text = move |name: &'static str, label: &'static str, value: String| view! {
                                <Field form="page" lang=lang label=label name=name error=error>
                                    <input id=format!("page-{name}") name=name type="text" value=value class=INPUT
                                        aria-describedby=format!("page-{name}-error")/>
                                </Field>
                            };
                            let area = move |name: &'static str, label: &'static str, value: String, rows: &'static str| view! {
                                <Field form="page" lang=lang label=label name=name error=error>
                                    <textarea id=format!("page-{name}") name=name rows=rows class=INPUT
                                        aria-describedby=format!("page-{name}-error")>{value}</textarea>
                                </Field>
                            };
                            view! {
                                <ActionForm action=save attr:class="mt-6 space-y-4" attr:data-testid="page-form">
                                    <input type="hidden" name="id" value=f.id.clone()/>
                                    <FormError lang=lang error=error words=words/>
                                    <Show when=saved><Notice text=saved_label/></Show>
                                    <div class="grid gap-4 sm:grid-cols-2">
                                        <Field form="page" lang=lang label="Art / kind" name="kind" error=error>
                                            <select id="page-kind" name="kind" class=INPUT>
                                                <option value="legal" selected={f.kind == "legal"}>"legal"</option>
                                                <option value="blog" selected={f.kind == "blog"}>"blog"</option>
                                            </select>
                                        </Field>
                                        {text("slug", "Adresse / slug", f.slug.clone())}
                                        {text("title_de", "Titel (de)", f.title_de.clone())}
                                        {text("title_en", "Title (en)", f.title_en.clone())}
                                        {text("summary_de", "Kurzfassung (de)", f.summary_de.clone())}
                                        {text("summary_en", "Summary (en)", f.summary_en.clone())}
                                        {area("body_de", "Text (de, Markdown)", f.body_de.clone(), "16")}
                                        {area("body_en", "Text (en, Markdown)", f.body_en.clone(), "16")}
                                    </div>
                                    <label class="flex items-center gap-2 text-sm text-slate-700">
                                        <input type="checkbox" name="published" checked=f.published data-testid="page-published"/>
                                        {published_label}
                                    </label>
                                    <button type="submit" class=BUTTON data-testid="page-save">{save_label}</button>
                                </ActionForm>
                            }
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
    .into_any()
}
