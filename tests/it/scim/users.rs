//! Users: create (201, Location, meta, ETag), read, 409 `uniqueness` in any case, PUT
//! replaces (absent attributes cleared), every write moves the weak ETag, `If-Match`
//! (stale → 412), DELETE (then 404), the enterprise extension on traits, and the audit log
//! naming the SCIM token.

use reqwest::Method;
use serde_json::json;

use super::{scim_path, Scim, ENTERPRISE, USER};
use crate::support::admin::{realm_path, AdminApi};
use crate::support::db::Backend;

on_both_backends!(
    user_lifecycle,
    etags_and_if_match,
    writes_are_audited_with_the_token,
    delete_removes_passkeys_and_sessions,
);

fn bjensen() -> serde_json::Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
                 "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms.",
                 "honorificSuffix": "III"},
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"},
                         {"value": "555-555-4444", "type": "mobile"}],
        "userType": "Employee",
        "title": "Tour Guide",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "password": "t1meMa$heen",
        ENTERPRISE: {"employeeNumber": "701984", "costCenter": "4130",
                     "organization": "Universal Studios", "division": "Theme Park",
                     "department": "Tour Operations",
                     "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
    })
}

async fn user_lifecycle(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let created = scim.post("/Users", bjensen()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.id();
    let u = &created.body;
    let base = format!("http://localhost:{}{}", api.port, scim_path(""));
    assert_eq!(
        created.location.as_deref(),
        Some(format!("{base}/Users/{id}").as_str())
    );
    assert_eq!(created.etag.as_deref(), Some("W/\"1\""));
    assert_eq!(u["meta"]["resourceType"], "User");
    assert_eq!(u["meta"]["version"], "W/\"1\"");
    assert_eq!(u["meta"]["location"], format!("{base}/Users/{id}"));
    assert!(u["meta"]["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(u["meta"]["created"], u["meta"]["lastModified"]);
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]));
    assert_eq!(u["userName"], "bjensen@example.com");
    assert_eq!(u["externalId"], "701984");
    assert_eq!(u["displayName"], "Babs Jensen");
    assert_eq!(u["name"]["givenName"], "Barbara");
    assert_eq!(u["name"]["middleName"], "Jane");
    assert_eq!(u["name"]["formatted"], "Ms. Barbara J Jensen, III");
    assert_eq!(u["nickName"], "Babs");
    assert_eq!(u["timezone"], "America/Los_Angeles");
    assert_eq!(u["active"], true);
    assert_eq!(
        u["emails"],
        json!([{"value": "bjensen@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(
        u["phoneNumbers"],
        json!([{"value": "555-555-5555", "type": "work"}, {"value": "555-555-4444", "type": "mobile"}])
    );
    assert_eq!(u[ENTERPRISE]["department"], "Tour Operations");
    assert_eq!(
        u[ENTERPRISE]["manager"]["value"],
        "26118915-6090-4610-87e4-49d8ca9f808d"
    );
    assert_eq!(u["groups"], json!([]));
    assert!(
        u.get("password").is_none(),
        "passwords are never stored: {u}"
    );

    // The same identity through the admin API: traits carry the attributes.
    let (s, ident) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(s, 200);
    assert_eq!(ident["traits"]["username"], "bjensen@example.com");
    assert_eq!(
        ident["traits"]["primary_email_address"],
        "bjensen@example.com"
    );
    assert_eq!(ident["traits"]["external_id"], "701984");
    assert_eq!(ident["traits"]["department"], "Tour Operations");
    assert_eq!(ident["traits"]["phone_mobile"], "555-555-4444");
    assert_eq!(ident["display_name"], "Babs Jensen");

    let got = scim.get(&format!("/Users/{id}")).await;
    assert_eq!((got.status, &got.body), (200, &created.body));
    assert_eq!(got.etag.as_deref(), Some("W/\"1\""));

    // userName is unique in any case.
    let mut dup = bjensen();
    dup["userName"] = "BJENSEN@example.COM".into();
    scim.post("/Users", dup)
        .await
        .assert_error(409, Some("uniqueness"));
    assert_eq!(scim.get("/Users").await.body["totalResults"], 1);

    // PUT replaces: what is left out is cleared; readOnly id/meta in the body are ignored.
    let put = scim
        .put(
            &format!("/Users/{id}"),
            json!({"schemas": [USER], "id": id, "userName": "bjensen@example.com",
                   "name": {"givenName": "Barbara", "familyName": "Jensen-Smith"},
                   "meta": {"version": "W/\"99\""}, "active": true}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    let p = &put.body;
    assert_eq!(
        p["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen-Smith"})
    );
    assert_eq!(p["displayName"], "bjensen@example.com");
    assert!(
        p.get("emails").is_none() && p.get("externalId").is_none(),
        "{p}"
    );
    assert!(
        p.get(ENTERPRISE).is_none() && p.get("nickName").is_none(),
        "{p}"
    );
    assert_eq!(p["schemas"], json!([USER]));
    assert_eq!(put.etag.as_deref(), Some("W/\"2\""));
    scim.put("/Users/nope", json!({"schemas": [USER], "userName": "x"}))
        .await
        .assert_error(404, None);
    // PUT without userName is refused.
    scim.put(&format!("/Users/{id}"), json!({"schemas": [USER]}))
        .await
        .assert_error(400, Some("invalidValue"));

    // DELETE, then it is gone.
    let del = scim.delete(&format!("/Users/{id}")).await;
    assert_eq!(del.status, 204, "{}", del.body);
    assert!(del.body.is_null());
    scim.get(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    scim.delete(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    let (s, _) = api.get(&realm_path(&format!("/identities/{id}"))).await;
    assert_eq!(s, 404);
}

async fn etags_and_if_match(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let u = scim.user("etag", json!({})).await;
    let id = u.id();
    let path = format!("/Users/{id}");
    let patch = |tag: &'static str| {
        let body = json!({"schemas": [super::PATCH_OP],
            "Operations": [{"op": "replace", "path": "title", "value": tag}]});
        scim.request(Method::PATCH, &path)
            .header("if-match", tag)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
    };
    // Every write moves the version on; a stale If-Match is refused and writes nothing.
    let ok = scim.send(patch("W/\"1\"")).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.etag.as_deref(), Some("W/\"2\""));
    assert_eq!(ok.body["meta"]["version"], "W/\"2\"");
    assert_ne!(
        ok.body["meta"]["lastModified"],
        u.body["meta"]["lastModified"]
    );
    scim.send(patch("W/\"1\"")).await.assert_error(412, None);
    scim.send(patch("\"bogus\"")).await.assert_error(412, None);
    assert_eq!(scim.get(&path).await.body["title"], "W/\"1\"");
    // Strong spelling and * are accepted too.
    assert_eq!(scim.send(patch("\"2\"")).await.status, 200);
    assert_eq!(scim.send(patch("*")).await.status, 200);
    // PUT and DELETE honour it as well.
    let put = scim
        .request(Method::PUT, &path)
        .header("if-match", "W/\"1\"")
        .header("content-type", "application/scim+json")
        .body(json!({"schemas": [USER], "userName": "etag"}).to_string());
    scim.send(put).await.assert_error(412, None);
    let del = scim
        .request(Method::DELETE, &path)
        .header("if-match", "W/\"3\"");
    scim.send(del).await.assert_error(412, None);
    let del = scim
        .request(Method::DELETE, &path)
        .header("if-match", "W/\"4\"");
    assert_eq!(scim.send(del).await.status, 204);
    // A group's version moves on membership changes too.
    let a = scim.user("member-a", json!({})).await.id();
    let g = scim
        .post(
            "/Groups",
            json!({"schemas": [super::GROUP], "displayName": "etags"}),
        )
        .await;
    assert_eq!(g.etag.as_deref(), Some("W/\"1\""));
    let gp = scim
        .patch(
            &format!("/Groups/{}", g.id()),
            json!([{"op": "add", "path": "members", "value": [{"value": a}]}]),
        )
        .await;
    assert_eq!(gp.etag.as_deref(), Some("W/\"2\""));
    // Deleting the member moves the group on again.
    assert_eq!(scim.delete(&format!("/Users/{a}")).await.status, 204);
    let after = scim.get(&format!("/Groups/{}", g.id())).await;
    assert_eq!(after.etag.as_deref(), Some("W/\"3\""));
    assert_eq!(after.body["members"], json!([]));
}

async fn writes_are_audited_with_the_token(backend: Backend) {
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let id = scim.user("audited", json!({})).await.id();
    scim.patch(
        &format!("/Users/{id}"),
        json!([{"op": "replace", "path": "active", "value": false}]),
    )
    .await;
    let g = scim
        .post(
            "/Groups",
            json!({"schemas": [super::GROUP], "displayName": "g", "members": [{"value": id}]}),
        )
        .await
        .id();
    scim.delete(&format!("/Groups/{g}")).await;
    scim.delete(&format!("/Users/{id}")).await;
    let token_id = scim
        .token
        .strip_prefix("pgt_")
        .unwrap()
        .split('_')
        .next()
        .unwrap();
    let (s, events) = api.get(&realm_path("/events?page_size=200")).await;
    assert_eq!(s, 200, "{events}");
    let mine: Vec<(String, String)> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == format!("api_token:{token_id}"))
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["target_ids"][0].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let actions: Vec<&str> = mine.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "identity.create",
            "identity.update",
            "group.create",
            "group.delete",
            "identity.delete"
        ],
        "{events}"
    );
    assert_eq!(mine[0].1, id);
}

async fn delete_removes_passkeys_and_sessions(backend: Backend) {
    use crate::support::binding::{bind_link, return_link};
    let Some(api) = AdminApi::start(backend).await else {
        return;
    };
    let scim = Scim::new(&api);
    let id = scim.user("keyholder", json!({})).await.id();
    let (_, link) = return_link(&api, &id).await;
    let bound = bind_link(&api, &link).await;
    assert_eq!(bound.status, 200, "{}", bound.body);
    let passkey = bound.body["passkey"]["id"].as_str().unwrap().to_string();
    let cookie = bound.set_cookie.expect("a session cookie");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let session = |c: String| {
        let url = api.url("/.passgate/api/v1/session");
        async move {
            crate::support::client()
                .get(url)
                .header("cookie", c)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(session(cookie.clone()).await, 200);
    let (s, _) = api
        .get(&realm_path(&format!("/credentials/{passkey}")))
        .await;
    assert_eq!(s, 200);

    assert_eq!(scim.delete(&format!("/Users/{id}")).await.status, 204);
    let (s, _) = api
        .get(&realm_path(&format!("/credentials/{passkey}")))
        .await;
    assert_eq!(s, 404, "the passkey went with the identity");
    assert_eq!(session(cookie).await, 401, "the session ended with it");
}
