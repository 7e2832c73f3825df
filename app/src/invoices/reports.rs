//! `/finance/reports`: the charts (net revenue and MRR by month, new and churned
//! subscriptions, revenue by product, revenue by product and month), payments and refunds,
//! open items, the bookkeeping sync's counts, and the accountant's exports (CSV, DATEV).
//!
//! The charts are plain SVG drawn by the page itself: bars of a dozen values need no chart
//! library, and the finance chunk stays small (docs/BENCHMARKS.md).

use gd_pricing::Cents;
use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{finance_overview, FinanceReport, ProductMonths};
use super::page::date_text;
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::shop::money;
use crate::ui::{Loaded, INPUT, LINK};

/// One bar: its label, its value, and the value as text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    pub label: String,
    pub value: i64,
    pub text: String,
}

const CHART_W: f64 = 640.0;
const CHART_H: f64 = 200.0;
const LABEL_H: f64 = 18.0;

/// A bar chart as SVG: bars from a zero line (negative values hang below it), each with its
/// value in a tooltip and its label underneath.
#[component]
pub(crate) fn BarChart(
    bars: Vec<Bar>,
    #[prop(into)] title: String,
    #[prop(into)] testid: String,
    #[prop(default = "fill-indigo-500")] color: &'static str,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(0);
    let min = bars.iter().map(|b| b.value).min().unwrap_or(0).min(0);
    let span = ((max - min).max(1)) as f64;
    let plot_h = CHART_H - LABEL_H;
    let zero_y = (max as f64) / span * plot_h;
    let n = bars.len().max(1) as f64;
    let slot = CHART_W / n;
    let width = (slot * 0.7).max(2.0);
    let empty = bars.iter().all(|b| b.value == 0);
    view! {
        <figure class="mt-4" data-testid=testid>
            <figcaption class="text-sm font-semibold text-slate-700">{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") class="mt-2 h-48 w-full" role="img" aria-label=title>
                <line x1="0" x2=CHART_W.to_string() y1=zero_y.to_string() y2=zero_y.to_string() class="stroke-slate-300" stroke-width="1"/>
                {bars.into_iter().enumerate().map(|(i, b)| {
                    let h = (b.value.abs() as f64) / span * plot_h;
                    let y = if b.value >= 0 { zero_y - h } else { zero_y };
                    let x = i as f64 * slot + (slot - width) / 2.0;
                    view! {
                        <g data-testid="chart-bar" data-value=b.value.to_string()>
                            <title>{format!("{}: {}", b.label, b.text)}</title>
                            <rect x=x.to_string() y=y.to_string() width=width.to_string() height=h.max(0.5).to_string() class=color/>
                            <text x=(x + width / 2.0).to_string() y=(CHART_H - 4.0).to_string() text-anchor="middle" class="fill-slate-500 text-[10px]">{b.label}</text>
                        </g>
                    }
                }).collect_view()}
            </svg>
            {empty.then(|| view! { <p class="text-xs text-slate-500">"—"</p> })}
        </figure>
    }
}

/// The fills of the stacked chart's series, in order; the others are always grey.
const SERIES_FILLS: [&str; 5] = [
    "fill-amber-500",
    "fill-indigo-500",
    "fill-emerald-500",
    "fill-sky-500",
    "fill-rose-500",
];
const OTHERS_FILL: &str = "fill-slate-400";

/// Net revenue by product and month as stacked bars (a month's negative amounts, refunds
/// beyond its sales, hang below the zero line), with a legend, a tooltip per part and the
/// figures as a table for those who cannot see the chart.
#[component]
fn ProductMonthsChart(
    lang: Lang,
    months: Vec<String>,
    series: Vec<ProductMonths>,
    #[prop(into)] title: String,
) -> impl IntoView {
    let de = lang == Lang::De;
    let name = move |s: &ProductMonths| match (&s.product, de) {
        (Some(p), _) => p.clone(),
        (None, true) => "Übrige Produkte".to_owned(),
        (None, false) => "Other products".to_owned(),
    };
    let fill = |i: usize, s: &ProductMonths| match s.product {
        Some(_) => SERIES_FILLS[i % SERIES_FILLS.len()],
        None => OTHERS_FILL,
    };
    let n = months.len();
    let sum = |j: usize, positive: bool| -> i64 {
        series
            .iter()
            .filter_map(|s| s.net.get(j).map(|c| c.0))
            .filter(|&v| (v > 0) == positive)
            .sum()
    };
    let max = (0..n).map(|j| sum(j, true)).max().unwrap_or(0).max(0);
    let min = (0..n).map(|j| sum(j, false)).min().unwrap_or(0).min(0);
    let span = ((max - min).max(1)) as f64;
    let plot_h = CHART_H - LABEL_H;
    let zero_y = (max as f64) / span * plot_h;
    let slot = CHART_W / n.max(1) as f64;
    let width = (slot * 0.7).max(2.0);
    // Each month's parts, stacked up from the zero line (down for negative ones).
    let mut parts = Vec::new();
    for (j, month) in months.iter().enumerate() {
        let (mut up, mut down) = (0i64, 0i64);
        let x = j as f64 * slot + (slot - width) / 2.0;
        for (i, s) in series.iter().enumerate() {
            let v = s.net.get(j).map_or(0, |c| c.0);
            if v == 0 {
                continue;
            }
            let (y, h) = if v > 0 {
                up += v;
                (zero_y - up as f64 / span * plot_h, v as f64 / span * plot_h)
            } else {
                down -= v;
                (
                    zero_y + (down + v) as f64 / span * plot_h,
                    -v as f64 / span * plot_h,
                )
            };
            let tip = format!("{month} · {}: {}", name(s), money(lang, Cents(v)));
            parts.push(view! {
                <g data-testid="chart-part" data-value=v.to_string()>
                    <title>{tip}</title>
                    <rect x=x.to_string() y=y.to_string() width=width.to_string() height=h.max(0.5).to_string() class=fill(i, s)/>
                </g>
            });
        }
    }
    let labels = months.iter().enumerate().map(|(j, m)| {
        let x = j as f64 * slot + slot / 2.0;
        view! { <text x=x.to_string() y=(CHART_H - 4.0).to_string() text-anchor="middle" class="fill-slate-500 text-[10px]">{m.clone()}</text> }
    }).collect_view();
    let legend = series.iter().enumerate().map(|(i, s)| view! {
        <li class="flex items-center gap-1">
            <svg viewBox="0 0 10 10" class="h-3 w-3" aria-hidden="true"><rect width="10" height="10" class=fill(i, s)/></svg>
            {name(s)}
        </li>
    }).collect_view();
    let rows = series.iter().map(|s| {
        let total = Cents(s.net.iter().map(|c| c.0).sum());
        view! {
            <tr class="border-b border-slate-100">
                <th scope="row" class="py-1 pr-3 font-normal">{name(s)}</th>
                {s.net.iter().map(|&c| view! { <td class="py-1 pr-3 text-right">{money(lang, c)}</td> }).collect_view()}
                <td class="py-1 pr-3 text-right font-semibold">{money(lang, total)}</td>
            </tr>
        }
    }).collect_view();
    view! {
        <figure class="mt-4" data-testid="chart-product-months">
            <figcaption class="text-sm font-semibold text-slate-700">{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {CHART_W} {CHART_H}") class="mt-2 h-48 w-full" role="img" aria-label=title>
                <line x1="0" x2=CHART_W.to_string() y1=zero_y.to_string() y2=zero_y.to_string() class="stroke-slate-300" stroke-width="1"/>
                {parts}
                {labels}
            </svg>
            <ul class="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">{legend}</ul>
            <details class="mt-2 text-sm">
                <summary class="cursor-pointer text-slate-600">{if de { "Als Tabelle" } else { "As a table" }}</summary>
                <div class="mt-2 overflow-x-auto">
                <table class="w-full text-left text-xs" data-testid="product-months-table">
                    <thead class="border-b border-slate-200 text-slate-600"><tr>
                        <th scope="col" class="py-1 pr-3">{if de { "Produkt" } else { "Product" }}</th>
                        {months.iter().map(|m| view! { <th scope="col" class="py-1 pr-3 text-right">{m.clone()}</th> }).collect_view()}
                        <th scope="col" class="py-1 pr-3 text-right">{if de { "Summe" } else { "Total" }}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                </div>
            </details>
        </figure>
    }
}

/// `2026-12` as a short month label.
fn month_label(lang: Lang, ym: &str) -> String {
    match ym.split_once('-') {
        Some((y, m)) if lang == Lang::De => format!("{m}/{}", &y[y.len().saturating_sub(2)..]),
        Some((y, m)) => format!("{}-{m}", &y[y.len().saturating_sub(2)..]),
        None => ym.to_owned(),
    }
}

fn charts(lang: Lang, o: &FinanceReport) -> impl IntoView {
    let de = lang == Lang::De;
    let money_bars = |pick: fn(&super::api::MonthRow) -> Cents| {
        o.months
            .iter()
            .map(|m| Bar {
                label: month_label(lang, &m.month),
                value: pick(m).0,
                text: money(lang, pick(m)),
            })
            .collect::<Vec<_>>()
    };
    let count_bars = |pick: fn(&super::api::MonthRow) -> i64| {
        o.months
            .iter()
            .map(|m| Bar {
                label: month_label(lang, &m.month),
                value: pick(m),
                text: pick(m).to_string(),
            })
            .collect::<Vec<_>>()
    };
    let products: Vec<Bar> = o
        .products
        .iter()
        .take(12)
        .map(|p| Bar {
            label: p.product.chars().take(14).collect(),
            value: p.net.0,
            text: money(lang, p.net),
        })
        .collect();
    view! {
        <div class="grid gap-6 lg:grid-cols-2">
            <BarChart bars=money_bars(|m| m.revenue_net) testid="chart-revenue"
                title=if de { "Nettoumsatz je Monat (Rechnungen abzüglich Korrekturen)" } else { "Net revenue by month (invoices less credit notes)" }/>
            <BarChart bars=money_bars(|m| m.mrr) testid="chart-mrr" color="fill-emerald-500"
                title=if de { "MRR am Monatsende (brutto)" } else { "MRR at month end (gross)" }/>
            <BarChart bars=count_bars(|m| m.new_subscriptions) testid="chart-new" color="fill-sky-500"
                title=if de { "Neue Abos" } else { "New subscriptions" }/>
            <BarChart bars=count_bars(|m| m.churned_subscriptions) testid="chart-churned" color="fill-rose-500"
                title=if de { "Beendete Abos" } else { "Churned subscriptions" }/>
        </div>
        <BarChart bars=products testid="chart-products" color="fill-amber-500"
            title=if de { "Nettoumsatz je Produkt im Zeitraum (Korrekturen beim erstatteten Produkt)" } else { "Net revenue by product in the period (credit notes against the refunded product)" }/>
        <ProductMonthsChart lang=lang months=o.months.iter().map(|m| month_label(lang, &m.month)).collect() series=o.product_months.clone()
            title=if de { "Nettoumsatz je Produkt und Monat" } else { "Net revenue by product and month" }/>
    }
}

fn payments_table(lang: Lang, o: &FinanceReport) -> impl IntoView {
    let de = lang == Lang::De;
    view! {
        <h2 class="mt-10 text-xl font-semibold text-slate-900">{if de { "Zahlungen und Erstattungen" } else { "Payments and refunds" }}</h2>
        <div class="mt-2 overflow-x-auto">
        <table class="w-full text-left text-sm" data-testid="finance-payments">
            <thead class="border-b border-slate-200 text-slate-600"><tr>
                <th class="py-2 pr-3">{if de { "Zeit (UTC)" } else { "Time (UTC)" }}</th>
                <th class="py-2 pr-3">{if de { "Art" } else { "Kind" }}</th>
                <th class="py-2 pr-3">{if de { "Kunde" } else { "Client" }}</th>
                <th class="py-2 pr-3">{if de { "Bestellung" } else { "Order" }}</th>
                <th class="py-2 pr-3">{if de { "Zahlungsweg" } else { "Gateway" }}</th>
                <th class="py-2 pr-3 text-right">{if de { "Betrag" } else { "Amount" }}</th>
            </tr></thead>
            <tbody>
                {o.payments.iter().map(|p| view! {
                    <tr class="border-b border-slate-100" data-testid="finance-payment" data-refund=p.refund.to_string()>
                        <td class="py-2 pr-3">{p.at.clone()}</td>
                        <td class="py-2 pr-3">{match (p.refund, de) {
                            (true, true) => "Erstattung", (true, false) => "Refund",
                            (false, true) => "Zahlung", (false, false) => "Payment",
                        }}</td>
                        <td class="py-2 pr-3">{p.client.clone()}</td>
                        <td class="py-2 pr-3"><a class=LINK href=lang.path(&format!("/admin/orders/{}", p.order_id))>{p.order_number}</a></td>
                        <td class="py-2 pr-3">{if p.gateway == "test" { if de { "Testzahlung" } else { "Test payment" }.to_owned() } else { p.gateway.clone() }}
                            <span class="block text-xs text-slate-500">{p.reference.clone()}</span></td>
                        <td class="py-2 pr-3 text-right">{if p.refund { "−" } else { "" }}{money(lang, p.amount)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

fn open_items_table(lang: Lang, o: &FinanceReport) -> impl IntoView {
    let de = lang == Lang::De;
    if o.open_items.is_empty() {
        return view! {
            <h2 class="mt-10 text-xl font-semibold text-slate-900">{if de { "Offene Posten" } else { "Open items" }}</h2>
            <p class="mt-2 text-sm text-slate-600" data-testid="no-open-items">{if de { "Keine offenen Posten." } else { "No open items." }}</p>
        }.into_any();
    }
    view! {
        <h2 class="mt-10 text-xl font-semibold text-slate-900">{if de { "Offene Posten" } else { "Open items" }}</h2>
        <div class="mt-2 overflow-x-auto">
        <table class="w-full text-left text-sm" data-testid="finance-open-items">
            <thead class="border-b border-slate-200 text-slate-600"><tr>
                <th class="py-2 pr-3">{if de { "Seit" } else { "Since" }}</th>
                <th class="py-2 pr-3">{if de { "Kunde" } else { "Client" }}</th>
                <th class="py-2 pr-3">{if de { "Abo" } else { "Plan" }}</th>
                <th class="py-2 pr-3">{if de { "Stand" } else { "State" }}</th>
                <th class="py-2 pr-3 text-right">{if de { "Betrag" } else { "Amount" }}</th>
            </tr></thead>
            <tbody>
                {o.open_items.iter().map(|i| view! {
                    <tr class="border-b border-slate-100" data-testid="open-item">
                        <td class="py-2 pr-3">{date_text(lang, &i.since)}</td>
                        <td class="py-2 pr-3">{i.client.clone()}</td>
                        <td class="py-2 pr-3"><a class=LINK href=lang.path(&format!("/admin/orders/{}", i.order_id))>{i.plan.clone()}</a></td>
                        <td class="py-2 pr-3">{match (i.failed, de) {
                            (true, true) => format!("fehlgeschlagen ({} Versuche)", i.attempts),
                            (true, false) => format!("failed ({} attempts)", i.attempts),
                            (false, true) => "offen".to_owned(),
                            (false, false) => "open".to_owned(),
                        }}</td>
                        <td class="py-2 pr-3 text-right">{money(lang, i.amount)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }.into_any()
}

/// The first and last day of the month before `today` (`YYYY-MM-DD`), the export's default.
fn last_month(today: &str) -> (String, String) {
    let mut parts = today.split('-').filter_map(|p| p.parse::<u32>().ok());
    let (Some(y), Some(m)) = (parts.next(), parts.next()) else {
        return (String::new(), String::new());
    };
    let (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let last = match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    };
    (
        format!("{y:04}-{m:02}-01"),
        format!("{y:04}-{m:02}-{last:02}"),
    )
}

/// The first day of the next fiscal year (beginning in month `start`) when the period `from`
/// … `to` (`YYYY-MM-DD`) runs into it: the page says so at once, as the DATEV export would
/// (`gd_invoices::export::fiscal_year_boundary`; the browser carries no date library).
fn fiscal_year_boundary(from: &str, to: &str, start: u32) -> Option<String> {
    let mut parts = from.split('-').filter_map(|p| p.parse::<u32>().ok());
    let (y, m) = (parts.next()?, parts.next()?);
    let start = start.clamp(1, 12);
    let year = if m < start { y } else { y + 1 };
    let boundary = format!("{year:04}-{start:02}-01");
    (to.len() == 10 && to >= boundary.as_str()).then_some(boundary)
}

/// `/finance/reports`.
pub(crate) fn reports_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let export_from = RwSignal::new(String::new());
    let export_to = RwSignal::new(String::new());
    let fiscal_start = RwSignal::new(1u32);
    let boundary =
        move || fiscal_year_boundary(&export_from.get(), &export_to.get(), fiscal_start.get());
    let overview = Resource::new(
        move || (from.get(), to.get()),
        |(from, to)| finance_overview(from, to),
    );
    let export_url = move |file: &str| {
        format!(
            "/documents/finance/{file}?from={}&to={}&lang={}",
            export_from.get(),
            export_to.get(),
            lang.code()
        )
    };
    view! {
        <Title text=if de { "Finanzen: Auswertungen" } else { "Finance: reports" }/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                <a href=lang.path("/finance") class=LINK>{if de { "← Rechnungen" } else { "← Invoices" }}</a>
                <h1 class="mt-2 text-3xl font-bold text-slate-900">{if de { "Finanzen: Auswertungen" } else { "Finance: reports" }}</h1>
                <form class="mt-6 grid gap-4 sm:grid-cols-4" on:submit=|ev| ev.prevent_default() data-testid="reports-filter">
                    <label class="text-sm text-slate-700">{if de { "Von" } else { "From" }}
                        <input type="date" class=INPUT prop:value=from on:change=move |ev| from.set(event_target_value(&ev)) data-testid="reports-from"/>
                    </label>
                    <label class="text-sm text-slate-700">{if de { "Bis" } else { "To" }}
                        <input type="date" class=INPUT prop:value=to on:change=move |ev| to.set(event_target_value(&ev)) data-testid="reports-to"/>
                    </label>
                </form>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        overview.await.map(|o| {
                            if export_from.get_untracked().is_empty() {
                                let (f, t) = last_month(&o.to);
                                export_from.set(f);
                                export_to.set(t);
                            }
                            fiscal_start.set(o.fiscal_year_start_month);
                            let sync = if o.lexoffice {
                                view! { <p class="mt-4 text-sm text-slate-600" data-testid="sync-counts">{if de {
                                    format!("Lexoffice: {} übertragen, {} wartend, {} fehlgeschlagen.", o.sync_pushed, o.sync_waiting, o.sync_failed)
                                } else {
                                    format!("Lexoffice: {} sent, {} waiting, {} failed.", o.sync_pushed, o.sync_waiting, o.sync_failed)
                                }}</p> }.into_any()
                            } else {
                                view! { <p class="mt-4 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="sync-counts">{if de {
                                    format!("Lexoffice nicht verbunden: {} Belege warten auf die Übertragung.", o.sync_waiting)
                                } else {
                                    format!("Lexoffice not connected: {} documents wait to be sent.", o.sync_waiting)
                                }}</p> }.into_any()
                            };
                            view! {
                                <p class="mt-2 text-sm text-slate-600">{if de { "Zeitraum: " } else { "Period: " }}
                                    {date_text(lang, &o.from)} " – " {date_text(lang, &o.to)}</p>
                                {sync}
                                {charts(lang, &o)}
                                {payments_table(lang, &o)}
                                {open_items_table(lang, &o)}
                            }
                        })
                    })}
                </Loaded>
                <h2 class="mt-10 text-xl font-semibold text-slate-900">{if de { "Export für die Buchhaltung" } else { "Export for the accountant" }}</h2>
                <p class="mt-2 text-sm text-slate-600">{if de {
                    "Rechnungen und Korrekturen eines Zeitraums (höchstens ein Jahr) als Tabelle oder als DATEV-Buchungsstapel (EXTF)."
                } else {
                    "Invoices and credit notes of a period (at most a year) as a table or as a DATEV Buchungsstapel (EXTF)."
                }}</p>
                <div class="mt-4 flex flex-wrap items-end gap-4" data-testid="export-form">
                    <label class="text-sm text-slate-700">{if de { "Von" } else { "From" }}
                        <input type="date" class=INPUT prop:value=export_from on:change=move |ev| export_from.set(event_target_value(&ev)) data-testid="export-from"/>
                    </label>
                    <label class="text-sm text-slate-700">{if de { "Bis" } else { "To" }}
                        <input type="date" class=INPUT prop:value=export_to on:change=move |ev| export_to.set(event_target_value(&ev)) data-testid="export-to"/>
                    </label>
                    <a class="rounded-xl bg-fuchsia-600 px-6 py-2 text-sm font-semibold text-white shadow hover:bg-fuchsia-700 aria-disabled:cursor-not-allowed aria-disabled:opacity-50"
                        href=move || boundary().is_none().then(|| export_url("datev.csv"))
                        aria-disabled=move || boundary().is_some().then_some("true")
                        rel="external" download="" data-testid="export-datev">"DATEV (EXTF)"</a>
                    <a class=LINK href=move || export_url("invoices.csv") rel="external" download="" data-testid="export-csv">"CSV"</a>
                </div>
                {move || boundary().map(|b| {
                    let day = date_text(lang, &b);
                    view! { <p class="mt-3 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900" role="alert" data-testid="export-error">{if de {
                        format!("Der Zeitraum reicht in das Geschäftsjahr, das am {day} beginnt. Ein DATEV-Buchungsstapel umfasst ein Geschäftsjahr: bitte bis zum Vortag und ab dem {day} getrennt exportieren.")
                    } else {
                        format!("The period runs into the fiscal year beginning {day}. A DATEV batch holds one fiscal year: please export up to the day before and from {day} separately.")
                    }}</p> }
                })}
            </section>
        </Layout>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_defaults_to_last_month() {
        assert_eq!(
            last_month("2026-12-02"),
            ("2026-11-01".into(), "2026-11-30".into())
        );
        assert_eq!(
            last_month("2027-01-15"),
            ("2026-12-01".into(), "2026-12-31".into())
        );
        assert_eq!(
            last_month("2028-03-01"),
            ("2028-02-01".into(), "2028-02-29".into())
        );
    }

    #[test]
    fn a_period_into_the_next_fiscal_year_names_its_first_day() {
        assert_eq!(fiscal_year_boundary("2026-01-01", "2026-12-31", 1), None);
        assert_eq!(
            fiscal_year_boundary("2026-12-01", "2027-01-31", 1),
            Some("2027-01-01".into())
        );
        assert_eq!(fiscal_year_boundary("2026-07-01", "2027-06-30", 7), None);
        assert_eq!(
            fiscal_year_boundary("2027-03-01", "2027-07-01", 7),
            Some("2027-07-01".into())
        );
        // Half-typed dates are no period yet.
        assert_eq!(fiscal_year_boundary("2026-12-01", "", 1), None);
        assert_eq!(fiscal_year_boundary("", "2027-01-31", 1), None);
    }

    #[test]
    fn months_are_labelled_short() {
        assert_eq!(month_label(Lang::De, "2026-12"), "12/26");
        assert_eq!(month_label(Lang::En, "2026-12"), "26-12");
    }
}
