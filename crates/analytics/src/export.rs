//! The dashboard's series as CSV, the way German spreadsheets open them: UTF-8 with a byte
//! order mark, semicolons, decimal commas, dates as YYYY-MM-DD (which every spreadsheet reads).

use crate::series::{HourCell, Point, Post};

/// Which table an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The account's series (by day, week or month).
    Series,
    /// Every post of the range with its numbers.
    Posts,
    /// Posts by weekday and hour.
    Hours,
}

impl Table {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "series" => Some(Table::Series),
            "posts" => Some(Table::Posts),
            "hours" => Some(Table::Hours),
            _ => None,
        }
    }
}

/// Text as a cell a spreadsheet shows as text: one that starts like a formula (`=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading apostrophe, so a caption cannot run as a
/// formula when the file is opened.
fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn number(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// A share as a percentage with a decimal comma ("4,27").
fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{:.2}", v * 100.0).replace('.', ","))
        .unwrap_or_default()
}

fn decimal(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}").replace('.', ","))
        .unwrap_or_default()
}

fn write(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        w.write_record(header)?;
        for row in rows {
            w.write_record(row)?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn series(points: &[Point], de: bool) -> Result<Vec<u8>, csv::Error> {
    let header: &[&str] = if de {
        &[
            "Zeitraum ab",
            "Follower",
            "Neue Follower",
            "Verlorene Follower",
            "Aufrufe",
            "Reichweite (Summe der Tage)",
            "Interaktionen",
            "Likes",
            "Kommentare",
            "Geteilt",
            "Gespeichert",
            "Link-Klicks",
            "Engagement-Rate %",
        ]
    } else {
        &[
            "Period from",
            "Followers",
            "Followers gained",
            "Followers lost",
            "Views",
            "Reach (sum of days)",
            "Interactions",
            "Likes",
            "Comments",
            "Shares",
            "Saves",
            "Link taps",
            "Engagement rate %",
        ]
    };
    let rows = points
        .iter()
        .map(|p| {
            vec![
                p.bucket.to_string(),
                number(p.followers),
                number(p.followers_gained),
                number(p.followers_lost),
                number(p.views),
                number(p.reach),
                number(p.interactions),
                number(p.likes),
                number(p.comments),
                number(p.shares),
                number(p.saves),
                number(p.profile_links_taps),
                percent(p.engagement_rate),
            ]
        })
        .collect();
    write(header, rows)
}

pub fn posts(posts: &[Post], de: bool) -> Result<Vec<u8>, csv::Error> {
    let header: &[&str] = if de {
        &[
            "Veröffentlicht (UTC)",
            "Art",
            "Beschriftung",
            "Link",
            "Aufrufe",
            "Reichweite",
            "Likes",
            "Kommentare",
            "Gespeichert",
            "Geteilt",
            "Interaktionen",
            "Engagement-Rate %",
        ]
    } else {
        &[
            "Posted (UTC)",
            "Type",
            "Caption",
            "Link",
            "Views",
            "Reach",
            "Likes",
            "Comments",
            "Saves",
            "Shares",
            "Interactions",
            "Engagement rate %",
        ]
    };
    let rows = posts
        .iter()
        .map(|p| {
            vec![
                p.posted_at.format("%Y-%m-%d %H:%M").to_string(),
                text(p.product_type.as_deref().unwrap_or(&p.media_type)),
                text(p.caption.as_deref().unwrap_or_default()),
                text(p.permalink.as_deref().unwrap_or_default()),
                number(p.views),
                number(p.reach),
                number(p.likes),
                number(p.comments),
                number(p.saved),
                number(p.shares),
                number(p.interactions),
                percent(p.engagement_rate),
            ]
        })
        .collect();
    write(header, rows)
}

pub fn hours(cells: &[HourCell], de: bool) -> Result<Vec<u8>, csv::Error> {
    let header: &[&str] = if de {
        &[
            "Wochentag (1 = Montag)",
            "Stunde (Berlin)",
            "Beiträge",
            "Interaktionen je Beitrag",
            "Engagement-Rate %",
        ]
    } else {
        &[
            "Weekday (1 = Monday)",
            "Hour (Berlin)",
            "Posts",
            "Interactions per post",
            "Engagement rate %",
        ]
    };
    let rows = cells
        .iter()
        .map(|c| {
            vec![
                c.weekday.to_string(),
                c.hour.to_string(),
                c.posts.to_string(),
                decimal(c.avg_interactions),
                percent(c.engagement_rate),
            ]
        })
        .collect();
    write(header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_spreadsheets_read_it() {
        let p = Point {
            bucket: "2026-03-01".parse().unwrap(),
            followers: Some(12_345),
            followers_gained: Some(40),
            followers_lost: None,
            views: Some(1000),
            reach: Some(800),
            interactions: Some(34),
            likes: Some(30),
            comments: Some(2),
            shares: Some(1),
            saves: Some(1),
            profile_links_taps: Some(3),
            engagement_rate: Some(0.0425),
        };
        let csv = String::from_utf8(series(&[p], true).unwrap()).unwrap();
        let mut lines = csv.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("\u{feff}Zeitraum ab;Follower;"));
        assert_eq!(
            lines.next().unwrap(),
            "2026-03-01;12345;40;;1000;800;34;30;2;1;1;3;4,25"
        );
    }

    #[test]
    fn captions_never_run_as_formulas() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("@evil"), "'@evil");
        assert_eq!(text("Neu im Shop"), "Neu im Shop");
    }
}
