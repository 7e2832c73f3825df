//! Numbers and dates as each language writes them: `12.345` and `4,25 %` in German, `12,345`
//! and `4.25%` in English; dates `01.06.2026` and `1 Jun 2026`.

use crate::i18n::Lang;

/// A whole number with thousands grouped.
pub fn int(lang: Lang, v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let sep = if lang == Lang::De { '.' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if v < 0 {
        format!("−{out}")
    } else {
        out
    }
}

pub fn opt_int(lang: Lang, v: Option<i64>) -> String {
    v.map(|v| int(lang, v)).unwrap_or_else(|| "–".to_owned())
}

/// A share (0.0425) as a percentage with two decimals.
pub fn percent(lang: Lang, share: Option<f64>) -> String {
    match share {
        None => "–".to_owned(),
        Some(s) => {
            let text = format!("{:.2}", s * 100.0);
            match lang {
                Lang::De => format!("{} %", text.replace('.', ",")),
                Lang::En => format!("{text}%"),
            }
        }
    }
}

/// A change against the previous range, signed ("+4,2 %"), or nothing without a base.
pub fn change(lang: Lang, now: Option<f64>, before: Option<f64>) -> Option<String> {
    let (now, before) = (now?, before?);
    if before == 0.0 {
        return None;
    }
    let c = (now - before) / before.abs() * 100.0;
    let text = format!("{}{:.1}", if c >= 0.0 { "+" } else { "−" }, c.abs());
    Some(match lang {
        Lang::De => format!("{} %", text.replace('.', ",")),
        Lang::En => format!("{text}%"),
    })
}

/// An ISO date (`2026-06-01`, or the date part of a timestamp) as the language writes it.
pub fn date(lang: Lang, iso: &str) -> String {
    let d = iso.get(..10).unwrap_or(iso);
    let mut parts = d.split('-');
    let (Some(y), Some(m), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return iso.to_owned();
    };
    match lang {
        Lang::De => format!("{day}.{m}.{y}"),
        Lang::En => {
            let months = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let name = m
                .parse::<usize>()
                .ok()
                .and_then(|m| months.get(m.wrapping_sub(1)))
                .copied()
                .unwrap_or(m);
            format!("{} {name} {y}", day.trim_start_matches('0'))
        }
    }
}

/// A timestamp's date and time (UTC, as stored) in the language's order.
pub fn moment(lang: Lang, iso: &str) -> String {
    let time = iso.get(11..16).unwrap_or_default();
    format!("{} {time}", date(lang, iso))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_and_english_numbers() {
        assert_eq!(int(Lang::De, 1_234_567), "1.234.567");
        assert_eq!(int(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(int(Lang::De, -950), "−950");
        assert_eq!(percent(Lang::De, Some(0.04254)), "4,25 %");
        assert_eq!(percent(Lang::En, Some(0.04254)), "4.25%");
        assert_eq!(
            change(Lang::De, Some(110.0), Some(100.0)).as_deref(),
            Some("+10,0 %")
        );
        assert_eq!(
            change(Lang::En, Some(90.0), Some(100.0)).as_deref(),
            Some("−10.0%")
        );
        assert_eq!(change(Lang::En, Some(90.0), Some(0.0)), None);
        assert_eq!(date(Lang::De, "2026-06-01"), "01.06.2026");
        assert_eq!(date(Lang::En, "2026-06-01T10:00:00Z"), "1 Jun 2026");
    }
}
