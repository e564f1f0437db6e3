//! The one request gate, shared by the proxy (`request_filter`) and forward-auth
//! (`/.passgate/verify`): route → session (an expired token re-issued inside, through the
//! one [`SessionRefresher`]) → policy → [`Action`]; then, for an allowed signed-in user, the
//! identity header set and assertion, built by [`identity_headers`] alone; and for a
//! browser that must sign in, the redirect target, built by [`login_location`] alone.
//! "Now" is the injected [`Clock`]'s. No store here: re-issuing goes through the trait the
//! control plane implements.

use std::borrow::Cow;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use pingora::http::RequestHeader;
use pingora::{Error, ErrorType};

use crate::clock::Clock;
use crate::config::{HostPattern, RequestPath, Route};
use crate::session::assertion;
use crate::session::keys::KeyRing;
use crate::session::{cookie, Principal};

use super::authn::{self, Authn, Refresh, SessionCheck, SessionRefresher};
use super::classify::{self, Action};
use super::headers;
use super::request;
use super::runtime::Runtime;

/// The request as the gate reads it.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    /// The request (for forward-auth: rebuilt from the proxy's headers).
    pub req: &'a RequestHeader,
    /// Its path as sent and in canonical form.
    pub path: RequestPath<'a>,
    /// Whether the client reached the site over https (the proxy's own TLS, or the original
    /// request's scheme for forward-auth).
    pub tls: bool,
    /// Whether a re-issued session cookie must carry `Secure`; `None`: as the request's own
    /// scheme and host say ([`cookie::needs_secure`]).
    pub cookie_secure: Option<bool>,
}

impl Ask<'_> {
    fn cookie_secure(&self) -> bool {
        self.cookie_secure
            .unwrap_or_else(|| cookie::needs_secure(self.tls, &request::host(self.req)))
    }
}

/// The gate's answer.
pub struct Decided {
    pub action: Action,
    /// `Set-Cookie` for a token re-issued on the way: sent with whatever the answer is, so
    /// the browser holds the new token.
    pub set_cookie: Option<String>,
}

impl From<Action> for Decided {
    fn from(action: Action) -> Self {
        Decided {
            action,
            set_cookie: None,
        }
    }
}

/// A decision waiting for a re-issue: the route found and the expired token.
pub struct Pending<'r, 'a> {
    route: &'r Arc<super::runtime::RouteRuntime>,
    token: &'a str,
}

/// Built once by the server and kept across reloads (the runtime inside is swapped).
pub struct Gate {
    runtime: Arc<ArcSwap<Runtime>>,
    check: SessionCheck,
    refresher: Arc<dyn SessionRefresher>,
    clock: Arc<dyn Clock>,
}

impl Gate {
    pub fn new(
        runtime: Arc<ArcSwap<Runtime>>,
        check: SessionCheck,
        refresher: Arc<dyn SessionRefresher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Gate {
            runtime,
            check,
            refresher,
            clock,
        }
    }

    /// The live runtime (routes of the current config).
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime.load_full()
    }

    /// Now, in seconds since the Unix epoch, by the gate's clock.
    #[inline]
    pub fn now(&self) -> u64 {
        self.clock.now_secs()
    }

    /// The decision for `ask` under `runtime` (the config the request is served under).
    /// Everything but a re-issue is synchronous ([`Gate::decide_now`]); only a token past
    /// its `exp` awaits the [`SessionRefresher`].
    pub async fn decide(&self, runtime: &Runtime, ask: &Ask<'_>) -> Decided {
        match self.decide_now(runtime, ask) {
            Ok(decided) => decided,
            Err(pending) => self.finish(runtime, ask, pending).await,
        }
    }

    /// The decision without awaiting: the whole of it for every request but one whose
    /// session token is past its `exp`, which comes back as [`Pending`] for
    /// [`Gate::finish`]. The per-request fast path (a cached session, no session, a public
    /// route) never builds a future.
    #[inline]
    pub fn decide_now<'r, 'a>(
        &self,
        runtime: &'r Runtime,
        ask: &Ask<'a>,
    ) -> Result<Decided, Pending<'r, 'a>> {
        let now = self.now();
        let route = match classify::route(runtime, ask.req, ask.path) {
            Ok(r) => r,
            Err(answer) => return Ok(answer.into()),
        };
        let principal = if !classify::reads_session(route, ask.path) {
            None
        } else {
            match authn::authenticate(ask.req, runtime, &self.check, now) {
                Authn::Verified(p) => Some(p),
                Authn::Missing => None,
                Authn::Expired(token) => return Err(Pending { route, token }),
            }
        };
        let action = classify::policy(runtime, route, principal, ask.req, ask.path, ask.tls, now);
        Ok(action.into())
    }

    /// The rest of a [`Pending`] decision: re-issue the expired token through the
    /// [`SessionRefresher`], then apply the route's policy to whoever it names (nobody when
    /// the session is gone).
    pub async fn finish(
        &self,
        runtime: &Runtime,
        ask: &Ask<'_>,
        pending: Pending<'_, '_>,
    ) -> Decided {
        let secure = ask.cookie_secure();
        let mut set_cookie = None;
        let principal = match self.refresher.refresh(pending.token, secure).await {
            Refresh::Reissued(r) => {
                set_cookie = Some(r.set_cookie);
                Some(r.principal)
            }
            Refresh::Kept(p) => Some(p),
            Refresh::Denied => None,
            Refresh::Unavailable => {
                return Action::Unavailable {
                    route: pending.route.clone(),
                }
                .into()
            }
        };
        let now = self.now();
        let action = classify::policy(
            runtime,
            pending.route,
            principal,
            ask.req,
            ask.path,
            ask.tls,
            now,
        );
        Decided { action, set_cookie }
    }

    /// The identity headers for `p` on `route` (see [`identity_headers`]), signed with the
    /// live key and the runtime's issuer at the gate's now. The key ring, the clock and
    /// the request's host (`req_host`) are read only for a route that sends the assertion:
    /// the plain signed-in request pays for none of them.
    pub fn identity_headers<'h>(
        &self,
        runtime: &Runtime,
        route: &Route,
        p: &Principal,
        req_host: impl FnOnce() -> Cow<'h, str>,
        mut put: impl FnMut(&HeaderName, &Bytes, HeaderValue) -> pingora::Result<()>,
    ) -> pingora::Result<()> {
        if !route.assertion {
            return put_identity(route, p, &mut put);
        }
        let ring = self.check.keys.load();
        let signer = Signer {
            ring: &ring,
            issuer: runtime.verifier.issuer(),
        };
        identity_headers(route, p, &signer, &req_host(), self.now(), put)
    }
}

/// What signs assertions: the current key ring and the gateway's issuer.
pub struct Signer<'a> {
    pub ring: &'a KeyRing,
    pub issuer: &'a str,
}

/// The assertion header's name as Pingora's case-preserving map takes it.
const ASSERTION_WIRE: &[u8] = b"X-Passgate-Jwt-Assertion";

/// The identity header set for `p` on `route`, the one both planes send: the route's
/// headers in order (claims `p` lacks, or whose value is unsafe, are left out), then
/// `X-Passgate-Jwt-Assertion` when the route asks for it (`aud`: the route's host, or
/// `req_host` for a wildcard route). Each header goes to `put` as (name, the name's bytes
/// as configured, value). A signing failure fails the request rather than forwarding it
/// without the assertion the app expects.
pub fn identity_headers(
    route: &Route,
    p: &Principal,
    signer: &Signer<'_>,
    req_host: &str,
    now: u64,
    mut put: impl FnMut(&HeaderName, &Bytes, HeaderValue) -> pingora::Result<()>,
) -> pingora::Result<()> {
    put_identity(route, p, &mut put)?;
    if route.assertion {
        let aud = match &route.host {
            HostPattern::Exact(h) => h.as_str(),
            _ => req_host,
        };
        match assertion::for_principal(signer.ring, signer.issuer, aud, p, now) {
            Ok(v) => {
                const NAME: HeaderName = HeaderName::from_static(assertion::HEADER);
                put(&NAME, &Bytes::from_static(ASSERTION_WIRE), v)?;
            }
            Err(e) => {
                tracing::error!(route = %route.id, error = %e, "could not sign the assertion");
                return Err(Error::explain(
                    ErrorType::InternalError,
                    "assertion signing failed",
                ));
            }
        }
    }
    Ok(())
}

/// The route's identity headers for `p` (without the assertion), in order; claims `p`
/// lacks, or whose value is unsafe, are left out.
#[inline]
fn put_identity(
    route: &Route,
    p: &Principal,
    put: &mut impl FnMut(&HeaderName, &Bytes, HeaderValue) -> pingora::Result<()>,
) -> pingora::Result<()> {
    let ids = &route.identity;
    for ((name, claim), wire) in ids.set.iter().zip(&ids.wire) {
        if let Some(v) = headers::claim_value(p, *claim) {
            put(name, wire, v)?;
        }
    }
    Ok(())
}

/// The 403 page's "Switch account" link: the route's sign-in page (its `login_url`, else
/// `/.passgate/login`), with the URL the browser asked for in `rd` when it navigated.
/// Relative, so it works on the app's host through either plane.
pub fn switch_account_location(route: &Route, original_url: Option<&str>) -> String {
    match original_url {
        Some(url) => route.login_location(url),
        None => route
            .login_url
            .clone()
            .unwrap_or_else(|| "/.passgate/login".to_string()),
    }
}

/// Where a browser that must sign in is sent: the route's sign-in page
/// ([`Route::login_location`]: its `login_url`, else `/.passgate/login`), carrying the URL
/// it asked for in `rd`. `origin` (`scheme://host`) makes the location absolute
/// (forward-auth: the answer goes through another proxy); the proxy answers on the same
/// host and leaves it relative. Both planes take the target from here.
pub fn login_location(route: &Route, original_url: &str, origin: Option<&str>) -> String {
    let path = route.login_location(original_url);
    match origin {
        Some(o) => format!("{o}{path}"),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::keys::KeyMaterial;

    fn route(extra: &str) -> Route {
        let cfg = crate::config::from_str(
            &format!("public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n[[routes]]\nhost = \"*\"\nupstream = \"http://127.0.0.1:2\"\n{extra}"),
            std::path::Path::new("."),
        )
        .unwrap();
        (*cfg.routes[0]).clone()
    }

    fn alice(email: Option<&str>) -> Principal {
        Principal::new(crate::session::principal::Parts {
            identity_id: "id1",
            realm: "default",
            username: "alice",
            email,
            groups: &["staff".to_string(), "ops".to_string()],
            session_id: "s1",
            auth_time: 0,
            expires_at: u64::MAX,
        })
    }

    fn collect(route: &Route, p: &Principal) -> pingora::Result<Vec<(String, String)>> {
        let ring = KeyRing::new(&[KeyMaterial::generate(1).unwrap()]);
        let signer = Signer {
            ring: &ring,
            issuer: "https://auth.test",
        };
        let mut out = Vec::new();
        identity_headers(route, p, &signer, "app.test", 100, |n, wire, v| {
            assert_eq!(
                n.as_str(),
                String::from_utf8_lossy(wire).to_ascii_lowercase()
            );
            out.push((n.to_string(), v.to_str().unwrap().to_string()));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn the_identity_header_set_in_order_with_the_assertion_last() {
        let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        let plain = collect(&route(""), &alice(Some("alice@example.com"))).unwrap();
        let want: Vec<(String, String)> = [
            ("x-passgate-user", "alice"),
            ("x-passgate-email", "alice@example.com"),
            ("x-passgate-groups", "staff,ops"),
            ("x-passgate-identity", "id1"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(plain, want);
        let no_email = collect(&route(""), &alice(None)).unwrap();
        assert!(!names(&no_email).contains(&"x-passgate-email".to_string()));
        let asserted = collect(&route("assertion = true\n"), &alice(None)).unwrap();
        assert_eq!(names(&asserted).last().unwrap(), assertion::HEADER);
        assert_eq!(&asserted[..asserted.len() - 1], &no_email[..]);
    }

    #[test]
    fn the_login_location_carries_the_original_url() {
        let r = &route("");
        assert_eq!(
            login_location(r, "http://a.test/x?y=1&z", None),
            "/.passgate/login?rd=http%3A%2F%2Fa.test%2Fx%3Fy%3D1%26z"
        );
        assert_eq!(
            login_location(r, "https://a.test/", Some("https://a.test")),
            "https://a.test/.passgate/login?rd=https%3A%2F%2Fa.test%2F"
        );
    }
}
