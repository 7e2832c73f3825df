//! EU VAT identification numbers, checked by their country's format. Whether a number is
//! actually registered is for VIES to say (the checkout asks it where configured); a number in
//! the wrong format never gets that far.

use serde::{Deserialize, Serialize};

/// Why a text is not a VAT id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VatIdProblem {
    Empty,
    /// The first two letters are no EU country's VAT prefix.
    UnknownCountry,
    /// The rest does not fit the country's format.
    Format,
}

/// A VAT id in its normalized form: upper case, without spaces, dots or dashes (`DE123456789`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VatId(String);

/// Formats per country prefix: `#` a digit, `@` a letter, `?` a letter or digit, anything else
/// itself. Greece's prefix is `EL`; `XI` is Northern Ireland.
const FORMATS: &[(&str, &[&str])] = &[
    ("AT", &["U########"]),
    ("BE", &["0#########", "1#########"]),
    ("BG", &["#########", "##########"]),
    ("CY", &["########@"]),
    ("CZ", &["########", "#########", "##########"]),
    ("DE", &["#########"]),
    ("DK", &["########"]),
    ("EE", &["#########"]),
    ("EL", &["#########"]),
    ("ES", &["?#######?"]),
    ("FI", &["########"]),
    ("FR", &["??#########"]),
    ("HR", &["###########"]),
    ("HU", &["########"]),
    ("IE", &["#######@", "#######@@", "#?#####@"]),
    ("IT", &["###########"]),
    ("LT", &["#########", "############"]),
    ("LU", &["########"]),
    ("LV", &["###########"]),
    ("MT", &["########"]),
    ("NL", &["#########B##"]),
    ("PL", &["##########"]),
    ("PT", &["#########"]),
    (
        "RO",
        &[
            "##",
            "###",
            "####",
            "#####",
            "######",
            "#######",
            "########",
            "#########",
            "##########",
        ],
    ),
    ("SE", &["##########01"]),
    ("SI", &["########"]),
    ("SK", &["##########"]),
    ("XI", &["#########", "############", "GD###", "HA###"]),
];

fn fits(pattern: &str, s: &str) -> bool {
    pattern.len() == s.len()
        && pattern.chars().zip(s.chars()).all(|(p, c)| match p {
            '#' => c.is_ascii_digit(),
            '@' => c.is_ascii_uppercase(),
            '?' => c.is_ascii_uppercase() || c.is_ascii_digit(),
            literal => c == literal,
        })
}

impl VatId {
    pub fn parse(s: &str) -> Result<Self, VatIdProblem> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.is_empty() {
            return Err(VatIdProblem::Empty);
        }
        let Some(prefix) = s.get(..2) else {
            return Err(VatIdProblem::UnknownCountry);
        };
        // Greece's ISO code is GR; its VAT prefix is EL.
        let prefix = if prefix == "GR" { "EL" } else { prefix };
        let (_, patterns) = FORMATS
            .iter()
            .find(|(p, _)| *p == prefix)
            .ok_or(VatIdProblem::UnknownCountry)?;
        let rest = &s[2..];
        if patterns.iter().any(|p| fits(p, rest)) {
            Ok(Self(format!("{prefix}{rest}")))
        } else {
            Err(VatIdProblem::Format)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The VAT prefix (`DE`, `AT`, `EL`, …).
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

impl std::fmt::Display for VatId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
