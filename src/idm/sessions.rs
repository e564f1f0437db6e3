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

use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use serde_json::{json, Value};

use super::clock::rfc3339;
use super::{ids, signing_keys, Directory, IdmError, Scope};
use crate::config::{Config, SessionSettings};
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
            cursor: Mutex::new(FeedCursor::default()),
        })
    }

    /// Applies a reloaded config (cookie, lifetimes, issuer).
    pub fn reconfigure(&self, config: &Config) {
        self.params.store(Arc::new(Params::of(config)));
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

    /// `/.passgate/jwks.json`.
    pub fn jwks(&self) -> Value {
        self.keys.load().jwks()
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
        if identity.status != "active" {
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
            amr: Value::from(amr.to_vec()).to_string(),
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
        if let Some(cached) = self.reissued.get(&sid).await {
            // Time here is the clock's, not the cache's: drop a re-issue that has expired.
            if cached.principal.expires_at <= secs(now) {
                self.reissued.invalidate(&sid).await;
            }
        }
        let issued = self
            .reissued
            .try_get_with(sid, self.reissue(claims, now))
            .await
            .map_err(|e| (*e).clone())?;
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
        if identity.status != "active" {
            return Err(RefreshDenied::Ended("suspended"));
        }
        if let Some(cid) = &session.credential_id {
            let passkey = store
                .get_credential(&session.tenant_id, &session.realm_id, cid)
                .await
                .map_err(denied)?;
            if passkey.state != super::credentials::ACTIVE {
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
            .list_identity_groups(
                identity,
                PageRequest {
                    size: GROUPS_MAX,
                    after: None,
                },
            )
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
            username: identity.username.clone(),
            email: identity.primary_email_address.clone(),
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

    /// Admin API: the identity's live sessions.
    pub async fn list_sessions(&self, at: &Scope<'_>, identity: &str) -> Result<Value, IdmError> {
        let store = self.directory.store();
        store.get_identity(at.tenant, at.realm, identity).await?;
        let now = self.directory.now_us();
        let sessions = store.list_live_sessions(identity, now).await?;
        Ok(json!({
            "sessions": sessions.iter().map(session_json).collect::<Vec<_>>(),
            "total_size": sessions.len(),
        }))
    }

    /// Admin API: ends one session of the identity (`Some(id)`) or all of them; audited.
    pub async fn revoke_sessions(
        &self,
        at: &Scope<'_>,
        identity: &str,
        session: Option<&str>,
    ) -> Result<Value, IdmError> {
        let store = self.directory.store();
        store.get_identity(at.tenant, at.realm, identity).await?;
        let target = match session {
            Some(sid) => {
                let s = store.get_session(sid).await?;
                if s.identity_id != identity {
                    return Err(IdmError::NotFound("session".into()));
                }
                RevokeTarget::Session(sid.to_string())
            }
            None => RevokeTarget::Identity(identity.to_string()),
        };
        let targets = match &target {
            RevokeTarget::Session(sid) => vec![identity.to_string(), sid.clone()],
            _ => vec![identity.to_string()],
        };
        let audit = self
            .directory
            .audit(at.change("session.revoke", targets, None, None))?;
        let ended = self.revoke(&target, Some(&audit)).await?;
        Ok(json!({ "revoked_session_ids": ended }))
    }

    /// One background round: follow key changes (rotating when `session.key_rotation` is
    /// due, pruning keys no token can need), apply new revocations to the cache, and every
    /// minute prune old sessions and feed entries.
    pub async fn sync(&self) -> Result<(), IdmError> {
        let now = self.directory.now_us();
        let settings = self.settings();
        let store = self.directory.store();

        let mut records = store.list_signing_keys().await?;
        if signing_keys::rotation_due(&records, now, settings.key_rotation) {
            let delay = if records.is_empty() {
                Duration::ZERO
            } else {
                signing_keys::ACTIVATION_DELAY
            };
            let kid = signing_keys::add_key(store.as_ref(), now, delay, None).await?;
            tracing::info!(kid, "session signing key rotated (session.key_rotation)");
            records = store.list_signing_keys().await?;
        }
        let keep_for = settings.ttl + Duration::from_secs(token::SKEW_SECS);
        let old = signing_keys::prunable(&records, now, keep_for);
        if !old.is_empty() {
            store.delete_signing_keys(&old).await?;
            records.retain(|r| !old.contains(&r.kid));
            tracing::info!(kids = ?old, "pruned signing keys no token can need");
        }
        let ring = signing_keys::ring(&records, now)?;
        let current = self.keys.load();
        if ring.kids() != current.kids() || ring.signing_kid() != current.signing_kid() {
            tracing::info!(signing = ?ring.signing_kid(), kids = ?ring.kids(), "session key ring updated");
            self.keys.store(Arc::new(ring));
        }

        let last_seq = self.cursor.lock().map(|c| c.last_seq).unwrap_or(0);
        let since = if last_seq == 0 {
            0
        } else {
            now - us(FEED_WINDOW)
        };
        let feed = store.revocations_since(last_seq, since).await?;
        for r in &feed {
            match r.kind.as_str() {
                "identity" => self.cache.revoke_identity(&r.target_id),
                _ => {
                    self.cache.revoke_session(&r.target_id);
                    self.reissued.invalidate(&r.target_id).await;
                }
            }
        }
        let prune = {
            let mut c = self
                .cursor
                .lock()
                .map_err(|_| IdmError::Internal("revocation cursor poisoned".into()))?;
            if let Some(max) = feed.iter().map(|r| r.seq).max() {
                c.last_seq = c.last_seq.max(max);
            }
            c.ticks += 1;
            c.ticks % 60 == 1
        };
        if prune {
            let keep = settings.token_ttl + Duration::from_secs(300);
            store.prune_sessions(now - us(keep)).await?;
        }
        Ok(())
    }

    /// `passgate keys rotate`: a new key, signing after `activate_in`; audited.
    pub async fn rotate(
        directory: &Directory,
        tenant: &str,
        actor: &str,
        activate_in: Duration,
    ) -> Result<String, IdmError> {
        let now = directory.now_us();
        let store = directory.store();
        signing_keys::add_key(store.as_ref(), now, activate_in, Some((tenant, actor))).await
    }

    /// `passgate keys list`: kid, created, signs-from, as JSON lines.
    pub async fn list_keys(directory: &Directory) -> Result<Vec<Value>, IdmError> {
        let records = directory.store().list_signing_keys().await?;
        Ok(records
            .iter()
            .map(|r| {
                json!({
                    "kid": r.kid,
                    "create_time": rfc3339(r.create_us),
                    "activate_time": rfc3339(r.activate_us),
                })
            })
            .collect())
    }
}

/// A session as the admin API shows it.
pub fn session_json(s: &SessionRecord) -> Value {
    json!({
        "id": s.id,
        "identity_id": s.identity_id,
        "realm_id": s.realm_id,
        "tenant_id": s.tenant_id,
        "create_time": rfc3339(s.create_us),
        "expire_time": rfc3339(s.expire_us),
        "auth_time": rfc3339(s.auth_us),
        "last_seen_time": rfc3339(s.last_seen_us),
        "amr": serde_json::from_str::<Value>(&s.amr).unwrap_or(Value::Null),
        "credential_id": s.credential_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idm::{Actor, Clock, ManualClock};
    use crate::store::{self, StoreOptions};

    const T0: i64 = 1_800_000_000 * US;

    struct Fixture {
        _dir: tempfile::TempDir,
        clock: Arc<ManualClock>,
        directory: Arc<Directory>,
        sessions: SessionService,
        config: Config,
        alice: IdentityRecord,
    }

    async fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::from_str(
            "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n\
             [session]\ntoken_ttl = \"60s\"\nidle_timeout = \"10m\"\nttl = \"1h\"\n",
            dir.path(),
        )
        .unwrap();
        let store = store::open(&StoreOptions {
            url: format!("sqlite://{}", dir.path().join("s.db").display()),
            max_connections: 2,
            connect_timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
        let clock = Arc::new(ManualClock::new(T0));
        let directory = Arc::new(Directory::new(store, clock.clone()));
        directory.sync_config_realms(&config).await.unwrap();
        let at = Scope {
            tenant: "default",
            realm: "default",
            actor: &Actor::Cli,
        };
        let created = directory
            .create_identity(&at, json!({"identity": {"traits": {"username": "alice"}}}))
            .await
            .unwrap();
        let alice = directory
            .store()
            .get_identity("default", "default", created["id"].as_str().unwrap())
            .await
            .unwrap();
        let cache = Arc::new(PrincipalCache::new(1000, config.session.token_ttl));
        let sessions = SessionService::open(directory.clone(), cache, &config)
            .await
            .unwrap();
        Fixture {
            _dir: dir,
            clock,
            directory,
            sessions,
            config,
            alice,
        }
    }

    fn verify(f: &Fixture, token: &str) -> Result<SessionClaims, token::TokenError> {
        TokenVerifier::new(&token::issuer(&f.config.public_url)).verify(
            &f.sessions.keys().load(),
            token,
            secs(f.clock.now_us()),
        )
    }

    #[tokio::test]
    async fn start_issues_a_verifiable_token_and_a_session_long_cookie() {
        let f = fixture().await;
        let issued = f
            .sessions
            .start(&f.alice, &["hwk", "user"], None)
            .await
            .unwrap();
        let c = verify(&f, &issued.token).unwrap();
        assert_eq!(c.sub, f.alice.id);
        assert_eq!(c.username, "alice");
        assert_eq!(c.iss, "http://localhost:8080");
        assert_eq!(c.exp - c.iat, 60);
        assert_eq!(c.amr, vec!["hwk", "user"]);
        assert_eq!(issued.cookie_max_age, Duration::from_secs(3600));
        let cookie = f.sessions.set_cookie(&issued, false);
        assert!(cookie.starts_with(&format!("passgate_session={}; ", issued.token)));
        assert!(cookie.contains("Max-Age=3600") && cookie.contains("HttpOnly"));
        assert!(!format!("{issued:?}").contains(&issued.token));
    }

    #[tokio::test]
    async fn expired_tokens_are_reissued_once_while_the_session_lives() {
        let f = fixture().await;
        let issued = f.sessions.start(&f.alice, &["hwk"], None).await.unwrap();
        assert!(matches!(
            f.sessions.refresh(&issued.token).await,
            Err(RefreshDenied::NotExpired)
        ));
        f.clock.advance_secs(61);
        assert_eq!(verify(&f, &issued.token), Err(token::TokenError::Expired));
        let again = f.sessions.refresh(&issued.token).await.unwrap();
        assert_ne!(again.token, issued.token);
        let c = verify(&f, &again.token).unwrap();
        assert_eq!(c.sid, issued.session.id);
        assert_eq!(c.auth_time, secs(T0));
        // A second refresh of the same session shares the first one's result.
        let third = f.sessions.refresh(&issued.token).await.unwrap();
        assert_eq!(third.token, again.token);
        assert!(f.sessions.cache().get(&again.token).is_some());
        // Idle for longer than idle_timeout: the session is over.
        f.clock.advance_secs(11 * 60);
        assert!(matches!(
            f.sessions.refresh(&again.token).await,
            Err(RefreshDenied::Ended("idle"))
        ));
    }

    #[tokio::test]
    async fn revocation_and_suspension_end_sessions() {
        let f = fixture().await;
        let a = f.sessions.start(&f.alice, &["hwk"], None).await.unwrap();
        let b = f
            .sessions
            .start(&f.alice, &["hwk"], Some("cred1"))
            .await
            .unwrap();
        f.sessions.cache().insert(&a.token, a.principal.clone());
        assert!(f.sessions.sign_out(&a.token).await.unwrap());
        f.sessions.cache().sync();
        assert!(f.sessions.cache().get(&a.token).is_none());
        assert!(!f.sessions.sign_out("not.a.token").await.unwrap());
        f.clock.advance_secs(61);
        assert!(f.sessions.refresh(&a.token).await.is_err());
        // Revoking the passkey ends the session started with it.
        let ended = f
            .sessions
            .revoke(&RevokeTarget::Credential("cred1".into()), None)
            .await
            .unwrap();
        assert_eq!(ended, vec![b.session.id.clone()]);
        assert!(f.sessions.refresh(&b.token).await.is_err());

        let c = f.sessions.start(&f.alice, &["hwk"], None).await.unwrap();
        let at = Scope {
            tenant: "default",
            realm: "default",
            actor: &Actor::Cli,
        };
        f.directory
            .patch_identity(
                &at,
                &f.alice.id,
                json!({"identity": {"status": "suspended"}}),
            )
            .await
            .unwrap();
        assert!(f.sessions.cache().is_revoked(&c.principal));
        f.clock.advance_secs(61);
        assert!(f.sessions.refresh(&c.token).await.is_err());
        let suspended = f
            .directory
            .store()
            .get_identity("default", "default", &f.alice.id)
            .await
            .unwrap();
        assert!(f.sessions.start(&suspended, &["hwk"], None).await.is_err());
        let listed = f.sessions.list_sessions(&at, &f.alice.id).await.unwrap();
        assert_eq!(listed["total_size"], 0);
    }

    #[tokio::test]
    async fn sync_follows_the_feed_and_rotation() {
        let f = fixture().await;
        let a = f.sessions.start(&f.alice, &["hwk"], None).await.unwrap();
        // Another instance (same store, its own cache) revokes; this one learns by syncing.
        let other_cache = Arc::new(PrincipalCache::new(10, Duration::from_secs(60)));
        let other = SessionService::open(f.directory.clone(), other_cache, &f.config)
            .await
            .unwrap();
        f.sessions.sync().await.unwrap();
        other
            .revoke(&RevokeTarget::Session(a.session.id.clone()), None)
            .await
            .unwrap();
        assert!(!f.sessions.cache().is_revoked(&a.principal));
        f.sessions.sync().await.unwrap();
        assert!(f.sessions.cache().is_revoked(&a.principal));

        let first = f.sessions.keys().load().signing_kid().unwrap().to_string();
        let kid = SessionService::rotate(&f.directory, "default", "cli", Duration::from_secs(5))
            .await
            .unwrap();
        f.sessions.sync().await.unwrap();
        let ring = f.sessions.keys().load_full();
        assert_eq!(ring.kids().len(), 2);
        assert_eq!(ring.signing_kid(), Some(first.as_str()), "not active yet");
        f.clock.advance_secs(5);
        f.sessions.sync().await.unwrap();
        assert_eq!(f.sessions.keys().load().signing_kid(), Some(kid.as_str()));
        // The old key verifies until the session lifetime has passed, then it is pruned.
        f.clock.advance_secs(3600);
        f.sessions.sync().await.unwrap();
        assert_eq!(f.sessions.keys().load().kids().len(), 2);
        f.clock.advance_secs(60);
        f.sessions.sync().await.unwrap();
        assert_eq!(f.sessions.keys().load().kids(), vec![kid.as_str()]);
    }
}
