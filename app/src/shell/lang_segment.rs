//! The language prefix of every page: `/en` for English, nothing for German. One route per
//! page matches both (`/login` and `/en/login`), and nothing else (`/fr/login` is not a page):
//! half the route entries in the first-load bundle compared with one route per language.

use std::borrow::Cow;

use leptos_router::{PartialPathMatch, PathSegment, PossibleRouteMatch};

#[derive(Debug, Clone, Copy)]
pub struct LangPrefix;

impl PossibleRouteMatch for LangPrefix {
    fn optional(&self) -> bool {
        false
    }

    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        let english = path
            .strip_prefix("/en")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        let (matched, remaining) = path.split_at(if english { 3 } else { 0 });
        let params: Vec<(Cow<'static, str>, String)> = Vec::new();
        Some(PartialPathMatch::new(remaining, params, matched))
    }

    /// The server registers both forms: without the prefix, and with a `lang` parameter
    /// (where anything but `en` renders the not-found page).
    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        path.push(PathSegment::OptionalParam("lang".into()));
    }
}
