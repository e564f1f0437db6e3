//! The proxy service's connection handler: Pingora's own, with every HTTP/1 connection
//! read through a [`HeadWatch`] so a request head has `server.header_timeout` to arrive
//! (read from the live configuration for each connection).
//!
//! Pingora's HTTP/1 path (build a session, process one request, loop while the connection
//! is kept alive) is repeated here because it is the one place where a connection's stream
//! can be wrapped and re-armed between requests; HTTP/2 (by ALPN) and any h2c or custom
//! protocol go to Pingora unchanged (their streams are framed by the h2 codec).
//!
//! Between requests a connection waits in [`park`] on its bare stream, so an idle
//! connection holds no per-request state of Pingora's. A kept-alive HTTP/1 connection goes
//! on in a task of passgate's own (spawned once per connection, after its first request):
//! Pingora's connection task, whose future is sized for the TLS handshake it starts with
//! (8.8 KiB per connection measured with heaptrack, docs/performance.md), then ends instead
//! of living as long as the connection.

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use bytes::BytesMut;
use pingora::apps::{HttpPersistentSettings, HttpServerApp, ServerApp};
use pingora::protocols::http::ServerSession;
use pingora::protocols::{Stream, ALPN};
use pingora::proxy::HttpProxy;
use pingora::server::ShutdownWatch;

use super::head_watch::{HeadWatch, Rearm};
use super::park;
use crate::dataplane::{Gateway, Runtime};

pub struct HeaderDeadline {
    proxy: Arc<HttpProxy<Gateway>>,
    runtime: Arc<ArcSwap<Runtime>>,
    /// Set when the service stops: idle connections waiting in [`park`] close.
    stopping: park::Stopping,
}

impl HeaderDeadline {
    pub fn new(proxy: HttpProxy<Gateway>, runtime: Arc<ArcSwap<Runtime>>) -> Self {
        HeaderDeadline {
            proxy: Arc::new(proxy),
            runtime,
            stopping: park::Stopping::default(),
        }
    }

    /// Whether Pingora must handle the connection itself (not HTTP/1).
    fn not_http1(&self, stream: &Stream) -> bool {
        if matches!(
            stream.selected_alpn_proto(),
            Some(ALPN::H2) | Some(ALPN::Custom(_))
        ) {
            return true;
        }
        let plain = stream.get_ssl_digest().is_none();
        self.proxy
            .server_options()
            .is_some_and(|o| o.force_custom || (o.h2c && plain))
    }
}

#[async_trait]
impl ServerApp for HeaderDeadline {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        if self.not_http1(&stream) {
            return ServerApp::process_new(&self.proxy, stream, shutdown).await;
        }
        let (limit, idle) = {
            let runtime = self.runtime.load();
            let server = &runtime.config.server;
            (server.header_timeout, server.keepalive_timeout)
        };
        let (watch, rearm) = HeadWatch::new(stream, limit);
        let mut stream: Stream = Box::new(watch);
        let connection = Connection {
            rearm,
            idle,
            reuses: self
                .proxy
                .server_options()
                .and_then(|o| o.keepalive_request_limit),
        };
        // A request already there (the usual case on a new connection) is served in
        // Pingora's connection task; the connection goes on in a task of its own only if
        // it is kept alive (or has nothing to read yet), so Pingora's task, whose future is
        // sized for a TLS handshake (about 9 KiB), ends instead of living as long as the
        // connection (see the module's first lines). A connection closed after one request
        // costs no task of its own.
        let next = match park::bytes_now(&mut stream) {
            Poll::Ready(None) => return None,
            Poll::Ready(Some(first)) => {
                let session = connection.first_session(stream, first, shutdown);
                match self.proxy.process_new_http(session, shutdown).await {
                    Some(reused) => Next::Reused(reused.consume()),
                    None => return None,
                }
            }
            Poll::Pending => Next::Fresh(stream),
        };
        let this = self.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move { this.serve_http1(connection, next, &shutdown).await });
        None
    }

    /// Pingora's clean-up (it tells kept-alive connections that the process is stopping).
    async fn cleanup(&self) {
        self.stopping.stop();
        ServerApp::cleanup(self.proxy.as_ref()).await
    }
}

/// What an HTTP/1 connection keeps from one request to the next.
struct Connection {
    rearm: Rearm,
    /// `server.keepalive_timeout`, read when the connection was accepted.
    idle: Duration,
    /// Pingora's `keepalive_request_limit`.
    reuses: Option<u32>,
}

/// Where an HTTP/1 connection stands when it moves to a task of its own.
enum Next {
    /// No request read yet.
    Fresh(Stream),
    /// Kept alive after a request.
    Reused((Stream, Option<HttpPersistentSettings>)),
}

impl Connection {
    /// The session for the connection's first request, whose first bytes are `first`.
    fn first_session(
        &self,
        stream: Stream,
        first: BytesMut,
        shutdown: &ShutdownWatch,
    ) -> ServerSession {
        let mut session = ServerSession::new_http1(stream);
        session.set_pipelined_prefix(first);
        if *shutdown.borrow() {
            session.set_keepalive(None);
        } else {
            session.set_keepalive(Some(self.idle.as_secs()));
        }
        session.set_keepalive_reuses_remaining(self.reuses);
        session
    }
}

impl HeaderDeadline {
    /// An HTTP/1 connection from `next` on: its requests one after another, each read
    /// through the head deadline, the connection parked between them; until either side
    /// closes it.
    async fn serve_http1(&self, connection: Connection, next: Next, shutdown: &ShutdownWatch) {
        let idle = connection.idle;
        let mut result = match next {
            Next::Fresh(mut stream) => {
                let Some(first) = park::first_bytes(&mut stream, idle, &self.stopping).await else {
                    return;
                };
                let session = connection.first_session(stream, first, shutdown);
                self.proxy
                    .process_new_http(session, shutdown)
                    .await
                    .map(|r| r.consume())
            }
            Next::Reused(reused) => Some(reused),
        };
        while let Some((mut stream, settings)) = result {
            connection.rearm.rearm();
            // Kept alive, for `server.keepalive_timeout` (Pingora alone would keep it until
            // the client closes it: its keep-alive is infinite after the first request).
            let Some(first) = park::first_bytes(&mut stream, idle, &self.stopping).await else {
                return;
            };
            let mut session = ServerSession::new_http1(stream);
            if let Some(settings) = settings {
                settings.apply_to_session(&mut session);
            }
            session.set_pipelined_prefix(first);
            result = self
                .proxy
                .process_new_http(session, shutdown)
                .await
                .map(|r| r.consume());
        }
    }
}
