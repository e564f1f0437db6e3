//! The store test suite, run on every backend (SQLite always, PostgreSQL when
//! `PASSGATE_TEST_POSTGRES_URL` is set): migrations, uniqueness, paging, transactions
//! (a sign-in written whole or not at all), token hashing and expiry, audit records, a
//! delivery round that meets an opened binding link. Real databases, no mocks.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use passgate::idm::groups::NewGroup;
use passgate::idm::identities::{IdentityPatch, NewIdentity, TraitsPatch};
use passgate::idm::realms::NewRealm;
use passgate::idm::tokens::{Action, Family, TokenRequest};
use passgate::idm::types::{CeremonyKind, Patch, Resource};
use passgate::idm::{views, Actor, Context, Directory, IdmError, ManualClock};
use passgate::store::{
    self, IdentityFilter, PageRequest, SignInCompletion, StoreError, StoreOptions,
};

use crate::support::db::{Backend, TestDb};

fn options(db: &TestDb) -> StoreOptions {
    StoreOptions {
        url: db.url.clone(),
        max_connections: 4,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    }
}

const T0: i64 = 1_800_000_000_000_000;

/// The smallest configuration: one listener, the `default` realm.
fn minimal_config() -> passgate::config::Config {
    passgate::config::from_str(
        "public_url = \"http://localhost:1\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n",
        std::path::Path::new("."),
    )
    .expect("config")
}

/// A directory on `db` with a hand-driven clock and the `default` realm.
async fn directory(db: &TestDb) -> (Arc<Directory>, Arc<ManualClock>) {
    let store = store::open(&options(db)).await.expect("open store");
    let clock = Arc::new(ManualClock::new(T0));
    let dir = Arc::new(Directory::new(store, clock.clone()));
    dir.sync_config_realms(&minimal_config())
        .await
        .expect("sync realms");
    (dir, clock)
}

const CLI: Actor = Actor::Cli;

pub(crate) fn at() -> Context<'static> {
    Context::new("default", "default", &CLI)
}

/// An identity to create with `username` (and `email`).
pub(crate) fn new_identity(username: &str, email: Option<&str>) -> NewIdentity {
    NewIdentity {
        traits: TraitsPatch {
            username: Patch::Set(username.to_string()),
            primary_email_address: email.map_or(Patch::Absent, |e| Patch::Set(e.to_string())),
            ..TraitsPatch::default()
        },
        ..NewIdentity::default()
    }
}

pub(crate) async fn create(dir: &Directory, username: &str, email: Option<&str>) -> String {
    dir.create_identity(&at(), new_identity(username, email))
        .await
        .unwrap_or_else(|e| panic!("create {username}: {e}"))
        .id
}

fn group(name: &str, members: &[&String]) -> NewGroup {
    NewGroup {
        display_name: name.to_string(),
        description: None,
        members: members.iter().map(|m| m.to_string()).collect(),
    }
}

#[tokio::test]
async fn migrations_apply_once_and_a_newer_database_is_refused() {
    for db in TestDb::all().await {
        let first = store::open(&options(&db)).await.unwrap();
        first.ping().await.unwrap();
        drop(first);
        // Opening again finds everything applied.
        store::open(&options(&db)).await.unwrap();
        if db.backend == Backend::Sqlite {
            let mode: i64 = db
                .count("SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'")
                .await;
            assert_eq!(mode, 1, "SQLite is not in WAL mode");
        }
        db.exec(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             SELECT 99999, 'from the future', success, checksum, execution_time \
             FROM _sqlx_migrations WHERE version = 1",
        )
        .await;
        let err = match store::open(&options(&db)).await {
            Ok(_) => panic!("{:?}: a newer database was accepted", db.backend),
            Err(e) => e,
        };
        assert!(
            matches!(err, StoreError::TooNew { version: 99999 }),
            "{err:?}"
        );
        assert!(err.to_string().contains("newer passgate"), "{err}");
    }
}

#[tokio::test]
async fn usernames_are_unique_per_realm_ignoring_case() {
    for db in TestDb::all().await {
        let (dir, _) = directory(&db).await;
        let id = create(&dir, "Alice", Some("Alice@Example.com")).await;
        let found = dir.find_by_username(&at(), "aLICE").await.unwrap();
        assert_eq!(found.id, id);
        let dup = dir
            .create_identity(&at(), new_identity("alice", None))
            .await;
        assert!(
            matches!(&dup, Err(IdmError::Conflict { message, .. }) if message == "username already exists"),
            "{:?}: {dup:?}",
            db.backend
        );

        // Renaming onto a taken name conflicts too, and changes nothing.
        let bob = create(&dir, "bob", None).await;
        let rename = IdentityPatch {
            traits: TraitsPatch {
                username: Patch::Set("ALICE".into()),
                ..TraitsPatch::default()
            },
            ..IdentityPatch::default()
        };
        let rename = dir.patch_identity(&at(), &bob, rename).await;
        assert!(
            matches!(rename, Err(IdmError::Conflict { .. })),
            "{rename:?}"
        );
        assert_eq!(dir.find_by_username(&at(), "bob").await.unwrap().id, bob);

        let store = dir.store();
        let by_email = store
            .list_identities(
                "default",
                "default",
                Some(&IdentityFilter::Email("alice@EXAMPLE.com".into())),
                PageRequest {
                    size: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(by_email.total, 1);
        assert_eq!(by_email.items[0].id, id);
        let none = store
            .list_identities(
                "default",
                "default",
                Some(&IdentityFilter::ExternalId("nobody".into())),
                PageRequest {
                    size: 10,
                    after: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(none.total, 0);
        assert!(none.items.is_empty());
    }
}

#[tokio::test]
async fn paging_visits_every_row_once_in_a_stable_order() {
    for db in TestDb::all().await {
        let (dir, _) = directory(&db).await;
        let mut made = Vec::new();
        for i in 0..45 {
            made.push(create(&dir, &format!("user{i:02}"), None).await);
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = dir
                .store()
                .list_identities("default", "default", None, PageRequest { size: 10, after })
                .await
                .unwrap();
            assert_eq!(page.total, 45);
            assert!(page.items.len() <= 10);
            seen.extend(page.items.into_iter().map(|i| i.id));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, made, "{:?}: pages out of creation order", db.backend);
    }
}

#[tokio::test]
async fn deleting_identities_takes_everything_attached_or_nothing() {
    for db in TestDb::all().await {
        let (dir, _) = directory(&db).await;
        let alice = create(&dir, "alice", None).await;
        let bob = create(&dir, "bob", None).await;
        dir.create_group(&at(), group("staff", &[&alice, &bob]))
            .await
            .unwrap();
        for (table, cols, vals) in [
            ("credentials", "id, tenant_id, realm_id, identity_id, credential_id, public_key, sign_count, aaguid, name, state, backup_eligible, backup_state, create_us", "'c1', 'default', 'default', '{A}', 'cid', 'pk', 0, 'aa', 'key', 'ACTIVE', 0, 0, 1"),
            ("binding_jobs", "id, tenant_id, realm_id, identity_id, delivery_method, state, token_hash, expire_us, create_us, update_us", "'j1', 'default', 'default', '{A}', 'RETURN', 'LINK_SENT', 'h', 1, 1, 1"),
            ("sessions", "id, tenant_id, realm_id, identity_id, create_us, expire_us", "'s1', 'default', 'default', '{A}', 1, 2"),
        ] {
            db.exec(&format!("INSERT INTO {table} ({cols}) VALUES ({})", vals.replace("{A}", &alice)))
                .await;
        }
        let attached =
            "SELECT (SELECT COUNT(*) FROM credentials) + (SELECT COUNT(*) FROM binding_jobs) \
                        + (SELECT COUNT(*) FROM sessions) + (SELECT COUNT(*) FROM group_members)";
        assert_eq!(db.count(attached).await, 5);

        // One unknown id: nothing happens.
        let store = dir.store();
        let audit_before = db.count("SELECT COUNT(*) FROM audit_events").await;
        let missing = dir
            .batch_delete_identities(&at(), vec![alice.clone(), "0000".into()])
            .await;
        assert!(
            matches!(&missing, Err(IdmError::NotFoundMany { resource: Resource::Identity, ids }) if ids == &["0000"]),
            "{missing:?}"
        );
        assert_eq!(
            db.count(attached).await,
            5,
            "{:?}: half-done delete",
            db.backend
        );
        assert!(store
            .get_identity("default", "default", &alice)
            .await
            .is_ok());
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_events").await,
            audit_before
        );

        dir.delete_identity(&at(), &alice, None).await.unwrap();
        assert_eq!(db.count(attached).await, 1, "only bob's membership is left");
        assert!(matches!(
            store.get_identity("default", "default", &alice).await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_events").await,
            audit_before + 1
        );
    }
}

#[tokio::test]
async fn a_group_is_created_with_its_members_or_not_at_all() {
    for db in TestDb::all().await {
        let (dir, _) = directory(&db).await;
        let alice = create(&dir, "alice", None).await;
        let nope = "nope".to_string();
        let bad = dir.create_group(&at(), group("g", &[&alice, &nope])).await;
        assert!(matches!(bad, Err(IdmError::NotFoundMany { .. })), "{bad:?}");
        assert_eq!(db.count("SELECT COUNT(*) FROM user_groups").await, 0);
        assert_eq!(db.count("SELECT COUNT(*) FROM group_members").await, 0);

        let g = dir
            .create_group(&at(), group("g", &[&alice]))
            .await
            .unwrap();
        let members = dir.list_members(&at(), &g.id, None, None).await.unwrap();
        assert_eq!(members.total_size, 1);
        assert_eq!(members.items[0].id, alice);
        let groups = dir
            .list_identity_groups(&at(), &alice, None, None)
            .await
            .unwrap();
        assert_eq!(groups.items[0].id, g.id);
    }
}

fn sign_in_ceremony(id: &str, expire_us: i64) -> store::CeremonyRecord {
    store::CeremonyRecord {
        id: id.to_string(),
        kind: CeremonyKind::SignIn,
        tenant_id: "default".into(),
        realm_id: "default".into(),
        subject: String::new(),
        state: "{}".into(),
        expire_us,
    }
}

fn completion(ceremony: &str, session: &str, identity: &str, count: i64) -> SignInCompletion {
    SignInCompletion {
        ceremony_id: ceremony.to_string(),
        credential: "c1".into(),
        sign_count: count,
        passkey: format!("{{\"count\":{count}}}"),
        session: store::SessionRecord {
            id: session.to_string(),
            tenant_id: "default".into(),
            realm_id: "default".into(),
            identity_id: identity.to_string(),
            create_us: T0,
            expire_us: T0 + 3_600_000_000,
            revoke_us: None,
            auth_us: T0,
            last_seen_us: T0,
            amr: "[\"hwk\",\"user\"]".into(),
            credential_id: Some("c1".into()),
        },
        now_us: T0,
    }
}

#[tokio::test]
async fn a_sign_in_is_written_whole_once_or_not_at_all() {
    for db in TestDb::all().await {
        let (dir, _) = directory(&db).await;
        let alice = create(&dir, "alice", None).await;
        db.exec(&format!(
            "INSERT INTO credentials (id, tenant_id, realm_id, identity_id, credential_id, \
             public_key, sign_count, aaguid, name, state, backup_eligible, backup_state, \
             create_us) VALUES ('c1', 'default', 'default', '{alice}', 'cid', 'pk', 3, 'aa', \
             'key', 'ACTIVE', 0, 0, 1)"
        ))
        .await;
        let store = dir.store();
        let written = "SELECT (SELECT COUNT(*) FROM sessions) * 1000 + \
                       (SELECT sign_count FROM credentials WHERE id = 'c1')";
        let ceremonies = "SELECT COUNT(*) FROM ceremonies";
        let in_time = T0 + 60_000_000;

        // Peeking reads without using up; an expired or unknown ceremony is not found.
        store
            .put_ceremony(&sign_in_ceremony("k1", in_time))
            .await
            .unwrap();
        store
            .put_ceremony(&sign_in_ceremony("old", T0))
            .await
            .unwrap();
        assert_eq!(store.peek_ceremony("k1", T0).await.unwrap().id, "k1");
        assert_eq!(store.peek_ceremony("k1", T0).await.unwrap().id, "k1");
        for (id, expect) in [("old", "expired"), ("none", "unknown")] {
            assert!(
                matches!(
                    store.peek_ceremony(id, T0).await,
                    Err(StoreError::NotFound(Resource::Ceremony))
                ),
                "{:?}: {expect} ceremony peeked",
                db.backend
            );
        }

        // An expired ceremony: nothing written, and it stays for the sweep.
        let r = store
            .complete_sign_in(&completion("old", "s0", &alice, 4))
            .await;
        assert!(
            matches!(r, Err(StoreError::NotFound(Resource::Ceremony))),
            "{r:?}"
        );
        assert_eq!(db.count(written).await, 3, "{:?}", db.backend);

        // The whole sign-in in one go: ceremony used up, counter and session written.
        store
            .complete_sign_in(&completion("k1", "s1", &alice, 4))
            .await
            .unwrap();
        assert_eq!(db.count(written).await, 1004, "{:?}", db.backend);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM credentials WHERE last_used_us IS NOT NULL")
                .await,
            1
        );
        assert_eq!(
            db.count(ceremonies).await,
            1,
            "only the expired one is left"
        );
        let session = store.get_session("s1").await.unwrap();
        assert_eq!(session.credential_id.as_deref(), Some("c1"));

        // The same ceremony again (a replay, or the loser of a race): nothing written.
        let r = store
            .complete_sign_in(&completion("k1", "s2", &alice, 5))
            .await;
        assert!(
            matches!(r, Err(StoreError::NotFound(Resource::Ceremony))),
            "{r:?}"
        );
        assert_eq!(db.count(written).await, 1004, "{:?}", db.backend);

        // Two finishes of one ceremony at once: exactly one is written.
        store
            .put_ceremony(&sign_in_ceremony("k2", in_time))
            .await
            .unwrap();
        let (first, second) = (
            completion("k2", "s3", &alice, 6),
            completion("k2", "s4", &alice, 7),
        );
        let (a, b) = tokio::join!(
            store.complete_sign_in(&first),
            store.complete_sign_in(&second),
        );
        assert!(a.is_ok() != b.is_ok(), "{:?}: {a:?} / {b:?}", db.backend);
        assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 2);

        // The passkey revoked, or its identity suspended, after it was verified: nothing is
        // written, and the ceremony is not used up by the rolled-back transaction.
        for (breaks, mends) in [
            (
                "UPDATE credentials SET state = 'REVOKED'".to_string(),
                "UPDATE credentials SET state = 'ACTIVE'".to_string(),
            ),
            (
                format!("UPDATE identities SET status = 'suspended' WHERE id = '{alice}'"),
                format!("UPDATE identities SET status = 'active' WHERE id = '{alice}'"),
            ),
        ] {
            store
                .put_ceremony(&sign_in_ceremony("k3", in_time))
                .await
                .unwrap();
            let before = db.count(written).await;
            db.exec(&breaks).await;
            let r = store
                .complete_sign_in(&completion("k3", "s5", &alice, 9))
                .await;
            assert!(
                matches!(r, Err(StoreError::NotFound(Resource::Credential))),
                "{:?} after {breaks}: {r:?}",
                db.backend
            );
            assert_eq!(db.count(written).await, before, "{breaks}: half-written");
            assert!(store.peek_ceremony("k3", T0).await.is_ok(), "{breaks}");
            assert!(store.take_ceremony("k3", T0).await.is_ok());
            db.exec(&mends).await;
        }
    }
}

#[tokio::test]
async fn tokens_are_stored_hashed_and_expire_by_the_clock() {
    for db in TestDb::all().await {
        let (dir, clock) = directory(&db).await;
        let scopes = vec!["identities:read".to_string()];
        let req = TokenRequest {
            tenant: "default",
            realm: None,
            name: "ci",
            scopes: &scopes,
            expires_in: Some(Duration::from_secs(60)),
        };
        let (_, issued) = dir.create_token(&req, &CLI).await.unwrap();
        let bearer = issued.bearer();
        // `pgt_<id>_<secret>`: the secret may itself contain `_`.
        let secret = bearer.splitn(3, '_').nth(2).unwrap().to_string();
        assert!(secret.len() >= 40, "{bearer}");
        assert!(!format!("{issued:?}").contains(&secret));
        let leaks = db
            .count(&format!(
                "SELECT COUNT(*) FROM api_tokens WHERE secret_hash LIKE '%{like}%' ESCAPE '!' \
                 OR name LIKE '%{like}%' ESCAPE '!'",
                like = secret
                    .replace('!', "!!")
                    .replace('_', "!_")
                    .replace('%', "!%")
            ))
            .await;
        assert_eq!(leaks, 0, "the secret is stored in clear");

        let p = dir.authenticate(&bearer).await.unwrap();
        assert_eq!(p.token_id, issued.id);
        assert!(p.allows(Family::Identities, Action::Read));
        assert!(!p.allows(Family::Identities, Action::Create));
        let forged = format!("{}x", bearer);
        assert!(matches!(
            dir.authenticate(&forged).await,
            Err(IdmError::Unauthenticated)
        ));
        assert!(matches!(
            dir.authenticate("pgt_nope").await,
            Err(IdmError::Unauthenticated)
        ));

        clock.advance_secs(61);
        assert!(
            matches!(
                dir.authenticate(&bearer).await,
                Err(IdmError::Unauthenticated)
            ),
            "expired token accepted"
        );

        let (_, other) = dir
            .create_token(
                &TokenRequest {
                    expires_in: None,
                    ..req
                },
                &CLI,
            )
            .await
            .unwrap();
        dir.authenticate(&other.bearer()).await.unwrap();
        dir.revoke_token("default", &other.id, &CLI).await.unwrap();
        assert!(matches!(
            dir.authenticate(&other.bearer()).await,
            Err(IdmError::Unauthenticated)
        ));
        let listed: Vec<Value> = dir
            .list_tokens("default")
            .await
            .unwrap()
            .iter()
            .map(|t| serde_json::to_value(views::token(t)).unwrap())
            .collect();
        assert_eq!(listed.len(), 2);
        assert!(!listed.iter().any(|t| t.to_string().contains(&secret)));
    }
}

#[tokio::test]
async fn every_write_leaves_an_audit_event_with_before_and_after() {
    for db in TestDb::all().await {
        let (dir, clock) = directory(&db).await;
        let id = create(&dir, "carol", None).await;
        clock.advance_secs(5);
        let rename = IdentityPatch {
            display_name: Patch::Set("Carol C".into()),
            ..IdentityPatch::default()
        };
        dir.patch_identity(&at(), &id, rename).await.unwrap();
        let events = dir
            .list_events("default", "default", None, None)
            .await
            .unwrap();
        assert_eq!(events.total_size, 2);
        let list: Vec<Value> = events
            .items
            .iter()
            .map(|e| serde_json::to_value(views::event(e)).unwrap())
            .collect();
        assert_eq!(list[0]["action"], "identity.create");
        assert_eq!(list[0]["actor"], "cli");
        assert_eq!(list[0]["before"], Value::Null);
        assert_eq!(list[1]["action"], "identity.update");
        assert_eq!(list[1]["target_ids"], json!([id]));
        assert_eq!(list[1]["before"]["display_name"], "carol");
        assert_eq!(list[1]["after"]["display_name"], "Carol C");
        assert_eq!(list[1]["create_time"], "2027-01-15T08:00:05Z");
    }
}

#[tokio::test]
async fn deleting_a_realm_removes_its_directory_but_config_realms_stay() {
    for db in TestDb::all().await {
        let (dir, _) = directory(&db).await;
        let staff = NewRealm {
            display_name: "Staff".into(),
            ..NewRealm::default()
        };
        let realm = dir
            .create_realm("default", &CLI, "localhost", staff)
            .await
            .unwrap();
        let rid = realm.id.clone();
        let scope = Context::new("default", &rid, &CLI);
        let v = dir
            .create_identity(&scope, new_identity("alice", None))
            .await
            .unwrap();
        // The same username in another realm is fine.
        create(&dir, "alice", None).await;
        dir.create_group(&scope, group("g", &[&v.id]))
            .await
            .unwrap();
        dir.delete_realm("default", &rid, &CLI).await.unwrap();
        assert_eq!(db.count("SELECT COUNT(*) FROM identities").await, 1);
        assert_eq!(db.count("SELECT COUNT(*) FROM user_groups").await, 0);
        let config_realm = dir.delete_realm("default", "default", &CLI).await;
        assert!(
            matches!(config_realm, Err(IdmError::Conflict { .. })),
            "{config_realm:?}"
        );
    }
}

fn oidc_audit(action: &str) -> store::AuditRecord {
    store::AuditRecord {
        id: passgate::idm::ids::new_id().unwrap(),
        tenant_id: "default".into(),
        realm_id: Some("default".into()),
        actor: "oidc_client:app".into(),
        action: action.into(),
        target_ids: vec![],
        before: None,
        after: None,
        create_us: T0,
    }
}

fn oidc_token(hash: &str, grant: &str, kind: store::OidcTokenKind) -> store::OidcTokenRecord {
    store::OidcTokenRecord {
        token_hash: hash.into(),
        grant_id: grant.into(),
        kind,
        create_us: T0,
        expire_us: T0 + 60_000_000,
        use_us: None,
    }
}

#[tokio::test]
async fn oidc_tokens_are_used_once_and_end_with_their_grant() {
    use store::{OidcTokenKind as K, OidcUse};
    for db in TestDb::all().await {
        let s = store::open(&options(&db)).await.unwrap();
        let grant = store::OidcGrantRecord {
            id: "g1".into(),
            tenant_id: "default".into(),
            realm_id: "default".into(),
            client_id: "app".into(),
            identity_id: "i1".into(),
            session_id: "s1".into(),
            scope: "openid profile".into(),
            nonce: Some("n".into()),
            redirect_uri: "https://app.example.com/cb".into(),
            code_challenge: None,
            auth_us: T0,
            amr: "[\"hwk\"]".into(),
            create_us: T0,
            revoke_us: None,
        };
        s.create_oidc_grant(
            &grant,
            &oidc_token("c1", "g1", K::Code),
            &oidc_audit("oidc.authorize"),
        )
        .await
        .unwrap();
        // A code is not a refresh token; the first use wins, the second is a replay.
        assert_eq!(
            s.use_oidc_token("c1", K::Refresh, T0).await.unwrap(),
            OidcUse::Unknown
        );
        let OidcUse::First(f) = s.use_oidc_token("c1", K::Code, T0).await.unwrap() else {
            panic!("{:?}: first use", db.backend)
        };
        assert_eq!(f.grant, grant);
        assert_eq!(f.token.use_us, Some(T0));
        assert!(matches!(
            s.use_oidc_token("c1", K::Code, T0 + 1).await.unwrap(),
            OidcUse::Replayed(_)
        ));
        // Concurrent uses of one refresh token: exactly one succeeds.
        s.insert_oidc_tokens(
            &[
                oidc_token("a1", "g1", K::Access),
                oidc_token("r1", "g1", K::Refresh),
            ],
            &oidc_audit("oidc.token"),
        )
        .await
        .unwrap();
        let s: Arc<dyn store::Store> = s;
        let tries = (0..8).map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.use_oidc_token("r1", K::Refresh, T0 + i).await.unwrap() })
        });
        let mut first = 0;
        for t in tries {
            if matches!(t.await.unwrap(), OidcUse::First(_)) {
                first += 1;
            }
        }
        assert_eq!(first, 1, "{:?}", db.backend);
        // Revoking the grant ends every token under it, once, audited.
        s.revoke_oidc_grant("g1", T0 + 5, &oidc_audit("oidc.revoke"))
            .await
            .unwrap();
        assert_eq!(s.find_oidc_token("a1", K::Access).await.unwrap(), None);
        assert_eq!(db.count("SELECT COUNT(*) FROM oidc_tokens").await, 0);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM oidc_grants WHERE revoke_us IS NOT NULL")
                .await,
            1
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'oidc.%'")
                .await,
            3
        );
        // Pruning: expired tokens go, then grants with nothing left (not younger ones).
        s.prune_oidc_tokens(T0).await.unwrap();
        assert_eq!(db.count("SELECT COUNT(*) FROM oidc_grants").await, 1);
        s.prune_oidc_tokens(T0 + 1).await.unwrap();
        assert_eq!(db.count("SELECT COUNT(*) FROM oidc_grants").await, 0);
        // Keys: added with their algorithm, listed in order, deleted by kid.
        for (kid, alg) in [("k1", "RS256"), ("k2", "EdDSA")] {
            let k = store::OidcKeyRecord {
                kid: kid.into(),
                alg: alg.into(),
                private_pkcs8: "cHJpdmF0ZQ".into(),
                public_key: "cHVibGlj".into(),
                create_us: T0,
                activate_us: T0,
            };
            s.insert_oidc_key(&k, None).await.unwrap();
        }
        let keys = s.list_oidc_keys().await.unwrap();
        assert_eq!(
            keys.iter()
                .map(|k| (k.kid.as_str(), k.alg.as_str()))
                .collect::<Vec<_>>(),
            [("k1", "RS256"), ("k2", "EdDSA")]
        );
        s.delete_oidc_keys(&["k1".to_string()]).await.unwrap();
        assert_eq!(s.list_oidc_keys().await.unwrap().len(), 1);
    }
}

/// A delivery round that read a job just before its link was opened (the mail of a batch,
/// a retry) neither gives the opened link a new token nor moves the job back from
/// `LINK_OPENED` to `LINK_SENT` when it records its attempt.
#[tokio::test]
async fn a_delivery_round_leaves_an_opened_link_alone() {
    use passgate::idm::binding::NewBindingJob;
    use passgate::idm::types::{DeliveryMethod, JobState};
    for db in TestDb::all().await {
        let (dir, _clock) = directory(&db).await;
        let config = minimal_config();
        let id = create(&dir, "uma", Some("uma@example.com")).await;
        let created = dir
            .create_binding_job(
                &at(),
                &config,
                None,
                &id,
                NewBindingJob::new(DeliveryMethod::Return),
            )
            .await
            .unwrap();
        let link = url::Url::parse(created.link.as_deref().unwrap()).unwrap();
        let token = link
            .query_pairs()
            .find(|(k, _)| k == "token")
            .unwrap()
            .1
            .into_owned();
        // The round read the job here, as it was.
        let read = created.job.clone();
        assert_eq!(read.state, JobState::LinkSent);
        assert_eq!(
            dir.open_binding_link(&token).await.unwrap().state,
            JobState::LinkOpened
        );

        let store = dir.store();
        let now = dir.now_us();
        let replaced = store
            .set_binding_token(&read.id, &"0".repeat(64), now)
            .await
            .unwrap();
        assert!(
            !replaced,
            "{:?}: an opened link keeps its token",
            db.backend
        );
        let mut attempt = read.clone();
        attempt.send_attempts += 1;
        attempt.update_us = now;
        let audit = store::AuditRecord {
            id: passgate::idm::ids::new_id().unwrap(),
            tenant_id: "default".into(),
            realm_id: Some("default".into()),
            actor: "delivery".into(),
            action: "credential_binding_job.email_sent".into(),
            target_ids: vec![read.id.clone()],
            before: None,
            after: None,
            create_us: now,
        };
        store.record_delivery(&attempt, &audit).await.unwrap();
        let job = store
            .get_binding_job("default", "default", &read.id)
            .await
            .unwrap();
        assert_eq!(job.state, JobState::LinkOpened, "{:?}", db.backend);
        assert_eq!(job.send_attempts, 0);
        assert_eq!(job.token_hash, passgate::idm::ids::sha256_hex(&token));
        // And the link still opens.
        assert_eq!(
            dir.open_binding_link(&token).await.unwrap().state,
            JobState::LinkOpened
        );
    }
}
