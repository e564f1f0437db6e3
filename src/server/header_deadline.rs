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
//! connection holds no per-request state of Pingora's.

use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::apps::{HttpServerApp, ServerApp};
use pingora::protocols::http::ServerSession;
use pingora::protocols::{Stream, ALPN};
use pingora::proxy::HttpProxy;
use pingora::server::ShutdownWatch;

use super::head_watch::HeadWatch;
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
        let first = park::first_bytes(&mut stream, idle, &self.stopping).await?;
        let mut session = ServerSession::new_http1(stream);
        session.set_pipelined_prefix(first);
        if *shutdown.borrow() {
            session.set_keepalive(None);
        } else {
            session.set_keepalive(Some(idle.as_secs()));
        }
        let limit_reuses = self
            .proxy
            .server_options()
            .and_then(|o| o.keepalive_request_limit);
        session.set_keepalive_reuses_remaining(limit_reuses);
        let mut result = self.proxy.process_new_http(session, shutdown).await;
        while let Some((mut stream, settings)) = result.map(|r| r.consume()) {
            rearm.rearm();
            // Kept alive, for `server.keepalive_timeout` (Pingora alone would keep it until
            // the client closes it: its keep-alive is infinite after the first request).
            let first = park::first_bytes(&mut stream, idle, &self.stopping).await?;
            let mut session = ServerSession::new_http1(stream);
            if let Some(settings) = settings {
                settings.apply_to_session(&mut session);
            }
            session.set_pipelined_prefix(first);
            result = self.proxy.process_new_http(session, shutdown).await;
        }
        None
    }

    /// Pingora's clean-up (it tells kept-alive connections that the process is stopping).
    async fn cleanup(&self) {
        self.stopping.stop();
        ServerApp::cleanup(self.proxy.as_ref()).await
    }
}
