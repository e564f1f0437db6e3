//! SessionService against a real SQLite store with a manual clock.

use super::*;
use crate::idm::identities::{NewIdentity, TraitsPatch};
use crate::idm::types::{IdentityStatus, Patch};
use crate::idm::{Actor, Clock, Context, ManualClock};
use crate::session::claims::SessionClaims;
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
        timeout: Duration::from_secs(5),
    })
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let directory = Arc::new(Directory::new(store, clock.clone()));
    directory.sync_config_realms(&config).await.unwrap();
    let at = Context::new("default", "default", &Actor::Cli);
    let new = NewIdentity {
        traits: TraitsPatch {
            username: Patch::Set("alice".into()),
            ..TraitsPatch::default()
        },
        ..NewIdentity::default()
    };
    let alice = directory.create_identity(&at, new).await.unwrap();
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
    // Remembered: even a session row made live again is not read for a while.
    f.directory
        .store()
        .touch_session(&issued.session.id, f.clock.now_us())
        .await
        .unwrap();
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
    let at = Context::new("default", "default", &Actor::Cli);
    f.directory
        .set_identity_status(&at, &f.alice.id, IdentityStatus::Suspended, None)
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
    assert!(listed.is_empty());
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
