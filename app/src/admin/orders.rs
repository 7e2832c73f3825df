//! `/admin/orders`: every order, filtered by status and searched by number, name or address;
//! `/admin/orders/{id}`: one order with the buyer's details, its frozen lines, the money that
//! moved, the gateway's events and the timeline, and the moves an admin may make by hand.

use gd_pricing::{Treatment, VatRate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::fulfilment_api::PartView;
use super::orders_api::{
    admin_order, admin_orders, AdminMessageClient, AdminMoveOrder, AdminOrderView, AdminRefundOrder,
};
use super::pages::admin_nav;
use crate::checkout::page::status_text;
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::invoices::api::InvoiceRow;
use crate::shell::Layout;
use crate::shop::money;
use crate::ui::{failed, issue_on, FormError, Loaded, Notice, INPUT, LINK, SECONDARY};

const STATUSES: [&str; 8] = [
    "pending_payment",
    "paid",
    "in_fulfilment",
    "completed",
    "partly_fulfilled",
    "partly_refunded",
    "refunded",
    "cancelled",
];

pub(super) fn list_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let title = if de { "Bestellungen" } else { "Orders" };
    let status = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let orders = Resource::new(
        move || (status.get(), query.get()),
        |(status, query)| admin_orders(status, query),
    );
    view! {
        <Title text=title/>
        <Layout lang=lang>
            <section class="mx-auto max-w-6xl px-4 py-12">
                {admin_nav(lang)}
                <h1 class="text-3xl font-bold text-slate-900">{title}</h1>
                <div class="mt-6 flex flex-wrap gap-4">
                    <label class="text-sm text-slate-700">
                        "Status"
                        <select class=INPUT data-testid="orders-status" on:change=move |ev| status.set(event_target_value(&ev))>
                            <option value="">{if de { "Alle" } else { "All" }}</option>
                            {STATUSES.iter().map(|s| view! { <option value=*s>{status_text(lang, s)}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="text-sm text-slate-700">
                        {if de { "Nummer, Name oder E-Mail" } else { "Number, name or email" }}
                        <input type="search" class=INPUT data-testid="orders-search" maxlength="100"
                            on:change=move |ev| query.set(event_target_value(&ev))/>
                    </label>
                </div>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        orders.await.map(|rows| {
                            if rows.is_empty() {
                                return view! { <p class="mt-6 text-slate-600">{if de { "Keine Bestellungen." } else { "No orders." }}</p> }.into_any();
                            }
                            view! {
                                <table class="mt-6 w-full text-left text-sm" data-testid="orders-table">
                                    <thead class="text-slate-500">
                                        <tr>
                                            <th class="py-2">{if de { "Nr." } else { "No." }}</th>
                                            <th>{if de { "Datum" } else { "Date" }}</th>
                                            <th>{if de { "Kunde" } else { "Client" }}</th>
                                            <th>"Status"</th>
                                            <th class="text-right">{if de { "Summe" } else { "Total" }}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().map(|r| {
                                            let href = lang.path(&format!("/admin/orders/{}", r.id));
                                            view! {
                                                <tr class="border-t border-slate-200" data-testid="orders-row">
                                                    <td class="py-2"><a class=LINK href=href>{r.number}</a></td>
                                                    <td>{r.created}</td>
                                                    <td>{r.buyer} <span class="block text-slate-500">{r.email}</span></td>
                                                    <td>
                                                        {status_text(lang, &r.status)}
                                                        {r.test_gateway.then(|| view! { <span class="ml-2 rounded bg-amber-100 px-1 text-xs text-amber-900">"test"</span> })}
                                                    </td>
                                                    <td class="text-right">{money(lang, r.total)}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        })
                    })}
                </Loaded>
            </section>
        </Layout>
    }
    .into_any()
}

fn move_words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Validation { .. }) => {
            "Dieser Schritt ist so nicht möglich: Bitte einen Grund angeben; bezahlte Bestellungen werden über eine Erstattung storniert."
        }
        (Lang::En, AppError::Validation { .. }) => {
            "This move is not possible like this: give a reason; paid orders are cancelled through a refund."
        }
        _ => crate::ui::error_text(lang, e),
    }
}

fn refund_words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Validation { .. }) => {
            "Bitte einen Betrag bis zum noch erstattbaren und einen Grund angeben."
        }
        (Lang::En, AppError::Validation { .. }) => {
            "Give an amount up to what can still be refunded, and a reason."
        }
        (Lang::De, AppError::Conflict(Conflict::NotRefundable)) => {
            "Hier ist nichts (mehr) zu erstatten; Abo-Zahlungen werden im Dashboard des Zahlungsanbieters erstattet."
        }
        (Lang::En, AppError::Conflict(Conflict::NotRefundable)) => {
            "Nothing (more) to refund here; subscription payments are refunded in the payment provider's dashboard."
        }
        (Lang::De, AppError::Conflict(Conflict::PaymentUnavailable)) => {
            "Der Zahlungsanbieter hat die Erstattung nicht angenommen oder ist nicht erreichbar; es wurde nichts erstattet."
        }
        (Lang::En, AppError::Conflict(Conflict::PaymentUnavailable)) => {
            "The payment provider did not take the refund or cannot be reached; nothing was refunded."
        }
        _ => crate::ui::error_text(lang, e),
    }
}

pub(super) fn detail_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let moved = ServerAction::<AdminMoveOrder>::new();
    let refunded = ServerAction::<AdminRefundOrder>::new();
    let messaged = ServerAction::<AdminMessageClient>::new();
    let order = Resource::new(
        move || {
            (
                id.get(),
                moved.version().get() + refunded.version().get() + messaged.version().get(),
            )
        },
        |(id, _)| admin_order(id),
    );
    let error = failed(moved);
    let refund_error = failed(refunded);
    let done = move || {
        matches!(moved.value().get(), Some(Ok(())))
            || matches!(refunded.value().get(), Some(Ok(())))
    };
    view! {
        <Title text=if de { "Bestellung" } else { "Order" }/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <a href=lang.path("/admin/orders") class=LINK>{if de { "← Bestellungen" } else { "← Orders" }}</a>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        order.await.map(|o| order_detail(lang, o, moved, error, refunded, refund_error))
                    })}
                </Loaded>
                <Show when=done><Notice text=if de { "Gespeichert; der Kunde wird benachrichtigt." } else { "Saved; the client is notified." }/></Show>
                <MessageClient lang=lang id=id send=messaged/>
            </section>
        </Layout>
    }
    .into_any()
}

fn order_detail(
    lang: Lang,
    mut o: AdminOrderView,
    moved: ServerAction<AdminMoveOrder>,
    error: Signal<Option<AppError>>,
    refunded: ServerAction<AdminRefundOrder>,
    refund_error: Signal<Option<AppError>>,
) -> AnyView {
    let de = lang == Lang::De;
    let reason_issue = issue_on(lang, error, "reason");
    let treatment = match o.treatment {
        Treatment::Standard => {
            if de {
                "Regelbesteuerung"
            } else {
                "Standard VAT"
            }
        }
        Treatment::ReverseCharge => "Reverse charge",
        Treatment::SmallBusiness => {
            if de {
                "Kleinunternehmer (§ 19 UStG)"
            } else {
                "Small business (§ 19 UStG)"
            }
        }
    };
    let lines = o
        .lines
        .iter()
        .map(|l| {
            let rate = VatRate::from_basis_points(u16::try_from(l.vat_rate_bp).unwrap_or(0))
                .map(|r| r.percent(de))
                .unwrap_or_default();
            view! {
                <tr class="border-t border-slate-200" data-testid="admin-order-line">
                    <td class="py-2">{format!("{} × {}", l.quantity, l.name)}
                        <span class="block text-slate-500">{l.details.clone()}</span>
                        {(!l.target.is_empty()).then(|| view! { <span class="block text-slate-500">{l.target.clone()}</span> })}
                    </td>
                    <td>{l.billing.as_str()}</td>
                    <td class="text-right">{money(lang, l.net)}</td>
                    <td class="text-right">{rate}</td>
                    <td class="text-right">{money(lang, l.vat)}</td>
                    <td class="text-right">{money(lang, l.total)}</td>
                </tr>
            }
        })
        .collect_view();
    let moves = o.moves.clone();
    let id = o.id.clone();
    let mails = super::ops::order_mails(lang, o.id.clone());
    let suggested = o.suggested_refund.map(|c| if de { c.de() } else { c.en() });
    let delivery = delivery_section(lang, std::mem::take(&mut o.delivery));
    let invoices = invoices_section(lang, std::mem::take(&mut o.invoices));
    let refund_form = o.refundable.map(|left| {
        let amount_issue = issue_on(lang, refund_error, "amount");
        let reason_issue = issue_on(lang, refund_error, "reason");
        view! {
            <ActionForm action=refunded attr:class="mt-8 max-w-md space-y-3" attr:data-testid="admin-order-refund">
                <h2 class="font-semibold text-slate-900">{if de { "Erstatten" } else { "Refund" }}</h2>
                <p class="text-sm text-slate-600">
                    {if de { "Noch erstattbar: " } else { "Left to refund: " }}
                    <span data-testid="admin-order-refundable">{money(lang, left)}</span>
                </p>
                {suggested.clone().map(|s| view! {
                    <p class="text-sm text-amber-900" data-testid="admin-order-suggested-refund">
                        {if de { "Vorschlag für das nicht Gelieferte: " } else { "Suggested for what was not delivered: " }} {s}
                    </p>
                })}
                <FormError lang=lang error=refund_error words=refund_words/>
                <input type="hidden" name="id" value=o.id.clone()/>
                <label class="block text-sm text-slate-700" for="refund-amount">{if de { "Betrag in Euro (leer: alles)" } else { "Amount in euros (empty: all)" }}</label>
                <input id="refund-amount" name="amount" inputmode="decimal" class=INPUT value=suggested.clone()
                    aria-invalid=move || amount_issue.get().is_some().to_string()/>
                <label class="block text-sm text-slate-700" for="refund-reason">{if de { "Grund (der Kunde liest ihn)" } else { "Reason (the client reads it)" }}</label>
                <textarea id="refund-reason" name="reason" rows="2" maxlength="500" required class=INPUT
                    aria-invalid=move || reason_issue.get().is_some().to_string()></textarea>
                <button type="submit" class=SECONDARY>{if de { "Erstatten" } else { "Refund" }}</button>
            </ActionForm>
        }
    });
    view! {
        <h1 class="mt-4 text-3xl font-bold text-slate-900">{if de { "Bestellung" } else { "Order" }} " " {o.number}</h1>
        <p class="mt-2 text-slate-600">{o.created.clone()} " · "
            <strong data-testid="admin-order-status">{status_text(lang, &o.status)}</strong>
            {(o.gateway == "test").then(|| view! { " · " <span class="rounded bg-amber-100 px-1 text-amber-900">{if de { "Test-Zahlungsanbieter" } else { "test gateway" }}</span> })}
        </p>
        <div class="mt-6 grid gap-6 md:grid-cols-2">
            <div>
                <h2 class="font-semibold text-slate-900">{if de { "Kunde" } else { "Client" }}</h2>
                <p class="text-sm text-slate-700">{o.email.clone()}</p>
                {o.address.iter().map(|l| view! { <p class="text-sm text-slate-700">{l.clone()}</p> }).collect_view()}
                {o.vat_id.clone().map(|v| view! { <p class="text-sm text-slate-700">{if de { "USt-IdNr. " } else { "VAT no. " }} {v}</p> })}
                {o.vat_check.clone().map(|c| {
                    let register = match (c.register.as_str(), de) {
                        ("vies", true) => "bestätigt durch VIES",
                        ("vies", false) => "confirmed by VIES",
                        (_, true) => "bestätigt durch das Demo-Register (keine VIES-Abfrage)",
                        (_, false) => "confirmed by the demo register (not VIES)",
                    };
                    view! {
                        <p class="text-sm text-slate-700" data-testid="vat-check">
                            {format!("{register}, {}", c.checked)}
                            {c.request_identifier.map(|r| format!(", {} {r}", if de { "Abfragenummer" } else { "consultation no." }))}
                            {c.registered_name.map(|n| format!(" ({n})"))}
                        </p>
                    }
                })}
            </div>
            <div class="text-sm text-slate-700">
                <h2 class="font-semibold text-slate-900">{if de { "Bedingungen" } else { "Terms" }}</h2>
                <p>{treatment}</p>
                <p>{match o.early_start.clone() {
                    Some(at) => format!("{} {at}", if de { "Sofortiger Beginn verlangt:" } else { "Early start requested:" }),
                    None => (if de { "Kein sofortiger Beginn verlangt (Widerrufsfrist)." } else { "No early start requested (withdrawal period)." }).to_owned(),
                }}</p>
                <p>{if o.subscription { if de { "Abonnement" } else { "Subscription" } } else if de { "Einmalzahlung" } else { "One-off payment" }}</p>
                {o.session.clone().map(|s| view! { <p class="break-all text-slate-500">{s}</p> })}
            </div>
        </div>
        <table class="mt-6 w-full text-left text-sm">
            <thead class="text-slate-500"><tr>
                <th class="py-2">{if de { "Leistung" } else { "Service" }}</th><th>{if de { "Abrechnung" } else { "Billing" }}</th>
                <th class="text-right">{if de { "Netto" } else { "Net" }}</th><th class="text-right">{if de { "Satz" } else { "Rate" }}</th>
                <th class="text-right">{if de { "MwSt." } else { "VAT" }}</th><th class="text-right">{if de { "Summe" } else { "Total" }}</th>
            </tr></thead>
            <tbody>{lines}</tbody>
            <tfoot><tr class="border-t border-slate-300 font-semibold">
                <td class="py-2" colspan="2">{if de { "Gesamt" } else { "Total" }}</td>
                <td class="text-right">{money(lang, o.net)}</td><td></td>
                <td class="text-right">{money(lang, o.vat)}</td>
                <td class="text-right" data-testid="admin-order-total">{money(lang, o.total)}</td>
            </tr></tfoot>
        </table>
        <div class="mt-8 grid gap-6 md:grid-cols-2">
            <div>
                <h2 class="font-semibold text-slate-900">{if de { "Zahlungen" } else { "Payments" }}</h2>
                <ul class="text-sm text-slate-700" data-testid="admin-order-payments">
                    {o.payments.iter().map(|p| view! {
                        <li>{p.at.clone()} " · " {p.kind.clone()} " · " {money(lang, p.amount)} <span class="block break-all text-slate-500">{p.reference.clone()}</span></li>
                    }).collect_view()}
                </ul>
                <h2 class="mt-4 font-semibold text-slate-900">{if de { "Ereignisse des Zahlungsanbieters" } else { "Gateway events" }}</h2>
                <ul class="text-sm text-slate-700" data-testid="admin-order-events">
                    {o.events.iter().map(|e| view! {
                        <li>{e.at.clone()} " · " {e.kind.clone()} " · " {e.outcome.clone()}
                            {e.error.clone().map(|x| view! { <span class="block text-red-700">{x}</span> })}
                            <span class="block break-all text-slate-500">{e.id.clone()}</span></li>
                    }).collect_view()}
                </ul>
            </div>
            <div>
                <h2 class="font-semibold text-slate-900">{if de { "Verlauf" } else { "Timeline" }}</h2>
                <ul class="text-sm text-slate-700" data-testid="admin-order-timeline">
                    {o.timeline.iter().map(|t| view! {
                        <li>{t.at.clone()} " · " {status_text(lang, &t.to)} " · " {t.source.clone()}
                            {t.note.clone().map(|n| view! { <span class="block text-slate-500">{n}</span> })}</li>
                    }).collect_view()}
                </ul>
            </div>
        </div>
        {(!moves.is_empty()).then(|| view! {
            <ActionForm action=moved attr:class="mt-8 max-w-md space-y-3" attr:data-testid="admin-order-move">
                <h2 class="font-semibold text-slate-900">{if de { "Von Hand ändern" } else { "Change by hand" }}</h2>
                <FormError lang=lang error=error words=move_words/>
                <input type="hidden" name="id" value=id.clone()/>
                <label class="block text-sm text-slate-700">{if de { "Neuer Status" } else { "New status" }}
                    <select name="to" class=INPUT>
                        {moves.iter().map(|m| view! { <option value=m.clone()>{status_text(lang, m)}</option> }).collect_view()}
                    </select>
                </label>
                <label class="block text-sm text-slate-700" for="move-reason">{if de { "Grund (der Kunde liest ihn)" } else { "Reason (the client reads it)" }}</label>
                <textarea id="move-reason" name="reason" rows="2" maxlength="500" required class=INPUT
                    aria-invalid=move || reason_issue.get().is_some().to_string()></textarea>
                <button type="submit" class=SECONDARY>{if de { "Ändern" } else { "Change" }}</button>
            </ActionForm>
        })}
        {delivery}
        {invoices}
        {refund_form}
        {mails}
    }
    .into_any()
}

fn message_words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Validation { .. }) => {
            "Bitte eine Nachricht mit höchstens 2.000 Zeichen."
        }
        (Lang::En, AppError::Validation { .. }) => {
            "Please write a message of at most 2,000 characters."
        }
        _ => crate::ui::error_text(lang, e),
    }
}

/// A message from the desk to the client: it joins the timeline and is mailed (the support
/// reply).
#[component]
fn MessageClient(
    lang: Lang,
    id: Memo<String>,
    send: ServerAction<AdminMessageClient>,
) -> impl IntoView {
    let de = lang == Lang::De;
    let error = failed(send);
    let sent = move || matches!(send.value().get(), Some(Ok(())));
    view! {
        <ActionForm action=send attr:class="mt-8 max-w-md space-y-3" attr:data-testid="admin-order-message">
            <h2 class="font-semibold text-slate-900">{if de { "Nachricht an den Kunden" } else { "Message to the client" }}</h2>
            <FormError lang=lang error=error words=message_words/>
            <input type="hidden" name="id" value=move || id.get()/>
            <label class="block text-sm text-slate-700" for="message-text">{if de { "Nachricht (per Mail und im Verlauf)" } else { "Message (by mail and in the timeline)" }}</label>
            <textarea id="message-text" name="message" rows="3" maxlength="2000" required class=INPUT></textarea>
            <button type="submit" class=SECONDARY data-testid="message-send">{if de { "Senden" } else { "Send" }}</button>
            <Show when=sent><Notice text=if de { "Gesendet." } else { "Sent." }/></Show>
        </ActionForm>
    }
}

/// The order's invoices and credit notes with their files.
fn invoices_section(lang: Lang, rows: Vec<InvoiceRow>) -> Option<impl IntoView> {
    let de = lang == Lang::De;
    (!rows.is_empty()).then(|| view! {
        <div class="mt-8" data-testid="admin-order-invoices">
            <h2 class="font-semibold text-slate-900">{if de { "Rechnungen" } else { "Invoices" }}</h2>
            <ul class="mt-2 space-y-1 text-sm text-slate-700">
                {rows.into_iter().map(|r| view! {
                    <li data-testid="admin-order-invoice" data-kind=r.kind.clone()>
                        <strong>{r.number.clone()}</strong> " · " {crate::invoices::page::date_text(lang, &r.issued_on)}
                        " · " {money(lang, r.total)}
                        {r.corrects.clone().map(|c| format!(" · {} {c}", if de { "korrigiert" } else { "corrects" }))}
                        " · " <a class=LINK href=r.pdf_url.clone() rel="external" download="">"PDF"</a>
                        " · " <a class=LINK href=r.xml_url.clone() rel="external" download="">"XML"</a>
                    </li>
                }).collect_view()}
            </ul>
        </div>
    })
}

/// The order's delivery: each part's state at its provider or by hand, what remains, and the
/// admins' notes and proofs.
fn delivery_section(lang: Lang, parts: Vec<PartView>) -> Option<impl IntoView> {
    let de = lang == Lang::De;
    (!parts.is_empty()).then(|| view! {
        <div class="mt-8" data-testid="admin-order-delivery">
            <h2 class="font-semibold text-slate-900">
                {if de { "Lieferung" } else { "Delivery" }} " · "
                <a class=LINK href=lang.path("/admin/fulfilment")>{if de { "Arbeitsliste" } else { "work list" }}</a>
            </h2>
            <ul class="mt-2 space-y-3 text-sm text-slate-700">
                {parts.into_iter().map(|p| {
                    let who = match (&p.provider, &p.service) {
                        (Some(provider), Some(service)) => format!("{provider} · {service}"),
                        _ => (if de { "von Hand" } else { "by hand" }).to_owned(),
                    };
                    let notes = super::fulfilment::notes_list(lang, p.notes.clone());
                    view! {
                        <li data-testid="delivery-part" data-status=p.status.clone()>
                            <p>
                                <strong>{p.title.clone()}</strong> " · " {format!("{} ×", p.quantity)} " · " {who} " · "
                                <span data-testid="delivery-status">{super::fulfilment::part_status(lang, &p.status)}</span>
                                {p.renewal.then_some(if de { " · Verlängerung" } else { " · renewal" })}
                                {p.remains.filter(|r| *r > 0).map(|r| format!(" · {} {r}", if de { "nicht geliefert:" } else { "not delivered:" }))}
                                {p.external_ref.clone().map(|r| format!(" · {} {r}", if de { "Auftrag" } else { "order" }))}
                                {p.refill.clone().map(|r| format!(" · {} {r}", if de { "Nachfüllung:" } else { "refill:" }))}
                            </p>
                            <p class="text-xs text-slate-500">{p.created.clone()} " → " {p.updated.clone()}
                                {p.claimed_by.clone().map(|c| format!(" · {c}"))}</p>
                            {p.error.clone().map(|e| view! { <p class="break-all text-red-700">{e}</p> })}
                            {notes}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    })
}
