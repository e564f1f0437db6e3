//! The properties passgate's parsers must keep, each a function of arbitrary input that
//! panics when the property fails. Two drivers run them: the `cargo fuzz` targets of this
//! crate (coverage-guided, for minutes) and the proptest suite in the normal tests
//! (`tests/it/properties.rs`, which includes this file, for seconds). Every function is
//! total: inputs a property says nothing about return early.

use std::path::Path;
use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue, Method};
use passgate::config::{canonical, canonical_path, LoadOptions};
use passgate::control::body;
use passgate::control::credential_json::{AuthenticationJson, RegistrationJson};
use passgate::control::error::ApiError;
use passgate::dataplane::forward::rebuild;
use passgate::dataplane::request::{normalize_host, strip_port};
use passgate::idm::tokens::split_bearer;
use passgate::session::claims::SessionClaims;
use passgate::session::cookie;
use passgate::session::keys::{KeyMaterial, KeyRing};
use passgate::session::token::{sign, TokenVerifier};
use pingora::http::RequestHeader;

/// The canonical path of a canonical path is itself (borrowed: no change needed), holds
/// no `//` and no unsafe segment; a refused path has an unsafe segment in one spelling.
pub fn canonical_is_idempotent(raw: &str) {
    match canonical_path(raw) {
        Ok(c) => {
            let again = canonical_path(&c).expect("a canonical path is accepted again");
            assert_eq!(again, c, "canonical of canonical differs for {raw:?}");
            assert!(
                matches!(again, std::borrow::Cow::Borrowed(_)),
                "canonical path {c:?} (of {raw:?}) is not left as is"
            );
            assert!(!c.contains("//"), "{c:?} has //");
            assert!(!canonical::has_unsafe_segments(&c));
        }
        Err(_) => {
            // Refused: the raw spelling, or the canonical one, has an unsafe segment.
        }
    }
}

/// The routing host of a valid authority: lower-case, without port or trailing dot, and
/// normalising it again changes nothing.
pub fn host_is_normalised_once(raw: &str) {
    if http::uri::Authority::try_from(raw).is_err() {
        return;
    }
    // Names the data plane refuses before normalising (`route_host`): only dots, or `..`
    // at the end (no one trailing dot to strip).
    let name = strip_port(raw);
    if name.ends_with("..") || name.bytes().all(|b| b == b'.') {
        return;
    }
    if !name.starts_with('[') && name.contains(':') {
        return;
    }
    let once = normalize_host(raw);
    assert!(
        !once.bytes().any(|b| b.is_ascii_uppercase()),
        "{once:?} (of {raw:?}) is not lower-case"
    );
    assert_eq!(
        normalize_host(&once),
        once,
        "normalising {raw:?} twice differs"
    );
    assert_eq!(strip_port(strip_port(raw)), strip_port(raw), "{raw:?}");
}

/// forward-auth decides on the path the data plane would: a request target the data
/// plane refuses (a dot segment or NUL byte) is refused by `/.passgate/verify` too,
/// whichever headers the proxy sent it in, and an accepted one gets the same canonical
/// path.
pub fn forward_auth_refuses_what_the_data_plane_refuses(target: &[u8]) {
    let Ok(req) = RequestHeader::build(Method::GET, target, None) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(target) else {
        return;
    };
    let data_plane = canonical_path(req.uri.path()).map(|c| c.into_owned());
    let mut cases = Vec::new();
    if target.first() == Some(&b'/') {
        cases.push(("x-original-url", format!("http://app.test{text}")));
        cases.push(("x-forwarded-uri", text.to_string()));
    }
    for (name, value) in cases {
        let Ok(v) = HeaderValue::from_str(&value) else {
            continue;
        };
        if v.as_bytes().trim_ascii() != v.as_bytes() {
            continue;
        }
        let mut h = HeaderMap::new();
        h.insert(name, v);
        h.insert(http::header::HOST, HeaderValue::from_static("app.test"));
        let forward = rebuild(&h);
        match (&data_plane, forward) {
            (Err(_), Ok(r)) => panic!(
                "{target:?}: refused by the data plane, accepted by forward-auth via \
                 {name} as {:?}",
                r.canonical
            ),
            (Ok(dp), Ok(r)) => assert_eq!(
                *dp, r.canonical,
                "{target:?} via {name}: data plane and forward-auth disagree"
            ),
            _ => {}
        }
    }
}

/// `passgate check` on arbitrary text: never a panic, and every problem names the key it
/// concerns, or (a TOML syntax error, a file-wide problem) the line.
pub fn config_problems_carry_a_key_path(src: &str) {
    let options = LoadOptions {
        resolve_upstreams: false,
    };
    if let Err(problems) = passgate::config::from_str_with(src, Path::new("/nonexistent"), options)
    {
        assert!(!problems.is_empty());
        for p in &problems {
            assert!(
                !p.path.is_empty() || p.line.is_some(),
                "problem without key path or line: {p:?}\nin {src:?}"
            );
            assert!(!p.message.is_empty(), "{p:?}");
        }
    }
}

/// An error of a credential's JSON names a field under `credential` (or is a plain 400).
fn names_a_credential_field<T>(r: &Result<T, ApiError>, json: &str) {
    match r {
        Ok(_) => {}
        Err(ApiError::InvalidField { field, message }) => {
            assert!(
                field == "credential" || field.starts_with("credential."),
                "field {field:?} ({message}) for {json:?}"
            );
        }
        Err(ApiError::BadRequest(_)) => {}
        Err(e) => panic!("unexpected error {e:?} for {json:?}"),
    }
}

/// The `credential` member of a ceremony's finish: both readers (sign-in's assertion,
/// binding's registration) either accept it or name the field that is wrong.
pub fn ceremony_json_errors_name_their_field(json: &str) {
    let Ok(raw) = serde_json::from_str::<Box<serde_json::value::RawValue>>(json) else {
        return;
    };
    let assertion = body::parse_member::<AuthenticationJson>(&raw, "credential");
    names_a_credential_field(&assertion, json);
    if let Ok(a) = assertion {
        names_a_credential_field(&a.into_credential("credential"), json);
    }
    let registration = body::parse_member::<RegistrationJson>(&raw, "credential");
    names_a_credential_field(&registration, json);
    if let Ok(r) = registration {
        names_a_credential_field(&r.into_registration("credential"), json);
    }
}

/// A bearer value that parses is exactly `pgt_<id>_<secret>` again; one made that way
/// parses back to its parts.
pub fn api_token_round_trips(bearer: &str, id: [u8; 16], secret: &str) {
    if let Some((i, s)) = split_bearer(bearer) {
        assert_eq!(format!("pgt_{i}_{s}"), bearer);
        assert_eq!(i.len(), 32);
    }
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let made = format!("pgt_{id}_{secret}");
    assert_eq!(split_bearer(&made), Some((id.as_str(), secret)));
}

const ISSUER: &str = "https://auth.example.com";

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        let key = KeyMaterial::generate(0).expect("generate a key");
        KeyRing::at(&[key], 0)
    })
}

/// What a token is made from (fuzzed).
#[derive(Debug, Clone)]
pub struct TokenInput {
    pub sub: String,
    pub username: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub iat: u32,
    /// Bytes of the `Cookie` header before the session cookie.
    pub before: Vec<u8>,
    /// Changes to the token: (position, byte); each replaces, inserts or removes.
    pub edits: Vec<(u16, u8)>,
}

/// The session cookie is found among arbitrary other cookies; a token that verifies
/// re-encodes to the same bytes; and no edit of a valid token verifies unless it is the
/// same token.
pub fn token_in_cookie_verifies_only_as_issued(input: &TokenInput) {
    let now = u64::from(input.iat) + 10;
    let claims = SessionClaims {
        iss: ISSUER.into(),
        sub: input.sub.clone(),
        realm: "default".into(),
        sid: "s1".into(),
        username: input.username.clone(),
        email: input.email.clone(),
        groups: input.groups.clone(),
        iat: input.iat.into(),
        nbf: input.iat.into(),
        exp: u64::from(input.iat) + 300,
        auth_time: input.iat.into(),
        amr: vec!["hwk".into(), "user".into()],
    };
    let ring = ring();
    let token = sign(ring, &claims).expect("sign");
    let verifier = TokenVerifier::new(ISSUER);
    let got = verifier
        .verify(ring, &token, now)
        .expect("a fresh token verifies");
    assert_eq!(
        sign(ring, &got).expect("sign"),
        token,
        "re-encoding differs"
    );

    // Found in a Cookie header after arbitrary other cookies (that do not name it).
    let mut header = input.before.clone();
    if !header.windows(7).any(|w| w == b"session") && !header.is_empty() {
        header.extend_from_slice(b"; ");
    }
    if !header.windows(7).any(|w| w == b"session") {
        header.extend_from_slice(b"passgate_session=");
        header.extend_from_slice(token.as_bytes());
        if let Ok(v) = HeaderValue::from_bytes(&header) {
            let mut h = HeaderMap::new();
            h.insert(http::header::COOKIE, v);
            assert_eq!(
                cookie::find(&h, "passgate_session"),
                Some(token.as_str()),
                "cookie not found in {header:?}"
            );
        }
    }

    // Edited tokens: any that verifies must be byte for byte the issued one.
    let mut edited = token.clone().into_bytes();
    for (pos, byte) in &input.edits {
        let at = usize::from(*pos) % (edited.len() + 1);
        match byte % 3 {
            0 if at < edited.len() => edited[at] = *byte,
            1 => edited.insert(at, *byte),
            _ if at < edited.len() => {
                edited.remove(at);
            }
            _ => {}
        }
    }
    if let Ok(text) = std::str::from_utf8(&edited) {
        if let Ok(c) = verifier.verify(ring, text, now) {
            assert_eq!(text, token, "an edited token verified: {c:?}");
        }
    }
}
