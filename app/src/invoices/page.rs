//! Invoice lists: a client's (on an order's page and at `/portal/invoices`) and finance's
//! (`/finance`), each with its PDF and e-invoice downloads.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{finance_invoices, my_invoices, FinanceRetrySync, InvoiceRow, FINANCE_LIST_MAX};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::shop::money;
use crate::ui::{Loaded, INPUT, LINK, SECONDARY};

/// `2026-12-02` as the reader writes dates.
pub(crate) fn date_text(lang: Lang, iso: &str) -> String {
    match (lang, iso.split('-').collect::<Vec<_>>().as_slice()) {
        (Lang::De, [y, m, d]) => format!("{d}.{m}.{y}"),
        _ => iso.to_owned(),
    }
}

fn kind_text(lang: Lang, kind: &str) -> &'static str {
    match (lang, kind) {
        (Lang::De, "credit_note") => "Rechnungskorrektur",
        (Lang::En, "credit_note") => "Credit note",
        (Lang::De, _) => "Rechnung",
        (Lang::En, _) => "Invoice",
    }
}

/// The download links of an invoice. Plain links to the server (`rel=external`: not the
/// router's), which answers with the file.
fn downloads(lang: Lang, r: &InvoiceRow) -> impl IntoView {
    let de = lang == Lang::De;
    view! {
        <a class=LINK href=r.pdf_url.clone() rel="external" download="" data-testid="invoice-pdf">"PDF"</a>
        " · "
        <a class=LINK href=r.xml_url.clone() rel="external" download="" data-testid="invoice-xml"
            title=if de { "E-Rechnung (EN 16931, CII)" } else { "E-invoice (EN 16931, CII)" }>"XML"</a>
    }
}

/// Where an invoice stands in Lexoffice, with a retry for a failed push.
fn sync_cell(lang: Lang, r: &InvoiceRow, retry: ServerAction<FinanceRetrySync>) -> AnyView {
    let de = lang == Lang::De;
    let (text, class) = match r.sync.as_str() {
        "pushed" => (
            match (r.payment_status.as_deref(), de) {
                (Some("balanced"), true) => "übertragen · bezahlt",
                (Some("balanced"), false) => "sent · paid",
                (_, true) => "übertragen",
                (_, false) => "sent",
            },
            "text-emerald-700",
        ),
        "failed" => (
            if de { "fehlgeschlagen" } else { "failed" },
            "text-rose-700",
        ),
        "queued" => (
            if de { "in Arbeit" } else { "in progress" },
            "text-slate-600",
        ),
        _ => (if de { "wartet" } else { "waiting" }, "text-slate-500"),
    };
    let failed = r.sync == "failed";
    let id = r.id.clone();
    view! {
        <span class=class data-testid="sync-state" data-state=r.sync.clone() title=r.sync_error.clone().unwrap_or_default()>{text}</span>
        {failed.then(|| view! {
            <span class="block text-xs text-rose-700" data-testid="sync-error">{r.sync_error.clone().unwrap_or_default()}</span>
            <button type="button" class=LINK data-testid="sync-retry"
                on:click=move |_| { retry.dispatch(FinanceRetrySync { invoice: id.clone() }); }>
                {if de { "Erneut versuchen" } else { "Try again" }}
            </button>
        })}
    }
    .into_any()
}

/// A client's invoices: of `order`, or all (`order` empty).
#[component]
pub fn MyInvoices(lang: Lang, #[prop(into)] order: String) -> impl IntoView {
    let de = lang == Lang::De;
    let invoices = Resource::new(move || (), move |_| my_invoices(order.clone()));
    view! {
        <Loaded lang=lang>
            {move || Suspend::new(async move {
                invoices.await.map(|rows| {
                    if rows.is_empty() {
                        return view! {
                            <p class="text-sm text-slate-600" data-testid="no-invoices">{if de {
                                "Noch keine Rechnung: sie entsteht mit der Zahlung."
                            } else {
                                "No invoice yet: it is issued with the payment."
                            }}</p>
                        }.into_any();
                    }
                    view! {
                        <ul class="divide-y divide-slate-100 text-sm" data-testid="invoices">
                            {rows.into_iter().map(|r| view! {
                                <li class="flex flex-wrap items-baseline justify-between gap-2 py-2" data-testid="invoice" data-kind=r.kind.clone()>
                                    <span>
                                        <strong data-testid="invoice-number">{r.number.clone()}</strong> " · " {kind_text(lang, &r.kind)}
                                        " · " {date_text(lang, &r.issued_on)}
                                        {r.corrects.clone().map(|c| format!(" · {} {c}", if de { "zu" } else { "for" }))}
                                    </span>
                                    <span>
                                        <span data-testid="invoice-total">{money(lang, r.total)}</span> " · " {downloads(lang, &r)}
                                    </span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })
            })}
        </Loaded>
    }
}

/// `/portal/invoices`: every invoice and credit note of the client.
pub(crate) fn portal_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    view! {
        <Title text=if de { "Rechnungen" } else { "Invoices" }/>
        <Layout lang=lang>
            <section class="mx-auto max-w-3xl px-4 py-12">
                <a href=lang.path("/portal") class=LINK>{if de { "← Übersicht" } else { "← Dashboard" }}</a>
                <h1 class="mt-2 text-3xl font-bold text-slate-900">{if de { "Rechnungen" } else { "Invoices" }}</h1>
                <p class="mt-2 text-sm text-slate-600">{if de {
                    "Rechnungen an Unternehmen enthalten die E-Rechnung (ZUGFeRD/Factur-X); die XML-Datei gibt es auch einzeln."
                } else {
                    "Invoices to businesses carry the e-invoice (ZUGFeRD/Factur-X); the XML file is also available on its own."
                }}</p>
                <div class="mt-6"><MyInvoices lang=lang order=""/></div>
            </section>
        </Layout>
    }
    .into_any()
}

/// `/finance`: invoices and credit notes by period, client and kind, with their sums and
/// downloads, and the bookkeeping's connection.
pub(crate) fn finance_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let sync = RwSignal::new(String::new());
    let retry = ServerAction::<FinanceRetrySync>::new();
    let list = Resource::new(
        move || {
            (
                from.get(),
                to.get(),
                query.get(),
                kind.get(),
                sync.get(),
                retry.version().get(),
            )
        },
        |(from, to, query, kind, sync, _)| finance_invoices(from, to, query, kind, sync),
    );
    view! {
        <Title text=if de { "Finanzen" } else { "Finance" }/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                <h1 class="text-3xl font-bold text-slate-900">{if de { "Finanzen: Rechnungen" } else { "Finance: invoices" }}</h1>
                <p class="mt-2"><a class=LINK href=lang.path("/finance/reports") data-testid="reports-link">{if de {
                    "Auswertungen, Zahlungen, offene Posten und Export (DATEV) →"
                } else {
                    "Reports, payments, open items and export (DATEV) →"
                }}</a></p>
                <form class="mt-6 grid gap-4 sm:grid-cols-5" on:submit=|ev| ev.prevent_default() data-testid="finance-filter">
                    <label class="text-sm text-slate-700">{if de { "Von" } else { "From" }}
                        <input type="date" class=INPUT prop:value=from on:change=move |ev| from.set(event_target_value(&ev)) data-testid="filter-from"/>
                    </label>
                    <label class="text-sm text-slate-700">{if de { "Bis" } else { "To" }}
                        <input type="date" class=INPUT prop:value=to on:change=move |ev| to.set(event_target_value(&ev)) data-testid="filter-to"/>
                    </label>
                    <label class="text-sm text-slate-700">{if de { "Suche (Nummer, Kunde)" } else { "Search (number, client)" }}
                        <input type="search" class=INPUT prop:value=query on:change=move |ev| query.set(event_target_value(&ev)) data-testid="filter-query"/>
                    </label>
                    <label class="text-sm text-slate-700">{if de { "Art" } else { "Kind" }}
                        <select class=INPUT on:change=move |ev| kind.set(event_target_value(&ev)) data-testid="filter-kind">
                            <option value="">{if de { "Alle" } else { "All" }}</option>
                            <option value="invoice">{if de { "Rechnungen" } else { "Invoices" }}</option>
                            <option value="credit_note">{if de { "Rechnungskorrekturen" } else { "Credit notes" }}</option>
                        </select>
                    </label>
                    <label class="text-sm text-slate-700">"Lexoffice"
                        <select class=INPUT on:change=move |ev| sync.set(event_target_value(&ev)) data-testid="filter-sync">
                            <option value="">{if de { "Alle" } else { "All" }}</option>
                            <option value="waiting">{if de { "wartet" } else { "waiting" }}</option>
                            <option value="queued">{if de { "in Arbeit" } else { "in progress" }}</option>
                            <option value="failed">{if de { "fehlgeschlagen" } else { "failed" }}</option>
                            <option value="pushed">{if de { "übertragen" } else { "sent" }}</option>
                        </select>
                    </label>
                </form>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        list.await.map(|f| {
                            let lexoffice = if f.lexoffice {
                                view! { <p class="mt-4 text-sm text-slate-600" data-testid="lexoffice-state">{if de { "Lexoffice verbunden." } else { "Lexoffice connected." }}</p> }.into_any()
                            } else {
                                view! { <p class="mt-4 rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="lexoffice-state">{if de {
                                    "Lexoffice nicht verbunden (LEXOFFICE_API_KEY fehlt): Rechnungen werden nicht an die Buchhaltung übertragen."
                                } else {
                                    "Lexoffice not connected (no LEXOFFICE_API_KEY): invoices are not sent to the bookkeeping."
                                }}</p> }.into_any()
                            };
                            let truncated = f.truncated.then(|| view! {
                                <p class="mt-2 text-sm text-amber-900">{if de {
                                    format!("Nur die neuesten {FINANCE_LIST_MAX}: bitte den Zeitraum eingrenzen.")
                                } else {
                                    format!("Only the newest {FINANCE_LIST_MAX}: please narrow the period.")
                                }}</p>
                            });
                            view! {
                                {lexoffice}
                                {truncated}
                                <div class="mt-4 overflow-x-auto">
                                <table class="w-full text-left text-sm" data-testid="finance-invoices">
                                    <thead class="border-b border-slate-200 text-slate-600"><tr>
                                        <th class="py-2 pr-3">{if de { "Nummer" } else { "Number" }}</th>
                                        <th class="py-2 pr-3">{if de { "Datum" } else { "Date" }}</th>
                                        <th class="py-2 pr-3">{if de { "Kunde" } else { "Client" }}</th>
                                        <th class="py-2 pr-3">{if de { "Bestellung" } else { "Order" }}</th>
                                        <th class="py-2 pr-3 text-right">{if de { "Netto" } else { "Net" }}</th>
                                        <th class="py-2 pr-3 text-right">{if de { "USt" } else { "VAT" }}</th>
                                        <th class="py-2 pr-3 text-right">{if de { "Brutto" } else { "Gross" }}</th>
                                        <th class="py-2 pr-3">{if de { "Dateien" } else { "Files" }}</th>
                                        <th class="py-2">"Lexoffice"</th>
                                    </tr></thead>
                                    <tbody>
                                        {f.rows.into_iter().map(|r| {
                                            let credit = r.kind == "credit_note";
                                            let sign = if credit { "−" } else { "" };
                                            view! {
                                                <tr class="border-b border-slate-100" data-testid="finance-invoice" data-kind=r.kind.clone()>
                                                    <td class="py-2 pr-3"><strong>{r.number.clone()}</strong>
                                                        <span class="block text-xs text-slate-500">{kind_text(lang, &r.kind)}
                                                            {r.corrects.clone().map(|c| format!(" · {c}"))}</span></td>
                                                    <td class="py-2 pr-3">{date_text(lang, &r.issued_on)}</td>
                                                    <td class="py-2 pr-3">{r.buyer.clone()}<span class="block text-xs text-slate-500">{r.email.clone()}</span></td>
                                                    <td class="py-2 pr-3"><a class=LINK href=lang.path(&format!("/admin/orders/{}", r.order_id))>{r.order_number}</a></td>
                                                    <td class="py-2 pr-3 text-right">{sign}{money(lang, r.net)}</td>
                                                    <td class="py-2 pr-3 text-right">{sign}{money(lang, r.vat)}</td>
                                                    <td class="py-2 pr-3 text-right">{sign}{money(lang, r.total)}</td>
                                                    <td class="py-2 pr-3">{downloads(lang, &r)}</td>
                                                    <td class="py-2">{sync_cell(lang, &r, retry)}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                    <tfoot><tr class="font-semibold" data-testid="finance-sums">
                                        <td class="py-2 pr-3" colspan="4">{if de { "Summe (Rechnungen abzüglich Korrekturen)" } else { "Sum (invoices less credit notes)" }}</td>
                                        <td class="py-2 pr-3 text-right">{money(lang, f.net)}</td>
                                        <td class="py-2 pr-3 text-right">{money(lang, f.vat)}</td>
                                        <td class="py-2 pr-3 text-right" data-testid="finance-total">{money(lang, f.total)}</td>
                                        <td></td>
                                        <td></td>
                                    </tr></tfoot>
                                </table>
                                </div>
                            }
                        })
                    })}
                </Loaded>
                <p class="mt-6"><button type="button" class=SECONDARY on:click=move |_| list.refetch()>{if de { "Neu laden" } else { "Reload" }}</button></p>
            </section>
        </Layout>
    }
    .into_any()
}
