//! The one look of every passgate page, hosted pages and admin console alike: a maud
//! layout (templates checked at compile time, every value escaped), the realm's branding
//! from the config (display name, logo, accent colour served as a tiny style sheet), light
//! and dark by the browser's preference (`assets/passgate.css`), no external assets.

pub mod hosted;

use maud::{html, Markup, PreEscaped};

use crate::config::Config;

/// Whose look a page wears: the realm's name and branding.
#[derive(Debug, Clone)]
pub struct Look {
    pub realm_id: String,
    /// The realm's display name (from the store, falling back to the config's).
    pub name: String,
    pub logo: bool,
    pub accent: bool,
}

impl Look {
    /// `realm_id`'s look; `name` is the display name to show (empty: the config's).
    pub fn of(config: &Config, realm_id: &str, name: &str) -> Look {
        let realm = config.realm(realm_id);
        let name = if name.is_empty() {
            realm.map_or_else(|| realm_id.to_string(), |r| r.display_name.clone())
        } else {
            name.to_string()
        };
        Look {
            realm_id: realm_id.to_string(),
            name,
            logo: realm.is_some_and(|r| r.branding.logo.is_some()),
            accent: realm.is_some_and(|r| r.branding.accent_color.is_some()),
        }
    }

    /// No realm's branding (messages that belong to no realm).
    pub fn plain() -> Look {
        Look {
            realm_id: String::new(),
            name: "passgate".into(),
            logo: false,
            accent: false,
        }
    }
}

/// The style sheet that carries a realm's accent colour (`/.passgate/assets/brand-{realm}.css`).
pub fn brand_css(config: &Config, realm_id: &str) -> Option<String> {
    let accent = config.realm(realm_id)?.branding.accent_color.as_ref()?;
    // `accent` is `#rrggbb` (checked when the config loaded): nothing else reaches the sheet.
    Some(format!(":root {{ --accent: {accent}; }}\n"))
}

/// What a page puts in its header besides the brand: who is signed in, and navigation.
#[derive(Default)]
pub struct Header {
    /// `(username, sign-out URL)`.
    pub signed_in: Option<(String, String)>,
    /// `(label, href, current)` links.
    pub nav: Vec<(&'static str, String, bool)>,
    /// A wide main column (the console's tables).
    pub wide: bool,
}

/// A whole page: `title`, module scripts of `/.passgate/assets/`, the header and `body`.
pub fn page(look: &Look, title: &str, scripts: &[&str], header: &Header, body: Markup) -> Markup {
    html! {
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " – " (look.name) }
                link rel="stylesheet" href="/.passgate/assets/passgate.css";
                @if look.accent {
                    link rel="stylesheet" href={ "/.passgate/assets/brand-" (look.realm_id) ".css" };
                }
                @for s in scripts {
                    script type="module" src={ "/.passgate/assets/" (s) } {}
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.bar {
                    div.brand {
                        @if look.logo {
                            img src={ "/.passgate/assets/logo-" (look.realm_id) } alt="" height="32";
                        }
                        span { (look.name) }
                    }
                    @if let Some((user, out)) = &header.signed_in {
                        div.who {
                            "Signed in as " strong { (user) }
                            " · "
                            a href=(out) { "Sign out" }
                        }
                    }
                }
                @if !header.nav.is_empty() {
                    nav aria-label="Console" {
                        ul {
                            @for (label, href, current) in &header.nav {
                                li {
                                    @if *current {
                                        a href=(href) aria-current="page" { (label) }
                                    } @else {
                                        a href=(href) { (label) }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" class=[header.wide.then_some("wide")] { (body) }
            }
        }
    }
}

/// A server-rendered QR code of `text` as inline SVG (no script, no external image).
pub fn qr_svg(text: &str) -> Option<Markup> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // The renderer writes an XML declaration first; inline SVG starts at `<svg`.
    let start = svg.find("<svg")?;
    Some(PreEscaped(svg[start..].to_string()))
}
