//! Grants and tokens: an authorization (code with PKCE) becomes a grant tied to the
//! passgate session; the code is exchanged once within [`CODE_TTL`] (a replay revokes the
//! grant and all it issued); refresh tokens rotate (a reused one revokes the grant); every
//! use checks that the session still stands and the identity is active, so sign-out,
//! suspension, passkey revocation and SCIM deactivation end what a client holds. Tokens are
//! 256 random bits, stored as SHA-256 only. Every grant, refresh and refusal is audited.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::error::OidcError;
use super::keys::{secs, OidcKeyRing};
use crate::config::oidc::{IdTokenAlg, OidcClient, OidcSettings, CODE_TTL};
use crate::config::Config;
use crate::idm::{ids, Directory, IdmError};
use crate::store::{
    AuditRecord, IdentityRecord, OidcGrantRecord, OidcTokenFound, OidcTokenKind, OidcTokenRecord,
    OidcUse, PageRequest, StoreError,
};

fn us(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The provider for one request: the directory, the current keys and the config.
pub struct Provider<'a> {
    directory: &'a Directory,
    keys: Arc<OidcKeyRing>,
    settings: &'a OidcSettings,
    tenant: &'a str,
    issuer: String,
}

/// Who is signed in, as the authorization endpoint found them.
pub struct SignedIn<'a> {
    pub identity_id: &'a str,
    pub realm: &'a str,
    pub session_id: &'a str,
    pub groups: &'a [Arc<str>],
}

/// A checked authorization request.
pub struct Authorization {
    pub scope: Vec<String>,
    pub nonce: Option<String>,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
}

/// The token endpoint's answer.
#[derive(Debug)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub expires_in: u64,
    pub scope: String,
}

/// The issuer for `public_url`: `{public_url}/.passgate`.
pub fn issuer(config: &Config) -> String {
    format!(
        "{}/.passgate",
        config.public_url.as_str().trim_end_matches('/')
    )
}

/// SHA-256 hex of a token (what the store keeps).
pub fn token_hash(token: &str) -> String {
    ids::sha256_hex(token)
}

/// PKCE S256: base64url(SHA-256(verifier)).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A PKCE verifier or challenge: 43 to 128 characters of the unreserved set (RFC 7636).
pub fn pkce_shape_ok(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

impl<'a> Provider<'a> {
    pub fn new(directory: &'a Directory, keys: Arc<OidcKeyRing>, config: &'a Config) -> Self {
        Provider {
            directory,
            keys,
            settings: &config.oidc,
            tenant: &config.tenant_id,
            issuer: issuer(config),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn audit(
        &self,
        realm: Option<&str>,
        actor: &str,
        action: &str,
        targets: Vec<String>,
        after: Option<Value>,
    ) -> Result<AuditRecord, IdmError> {
        Ok(AuditRecord {
            id: ids::new_id()?,
            tenant_id: self.tenant.to_string(),
            realm_id: realm.map(str::to_string),
            actor: actor.to_string(),
            action: action.to_string(),
            target_ids: targets,
            before: None,
            after: after.map(|v| v.to_string()),
            create_us: self.directory.now_us(),
        })
    }

    /// Records a refusal (`oidc.<what>.refused`) with the OAuth error, in the realm of the
    /// client it names (where that realm's admins read it; tenant-wide for an unknown
    /// client); failures to audit are logged, never hide the refusal itself.
    pub async fn audit_refusal(&self, client_id: Option<&str>, what: &str, e: &OidcError) {
        if matches!(e, OidcError::Internal(_)) {
            tracing::error!(error = %e, what, "OIDC request failed");
            return;
        }
        let actor = format!("oidc_client:{}", client_id.unwrap_or("-"));
        let realm = client_id
            .and_then(|id| self.settings.client(id))
            .map(|c| c.realm.as_str());
        let record = self.audit(
            realm,
            &actor,
            &format!("oidc.{what}.refused"),
            client_id.map(|c| vec![c.to_string()]).unwrap_or_default(),
            Some(json!({"error": e.code(), "error_description": e.description()})),
        );
        match record {
            Ok(r) => {
                if let Err(err) = self.directory.store().insert_audit(&r).await {
                    tracing::warn!(error = %err, "an OIDC refusal could not be audited");
                }
            }
            Err(err) => tracing::warn!(error = %err, "an OIDC refusal could not be audited"),
        }
    }

    /// A new grant and its code for a signed-in user (first-party clients: no consent).
    pub async fn authorize(
        &self,
        client: &OidcClient,
        who: &SignedIn<'_>,
        req: Authorization,
    ) -> Result<String, OidcError> {
        let store = self.directory.store();
        let now = self.directory.now_us();
        let session = store.get_session(who.session_id).await?;
        let code = ids::new_secret()?;
        let grant = OidcGrantRecord {
            id: ids::new_id()?,
            tenant_id: self.tenant.to_string(),
            realm_id: who.realm.to_string(),
            client_id: client.id.clone(),
            identity_id: who.identity_id.to_string(),
            session_id: who.session_id.to_string(),
            scope: req.scope.join(" "),
            nonce: req.nonce,
            redirect_uri: req.redirect_uri,
            code_challenge: req.code_challenge,
            auth_us: session.auth_us,
            amr: session.amr.clone(),
            create_us: now,
            revoke_us: None,
        };
        let token = OidcTokenRecord {
            token_hash: token_hash(&code),
            grant_id: grant.id.clone(),
            kind: OidcTokenKind::Code,
            create_us: now,
            expire_us: now + us(CODE_TTL),
            use_us: None,
        };
        let audit = self.audit(
            Some(who.realm),
            &format!("identity:{}", who.identity_id),
            "oidc.authorize",
            vec![client.id.clone(), grant.id.clone()],
            Some(json!({"client_id": client.id, "scope": grant.scope})),
        )?;
        store.create_oidc_grant(&grant, &token, &audit).await?;
        Ok(code)
    }

    /// The grant's session still stands and its identity is active: the identity.
    async fn live(&self, grant: &OidcGrantRecord) -> Result<IdentityRecord, OidcError> {
        let store = self.directory.store();
        let now = self.directory.now_us();
        let ended =
            || OidcError::InvalidGrant("the session this grant belongs to has ended".into());
        if grant.revoke_us.is_some() {
            return Err(OidcError::InvalidGrant("the grant has been revoked".into()));
        }
        let session = match store.get_session(&grant.session_id).await {
            Ok(s) => s,
            Err(StoreError::NotFound(_)) => return Err(ended()),
            Err(e) => return Err(e.into()),
        };
        if session.revoke_us.is_some() || session.expire_us <= now {
            return Err(ended());
        }
        let identity = match store
            .get_identity(&grant.tenant_id, &grant.realm_id, &grant.identity_id)
            .await
        {
            Ok(i) => i,
            Err(StoreError::NotFound(_)) => return Err(ended()),
            Err(e) => return Err(e.into()),
        };
        if !identity.status.is_active() {
            return Err(ended());
        }
        Ok(identity)
    }

    /// The code exchange (`grant_type=authorization_code`).
    pub async fn exchange_code(
        &self,
        client: &OidcClient,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Tokens, OidcError> {
        let now = self.directory.now_us();
        let store = self.directory.store();
        let found = match store
            .use_oidc_token(&token_hash(code), OidcTokenKind::Code, now)
            .await?
        {
            OidcUse::Unknown => {
                return Err(OidcError::InvalidGrant("unknown or revoked code".into()))
            }
            OidcUse::Replayed(f) => {
                self.revoke_grant(&f, "oidc.code.replayed").await?;
                return Err(OidcError::InvalidGrant(
                    "the code was used before: everything issued with it is revoked".into(),
                ));
            }
            OidcUse::First(f) => f,
        };
        let grant = &found.grant;
        if grant.client_id != client.id {
            return Err(OidcError::InvalidGrant(
                "the code was issued to another client".into(),
            ));
        }
        if found.token.expire_us <= now {
            return Err(OidcError::InvalidGrant("the code has expired".into()));
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(OidcError::InvalidGrant(
                "redirect_uri is not the one of the authorization request".into(),
            ));
        }
        match (&grant.code_challenge, verifier) {
            (Some(challenge), Some(v)) if pkce_shape_ok(v) && &s256(v) == challenge => {}
            (Some(_), Some(_)) => {
                return Err(OidcError::InvalidGrant(
                    "code_verifier does not match the code_challenge".into(),
                ))
            }
            (Some(_), None) => {
                return Err(OidcError::InvalidGrant("code_verifier is missing".into()))
            }
            (None, Some(_)) => {
                return Err(OidcError::InvalidGrant(
                    "code_verifier sent, but the authorization request had no code_challenge"
                        .into(),
                ))
            }
            (None, None) => {}
        }
        let identity = self.live(grant).await?;
        self.issue(client, grant, &identity, "oidc.token").await
    }

    /// Refresh-token rotation (`grant_type=refresh_token`).
    pub async fn refresh(
        &self,
        client: &OidcClient,
        refresh_token: &str,
    ) -> Result<Tokens, OidcError> {
        let now = self.directory.now_us();
        let store = self.directory.store();
        let found = match store
            .use_oidc_token(&token_hash(refresh_token), OidcTokenKind::Refresh, now)
            .await?
        {
            OidcUse::Unknown => {
                return Err(OidcError::InvalidGrant(
                    "unknown or revoked refresh token".into(),
                ))
            }
            OidcUse::Replayed(f) => {
                if f.grant.client_id == client.id {
                    self.revoke_grant(&f, "oidc.refresh.replayed").await?;
                }
                return Err(OidcError::InvalidGrant(
                    "the refresh token was used before: the grant is revoked".into(),
                ));
            }
            OidcUse::First(f) => f,
        };
        if found.grant.client_id != client.id {
            return Err(OidcError::InvalidGrant(
                "the refresh token was issued to another client".into(),
            ));
        }
        if found.token.expire_us <= now {
            return Err(OidcError::InvalidGrant(
                "the refresh token has expired".into(),
            ));
        }
        let identity = self.live(&found.grant).await?;
        self.issue(client, &found.grant, &identity, "oidc.refresh")
            .await
    }

    async fn revoke_grant(&self, f: &OidcTokenFound, action: &str) -> Result<(), OidcError> {
        let audit = self.audit(
            Some(&f.grant.realm_id),
            &format!("oidc_client:{}", f.grant.client_id),
            action,
            vec![f.grant.client_id.clone(), f.grant.id.clone()],
            None,
        )?;
        self.directory
            .store()
            .revoke_oidc_grant(&f.grant.id, self.directory.now_us(), &audit)
            .await?;
        Ok(())
    }

    /// Access token, rotated refresh token (when the client has `offline_access`) and ID
    /// token for a live grant; audited as `action`.
    async fn issue(
        &self,
        client: &OidcClient,
        grant: &OidcGrantRecord,
        identity: &IdentityRecord,
        action: &str,
    ) -> Result<Tokens, OidcError> {
        let now = self.directory.now_us();
        let access = ids::new_secret()?;
        let mut records = vec![OidcTokenRecord {
            token_hash: token_hash(&access),
            grant_id: grant.id.clone(),
            kind: OidcTokenKind::Access,
            create_us: now,
            expire_us: now + us(self.settings.access_token_ttl),
            use_us: None,
        }];
        let refresh = if client.scopes.iter().any(|s| s == "offline_access") {
            let r = ids::new_secret()?;
            records.push(OidcTokenRecord {
                token_hash: token_hash(&r),
                grant_id: grant.id.clone(),
                kind: OidcTokenKind::Refresh,
                create_us: now,
                expire_us: now + us(self.settings.refresh_token_ttl),
                use_us: None,
            });
            Some(r)
        } else {
            None
        };
        let id_token = self.id_token(client, grant, identity).await?;
        let audit = self.audit(
            Some(&grant.realm_id),
            &format!("oidc_client:{}", client.id),
            action,
            vec![client.id.clone(), grant.id.clone(), identity.id.clone()],
            None,
        )?;
        self.directory
            .store()
            .insert_oidc_tokens(&records, &audit)
            .await?;
        Ok(Tokens {
            access_token: access,
            refresh_token: refresh,
            id_token,
            expires_in: self.settings.access_token_ttl.as_secs(),
            scope: grant.scope.clone(),
        })
    }

    /// The user's claims for the granted `scope`.
    async fn claims(
        &self,
        identity: &IdentityRecord,
        scope: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let has = |s: &str| scope.split(' ').any(|x| x == s);
        let mut c = Map::new();
        c.insert("sub".into(), json!(identity.id));
        if has("profile") {
            c.insert("preferred_username".into(), json!(identity.traits.username));
            c.insert("name".into(), json!(identity.display_name));
            if let Some(g) = &identity.traits.given_name {
                c.insert("given_name".into(), json!(g));
            }
            if let Some(f) = &identity.traits.family_name {
                c.insert("family_name".into(), json!(f));
            }
        }
        if has("email") {
            if let Some(e) = &identity.traits.primary_email_address {
                c.insert("email".into(), json!(e));
                // passgate does not verify addresses itself.
                c.insert("email_verified".into(), json!(false));
            }
        }
        if has("groups") {
            let page = self
                .directory
                .store()
                .list_identity_groups(&identity.id, PageRequest::first(1000))
                .await?;
            let names: Vec<&str> = page.items.iter().map(|g| g.display_name.as_str()).collect();
            c.insert("groups".into(), json!(names));
        }
        Ok(c)
    }

    async fn id_token(
        &self,
        client: &OidcClient,
        grant: &OidcGrantRecord,
        identity: &IdentityRecord,
    ) -> Result<String, OidcError> {
        let now = secs(self.directory.now_us());
        let mut c = self.claims(identity, &grant.scope).await?;
        c.insert("iss".into(), json!(self.issuer));
        c.insert("aud".into(), json!(client.id));
        c.insert("azp".into(), json!(client.id));
        c.insert("iat".into(), json!(now));
        c.insert(
            "exp".into(),
            json!(now + self.settings.access_token_ttl.as_secs()),
        );
        c.insert("auth_time".into(), json!(secs(grant.auth_us)));
        c.insert("sid".into(), json!(grant.session_id));
        let amr: Value = serde_json::from_str(&grant.amr).unwrap_or_else(|_| json!([]));
        c.insert("amr".into(), amr);
        if let Some(n) = &grant.nonce {
            c.insert("nonce".into(), json!(n));
        }
        let (alg, jwt_alg) = match client.id_token_alg {
            IdTokenAlg::Rs256 => (IdTokenAlg::Rs256, Algorithm::RS256),
            IdTokenAlg::Es256 => (IdTokenAlg::Es256, Algorithm::ES256),
            IdTokenAlg::EdDsa => (IdTokenAlg::EdDsa, Algorithm::EdDSA),
        };
        let (kid, key) = self
            .keys
            .signer(alg)
            .ok_or_else(|| IdmError::Internal(format!("no {} key signs", alg.as_str())))?;
        let mut header = Header::new(jwt_alg);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, &Value::Object(c), key)
            .map_err(|e| OidcError::Internal(IdmError::Internal(format!("signing: {e}"))))
    }

    /// Userinfo for a bearer access token.
    pub async fn userinfo(&self, access_token: &str) -> Result<Value, OidcError> {
        let found = self.find_live(access_token, OidcTokenKind::Access).await?;
        let found = found.ok_or_else(|| {
            OidcError::InvalidToken("unknown, expired or revoked access token".into())
        })?;
        let identity = self
            .live(&found.grant)
            .await
            .map_err(|_| OidcError::InvalidToken("the session has ended".into()))?;
        Ok(Value::Object(
            self.claims(&identity, &found.grant.scope).await?,
        ))
    }

    /// A token of `kind` that exists and has not expired (its grant not yet checked).
    async fn find_live(
        &self,
        token: &str,
        kind: OidcTokenKind,
    ) -> Result<Option<OidcTokenFound>, OidcError> {
        let now = self.directory.now_us();
        let found = self
            .directory
            .store()
            .find_oidc_token(&token_hash(token), kind)
            .await?;
        Ok(found.filter(|f| f.token.expire_us > now && f.token.use_us.is_none()))
    }

    /// RFC 7009: a refresh token ends its grant, an access token ends itself; another
    /// client's or an unknown token changes nothing (and is not told apart).
    pub async fn revoke(&self, client: &OidcClient, token: &str) -> Result<(), OidcError> {
        let store = self.directory.store();
        let hash = token_hash(token);
        if let Some(f) = store.find_oidc_token(&hash, OidcTokenKind::Refresh).await? {
            if f.grant.client_id == client.id {
                self.revoke_grant(&f, "oidc.revoke").await?;
            }
            return Ok(());
        }
        if let Some(f) = store.find_oidc_token(&hash, OidcTokenKind::Access).await? {
            if f.grant.client_id == client.id {
                store.delete_oidc_token(&hash).await?;
                let audit = self.audit(
                    Some(&f.grant.realm_id),
                    &format!("oidc_client:{}", client.id),
                    "oidc.revoke",
                    vec![client.id.clone(), f.grant.id.clone()],
                    None,
                )?;
                store.insert_audit(&audit).await?;
            }
        }
        Ok(())
    }

    /// RFC 7662 for the client the token was issued to (any other: inactive).
    pub async fn introspect(&self, client: &OidcClient, token: &str) -> Result<Value, OidcError> {
        for kind in [OidcTokenKind::Access, OidcTokenKind::Refresh] {
            let Some(f) = self.find_live(token, kind).await? else {
                continue;
            };
            if f.grant.client_id != client.id {
                break;
            }
            let Ok(identity) = self.live(&f.grant).await else {
                break;
            };
            return Ok(json!({
                "active": true,
                "scope": f.grant.scope,
                "client_id": client.id,
                "username": identity.traits.username,
                "token_type": if kind == OidcTokenKind::Access { "Bearer" } else { "refresh_token" },
                "exp": secs(f.token.expire_us),
                "iat": secs(f.token.create_us),
                "sub": identity.id,
                "aud": client.id,
                "iss": self.issuer,
                "sid": f.grant.session_id,
            }));
        }
        Ok(json!({"active": false}))
    }

    /// Checks an `id_token_hint` we issued: the signature with the key its `kid` names, in
    /// that key's one algorithm (`none`, `HS256` or a mismatched `alg` are refused), and the
    /// issuer; expiry is not checked (a hint may be old). Returns (`aud`, `sid`).
    pub fn check_id_token_hint(&self, hint: &str) -> Result<(String, Option<String>), OidcError> {
        let bad = |m: &str| OidcError::InvalidRequest(format!("id_token_hint: {m}"));
        let header = jsonwebtoken::decode_header(hint).map_err(|_| bad("not a signed JWT"))?;
        let kid = header.kid.ok_or_else(|| bad("no kid"))?;
        let (alg, key) = self.keys.verifier(&kid).ok_or_else(|| bad("unknown kid"))?;
        if header.alg != alg {
            return Err(bad("wrong alg for its key"));
        }
        let mut v = Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        v.set_issuer(&[self.issuer.as_str()]);
        let data = jsonwebtoken::decode::<Value>(hint, key, &v).map_err(|_| bad("invalid"))?;
        let aud = match &data.claims["aud"] {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .first()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => return Err(bad("no aud")),
        };
        let sid = data.claims["sid"].as_str().map(str::to_string);
        Ok((aud, sid))
    }
}
