//! The dashboard's charts as ECharts options, made with `charming` on the server and drawn by
//! ECharts in the browser (see `page::EChart`). Only JSON travels: no functions in the options,
//! which the page's Content-Security-Policy would not run anyway. Dates on the axes are
//! written in the page's language (German `01.06.2026`), so the charts need no locale of
//! their own; the tables behind them carry the same numbers in German formats.

use charming::component::{Aria, Axis, DataZoom, DataZoomType, Grid, Legend, VisualMap};
use charming::element::{
    AxisLabel, AxisType, ItemStyle, LineStyle, MarkLine, MarkLineData, MarkLineVariant, Orient,
    Symbol, Tooltip, Trigger,
};
use charming::series::{Bar, Heatmap, Line};
use charming::Chart;
use chrono::NaiveDate;
use gd_analytics::series::{Delivery, Grain, HourCell, Point};

use super::api::ChartSpec;
use crate::i18n::Lang;

const FUCHSIA: &str = "#c026d3";
const SKY: &str = "#0284c7";
const EMERALD: &str = "#059669";

/// The axis label of a bucket.
pub(crate) fn bucket_label(lang: Lang, grain: Grain, day: NaiveDate) -> String {
    match (lang, grain) {
        (Lang::De, Grain::Month) => day.format("%m/%Y").to_string(),
        (Lang::De, _) => day.format("%d.%m.%Y").to_string(),
        (Lang::En, Grain::Month) => day.format("%b %Y").to_string(),
        (Lang::En, _) => day.format("%-d %b %Y").to_string(),
    }
}

fn base(labels: &[String]) -> Chart {
    let long = labels.len() > 60;
    let chart = Chart::new()
        .aria(Aria::new().enabled(true))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top("0"))
        .grid(
            Grid::new()
                .left("3%")
                .right("4%")
                .bottom(if long { "16%" } else { "3%" })
                .contain_label(true),
        )
        .x_axis(Axis::new().type_(AxisType::Category).data(labels.to_vec()));
    if long {
        chart
            .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
            .data_zoom(DataZoom::new().type_(DataZoomType::Slider))
    } else {
        chart
    }
}

fn values(points: &[Point], f: impl Fn(&Point) -> Option<f64>) -> Vec<Option<f64>> {
    points.iter().map(f).collect()
}

/// Follower growth, with the client's deliveries as vertical lines (started, completed).
fn followers(lang: Lang, grain: Grain, points: &[Point], deliveries: &[Delivery]) -> Chart {
    let de = lang == Lang::De;
    let labels: Vec<String> = points
        .iter()
        .map(|p| bucket_label(lang, grain, p.bucket))
        .collect();
    // The bucket a moment falls in: the last bucket starting on or before it.
    let bucket_of = |at: chrono::DateTime<chrono::Utc>| {
        let day = at.date_naive();
        points
            .iter()
            .rev()
            .find(|p| p.bucket <= day)
            .map(|p| bucket_label(lang, grain, p.bucket))
    };
    let mut marks = Vec::new();
    for d in deliveries {
        let started = if de { "Start" } else { "started" };
        let done = if de { "geliefert" } else { "delivered" };
        for (at, what) in [(d.started_at, started), (d.finished_at, done)] {
            if let Some(label) = at.and_then(bucket_of) {
                marks.push(MarkLineVariant::Simple(
                    MarkLineData::new()
                        .name(format!("#{} {what}", d.order_number))
                        .x_axis(label),
                ));
            }
        }
    }
    let mut line = Line::new()
        .name(if de { "Follower" } else { "Followers" })
        .show_symbol(false)
        .item_style(ItemStyle::new().color(FUCHSIA))
        .data(values(points, |p| p.followers.map(|v| v as f64)));
    if !marks.is_empty() {
        line = line.mark_line(
            MarkLine::new()
                .symbol(vec![Symbol::None, Symbol::None])
                .line_style(LineStyle::new().color(EMERALD))
                .data(marks),
        );
    }
    base(&labels)
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .series(line)
        .series(
            Bar::new()
                .name(if de {
                    "Neue Follower"
                } else {
                    "Followers gained"
                })
                .y_axis_index(1)
                .item_style(ItemStyle::new().color("#a7f3d0"))
                .data(values(points, |p| p.followers_gained.map(|v| v as f64))),
        )
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .split_line(charming::element::SplitLine::new().show(false)),
        )
}

/// Views and reach per bucket.
fn views(lang: Lang, grain: Grain, points: &[Point]) -> Chart {
    let de = lang == Lang::De;
    let labels: Vec<String> = points
        .iter()
        .map(|p| bucket_label(lang, grain, p.bucket))
        .collect();
    base(&labels)
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(
            Bar::new()
                .name(if de { "Aufrufe" } else { "Views" })
                .item_style(ItemStyle::new().color(SKY))
                .data(values(points, |p| p.views.map(|v| v as f64))),
        )
        .series(
            Line::new()
                .name(if de { "Reichweite" } else { "Reach" })
                .show_symbol(false)
                .item_style(ItemStyle::new().color(FUCHSIA))
                .data(values(points, |p| p.reach.map(|v| v as f64))),
        )
}

/// Engagement rate (interactions / reach) in per cent.
fn engagement(lang: Lang, grain: Grain, points: &[Point]) -> Chart {
    let labels: Vec<String> = points
        .iter()
        .map(|p| bucket_label(lang, grain, p.bucket))
        .collect();
    base(&labels)
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .axis_label(AxisLabel::new().formatter("{value} %")),
        )
        .series(
            Line::new()
                .name(if lang == Lang::De {
                    "Engagement-Rate (%)"
                } else {
                    "Engagement rate (%)"
                })
                .show_symbol(false)
                .item_style(ItemStyle::new().color(EMERALD))
                .data(values(points, |p| {
                    p.engagement_rate.map(|r| (r * 10_000.0).round() / 100.0)
                })),
        )
}

/// Interactions per post by weekday and hour (Berlin time).
fn hours(lang: Lang, cells: &[HourCell]) -> Chart {
    let de = lang == Lang::De;
    let days: Vec<String> = if de {
        ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    }
    .iter()
    .map(|d| d.to_string())
    .collect();
    let hours: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    let max = cells
        .iter()
        .filter_map(|c| c.avg_interactions)
        .fold(1.0_f64, f64::max);
    let data: Vec<charming::datatype::DataFrame> = cells
        .iter()
        .map(|c| {
            let value = c.avg_interactions.map(|v| v.round()).unwrap_or(0.0);
            charming::df![c.hour, c.weekday - 1, value]
        })
        .collect();
    Chart::new()
        .aria(Aria::new().enabled(true))
        .tooltip(Tooltip::new().position("top"))
        .grid(
            Grid::new()
                .left("3%")
                .right("4%")
                .bottom("18%")
                .contain_label(true),
        )
        .x_axis(Axis::new().type_(AxisType::Category).data(hours))
        .y_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(days)
                .inverse(true),
        )
        .visual_map(
            VisualMap::new()
                .min(0)
                .max(max.ceil())
                .calculable(true)
                .orient(Orient::Horizontal)
                .left("center")
                .bottom("0%")
                .in_range(
                    charming::component::VisualMapChannel::new().color(vec!["#fdf4ff", FUCHSIA]),
                ),
        )
        .series(
            Heatmap::new()
                .name(if de {
                    "Interaktionen je Beitrag"
                } else {
                    "Interactions per post"
                })
                .data(data),
        )
}

/// Every chart of the dashboard.
pub(crate) fn all(
    lang: Lang,
    grain: Grain,
    points: &[Point],
    cells: &[HourCell],
    deliveries: &[Delivery],
) -> Vec<ChartSpec> {
    [
        ("followers", followers(lang, grain, points, deliveries)),
        ("views", views(lang, grain, points)),
        ("engagement", engagement(lang, grain, points)),
        ("hours", hours(lang, cells)),
    ]
    .into_iter()
    .map(|(id, chart)| ChartSpec {
        id: id.to_owned(),
        // Serialising plain data cannot fail; an empty option draws an empty chart.
        option: serde_json::to_string(&chart).unwrap_or_else(|_| "{}".to_owned()),
    })
    .collect()
}
