//! TLS termination: one listener, two certificates chosen by SNI (a wildcard too, and the
//! first as the default), HTTP/2 negotiated by ALPN (and not when `http2 = false`), with a
//! plain listener serving alongside; `rd` keeps `https`; SIGHUP reloads the certificates.

use std::net::SocketAddr;

use reqwest::tls::TlsInfo;

use crate::support::free_port;
use crate::support::gateway::{base_config, Gateway};
use crate::support::http::{echoed_one, get, send, upstream_name};
use crate::support::tls::{Leaf, TestCa};
use crate::support::upstream;

struct Setup {
    gw: Gateway,
    ca: TestCa,
    a: Leaf,
    b: Leaf,
    tls_port: u16,
    h1_port: u16,
    _up: upstream::Upstream,
}

async fn setup() -> Setup {
    let up = upstream::start("app").await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("passgate test CA");
    let a = ca.leaf(&["a.test"]);
    let b = ca.leaf(&["b.test", "*.b.test"]);
    a.write(dir.path(), "a");
    b.write(dir.path(), "b");
    let (port, tls_port, h1_port) = (free_port(), free_port(), free_port());
    let config = format!(
        r#"{}
[[listeners]]
address = "127.0.0.1:{tls_port}"
[[listeners.certificates]]
cert = "a.crt"
key = "a.key"
[[listeners.certificates]]
cert = "b.crt"
key = "b.key"

[[listeners]]
address = "127.0.0.1:{h1_port}"
http2 = false
[[listeners.certificates]]
cert = "a.crt"
key = "a.key"

[[routes]]
host = "*"
upstream = "{u}"
policy = "public"

[[routes]]
host = "locked.b.test"
upstream = "{u}"
policy = "authenticated"
"#,
        base_config(port),
        u = up.url()
    );
    let gw = Gateway::start_in(dir, port, &config).await;
    Setup {
        gw,
        ca,
        a,
        b,
        tls_port,
        h1_port,
        _up: up,
    }
}

fn der(pem: &str) -> Vec<u8> {
    let mut bytes = pem.as_bytes();
    let first = rustls_pemfile::certs(&mut bytes).next().unwrap().unwrap();
    first.to_vec()
}

/// A client trusting only the test CA, resolving `names` to the local `port`.
fn tls_client(ca: &TestCa, names: &[&str], port: u16) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .tls_info(true);
    for n in names {
        b = b.resolve(n, SocketAddr::from(([127, 0, 0, 1], port)));
    }
    b.build().unwrap()
}

fn peer_cert(resp: &reqwest::Response) -> Vec<u8> {
    resp.extensions()
        .get::<TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("TLS info with a peer certificate")
        .to_vec()
}

#[tokio::test]
async fn sni_selects_the_certificate_and_alpn_negotiates_h2() {
    let s = setup().await;
    let names = ["a.test", "b.test", "x.b.test"];
    let client = tls_client(&s.ca, &names, s.tls_port);
    for (name, leaf) in [("a.test", &s.a), ("b.test", &s.b), ("x.b.test", &s.b)] {
        let url = format!("https://{name}:{}/hello", s.tls_port);
        let resp = client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(resp.version(), reqwest::Version::HTTP_2, "{name}");
        assert!(
            peer_cert(&resp) == der(&leaf.cert_pem),
            "{name}: wrong certificate"
        );
        let echo: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(upstream_name(&echo), "app");
        assert_eq!(echo["path"], "/hello");
        assert_eq!(echoed_one(&echo, "x-forwarded-proto"), "https");
        // The h2 :authority becomes the upstream's Host.
        assert_eq!(echoed_one(&echo, "host"), format!("{name}:{}", s.tls_port));
    }
    // The control plane answers over h2 as well.
    let resp = client
        .get(format!("https://a.test:{}/.passgate/healthz", s.tls_port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    // ...and refuses an oversized body over h2 as over HTTP/1.
    let resp = client
        .post(format!("https://a.test:{}/.passgate/x", s.tls_port))
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn sign_in_redirect_over_h2_keeps_https_in_rd() {
    let s = setup().await;
    let client = tls_client(&s.ca, &["locked.b.test"], s.tls_port);
    let url = format!("https://locked.b.test:{}/doc?id=7", s.tls_port);
    let resp = client
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap();
    let rd: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    assert_eq!(location, format!("/.passgate/login?rd={rd}"));
}

#[tokio::test]
async fn sighup_reloads_listener_certificates() {
    let s = setup().await;
    let fresh = s.ca.leaf(&["a.test"]);
    fresh.write(s.gw.dir(), "a");
    s.gw.signal(nix::sys::signal::Signal::SIGHUP);
    s.gw.wait_for_log("configuration reloaded", 10).await;
    // A new client, so a new handshake.
    let client = tls_client(&s.ca, &["a.test"], s.tls_port);
    let resp = client
        .get(format!("https://a.test:{}/", s.tls_port))
        .send()
        .await
        .unwrap();
    assert!(
        peer_cert(&resp) == der(&fresh.cert_pem),
        "old certificate still served"
    );
    assert!(peer_cert(&resp) != der(&s.a.cert_pem));
}

#[tokio::test]
async fn unknown_sni_gets_the_first_certificate() {
    let s = setup().await;
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .tls_info(true)
        .resolve("other.test", SocketAddr::from(([127, 0, 0, 1], s.tls_port)))
        .build()
        .unwrap();
    let url = format!("https://other.test:{}/", s.tls_port);
    let resp = client.get(&url).send().await.unwrap();
    assert!(
        peer_cert(&resp) == der(&s.a.cert_pem),
        "not the default certificate"
    );
    // And a verifying client refuses it (the name does not match).
    let strict = tls_client(&s.ca, &["other.test"], s.tls_port);
    assert!(strict.get(&url).send().await.is_err());
}

#[tokio::test]
async fn http2_false_keeps_http1_and_plain_listener_serves_alongside() {
    let s = setup().await;
    let client = tls_client(&s.ca, &["a.test"], s.h1_port);
    let resp = client
        .get(format!("https://a.test:{}/", s.h1_port))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.status(), 200);

    let echo = get(&s.gw, "a.test", "/plain", None).await.echo();
    assert_eq!(echoed_one(&echo, "x-forwarded-proto"), "http");
    let r = send(crate::support::client().get(s.gw.url("/.passgate/healthz"))).await;
    assert_eq!(r.status, 200);
}
