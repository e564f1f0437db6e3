//! The software authenticator against the real webauthn-rs: passkey registration and
//! sign-in with an allow list, usernameless (discoverable) sign-in, padded base64url input,
//! and every negative knob rejected by webauthn-rs for the right reason.

use serde_json::Value;
use webauthn_rs::prelude::{
    Passkey, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, WebauthnError,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::support::authenticator::{b64, unb64, Authenticator, AuthenticatorError};

const ORIGIN: &str = "http://localhost:8080";

fn webauthn() -> Webauthn {
    let origin = Url::parse(ORIGIN).expect("origin");
    WebauthnBuilder::new("localhost", &origin)
        .expect("builder")
        .build()
        .expect("webauthn")
}

/// webauthn-rs's passkey creation options as passgate will send them: resident key required.
fn creation_options(
    wa: &Webauthn,
    user: Uuid,
    name: &str,
) -> (Value, webauthn_rs::prelude::PasskeyRegistration) {
    let (ccr, state) = wa
        .start_passkey_registration(user, name, name, None)
        .expect("start registration");
    let mut options = serde_json::to_value(&ccr).expect("serialise options");
    let sel = &mut options["publicKey"]["authenticatorSelection"];
    assert_eq!(
        sel["residentKey"], "discouraged",
        "webauthn-rs default changed"
    );
    sel["residentKey"] = "required".into();
    sel["requireResidentKey"] = true.into();
    (options, state)
}

fn register(wa: &Webauthn, auth: &mut Authenticator, user: Uuid) -> Passkey {
    let (options, state) = creation_options(wa, user, "alice");
    let response = auth.register(ORIGIN, &options).expect("register");
    let reg: RegisterPublicKeyCredential = serde_json::from_value(response).expect("parse");
    wa.finish_passkey_registration(&reg, &state)
        .expect("webauthn-rs accepts the registration")
}

/// One sign-in with an allow list; the webauthn-rs result or its error.
fn sign_in(
    wa: &Webauthn,
    auth: &mut Authenticator,
    origin: &str,
    passkey: &Passkey,
) -> Result<webauthn_rs::prelude::AuthenticationResult, WebauthnError> {
    let (rcr, state) = wa
        .start_passkey_authentication(std::slice::from_ref(passkey))
        .expect("start authentication");
    let options = serde_json::to_value(&rcr).expect("serialise");
    let response = auth.authenticate(origin, &options).expect("assert");
    let cred: PublicKeyCredential = serde_json::from_value(response).expect("parse");
    wa.finish_passkey_authentication(&cred, &state)
}

#[test]
fn registration_then_sign_in_with_an_allow_list() {
    let wa = webauthn();
    let mut auth = Authenticator::new();
    let user = Uuid::new_v4();
    let (options, state) = creation_options(&wa, user, "alice");
    let response = auth.register(ORIGIN, &options).expect("register");
    assert_eq!(response["type"], "public-key");
    assert_eq!(response["authenticatorAttachment"], "platform");
    assert_eq!(response["clientExtensionResults"], serde_json::json!({}));
    assert_eq!(response["id"], response["rawId"]);
    let client_data = unb64(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap();
    let client_data: Value = serde_json::from_slice(&client_data).unwrap();
    assert_eq!(client_data["type"], "webauthn.create");
    assert_eq!(client_data["origin"], ORIGIN);
    assert_eq!(client_data["challenge"], options["publicKey"]["challenge"]);

    let reg: RegisterPublicKeyCredential = serde_json::from_value(response.clone()).unwrap();
    let mut passkey = wa
        .finish_passkey_registration(&reg, &state)
        .expect("finish");
    assert_eq!(b64(passkey.cred_id()), response["id"].as_str().unwrap());
    assert_eq!(auth.credentials().len(), 1);
    assert_eq!(auth.credentials()[0].user_handle, user.as_bytes());

    for expected in 1..=2 {
        let result = sign_in(&wa, &mut auth, ORIGIN, &passkey).expect("sign in");
        assert!(result.user_verified());
        assert_eq!(result.counter(), expected);
        assert!(!result.backup_eligible());
        passkey.update_credential(&result);
    }
}

#[test]
fn usernameless_sign_in_returns_the_user_handle() {
    let wa = webauthn();
    let mut auth = Authenticator::new().with_backup(true, true);
    let alice = Uuid::new_v4();
    let bob = Uuid::new_v4();
    let alice_key = register(&wa, &mut auth, alice);
    let bob_key = register(&wa, &mut auth, bob);

    for (user, key, pick) in [(bob, &bob_key, None), (alice, &alice_key, Some(alice))] {
        let (rcr, state) = wa.start_discoverable_authentication().expect("start");
        let options = serde_json::to_value(&rcr).expect("serialise");
        let allow = &options["publicKey"]["allowCredentials"];
        assert!(allow.as_array().is_none_or(|a| a.is_empty()), "{allow}");
        let handle = pick.map(|u: Uuid| u.as_bytes().to_vec());
        let response = auth
            .authenticate_as(ORIGIN, &options, handle.as_deref())
            .expect("usernameless assertion");
        let cred: PublicKeyCredential = serde_json::from_value(response).expect("parse");
        let (found, cred_id) = wa
            .identify_discoverable_authentication(&cred)
            .expect("identify");
        assert_eq!(found, user, "the newest credential, or the one picked");
        assert_eq!(cred_id, key.cred_id().as_slice());
        let result = wa
            .finish_discoverable_authentication_v2(&cred, state, key)
            .expect("finish");
        assert!(result.user_verified());
        assert!(result.backup_eligible() && result.backup_state());
    }
}

#[test]
fn padded_base64url_options_are_accepted() {
    let wa = webauthn();
    let mut auth = Authenticator::new();
    let (mut options, state) = creation_options(&wa, Uuid::new_v4(), "alice");
    for field in ["/publicKey/challenge", "/publicKey/user/id"] {
        let v = options.pointer_mut(field).unwrap();
        let bytes = unb64(v.as_str().unwrap()).unwrap();
        let padded = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE, bytes);
        assert!(
            padded.ends_with('='),
            "{padded} needs padding for this test"
        );
        *v = padded.into();
    }
    let response = auth.register(ORIGIN, &options).expect("register");
    let reg: RegisterPublicKeyCredential = serde_json::from_value(response).unwrap();
    wa.finish_passkey_registration(&reg, &state)
        .expect("finish");
}

#[test]
fn a_sign_count_start_and_the_clients_refusals() {
    let wa = webauthn();
    let mut auth = Authenticator::new().with_sign_count(41);
    let passkey = register(&wa, &mut auth, Uuid::new_v4());
    let result = sign_in(&wa, &mut auth, ORIGIN, &passkey).expect("sign in");
    assert_eq!(result.counter(), 42);

    // excludeCredentials naming a credential it holds: InvalidStateError.
    let (ccr, _) = wa
        .start_passkey_registration(
            Uuid::new_v4(),
            "a",
            "a",
            Some(vec![passkey.cred_id().clone()]),
        )
        .unwrap();
    let options = serde_json::to_value(&ccr).unwrap();
    assert_eq!(
        auth.register(ORIGIN, &options),
        Err(AuthenticatorError::InvalidState)
    );
    // An origin that may not use the RP id: SecurityError, as in a browser.
    assert!(matches!(
        auth.register("https://evil.test", &options),
        Err(AuthenticatorError::Security(_))
    ));
    // A usernameless request with nothing stored for the RP id: NotAllowedError.
    let (rcr, _) = wa.start_discoverable_authentication().unwrap();
    let options = serde_json::to_value(&rcr).unwrap();
    let mut empty = Authenticator::new();
    assert!(matches!(
        empty.authenticate(ORIGIN, &options),
        Err(AuthenticatorError::NotAllowed(_))
    ));
}

/// A registered passkey, its authenticator, and the verifier, for the negative tests.
fn registered() -> (Webauthn, Authenticator, Passkey) {
    let wa = webauthn();
    let mut auth = Authenticator::new();
    let passkey = register(&wa, &mut auth, Uuid::new_v4());
    (wa, auth, passkey)
}

/// Registers a new user from `origin` and returns webauthn-rs's refusal.
fn registration_error(wa: &Webauthn, auth: &mut Authenticator, origin: &str) -> WebauthnError {
    let (options, state) = creation_options(wa, Uuid::new_v4(), "bob");
    let response = auth
        .register(origin, &options)
        .expect("the authenticator answers");
    let reg: RegisterPublicKeyCredential = serde_json::from_value(response).unwrap();
    wa.finish_passkey_registration(&reg, &state)
        .expect_err("webauthn-rs refuses the registration")
}

#[test]
fn a_tampered_signature_is_rejected() {
    let (wa, mut auth, passkey) = registered();
    auth.tweaks.tamper_signature = true;
    let err = sign_in(&wa, &mut auth, ORIGIN, &passkey).unwrap_err();
    assert!(
        matches!(err, WebauthnError::AuthenticationFailure),
        "{err:?}"
    );
    auth.tweaks.tamper_signature = false;
    sign_in(&wa, &mut auth, ORIGIN, &passkey).expect("untampered still works");
}

#[test]
fn a_replayed_assertion_is_rejected() {
    let (wa, mut auth, mut passkey) = registered();
    let (rcr, state) = wa
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .unwrap();
    let options = serde_json::to_value(&rcr).unwrap();
    let old: PublicKeyCredential =
        serde_json::from_value(auth.authenticate(ORIGIN, &options).unwrap()).unwrap();
    let result = wa
        .finish_passkey_authentication(&old, &state)
        .expect("first use");
    passkey.update_credential(&result);

    // Against a new ceremony: the challenge differs.
    let (_, fresh) = wa
        .start_passkey_authentication(std::slice::from_ref(&passkey))
        .unwrap();
    let err = wa.finish_passkey_authentication(&old, &fresh).unwrap_err();
    assert!(matches!(err, WebauthnError::MismatchedChallenge), "{err:?}");
    // Against the same, unconsumed state it passes again: webauthn-rs keeps no memory,
    // so passgate's single-use ceremony record is what stops this replay.
    wa.finish_passkey_authentication(&old, &state)
        .expect("webauthn-rs alone does not stop a replay against the same state");
}

#[test]
fn a_sign_count_going_backwards_is_rejected() {
    let (wa, mut auth, mut passkey) = registered();
    for _ in 0..2 {
        let result = sign_in(&wa, &mut auth, ORIGIN, &passkey).unwrap();
        passkey.update_credential(&result);
    }
    let id = passkey.cred_id().to_vec();
    assert!(auth.set_sign_count(&id, 0));
    let err = sign_in(&wa, &mut auth, ORIGIN, &passkey).unwrap_err();
    assert!(
        matches!(err, WebauthnError::CredentialPossibleCompromise),
        "{err:?}"
    );
}

#[test]
fn a_wrong_origin_is_rejected() {
    let (wa, mut auth, passkey) = registered();
    // Another port on the same host passes the browser's check but not the server's.
    let err = sign_in(&wa, &mut auth, "http://localhost:9999", &passkey).unwrap_err();
    assert!(matches!(err, WebauthnError::InvalidRPOrigin), "{err:?}");
    // A phishing page's origin, sent as is.
    auth.tweaks.skip_origin_check = true;
    let err = sign_in(&wa, &mut auth, "https://evil.test", &passkey).unwrap_err();
    assert!(matches!(err, WebauthnError::InvalidRPOrigin), "{err:?}");

    let err = registration_error(&wa, &mut auth, "http://localhost:9999");
    assert!(matches!(err, WebauthnError::InvalidRPOrigin), "{err:?}");
}

#[test]
fn a_wrong_rp_id_hash_is_rejected() {
    let (wa, mut auth, passkey) = registered();
    auth.tweaks.rp_id_hash_of = Some("evil.test".into());
    let err = sign_in(&wa, &mut auth, ORIGIN, &passkey).unwrap_err();
    assert!(matches!(err, WebauthnError::InvalidRPIDHash), "{err:?}");

    let err = registration_error(&wa, &mut auth, ORIGIN);
    assert!(matches!(err, WebauthnError::InvalidRPIDHash), "{err:?}");
}

#[test]
fn user_verification_off_is_rejected() {
    let (wa, mut auth, passkey) = registered();
    auth.tweaks.no_user_verification = true;
    let err = sign_in(&wa, &mut auth, ORIGIN, &passkey).unwrap_err();
    assert!(matches!(err, WebauthnError::UserNotVerified), "{err:?}");

    let err = registration_error(&wa, &mut auth, ORIGIN);
    assert!(matches!(err, WebauthnError::UserNotVerified), "{err:?}");
}

#[test]
fn a_cloned_credential_on_a_second_device_is_caught_by_the_count() {
    let (wa, mut auth, mut passkey) = registered();
    let mut second = Authenticator::new();
    second.import(auth.export(passkey.cred_id()).expect("export"));
    assert_eq!(auth.clone_device().credentials().len(), 1);

    let result = sign_in(&wa, &mut auth, ORIGIN, &passkey).expect("first device");
    passkey.update_credential(&result);
    // The copy continues from the same count, so its next count is not new.
    let err = sign_in(&wa, &mut second, ORIGIN, &passkey).unwrap_err();
    assert!(
        matches!(err, WebauthnError::CredentialPossibleCompromise),
        "{err:?}"
    );
}
