//! Markdown written by admins (product descriptions, pages) made HTML on the server.

/// Markdown to HTML. Raw HTML in the text is shown as text, never as markup, and links
/// go only to http(s), mail and relative addresses.
pub fn to_html(text: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Parser, Tag};
    let allowed = |url: &str| {
        let lower = url.trim().to_ascii_lowercase();
        match lower.split_once(':') {
            None => true,
            Some((scheme, _)) => matches!(scheme, "http" | "https" | "mailto"),
        }
    };
    let events = Parser::new(text).map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        Event::Start(mut tag) => {
            if let Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } = &mut tag {
                if !allowed(dest_url) {
                    *dest_url = CowStr::Borrowed("#");
                }
            }
            Event::Start(tag)
        }
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn markdown_escapes_raw_html() {
        let html = super::to_html("**fett** <script>alert(1)</script>\n\n* a\n* b");
        assert!(html.contains("<strong>fett</strong>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("<li>a</li>"), "{html}");
        let html = super::to_html("[x](javascript:alert(1)) [y](https://example.com) [z](/shop)");
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains(r#"href="https://example.com""#), "{html}");
        assert!(html.contains(r#"href="/shop""#), "{html}");
    }
}
