//! A realm's look and its console's gatekeeper: `logo` (a PNG, JPEG, GIF, WebP or SVG file,
//! or a `data:` URL of one), `accent_color` (`#rgb` or `#rrggbb`) and `admin_group` (whose
//! members may open the admin console; default `passgate-admins`). The logo is read and
//! checked when the file loads, so `passgate check` reports a missing or unusable one.

use std::path::Path;

use data_encoding::BASE64;

use super::problem::Problem;

/// The group whose members may use the console when a realm names none.
pub const DEFAULT_ADMIN_GROUP: &str = "passgate-admins";
/// Largest logo accepted (it is served from memory on every page).
pub const LOGO_MAX: usize = 256 * 1024;

/// A logo as served at `/.passgate/assets/logo-{realm}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.content_type, self.bytes.len())
    }
}

/// A realm's branding, as the hosted pages and the console use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Branding {
    pub logo: Option<Logo>,
    /// `#rrggbb`, lower-case.
    pub accent_color: Option<String>,
}

const TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
];

/// `#rgb` / `#rrggbb` as `#rrggbb`, lower-case.
pub fn parse_color(s: &str) -> Option<String> {
    let hex = s.strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(format!(
            "#{}",
            hex.chars()
                .flat_map(|c| [c, c])
                .collect::<String>()
                .to_ascii_lowercase()
        )),
        _ => None,
    }
}

fn logo_from_data_url(s: &str) -> Result<Logo, String> {
    let rest = s.strip_prefix("data:").unwrap_or_default();
    let (meta, data) = rest
        .split_once(',')
        .ok_or("a data: URL needs a comma before its data")?;
    let kind = meta
        .strip_suffix(";base64")
        .ok_or("a data: URL logo must be base64 (data:image/png;base64,…)")?;
    let content_type = TYPES
        .iter()
        .map(|(_, t)| *t)
        .find(|t| *t == kind)
        .ok_or_else(|| format!("\"{kind}\" is not a logo type (PNG, JPEG, GIF, WebP or SVG)"))?;
    let bytes = BASE64
        .decode(data.trim().as_bytes())
        .map_err(|e| format!("the data: URL is not valid base64: {e}"))?;
    Ok(Logo {
        content_type,
        bytes,
    })
}

fn logo_from_file(s: &str, base_dir: &Path) -> Result<Logo, String> {
    let path = base_dir.join(s);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let content_type = TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            format!(
                "\"{}\" must end in .png, .jpg, .jpeg, .gif, .webp or .svg",
                path.display()
            )
        })?;
    let bytes =
        std::fs::read(&path).map_err(|e| format!("cannot read \"{}\": {e}", path.display()))?;
    Ok(Logo {
        content_type,
        bytes,
    })
}

/// Checks and loads `logo` and `accent_color` of `realms[i]` (`path`).
pub fn branding(
    logo: Option<&str>,
    accent_color: Option<&str>,
    base_dir: &Path,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Branding {
    let logo = logo.and_then(|s| {
        let loaded = if s.starts_with("data:") {
            logo_from_data_url(s)
        } else {
            logo_from_file(s, base_dir)
        };
        match loaded {
            Ok(l) if l.bytes.is_empty() => {
                problems.push(Problem::new(format!("{path}.logo"), "the logo is empty"));
                None
            }
            Ok(l) if l.bytes.len() > LOGO_MAX => {
                problems.push(Problem::new(
                    format!("{path}.logo"),
                    format!("the logo is {} bytes; {LOGO_MAX} at most", l.bytes.len()),
                ));
                None
            }
            Ok(l) => Some(l),
            Err(m) => {
                problems.push(Problem::new(format!("{path}.logo"), m));
                None
            }
        }
    });
    let accent_color = accent_color.and_then(|c| {
        let parsed = parse_color(c);
        if parsed.is_none() {
            problems.push(Problem::new(
                format!("{path}.accent_color"),
                format!("\"{c}\" must be a colour as #rgb or #rrggbb"),
            ));
        }
        parsed
    });
    Branding { logo, accent_color }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_hex_only() {
        assert_eq!(parse_color("#ABC").as_deref(), Some("#aabbcc"));
        assert_eq!(parse_color("#0a7f3E").as_deref(), Some("#0a7f3e"));
        for bad in ["red", "#abcd", "#ggg", "abc", "#12345", "#1234567", ""] {
            assert!(parse_color(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn logos_from_data_urls_and_files() {
        let mut p = Vec::new();
        let dir = Path::new(".");
        let b = branding(
            Some("data:image/png;base64,iVBORw0KGgo="),
            Some("#123"),
            dir,
            "realms[0]",
            &mut p,
        );
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(b.logo.unwrap().content_type, "image/png");
        for bad in [
            "data:text/html;base64,PGI+",
            "data:image/png,rawdata",
            "data:image/png;base64,***",
            "missing.png",
            "Cargo.toml",
        ] {
            let mut p = Vec::new();
            let b = branding(Some(bad), None, dir, "realms[0]", &mut p);
            assert!(b.logo.is_none(), "{bad}");
            assert_eq!(p.len(), 1, "{bad}");
            assert_eq!(p[0].path, "realms[0].logo");
        }
    }
}
