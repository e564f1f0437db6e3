//! `webauthn-authenticator-rs`'s `SoftPasskey` behind the same JSON-in, W3C-JSON-out API as
//! [`super::authenticator::Authenticator`]. It refuses `requireResidentKey: true` and a
//! `platform` attachment, so [`SoftPasskey::register`] drops both from the options first:
//! its credentials are NOT discoverable (username-first sign-in only; usernameless tests
//! use `Authenticator`). Its `clientDataJSON` origin carries a trailing slash
//! (`http://localhost:8080/`); webauthn-rs parses origins as URLs and accepts that.

use serde_json::Value;
use webauthn_authenticator_rs::prelude::{Url, WebauthnAuthenticator};
use webauthn_authenticator_rs::softpasskey::SoftPasskey as Inner;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

pub struct SoftPasskey {
    inner: Inner,
}

impl Default for SoftPasskey {
    fn default() -> Self {
        SoftPasskey::new()
    }
}

impl SoftPasskey {
    /// A soft passkey that reports user verification (webauthn-rs passkeys require it).
    pub fn new() -> SoftPasskey {
        SoftPasskey {
            inner: Inner::new(true),
        }
    }

    /// Registers from `{"publicKey": {…}}` (extra keys such as `ceremony` are ignored),
    /// after dropping the resident-key requirement and the attachment it cannot meet.
    pub fn register(&mut self, origin: &str, options: &Value) -> Result<Value, String> {
        let mut options = only_public_key(options);
        if let Some(sel) = options["publicKey"].get_mut("authenticatorSelection") {
            sel["residentKey"] = "discouraged".into();
            sel["requireResidentKey"] = false.into();
            if let Some(map) = sel.as_object_mut() {
                map.remove("authenticatorAttachment");
            }
        }
        self.register_unchanged(origin, &options)
    }

    /// Registers from the options exactly as given (shows what the soft passkey refuses).
    pub fn register_unchanged(&mut self, origin: &str, options: &Value) -> Result<Value, String> {
        self.ceremony(
            origin,
            options,
            |inner, origin, ccr: CreationChallengeResponse| inner.do_registration(origin, ccr),
        )
    }

    /// Answers request options that list the credential in `allowCredentials`.
    pub fn authenticate(&mut self, origin: &str, options: &Value) -> Result<Value, String> {
        self.ceremony(
            origin,
            options,
            |inner, origin, rcr: RequestChallengeResponse| inner.do_authentication(origin, rcr),
        )
    }
}

impl SoftPasskey {
    /// Parses the options into webauthn-rs's type, runs `op`, and writes W3C JSON.
    fn ceremony<O, R, E>(
        &mut self,
        origin: &str,
        options: &Value,
        op: impl FnOnce(&mut Inner, Url, O) -> Result<R, E>,
    ) -> Result<Value, String>
    where
        O: serde::de::DeserializeOwned,
        R: serde::Serialize,
        E: std::fmt::Debug,
    {
        let parsed: O =
            serde_json::from_value(only_public_key(options)).map_err(|e| e.to_string())?;
        let origin = Url::parse(origin).map_err(|e| e.to_string())?;
        let out = op(&mut self.inner, origin, parsed).map_err(|e| format!("{e:?}"))?;
        w3c(serde_json::to_value(out).map_err(|e| e.to_string())?)
    }
}

/// `{"publicKey": …}` without passgate's other keys (`ceremony`), which webauthn-rs's
/// types do not know.
fn only_public_key(options: &Value) -> Value {
    let pk = options.get("publicKey").unwrap_or(options).clone();
    serde_json::json!({ "publicKey": pk })
}

/// webauthn-rs-proto writes `extensions`; the W3C JSON calls it `clientExtensionResults`.
fn w3c(mut v: Value) -> Result<Value, String> {
    let map = v.as_object_mut().ok_or("credential is not an object")?;
    let ext = map
        .remove("extensions")
        .unwrap_or_else(|| serde_json::json!({}));
    map.insert("clientExtensionResults".into(), ext);
    Ok(v)
}
