//! webauthn-authenticator-rs's soft passkey against the real webauthn-rs: what it refuses,
//! and a registration plus a username-first sign-in through the wrapper.

use serde_json::Value;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid};
use webauthn_rs::WebauthnBuilder;

use crate::support::authenticator::unb64;
use crate::support::soft_passkey::SoftPasskey;

const ORIGIN: &str = "http://localhost:8080";

#[test]
fn soft_passkey_registers_and_signs_in_with_an_allow_list() {
    let origin = Url::parse(ORIGIN).unwrap();
    let wa = WebauthnBuilder::new("localhost", &origin)
        .unwrap()
        .build()
        .unwrap();
    let (ccr, state) = wa
        .start_passkey_registration(Uuid::new_v4(), "alice", "Alice", None)
        .unwrap();
    let mut options = serde_json::to_value(&ccr).unwrap();
    options["ceremony"] = "c-1".into();
    options["publicKey"]["authenticatorSelection"]["residentKey"] = "required".into();
    options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = true.into();

    let mut soft = SoftPasskey::new();
    let refused = soft.register_unchanged(ORIGIN, &options).unwrap_err();
    assert!(refused.contains("NotSupported"), "{refused}");

    let response = soft.register(ORIGIN, &options).expect("register");
    assert!(
        response.get("clientExtensionResults").is_some(),
        "{response}"
    );
    let client_data: Value = serde_json::from_slice(
        &unb64(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        client_data["origin"],
        format!("{ORIGIN}/"),
        "the known trailing slash"
    );
    let reg: RegisterPublicKeyCredential = serde_json::from_value(response).unwrap();
    let passkey = wa
        .finish_passkey_registration(&reg, &state)
        .expect("webauthn-rs accepts the trailing-slash origin");

    let (rcr, state) = wa
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .unwrap();
    let options = serde_json::to_value(&rcr).unwrap();
    let response = soft.authenticate(ORIGIN, &options).expect("assert");
    let cred: PublicKeyCredential = serde_json::from_value(response).unwrap();
    let result = wa
        .finish_passkey_authentication(&cred, &state)
        .expect("finish");
    assert!(result.user_verified());

    // Usernameless: it has no resident credential to offer.
    let (rcr, _) = wa.start_discoverable_authentication().unwrap();
    let options = serde_json::to_value(&rcr).unwrap();
    assert!(soft.authenticate(ORIGIN, &options).is_err());
}
