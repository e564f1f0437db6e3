//! Server-side sessions and the tokens they issue. [`SessionService::start`] creates a
//! session after a passkey ceremony and signs its first token; [`SessionService::refresh`]
//! re-issues an expired token while the session is valid (at most one store read per token
//! lifetime per session); revocation writes the store's feed and invalidates this
//! instance's cache at once; [`SessionService::sync`] (every second, in the background)
//! applies other instances' revocations, follows key rotation and prunes.
//!
//! Who calls what: a successful ceremony (`bind/finish`, `authenticate/finish`) calls
//! `start` and answers with `set_cookie`; the data plane calls `refresh` (through a trait
//! it defines) for an expired token; sign-out and the admin API call `sign_out` / `revoke`.

mod admin;
mod sync;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use super::{ids, signing_keys, Directory, IdmError};
use crate::config::{Config, SessionSettings};
use crate::idm::types::CredentialState;
use crate::session::cache::PrincipalCache;
use crate::session::claims::SessionClaims;
use crate::session::keys::KeyRing;
use crate::session::token::{self, TokenVerifier};
use crate::session::{cookie, Principal};
use crate::store::{IdentityRecord, PageRequest, RevokeTarget, SessionRecord, StoreError};

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
    #[error("{0}")]
    Store(String),
}

/// What depends on the config (rebuilt on reload).
struct Params {
    settings: SessionSettings,
    verifier: TokenVerifier,
}

impl Params {
    fn of(config: &Config) -> Params {
        Params {
            settings: config.session.clone(),
            verifier: TokenVerifier::new(&token::issuer(&config.public_url)),
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
        let token_ttl = config.session.token_ttl;
        directory.attach_cache(cache.clone());
        Ok(SessionService {
            directory,
            keys: Arc::new(ArcSwap::from_pointee(ring)),
            cache,
            params: ArcSwap::from_pointee(Params::of(config)),
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
        self.cache.token_lifetime_is(config.session.token_ttl);
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
        let params = self.params.load();
        let session = SessionRecord {
            id: ids::new_id()?,
            tenant_id: identity.tenant_id.clone(),
            realm_id: identity.realm_id.clone(),
            identity_id: identity.id.clone(),
            create_us: now,
            expire_us: now.saturating_add(us(params.settings.ttl)),
            revoke_us: None,
            auth_us: now,
            last_seen_us: now,
            amr: serde_json::to_string(amr).unwrap_or_else(|_| "[]".into()),
            credential_id: credential.map(str::to_string),
        };
        self.directory.store().create_session(&session).await?;
        self.issue(identity, session, now).await
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
            Err(token::TokenError::Expired) => match self.refresh(token).await {
                Ok(issued) => Ok((issued.principal.clone(), Some((*issued).clone()))),
                Err(_) => Err(IdmError::Unauthenticated),
            },
            Err(_) => Err(IdmError::Unauthenticated),
        }
    }

    /// Re-issues an expired token whose session is still valid: signature, issuer and `kid`
    /// checked as always; the session must be neither revoked nor past its absolute end or
    /// idle timeout; the identity must be active and the passkey it began with not revoked. Groups and email are read afresh. The new
    /// token is put in the cache.
    pub async fn refresh(&self, expired: &str) -> Result<Arc<IssuedSession>, RefreshDenied> {
        let now = self.directory.now_us();
        let claims = {
            let params = self.params.load();
            params
                .verifier
                .verify_signed(&self.keys.load(), expired, secs(now))?
        };
        if claims.exp > secs(now) {
            return Err(RefreshDenied::NotExpired);
        }
        let old = Principal::from_claims(&claims);
        if self.cache.is_revoked(&old) {
            return Err(RefreshDenied::Ended("revoked"));
        }
        let sid = claims.sid.clone();
        if let Some(reason) = self.ended.get(&sid) {
            return Err(RefreshDenied::Ended(reason));
        }
        if let Some(cached) = self.reissued.get(&sid).await {
            // Time here is the clock's, not the cache's: drop a re-issue that has expired.
            if cached.principal.expires_at <= secs(now) {
                self.reissued.invalidate(&sid).await;
            }
        }
        let issued = match self
            .reissued
            .try_get_with(sid.clone(), self.reissue(claims, now))
            .await
        {
            Ok(i) => i,
            Err(e) => {
                if let RefreshDenied::Ended(reason) = &*e {
                    self.ended.insert(sid, reason);
                }
                return Err((*e).clone());
            }
        };
        if self.cache.is_revoked(&issued.principal)
            || issued.principal.identity_id != old.identity_id
        {
            return Err(RefreshDenied::Ended("revoked"));
        }
        Ok(issued)
    }

    async fn reissue(
        &self,
        claims: SessionClaims,
        now: i64,
    ) -> Result<Arc<IssuedSession>, RefreshDenied> {
        let store = self.directory.store();
        let denied = |e: StoreError| match e {
            StoreError::NotFound(_) => RefreshDenied::Ended("gone"),
            other => RefreshDenied::Store(other.to_string()),
        };
        let session = store.get_session(&claims.sid).await.map_err(denied)?;
        let idle = us(self.params.load().settings.idle_timeout);
        if session.identity_id != claims.sub || session.realm_id != claims.realm {
            return Err(RefreshDenied::Ended("mismatch"));
        }
        if session.revoke_us.is_some() {
            return Err(RefreshDenied::Ended("revoked"));
        }
        if session.expire_us <= now {
            return Err(RefreshDenied::Ended("expired"));
        }
        if session.last_seen_us.saturating_add(idle) <= now {
            return Err(RefreshDenied::Ended("idle"));
        }
        let identity = store
            .get_identity(&session.tenant_id, &session.realm_id, &session.identity_id)
            .await
            .map_err(denied)?;
        if !identity.status.is_active() {
            return Err(RefreshDenied::Ended("identity not active"));
        }
        if let Some(cid) = &session.credential_id {
            let passkey = store
                .get_credential(&session.tenant_id, &session.realm_id, cid)
                .await
                .map_err(denied)?;
            if passkey.state != CredentialState::Active {
                return Err(RefreshDenied::Ended("passkey revoked"));
            }
        }
        store
            .touch_session(&session.id, now)
            .await
            .map_err(denied)?;
        let issued = self
            .issue(&identity, session, now)
            .await
            .map_err(|e| RefreshDenied::Store(e.to_string()))?;
        self.cache.insert(&issued.token, issued.principal.clone());
        Ok(Arc::new(issued))
    }

    /// Signs a token for `session` with the identity's current groups and email.
    async fn issue(
        &self,
        identity: &IdentityRecord,
        session: SessionRecord,
        now: i64,
    ) -> Result<IssuedSession, IdmError> {
        let params = self.params.load();
        let groups = self
            .directory
            .store()
            .list_identity_groups(&identity.id, PageRequest::first(GROUPS_MAX))
            .await?
            .items
            .into_iter()
            .map(|g| g.display_name)
            .collect();
        let token_end = now
            .saturating_add(us(params.settings.token_ttl))
            .min(session.expire_us);
        let claims = SessionClaims {
            iss: params.verifier.issuer().to_string(),
            sub: identity.id.clone(),
            realm: identity.realm_id.clone(),
            sid: session.id.clone(),
            username: identity.traits.username.clone(),
            email: identity.traits.primary_email_address.clone(),
            groups,
            iat: secs(now),
            nbf: secs(now),
            exp: secs(token_end),
            auth_time: secs(session.auth_us),
            amr: serde_json::from_str(&session.amr).unwrap_or_default(),
        };
        let token = token::sign(&self.keys.load(), &claims)
            .map_err(|e| IdmError::Internal(e.to_string()))?;
        let cookie_max_age =
            Duration::from_micros(u64::try_from(session.expire_us - now).unwrap_or(0));
        Ok(IssuedSession {
            token,
            principal: Arc::new(Principal::from_claims(&claims)),
            session,
            cookie_max_age,
        })
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
            RevokeTarget::Identity(id) => self.cache.revoke_identity(id),
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
