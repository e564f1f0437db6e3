//! The validated access rules and identity headers of a route: who may pass (allow lists,
//! per-method rules, step-up age, public paths) and which headers carry the identity
//! upstream. Pure data with cheap matchers; `dataplane::authz` applies them.

use std::time::Duration;

use http::{HeaderName, Method};

use super::canonical::RequestPath;

/// Who is allowed: a user passes when any list admits them. All lists empty: every
/// signed-in user of the route's realm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    /// Group display names, as the session token carries them (exact match).
    pub groups: Vec<String>,
    /// Usernames, lower-cased (usernames are case-insensitive).
    pub users: Vec<String>,
    /// Email domains, lower-cased, without `@`.
    pub email_domains: Vec<String>,
}

impl Allow {
    /// No list: any signed-in user of the realm.
    #[inline]
    pub fn is_open(&self) -> bool {
        self.groups.is_empty() && self.users.is_empty() && self.email_domains.is_empty()
    }

    /// Which list admits the user, if any (`"groups"`, `"users"`, `"email_domains"`).
    pub fn admits(
        &self,
        username: &str,
        email: Option<&str>,
        groups: &[std::sync::Arc<str>],
    ) -> Option<&'static str> {
        if self.users.iter().any(|u| u.eq_ignore_ascii_case(username)) {
            return Some("allow_users");
        }
        if groups
            .iter()
            .any(|g| self.groups.iter().any(|a| **a == **g))
        {
            return Some("allow_groups");
        }
        let domain = email.and_then(|e| e.rsplit_once('@')).map(|(_, d)| d);
        if let Some(d) = domain {
            if self.email_domains.iter().any(|a| a.eq_ignore_ascii_case(d)) {
                return Some("allow_email_domains");
            }
        }
        None
    }
}

/// `[[routes.rules]]`: for these methods, this allow rule instead of the route's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRule {
    pub methods: Vec<Method>,
    pub allow: Allow,
    /// Step-up for these methods; `None`: the route's `max_auth_age`.
    pub max_auth_age: Option<Duration>,
}

/// One `public_paths` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPattern {
    /// Segment-aware prefix: `/static` matches `/static` and `/static/x`, not `/staticx`.
    Prefix(String),
    /// `*` matches within one segment, `**` across segments (e.g. `/api/*/health`,
    /// `/**.css`).
    Glob(String),
}

impl PathPattern {
    pub fn matches(&self, path: &str) -> bool {
        match self {
            PathPattern::Prefix(p) => {
                path.starts_with(p.as_str())
                    && (p.ends_with('/')
                        || path.len() == p.len()
                        || path.as_bytes()[p.len()] == b'/')
            }
            PathPattern::Glob(g) => super::glob::matches(g.as_bytes(), path.as_bytes()),
        }
    }
}

/// The access rules of an `authenticated` route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub allow: Allow,
    pub public_paths: Vec<PathPattern>,
    pub rules: Vec<MethodRule>,
    pub max_auth_age: Option<Duration>,
}

impl Access {
    /// The index of the `public_paths` entry the canonical path falls under. A path sent in
    /// another spelling is public only when that spelling falls under an entry too: an
    /// upstream that takes `/static;x` literally must not get it as `/static`.
    #[inline]
    pub fn public_path(&self, path: RequestPath<'_>) -> Option<usize> {
        if self.public_paths.is_empty() {
            return None;
        }
        let i = self
            .public_paths
            .iter()
            .position(|p| p.matches(path.canonical))?;
        (path.is_canonical() || self.public_paths.iter().any(|p| p.matches(path.raw))).then_some(i)
    }

    /// The index of the first rule naming `method`, in any letter case (`post` is what
    /// Django or Werkzeug would serve as `POST`; rule methods are stored upper-case).
    #[inline]
    pub fn rule_for(&self, method: &Method) -> Option<usize> {
        let m = method.as_str();
        self.rules
            .iter()
            .position(|r| r.methods.iter().any(|x| x.as_str().eq_ignore_ascii_case(m)))
    }
}

/// What an identity header carries, taken from the session token's claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Identity id (`sub`).
    Id,
    Username,
    Email,
    /// Group names, comma-separated.
    Groups,
    Realm,
}

impl Claim {
    /// The names `headers.extra` accepts, with the claim each stands for.
    pub const NAMES: &'static [(&'static str, Claim)] = &[
        ("id", Claim::Id),
        ("sub", Claim::Id),
        ("username", Claim::Username),
        ("traits.username", Claim::Username),
        ("email", Claim::Email),
        ("traits.primary_email_address", Claim::Email),
        ("groups", Claim::Groups),
        ("realm", Claim::Realm),
    ];

    pub fn parse(s: &str) -> Option<Claim> {
        Claim::NAMES.iter().find(|(n, _)| *n == s).map(|(_, c)| *c)
    }
}

/// A header preset for apps written against another gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Passgate,
    Oauth2Proxy,
    Authelia,
}

impl Preset {
    pub const NAMES: &'static [(&'static str, Preset)] = &[
        ("passgate", Preset::Passgate),
        ("oauth2-proxy", Preset::Oauth2Proxy),
        ("authelia", Preset::Authelia),
    ];

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::NAMES.iter().find(|(n, _)| *n == s).map(|(_, p)| *p)
    }

    /// The headers of the preset. `Remote-Name` carries the username: the session token
    /// holds no display name.
    pub fn headers(self) -> &'static [(&'static str, Claim)] {
        match self {
            Preset::Passgate => &[
                ("x-passgate-user", Claim::Username),
                ("x-passgate-email", Claim::Email),
                ("x-passgate-groups", Claim::Groups),
                ("x-passgate-identity", Claim::Id),
            ],
            Preset::Oauth2Proxy => &[
                ("x-forwarded-user", Claim::Username),
                ("x-forwarded-email", Claim::Email),
                ("x-forwarded-groups", Claim::Groups),
                ("x-forwarded-preferred-username", Claim::Username),
            ],
            Preset::Authelia => &[
                ("remote-user", Claim::Username),
                ("remote-email", Claim::Email),
                ("remote-groups", Claim::Groups),
                ("remote-name", Claim::Username),
            ],
        }
    }
}

/// The identity headers of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityHeaders {
    /// Set upstream for a signed-in user, in order.
    pub set: Vec<(HeaderName, Claim)>,
    /// Removed from every client request (all copies, any case) besides `X-Passgate-*`:
    /// every header of `set`.
    pub strip: Vec<HeaderName>,
    /// The names of `set` as the bytes Pingora's case-preserving header map keeps (same
    /// order), so inserting one does not copy the name again on every request.
    pub wire: Vec<bytes::Bytes>,
}

impl Default for IdentityHeaders {
    fn default() -> Self {
        IdentityHeaders::from_presets(&[Preset::Passgate], Vec::new())
    }
}

impl IdentityHeaders {
    /// The presets' headers followed by `extra`; names must not repeat (validated).
    pub fn from_presets(presets: &[Preset], extra: Vec<(HeaderName, Claim)>) -> Self {
        let mut set: Vec<(HeaderName, Claim)> = presets
            .iter()
            .flat_map(|p| p.headers())
            .map(|(n, c)| (HeaderName::from_static(n), *c))
            .collect();
        set.extend(extra);
        let strip = set
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !n.as_str().starts_with("x-passgate-"))
            .collect();
        let wire = set
            .iter()
            .map(|(n, _)| bytes::Bytes::copy_from_slice(n.as_str().as_bytes()))
            .collect();
        IdentityHeaders { set, strip, wire }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_prefixes() {
        let g = |p: &str| PathPattern::Glob(p.into());
        assert!(g("/api/*/health").matches("/api/v1/health"));
        assert!(!g("/api/*/health").matches("/api/v1/x/health"));
        assert!(g("/**.css").matches("/a/b/c.css"));
        assert!(!g("/*.css").matches("/a/b.css"));
        assert!(g("/*.css").matches("/b.css"));
        let p = PathPattern::Prefix("/static".into());
        assert!(p.matches("/static") && p.matches("/static/a.js"));
        assert!(!p.matches("/staticx"));
    }

    #[test]
    fn public_paths_need_both_spellings_and_rules_any_case() {
        let access = Access {
            public_paths: vec![
                PathPattern::Prefix("/static".into()),
                PathPattern::Glob("/**.css".into()),
            ],
            rules: vec![MethodRule {
                methods: vec![Method::POST],
                allow: Allow::default(),
                max_auth_age: None,
            }],
            ..Access::default()
        };
        let at = |raw, canonical| access.public_path(RequestPath::new(raw, canonical));
        assert_eq!(at("/static/a", "/static/a"), Some(0));
        assert_eq!(at("/x/a.css", "/x/a.css"), Some(1));
        assert_eq!(at("/%73tatic/a", "/static/a"), None);
        assert_eq!(at("/static;x", "/static"), None);
        assert_eq!(at("/admin/export;.css", "/admin/export"), None);
        assert_eq!(at("/static//a", "/static/a"), Some(0));
        let m = |s: &str| Method::from_bytes(s.as_bytes()).unwrap();
        assert_eq!(access.rule_for(&m("post")), Some(0));
        assert_eq!(access.rule_for(&m("PoSt")), Some(0));
        assert_eq!(access.rule_for(&m("GET")), None);
    }

    #[test]
    fn allow_lists() {
        let a = Allow {
            groups: vec!["editors".into()],
            users: vec!["bob".into()],
            email_domains: vec!["example.org".into()],
        };
        assert_eq!(a.admits("BOB", None, &[]), Some("allow_users"));
        assert_eq!(
            a.admits("x", None, &["editors".into()]),
            Some("allow_groups")
        );
        assert_eq!(
            a.admits("x", Some("x@Example.ORG"), &[]),
            Some("allow_email_domains")
        );
        assert_eq!(a.admits("x", Some("x@example.org.evil"), &[]), None);
        assert!(Allow::default().is_open());
    }
}
