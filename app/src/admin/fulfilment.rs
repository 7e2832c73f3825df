//! `/admin/fulfilment`: the work list — held lines to decide (margin guard, uncertain sends,
//! refusals), manual tasks to claim, note and complete, refills to do by hand, lines under
//! way at providers, and orders stuck longer than the configured time.
//! `/admin/providers`: providers (SMM panel API v2), their services, and the routes from
//! products to services with the margin each tier leaves.

use leptos::prelude::*;
use leptos_meta::Title;

use super::fulfilment_api::{
    admin_fulfilment, admin_providers, AdminAddProvider, AdminFulfilmentClaim,
    AdminFulfilmentComplete, AdminFulfilmentDecide, AdminFulfilmentNote, AdminFulfilmentRefilled,
    AdminRemoveRoute, AdminSetRoute, AdminSwitchProvider, AdminSyncProvider, NoteView, PartView,
    ProvidersView,
};
use super::pages::admin_nav;
use crate::error::{AppError, Conflict};
use crate::i18n::Lang;
use crate::shell::Layout;
use crate::shop::money;
use crate::ui::{failed, FormError, Loaded, INPUT, LINK, SECONDARY};

fn words(lang: Lang, e: &AppError) -> &'static str {
    match (lang, e) {
        (Lang::De, AppError::Conflict(Conflict::TaskChanged)) => {
            "Diese Aufgabe hat sich inzwischen geändert (jemand anderes war schneller). Die Liste ist neu geladen."
        }
        (Lang::En, AppError::Conflict(Conflict::TaskChanged)) => {
            "This task changed meanwhile (someone else was quicker). The list has been reloaded."
        }
        (Lang::De, AppError::Conflict(Conflict::ProviderUnavailable)) => {
            "Der Anbieter hat nicht geantwortet; seine Meldung steht in der Liste. Es wurde nichts geändert."
        }
        (Lang::En, AppError::Conflict(Conflict::ProviderUnavailable)) => {
            "The provider did not answer; its message is in the list. Nothing was changed."
        }
        (Lang::De, AppError::Validation { .. }) => {
            "Bitte die markierten Angaben prüfen (Menge zwischen 0 und der bestellten, Notiz bis 2.000 Zeichen, Bestellnummer des Anbieters)."
        }
        (Lang::En, AppError::Validation { .. }) => {
            "Please check the marked entries (a quantity from 0 to what was ordered, a note up to 2,000 characters, the provider's order number)."
        }
        _ => crate::ui::error_text(lang, e),
    }
}

/// A fulfilment status in people's words.
pub(crate) fn part_status(lang: Lang, status: &str) -> &'static str {
    let de = lang == Lang::De;
    match (status, de) {
        ("queued", true) => "Wartet",
        ("queued", false) => "Waiting",
        ("held", true) => "Angehalten",
        ("held", false) => "Held",
        ("submitting", true) | ("submitted", true) => "Beim Anbieter",
        ("submitting", false) | ("submitted", false) => "At the provider",
        ("in_progress", true) => "In Arbeit",
        ("in_progress", false) => "In progress",
        ("completed", true) => "Geliefert",
        ("completed", false) => "Delivered",
        ("partial", true) => "Teilweise geliefert",
        ("partial", false) => "Partly delivered",
        ("cancelled", true) => "Storniert",
        ("cancelled", false) => "Cancelled",
        (_, true) => "Unbekannt",
        (_, false) => "Unknown",
    }
}

fn hold_words(lang: Lang, reason: &str) -> &'static str {
    match (reason, lang == Lang::De) {
        ("margin", true) => "Marge: Der Anbieter kostet mehr, als der Kunde (netto) bezahlt hat.",
        ("margin", false) => "Margin: the provider costs more than the client paid (net).",
        ("uncertain", true) => {
            "Unklar, ob der Anbieter den Auftrag hat: bitte im Panel des Anbieters nachsehen."
        }
        ("uncertain", false) => "Unclear whether the provider has it: check the provider's panel.",
        ("refused", true) => "Der Anbieter hat abgelehnt.",
        ("refused", false) => "The provider refused.",
        ("unrouted", true) => "Die Route kann diese Position nicht liefern.",
        ("unrouted", false) => "The route cannot deliver this line.",
        (_, true) => "Angehalten.",
        (_, false) => "Held.",
    }
}

#[derive(Clone, Copy)]
struct Steps {
    claim: ServerAction<AdminFulfilmentClaim>,
    note: ServerAction<AdminFulfilmentNote>,
    complete: ServerAction<AdminFulfilmentComplete>,
    decide: ServerAction<AdminFulfilmentDecide>,
    refilled: ServerAction<AdminFulfilmentRefilled>,
}

impl Steps {
    fn new() -> Self {
        Self {
            claim: ServerAction::new(),
            note: ServerAction::new(),
            complete: ServerAction::new(),
            decide: ServerAction::new(),
            refilled: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
        self.claim.version().get()
            + self.note.version().get()
            + self.complete.version().get()
            + self.decide.version().get()
            + self.refilled.version().get()
    }

    fn error(&self) -> Signal<Option<AppError>> {
        let (a, b, c, d, e) = (
            failed(self.claim),
            failed(self.note),
            failed(self.complete),
            failed(self.decide),
            failed(self.refilled),
        );
        Signal::derive(move || a.get().or(b.get()).or(c.get()).or(d.get()).or(e.get()))
    }
}

pub(super) fn work_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let steps = Steps::new();
    let work = Resource::new(move || steps.version(), |_| admin_fulfilment());
    let error = steps.error();
    view! {
        <Title text="Fulfilment"/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <div class="flex flex-wrap items-baseline justify-between gap-4">
                    <h1 class="text-3xl font-bold text-slate-900">{if de { "Fulfilment: offene Arbeit" } else { "Fulfilment: open work" }}</h1>
                    <a href=lang.path("/admin/providers") class=LINK data-testid="to-providers">{if de { "Anbieter und Routen →" } else { "Providers and routes →" }}</a>
                </div>
                <div class="mt-4"><FormError lang=lang error=error words=words/></div>
                <super::catalog::UploadOutcome lang=lang name="proof" added=if de { "Beleg angehängt." } else { "Proof attached." }/>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        work.await.map(|w| {
                            let stuck = (!w.stuck.is_empty()).then(|| view! {
                                <div class="mt-6 rounded-lg bg-amber-50 p-4 text-sm text-amber-900" data-testid="stuck-orders">
                                    <p class="font-semibold">{if de {
                                        format!("Seit über {} Stunden unverändert:", w.stuck_hours)
                                    } else {
                                        format!("Unchanged for over {} hours:", w.stuck_hours)
                                    }}</p>
                                    <ul>{w.stuck.iter().map(|s| view! {
                                        <li><a class=LINK href=lang.path(&format!("/admin/orders/{}", s.id))>{format!("#{}", s.number)}</a> " · " {s.since.clone()}</li>
                                    }).collect_view()}</ul>
                                </div>
                            });
                            let empty = w.parts.is_empty().then(|| view! {
                                <p class="mt-6 text-slate-600" data-testid="no-work">{if de { "Nichts zu tun." } else { "Nothing to do." }}</p>
                            });
                            view! {
                                {stuck}
                                {empty}
                                <ul class="mt-6 space-y-4">
                                    {w.parts.into_iter().map(|p| part_card(lang, p, steps)).collect_view()}
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

fn part_card(lang: Lang, p: PartView, steps: Steps) -> impl IntoView {
    let de = lang == Lang::De;
    let manual = p.method == "manual";
    let open_manual = manual && matches!(p.status.as_str(), "queued" | "in_progress");
    let held = p.status == "held";
    let manual_refill = manual && p.refill.as_deref() == Some("requested");
    let who = match (&p.provider, &p.service) {
        (Some(provider), Some(service)) => format!("{provider} · {service}"),
        _ => (if de { "von Hand" } else { "by hand" }).to_owned(),
    };
    let ids: [String; 5] = std::array::from_fn(|_| p.id.clone());
    let [claim_id, complete_id, decide_id, refill_id, note_id] = ids;
    let proof_action = format!("/admin/fulfilment/{}/proof", p.id);
    let notes = notes_list(lang, p.notes.clone());
    view! {
        <li id=format!("part-{}", p.id) class="rounded-xl border border-slate-200 p-4" data-testid="work-item" data-status=p.status.clone() data-method=p.method.clone()>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <p class="font-semibold text-slate-900">{p.title.clone()}</p>
                <span class="rounded bg-slate-100 px-2 text-sm text-slate-700" data-testid="work-status">{part_status(lang, &p.status)}</span>
            </div>
            <p class="text-sm text-slate-600">
                <a class=LINK href=lang.path(&format!("/admin/orders/{}", p.order_id))>{format!("#{}", p.order_number)}</a>
                {p.renewal.then_some(if de { " · Verlängerung" } else { " · renewal" })}
                " · " {p.target.clone()} " · " {format!("{} ×", p.quantity)} " · " {who}
                {p.claimed_by.clone().map(|c| format!(" · {c}"))}
            </p>
            <p class="text-sm text-slate-600">
                {if de { "Bezahlt (netto): " } else { "Paid (net): " }} {money(lang, p.paid_net)}
                {p.cost_estimate.map(|c| view! { " · " {if de { "Anbieter: " } else { "Provider: " }} {money(lang, c)} })}
                {p.external_ref.clone().map(|r| format!(" · {} {r}", if de { "Auftrag" } else { "order" }))}
                {p.provider_status.clone().map(|s| format!(" · {s}"))}
                {p.remains.filter(|r| *r > 0).map(|r| format!(" · {} {r}", if de { "offen:" } else { "remaining:" }))}
            </p>
            {p.hold_reason.clone().map(|r| view! { <p class="mt-1 text-sm font-medium text-amber-800" data-testid="hold-reason">{hold_words(lang, &r)}</p> })}
            {p.error.clone().map(|e| view! { <p class="mt-1 break-all text-sm text-red-700">{e}</p> })}
            <div class="mt-3 flex flex-wrap gap-3">
                {(manual && p.status == "queued").then(|| view! {
                    <ActionForm action=steps.claim>
                        <input type="hidden" name="id" value=claim_id.clone()/>
                        <button type="submit" class=SECONDARY data-testid="claim">{if de { "Übernehmen" } else { "Claim" }}</button>
                    </ActionForm>
                })}
                {open_manual.then(|| view! {
                    <ActionForm action=steps.complete attr:class="flex items-end gap-2">
                        <input type="hidden" name="id" value=complete_id.clone()/>
                        <label class="text-sm text-slate-700">{if de { "Geliefert (leer: alles)" } else { "Delivered (empty: all)" }}
                            <input name="delivered" inputmode="numeric" class=INPUT data-testid="delivered"/>
                        </label>
                        <button type="submit" class=SECONDARY data-testid="complete">{if de { "Abschließen" } else { "Complete" }}</button>
                    </ActionForm>
                })}
                {held.then(|| view! {
                    <ActionForm action=steps.decide attr:class="flex flex-wrap items-end gap-2" attr:data-testid="decide">
                        <input type="hidden" name="id" value=decide_id.clone()/>
                        <label class="text-sm text-slate-700">{if de { "Entscheidung" } else { "Decision" }}
                            <select name="decision" class=INPUT data-testid="decision">
                                {(p.provider.is_some()).then(|| view! {
                                    <option value="send">{if de { "An den Anbieter senden" } else { "Send to the provider" }}</option>
                                    <option value="reference">{if de { "Anbieter hat ihn schon (Nummer unten)" } else { "The provider has it (number below)" }}</option>
                                })}
                                <option value="manual">{if de { "Von Hand liefern" } else { "Deliver by hand" }}</option>
                                <option value="cancel">{if de { "Nicht liefern (erstatten)" } else { "Do not deliver (refund)" }}</option>
                            </select>
                        </label>
                        <label class="text-sm text-slate-700">{if de { "Auftragsnummer beim Anbieter" } else { "Provider's order number" }}
                            <input name="reference" class=INPUT/>
                        </label>
                        <button type="submit" class=SECONDARY data-testid="decide-submit">{if de { "Entscheiden" } else { "Decide" }}</button>
                    </ActionForm>
                })}
                {manual_refill.then(|| view! {
                    <ActionForm action=steps.refilled>
                        <input type="hidden" name="id" value=refill_id.clone()/>
                        <button type="submit" class=SECONDARY data-testid="refilled">{if de { "Nachfüllung erledigt" } else { "Refill done" }}</button>
                    </ActionForm>
                })}
            </div>
            {notes}
            <ActionForm action=steps.note attr:class="mt-3 flex items-end gap-2">
                <input type="hidden" name="id" value=note_id.clone()/>
                <label class="flex-1 text-sm text-slate-700">{if de { "Notiz" } else { "Note" }}
                    <input name="body" maxlength="2000" class=INPUT data-testid="note-body"/>
                </label>
                <button type="submit" class=SECONDARY data-testid="note-add">{if de { "Notieren" } else { "Add note" }}</button>
            </ActionForm>
            // A plain form: the file goes to the server as multipart, and the answer brings the
            // browser back here with the outcome in the address.
            {manual.then(|| view! {
                <form method="post" enctype="multipart/form-data" action=proof_action.clone()
                    class="mt-3 flex flex-wrap items-end gap-2" data-testid="proof-form">
                    <input type="hidden" name="lang" value=lang.code()/>
                    <label class="text-sm text-slate-700">{if de { "Beleg (Bild oder PDF, bis 10 MB)" } else { "Proof (image or PDF, up to 10 MB)" }}
                        <input name="file" type="file" required accept="image/jpeg,image/png,image/webp,application/pdf"
                            class="mt-1 block text-sm" data-testid="proof-file"/>
                    </label>
                    <label class="flex-1 text-sm text-slate-700">{if de { "Notiz dazu" } else { "Note with it" }}
                        <input name="note" maxlength="2000" class=INPUT/>
                    </label>
                    <button type="submit" class=SECONDARY data-testid="proof-upload">{if de { "Anhängen" } else { "Attach" }}</button>
                </form>
            })}
        </li>
    }
}

/// A part's notes and proofs: who, when, what; an image proof as a thumbnail.
pub(super) fn notes_list(lang: Lang, notes: Vec<NoteView>) -> Option<impl IntoView> {
    let de = lang == Lang::De;
    (!notes.is_empty()).then(|| view! {
        <ul class="mt-3 space-y-2 border-l-2 border-slate-200 pl-3 text-sm" data-testid="notes">
            {notes.into_iter().map(|n| {
                let proof = n.proof.map(|(href, name)| {
                    let thumb = n.image.then(|| view! {
                        <img src=href.clone() alt=if de { "Beleg" } else { "Proof" } loading="lazy"
                            class="mt-1 max-h-32 rounded border border-slate-200"/>
                    });
                    view! {
                        <a class=LINK href=href.clone() target="_blank" rel="noopener" data-testid="proof-link">{name}</a>
                        {thumb}
                    }
                });
                view! {
                    <li data-testid="note">
                        <p class="text-xs text-slate-500">{n.at} {n.author.map(|a| format!(" · {a}"))}</p>
                        {(!n.body.is_empty()).then(|| view! { <p class="whitespace-pre-wrap text-slate-800">{n.body.clone()}</p> })}
                        {proof}
                    </li>
                }
            }).collect_view()}
        </ul>
    })
}

pub(super) fn providers_view() -> AnyView {
    let lang = Lang::here();
    let de = lang == Lang::De;
    let add = ServerAction::<AdminAddProvider>::new();
    let sync = ServerAction::<AdminSyncProvider>::new();
    let switch = ServerAction::<AdminSwitchProvider>::new();
    let route = ServerAction::<AdminSetRoute>::new();
    let unroute = ServerAction::<AdminRemoveRoute>::new();
    let data = Resource::new(
        move || {
            add.version().get()
                + sync.version().get()
                + switch.version().get()
                + route.version().get()
                + unroute.version().get()
        },
        |_| admin_providers(),
    );
    let (e1, e2, e3, e4) = (failed(add), failed(sync), failed(route), failed(switch));
    let error = Signal::derive(move || e1.get().or(e2.get()).or(e3.get()).or(e4.get()));
    view! {
        <Title text=if de { "Anbieter" } else { "Providers" }/>
        <Layout lang=lang>
            <section class="mx-auto max-w-5xl px-4 py-12">
                {admin_nav(lang)}
                <a href=lang.path("/admin/fulfilment") class=LINK>"← Fulfilment"</a>
                <h1 class="mt-4 text-3xl font-bold text-slate-900">{if de { "Anbieter und Routen" } else { "Providers and routes" }}</h1>
                <p class="mt-2 text-sm text-slate-600">{if de {
                    "Produkte ohne Route werden von Hand geliefert. Anbieter sprechen die SMM-Panel-API v2."
                } else {
                    "Products without a route are delivered by hand. Providers speak the SMM panel API v2."
                }}</p>
                <div class="mt-4"><FormError lang=lang error=error words=words/></div>
                <Loaded lang=lang>
                    {move || Suspend::new(async move {
                        data.await.map(|v| providers_body(lang, v, sync, switch, route, unroute))
                    })}
                </Loaded>
                <ActionForm action=add attr:class="mt-10 max-w-md space-y-3" attr:data-testid="add-provider">
                    <h2 class="font-semibold text-slate-900">{if de { "Anbieter hinzufügen" } else { "Add a provider" }}</h2>
                    <label class="block text-sm text-slate-700">"Name"<input name="name" required maxlength="80" class=INPUT/></label>
                    <label class="block text-sm text-slate-700">{if de { "API-Adresse" } else { "API address" }}<input name="api_url" required placeholder="https://panel.example/api/v2" class=INPUT/></label>
                    <label class="block text-sm text-slate-700">{if de { "API-Schlüssel" } else { "API key" }}<input name="api_key" type="password" required autocomplete="off" class=INPUT/></label>
                    <label class="block text-sm text-slate-700">{if de { "Währung" } else { "Currency" }}<input name="currency" value="EUR" maxlength="3" class=INPUT/></label>
                    <label class="block text-sm text-slate-700">{if de { "Euro je Einheit dieser Währung" } else { "Euro per unit of that currency" }}<input name="eur_per_unit" value="1" inputmode="decimal" class=INPUT/></label>
                    <button type="submit" class=SECONDARY data-testid="add-provider-submit">{if de { "Hinzufügen und Dienste laden" } else { "Add and load services" }}</button>
                </ActionForm>
            </section>
        </Layout>
    }
    .into_any()
}

fn providers_body(
    lang: Lang,
    v: ProvidersView,
    sync: ServerAction<AdminSyncProvider>,
    switch: ServerAction<AdminSwitchProvider>,
    route: ServerAction<AdminSetRoute>,
    unroute: ServerAction<AdminRemoveRoute>,
) -> impl IntoView {
    let de = lang == Lang::De;
    let providers = v.providers.into_iter().map(|p| {
        let (sync_id, switch_id) = (p.id.clone(), p.id.clone());
        view! {
            <li class="rounded-xl border border-slate-200 p-4" data-testid="provider">
                <p class="font-semibold text-slate-900">{p.name.clone()}
                    {(!p.enabled).then(|| view! { <span class="ml-2 rounded bg-slate-200 px-1 text-xs">{if de { "aus" } else { "off" }}</span> })}</p>
                <p class="break-all text-sm text-slate-600">{p.api_url.clone()}</p>
                <p class="text-sm text-slate-600">
                    {format!("{} {} · ", p.services, if de { "Dienste" } else { "services" })}
                    {if de { "Guthaben: " } else { "Balance: " }}<span data-testid="provider-balance">{p.balance.clone().unwrap_or_else(|| "–".into())}</span>
                    {format!(" · 1 {} = {} €", p.currency, p.eur_per_unit)}
                    {p.synced.clone().map(|s| format!(" · {} {s}", if de { "geladen" } else { "synced" }))}
                </p>
                {p.last_error.clone().map(|e| view! { <p class="break-all text-sm text-red-700" data-testid="provider-error">{e}</p> })}
                <div class="mt-2 flex gap-3">
                    <ActionForm action=sync>
                        <input type="hidden" name="id" value=sync_id/>
                        <button type="submit" class=SECONDARY data-testid="sync-provider">{if de { "Dienste und Guthaben laden" } else { "Load services and balance" }}</button>
                    </ActionForm>
                    <ActionForm action=switch>
                        <input type="hidden" name="id" value=switch_id/>
                        <input type="hidden" name="enabled" value=(!p.enabled).to_string()/>
                        <button type="submit" class=SECONDARY>{match (p.enabled, de) {
                            (true, true) => "Ausschalten", (true, false) => "Switch off",
                            (false, true) => "Einschalten", (false, false) => "Switch on",
                        }}</button>
                    </ActionForm>
                </div>
            </li>
        }
    }).collect_view();
    let routes = v.routes.into_iter().map(|r| {
        let margins = r.tiers.iter().map(|t| view! {
            <li class=if t.loss { "text-red-700" } else { "text-slate-600" }>
                {format!("{} · ", t.amount)} {money(lang, t.price)} " / " {money(lang, t.cost)}
                {t.loss.then_some(if de { " · Verlust: wird angehalten" } else { " · loss: held" })}
            </li>
        }).collect_view();
        view! {
            <tr class="border-t border-slate-200 align-top" data-testid="route">
                <td class="py-2">{r.product.clone()}{(!r.speed.is_empty()).then(|| format!(" ({})", r.speed))}</td>
                <td>{r.provider.clone()} <span class="block text-slate-500">{r.service.clone()}</span>
                    {(!r.available).then(|| view! { <span class="block text-red-700">{if de { "nicht mehr angeboten" } else { "no longer offered" }}</span> })}</td>
                <td>{format!("{} {}", r.guarantee_days, if de { "Tage" } else { "days" })}</td>
                <td><ul class="text-xs">{margins}</ul></td>
                <td>
                    <ActionForm action=unroute>
                        <input type="hidden" name="product" value=r.product_id.clone()/>
                        <input type="hidden" name="speed" value=r.speed.clone()/>
                        <button type="submit" class=LINK>{if de { "Entfernen" } else { "Remove" }}</button>
                    </ActionForm>
                </td>
            </tr>
        }
    }).collect_view();
    let products = v.products.clone();
    let services = v.services.clone();
    view! {
        <h2 class="mt-8 font-semibold text-slate-900">{if de { "Anbieter" } else { "Providers" }}</h2>
        <ul class="mt-2 space-y-3">{providers}</ul>
        <h2 class="mt-8 font-semibold text-slate-900">{if de { "Routen" } else { "Routes" }}</h2>
        <p class="text-sm text-slate-600">{if de { "Marge je Stufe: Preis (brutto) / Kosten beim Anbieter." } else { "Margin per tier: price (gross) / provider's cost." }}</p>
        <table class="mt-2 w-full text-left text-sm">
            <thead class="text-slate-500"><tr>
                <th class="py-2">{if de { "Produkt" } else { "Product" }}</th>
                <th>{if de { "Dienst" } else { "Service" }}</th>
                <th>{if de { "Garantie" } else { "Guarantee" }}</th>
                <th>{if de { "Stufen" } else { "Tiers" }}</th><th></th>
            </tr></thead>
            <tbody>{routes}</tbody>
        </table>
        {(!services.is_empty()).then(|| view! {
            <ActionForm action=route attr:class="mt-6 max-w-md space-y-3" attr:data-testid="set-route">
                <h3 class="font-semibold text-slate-900">{if de { "Route festlegen" } else { "Set a route" }}</h3>
                <label class="block text-sm text-slate-700">{if de { "Produkt" } else { "Product" }}
                    <select name="product" class=INPUT data-testid="route-product">
                        {products.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="block text-sm text-slate-700">{if de { "Dienst" } else { "Service" }}
                    <select name="service" class=INPUT data-testid="route-service">
                        {services.iter().map(|s| view! { <option value=s.key.clone()>{s.label.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="block text-sm text-slate-700">{if de { "Nur für Geschwindigkeit (leer: alle)" } else { "Only for speed (empty: all)" }}
                    <input name="speed" maxlength="40" class=INPUT/>
                </label>
                <label class="block text-sm text-slate-700">{if de { "Nachfüll-Garantie in Tagen" } else { "Refill guarantee in days" }}
                    <input name="guarantee_days" value="30" inputmode="numeric" class=INPUT/>
                </label>
                <button type="submit" class=SECONDARY data-testid="set-route-submit">{if de { "Speichern" } else { "Save" }}</button>
            </ActionForm>
        })}
    }
}
