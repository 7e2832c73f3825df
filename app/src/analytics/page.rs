//! The analytics pages: the client's accounts and live dashboard, and the admins' overview.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    AccountRow, AdminAlertSeen, AnalyticsConnectDemo, AnalyticsDisconnect, AnalyticsSyncNow,
    ChartSpec, Dashboard, Figures,
};
use super::format::{change, date, int, moment, opt_int, percent};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::ui::{failed, FormError, Loaded, INPUT, LINK, SECONDARY};

fn tr(lang: Lang, de: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::De {
        de
    } else {
        en
    }
}

/// "Demo data" wherever a demo account's numbers are shown.
#[component]
fn DemoBadge(lang: Lang) -> impl IntoView {
    view! {
        <span data-testid="demo-badge" class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-800">
            {tr(lang, "Demo-Daten", "demo data")}
        </span>
    }
}

fn status_text(lang: Lang, status: &str) -> &'static str {
    match status {
        "active" => tr(lang, "verbunden", "connected"),
        "needs_reconnect" => tr(lang, "bitte neu verbinden", "please reconnect"),
        _ => tr(lang, "getrennt", "disconnected"),
    }
}

/// `/portal/analytics`: the client's accounts, connecting one, and the selected account's
/// dashboard (`?account=…`; admins open any client's this way).
pub(super) fn portal_view() -> AnyView {
    let lang = Lang::here();
    let query = use_query_map();
    let connect = ServerAction::<AnalyticsConnectDemo>::new();
    let disconnect = ServerAction::<AnalyticsDisconnect>::new();
    let home = Resource::new(
        move || (connect.version().get(), disconnect.version().get()),
        |_| super::api::analytics_accounts(),
    );
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = connect.value().get() {
            navigate(
                &format!("{}?account={id}", lang.path("/portal/analytics")),
                Default::default(),
            );
        }
    });
    let connect_error = failed(connect);
    let selected = move || query.with(|q| q.get("account"));
    let problem = move || query.with(|q| q.get("connect_error"));
    view! {
        <Title text=tr(lang, "Instagram-Analysen", "Instagram analytics")/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                <a href=lang.path("/portal") class=LINK>{tr(lang, "← Übersicht", "← Dashboard")}</a>
                <h1 class="mt-2 text-3xl font-bold text-slate-900">{tr(lang, "Instagram-Analysen", "Instagram analytics")}</h1>
                {move || problem().map(|code| view! {
                    <p role="alert" data-testid="connect-error" class="mt-4 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">
                        {connect_problem(lang, &code)}
                    </p>
                })}
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        let home = home.await?;
                        let first = home.accounts.iter().find(|a| a.status != "disconnected").or(home.accounts.first()).map(|a| a.id.clone());
                        let demo_mode = !home.instagram_app;
                        Ok::<_, crate::error::AppError>(view! {
                            {demo_mode.then(|| view! {
                                <p data-testid="demo-mode" class="mt-4 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900">{tr(lang,
                                    "Demo-Modus: Es ist keine Instagram-App eingerichtet. Verbundene Konten zeigen erzeugte Demo-Daten, keine echten Zahlen.",
                                    "Demo mode: no Instagram app is configured. Connected accounts show generated demo data, not real numbers.")}</p>
                            })}
                            <ul class="mt-6 grid gap-3 sm:grid-cols-2 lg:grid-cols-3" data-testid="accounts">
                                {home.accounts.into_iter().map(|a| view! { <AccountCard lang=lang account=a disconnect=disconnect/> }).collect_view()}
                            </ul>
                            {if demo_mode {
                                view! {
                                    <ActionForm action=connect attr:class="mt-6 flex max-w-xl flex-wrap items-end gap-3" attr:data-testid="connect-demo">
                                        <FormError lang=lang error=connect_error/>
                                        <label class="block flex-1 text-sm font-medium text-slate-700">{tr(lang, "Instagram-Name für ein Demo-Konto", "Instagram handle for a demo account")}
                                            <input name="handle" required placeholder="@growth.desk" class=INPUT/>
                                        </label>
                                        <button type="submit" class="rounded-xl bg-fuchsia-600 px-5 py-2 font-semibold text-white hover:bg-fuchsia-700" disabled=move || connect.pending().get()>
                                            {tr(lang, "Demo-Konto verbinden", "Connect demo account")}
                                        </button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <form method="post" action="/connect/instagram/start" class="mt-6">
                                        <input type="hidden" name="lang" value=lang.code()/>
                                        <button type="submit" data-testid="connect-instagram" class="rounded-xl bg-fuchsia-600 px-5 py-2 font-semibold text-white hover:bg-fuchsia-700">
                                            {tr(lang, "Instagram-Konto verbinden", "Connect Instagram account")}
                                        </button>
                                        <p class="mt-2 text-xs text-slate-500">{tr(lang,
                                            "Für Business- und Creator-Konten. Sie melden sich bei Instagram an und erlauben das Lesen Ihrer Statistiken.",
                                            "For business and creator accounts. You sign in at Instagram and allow reading your insights.")}</p>
                                    </form>
                                }.into_any()
                            }}
                            {move || selected().or_else(|| first.clone()).map(|id| view! { <DashboardView lang=lang account=id/> })}
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
    .into_any()
}

fn connect_problem(lang: Lang, code: &str) -> &'static str {
    match code {
        "cancelled" => tr(lang, "Die Verbindung wurde bei Instagram abgebrochen.", "The connection was cancelled at Instagram."),
        "not_professional" => tr(lang,
            "Instagram hat die Verbindung abgelehnt. Nur Business- und Creator-Konten lassen sich verbinden.",
            "Instagram refused the connection. Only business and creator accounts can be connected."),
        _ => tr(lang, "Das Verbinden hat nicht geklappt. Bitte versuchen Sie es noch einmal.", "Connecting did not work. Please try again."),
    }
}

#[component]
fn AccountCard(
    lang: Lang,
    account: AccountRow,
    disconnect: ServerAction<AnalyticsDisconnect>,
) -> impl IntoView {
    let href = format!("{}?account={}", lang.path("/portal/analytics"), account.id);
    let demo = account.source == "demo";
    let (id_disconnect, id_remove) = (account.id.clone(), account.id.clone());
    // A token is held (and can be deleted) until the client disconnects.
    let connected = account.status != "disconnected";
    view! {
        <li class="rounded-2xl bg-white p-4 shadow ring-1 ring-slate-200" data-testid="account" data-handle=account.handle.clone()>
            <div class="flex items-center justify-between gap-2">
                <a href=href class="font-semibold text-slate-900 hover:underline">"@"{account.handle.clone()}</a>
                {demo.then(|| view! { <DemoBadge lang=lang/> })}
            </div>
            <p class="mt-1 text-xs text-slate-500" data-testid="account-status">
                {status_text(lang, &account.status)}
                {account.last_synced_at.as_deref().map(|t| format!(" · {} {}", tr(lang, "zuletzt", "last"), moment(lang, t)))}
            </p>
            {account.sync_error.clone().map(|e| view! { <p class="mt-1 text-xs text-red-700">{e}</p> })}
            <div class="mt-3 flex gap-3 text-xs">
                {connected.then(|| view! {
                    <button class="text-slate-600 hover:underline" on:click=move |_| { disconnect.dispatch(AnalyticsDisconnect { account: id_disconnect.clone(), remove: false }); }>
                        {tr(lang, "Trennen", "Disconnect")}
                    </button>
                })}
                <button class="text-red-700 hover:underline" data-testid="remove-account" on:click=move |_| {
                    if confirm(tr(lang, "Dieses Konto mit allen gespeicherten Zahlen entfernen?", "Remove this account with all numbers kept for it?")) {
                        disconnect.dispatch(AnalyticsDisconnect { account: id_remove.clone(), remove: true });
                    }
                }>
                    {tr(lang, "Mit allen Daten entfernen", "Remove with all data")}
                </button>
            </div>
        </li>
    }
}

/// Asks the person to confirm (in the browser; on the server nothing is clicked).
fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(question).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        false
    }
}

/// One account's dashboard: range, figures against the previous range, the charts with their
/// tables, top posts; updated live when a sync lands.
#[component]
fn DashboardView(lang: Lang, account: String) -> impl IntoView {
    let days = RwSignal::new(30u32);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let grain = RwSignal::new(String::new());
    // Bumped by every announcement of new numbers (and by "sync now" answering).
    let news = RwSignal::new(0u32);
    let sync = ServerAction::<AnalyticsSyncNow>::new();
    let data = {
        let account = account.clone();
        Resource::new(
            move || {
                (
                    account.clone(),
                    from.get(),
                    to.get(),
                    days.get(),
                    grain.get(),
                    news.get(),
                )
            },
            move |(account, from, to, days, grain, _)| {
                super::api::analytics_dashboard(
                    account,
                    from,
                    to,
                    days,
                    grain,
                    lang.code().to_owned(),
                )
            },
        )
    };
    #[cfg(feature = "hydrate")]
    {
        let live = super::browser::Live::open(&account, move || news.update(|n| *n += 1));
        let live = StoredValue::new_local(live);
        on_cleanup(move || live.update_value(|l| drop(l.take())));
        let on_resize = leptos::ev::resize;
        let handle = window_event_listener(on_resize, |_| super::browser::resize_all());
        on_cleanup(move || handle.remove());
    }
    let sync_account = account.clone();
    let presets = [
        (7u32, "7 T", "7 d"),
        (30, "30 T", "30 d"),
        (90, "90 T", "90 d"),
        (365, "1 J", "1 y"),
        (730, "2 J", "2 y"),
    ];
    view! {
        <div class="mt-10" data-testid="dashboard" data-account=account.clone()>
            <div class="flex flex-wrap items-end gap-3">
                <div class="flex gap-1" role="group" aria-label=tr(lang, "Zeitraum", "Range")>
                    {presets.into_iter().map(|(n, de, en)| view! {
                        <button type="button" data-testid=format!("range-{n}")
                            class=move || if days.get() == n && from.get().is_empty() { "rounded-lg bg-fuchsia-600 px-3 py-1 text-sm font-semibold text-white" } else { "rounded-lg bg-white px-3 py-1 text-sm ring-1 ring-slate-300" }
                            on:click=move |_| { from.set(String::new()); to.set(String::new()); days.set(n); }>
                            {tr(lang, de, en)}
                        </button>
                    }).collect_view()}
                </div>
                <label class="text-xs text-slate-600">{tr(lang, "von", "from")}
                    <input type="date" data-testid="range-from" class="block rounded-lg border border-slate-300 px-2 py-1 text-sm"
                        prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))/>
                </label>
                <label class="text-xs text-slate-600">{tr(lang, "bis", "to")}
                    <input type="date" data-testid="range-to" class="block rounded-lg border border-slate-300 px-2 py-1 text-sm"
                        prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev))/>
                </label>
                <label class="text-xs text-slate-600">{tr(lang, "Einteilung", "Grouping")}
                    <select data-testid="grain" class="block rounded-lg border border-slate-300 px-2 py-1 text-sm" on:change=move |ev| grain.set(event_target_value(&ev))>
                        <option value="">{tr(lang, "automatisch", "automatic")}</option>
                        <option value="day">{tr(lang, "Tage", "days")}</option>
                        <option value="week">{tr(lang, "Wochen", "weeks")}</option>
                        <option value="month">{tr(lang, "Monate", "months")}</option>
                    </select>
                </label>
                <button type="button" data-testid="sync-now" class="ml-auto rounded-lg bg-white px-3 py-1 text-sm ring-1 ring-slate-300 hover:ring-fuchsia-500"
                    disabled=move || sync.pending().get()
                    on:click=move |_| { sync.dispatch(AnalyticsSyncNow { account: sync_account.clone() }); }>
                    {tr(lang, "Jetzt aktualisieren", "Sync now")}
                </button>
            </div>
            {move || sync.value().get().map(|r| view! {
                <p role="status" data-testid="sync-answer" class="mt-2 text-xs text-slate-600">{match r {
                    Ok(true) => tr(lang, "Aktualisierung angefordert: neue Zahlen erscheinen hier von selbst.", "Sync requested: new numbers appear here by themselves."),
                    Ok(false) => tr(lang, "Gerade erst aktualisiert; bitte in einer Minute noch einmal.", "Synced a moment ago; please try again in a minute."),
                    Err(_) => tr(lang, "Das hat nicht geklappt.", "That did not work."),
                }}</p>
            })}
            <Transition fallback=move || view! { <Skeleton/> }>
                <ErrorBoundary fallback=move |_| view! {
                    <p role="alert" data-testid="dashboard-error" class="mt-6 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{tr(lang,
                        "Diese Auswertung ließ sich nicht laden. Prüfen Sie den Zeitraum (höchstens zwei Jahre, Ende nach Beginn).",
                        "This report could not be loaded. Check the range (two years at most, ending after it starts).")}</p>
                }>
                    {move || Suspend::new(async move {
                        data.await.map(|d| view! { <DashboardBody lang=lang d=d news=news/> })
                    })}
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

/// Grey boxes where the figures and charts will be, while they load.
#[component]
fn Skeleton() -> impl IntoView {
    view! {
        <div class="mt-6 animate-pulse" aria-busy="true" data-testid="skeleton">
            <div class="grid gap-3 sm:grid-cols-5">
                {(0..5).map(|_| view! { <div class="h-20 rounded-2xl bg-slate-200"></div> }).collect_view()}
            </div>
            <div class="mt-6 h-72 rounded-2xl bg-slate-200"></div>
        </div>
    }
}

#[component]
fn DashboardBody(lang: Lang, d: Dashboard, news: RwSignal<u32>) -> impl IntoView {
    let demo = d.account.source == "demo";
    let csv = |table: &str| {
        format!(
            "/documents/analytics/{}/{table}.csv?from={}&to={}&grain={}&lang={}",
            d.account.id,
            d.from,
            d.to,
            d.grain,
            lang.code()
        )
    };
    let chart = |id: &str| -> Option<ChartSpec> { d.charts.iter().find(|c| c.id == id).cloned() };
    let titles = [
        (
            "followers",
            tr(lang, "Follower-Wachstum", "Follower growth"),
        ),
        (
            "views",
            tr(lang, "Aufrufe und Reichweite", "Views and reach"),
        ),
        ("engagement", tr(lang, "Engagement-Rate", "Engagement rate")),
        (
            "hours",
            tr(
                lang,
                "Beste Zeiten: Interaktionen je Beitrag nach Wochentag und Stunde (Berlin)",
                "Best times: interactions per post by weekday and hour (Berlin)",
            ),
        ),
    ];
    let points = d.points.clone();
    let hours = d.hours.clone();
    view! {
        <div class="mt-6" data-testid="dashboard-body" data-news=move || news.get().to_string()>
            <div class="flex flex-wrap items-center gap-2 text-sm text-slate-600">
                <span class="font-semibold text-slate-900">"@"{d.account.handle.clone()}</span>
                {demo.then(|| view! { <DemoBadge lang=lang/> })}
                <span>{format!("{} – {}", date(lang, &d.from), date(lang, &d.to))}</span>
                <span data-testid="owner" class="text-xs">{d.owner_email.clone()}</span>
                {d.account.last_synced_at.as_deref().map(|t| view! {
                    <span data-testid="last-sync" class="text-xs">{format!("{} {} UTC", tr(lang, "Stand:", "As of:"), moment(lang, t))}</span>
                })}
            </div>
            <Kpis lang=lang now=d.now.clone() before=d.before.clone()/>
            {titles.into_iter().map(|(id, title)| {
                let spec = chart(id);
                let table = match id {
                    "hours" => view! { <HoursTable lang=lang hours=hours.clone()/> }.into_any(),
                    _ => view! { <SeriesTable lang=lang id=id points=points.clone()/> }.into_any(),
                };
                let table_csv = if id == "hours" { csv("hours") } else { csv("series") };
                view! {
                    <section class="mt-8 rounded-2xl bg-white p-4 shadow ring-1 ring-slate-200" data-testid=format!("chart-{id}")>
                        <h2 class="font-semibold text-slate-900">{title}</h2>
                        {spec.map(|s| view! { <EChart spec=s lang=lang/> })}
                        <details class="mt-2 text-sm">
                            <summary class="cursor-pointer text-fuchsia-700">{tr(lang, "Als Tabelle", "As a table")}</summary>
                            {table}
                        </details>
                        <a class=LINK href=table_csv download="" data-testid=format!("csv-{id}")>{tr(lang, "CSV herunterladen", "Download CSV")}</a>
                    </section>
                }
            }).collect_view()}
            {(!d.deliveries.is_empty()).then(|| view! {
                <section class="mt-8" data-testid="deliveries">
                    <h2 class="font-semibold text-slate-900">{tr(lang, "Ihre Lieferungen in diesem Zeitraum", "Your deliveries in this range")}</h2>
                    <ul class="mt-2 text-sm text-slate-700">
                        {d.deliveries.iter().map(|x| view! {
                            <li>{format!("#{} · {} · {} {} · {} {}", x.order_number, x.title,
                                tr(lang, "Start", "started"), x.started_on.as_deref().map(|s| date(lang, s)).unwrap_or_else(|| "–".into()),
                                tr(lang, "geliefert", "delivered"), x.finished_on.as_deref().map(|s| date(lang, s)).unwrap_or_else(|| "–".into()))}</li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
            <section class="mt-8" data-testid="top-posts">
                <div class="flex items-baseline justify-between">
                    <h2 class="font-semibold text-slate-900">{tr(lang, "Top-Beiträge", "Top posts")}</h2>
                    <a class=LINK href=csv("posts") download="">{tr(lang, "Alle Beiträge als CSV", "All posts as CSV")}</a>
                </div>
                {if d.posts.is_empty() {
                    view! { <p class="mt-2 text-sm text-slate-500">{tr(lang, "Keine Beiträge in diesem Zeitraum.", "No posts in this range.")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="mt-3 grid gap-3 sm:grid-cols-3 lg:grid-cols-4">
                            {d.posts.iter().map(|p| view! {
                                <li class="overflow-hidden rounded-xl bg-white shadow ring-1 ring-slate-200" data-testid="post">
                                    {p.thumbnail_url.clone().map(|src| view! { <img src=src alt="" loading="lazy" class="aspect-square w-full object-cover"/> })}
                                    <div class="p-3 text-xs text-slate-600">
                                        <p class="line-clamp-2 text-slate-900">{p.caption.clone()}</p>
                                        <p class="mt-1">{format!("{} · {}", date(lang, &p.posted_at), p.kind)}</p>
                                        <p class="mt-1">{format!("{} {} · {} {} · {}",
                                            opt_int(lang, p.interactions), tr(lang, "Interaktionen", "interactions"),
                                            opt_int(lang, p.reach), tr(lang, "erreicht", "reached"),
                                            percent(lang, p.engagement_rate))}</p>
                                    </div>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}

/// The range's figures, each with its change against the range just before.
#[component]
fn Kpis(lang: Lang, now: Figures, before: Figures) -> impl IntoView {
    let f = |v: Option<i64>| v.map(|v| v as f64);
    let cards = [
        (
            "followers",
            tr(lang, "Follower", "Followers"),
            opt_int(lang, now.followers),
            now.growth.map(|g| {
                format!(
                    "{}{} ({})",
                    if g >= 0 { "+" } else { "" },
                    int(lang, g),
                    percent(lang, now.growth_rate)
                )
            }),
        ),
        (
            "views",
            tr(lang, "Aufrufe", "Views"),
            opt_int(lang, now.views),
            change(lang, f(now.views), f(before.views)),
        ),
        (
            "reach",
            tr(lang, "Reichweite (Summe der Tage)", "Reach (sum of days)"),
            opt_int(lang, now.reach),
            change(lang, f(now.reach), f(before.reach)),
        ),
        (
            "engagement",
            tr(lang, "Engagement-Rate", "Engagement rate"),
            percent(lang, now.engagement_rate),
            change(lang, now.engagement_rate, before.engagement_rate),
        ),
        (
            "posts",
            tr(lang, "Beiträge", "Posts"),
            int(lang, now.posts),
            change(lang, Some(now.posts as f64), Some(before.posts as f64)),
        ),
    ];
    view! {
        <dl class="mt-4 grid gap-3 sm:grid-cols-5">
            {cards.into_iter().map(|(id, label, value, delta)| view! {
                <div class="rounded-2xl bg-white p-4 shadow ring-1 ring-slate-200" data-testid=format!("kpi-{id}")>
                    <dt class="text-xs text-slate-500">{label}</dt>
                    <dd class="mt-1 text-2xl font-bold text-slate-900" data-testid="kpi-value">{value}</dd>
                    <dd class="text-xs text-slate-500">{delta.map(|d| format!("{d} {}", tr(lang, "zum Vorzeitraum", "vs. previous range")))}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

/// An ECharts chart drawn in the browser from the option the server made; on the server (and
/// until ECharts has loaded) an empty box of the chart's size.
#[component]
fn EChart(spec: ChartSpec, lang: Lang) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        let option = spec.option.clone();
        Effect::new(move |_| {
            if let Some(el) = node.get() {
                super::browser::draw(el.into(), option.clone(), lang);
            }
        });
        on_cleanup(move || {
            if let Some(el) = node.get_untracked() {
                super::browser::dispose(el.into());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = lang;
    view! { <div node_ref=node data-chart=spec.id class="mt-2 h-72 w-full" role="img"></div> }
}

#[component]
fn SeriesTable(lang: Lang, id: &'static str, points: Vec<super::api::PointRow>) -> impl IntoView {
    let head = match id {
        "followers" => [
            tr(lang, "Zeitraum ab", "From"),
            tr(lang, "Follower", "Followers"),
            tr(lang, "Neu", "Gained"),
            tr(lang, "Verloren", "Lost"),
        ],
        "views" => [
            tr(lang, "Zeitraum ab", "From"),
            tr(lang, "Aufrufe", "Views"),
            tr(lang, "Reichweite", "Reach"),
            tr(lang, "Interaktionen", "Interactions"),
        ],
        _ => [
            tr(lang, "Zeitraum ab", "From"),
            tr(lang, "Engagement-Rate", "Engagement rate"),
            tr(lang, "Interaktionen", "Interactions"),
            tr(lang, "Reichweite", "Reach"),
        ],
    };
    view! {
        <table class="mt-2 w-full text-left text-xs" data-testid=format!("table-{id}")>
            <thead><tr>{head.into_iter().map(|h| view! { <th class="py-1 pr-3 font-semibold">{h}</th> }).collect_view()}</tr></thead>
            <tbody>
                {points.into_iter().map(|p| {
                    let cells = match id {
                        "followers" => [date(lang, &p.bucket), opt_int(lang, p.followers), opt_int(lang, p.gained), opt_int(lang, p.lost)],
                        "views" => [date(lang, &p.bucket), opt_int(lang, p.views), opt_int(lang, p.reach), opt_int(lang, p.interactions)],
                        _ => [date(lang, &p.bucket), percent(lang, p.engagement_rate), opt_int(lang, p.interactions), opt_int(lang, p.reach)],
                    };
                    view! { <tr class="border-t border-slate-100">{cells.into_iter().map(|c| view! { <td class="py-1 pr-3">{c}</td> }).collect_view()}</tr> }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn HoursTable(lang: Lang, hours: Vec<super::api::HourRow>) -> impl IntoView {
    let days_de = [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ];
    let days_en = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    view! {
        <table class="mt-2 w-full text-left text-xs" data-testid="table-hours">
            <thead><tr>
                <th class="py-1 pr-3">{tr(lang, "Wochentag", "Weekday")}</th>
                <th class="py-1 pr-3">{tr(lang, "Stunde", "Hour")}</th>
                <th class="py-1 pr-3">{tr(lang, "Beiträge", "Posts")}</th>
                <th class="py-1 pr-3">{tr(lang, "Interaktionen je Beitrag", "Interactions per post")}</th>
            </tr></thead>
            <tbody>
                {hours.into_iter().map(|h| {
                    let i = usize::try_from(h.weekday - 1).unwrap_or(0).min(6);
                    let day = if lang == Lang::De { days_de[i] } else { days_en[i] };
                    view! { <tr class="border-t border-slate-100">
                        <td class="py-1 pr-3">{day}</td>
                        <td class="py-1 pr-3">{format!("{:02}:00", h.hour)}</td>
                        <td class="py-1 pr-3">{int(lang, h.posts)}</td>
                        <td class="py-1 pr-3">{opt_int(lang, h.avg_interactions.map(|v| v.round() as i64))}</td>
                    </tr> }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// `/admin/analytics`: every client's connected accounts (each dashboard one click away) and
/// the follower drops inside a delivery's guarantee window.
pub(super) fn admin_view() -> AnyView {
    let lang = Lang::here();
    let seen = ServerAction::<AdminAlertSeen>::new();
    let data = Resource::new(
        move || seen.version().get(),
        |_| super::api::admin_analytics(),
    );
    view! {
        <Title text=tr(lang, "Analysen der Kunden", "Client analytics")/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                {crate::admin::admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{tr(lang, "Analysen der Kunden", "Client analytics")}</h1>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        let data = data.await?;
                        Ok::<_, crate::error::AppError>(view! {
                            <h2 class="mt-8 font-semibold text-slate-900">{tr(lang, "Follower-Verluste in der Garantiezeit", "Follower drops inside the guarantee")}</h2>
                            {if data.alerts.is_empty() {
                                view! { <p class="mt-2 text-sm text-slate-500" data-testid="no-alerts">{tr(lang, "Keine offenen Hinweise.", "Nothing open.")}</p> }.into_any()
                            } else {
                                view! {
                                    <table class="mt-2 w-full text-left text-sm" data-testid="alerts">
                                        <thead><tr>
                                            <th class="py-1 pr-3">{tr(lang, "Konto", "Account")}</th>
                                            <th class="py-1 pr-3">{tr(lang, "Bestellung", "Order")}</th>
                                            <th class="py-1 pr-3">{tr(lang, "Geliefert", "Delivered")}</th>
                                            <th class="py-1 pr-3">{tr(lang, "Follower danach → jetzt", "Followers after → now")}</th>
                                            <th></th>
                                        </tr></thead>
                                        <tbody>
                                            {data.alerts.into_iter().map(|a| {
                                                let id = a.id.clone();
                                                view! { <tr class="border-t border-slate-100" data-testid="alert">
                                                    <td class="py-1 pr-3"><a class=LINK href=format!("{}?account={}", lang.path("/portal/analytics"), a.account_id)>"@"{a.handle.clone()}</a>" "<span class="text-xs text-slate-500">{a.email.clone()}</span></td>
                                                    <td class="py-1 pr-3"><a class=LINK href=lang.path(&format!("/admin/orders/{}", a.order_id))>{format!("#{}", a.order_number)}</a></td>
                                                    <td class="py-1 pr-3">{int(lang, a.delivered)}</td>
                                                    <td class="py-1 pr-3">{format!("{} → {}", int(lang, a.followers_after), int(lang, a.followers_now))}</td>
                                                    <td class="py-1"><button class=SECONDARY on:click=move |_| { seen.dispatch(AdminAlertSeen { alert: id.clone() }); }>{tr(lang, "Gesehen", "Seen")}</button></td>
                                                </tr> }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            <h2 class="mt-8 font-semibold text-slate-900">{tr(lang, "Verbundene Konten", "Connected accounts")}</h2>
                            <table class="mt-2 w-full text-left text-sm" data-testid="client-accounts">
                                <thead><tr>
                                    <th class="py-1 pr-3">{tr(lang, "Konto", "Account")}</th>
                                    <th class="py-1 pr-3">{tr(lang, "Kunde", "Client")}</th>
                                    <th class="py-1 pr-3">{tr(lang, "Stand", "State")}</th>
                                    <th class="py-1 pr-3">{tr(lang, "Letzter Abgleich", "Last sync")}</th>
                                </tr></thead>
                                <tbody>
                                    {data.accounts.into_iter().map(|a| view! {
                                        <tr class="border-t border-slate-100">
                                            <td class="py-1 pr-3">
                                                <a class=LINK href=format!("{}?account={}", lang.path("/portal/analytics"), a.id)>"@"{a.handle.clone()}</a>" "
                                                {(a.source == "demo").then(|| view! { <DemoBadge lang=lang/> })}
                                            </td>
                                            <td class="py-1 pr-3">{a.email.clone()}</td>
                                            <td class="py-1 pr-3">{status_text(lang, &a.status)}</td>
                                            <td class="py-1 pr-3">{a.last_synced_at.as_deref().map(|t| moment(lang, t)).unwrap_or_else(|| "–".into())}</td>
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
