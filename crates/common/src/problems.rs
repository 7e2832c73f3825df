//! The one field-problem type of every form: a domain crate's `parse` reports a [`Problem`]
//! with a value, the form's parser puts it [`on`](Problem::on) a field, and the page turns the
//! [`FieldIssue`] into words in the visitor's language. The same types travel from the server
//! to the browser, so both sides agree on every code.

use serde::{Deserialize, Serialize};

/// What is wrong with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IssueCode {
    Required,
    TooLong,
    TooShort,
    InvalidEmail,
    InvalidHandle,
    ConsentMissing,
    TooCommon,
    WrongPassword,
    /// A second-factor code (or recovery code) that is wrong, used or too old.
    WrongCode,
    /// Not a link to an Instagram post or reel.
    InvalidPost,
    /// A number outside what is allowed (a quantity of 0 or 1,000).
    OutOfRange,
    /// A choice the product does not offer (a tampered form).
    NotOffered,
    /// Not an address part: lower-case letters and digits, words joined by single dashes.
    InvalidSlug,
    /// A line of a list field that does not read as the field's format; the limit is the line
    /// number (from 1).
    BadLine,
    /// Prices that do not add up to something sellable (no tier, a key twice).
    InvalidOffer,
    /// A file that is not a JPEG, PNG or WebP image (judged by its content).
    NotAnImage,
    /// A file over the limit (in MB).
    FileTooLarge,
    /// An image narrower or lower than the limit (in pixels).
    ImageTooSmall,
    /// An image with more pixels than the limit (in megapixels).
    ImageTooBig,
    /// Not a number, or one outside what the field takes.
    InvalidNumber,
    /// More entries than allowed (the limit).
    TooMany,
    /// A bundle uses it: change the bundle first.
    InUse,
    /// Something on our side failed; trying again later may work.
    Unavailable,
    /// Not a VAT id of an EU member state (its format is checked per country).
    InvalidVatId,
    /// The VAT id belongs to another country than the billing address.
    VatCountry,
    /// A proof file that is not a JPEG, PNG or WebP image or a PDF (judged by its content).
    NotAProof,
    /// The EU's VAT register says this VAT id is not registered.
    VatIdNotRegistered,
    /// The EU's VAT register could not confirm the VAT id just now.
    VatRegisterUnavailable,
}

impl IssueCode {
    pub const ALL: [IssueCode; 28] = [
        IssueCode::Required,
        IssueCode::TooLong,
        IssueCode::TooShort,
        IssueCode::InvalidEmail,
        IssueCode::InvalidHandle,
        IssueCode::ConsentMissing,
        IssueCode::TooCommon,
        IssueCode::WrongPassword,
        IssueCode::WrongCode,
        IssueCode::InvalidPost,
        IssueCode::OutOfRange,
        IssueCode::NotOffered,
        IssueCode::InvalidSlug,
        IssueCode::BadLine,
        IssueCode::InvalidOffer,
        IssueCode::NotAnImage,
        IssueCode::FileTooLarge,
        IssueCode::ImageTooSmall,
        IssueCode::ImageTooBig,
        IssueCode::InvalidNumber,
        IssueCode::TooMany,
        IssueCode::InUse,
        IssueCode::Unavailable,
        IssueCode::InvalidVatId,
        IssueCode::VatCountry,
        IssueCode::NotAProof,
        IssueCode::VatIdNotRegistered,
        IssueCode::VatRegisterUnavailable,
    ];

    /// The code's name in URLs (a form posted without JavaScript gets its problems back there).
    pub fn name(self) -> &'static str {
        match self {
            IssueCode::Required => "required",
            IssueCode::TooLong => "too-long",
            IssueCode::TooShort => "too-short",
            IssueCode::InvalidEmail => "invalid-email",
            IssueCode::InvalidHandle => "invalid-handle",
            IssueCode::ConsentMissing => "consent-missing",
            IssueCode::TooCommon => "too-common",
            IssueCode::WrongPassword => "wrong-password",
            IssueCode::WrongCode => "wrong-code",
            IssueCode::InvalidPost => "invalid-post",
            IssueCode::OutOfRange => "out-of-range",
            IssueCode::NotOffered => "not-offered",
            IssueCode::InvalidSlug => "invalid-slug",
            IssueCode::BadLine => "bad-line",
            IssueCode::InvalidOffer => "invalid-offer",
            IssueCode::NotAnImage => "not-an-image",
            IssueCode::FileTooLarge => "file-too-large",
            IssueCode::ImageTooSmall => "image-too-small",
            IssueCode::ImageTooBig => "image-too-big",
            IssueCode::InvalidNumber => "invalid-number",
            IssueCode::TooMany => "too-many",
            IssueCode::InUse => "in-use",
            IssueCode::Unavailable => "unavailable",
            IssueCode::InvalidVatId => "invalid-vat-id",
            IssueCode::VatCountry => "vat-country",
            IssueCode::NotAProof => "not-a-proof",
            IssueCode::VatIdNotRegistered => "vat-id-not-registered",
            IssueCode::VatRegisterUnavailable => "vat-register-unavailable",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What is wrong with a value, before it is known which field held it: a code and, for
/// `TooLong` and `TooShort`, the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Problem {
    pub code: IssueCode,
    pub limit: Option<u32>,
}

impl Problem {
    pub const fn new(code: IssueCode) -> Self {
        Self { code, limit: None }
    }

    pub const fn too_long(max: usize) -> Self {
        Self::with_limit(IssueCode::TooLong, max)
    }

    pub const fn too_short(min: usize) -> Self {
        Self::with_limit(IssueCode::TooShort, min)
    }

    /// A problem with a number in its words (a line, a size in MB or pixels).
    pub const fn with_limit(code: IssueCode, limit: usize) -> Self {
        // Form limits are small; a limit beyond u32 would be a programming error, shown capped.
        let limit = if limit > u32::MAX as usize {
            u32::MAX
        } else {
            limit as u32
        };
        Self {
            code,
            limit: Some(limit),
        }
    }

    /// This problem, found in the form field named `field`.
    pub fn on(self, field: &str) -> FieldIssue {
        FieldIssue {
            field: field.to_owned(),
            code: self.code,
            max: self.limit,
        }
    }
}

impl From<IssueCode> for Problem {
    fn from(code: IssueCode) -> Self {
        Self::new(code)
    }
}

/// What is wrong with one form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    /// The form field's `name`.
    pub field: String,
    pub code: IssueCode,
    /// The limit, for `TooLong` and `TooShort`.
    pub max: Option<u32>,
}

impl FieldIssue {
    /// `code` on `field`, without a limit.
    pub fn new(field: &str, code: IssueCode) -> Self {
        Problem::new(code).on(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_their_names() {
        for code in IssueCode::ALL {
            assert_eq!(IssueCode::from_name(code.name()), Some(code));
        }
        assert_eq!(IssueCode::from_name("nonsense"), None);
    }

    #[test]
    fn a_problem_lands_on_its_field_with_its_limit() {
        assert_eq!(
            Problem::too_long(120).on("name"),
            FieldIssue {
                field: "name".into(),
                code: IssueCode::TooLong,
                max: Some(120)
            }
        );
        assert_eq!(
            FieldIssue::new("consent", IssueCode::ConsentMissing).max,
            None
        );
    }
}
