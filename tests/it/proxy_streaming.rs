//! Bodies and upgrades pass through: a 100 MB upload and a 64 MB download stream without
//! being buffered whole in the gateway, and a WebSocket upgrade echoes through the proxy.

use bytes::Bytes;
use futures_util::{stream, SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::client;
use crate::support::gateway::{public_route, Gateway};
use crate::support::http::send;
use crate::support::upstream;

async fn public_gateway() -> (Gateway, upstream::Upstream) {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&public_route(&up.url())).await;
    (gw, up)
}

/// The gateway process's peak resident memory, in MiB (Linux `VmHWM`).
fn peak_rss_mib(gw: &Gateway) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", gw.child.id())).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM");
    kb / 1024
}

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn large_bodies_stream_both_ways() {
    let (gw, _up) = public_gateway().await;
    // The peak before any large body: what the binary needs anyway (it grows with the
    // features linked in), so the check below measures only what the transfers add.
    let r = send(client().get(gw.url("/warm"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let before = peak_rss_mib(&gw);

    // 100 MiB up, generated chunk by chunk (chunked transfer encoding).
    let chunk = Bytes::from(vec![b'u'; 64 * 1024]);
    let n_chunks = 1600;
    let body = stream::iter((0..n_chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let r = send(
        client()
            .post(gw.url("/upload"))
            .body(reqwest::Body::wrap_stream(body)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["bytes"], 100 * MIB, "{}", r.body);

    // 64 MiB down, counted as it arrives.
    let resp = client()
        .get(gw.url("/download?bytes=67108864"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut total = 0u64;
    let mut body = resp.bytes_stream();
    while let Some(c) = body.next().await {
        total += c.expect("download chunk").len() as u64;
    }
    assert_eq!(total, 64 * MIB);

    // Buffering either body would add at least 64 MiB.
    let peak = peak_rss_mib(&gw);
    assert!(
        peak.saturating_sub(before) < 48,
        "gateway peaked at {peak} MiB from {before} MiB: bodies were buffered"
    );
}

/// One WebSocket session through the gateway: handshake, text and binary echoes, close.
async fn websocket_session(gw: &Gateway) -> Result<(), String> {
    let url = format!("ws://127.0.0.1:{}/ws", gw.port);
    let (mut ws, resp) = tokio_tungstenite::connect_async(&url)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    assert_eq!(resp.status(), 101);
    for i in 0..3 {
        ws.send(Message::text(format!("hello {i}")))
            .await
            .map_err(|e| format!("send {i}: {e}"))?;
        let reply = ws
            .next()
            .await
            .ok_or("no reply")?
            .map_err(|e| format!("reply {i}: {e:?}"))?;
        assert_eq!(reply, Message::text(format!("echo: hello {i}")));
    }
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .map_err(|e| format!("send binary: {e}"))?;
    let reply = ws
        .next()
        .await
        .ok_or("no binary reply")?
        .map_err(|e| format!("{e:?}"))?;
    assert_eq!(reply, Message::binary(vec![0u8, 1, 2, 255]));
    // The closing handshake completes through the proxy too.
    ws.close(None).await.map_err(|e| format!("close: {e}"))?;
    while let Some(msg) = ws.next().await {
        match msg.map_err(|e| format!("closing: {e:?}"))? {
            Message::Close(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn websocket_upgrade_passes_through() {
    let (gw, _up) = public_gateway().await;
    // Pingora 0.9.1 has a race: when the upstream's 101 is read before the (empty) request
    // body's end marker, the upgraded connection is closed at once. It shows up under heavy
    // load, rarely; see docs/configuration.md. Three fresh sessions must not all hit it.
    let mut errors = Vec::new();
    for _ in 0..3 {
        match websocket_session(&gw).await {
            Ok(()) => return,
            Err(e) => errors.push(e),
        }
    }
    panic!(
        "every WebSocket session failed: {errors:?}\ngateway log:\n{}",
        gw.log()
    );
}
