//! Property tests of the parsers a stranger's input reaches (the same properties the fuzz
//! targets in `fuzz/` drive for minutes, here for a few hundred cases each), and the
//! router against a small reference implementation of its documented order.

use std::collections::BTreeSet;
use std::sync::Arc;

use proptest::prelude::*;

#[path = "../../fuzz/src/properties.rs"]
mod shared;

use shared::TokenInput;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Path-like strings: segments of dots, percent escapes, `;params`, slashes, letters.
fn path_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("/".to_string()),
            Just(".".to_string()),
            Just("..".to_string()),
            Just("%2e".to_string()),
            Just("%2E".to_string()),
            Just("%2f".to_string()),
            Just("%5c".to_string()),
            Just("%00".to_string()),
            Just("%41".to_string()),
            Just("%7e".to_string()),
            Just("%".to_string()),
            Just(";x".to_string()),
            Just("\\".to_string()),
            Just("?q=1".to_string()),
            Just("#f".to_string()),
            Just("ѣ".to_string()),
            "[a-z0-9~_-]{1,3}",
        ],
        0..12,
    )
    .prop_map(|parts| format!("/{}", parts.concat()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn canonical_of_canonical_is_itself(raw in path_like()) {
        shared::canonical_is_idempotent(&raw);
    }

    #[test]
    fn canonical_of_any_text(raw in "\\PC{0,40}") {
        shared::canonical_is_idempotent(&raw);
    }

    #[test]
    fn hosts_are_normalised_once(raw in "[a-zA-Z0-9.\\-\\[\\]:]{0,30}") {
        shared::host_is_normalised_once(&raw);
    }

    #[test]
    fn forward_auth_refuses_what_the_data_plane_refuses(target in path_like()) {
        shared::forward_auth_refuses_what_the_data_plane_refuses(target.as_bytes());
    }

    #[test]
    fn config_problems_carry_a_key_path(src in config_like()) {
        shared::config_problems_carry_a_key_path(&src);
    }

    #[test]
    fn ceremony_json_errors_name_their_field(json in credential_like()) {
        shared::ceremony_json_errors_name_their_field(&json);
    }

    #[test]
    fn api_tokens_round_trip(
        bearer in "(pgt_)?[0-9a-fA-F_]{0,40}",
        id in any::<[u8; 16]>(),
        secret in "[A-Za-z0-9_\\-]{0,20}",
    ) {
        shared::api_token_round_trips(&bearer, id, &secret);
    }

    #[test]
    fn tokens_verify_only_as_issued(
        sub in "[a-f0-9]{0,32}",
        username in "\\PC{0,12}",
        email in proptest::option::of("[a-z]{1,5}@[a-z]{1,5}\\.test"),
        groups in proptest::collection::vec("\\PC{0,8}", 0..3),
        iat in any::<u32>(),
        before in proptest::collection::vec(any::<u8>(), 0..40),
        edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..3),
    ) {
        shared::token_in_cookie_verifies_only_as_issued(&TokenInput {
            sub, username, email, groups, iat, before, edits,
        });
    }
}

/// TOML made of plausible keys and values, often wrong in type or place.
fn config_like() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("public_url"),
        Just("tenant_id"),
        Just("server"),
        Just("threads"),
        Just("address"),
        Just("upstream"),
        Just("host"),
        Just("path_prefix"),
        Just("url"),
        Just("cookie_name"),
        Just("bogus"),
    ];
    let value = prop_oneof![
        Just("\"http://localhost:8080\"".to_string()),
        Just("\"127.0.0.1:0\"".to_string()),
        Just("\"/a/../b\"".to_string()),
        Just("\"*.example.com\"".to_string()),
        Just("3".to_string()),
        Just("-1".to_string()),
        Just("true".to_string()),
        Just("[1, \"x\"]".to_string()),
        Just("{ a = 1 }".to_string()),
        "\"\\PC{0,6}\"",
    ];
    let header = prop_oneof![
        Just(""),
        Just("[server]\n"),
        Just("[store]\n"),
        Just("[session]\n"),
        Just("[[listeners]]\n"),
        Just("[[routes]]\n"),
        Just("[[realms]]\n"),
        Just("[email]\n"),
    ];
    proptest::collection::vec((header, key, value), 0..8).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(h, k, v)| format!("{h}{k} = {v}\n"))
            .collect()
    })
}

/// `credential` objects with WebAuthn's member names and wrong or right types.
fn credential_like() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        Just("id"),
        Just("rawId"),
        Just("type"),
        Just("response"),
        Just("clientExtensionResults"),
        Just("authenticatorAttachment"),
        Just("clientDataJSON"),
        Just("authenticatorData"),
        Just("signature"),
        Just("userHandle"),
        Just("attestationObject"),
        Just("transports"),
        Just("other"),
    ];
    let leaf = prop_oneof![
        Just("\"public-key\"".to_string()),
        Just("\"AAAA\"".to_string()),
        Just("\"AA==\"".to_string()),
        Just("\"!!\"".to_string()),
        Just("null".to_string()),
        Just("1".to_string()),
        Just("[\"usb\"]".to_string()),
        Just("{}".to_string()),
    ];
    let value = leaf.prop_recursive(2, 12, 4, move |inner| {
        proptest::collection::vec((member.clone(), inner), 0..5).prop_map(|members| {
            let body: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("\"{k}\": {v}"))
                .collect();
            format!("{{{}}}", body.join(", "))
        })
    });
    value
}

// The router against a reference: of the routes whose host pattern and path prefix match,
// an exact host beats the longest wildcard suffix, which beats `*`; among those, the
// longest prefix wins.

#[derive(Debug, Clone)]
struct RouteSpec {
    host: String,
    prefix: String,
}

fn route_spec() -> impl Strategy<Value = RouteSpec> {
    let host = prop_oneof![
        Just("a.x.test"),
        Just("b.a.x.test"),
        Just("x.test"),
        Just("*.x.test"),
        Just("*.a.x.test"),
        Just("*.test"),
        Just("*"),
    ];
    let prefix = prop_oneof![
        Just("/"),
        Just("/a"),
        Just("/a/"),
        Just("/a/b"),
        Just("/ab"),
        Just("/b"),
    ];
    (host, prefix).prop_map(|(h, p)| RouteSpec {
        host: h.into(),
        prefix: p.into(),
    })
}

/// The reference: which of `routes` serves `host` `path` (its index).
fn reference(routes: &[RouteSpec], host: &str, path: &str) -> Option<usize> {
    let host_rank = |pattern: &str| -> Option<(u8, usize)> {
        if pattern == "*" {
            Some((2, 0))
        } else if let Some(suffix) = pattern.strip_prefix('*') {
            (host.len() > suffix.len() && host.ends_with(suffix))
                .then(|| (1, usize::MAX - suffix.len()))
        } else {
            (pattern == host).then_some((0, 0))
        }
    };
    let path_matches = |prefix: &str| {
        path.strip_prefix(prefix).is_some_and(|rest| {
            prefix.ends_with('/')
                || rest.is_empty()
                || rest.starts_with('/')
                || rest.starts_with('?')
        })
    };
    routes
        .iter()
        .enumerate()
        .filter(|(_, r)| path_matches(&r.prefix))
        .filter_map(|(i, r)| host_rank(&r.host).map(|rank| (rank, usize::MAX - r.prefix.len(), i)))
        .min()
        .map(|(_, _, i)| i)
}

fn runtime(routes: &[RouteSpec]) -> Option<passgate::dataplane::Runtime> {
    let mut toml = String::from(
        "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n",
    );
    for (i, r) in routes.iter().enumerate() {
        toml.push_str(&format!(
            "[[routes]]\nid = \"r{i}\"\nhost = \"{}\"\npath_prefix = \"{}\"\nupstream = \"http://127.0.0.1:9\"\n",
            r.host, r.prefix
        ));
    }
    let cfg = passgate::config::from_str(&toml, std::path::Path::new(".")).ok()?;
    Some(passgate::dataplane::Runtime::new(Arc::new(cfg)))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn router_agrees_with_the_reference(
        routes in proptest::collection::vec(route_spec(), 1..6),
        host in prop_oneof![
            Just("a.x.test"), Just("b.a.x.test"), Just("c.b.a.x.test"), Just("x.test"),
            Just("y.x.test"), Just("test"), Just("other.example"),
        ],
        path in prop_oneof![
            Just("/"), Just("/a"), Just("/a/"), Just("/a/b"), Just("/a/bc"), Just("/ab"),
            Just("/ab/c"), Just("/b"), Just("/b?x=1"), Just("/a?x"), Just("/c"),
        ],
    ) {
        // Two routes with one host and prefix are refused by the config check.
        let distinct: BTreeSet<(&str, &str)> =
            routes.iter().map(|r| (r.host.as_str(), r.prefix.as_str())).collect();
        prop_assume!(distinct.len() == routes.len());
        let Some(rt) = runtime(&routes) else {
            // Only duplicates may be refused.
            panic!("config refused: {routes:?}");
        };
        let got = rt.router.find(host, path).map(|r| r.route.id.clone());
        let want = reference(&routes, host, path).map(|i| format!("r{i}"));
        prop_assert_eq!(got, want, "{:?} {} {}", routes, host, path);
    }
}

/// Filter-like text: the grammar's pieces (names, operators, keywords, brackets, values,
/// stray quotes and escapes), each followed by a space or not.
fn scim_filter_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("userName"),
        Just("emails"),
        Just("name.givenName"),
        Just("urn:ietf:params:scim:schemas:core:2.0:User:userName"),
        Just("eq"),
        Just("co"),
        Just("gt"),
        Just("pr"),
        Just("and"),
        Just("or"),
        Just("not"),
        Just("AND"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just("\"a\""),
        Just("\"x\\\"y\""),
        Just("\""),
        Just("true"),
        Just("null"),
        Just("1.5"),
        Just("-2"),
        Just("1e-300"),
        Just("1e400"),
        Just("value"),
        Just("type"),
        Just("."),
        Just("é"),
    ];
    proptest::collection::vec((piece, any::<bool>()), 1..40).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(p, space)| {
                if space {
                    format!("{p} ")
                } else {
                    p.to_string()
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scim_filters_print_as_themselves(input in scim_filter_like(), wrap in 0usize..40) {
        shared::scim_filter_round_trips(&input, wrap);
    }

    #[test]
    fn scim_filters_of_any_text(input in "\\PC{0,60}", wrap in 0usize..40) {
        shared::scim_filter_round_trips(&input, wrap);
    }

    #[test]
    fn scim_deep_nesting_is_refused(
        pieces in proptest::collection::vec(any::<u8>(), 1..6),
        levels in prop_oneof![0usize..40, 1000usize..3000],
    ) {
        shared::scim_deep_nesting_is_refused(&pieces, levels);
    }

    #[test]
    fn scim_patch_is_all_or_nothing(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let (kind, resource, body) = shared::patch_request(&bytes);
        shared::scim_patch_is_all_or_nothing(kind, &resource, &body);
    }
}

/// A long `and` chain printed with a parenthesis per `and` nested deeper than the limit,
/// so the canonical spelling of a filter the parser had accepted was refused (found by the
/// SCIM filter property): it prints flat now, and parses back to itself.
#[test]
fn scim_long_and_chain_prints_flat() {
    let chain = vec!["a eq 1"; 100].join(" and ");
    shared::scim_filter_round_trips(&chain, 0);
    let f = passgate::scim::filter::parse(&chain).unwrap();
    assert_eq!(f.to_string(), chain);
    assert_eq!(f.nesting(), 0);
    let mixed = "a pr or (b pr or c pr) and not (d pr and (e pr or f pr))";
    let f = passgate::scim::filter::parse(mixed).unwrap();
    assert_eq!(
        f.to_string(),
        "a pr or (b pr or c pr) and not (d pr and (e pr or f pr))"
    );
    assert_eq!(f.nesting(), 3);
}

/// `1e-300` printed as 302 digits, so 30 such terms printed past the length limit.
#[test]
fn scim_small_numbers_print_short() {
    let f = passgate::scim::filter::parse("a gt 1e-300 and b lt -2.5E+22").unwrap();
    assert_eq!(f.to_string(), "a gt 1e-300 and b lt -2.5e22");
    let many = vec!["a gt 1e-300"; 30].join(" or ");
    shared::scim_filter_round_trips(&many, 0);
}

/// A value filter that selects nothing creates the value it describes, with the filter's
/// attribute names as the client spelled them (`Type`), which the user mapping then did
/// not read: now in their canonical spelling.
#[test]
fn scim_patch_creates_values_in_canonical_spelling() {
    use serde_json::json;
    let (kind, resource, _) = shared::patch_request(&[0]);
    let body = json!({
        "schemas": [passgate::scim::schema::PATCH_OP],
        "Operations": [
            {"op": "add", "path": "phoneNumbers[Type Eq \"mobile\"].VALUE", "value": "+1"}
        ]
    });
    shared::scim_patch_is_all_or_nothing(kind, &resource, &body);
    let ops = passgate::scim::patch::parse_ops(&body).unwrap();
    let out = passgate::scim::patch::apply(kind, &resource, &ops).unwrap();
    assert_eq!(
        out["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1"}])
    );
}

proptest! {
    #![proptest_config(config())]

    /// Any finite number, in either spelling, reads as itself and prints back as itself
    /// (serde_json's default float reading was one unit in the last place off for about
    /// a third of them: `1.0715660391465826e-75` read as `…825e-75`).
    #[test]
    fn scim_numbers_read_as_themselves(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        use passgate::scim::filter::{parse, CompValue, Filter};
        for spelled in [format!("a eq {x}"), format!("a eq {x:e}")] {
            let Ok(Filter::Compare { value: CompValue::Number(n), .. }) = parse(&spelled) else {
                panic!("{spelled} does not parse as a comparison");
            };
            prop_assert_eq!(n, x, "{}", spelled);
            shared::scim_filter_round_trips(&spelled, 0);
        }
    }
}

#[test]
fn scim_numbers_are_read_correctly_rounded() {
    use passgate::scim::filter::{parse, CompValue, Filter};
    let Ok(Filter::Compare {
        value: CompValue::Number(n),
        ..
    }) = parse("a eq 1.0715660391465826e-75")
    else {
        panic!()
    };
    assert_eq!(n, 1.0715660391465826e-75);
    shared::scim_filter_round_trips("a eq 1.0715660391465826e-75", 0);
}

/// `passgate check` panicked inside toml_edit 0.23 ("all items have spans") on malformed
/// TOML such as `==\n[.` (found by the `config_check` fuzz target in its first minute):
/// the span-preserving parse that adds line numbers ran on every failed document. It now
/// runs only for problems that need a line (never for a syntax error, which has one).
#[test]
fn config_check_reports_toml_edit_panics_as_syntax_errors() {
    for src in [
        "==\n[.",
        "#y_nam# [\n  {=?\n= = e a\n[.................s).....s)..UUUUUU..s).",
    ] {
        shared::config_problems_carry_a_key_path(src);
        let Err(problems) = passgate::config::from_str(src, std::path::Path::new(".")) else {
            panic!("{src:?} was accepted");
        };
        assert!(
            problems[0].message.starts_with("TOML syntax") && problems[0].line.is_some(),
            "{problems:?}"
        );
    }
}

/// An empty top-level key (`"" = 1`, `"".x = 1`) was an unknown key with an empty key path
/// and no line (found by the `config_check` fuzz target): the path is the key as TOML
/// spells it now, `""`, and other odd keys are quoted the same way.
#[test]
fn config_unknown_keys_are_named_as_toml_spells_them() {
    for (src, path) in [
        ("\"\" = 1", "\"\""),
        ("\"\"._header = \"ups\"", "\"\""),
        ("\"a b\" = 1", "\"a b\""),
        ("bogus = 1", "bogus"),
    ] {
        shared::config_problems_carry_a_key_path(src);
        let Err(problems) = passgate::config::from_str(src, std::path::Path::new(".")) else {
            panic!("{src:?} was accepted");
        };
        let p = problems
            .iter()
            .find(|p| p.message.starts_with("unknown key"))
            .unwrap_or_else(|| panic!("{src}: {problems:?}"));
        assert_eq!(p.path, path, "{src}: {p:?}");
    }
}

/// A session token longer than verification accepts (4 KiB: claims with many or long
/// group names) was signed and issued as a cookie that never verified (found by the
/// `cookie_token` fuzz target after 27 minutes): signing refuses it now.
#[test]
fn session_tokens_too_large_for_a_cookie_are_not_signed() {
    let input = TokenInput {
        sub: "a".repeat(32),
        username: "u".into(),
        email: None,
        groups: (0..200)
            .map(|i| format!("group number {i:03} of a long list"))
            .collect(),
        iat: 1_000,
        before: Vec::new(),
        edits: Vec::new(),
    };
    shared::token_in_cookie_verifies_only_as_issued(&input);
    let few = TokenInput {
        groups: input.groups[..5].to_vec(),
        ..input
    };
    shared::token_in_cookie_verifies_only_as_issued(&few);
}
