//! The admin REST API over HTTP through the real gateway, on every backend: identities,
//! groups, realms, events, auth, every error case, paging 1,000 identities across a restart.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::admin::{assert_invalid, realm_path, tenant_path, AdminApi, BODY_LIMIT};
use crate::support::db::Backend;

on_both_backends!(
    identity_lifecycle,
    bad_input_is_refused_naming_the_field,
    auth_is_enforced,
    groups_and_members,
    realms_crud,
    paging_a_thousand_identities_across_a_restart,
    events_record_every_write,
    readiness_reports_the_store,
);

async fn identity_lifecycle(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let (s, created) = api
        .post(
            &realm_path("/identities"),
            json!({"identity": {
                "display_name": "Alice Liddell",
                "traits": {
                    "type": "traits_v0",
                    "username": "Alice",
                    "primary_email_address": "alice@example.com",
                    "external_id": "ext-1",
                    "given_name": "Alice",
                    "family_name": "Liddell",
                    "department": "wonderland"
                }
            }}),
        )
        .await;
    assert_eq!(s, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(created["realm_id"], "default");
    assert_eq!(created["tenant_id"], "default");
    assert_eq!(created["status"], "active");
    assert_eq!(created["enrollment_status"], "UNENROLLED");
    assert_eq!(created["traits"]["department"], "wonderland");
    assert!(created["create_time"].as_str().unwrap().ends_with('Z'));

    let (s, got) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!((s, &got), (200, &created));

    // Username filter is case-insensitive; email and external id filters work.
    for filter in [
        "traits.username eq \"ALICE\"",
        "traits.primary_email_address eq \"Alice@Example.com\"",
        "traits.external_id eq \"ext-1\"",
    ] {
        let url = format!("{}?filter={}", realm_path("/identities"), urlencode(filter));
        let (s, list) = api.get(&url).await;
        assert_eq!(s, 200, "{list}");
        assert_eq!(list["total_size"], 1, "{filter}: {list}");
        assert_eq!(list["identities"][0]["id"], id.as_str());
    }

    // Duplicate username, any case.
    let (s, dup) = api
        .post(
            &realm_path("/identities"),
            json!({"identity": {"traits": {"username": "aLiCe"}}}),
        )
        .await;
    assert_eq!(s, 409, "{dup}");
    assert_eq!(dup["code"], "conflict");
    assert_eq!(dup["message"], "username already exists");

    // PATCH changes only what is sent; null clears an optional trait.
    let (s, patched) = api
        .patch(
            &realm_path(&format!("/identities/{id}")),
            json!({"identity": {"status": "suspended", "traits": {"given_name": "Al", "primary_email_address": null}}}),
        )
        .await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(patched["status"], "suspended");
    assert_eq!(patched["traits"]["given_name"], "Al");
    assert_eq!(patched["traits"]["family_name"], "Liddell");
    assert_eq!(patched["traits"]["department"], "wonderland");
    assert_eq!(patched["display_name"], "Alice Liddell");
    assert!(
        patched["traits"].get("primary_email_address").is_none(),
        "{patched}"
    );
    assert_eq!(patched["create_time"], created["create_time"]);

    // Unknown realm and identity.
    let other_realm = tenant_path("/realms/nope/identities");
    assert_eq!(api.get(&other_realm).await.0, 404);
    let (s, e) = api
        .post(
            &other_realm,
            json!({"identity": {"traits": {"username": "x"}}}),
        )
        .await;
    assert_eq!(s, 404, "{e}");
    let missing = realm_path("/identities/00000000000000000000000000000000");
    assert_eq!(api.get(&missing).await.0, 404);
    assert_eq!(api.patch(&missing, json!({"identity": {}})).await.0, 404);
    assert_eq!(api.delete(&missing).await.0, 404);
    assert_eq!(api.get(&format!("{missing}:listGroups")).await.0, 404);
    assert_eq!(
        api.get(&realm_path(&format!("/identities/{id}:nonsense")))
            .await
            .0,
        404
    );

    let (s, groups) = api
        .get(&realm_path(&format!("/identities/{id}:listGroups")))
        .await;
    assert_eq!(s, 200);
    assert_eq!(groups, json!({"groups": [], "total_size": 0}));

    let (s, _) = api.delete(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(s, 200);
    assert_eq!(
        api.get(&realm_path(&format!("/identities/{id}"))).await.0,
        404
    );
    // The username is free again.
    api.create_identity("alice").await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn bad_input_is_refused_naming_the_field(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let path = realm_path("/identities");
    let r = api
        .call_raw(Method::POST, &path, b"{\"identity\": ".to_vec())
        .await;
    assert_invalid(&r, "body");
    let r = api.call_raw(Method::POST, &path, b"[1, 2]".to_vec()).await;
    assert_invalid(&r, "body");
    let cases = [
        (json!({}), "identity"),
        (json!({"identity": "alice"}), "identity"),
        (
            json!({"identity": {"traits": {}}}),
            "identity.traits.username",
        ),
        (
            json!({"identity": {"traits": {"username": 5}}}),
            "identity.traits.username",
        ),
        (
            json!({"identity": {"traits": {"username": ""}}}),
            "identity.traits.username",
        ),
        (
            json!({"identity": {"traits": {"username": "x".repeat(129)}}}),
            "identity.traits.username",
        ),
        (
            json!({"identity": {"traits": {"username": "a", "primary_email_address": "nope"}}}),
            "identity.traits.primary_email_address",
        ),
        (
            json!({"identity": {"traits": {"username": "a", "given_name": "y".repeat(257)}}}),
            "identity.traits.given_name",
        ),
        (
            json!({"identity": {"traits": {"username": "a", "type": "traits_v9"}}}),
            "identity.traits.type",
        ),
        (
            json!({"identity": {"traits": {"username": "a", "nested": {"x": 1}}}}),
            "identity.traits.nested",
        ),
        (
            json!({"identity": {"traits": {"username": "a", "bad key": "v"}}}),
            "identity.traits.bad key",
        ),
        (
            json!({"identity": {"traits": {"username": "a"}, "status": "gone"}}),
            "identity.status",
        ),
        (
            json!({"identity": {"traits": {"username": "a"}, "display_name": ["x"]}}),
            "identity.display_name",
        ),
        (
            json!({"identity": {"traits": {"username": "a"}, "colour": "red"}}),
            "identity.colour",
        ),
        (
            json!({"identity": {"traits": {"username": "a"}}, "extra": true}),
            "extra",
        ),
    ];
    for (body, field) in cases {
        let r = api.post(&path, body.clone()).await;
        assert_invalid(&r, field);
    }
    // Nothing was created by any of them.
    let (_, list) = api.get(&path).await;
    assert_eq!(list["total_size"], 0, "{list}");

    for (query, field) in [
        ("filter=traits.username%20eq%20alice", "filter"),
        ("filter=traits.display_name%20eq%20%22x%22", "filter"),
        ("page_size=ten", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_token=garbage", "page_token"),
    ] {
        let r = api.get(&format!("{path}?{query}")).await;
        assert_invalid(&r, field);
    }

    let id = api.create_identity("bob").await;
    let item = realm_path(&format!("/identities/{id}"));
    assert_invalid(
        &api.patch(&item, json!({"identity": {"traits": {"username": null}}}))
            .await,
        "identity.traits.username",
    );
    assert_invalid(
        &api.patch(&item, json!({"identity": {"display_name": ""}}))
            .await,
        "identity.display_name",
    );
    assert_invalid(
        &api.patch(&item, json!({"identity": {}, "identitee": {}}))
            .await,
        "identitee",
    );
    assert_invalid(
        &api.post(
            &realm_path("/identities:batchDelete"),
            json!({"identity_ids": []}),
        )
        .await,
        "identity_ids",
    );
    assert_invalid(
        &api.post(
            &realm_path("/identities:batchDelete"),
            json!({"identity_ids": [1]}),
        )
        .await,
        "identity_ids[0]",
    );
    let too_many: Vec<String> = (0..1001).map(|i| format!("{i}")).collect();
    assert_invalid(
        &api.post(
            &realm_path("/identities:batchDelete"),
            json!({"identity_ids": too_many}),
        )
        .await,
        "identity_ids",
    );

    // Over the body limit: 413 in the standard shape, and nothing created.
    let big = json!({"identity": {"traits": {"username": "big", "note": "z".repeat(BODY_LIMIT)}}});
    let (s, e) = api.post(&path, big).await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["code"], "payload_too_large");
    let (_, list) = api.get(&path).await;
    assert_eq!(list["total_size"], 1);
}

async fn auth_is_enforced(backend: Backend) {
    let Some(mut api) = AdminApi::start(backend).await else {
        return;
    };
    // On a test clock: the short-lived token below expires by moving it, not by sleeping.
    api.clock = Some(crate::support::gateway::TestClock::in_dir(
        api.db.dir.path(),
    ));
    api.restart().await;
    let path = realm_path("/identities");
    let expect = |r: (u16, Value), status: u16, code: &str| {
        assert_eq!(r.0, status, "{}", r.1);
        if status >= 400 {
            assert_eq!(r.1["code"], code, "{}", r.1);
        }
    };
    expect(
        api.call_as(None, Method::GET, &path, None).await,
        401,
        "unauthorized",
    );
    expect(
        api.call_as(Some("nonsense"), Method::GET, &path, None)
            .await,
        401,
        "unauthorized",
    );
    let forged = format!("{}x", api.token);
    expect(
        api.call_as(Some(&forged), Method::GET, &path, None).await,
        401,
        "unauthorized",
    );
    let unknown = "pgt_00000000000000000000000000000000_secret";
    expect(
        api.call_as(Some(unknown), Method::GET, &path, None).await,
        401,
        "unauthorized",
    );

    // Scopes.
    let reader = api.new_token("reader", &["identities:read"], &[]);
    expect(
        api.call_as(Some(&reader), Method::GET, &path, None).await,
        200,
        "",
    );
    let create = json!({"identity": {"traits": {"username": "eve"}}});
    expect(
        api.call_as(Some(&reader), Method::POST, &path, Some(create.clone()))
            .await,
        403,
        "forbidden",
    );
    expect(
        api.call_as(Some(&reader), Method::GET, &realm_path("/groups"), None)
            .await,
        403,
        "forbidden",
    );
    expect(
        api.call_as(Some(&reader), Method::GET, &realm_path("/events"), None)
            .await,
        403,
        "forbidden",
    );
    let writer = api.new_token("writer", &["identities:*"], &[]);
    expect(
        api.call_as(Some(&writer), Method::POST, &path, Some(create))
            .await,
        200,
        "",
    );

    // Realm-bound token: its realm only, nothing tenant-wide.
    let (s, realm) = api
        .post(
            &tenant_path("/realms"),
            json!({"realm": {"display_name": "Other"}}),
        )
        .await;
    assert_eq!(s, 200, "{realm}");
    let other = realm["id"].as_str().unwrap().to_string();
    let bound = api.new_token("bound", &["admin"], &["--realm", &other]);
    let other_path = tenant_path(&format!("/realms/{other}/identities"));
    expect(
        api.call_as(Some(&bound), Method::GET, &other_path, None)
            .await,
        200,
        "",
    );
    expect(
        api.call_as(Some(&bound), Method::GET, &path, None).await,
        403,
        "forbidden",
    );
    expect(
        api.call_as(Some(&bound), Method::GET, &tenant_path("/realms"), None)
            .await,
        403,
        "forbidden",
    );

    // Another tenant: not found, even with an admin token.
    expect(
        api.get("/.passgate/v1/tenants/other/realms/default/identities")
            .await,
        404,
        "not_found",
    );

    // Only on the auth host.
    let resp = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}{path}", api.port))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    expect(AdminApi::read(resp).await, 404, "not_found");
    // The auth host with a trailing dot is the auth host (as in the data plane).
    let resp = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}{path}", api.port))
        .header("host", format!("localhost.:{}", api.port))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(AdminApi::read(resp).await.0, 200);

    // Revoked and expired tokens stop working. `passgate token revoke` is another process:
    // the gateway, which verified this token a moment ago, follows within the token cache's
    // TTL (a revocation through the gateway itself, e.g. in the console, applies at once).
    let id = writer.split('_').nth(1).unwrap().to_string();
    let out = api.cli(&["token", "revoke", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked = std::time::Instant::now();
    loop {
        let resp = api.call_as(Some(&writer), Method::GET, &path, None).await;
        if resp.0 == 401 {
            expect(resp, 401, "unauthorized");
            break;
        }
        assert!(
            revoked.elapsed()
                < passgate::idm::token_cache::TTL + std::time::Duration::from_millis(500),
            "a revoked token still works after {:?}",
            revoked.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let brief = api.new_token("brief", &["admin"], &["--expires-in", "1s"]);
    expect(
        api.call_as(Some(&brief), Method::GET, &path, None).await,
        200,
        "",
    );
    api.clock.as_ref().unwrap().advance_secs(2);
    expect(
        api.call_as(Some(&brief), Method::GET, &path, None).await,
        401,
        "unauthorized",
    );
}

async fn groups_and_members(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let alice = api.create_identity("alice").await;
    let bob = api.create_identity("bob").await;
    let carol = api.create_identity("carol").await;
    let groups = realm_path("/groups");

    // One unknown member: no group at all.
    let (s, e) = api
        .post(
            &groups,
            json!({"group": {"display_name": "staff"}, "identity_ids": [alice, "nobody"]}),
        )
        .await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(api.get(&groups).await.1["total_size"], 0);
    assert_invalid(
        &api.post(&groups, json!({"group": {}})).await,
        "group.display_name",
    );
    assert_invalid(
        &api.post(
            &groups,
            json!({"group": {"display_name": "x", "description": 3}}),
        )
        .await,
        "group.description",
    );

    let (s, g) = api
        .post(&groups, json!({"group": {"display_name": "staff", "description": "everyone"}, "identity_ids": [alice, bob]}))
        .await;
    assert_eq!(s, 200, "{g}");
    let gid = g["id"].as_str().unwrap().to_string();
    let item = realm_path(&format!("/groups/{gid}"));
    assert_eq!(api.get(&item).await, (200, g.clone()));

    let members = |v: &Value| -> Vec<String> {
        v["identities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, m) = api.get(&format!("{item}:listMembers")).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(members(&m), vec![alice.clone(), bob.clone()]);

    // Adding is idempotent; an unknown id fails the whole call.
    let (s, e) = api
        .post(
            &format!("{item}:addMembers"),
            json!({"identity_ids": [carol, "ghost"]}),
        )
        .await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(
        api.get(&format!("{item}:listMembers")).await.1["total_size"],
        2
    );
    let (s, _) = api
        .post(
            &format!("{item}:addMembers"),
            json!({"identity_ids": [carol, alice]}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, m) = api.get(&format!("{item}:listMembers?page_size=2")).await;
    assert_eq!(m["total_size"], 3);
    assert_eq!(members(&m).len(), 2);
    let token = m["next_page_token"].as_str().unwrap();
    let (_, m2) = api
        .get(&format!(
            "{item}:listMembers?page_size=2&page_token={token}"
        ))
        .await;
    assert_eq!(members(&m2), vec![carol.clone()]);
    assert!(m2.get("next_page_token").is_none());

    let (s, _) = api
        .post(
            &format!("{item}:deleteMembers"),
            json!({"identity_ids": [bob]}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, m) = api.get(&format!("{item}:listMembers")).await;
    assert_eq!(members(&m), vec![alice.clone(), carol.clone()]);
    let (_, ig) = api
        .get(&realm_path(&format!("/identities/{alice}:listGroups")))
        .await;
    assert_eq!(ig["groups"][0]["id"], gid.as_str());
    let (_, ig) = api
        .get(&realm_path(&format!("/identities/{bob}:listGroups")))
        .await;
    assert_eq!(ig["total_size"], 0);

    // Field-mask PATCH.
    let (s, p) = api
        .patch(&item, json!({"group": {"description": "some"}}))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["display_name"], "staff");
    assert_eq!(p["description"], "some");
    assert_invalid(
        &api.patch(&item, json!({"group": {"members": []}})).await,
        "group.members",
    );

    assert_eq!(
        api.post(
            &format!("{item}:frobnicate"),
            json!({"identity_ids": [alice]})
        )
        .await
        .0,
        404
    );
    assert_eq!(api.get(&realm_path("/groups/nope")).await.0, 404);
    assert_eq!(
        api.post(
            &realm_path("/groups/nope:addMembers"),
            json!({"identity_ids": [alice]})
        )
        .await
        .0,
        404
    );

    // Deleting a member identity drops it from the group.
    api.delete(&realm_path(&format!("/identities/{carol}")))
        .await;
    let (_, m) = api.get(&format!("{item}:listMembers")).await;
    assert_eq!(members(&m), vec![alice.clone()]);

    let (s, _) = api.delete(&item).await;
    assert_eq!(s, 200);
    assert_eq!(api.get(&item).await.0, 404);
    assert_eq!(api.delete(&item).await.0, 404);
}

async fn realms_crud(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let (s, t) = api.get(&tenant_path("")).await;
    assert_eq!(
        (s, t),
        (200, json!({"id": "default", "display_name": "default"}))
    );

    let realms = tenant_path("/realms");
    assert_invalid(
        &api.post(&realms, json!({"realm": {}})).await,
        "realm.display_name",
    );
    assert_invalid(
        &api.post(
            &realms,
            json!({"realm": {"display_name": "x", "rp_id": "evil.com"}}),
        )
        .await,
        "realm.rp_id",
    );
    let (s, r) = api
        .post(
            &realms,
            json!({"realm": {"display_name": "Staff", "rp_name": "Staff portal"}}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rp_id"], "localhost");
    let rid = r["id"].as_str().unwrap().to_string();
    let item = tenant_path(&format!("/realms/{rid}"));
    assert_eq!(api.get(&item).await, (200, r.clone()));

    let (_, list) = api.get(&realms).await;
    assert_eq!(list["total_size"], 2);
    let ids: Vec<&str> = list["realms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["default", rid.as_str()]);

    assert_invalid(
        &api.patch(&item, json!({"realm": {"display_name": null}}))
            .await,
        "realm.display_name",
    );
    assert_invalid(
        &api.patch(&item, json!({"realm": {"rp_id": "example.org"}}))
            .await,
        "realm.rp_id",
    );
    assert_invalid(
        &api.patch(&item, json!({"realm": {"owner": "me"}})).await,
        "realm.owner",
    );
    let (s, p) = api
        .patch(&item, json!({"realm": {"display_name": "Staff only"}}))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["display_name"], "Staff only");
    assert_eq!(p["rp_name"], "Staff portal");

    // A realm has its own directory: the same username in two realms is fine.
    api.create_identity("alice").await;
    let in_staff = format!("{item}/identities");
    let (s, staff_alice) = api
        .post(
            &in_staff,
            json!({"identity": {"traits": {"username": "alice"}}}),
        )
        .await;
    assert_eq!(s, 200, "{staff_alice}");
    let staff_alice = staff_alice["id"].as_str().unwrap().to_string();
    // ...and another realm's identity is invisible from here.
    assert_eq!(
        api.get(&realm_path(&format!("/identities/{staff_alice}")))
            .await
            .0,
        404
    );

    let (s, e) = api.delete(&tenant_path("/realms/default")).await;
    assert_eq!(s, 409, "{e}");
    let (s, _) = api.delete(&item).await;
    assert_eq!(s, 200);
    assert_eq!(api.get(&item).await.0, 404);
    assert_eq!(api.get(&in_staff).await.0, 404);
    assert_eq!(api.get(&realms).await.1["total_size"], 1);
}

async fn paging_a_thousand_identities_across_a_restart(backend: Backend) {
    let Some(mut api) = AdminApi::start(backend).await else {
        return;
    };
    let mut created = Vec::new();
    for i in 0..1000 {
        created.push(api.create_identity(&format!("user{i:04}")).await);
    }
    let path = realm_path("/identities");
    let mut seen: Vec<String> = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &token {
            Some(t) => format!("{path}?page_size=37&page_token={t}"),
            None => format!("{path}?page_size=37"),
        };
        let (s, page) = api.get(&url).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["total_size"], 1000);
        let items = page["identities"].as_array().unwrap();
        assert!(items.len() <= 37);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        pages += 1;
        if pages == 10 {
            // Restart half-way: the token still works and nothing is lost.
            api.restart().await;
        }
        match page["next_page_token"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 28);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 1000, "repeats in the pages");
    assert_eq!(seen, created, "gaps or reordering in the pages");

    // Default and maximum page sizes.
    let (_, page) = api.get(&path).await;
    assert_eq!(page["identities"].as_array().unwrap().len(), 20);
    let (_, page) = api.get(&format!("{path}?page_size=5000")).await;
    assert_eq!(page["identities"].as_array().unwrap().len(), 200);

    // Batch delete: one unknown id and nothing goes; then ten go.
    let mut ten: Vec<String> = created[..10].to_vec();
    ten.push("ffffffffffffffffffffffffffffffff".into());
    let (s, e) = api
        .post(
            &realm_path("/identities:batchDelete"),
            json!({"identity_ids": ten}),
        )
        .await;
    assert_eq!(s, 404, "{e}");
    assert_eq!(api.get(&path).await.1["total_size"], 1000);
    ten.pop();
    let (s, _) = api
        .post(
            &realm_path("/identities:batchDelete"),
            json!({"identity_ids": ten}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(api.get(&path).await.1["total_size"], 990);
}

async fn events_record_every_write(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let alice = api.create_identity("alice").await;
    api.patch(
        &realm_path(&format!("/identities/{alice}")),
        json!({"identity": {"display_name": "Alice"}}),
    )
    .await;
    let (_, g) = api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "g"}}),
        )
        .await;
    let gid = g["id"].as_str().unwrap();
    api.post(
        &realm_path(&format!("/groups/{gid}:addMembers")),
        json!({"identity_ids": [alice]}),
    )
    .await;
    api.delete(&realm_path(&format!("/identities/{alice}")))
        .await;
    // A refused write leaves no event.
    api.post(&realm_path("/identities"), json!({"identity": {}}))
        .await;

    let (s, ev) = api.get(&realm_path("/events?page_size=3")).await;
    assert_eq!(s, 200, "{ev}");
    assert_eq!(ev["total_size"], 5);
    let token = ev["next_page_token"].as_str().unwrap();
    let (_, ev2) = api
        .get(&realm_path(&format!(
            "/events?page_size=3&page_token={token}"
        )))
        .await;
    let all: Vec<Value> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(ev2["events"].as_array().unwrap())
        .cloned()
        .collect();
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "identity.create",
            "identity.update",
            "group.create",
            "group.add_members",
            "identity.delete"
        ]
    );
    let token_id = api.token.split('_').nth(1).unwrap();
    for e in &all {
        assert_eq!(e["actor"], format!("api_token:{token_id}"));
        assert!(e["create_time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(all[1]["before"]["display_name"], "alice");
    assert_eq!(all[1]["after"]["display_name"], "Alice");
    assert_eq!(all[3]["target_ids"], json!([gid, alice]));
    assert_eq!(all[4]["target_ids"], json!([alice]));
}

async fn readiness_reports_the_store(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let resp = reqwest::get(api.url("/.passgate/readyz")).await.unwrap();
    let (s, v) = AdminApi::read(resp).await;
    assert_eq!(s, 200, "{v}");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(v["store"], expected);
}

/// SIGHUP keeps the open store and syncs newly declared realms into it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_the_store_and_adds_declared_realms() {
    let Some(api) = AdminApi::start(Backend::Sqlite).await else {
        return;
    };
    let alice = api.create_identity("alice").await;
    let realm = "[[realms]]\nid = \"default\"\n\n[[realms]]\nid = \"partners\"\ndisplay_name = \"Partners\"\n";
    api.gw.write_config(&format!("{}\n{realm}", api.config));
    api.gw.signal(nix::sys::signal::Signal::SIGHUP);
    api.gw.wait_for_log("configuration reloaded", 10).await;

    let (s, r) = api.get(&tenant_path("/realms/partners")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["display_name"], "Partners");
    let (s, e) = api.delete(&tenant_path("/realms/partners")).await;
    assert_eq!(s, 409, "a config realm was deletable: {e}");
    assert_eq!(
        api.get(&realm_path(&format!("/identities/{alice}")))
            .await
            .0,
        200
    );
    let (s, i) = api
        .post(
            &tenant_path("/realms/partners/identities"),
            json!({"identity": {"traits": {"username": "alice"}}}),
        )
        .await;
    assert_eq!(s, 200, "{i}");
}
