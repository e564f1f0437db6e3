//! Authentication step of the data plane: from the request's session cookie to a verified
//! [`Principal`]. Cookie → cache of verified principals (keyed by the exact token) → on a
//! miss, verify the token (pinned EdDSA, known `kid`, issuer, time) and cache it. No store
//! and no network here: a token past its `exp` is reported as [`Authn::Expired`], and the
//! gate ([`super::gate::Gate`]) asks the control plane's [`SessionRefresher`] to re-issue
//! it. Whether the session's realm is the route's is the policy's question
//! ([`super::authz::decide`]), asked once, not here.

use std::sync::Arc;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::http::RequestHeader;

use crate::metrics;
use crate::session::cache::PrincipalCache;
use crate::session::keys::KeyRing;
use crate::session::token::TokenError;
use crate::session::{cookie, Principal};

use super::runtime::Runtime;

/// What the data plane checks sessions against: built once by the server and kept across
/// reloads. The control plane keeps both current (key rotation, revocations).
pub struct SessionCheck {
    pub cache: Arc<PrincipalCache>,
    pub keys: Arc<ArcSwap<KeyRing>>,
}

/// A token re-issued for an expired one.
pub struct Refreshed {
    pub principal: Arc<Principal>,
    /// To add to the response, so the browser holds the new token.
    pub set_cookie: String,
}

/// What re-issuing an expired token gave.
pub enum Refresh {
    Reissued(Refreshed),
    /// The store is out and the token is within `session.outage_grace`: it still stands
    /// (no new cookie).
    Kept(Arc<Principal>),
    /// The session has ended (or the token is not ours): the user signs in again.
    Denied,
    /// The store is out and the token is past the grace: nothing is known (`503`).
    Unavailable,
}

/// Implemented by the control plane: re-issues an expired but genuine token while its
/// server-side session is valid (at most one store read per token lifetime per session).
#[async_trait]
pub trait SessionRefresher: Send + Sync {
    /// `secure`: whether the new cookie must carry `Secure`.
    async fn refresh(&self, expired_token: &str, secure: bool) -> Refresh;
}

/// The outcome of the synchronous check.
pub enum Authn<'a> {
    Verified(Arc<Principal>),
    /// Genuine but past `exp`: re-issue this token (see [`SessionRefresher`]).
    Expired(&'a str),
    /// No cookie, or one that does not verify (never an error: the request is challenged).
    Missing,
}

/// The session cookie's value, if any.
#[inline]
pub fn session_token<'a>(req: &'a RequestHeader, runtime: &Runtime) -> Option<&'a str> {
    cookie::find(&req.headers, &runtime.config.session.cookie_name)
}

/// Checks the request's session at `now` (seconds since the epoch), whatever its realm.
pub fn authenticate<'a>(
    req: &'a RequestHeader,
    runtime: &Runtime,
    check: &SessionCheck,
    now: u64,
) -> Authn<'a> {
    let Some(token) = session_token(req, runtime) else {
        return Authn::Missing;
    };
    if let Some(p) = check.cache.get(token) {
        if p.expires_at > now {
            metrics::events().session_cache(true);
            return Authn::Verified(p);
        }
    }
    metrics::events().session_cache(false);
    match runtime.verifier.verify(&check.keys.load(), token, now) {
        Ok(claims) => {
            let p = Arc::new(Principal::from_claims(&claims));
            if check.cache.is_revoked(&p) {
                return Authn::Missing;
            }
            check.cache.insert(token, p.clone());
            Authn::Verified(p)
        }
        Err(TokenError::Expired) => Authn::Expired(token),
        Err(e) => {
            tracing::debug!(error = %e, "session cookie rejected");
            Authn::Missing
        }
    }
}
