//! Amounts of money: whole euro cents, never floating point.

use serde::{Deserialize, Serialize};

/// An amount in euro cents.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Cents(pub i64);

/// Why a typed amount is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoneyProblem {
    Empty,
    /// Not a number of euros with at most two decimals.
    Invalid,
    Negative,
    TooLarge,
}

impl Cents {
    /// The largest amount accepted from a form: 10 million euros.
    pub const MAX_INPUT: Cents = Cents(1_000_000_000);

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    pub fn checked_mul(self, n: i64) -> Option<Cents> {
        self.0.checked_mul(n).map(Cents)
    }

    /// German notation: `1.234,56 €`.
    pub fn de(self) -> String {
        format!("{} €", self.digits(".", ","))
    }

    /// English notation: `€1,234.56`.
    pub fn en(self) -> String {
        let digits = self.digits(",", ".");
        match digits.strip_prefix('-') {
            Some(rest) => format!("-€{rest}"),
            None => format!("€{digits}"),
        }
    }

    fn digits(self, thousands: &str, decimal: &str) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push_str(thousands);
            }
            grouped.push(c);
        }
        format!("{sign}{grouped}{decimal}{:02}", abs % 100)
    }

    /// An amount typed by a person: `12`, `12,5`, `12.50`, `1.234,56`, `1,234.56`, with or
    /// without `€`. The last `,` or `.` followed by one or two digits is the decimal mark;
    /// other marks group thousands.
    pub fn parse_euros(s: &str) -> Result<Cents, MoneyProblem> {
        let s: String = s
            .trim()
            .trim_start_matches('€')
            .trim_end_matches('€')
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if s.is_empty() {
            return Err(MoneyProblem::Empty);
        }
        if s.starts_with('-') {
            return Err(MoneyProblem::Negative);
        }
        let (whole, frac) = match s.rfind([',', '.']) {
            Some(i) if s.len() - i - 1 <= 2 && s.len() - i > 1 => (&s[..i], &s[i + 1..]),
            _ => (s.as_str(), ""),
        };
        let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
        if whole.is_empty() && frac.is_empty() {
            return Err(MoneyProblem::Invalid);
        }
        if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return Err(MoneyProblem::Invalid);
        }
        if whole.len() > 12 {
            return Err(MoneyProblem::TooLarge);
        }
        let euros: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyProblem::Invalid)?
        };
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| MoneyProblem::Invalid)? * 10,
            _ => frac.parse().map_err(|_| MoneyProblem::Invalid)?,
        };
        let amount = Cents(euros * 100 + cents);
        if amount > Cents::MAX_INPUT {
            return Err(MoneyProblem::TooLarge);
        }
        Ok(amount)
    }
}
