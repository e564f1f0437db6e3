//! The `ProxyHttp` implementation: each Pingora phase delegates to one small module
//! (router, authn, authz, headers, respond, handoff, upstream).

use std::sync::Arc;

use async_trait::async_trait;
use pingora::http::RequestHeader;
use pingora::prelude::*;
use pingora::protocols::Stream;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora::upstreams::peer::HttpPeer;
use pingora::{ErrorSource, ErrorType};

use super::classify::Action;
use super::ctx::{Outcome, RequestCtx};
use super::gate::{self, Ask, Gate};
use super::handoff::{self, ClientInfo, ControlHandler};
use super::{draining, framing, headers, local_fault, request, respond};
use crate::config::canonical_path;
use crate::error_code::ErrorCode;

pub struct Gateway {
    gate: Arc<Gate>,
    control: Arc<dyn ControlHandler>,
    /// Holds a response header for its body on the client's connection, where the
    /// connection's stream supports it (see `held_header`); set by the server, which owns
    /// the stream type.
    hold_header: fn(&Stream),
}

impl Gateway {
    /// The proxy over `gate` (shared with `/.passgate/verify`), handing `/.passgate/*` to
    /// `control`.
    pub fn new(gate: Arc<Gate>, control: Arc<dyn ControlHandler>) -> Self {
        Gateway {
            gate,
            control,
            hold_header: |_| {},
        }
    }

    /// How to hold a response header on a client's stream (see [`held_header`]).
    ///
    /// [`held_header`]: super::held_header
    pub fn with_header_hold(mut self, hold: fn(&Stream)) -> Self {
        self.hold_header = hold;
        self
    }
}

/// Whether a response's header should wait for its body's first bytes: a body of known,
/// non-zero length is to follow (Pingora flushes a header with no body at once, and a
/// chunked or close-delimited body is written as it comes).
fn header_waits_for_body(session: &Session, resp: &pingora::http::ResponseHeader) -> bool {
    let status = resp.status.as_u16();
    status >= 200
        && status != 204
        && status != 304
        && session.req_header().method != http::Method::HEAD
        && !resp.headers.contains_key(http::header::TRANSFER_ENCODING)
        && resp
            .headers
            .get(http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

fn is_tls(session: &Session) -> bool {
    session.digest().is_some_and(|d| d.ssl_digest.is_some())
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx::new(self.gate.runtime())
    }

    /// No downstream modules: Pingora's default adds a response-compression module (off),
    /// which still costs every request an allocation and a call per response part, and
    /// passgate never compresses.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        // Ambiguous or unsupported body framing is refused before anything else (smuggling).
        if let Err(e) = framing::check_session(session) {
            return framing::refuse(session, ctx, &e).await;
        }
        ctx.tls = is_tls(session);
        let req = session.req_header();
        let decided = match canonical_path(req.uri.path()) {
            Err(e) => Action::Refuse(e.into()).into(),
            Ok(canonical) => {
                // Computed once: kept for the rest of the request (borrowed from the
                // request itself when the path is already canonical).
                ctx.keep_canonical_path(canonical);
                let ask = Ask {
                    req,
                    path: ctx.path(req),
                    tls: ctx.tls,
                    cookie_secure: None,
                };
                // The fast path is synchronous; only a re-issue awaits.
                match self.gate.decide_now(&ctx.runtime, &ask) {
                    Ok(decided) => decided,
                    Err(pending) => self.gate.finish(&ctx.runtime, &ask, pending).await,
                }
            }
        };
        // A token re-issued on the way reaches the browser with any answer.
        let set_cookie = decided.set_cookie;
        let extra: &[(&str, &str)] = match &set_cookie {
            Some(c) => &[("Set-Cookie", c.as_str())],
            None => &[],
        };
        match decided.action {
            Action::Refuse(e) => {
                ctx.outcome = Outcome::Refused;
                ctx.status = Some(400);
                respond::error(session, 400, e.code(), "Bad request", &e.to_string()).await?;
                Ok(true)
            }
            Action::Control => {
                ctx.outcome = Outcome::Control;
                let client = ClientInfo {
                    addr: session.client_addr().and_then(|a| a.as_inet().copied()),
                    tls: ctx.tls,
                };
                let limit = ctx.runtime.config.server.control_body_limit;
                let status =
                    handoff::hand_off(session, self.control.as_ref(), limit, client).await?;
                ctx.status = Some(status);
                Ok(true)
            }
            Action::NoRoute => {
                ctx.outcome = Outcome::NoRoute;
                ctx.status = Some(404);
                respond::error(
                    session,
                    404,
                    ErrorCode::NoRoute,
                    "Not found",
                    "passgate has no route for this host and path.",
                )
                .await?;
                Ok(true)
            }
            Action::Proxy { route, principal } => {
                ctx.route = Some(route);
                ctx.principal = principal;
                ctx.set_cookie = set_cookie;
                Ok(false)
            }
            Action::Challenge {
                route,
                redirect,
                step_up,
            } => {
                ctx.outcome = Outcome::Challenged;
                match redirect {
                    Some(url) => {
                        ctx.status = Some(302);
                        let location = gate::login_location(&route.route, &url, None);
                        respond::redirect_to_login(session, &location, extra).await?;
                    }
                    None => {
                        ctx.status = Some(401);
                        let body = respond::challenge_body(step_up);
                        respond::write(session, 401, "application/json", extra, body).await?;
                    }
                }
                ctx.route = Some(route);
                Ok(true)
            }
            Action::Unavailable { route } => {
                ctx.route = Some(route);
                ctx.outcome = Outcome::Unavailable;
                ctx.status = Some(503);
                let retry = respond::UNAVAILABLE_RETRY_AFTER.to_string();
                respond::error_with(
                    session,
                    503,
                    ErrorCode::ServiceUnavailable,
                    "Temporarily unavailable",
                    respond::UNAVAILABLE_MESSAGE,
                    &[
                        ("Retry-After", retry.as_str()),
                        ("Cache-Control", "no-store"),
                    ],
                )
                .await?;
                Ok(true)
            }
            Action::Deny {
                route,
                principal,
                redirect,
            } => {
                let switch = gate::switch_account_location(&route.route, redirect.as_deref());
                ctx.route = Some(route);
                ctx.outcome = Outcome::Denied;
                ctx.status = Some(403);
                respond::forbidden(session, &principal, &switch, extra).await?;
                ctx.principal = Some(principal);
                Ok(true)
            }
        }
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        let Some(route) = ctx.route.as_ref() else {
            return Err(Error::explain(
                ErrorType::InternalError,
                "no route selected",
            ));
        };
        let pool = &route.pool;
        if pool.is_empty() {
            return Err(Error::explain(
                ErrorType::ConnectNoRoute,
                "route has no upstream",
            ));
        }
        let i = pool.select(ctx.peer);
        ctx.peer = Some(i);
        ctx.attempts = ctx.attempts.saturating_add(1);
        ctx.upstream_connected = false;
        Ok(Box::new(pool.peer(i).template.clone()))
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        let Some(route) = ctx.route.clone() else {
            return Err(Error::explain(
                ErrorType::InternalError,
                "no route selected",
            ));
        };
        let r = &route.route;
        headers::strip_reserved(upstream, &r.identity.strip);
        // Removed before identity headers are added: the header map then holds fewer
        // entries when they go in (a map that has to grow rehashes every entry).
        if !r.forward_session_cookie {
            headers::strip_cookie(upstream, &ctx.runtime.config.session.cookie_name)?;
        }
        if let Some(p) = ctx.principal.as_ref() {
            let req = session.req_header();
            self.gate.identity_headers(
                &ctx.runtime,
                r,
                p,
                || request::host(req),
                |_, wire, v| upstream.insert_header(wire.clone(), v),
            )?;
        }
        let req = session.req_header();
        // The Host as the client sent it (with any port), for X-Forwarded-Host and Host.
        let raw_host = request::raw_host(req);
        let client = session.client_addr().and_then(|a| a.as_inet().copied());
        let trusted = ctx.runtime.config.server.trust_forwarded_headers;
        headers::set_forwarded(upstream, client, ctx.tls, raw_host, trusted)?;
        if let Some(i) = ctx.peer {
            let up = &r.upstreams[route.pool.peer(i).upstream];
            headers::set_host(upstream, &r.host_header, up, raw_host)?;
        }
        Ok(())
    }

    async fn connected_to_upstream(
        &self,
        _session: &mut Session,
        _reused: bool,
        _peer: &HttpPeer,
        _fd: std::os::unix::io::RawFd,
        _digest: Option<&pingora::protocols::Digest>,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        ctx.upstream_connected = true;
        Ok(())
    }

    /// A peer that answered counts as healthy again (connecting alone does not: a peer that
    /// accepts connections and then times out must still reach `max_fails`). An upstream's
    /// `Set-Cookie` for passgate's session cookie is dropped.
    async fn upstream_response_filter(
        &self,
        _session: &mut Session,
        upstream_response: &mut pingora::http::ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if let (Some(route), Some(i)) = (ctx.route.as_ref(), ctx.peer) {
            route.pool.report_success(i);
        }
        let name = &ctx.runtime.config.session.cookie_name;
        if headers::strip_session_set_cookie(upstream_response, name)? {
            let route = ctx.route.as_ref().map_or("-", |r| r.route.id.as_str());
            tracing::warn!(
                route,
                "dropped the upstream's Set-Cookie for the session cookie"
            );
        }
        Ok(())
    }

    /// A token re-issued during the request reaches the browser with the response.
    async fn response_filter(
        &self,
        session: &mut Session,
        upstream_response: &mut pingora::http::ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if let Some(c) = ctx.set_cookie.take() {
            upstream_response.append_header(http::header::SET_COOKIE, c)?;
        }
        draining::close_if_draining(session);
        if header_waits_for_body(session, upstream_response) {
            if let Some(stream) = session.downstream_session.stream() {
                (self.hold_header)(stream);
            }
        }
        Ok(())
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        // Out of descriptors (or ports, or memory) here is not the peer's fault: 503, no
        // retry, and the peer keeps its health.
        if let Some(errno) = local_fault::local_errno(&e) {
            tracing::error!(peer = %peer, errno, error = %e, "could not open a socket to the upstream: passgate is out of local resources");
            return local_fault::unavailable(e);
        }
        if let (Some(route), Some(i)) = (ctx.route.as_ref(), ctx.peer) {
            let pool = &route.pool;
            let marked_down = pool.report_failure(i);
            route.metrics.upstream_error("connect");
            tracing::warn!(
                route = %route.route.id,
                peer = %pool.peer(i).label,
                marked_down,
                error = %e,
                "upstream connect failed"
            );
            if (ctx.attempts as usize) < pool.len() && pool.has_other_healthy(i) {
                e.set_retry(true);
            }
        } else {
            tracing::warn!(peer = %peer, error = %e, "upstream connect failed");
        }
        e
    }

    fn error_while_proxy(
        &self,
        peer: &HttpPeer,
        session: &mut Session,
        e: Box<Error>,
        ctx: &mut RequestCtx,
        client_reused: bool,
    ) -> Box<Error> {
        let mut e = e.more_context(format!("Peer: {peer}"));
        if !session.req_header().method.is_idempotent() || session.as_ref().retry_buffer_truncated()
        {
            e.set_retry(false);
        } else {
            e.retry.decide_reuse(client_reused);
        }
        if e.esource() == &ErrorSource::Upstream {
            if let (Some(route), Some(i)) = (ctx.route.as_ref(), ctx.peer) {
                route.pool.report_failure(i);
            }
        }
        e
    }

    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut RequestCtx,
    ) -> FailToProxy {
        let timeout = matches!(
            e.etype(),
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout
        );
        let code = match e.etype() {
            ErrorType::HTTPStatus(code) => *code,
            _ if e.esource() == &ErrorSource::Downstream => match e.etype() {
                ErrorType::WriteError | ErrorType::ReadError | ErrorType::ConnectionClosed => 0,
                _ => 400,
            },
            _ if timeout => 504,
            _ if e.esource() == &ErrorSource::Upstream => 502,
            _ => 500,
        };
        let route_id = ctx.route.as_ref().map_or("-", |r| r.route.id.as_str());
        let peer = match (ctx.route.as_ref(), ctx.peer) {
            (Some(r), Some(i)) => r.pool.peer(i).label.as_str(),
            _ => "-",
        };
        if code >= 500 {
            // A failed connection was already counted (as "connect") by fail_to_connect.
            if let (Some(r), true) = (ctx.route.as_ref(), ctx.upstream_connected) {
                r.metrics
                    .upstream_error(if timeout { "timeout" } else { "error" });
            }
            tracing::error!(route = route_id, peer, status = code, error = %e, "upstream request failed");
        }
        if code > 0 && session.response_written().is_none() {
            let (kind, title, msg) = match code {
                504 => (
                    ErrorCode::UpstreamTimeout,
                    "Gateway timeout",
                    "The application did not answer in time. Try again in a moment.",
                ),
                local_fault::STATUS => (
                    ErrorCode::ServiceUnavailable,
                    "Service unavailable",
                    "passgate is overloaded right now. Try again in a moment.",
                ),
                502 => (
                    ErrorCode::UpstreamUnavailable,
                    "Bad gateway",
                    "The application is not reachable right now. Try again in a moment.",
                ),
                400 => (
                    ErrorCode::BadRequest,
                    "Bad request",
                    "The request could not be read.",
                ),
                _ => (
                    ErrorCode::Internal,
                    "Error",
                    "passgate could not complete the request.",
                ),
            };
            let retry_after: &[(&str, &str)] = if code == local_fault::STATUS {
                &[("Retry-After", local_fault::RETRY_AFTER)]
            } else {
                &[]
            };
            if let Err(werr) =
                respond::error_with(session, code, kind, title, msg, retry_after).await
            {
                tracing::debug!(error = %werr, "could not write the error response");
            }
        }
        ctx.status = Some(code);
        FailToProxy {
            error_code: code,
            can_reuse_downstream: false,
        }
    }

    async fn logging(&self, session: &mut Session, e: Option<&Error>, ctx: &mut RequestCtx) {
        let status = session
            .response_written()
            .map(|r| r.status.as_u16())
            .or(ctx.status)
            .unwrap_or(0);
        let elapsed = ctx.start.elapsed();
        let metrics = match (&ctx.route, ctx.outcome) {
            (_, Outcome::Control) => &ctx.runtime.control_metrics,
            (Some(r), _) => &r.metrics,
            (None, _) => &ctx.runtime.unrouted_metrics,
        };
        metrics.observe(status, elapsed.as_secs_f64());
        if !ctx.runtime.config.server.access_log {
            return;
        }
        let req = session.req_header();
        let route = ctx.route.as_ref().map_or("-", |r| r.route.id.as_str());
        let upstream = match (ctx.route.as_ref(), ctx.peer) {
            (Some(r), Some(i)) => r.pool.peer(i).label.as_str(),
            _ => "-",
        };
        let identity = ctx.principal.as_ref().map_or("-", |p| p.username());
        tracing::info!(
            target: "passgate::access",
            method = %req.method,
            host = %request::host(req),
            path = req.uri.path(),
            status,
            route,
            upstream,
            outcome = ctx.outcome.as_str(),
            duration_ms = elapsed.as_secs_f64() * 1000.0,
            identity,
            error = e.map(|e| e.to_string()),
            "request"
        );
    }
}
