//! Server-side sessions and the tokens they issue. [`SessionService::start`] creates a
//! session after a passkey binding and signs its first token, [`SessionService::finish_sign_in`]
//! the same after a sign-in (the session written in the sign-in's own transaction); [`SessionService::refresh`]
//! re-issues an expired token while the session is valid (at most one store read per token
//! lifetime per session); revocation writes the store's feed and invalidates this
//! instance's cache at once; [`SessionService::sync`] (every second, in the background)
//! applies other instances' revocations, follows key rotation and prunes.
//!
//! Who calls what: `bind/finish` calls `start`, `authenticate/finish` calls
//! `finish_sign_in`, and both answer with `set_cookie`; the data plane calls `refresh` (through a trait
//! it defines) for an expired token; sign-out and the admin API call `sign_out` / `revoke`.

mod admin;
mod outage;
mod refresh;
mod sync;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use webauthn_rs::prelude::PublicKeyCredential;

use super::oidc::keys::{self as oidc_keys, OidcKeyRing};
use super::signin_ceremony::SignInOutcome;
use super::{ids, signing_keys, Directory, IdmError};
use crate::config::{Config, SessionSettings};
use crate::session::cache::PrincipalCache;
use crate::session::keys::KeyRing;
use crate::session::token::{self, TokenVerifier};
use crate::session::{cookie, Principal};
use crate::store::{IdentityRecord, RevokeTarget, SessionRecord, StoreError};

const US: i64 = 1_000_000;
/// Revocations are re-read for this long after they were written, so a transaction that
/// committed late (after a later sequence number was seen) is not missed.
const FEED_WINDOW: Duration = Duration::from_secs(10);
/// Most groups a token carries.
const GROUPS_MAX: u32 = 200;
/// How long a session found ended is remembered without asking the store again.
const ENDED_MEMORY: Duration = Duration::from_secs(600);

fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn secs(us_: i64) -> u64 {
    u64::try_from(us_.div_euclid(US)).unwrap_or(0)
}

/// How a user-verified passkey sign-in authenticated (RFC 8176).
pub const PASSKEY_AMR: &[&str] = &["hwk", "user"];

/// The session a passkey ceremony starts for `identity` at `now`, lasting `ttl`; `credential`
/// is the passkey's `credentials.id` (revoking the passkey ends the session).
fn new_session(
    identity: &IdentityRecord,
    now: i64,
    ttl: Duration,
    amr: &[&str],
    credential: Option<&str>,
) -> Result<SessionRecord, IdmError> {
    Ok(SessionRecord {
        id: ids::new_id()?,
        tenant_id: identity.tenant_id.clone(),
        realm_id: identity.realm_id.clone(),
        identity_id: identity.id.clone(),
        create_us: now,
        expire_us: now.saturating_add(us(ttl)),
        revoke_us: None,
        auth_us: now,
        last_seen_us: now,
        amr: serde_json::to_string(amr).unwrap_or_else(|_| "[]".into()),
        credential_id: credential.map(str::to_string),
    })
}

/// A session just started (or a token just re-issued): the token and what it stands for.
#[derive(Clone)]
pub struct IssuedSession {
    pub token: String,
    pub session: SessionRecord,
    pub principal: Arc<Principal>,
    /// How long the cookie should live: until the session's absolute end (an expired token
    /// in it is what the session is re-issued from).
    pub cookie_max_age: Duration,
}

impl std::fmt::Debug for IssuedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSession")
            .field("token", &"<redacted>")
            .field("session", &self.session.id)
            .field("identity", &self.session.identity_id)
            .finish()
    }
}

/// Why a token could not be re-issued (logged at debug; the user signs in again).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshDenied {
    #[error("token not verifiable: {0}")]
    Token(#[from] token::TokenError),
    #[error("token still valid")]
    NotExpired,
    #[error("session ended: {0}")]
    Ended(&'static str),
    /// The store could not be reached (or did not answer in time): nothing is known about
    /// the session.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Store(String),
}

pub use outage::Renewal;

/// What depends on the config (rebuilt on reload).
struct Params {
    settings: SessionSettings,
    verifier: TokenVerifier,
    /// Longest a re-issue may wait for the store (`store.connect_timeout` +
    /// `store.timeout`) before it counts as unavailable.
    store_deadline: Duration,
    /// How long an OIDC key stays published after it stopped signing.
    oidc_keep_for: Duration,
    /// OIDC clients are configured: ID-token keys are made and rotated.
    oidc_keys_needed: bool,
}

impl Params {
    fn of(config: &Config) -> Params {
        Params {
            settings: config.session.clone(),
            verifier: TokenVerifier::new(&token::issuer(&config.public_url)),
            store_deadline: config
                .store
                .connect_timeout
                .saturating_add(config.store.timeout),
            oidc_keep_for: config.oidc.access_token_ttl + Duration::from_secs(token::SKEW_SECS),
            oidc_keys_needed: !config.oidc.clients.is_empty(),
        }
    }
}

/// Where the revocation feed was read up to.
#[derive(Default)]
struct FeedCursor {
    last_seq: i64,
    ticks: u64,
}

pub struct SessionService {
    directory: Arc<Directory>,
    keys: Arc<ArcSwap<KeyRing>>,
    /// The OpenID Connect provider's ID-token keys (rotated with the session keys).
    oidc_keys: Arc<ArcSwap<OidcKeyRing>>,
    cache: Arc<PrincipalCache>,
    params: ArcSwap<Params>,
    /// Re-issued tokens by session id, until they expire: concurrent and later refreshes of
    /// the same session share one store read.
    reissued: moka::future::Cache<String, Arc<IssuedSession>>,
    /// Sessions found ended, by id: a browser that keeps sending a dead session's token
    /// costs no further store reads (for [`ENDED_MEMORY`]).
    ended: moka::sync::Cache<String, &'static str>,
    cursor: Mutex<FeedCursor>,
}

impl SessionService {
    /// Loads (creating the first when there is none) the signing keys. `cache` is the data
    /// plane's principal cache, `keys` the ring it verifies with: both are kept current here.
    pub async fn open(
        directory: Arc<Directory>,
        cache: Arc<PrincipalCache>,
        config: &Config,
    ) -> Result<SessionService, IdmError> {
        let now = directory.now_us();
        let store = directory.store();
        let mut records = store.list_signing_keys().await?;
        if records.is_empty() {
            signing_keys::add_key(store.as_ref(), now, Duration::ZERO, None).await?;
            records = store.list_signing_keys().await?;
        }
        let ring = signing_keys::ring(&records, now)?;
        let params = Params::of(config);
        let oidc = oidc_keys::maintain(
            store.as_ref(),
            now,
            None,
            params.oidc_keep_for,
            params.oidc_keys_needed,
        )
        .await?;
        let oidc_ring = OidcKeyRing::new(&oidc, now)?;
        let token_ttl = config.session.token_ttl;
        directory.attach_cache(cache.clone());
        Ok(SessionService {
            directory,
            keys: Arc::new(ArcSwap::from_pointee(ring)),
            oidc_keys: Arc::new(ArcSwap::from_pointee(oidc_ring)),
            cache,
            params: ArcSwap::from_pointee(params),
            reissued: moka::future::Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(token_ttl)
                .build(),
            ended: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(ENDED_MEMORY)
                .build(),
            cursor: Mutex::new(FeedCursor::default()),
        })
    }

    /// Applies a reloaded config (cookie, lifetimes, issuer).
    pub fn reconfigure(&self, config: &Config) {
        self.params.store(Arc::new(Params::of(config)));
        self.cache
            .token_lifetime_is(config.session.token_ttl + config.session.outage_grace);
    }

    /// The OpenID Connect provider's key ring (replaced on rotation).
    pub fn oidc_keys(&self) -> Arc<OidcKeyRing> {
        self.oidc_keys.load_full()
    }

    /// The key ring the data plane verifies with (replaced on rotation).
    pub fn keys(&self) -> Arc<ArcSwap<KeyRing>> {
        self.keys.clone()
    }

    pub fn cache(&self) -> &Arc<PrincipalCache> {
        &self.cache
    }

    pub fn settings(&self) -> SessionSettings {
        self.params.load().settings.clone()
    }

    /// Starts a session for `identity` (which must be active) after a passkey ceremony.
    /// `amr` as in RFC 8176 (`["hwk", "user"]` for a user-verified passkey); `credential`
    /// is the passkey's `credentials.id`, so revoking the passkey ends the session.
    pub async fn start(
        &self,
        identity: &IdentityRecord,
        amr: &[&str],
        credential: Option<&str>,
    ) -> Result<IssuedSession, IdmError> {
        if !identity.status.is_active() {
            return Err(IdmError::Forbidden("the identity is suspended".into()));
        }
        let now = self.directory.now_us();
        let ttl = self.params.load().settings.ttl;
        let session = new_session(identity, now, ttl, amr, credential)?;
        self.directory.store().create_session(&session).await?;
        self.issue(identity, session, now).await
    }

    /// `authenticate/finish`: verifies the assertion for the single-use ceremony and, in
    /// the same store transaction that uses the ceremony up and records the passkey's use,
    /// starts the session (amr `["hwk", "user"]`); then signs its first token.
    pub async fn finish_sign_in(
        &self,
        config: &Config,
        ceremony: &str,
        response: PublicKeyCredential,
    ) -> Result<(SignInOutcome, IssuedSession), IdmError> {
        let ttl = self.params.load().settings.ttl;
        let (outcome, session) = self
            .directory
            .finish_sign_in(config, ceremony, response, |identity, credential, now| {
                new_session(identity, now, ttl, PASSKEY_AMR, Some(credential))
            })
            .await?;
        let now = session.create_us;
        let issued = self.issue(&outcome.identity, session, now).await?;
        Ok((outcome, issued))
    }

    /// `Set-Cookie` for a started or re-issued session. `secure`: see [`cookie::needs_secure`].
    pub fn set_cookie(&self, issued: &IssuedSession, secure: bool) -> String {
        let params = self.params.load();
        cookie::set(
            &params.settings,
            &issued.token,
            issued.cookie_max_age,
            secure,
        )
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_cookie(&self, secure: bool) -> String {
        cookie::clear(&self.params.load().settings, secure)
    }

    /// The session token in a request's cookies, if any.
    pub fn token_in<'a>(&self, headers: &'a http::HeaderMap) -> Option<&'a str> {
        cookie::find(headers, &self.params.load().settings.cookie_name)
    }

    /// The identity behind a valid token whose session stands (checked in the store); an
    /// expired one is re-issued when its session is still valid (then the second value is
    /// the new session to set as cookie).
    pub async fn current(
        &self,
        token: &str,
    ) -> Result<(Arc<Principal>, Option<IssuedSession>), IdmError> {
        let now = self.directory.now_us();
        let params = self.params.load();
        match params.verifier.verify(&self.keys.load(), token, secs(now)) {
            Ok(claims) => {
                // Not the fast path: the store is asked whether the session still stands.
                let session = match self.directory.store().get_session(&claims.sid).await {
                    Ok(s) => s,
                    Err(StoreError::NotFound(_)) => return Err(IdmError::Unauthenticated),
                    Err(StoreError::Unavailable(m)) => {
                        // As on the fast path: a valid token not revoked in memory stands.
                        tracing::debug!(error = %m, "session read from the token: store unavailable");
                        let p = Principal::from_claims(&claims);
                        if self.cache.is_revoked(&p) {
                            return Err(IdmError::Unauthenticated);
                        }
                        return Ok((Arc::new(p), None));
                    }
                    Err(e) => return Err(e.into()),
                };
                let live = session.revoke_us.is_none()
                    && session.expire_us > now
                    && session.identity_id == claims.sub
                    && session.realm_id == claims.realm;
                let p = Principal::from_claims(&claims);
                if !live || self.cache.is_revoked(&p) {
                    return Err(IdmError::Unauthenticated);
                }
                Ok((Arc::new(p), None))
            }
            Err(token::TokenError::Expired) => match self.renew(token).await {
                Ok(Renewal::Reissued(issued)) => {
                    Ok((issued.principal.clone(), Some((*issued).clone())))
                }
                Ok(Renewal::Kept(p)) => Ok((p, None)),
                Err(RefreshDenied::Unavailable(m)) => Err(IdmError::Unavailable(m)),
                Err(_) => Err(IdmError::Unauthenticated),
            },
            Err(_) => Err(IdmError::Unauthenticated),
        }
    }

    /// Ends the session a token (valid or expired, but genuine) belongs to. `Ok(false)` when
    /// the token is not one of ours (nothing to end).
    pub async fn sign_out(&self, token: &str) -> Result<bool, IdmError> {
        let now = self.directory.now_us();
        let claims = {
            let params = self.params.load();
            match params
                .verifier
                .verify_signed(&self.keys.load(), token, secs(now))
            {
                Ok(c) => c,
                Err(_) => return Ok(false),
            }
        };
        self.revoke(&RevokeTarget::Session(claims.sid), None)
            .await?;
        Ok(true)
    }

    /// Revokes in the store (other instances see it within about a second) and in this
    /// instance's cache at once. Returns the sessions ended.
    pub async fn revoke(
        &self,
        target: &RevokeTarget,
        audit: Option<&crate::store::AuditRecord>,
    ) -> Result<Vec<String>, IdmError> {
        let now = self.directory.now_us();
        let ended = self
            .directory
            .store()
            .revoke_sessions(target, now, audit)
            .await?;
        match target {
            RevokeTarget::Identity(id) => {
                let at = u64::try_from(now / 1_000_000).unwrap_or(0);
                self.cache.revoke_identity_at(id, at);
            }
            _ => {
                for sid in &ended {
                    self.cache.revoke_session(sid);
                }
            }
        }
        for sid in &ended {
            self.reissued.invalidate(sid).await;
        }
        Ok(ended)
    }
}
