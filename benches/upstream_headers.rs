//! What the headers passgate writes on the way upstream cost inside Pingora's
//! `RequestHeader`, and what they would cost if Pingora took a prebuilt header name and
//! could reserve room (issue 15: "what an upstream change would save").
//!
//! Every variant starts from the downstream request as Pingora's HTTP/1 server builds it
//! (`RequestHeader::build` sized to the request's header count, each header appended with
//! its case) and clones it, as Pingora does before `upstream_request_filter`:
//!
//! - `clone_only`: the clone alone, what the bare Pingora proxy pays;
//! - `passgate_today`: the clone, then passgate's real functions (`strip_reserved`,
//!   `strip_cookie`, `set_forwarded`) and the four identity headers through
//!   `insert_header`, exactly as `upstream_request_filter` calls them;
//! - `sketch_clone_only` and `sketch_with_headers`: the same two maps Pingora keeps (values
//!   by `HeaderName`, and the names as the client spelled them), cloned, then room reserved
//!   for the eight added headers and each inserted under a constant `HeaderName` with its
//!   spelling as a static: what Pingora's `insert_header` does minus parsing the name back
//!   out of its bytes, and without the map growing one doubling at a time.
//!
//! Two request shapes: wrk's (Host and the session cookie) and a browser's (twelve
//! headers). The figure that matters is each variant's cost over its own clone.
//!
//! `UPSTREAM_HEADERS_CALLS=N` skips criterion and runs each variant N times through a
//! `run_*` function of its own (the result dropped inside it), for instruction counts:
//! `UPSTREAM_HEADERS_CALLS=10000 valgrind --tool=callgrind <bench binary>`, then each
//! `run_*` function's inclusive count in `callgrind_annotate --inclusive=yes` ÷ N
//! (`UPSTREAM_HEADERS_SHAPE=wrk` or `browser` for one shape; both when unset).

use std::hint::black_box;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::{criterion_group, Criterion};
use http::{HeaderMap, HeaderName, HeaderValue};
use pingora::http::RequestHeader;

use passgate::dataplane::headers;

/// The allocator the `passgate` binary runs with (src/main.rs): most of this work is
/// allocating and freeing small buffers.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TOKEN: &str = "passgate_session=eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMTkzZjQ2YS0xYjJjLTc4OWQtOGUwZi0xMjM0NTY3ODlhYmMiLCJzaWQiOiIwMTkzZjQ2YS0xYjJjLTc4OWQtOGUwZi0xMjM0NTY3ODlhYmQiLCJpc3MiOiJodHRwOi8vbG9jYWxob3N0OjgwODAiLCJpYXQiOjE3OTY1MjgwMDAsImV4cCI6MTc5NjUzMTYwMH0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtc2lnbmF0dXJlLXNpZ25hdHVyZQ";

/// wrk's request in `benches/compare.sh`: a Host and the session cookie.
fn wrk_headers() -> Vec<(&'static str, String)> {
    vec![("Host", "127.0.0.1:8080".into()), ("Cookie", TOKEN.into())]
}

/// A browser's navigation: twelve headers, the session cookie among the app's own.
fn browser_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Host", "app.example.com".into()),
        ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into()),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8".into()),
        ("Accept-Language", "en-GB,en;q=0.9".into()),
        ("Accept-Encoding", "gzip, deflate, br, zstd".into()),
        ("Referer", "https://app.example.com/reports".into()),
        ("Sec-Fetch-Dest", "document".into()),
        ("Sec-Fetch-Mode", "navigate".into()),
        ("Sec-Fetch-Site", "same-origin".into()),
        ("Upgrade-Insecure-Requests", "1".into()),
        ("Connection", "keep-alive".into()),
        ("Cookie", format!("theme=dark; {TOKEN}; csrftoken=abc123")),
    ]
}

/// The downstream request as Pingora's HTTP/1 server builds it.
fn downstream(h: &[(&'static str, String)]) -> RequestHeader {
    let mut req = RequestHeader::build("GET", b"/reports/2026?page=2", Some(h.len())).unwrap();
    for (n, v) in h {
        req.append_header(*n, v.as_str()).unwrap();
    }
    req
}

/// The identity headers of the default route (`X-Passgate-User`, `-Email`, `-Groups`,
/// `-Realm`), names as the route keeps them (lower-case constant and spelling) and
/// values as the cached principal keeps them (built once, cloned per request).
struct Identity {
    names: [HeaderName; 4],
    wire: [Bytes; 4],
    values: [HeaderValue; 4],
}

fn identity() -> Identity {
    Identity {
        names: [
            HeaderName::from_static("x-passgate-user"),
            HeaderName::from_static("x-passgate-email"),
            HeaderName::from_static("x-passgate-groups"),
            HeaderName::from_static("x-passgate-realm"),
        ],
        wire: [
            Bytes::from(b"X-Passgate-User".to_vec()),
            Bytes::from(b"X-Passgate-Email".to_vec()),
            Bytes::from(b"X-Passgate-Groups".to_vec()),
            Bytes::from(b"X-Passgate-Realm".to_vec()),
        ],
        values: [
            HeaderValue::from_str("alice").unwrap(),
            HeaderValue::from_str("alice@example.com").unwrap(),
            HeaderValue::from_str("staff,reports").unwrap(),
            HeaderValue::from_str("Example Corp").unwrap(),
        ],
    }
}

/// What `upstream_request_filter` does to a signed-in request on a default route.
fn passgate_today(down: &RequestHeader, id: &Identity, client: SocketAddr) -> RequestHeader {
    let mut up = down.clone();
    headers::strip_reserved(&mut up, &[]);
    headers::strip_cookie(&mut up, "passgate_session").unwrap();
    for (wire, v) in id.wire.iter().zip(&id.values) {
        up.insert_header(wire.clone(), v.clone()).unwrap();
    }
    let host = down
        .headers
        .get(http::header::HOST)
        .unwrap()
        .to_str()
        .unwrap();
    headers::set_forwarded(&mut up, Some(client), true, host, false).unwrap();
    up
}

/// Pingora's two header maps: values by name, and each name as the client spelled it.
#[derive(Clone)]
struct Maps {
    values: HeaderMap<HeaderValue>,
    case: HeaderMap<Bytes>,
}

fn sketch_downstream(h: &[(&'static str, String)]) -> Maps {
    let mut m = Maps {
        values: HeaderMap::with_capacity(h.len()),
        case: HeaderMap::with_capacity(h.len()),
    };
    for (n, v) in h {
        let name = HeaderName::from_bytes(n.as_bytes()).unwrap();
        m.case
            .append(name.clone(), Bytes::copy_from_slice(n.as_bytes()));
        m.values.append(name, HeaderValue::from_str(v).unwrap());
    }
    m
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// The same eight-header work on the two maps, with a prebuilt name and room reserved.
fn sketch_with_headers(down: &Maps, id: &Identity, client: SocketAddr) -> Maps {
    let mut up = down.clone();
    up.values.reserve(8);
    up.case.reserve(8);
    let mut insert = |name: &HeaderName, wire: Bytes, v: HeaderValue| {
        up.case.insert(name.clone(), wire);
        up.values.insert(name.clone(), v);
    };
    // The session cookie was the only cookie in wrk's request, so the header goes; a
    // browser's keeps the others, rebuilt as passgate rebuilds it.
    let kept: Vec<&[u8]> = down
        .values
        .get_all(http::header::COOKIE)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b';'))
        .map(|p| p.trim_ascii())
        .filter(|p| !p.is_empty() && !p.starts_with(b"passgate_session="))
        .collect();
    for (i, (name, v)) in id.names.iter().zip(&id.values).enumerate() {
        insert(name, id.wire[i].clone(), v.clone());
    }
    let ip = headers::ip_text(client.ip());
    insert(
        &X_FORWARDED_FOR,
        Bytes::from_static(b"X-Forwarded-For"),
        HeaderValue::from_str(&ip).unwrap(),
    );
    insert(
        &X_FORWARDED_PROTO,
        Bytes::from_static(b"X-Forwarded-Proto"),
        HeaderValue::from_static("https"),
    );
    let host = down.values.get(http::header::HOST).unwrap().clone();
    insert(
        &X_FORWARDED_HOST,
        Bytes::from_static(b"X-Forwarded-Host"),
        host,
    );
    for gone in [FORWARDED, http::header::COOKIE] {
        if up.values.remove(&gone).is_some() {
            up.case.remove(&gone);
        }
    }
    if !kept.is_empty() {
        let joined = kept.join(&b"; "[..]);
        up.case
            .insert(http::header::COOKIE, Bytes::from_static(b"Cookie"));
        up.values.insert(
            http::header::COOKIE,
            HeaderValue::from_bytes(&joined).unwrap(),
        );
    }
    up
}

fn client() -> SocketAddr {
    "192.168.17.201:50412".parse().unwrap()
}

/// Both request shapes, each as Pingora's request and as the sketch's maps; checks that
/// the sketch writes what passgate writes (same names, same values, same count of case
/// names).
fn shapes(id: &Identity) -> Vec<(&'static str, RequestHeader, Maps)> {
    [("wrk", wrk_headers()), ("browser", browser_headers())]
        .into_iter()
        .map(|(shape, h)| {
            let (down, sketch) = (downstream(&h), sketch_downstream(&h));
            let today = passgate_today(&down, id, client());
            let sketched = sketch_with_headers(&sketch, id, client());
            assert_eq!(today.headers, sketched.values, "{shape}");
            assert_eq!(
                today.case_header_iter().count(),
                sketched.case.len(),
                "{shape}"
            );
            (shape, down, sketch)
        })
        .collect()
}

#[inline(never)]
fn run_clone_only(down: &RequestHeader) {
    drop(black_box(black_box(down).clone()));
}

#[inline(never)]
fn run_passgate_today(down: &RequestHeader, id: &Identity, client: SocketAddr) {
    drop(black_box(passgate_today(black_box(down), id, client)));
}

#[inline(never)]
fn run_sketch_clone_only(down: &Maps) {
    drop(black_box(black_box(down).clone()));
}

#[inline(never)]
fn run_sketch_with_headers(down: &Maps, id: &Identity, client: SocketAddr) {
    drop(black_box(sketch_with_headers(black_box(down), id, client)));
}

/// Each variant `n` times for the shape named in `UPSTREAM_HEADERS_SHAPE` (`wrk` or
/// `browser`; both when unset), for callgrind (see the module's notes).
fn count(n: usize) {
    let id = identity();
    let only = std::env::var("UPSTREAM_HEADERS_SHAPE").ok();
    let client = client();
    for (shape, down, sketch) in shapes(&id) {
        if only.as_deref().is_some_and(|o| o != shape) {
            continue;
        }
        for _ in 0..n {
            run_clone_only(&down);
            run_passgate_today(&down, &id, client);
            run_sketch_clone_only(&sketch);
            run_sketch_with_headers(&sketch, &id, client);
        }
    }
}

fn bench(c: &mut Criterion) {
    let id = identity();
    let client = client();
    for (shape, down, sketch) in shapes(&id) {
        let mut g = c.benchmark_group(format!("upstream_headers_{shape}"));
        g.bench_function("clone_only", |b| b.iter(|| black_box(&down).clone()));
        g.bench_function("passgate_today", |b| {
            b.iter(|| passgate_today(black_box(&down), &id, client))
        });
        g.bench_function("sketch_clone_only", |b| {
            b.iter(|| black_box(&sketch).clone())
        });
        g.bench_function("sketch_with_headers", |b| {
            b.iter(|| sketch_with_headers(black_box(&sketch), &id, client))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("UPSTREAM_HEADERS_CALLS") {
        Ok(n) => count(n.parse().expect("UPSTREAM_HEADERS_CALLS: a number")),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
