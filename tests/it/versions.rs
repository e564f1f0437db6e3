//! Optimistic concurrency on every backend: identities and groups carry a version that
//! moves on every write (a group's on membership changes too), a change made against a
//! stale version is refused with nothing written, racing changes without an expected
//! version both land; over HTTP the version is the `ETag` and `If-Match` checks it.
//! Constraint violations come out of the store typed, never as the database's message.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use passgate::idm::groups::{GroupPatch, NewGroup};
use passgate::idm::identities::{IdentityPatch, TraitsPatch};
use passgate::idm::types::{Patch, Resource};
use passgate::idm::{Directory, IdmError, ManualClock};
use passgate::store::{self, Duplicate, StoreError, StoreOptions};

use crate::store_suite::{at, new_identity};
use crate::support::admin::{realm_path, AdminApi};
use crate::support::db::{Backend, TestDb};

async fn directory(db: &TestDb) -> Arc<Directory> {
    let options = StoreOptions {
        url: db.url.clone(),
        max_connections: 4,
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    };
    let store = store::open(&options).await.expect("open store");
    let dir = Arc::new(Directory::new(
        store,
        Arc::new(ManualClock::new(1_800_000_000_000_000)),
    ));
    let config = passgate::config::from_str(
        "public_url = \"http://localhost:1\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n",
        std::path::Path::new("."),
    )
    .expect("config");
    dir.sync_config_realms(&config).await.expect("realms");
    dir
}

fn rename(display_name: &str, expected: Option<i64>) -> IdentityPatch {
    IdentityPatch {
        expected_version: expected,
        display_name: Patch::Set(display_name.into()),
        ..IdentityPatch::default()
    }
}

#[tokio::test]
async fn identity_versions_move_and_stale_changes_write_nothing() {
    for db in TestDb::all().await {
        let dir = directory(&db).await;
        let alice = dir
            .create_identity(&at(), new_identity("alice", None))
            .await
            .unwrap();
        assert_eq!(alice.version, 1);
        let v2 = dir
            .patch_identity(&at(), &alice.id, rename("Alice", Some(1)))
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let events = db.count("SELECT COUNT(*) FROM audit_events").await;
        let stale = dir
            .patch_identity(&at(), &alice.id, rename("Mallory", Some(1)))
            .await;
        assert!(
            matches!(
                stale,
                Err(IdmError::PreconditionFailed {
                    expected: 1,
                    current: 2,
                    ..
                })
            ),
            "{:?}: {stale:?}",
            db.backend
        );
        let now = dir.identity(&at(), &alice.id).await.unwrap();
        assert_eq!((now.display_name.as_str(), now.version), ("Alice", 2));
        assert_eq!(db.count("SELECT COUNT(*) FROM audit_events").await, events);

        // Deleting at a stale version is refused too; at the current one it goes.
        let gone = dir.delete_identity(&at(), &alice.id, Some(1)).await;
        assert!(
            matches!(gone, Err(IdmError::PreconditionFailed { .. })),
            "{gone:?}"
        );
        dir.identity(&at(), &alice.id).await.unwrap();
        dir.delete_identity(&at(), &alice.id, Some(2))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn racing_patches_without_a_version_both_land() {
    for db in TestDb::all().await {
        let dir = directory(&db).await;
        let id = dir
            .create_identity(&at(), new_identity("bob", None))
            .await
            .unwrap()
            .id;
        let trait_patch = |key: &str, value: &str| IdentityPatch {
            traits: TraitsPatch {
                extra: [(key.to_string(), Patch::Set(value.to_string()))].into(),
                ..TraitsPatch::default()
            },
            ..IdentityPatch::default()
        };
        let ctx = at();
        let (a, b) = tokio::join!(
            dir.patch_identity(&ctx, &id, trait_patch("department", "sales")),
            dir.patch_identity(&ctx, &id, trait_patch("title", "boss")),
        );
        a.unwrap();
        b.unwrap();
        let now = dir.identity(&at(), &id).await.unwrap();
        assert_eq!(now.version, 3, "{:?}", db.backend);
        assert_eq!(now.traits.extra["department"], "sales");
        assert_eq!(now.traits.extra["title"], "boss");
    }
}

#[tokio::test]
async fn group_versions_follow_fields_and_members() {
    for db in TestDb::all().await {
        let dir = directory(&db).await;
        let a = dir
            .create_identity(&at(), new_identity("a", None))
            .await
            .unwrap()
            .id;
        let b = dir
            .create_identity(&at(), new_identity("b", None))
            .await
            .unwrap()
            .id;
        let c = dir
            .create_identity(&at(), new_identity("c", None))
            .await
            .unwrap()
            .id;
        let new = NewGroup {
            display_name: "g".into(),
            description: None,
            members: vec![a.clone()],
        };
        let g = dir.create_group(&at(), new).await.unwrap();
        assert_eq!(g.version, 1);
        let g = dir
            .add_members(&at(), &g.id, std::slice::from_ref(&b), Some(1))
            .await
            .unwrap();
        assert_eq!(g.version, 2);
        let stale = dir
            .remove_members(&at(), &g.id, std::slice::from_ref(&a), Some(1))
            .await;
        assert!(
            matches!(stale, Err(IdmError::PreconditionFailed { .. })),
            "{stale:?}"
        );
        let g = dir
            .replace_members(&at(), &g.id, &[c.clone(), b.clone()], Some(2))
            .await
            .unwrap();
        assert_eq!(g.version, 3);
        let members = dir.list_members(&at(), &g.id, None, None).await.unwrap();
        let mut ids: Vec<String> = members.items.into_iter().map(|i| i.id).collect();
        ids.sort();
        let mut want = vec![b.clone(), c.clone()];
        want.sort();
        assert_eq!(ids, want, "{:?}", db.backend);
        // An unknown member changes nothing, the version included.
        let nope = dir
            .replace_members(&at(), &g.id, &[a.clone(), "nope".into()], None)
            .await;
        assert!(
            matches!(&nope, Err(IdmError::NotFoundMany { ids, .. }) if ids == &["nope"]),
            "{nope:?}"
        );
        assert_eq!(dir.group(&at(), &g.id).await.unwrap().version, 3);
        let patched = GroupPatch {
            expected_version: Some(3),
            description: Patch::Set("d".into()),
            ..GroupPatch::default()
        };
        let g = dir.patch_group(&at(), &g.id, patched).await.unwrap();
        assert_eq!(g.version, 4);
        // A member's deletion changes the group.
        dir.delete_identity(&at(), &c, None).await.unwrap();
        assert_eq!(dir.group(&at(), &g.id).await.unwrap().version, 5);
        let gone = dir.delete_group(&at(), &g.id, Some(4)).await;
        assert!(
            matches!(gone, Err(IdmError::PreconditionFailed { .. })),
            "{gone:?}"
        );
        dir.delete_group(&at(), &g.id, Some(5)).await.unwrap();
        assert!(matches!(
            dir.group(&at(), &g.id).await,
            Err(IdmError::NotFound {
                resource: Resource::Group,
                id: Some(_)
            })
        ));
    }
}

#[tokio::test]
async fn constraint_violations_are_typed_inside_the_store() {
    for db in TestDb::all().await {
        let dir = directory(&db).await;
        let alice = dir
            .create_identity(&at(), new_identity("alice", None))
            .await
            .unwrap();
        let mut copy = alice.clone();
        copy.id = "0123456789abcdef0123456789abcdef".into();
        copy.traits.username = "ALICE".into();
        let audit = passgate::store::AuditRecord {
            id: "a1".into(),
            tenant_id: "default".into(),
            realm_id: Some("default".into()),
            actor: "cli".into(),
            action: "identity.create".into(),
            target_ids: vec![],
            before: None,
            after: None,
            create_us: 1,
        };
        let e = dir
            .store()
            .create_identity(&copy, &audit)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Duplicate(Duplicate::Username)),
            "{:?}: {e:?}",
            db.backend
        );
        let text = e.to_string().to_lowercase();
        assert!(
            !text.contains("constraint") && !text.contains("duplicate key"),
            "the database's message leaks: {text}"
        );
        // Nothing of the refused write is left, its audit record included.
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_events WHERE id = 'a1'")
                .await,
            0
        );
    }
}

on_both_backends!(etag_and_if_match_guard_changes_over_http);

async fn etag_and_if_match_guard_changes_over_http(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let id = api.create_identity("ivy").await;
    let item = api.url(&realm_path(&format!("/identities/{id}")));
    let client = reqwest::Client::new();
    let send = |method: Method, if_match: Option<&str>, body: Option<serde_json::Value>| {
        let mut req = client.request(method, &item).bearer_auth(&api.token);
        if let Some(m) = if_match {
            req = req.header("if-match", m);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let got = send(Method::GET, None, None).await.unwrap();
    assert_eq!(got.headers()["etag"], "\"1\"");
    let rename = json!({"identity": {"display_name": "Ivy"}});
    let ok = send(Method::PATCH, Some("\"1\""), Some(rename.clone()))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["etag"], "\"2\"");
    // The same If-Match again: the identity moved on.
    let (s, e) = AdminApi::read(
        send(Method::PATCH, Some("\"1\""), Some(rename.clone()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 412, "{e}");
    assert_eq!(e["code"], "precondition_failed");
    assert_eq!(e["details"][0]["type"], "ResourceInfo");
    assert_eq!(e["details"][0]["resource_type"], "Identity");
    assert_eq!(e["details"][0]["id"], id.as_str());
    // A weak tag of the current version, `*`, and no If-Match all pass; a foreign tag never.
    for tag in [Some("W/\"2\""), Some("*"), None] {
        let r = send(Method::PATCH, tag, Some(rename.clone()))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{tag:?}");
    }
    let r = send(Method::PATCH, Some("\"abc\""), Some(rename))
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = send(Method::DELETE, Some("\"2\""), None).await.unwrap();
    assert_eq!(r.status(), 412, "stale delete");
    assert_eq!(
        api.get(&realm_path(&format!("/identities/{id}"))).await.0,
        200
    );

    // Groups: membership changes move the ETag.
    let (_, g) = api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "g"}}),
        )
        .await;
    let gid = g["id"].as_str().unwrap();
    let add = client
        .post(api.url(&realm_path(&format!("/groups/{gid}:addMembers"))))
        .bearer_auth(&api.token)
        .header("if-match", "\"1\"")
        .json(&json!({"identity_ids": [id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), 200);
    assert_eq!(add.headers()["etag"], "\"2\"");
    let stale = client
        .post(api.url(&realm_path(&format!("/groups/{gid}:deleteMembers"))))
        .bearer_auth(&api.token)
        .header("if-match", "\"1\"")
        .json(&json!({"identity_ids": [id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    let (_, m) = api
        .get(&realm_path(&format!("/groups/{gid}:listMembers")))
        .await;
    assert_eq!(m["total_size"], 1, "a refused change changed nothing");
}
