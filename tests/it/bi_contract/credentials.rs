//! Credentials (`credentials` reference): list for an identity (and `-`), get, `:revoke`
//! on Beyond Identity's paths; the public key as a JWK with its RFC 7638 thumbprint.

use data_encoding::BASE64URL;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::examples::*;
use super::{gateway, has_shape, is_time, json};
use crate::support::admin::realm_path;
use crate::support::binding::{bind_link, return_link};
use crate::support::db::Backend;
use crate::support::smtp::SmtpServer;

on_both_backends!(credentials_follow_the_reference);

async fn credentials_follow_the_reference(backend: Backend) {
    let smtp = SmtpServer::start(0).await;
    let Some(api) = gateway(backend, &smtp).await else {
        return;
    };
    let id = api.create_identity("carol").await;
    let (_, link) = return_link(&api, &id).await;
    assert_eq!(bind_link(&api, &link).await.status, 200);

    let list_path = realm_path(&format!("/identities/{id}/credentials"));
    let (s, list) = api.get(&list_path).await;
    assert_eq!(s, 200, "{list}");
    has_shape(&list, &json(CREDENTIAL_LIST));
    assert_eq!(list["total_size"], 1);
    let (s, all) = api.get(&realm_path("/identities/-/credentials")).await;
    assert_eq!((s, &all["total_size"]), (200, &json!(1)));

    let cid = list["credentials"][0]["id"].as_str().unwrap().to_string();
    let item = realm_path(&format!("/identities/{id}/credentials/{cid}"));
    let (s, c) = api.get(&item).await;
    assert_eq!(s, 200, "{c}");
    has_shape(&c, &json(CREDENTIAL));
    assert_eq!(c["state"], "ACTIVE");
    assert_eq!(c["identity_id"], id.as_str());
    assert_eq!(c["csr_type"], "WEBAUTHN");
    assert!(is_time(&c["create_time"]));
    // The JWK of the passkey's P-256 key, and its thumbprint over exactly that JSON.
    let jwk_text = c["jwk_json"].as_str().unwrap();
    let jwk: Value = serde_json::from_str(jwk_text).unwrap();
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("EC"), Some("P-256"))
    );
    assert_eq!(
        jwk_text,
        format!(
            r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
            jwk["x"], jwk["y"]
        )
    );
    let thumb = BASE64URL.encode(&Sha256::digest(jwk_text.as_bytes()));
    assert_eq!(c["jwk_thumbprint"], thumb.as_str());

    // Another identity's path, or Beyond Identity's example id: the documented 404.
    let other = api.create_identity("dave").await;
    let (s, _) = api
        .get(&realm_path(&format!(
            "/identities/{other}/credentials/{cid}"
        )))
        .await;
    assert_eq!(s, 404);
    let (s, e) = api
        .get(&realm_path(&format!(
            "/identities/{id}/credentials/51c3c2d2907d6b40"
        )))
        .await;
    assert_eq!((s, e), (404, json(CREDENTIAL_NOT_FOUND)));

    // :revoke answers the credential itself.
    let (s, r) = api.post(&format!("{item}:revoke"), json!({})).await;
    assert_eq!(s, 200, "{r}");
    has_shape(&r, &json(CREDENTIAL));
    assert_eq!(r["state"], "REVOKED");
    assert_eq!(api.get(&item).await.1["state"], "REVOKED");
}
