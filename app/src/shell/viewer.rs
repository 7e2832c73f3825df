//! Who is signed in, for the header: the address and the portals their roles open.
//!
//! The server looks the user up once per page request (see the server's `viewer`
//! middleware and `RequestUser`) and writes it into the document head as `<meta name="gd-viewer">`; the browser
//! reads it from there, so both render the same header without a request and without
//! serialising a resource. Signing in and out end with a full page load, so the tag is current.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Viewer {
    pub email: String,
    pub admin: bool,
    /// Holds the finance role (the finance portal's entry).
    pub finance: bool,
}

impl Viewer {
    /// From an address and the roles held.
    pub fn new(email: &str, roles: &[gd_common::Role]) -> Self {
        Self {
            email: email.to_owned(),
            admin: roles.contains(&gd_common::Role::Admin),
            finance: roles.contains(&gd_common::Role::Finance),
        }
    }

    /// `roles|email` (roles: `admin`, `finance`, comma separated), as the meta tag carries it.
    pub fn encode(&self) -> String {
        let roles: Vec<&str> = [(self.admin, "admin"), (self.finance, "finance")]
            .into_iter()
            .filter_map(|(held, name)| held.then_some(name))
            .collect();
        format!("{}|{}", roles.join(","), self.email)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (roles, email) = text.split_once('|')?;
        (!email.is_empty()).then(|| Self {
            email: email.to_owned(),
            admin: roles.split(',').any(|r| r == "admin"),
            finance: roles.split(',').any(|r| r == "finance"),
        })
    }
}

/// How many items the visitor's cart held when the page was rendered.
pub(crate) fn page_cart_count() -> u32 {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<gd_web::RequestCart>().map(|c| c.0))
            .unwrap_or(0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document()
            .query_selector("meta[name=gd-cart]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .and_then(|content| content.parse().ok())
            .unwrap_or(0)
    }
}

/// The viewer the page was rendered for.
pub(crate) fn page_viewer() -> Option<Viewer> {
    #[cfg(feature = "ssr")]
    {
        crate::context::request_user().map(|u| Viewer::new(&u.email, &u.roles))
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document()
            .query_selector("meta[name=gd-viewer]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .and_then(|content| Viewer::decode(&content))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        use gd_common::Role;
        let v = Viewer::new("a|b@example.com", &[Role::Client, Role::Admin]);
        assert!(v.admin);
        assert_eq!(Viewer::decode(&v.encode()), Some(v));
        let v = Viewer::new("c@example.com", &[Role::Client]);
        assert_eq!(Viewer::decode(&v.encode()), Some(v));
        let v = Viewer::new("f@example.com", &[Role::Finance, Role::Admin]);
        assert!(v.finance && v.admin);
        assert_eq!(Viewer::decode(&v.encode()), Some(v));
        assert_eq!(Viewer::decode("admin|"), None);
        assert_eq!(Viewer::decode("nonsense"), None);
    }
}
