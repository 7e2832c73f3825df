//! Admin pages: people and roles, audit log.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use leptos_router::{lazy_route, LazyRoute};

use super::api::{admin_audit_log, admin_list_users, AdminSetRole};
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::{failed, FormError, Loaded};
use gd_common::Role;

fn lang_here() -> Lang {
    Lang::of_path(&use_location().pathname.get_untracked())
}

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
        (Lang::De, AppError::ReauthRequired) => {
            "Bitte bestätigen Sie zuerst in Ihrem Konto, dass Sie es sind (Passwort oder Code)."
        }
        (Lang::En, AppError::ReauthRequired) => {
            "Please confirm it is you first, in your account (password or code)."
        }
        _ => crate::ui::error_text(lang, e),
    }
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
        if path.ends_with("/audit") {
            audit_view()
        } else {
            users_view()
        }
    }
}

fn users_view() -> AnyView {
    let lang = lang_here();
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
    let lang = lang_here();
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
