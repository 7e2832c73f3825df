//! The browser's side of the charts and of live updates: ECharts is loaded once (a script
//! from our own assets, added the first time a chart is drawn), each chart drawn into its
//! element from the option the server made, and an `EventSource` tells when new numbers
//! landed.

use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::{JsCast, JsValue};
use leptos::web_sys;

use crate::i18n::Lang;

const SCRIPT_ID: &str = "echarts-js";

fn echarts() -> Option<JsValue> {
    let window = web_sys::window()?;
    js_sys::Reflect::get(&window, &JsValue::from_str("echarts"))
        .ok()
        .filter(|v| v.is_object())
}

/// Runs `then` with the `echarts` global, loading the script first when it is not there yet;
/// `failed` when the script cannot be loaded.
fn with_echarts(then: impl FnOnce(JsValue) + 'static, failed: impl FnOnce() + 'static) {
    if let Some(ec) = echarts() {
        then(ec);
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let script = match document.get_element_by_id(SCRIPT_ID) {
        Some(existing) => existing,
        None => {
            let Ok(script) = document.create_element("script") else {
                return;
            };
            let _ = script.set_attribute("id", SCRIPT_ID);
            let _ = script.set_attribute("src", super::ECHARTS_JS);
            if let Some(head) = document.head() {
                let _ = head.append_child(&script);
            }
            script
        }
    };
    let on_load = Closure::once_into_js(move || {
        if let Some(ec) = echarts() {
            then(ec);
        }
    });
    let _ = script.add_event_listener_with_callback("load", on_load.unchecked_ref());
    let on_error = Closure::once_into_js(failed);
    let _ = script.add_event_listener_with_callback("error", on_error.unchecked_ref());
}

fn call(target: &JsValue, name: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f = js_sys::Reflect::get(target, &JsValue::from_str(name))
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let list = js_sys::Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(target, &list).ok()
}

/// Draws the chart `option` (ECharts option JSON) into `element`, replacing what it showed,
/// with numbers written as `lang` writes them.
pub fn draw(element: web_sys::HtmlElement, option: String, lang: Lang) {
    let fallback = element.clone();
    with_echarts(
        move |ec| {
            // Removed from the page while ECharts loaded: nothing to draw into.
            if !element.is_connected() {
                return;
            }
            let Ok(option) = js_sys::JSON::parse(&option) else {
                return;
            };
            localize(&option, lang);
            let el: JsValue = element.into();
            let chart = match call(&ec, "getInstanceByDom", &[&el]).filter(|c| c.is_object()) {
                Some(existing) => existing,
                None => match call(&ec, "init", &[&el]) {
                    Some(created) => created,
                    None => return,
                },
            };
            call(&chart, "setOption", &[&option, &JsValue::TRUE]);
        },
        move || {
            fallback.set_text_content(Some(if lang == Lang::De {
                "Das Diagramm ließ sich nicht laden; die Zahlen stehen in der Tabelle darunter."
            } else {
                "The chart could not be loaded; the table below has the numbers."
            }));
        },
    );
}

fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(key), value);
}

/// German (or English) numbers on the axes and in the tooltips: the option's JSON cannot
/// carry functions, so the formatters are added here, made from the browser's own
/// `Intl.NumberFormat`. Tooltips are drawn as rich text (ECharts' HTML tooltips carry inline
/// styles, which the page's Content-Security-Policy does not allow).
fn localize(option: &JsValue, lang: Lang) {
    let locale = if lang == Lang::De { "de-DE" } else { "en-GB" };
    let locales = js_sys::Array::of1(&JsValue::from_str(locale));
    let format: js_sys::Function =
        js_sys::Intl::NumberFormat::new(&locales, &js_sys::Object::new()).format();
    if let Some(tooltip) = get(option, "tooltip") {
        set(&tooltip, "valueFormatter", &format);
        set(&tooltip, "renderMode", &JsValue::from_str("richText"));
    }
    let Some(axes) = get(option, "yAxis") else {
        return;
    };
    let axes: Vec<JsValue> = if js_sys::Array::is_array(&axes) {
        js_sys::Array::from(&axes).iter().collect()
    } else {
        vec![axes]
    };
    for axis in axes {
        if get(&axis, "type").and_then(|t| t.as_string()).as_deref() == Some("category") {
            continue;
        }
        let label = get(&axis, "axisLabel").unwrap_or_else(|| js_sys::Object::new().into());
        // A template such as "{value} %" keeps its text around the formatted number.
        let template = get(&label, "formatter")
            .and_then(|f| f.as_string())
            .unwrap_or_else(|| "{value}".to_owned());
        let format = format.clone();
        let formatter = Closure::<dyn Fn(f64) -> String>::new(move |value: f64| {
            let text = format
                .call1(&JsValue::NULL, &JsValue::from_f64(value))
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_else(|| value.to_string());
            template.replace("{value}", &text)
        });
        // The chart keeps the function for as long as it lives.
        set(&label, "formatter", &formatter.into_js_value());
        set(&axis, "axisLabel", &label);
    }
}

/// Lets go of the chart drawn into `element` (its canvas and listeners).
pub fn dispose(element: web_sys::HtmlElement) {
    if let Some(ec) = echarts() {
        let el: JsValue = element.into();
        call(&ec, "dispose", &[&el]);
    }
}

/// Redraws every chart at its element's new size.
pub fn resize_all() {
    let Some(ec) = echarts() else { return };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(list) = document.query_selector_all("[data-chart]") else {
        return;
    };
    for i in 0..list.length() {
        if let Some(node) = list.item(i) {
            let el: JsValue = node.into();
            if let Some(chart) = call(&ec, "getInstanceByDom", &[&el]).filter(|c| c.is_object()) {
                call(&chart, "resize", &[]);
            }
        }
    }
}

/// Listens for new numbers of `account`; `on_news` runs for each. Closed when dropped.
pub struct Live {
    source: web_sys::EventSource,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Live {
    pub fn open(account: &str, mut on_news: impl FnMut() + 'static) -> Option<Self> {
        let url = format!("/events/analytics?account={account}");
        let source = web_sys::EventSource::new(&url).ok()?;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| on_news());
        let _ = source
            .add_event_listener_with_callback("snapshot", on_message.as_ref().unchecked_ref());
        Some(Self {
            source,
            _on_message: on_message,
        })
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.source.close();
    }
}
