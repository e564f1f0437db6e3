//! Data-plane decision benches: route lookup among 1,000 routes, and the whole
//! `request_filter` decision (the gate's `decide`, polled once: with a valid or missing
//! session it never waits) for a public route, a protected route without a session, and a
//! protected route with a valid session cookie (cached, and a cache miss that verifies the
//! token); and the identity headers for a signed-in user with and without a (cached)
//! `X-Passgate-Jwt-Assertion`. The gate reads the system clock itself (as in production).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;

use async_trait::async_trait;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use pingora::http::RequestHeader;

use passgate::clock::SystemClock;
use passgate::config::{canonical_path, RequestPath};
use passgate::dataplane::authn::{Refresh, SessionCheck, SessionRefresher};
use passgate::dataplane::classify::Action;
use passgate::dataplane::gate::{self, Ask, Gate};
use passgate::dataplane::headers;
use passgate::dataplane::Runtime;
use passgate::session::cache::PrincipalCache;
use passgate::session::claims::SessionClaims;
use passgate::session::keys::{KeyMaterial, KeyRing};
use passgate::session::token::sign;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// No token is ever expired here.
struct NoRefresh;

#[async_trait]
impl SessionRefresher for NoRefresh {
    async fn refresh(&self, _expired_token: &str, _secure: bool) -> Refresh {
        Refresh::Denied
    }
}

fn gate(check: SessionCheck) -> Gate {
    let runtime = Arc::new(ArcSwap::from_pointee(runtime()));
    Gate::new(runtime, check, Arc::new(NoRefresh), Arc::new(SystemClock))
}

/// A key ring, an empty cache, and a valid session cookie for the bench's issuer.
fn sessions() -> (SessionCheck, String, String) {
    let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
    let now = now();
    let claims = SessionClaims {
        iss: "https://auth.example.com".into(),
        sub: "id_1".into(),
        realm: "default".into(),
        sid: "sid_1".into(),
        username: "alice".into(),
        email: Some("alice@example.com".into()),
        groups: vec!["staff".into(), "engineering".into()],
        iat: now,
        nbf: now,
        exp: now + 3600,
        auth_time: now,
        amr: vec!["hwk".into(), "user".into()],
    };
    let token = sign(&ring, &claims).unwrap();
    let check = SessionCheck {
        cache: Arc::new(PrincipalCache::new(100_000, Duration::from_secs(3600))),
        keys: Arc::new(ArcSwap::from_pointee(ring)),
    };
    let cookie = format!("theme=dark; passgate_session={token}; lang=en");
    (check, token, cookie)
}

/// 1,000 routes: 300 exact hosts with 3 prefixes each (`/` public, optional on app151), 50
/// wildcard domains with 2 each.
fn thousand_routes() -> String {
    let mut toml = String::from(
        "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n",
    );
    for h in 0..300 {
        for (p, prefix) in ["/", "/api", "/api/v1/items"].iter().enumerate() {
            let policy = match (p, h) {
                (0, 151) => "optional",
                (0, _) => "public",
                _ => "authenticated",
            };
            toml.push_str(&format!(
                "[[routes]]\nhost = \"app{h}.example.com\"\npath_prefix = \"{prefix}\"\nupstream = \"http://127.0.0.1:9\"\npolicy = \"{policy}\"\n"
            ));
        }
    }
    for w in 0..50 {
        for prefix in ["/", "/static"] {
            toml.push_str(&format!(
                "[[routes]]\nhost = \"*.tenant{w}.example.org\"\npath_prefix = \"{prefix}\"\nupstream = \"http://127.0.0.1:9\"\n"
            ));
        }
    }
    toml
}

fn runtime() -> Runtime {
    let config = passgate::config::from_str(&thousand_routes(), Path::new("."))
        .unwrap_or_else(|p| panic!("bench config invalid: {p:?}"));
    assert_eq!(config.routes.len(), 1000);
    Runtime::new(Arc::new(config))
}

/// The decision as `request_filter` takes it: the canonical path first (borrowed here: the
/// bench paths are canonical), then the gate (polled once: it never waits here).
fn classify(gate: &Gate, rt: &Runtime, req: &RequestHeader, tls: bool) -> Action {
    let raw = req.uri.path();
    let canonical = canonical_path(raw).unwrap();
    let ask = Ask {
        req,
        path: RequestPath::new(raw, &canonical),
        tls,
        cookie_secure: None,
    };
    gate.decide(rt, &ask)
        .now_or_never()
        .expect("no refresh: decided at once")
        .action
}

fn request(host: &str, path: &str, accept: &str) -> RequestHeader {
    let mut req = RequestHeader::build("GET", path.as_bytes(), None).unwrap();
    req.insert_header("Host", host).unwrap();
    req.insert_header("Accept", accept).unwrap();
    req
}

fn bench_routing(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("route_match_1000");
    g.bench_function("exact_host_longest_prefix", |b| {
        b.iter(|| {
            rt.router.find(
                black_box("app150.example.com"),
                black_box("/api/v1/items/42"),
            )
        })
    });
    g.bench_function("wildcard_host", |b| {
        b.iter(|| {
            rt.router.find(
                black_box("shop.tenant25.example.org"),
                black_box("/static/app.css"),
            )
        })
    });
    g.bench_function("miss", |b| {
        b.iter(|| {
            rt.router
                .find(black_box("unknown.example.net"), black_box("/"))
        })
    });
    g.finish();

    let (check, token, cookie) = sessions();
    let empty_cache = Arc::new(PrincipalCache::new(10, Duration::from_secs(60)));
    let empty = gate(SessionCheck {
        cache: empty_cache.clone(),
        keys: check.keys.clone(),
    });
    let keys = check.keys.clone();
    let check = gate(check);
    let at = now();
    let public = request("app150.example.com:443", "/index.html?x=1", "text/html");
    let optional = request("app151.example.com:443", "/index.html?x=1", "text/html");
    let protected = request("app150.example.com", "/api/v1/items/42", "application/json");
    let mut signed_in = protected.clone();
    signed_in.insert_header("Cookie", cookie.as_str()).unwrap();
    let mut g = c.benchmark_group("request_filter_decision");
    g.bench_function("public_route", |b| {
        b.iter(|| {
            let a = classify(&check, black_box(&rt), black_box(&public), false);
            assert!(matches!(a, Action::Proxy { .. }));
            a
        })
    });
    // An anonymous request on an `optional` route: the cookie is looked for, none found.
    g.bench_function("optional_route_no_session", |b| {
        b.iter(|| {
            let a = classify(&check, black_box(&rt), black_box(&optional), false);
            assert!(matches!(
                a,
                Action::Proxy {
                    principal: None,
                    ..
                }
            ));
            a
        })
    });
    g.bench_function("protected_route_no_session", |b| {
        b.iter(|| {
            let a = classify(&check, black_box(&rt), black_box(&protected), false);
            assert!(matches!(a, Action::Challenge { .. }));
            a
        })
    });
    g.bench_function("protected_route_valid_cookie_cached", |b| {
        b.iter(|| {
            let a = classify(&check, black_box(&rt), black_box(&signed_in), false);
            assert!(matches!(
                a,
                Action::Proxy {
                    principal: Some(_),
                    ..
                }
            ));
            a
        })
    });
    g.bench_function("protected_route_valid_cookie_uncached", |b| {
        b.iter(|| {
            let a = classify(&empty, black_box(&rt), black_box(&signed_in), false);
            assert!(matches!(
                a,
                Action::Proxy {
                    principal: Some(_),
                    ..
                }
            ));
            empty_cache.remove(&token);
            a
        })
    });
    g.finish();

    // The whole per-request identity work for a signed-in user: decision, header strip,
    // identity headers and removing the session cookie, with and without
    // `assertion = true` (a cache hit: signed once).
    let ring = keys.load_full();
    let signer = gate::Signer {
        ring: &ring,
        issuer: "https://auth.example.com",
    };
    let route = |with_assertion: bool| {
        let mut r = (*rt
            .router
            .find("app150.example.com", "/api/v1/items/42")
            .unwrap()
            .route)
            .clone();
        r.assertion = with_assertion;
        r
    };
    let (plain, asserted) = (route(false), route(true));
    let upstream_headers = |with_assertion: bool| {
        let a = classify(&check, &rt, black_box(&signed_in), false);
        let Action::Proxy {
            principal: Some(p), ..
        } = a
        else {
            panic!("not allowed")
        };
        let r = if with_assertion { &asserted } else { &plain };
        let mut up = signed_in.clone();
        headers::strip_reserved(&mut up, &r.identity.strip);
        headers::strip_cookie(&mut up, "passgate_session").unwrap();
        gate::identity_headers(r, &p, &signer, "app150.example.com", at, |_, wire, v| {
            up.insert_header(wire.clone(), v)
        })
        .unwrap();
        up
    };
    let mut g = c.benchmark_group("authenticated_upstream_headers");
    g.bench_function("without_assertion", |b| b.iter(|| upstream_headers(false)));
    g.bench_function("with_assertion_cached", |b| {
        b.iter(|| upstream_headers(true))
    });
    g.finish();
}

criterion_group!(benches, bench_routing);
criterion_main!(benches);
