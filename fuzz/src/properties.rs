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
use passgate::scim::filter as scim_filter;
use passgate::scim::patch;
use passgate::scim::path as scim_path;
use passgate::scim::schema::{self, ResourceKind};
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

/// A token is signed only when it verifies (claims too large for a cookie are refused);
/// the session cookie is found among arbitrary other cookies; a token that verifies
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
    // Claims too large for one cookie are refused when signing (never issued as a token
    // that does not verify).
    let token = match sign(ring, &claims) {
        Ok(t) => t,
        Err(passgate::session::keys::KeyError::TokenTooLarge { len, max }) => {
            assert!(len > max);
            return;
        }
        Err(e) => panic!("sign: {e}"),
    };
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

/// What the SCIM filter parser refuses a canonical spelling for: too long (printing adds
/// spaces a compact input may leave out, `a eq"x"`), nothing else.
fn refused_only_for_length(printed: &str, e: &scim_filter::ParseError, input: &str) {
    assert!(
        printed.len() > scim_filter::MAX_LEN && e.0.contains("longer than"),
        "{input:?} printed as {printed:?} does not parse: {e}"
    );
}

/// A SCIM filter that parses prints (its canonical spelling) as a filter that parses to
/// the same filter; its nesting is within the limit; `wrap` more parentheses around it are
/// accepted, as the same filter, exactly while the nesting stays within
/// [`scim_filter::MAX_DEPTH`], and refused with the depth error after. The same input as
/// a PATCH path: one that parses prints as a path that parses to the same path.
pub fn scim_filter_round_trips(input: &str, wrap: usize) {
    if let Ok(p) = scim_path::parse(input) {
        let printed = p.to_string();
        match scim_path::parse(&printed) {
            Ok(again) => assert_eq!(again, p, "{input:?} printed as {printed:?}"),
            Err(e) => refused_only_for_length(&printed, &e, input),
        }
    }
    let Ok(f) = scim_filter::parse(input) else {
        return;
    };
    let nesting = f.nesting();
    assert!(
        nesting <= scim_filter::MAX_DEPTH,
        "{input:?} parsed with nesting {nesting}"
    );
    let printed = f.to_string();
    match scim_filter::parse(&printed) {
        Ok(again) => assert_eq!(again, f, "{input:?} printed as {printed:?}"),
        Err(e) => {
            refused_only_for_length(&printed, &e, input);
            return;
        }
    }
    let wrapped = format!("{}{printed}{}", "(".repeat(wrap), ")".repeat(wrap));
    match scim_filter::parse(&wrapped) {
        Ok(again) => {
            assert!(
                nesting + wrap <= scim_filter::MAX_DEPTH,
                "{wrapped:?} is nested {} deep and was accepted",
                nesting + wrap
            );
            assert_eq!(again, f, "{wrapped:?}");
        }
        Err(e) if wrapped.len() > scim_filter::MAX_LEN => {
            refused_only_for_length(&wrapped, &e, input)
        }
        Err(e) => assert!(
            nesting + wrap > scim_filter::MAX_DEPTH && e.0.contains("nested deeper"),
            "{wrapped:?} (nesting {}) refused: {e}",
            nesting + wrap
        ),
    }
}

/// Nesting made of `pieces` (each byte picks `(`, `not (` or `emails[`), `levels` deep, a
/// term inside: parsing never exhausts the stack (a test that fails by crashing), and the
/// filter is refused exactly when it is nested deeper than the limit or nests value
/// filters.
pub fn scim_deep_nesting_is_refused(pieces: &[u8], levels: usize) {
    let (mut open, mut close) = (String::new(), String::new());
    let (mut depth, mut value_paths) = (0, 0);
    for i in 0..levels {
        match pieces.get(i % pieces.len().max(1)).map_or(0, |b| b % 3) {
            0 => {
                open.push('(');
                close.push(')');
                depth += 1;
            }
            1 => {
                open.push_str("not (");
                close.push(')');
                depth += 2;
            }
            _ => {
                open.push_str("emails[");
                close.push(']');
                depth += 1;
                value_paths += 1;
            }
        }
    }
    let close: String = close.chars().rev().collect();
    let input = format!("{open}value eq \"x\"{close}");
    let r = scim_filter::parse(&input);
    if input.len() > scim_filter::MAX_LEN {
        assert!(r.is_err());
    } else if depth > scim_filter::MAX_DEPTH || value_paths > 1 {
        assert!(r.is_err(), "{input:?} was accepted");
    } else {
        let f = r.unwrap_or_else(|e| panic!("{input:?}: {e}"));
        // Parentheses around one term add no nesting to the canonical spelling.
        assert!(f.nesting() <= depth, "{input:?} printed as {f}");
    }
}

/// Reads choices from fuzzer bytes (zeros when they run out), so proptest and the fuzz
/// target build PATCH requests the same way.
struct Choices<'b>(&'b [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn pick<'v>(&mut self, from: &[&'v str]) -> &'v str {
        from[usize::from(self.byte()) % from.len()]
    }

    /// Text from the bytes themselves (a length byte, then up to that many bytes, lossily
    /// UTF-8).
    fn text(&mut self) -> String {
        let n = usize::from(self.byte() % 24).min(self.0.len());
        let (t, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(t).into_owned()
    }
}

const PATCH_PATHS: &[&str] = &[
    "userName",
    "displayName",
    "nickName",
    "title",
    "active",
    "externalId",
    "name",
    "name.givenName",
    "NAME.GIVENNAME",
    "name.familyName",
    "emails",
    "emails.value",
    "Emails.Type",
    "emails[type eq \"work\"]",
    "emails[type eq \"work\"].value",
    "emails[TYPE eq \"home\"].Value",
    "emails[type eq \"work\" and primary eq true]",
    "emails[value co \"@\"]",
    "emails[not (type pr)]",
    "emails[type eq \"work\" or type eq \"home\"].display",
    "emails[primary eq true].primary",
    "phoneNumbers[type eq \"mobile\"].value",
    "phoneNumbers[Type Eq \"mobile\"]",
    "addresses[type eq \"work\"].locality",
    "members",
    "members[value eq \"1\"]",
    "members[value eq \"2\"].display",
    "members[display sw \"t\"]",
    "members.value",
    "id",
    "meta",
    "meta.version",
    "groups",
    "groups[value eq \"g1\"]",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
    "department",
    "noSuch",
    "emails[type eq \"work\"",
    "a.b[x eq 1]",
];

const PATCH_OPS: &[&str] = &[
    "add", "Add", "remove", "Remove", "replace", "REPLACE", "jump",
];

const PATCH_KEYS: &[&str] = &[
    "value",
    "type",
    "primary",
    "display",
    "givenName",
    "familyName",
    "Value",
    "TYPE",
    "$ref",
    "locality",
    "other",
];

/// A JSON value of a kind SCIM clients send (depth-bounded).
fn patch_value(c: &mut Choices, depth: u8) -> serde_json::Value {
    use serde_json::{json, Value};
    match c.byte() % if depth == 0 { 10 } else { 13 } {
        0 => json!("x"),
        1 => json!("work"),
        2 => json!("1"),
        3 => json!(1),
        4 => json!(true),
        5 => json!(false),
        6 => Value::Null,
        7 => json!("False"),
        8 => json!(c.text()),
        9 => json!(1.5),
        10 | 11 => {
            let n = c.byte() % 4;
            let mut m = serde_json::Map::new();
            for _ in 0..n {
                let k = c.pick(PATCH_KEYS).to_string();
                m.insert(k, patch_value(c, depth - 1));
            }
            Value::Object(m)
        }
        _ => {
            let n = c.byte() % 4;
            Value::Array((0..n).map(|_| patch_value(c, depth - 1)).collect())
        }
    }
}

/// A SCIM resource and a PatchOp body built from `bytes`: a user or a group as the
/// service provider renders them, and 1 to 6 operations over the paths and values
/// clients send (or arbitrary text as the path).
pub fn patch_request(bytes: &[u8]) -> (ResourceKind, serde_json::Value, serde_json::Value) {
    use serde_json::{json, Value};
    let mut c = Choices(bytes);
    let kind = if c.byte() % 2 == 0 {
        ResourceKind::User
    } else {
        ResourceKind::Group
    };
    let n = 1 + c.byte() % 6;
    let ops: Vec<Value> = (0..n)
        .map(|_| {
            let mut op = serde_json::Map::new();
            op.insert("op".into(), json!(c.pick(PATCH_OPS)));
            match c.byte() % 8 {
                0 => {} // no path: the value's keys are paths
                1 => {
                    op.insert("path".into(), json!(c.text()));
                }
                _ => {
                    op.insert("path".into(), json!(c.pick(PATCH_PATHS)));
                }
            }
            match c.byte() % 6 {
                0 => {}
                1 => {
                    // Path-less form: keys that are paths.
                    let mut m = serde_json::Map::new();
                    for _ in 0..1 + c.byte() % 3 {
                        let k = c.pick(PATCH_PATHS).to_string();
                        m.insert(k, patch_value(&mut c, 2));
                    }
                    if c.byte() % 3 == 0 {
                        let k = c.pick(&["manager", "department", "Department", "x"]);
                        let v = patch_value(&mut c, 1);
                        m.insert(schema::ENTERPRISE.into(), json!({ k: v }));
                    }
                    op.insert("value".into(), Value::Object(m));
                }
                _ => {
                    op.insert("value".into(), patch_value(&mut c, 2));
                }
            }
            Value::Object(op)
        })
        .collect();
    let resource = match kind {
        ResourceKind::User => json!({
            "schemas": [schema::USER, schema::ENTERPRISE],
            "id": "u1",
            "userName": "pat",
            "displayName": "Pat",
            "name": {"givenName": "Pat", "familyName": "Smith"},
            "active": true,
            "emails": [
                {"value": "pat@work.example", "type": "work", "primary": true},
                {"value": "pat@home.example", "type": "home"}
            ],
            "groups": [{"value": "g1", "display": "G"}],
            (schema::ENTERPRISE): {"manager": {"value": "m1"}, "department": "Sales"},
            "meta": {"resourceType": "User", "version": "W/\"1\""}
        }),
        _ => json!({
            "schemas": [schema::GROUP],
            "id": "g1",
            "displayName": "g",
            "members": [{"value": "1"}, {"value": "2", "display": "two"}],
            "meta": {"resourceType": "Group", "version": "W/\"1\""}
        }),
    };
    let body = json!({"schemas": [schema::PATCH_OP], "Operations": ops});
    (kind, resource, body)
}

/// A PATCH is all or nothing: applying the operations either gives the resource after
/// each of them in turn, or fails at the first operation that fails on its own (named by
/// its index, same error); read-only attributes (`id`, `meta`, a user's `groups`) are as
/// they were; the result is still in canonical spelling; every path that parsed prints
/// and parses back to itself.
pub fn scim_patch_is_all_or_nothing(
    kind: ResourceKind,
    resource: &serde_json::Value,
    body: &serde_json::Value,
) {
    let Ok(ops) = patch::parse_ops(body) else {
        return;
    };
    for p in ops.iter().filter_map(|o| o.path.as_ref()) {
        assert_eq!(
            scim_path::parse(&p.to_string()).as_ref(),
            Ok(p),
            "path printed as {p}"
        );
    }
    let whole = patch::apply(kind, resource, &ops);
    let mut step = resource.clone();
    let mut failed = None;
    for (i, op) in ops.iter().enumerate() {
        match patch::apply(kind, &step, std::slice::from_ref(op)) {
            Ok(next) => step = next,
            Err(e) => {
                failed = Some((i, e));
                break;
            }
        }
    }
    match (whole, failed) {
        (Ok(out), None) => {
            assert_eq!(out, step, "{body}");
            let fixed: &[&str] = match kind {
                ResourceKind::User => &["id", "meta", "groups", "schemas"],
                _ => &["id", "meta", "schemas"],
            };
            for k in fixed {
                assert_eq!(out.get(k), resource.get(k), "{k} changed by {body}");
            }
            let mut canonical = out.clone();
            patch::canonicalize(kind, &mut canonical);
            assert_eq!(canonical, out, "not canonical after {body}");
        }
        (Err(e), Some((i, alone))) => {
            assert_eq!(e.scim_type, alone.scim_type, "{body}");
            let rest = alone.detail.strip_prefix("Operations[0]: ");
            assert_eq!(
                Some(e.detail.as_str()),
                rest.map(|r| format!("Operations[{i}]: {r}")).as_deref(),
                "{body}"
            );
        }
        (whole, one_by_one) => {
            panic!("{body}: all at once {whole:?}, one at a time {one_by_one:?}")
        }
    }
}
