//! Data-plane decision benches: route lookup among 1,000 routes, and the whole
//! `request_filter` decision (`classify`) for a public and a protected route.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use pingora::http::RequestHeader;

use passgate::dataplane::classify::{classify, Action};
use passgate::dataplane::Runtime;

/// 1,000 routes: 300 exact hosts with 3 prefixes each, 50 wildcard domains with 2 each.
fn thousand_routes() -> String {
    let mut toml = String::from(
        "public_url = \"https://auth.example.com\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n",
    );
    for h in 0..300 {
        for (p, prefix) in ["/", "/api", "/api/v1/items"].iter().enumerate() {
            let policy = if p == 0 { "public" } else { "authenticated" };
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

    let public = request("app150.example.com:443", "/index.html?x=1", "text/html");
    let protected = request("app150.example.com", "/api/v1/items/42", "application/json");
    let mut g = c.benchmark_group("request_filter_decision");
    g.bench_function("public_route", |b| {
        b.iter(|| {
            let a = classify(black_box(&rt), black_box(&public), false);
            assert!(matches!(a, Action::Proxy { .. }));
            a
        })
    });
    g.bench_function("protected_route_no_session", |b| {
        b.iter(|| {
            let a = classify(black_box(&rt), black_box(&protected), false);
            assert!(matches!(a, Action::Challenge { .. }));
            a
        })
    });
    g.finish();
}

criterion_group!(benches, bench_routing);
criterion_main!(benches);
