//! API tokens: `pgt_<id>_<secret>`, shown once at creation and stored only as the secret's
//! SHA-256; scopes, an optional realm and expiry; authentication of bearer tokens.

use std::time::Duration;

use serde_json::{json, Value};

use super::audit::Change;
use super::clock::rfc3339;
use super::{ids, Actor, Directory, IdmError};
use crate::store::ApiTokenRecord;

const PREFIX: &str = "pgt_";
const NAME_MAX: usize = 128;

/// Every scope a token can carry. `<family>:*` grants both `read` and `write`; `admin` all.
pub const SCOPES: &[&str] = &[
    "admin",
    "realms:read",
    "realms:write",
    "realms:*",
    "identities:read",
    "identities:write",
    "identities:*",
    "groups:read",
    "groups:write",
    "groups:*",
    "events:read",
    "events:*",
    "credentials:read",
    "credentials:write",
    "credentials:*",
    "credential-binding-jobs:read",
    "credential-binding-jobs:write",
    "credential-binding-jobs:*",
    "scim",
];

/// A freshly created token: the only time its secret exists outside the caller.
pub struct IssuedToken {
    pub id: String,
    secret: String,
}

impl IssuedToken {
    /// The bearer value to hand to the user, `pgt_<id>_<secret>`.
    pub fn bearer(&self) -> String {
        format!("{PREFIX}{}_{}", self.id, self.secret)
    }
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What an authenticated API token may do.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    pub token_id: String,
    pub tenant_id: String,
    pub realm_id: Option<String>,
    pub scopes: Vec<String>,
}

impl ApiPrincipal {
    pub fn actor(&self) -> Actor {
        Actor::ApiToken(self.token_id.clone())
    }

    pub fn has_scope(&self, needed: &str) -> bool {
        let family = needed.split(':').next().unwrap_or(needed);
        self.scopes.iter().any(|s| {
            s == "admin" || s == needed || s.strip_suffix(":*").is_some_and(|f| f == family)
        })
    }

    /// Allowed to use `scope` in `tenant` and, when given, `realm` (`None`: a tenant-wide
    /// operation, which realm-bound tokens may not do).
    pub fn authorize(
        &self,
        tenant: &str,
        realm: Option<&str>,
        scope: &str,
    ) -> Result<(), IdmError> {
        if tenant != self.tenant_id {
            return Err(IdmError::Forbidden(
                "this token is not valid for that tenant".into(),
            ));
        }
        match (&self.realm_id, realm) {
            (Some(own), Some(r)) if own != r => {
                return Err(IdmError::Forbidden(
                    "this token is not valid for that realm".into(),
                ))
            }
            (Some(_), None) => {
                return Err(IdmError::Forbidden(
                    "this token is bound to one realm and cannot act tenant-wide".into(),
                ))
            }
            _ => {}
        }
        if !self.has_scope(scope) {
            return Err(IdmError::Forbidden(format!(
                "this token lacks the scope \"{scope}\""
            )));
        }
        Ok(())
    }
}

/// What `token list` shows (never the hash).
pub fn token_json(t: &ApiTokenRecord) -> Value {
    json!({
        "id": t.id,
        "tenant_id": t.tenant_id,
        "realm_id": t.realm_id,
        "name": t.name,
        "scopes": t.scopes.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "create_time": rfc3339(t.create_us),
        "expire_time": t.expire_us.map(rfc3339),
        "revoke_time": t.revoke_us.map(rfc3339),
    })
}

/// What a new token is for.
pub struct TokenRequest<'a> {
    pub tenant: &'a str,
    pub realm: Option<&'a str>,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub expires_in: Option<Duration>,
}

impl Directory {
    pub async fn create_token(
        &self,
        req: &TokenRequest<'_>,
        actor: &Actor,
    ) -> Result<(Value, IssuedToken), IdmError> {
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control)
        {
            return Err(IdmError::invalid(
                "name",
                format!("must be 1 to {NAME_MAX} printable characters"),
            ));
        }
        if req.scopes.is_empty() {
            return Err(IdmError::invalid("scope", "at least one scope is required"));
        }
        if let Some(bad) = req.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(IdmError::invalid(
                "scope",
                format!("unknown scope \"{bad}\" (known: {})", SCOPES.join(", ")),
            ));
        }
        if let Some(realm) = req.realm {
            self.store().get_realm(req.tenant, realm).await?;
        }
        let now = self.now_us();
        let expire_us = req
            .expires_in
            .map(|d| now.saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)));
        let issued = IssuedToken {
            id: ids::new_id()?,
            secret: ids::new_secret()?,
        };
        let record = ApiTokenRecord {
            id: issued.id.clone(),
            tenant_id: req.tenant.to_string(),
            realm_id: req.realm.map(str::to_string),
            name: name.to_string(),
            scopes: req.scopes.join(" "),
            secret_hash: ids::sha256_hex(&issued.secret),
            create_us: now,
            expire_us,
            revoke_us: None,
        };
        let view = token_json(&record);
        let audit = self.audit(Change {
            tenant: req.tenant,
            realm: req.realm,
            actor,
            action: "api_token.create",
            targets: vec![record.id.clone()],
            before: None,
            after: Some(view.clone()),
        })?;
        self.store().create_token(&record, &audit).await?;
        Ok((view, issued))
    }

    pub async fn list_tokens(&self, tenant: &str) -> Result<Vec<Value>, IdmError> {
        let tokens = self.store().list_tokens(tenant).await?;
        Ok(tokens.iter().map(token_json).collect())
    }

    pub async fn revoke_token(
        &self,
        tenant: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(), IdmError> {
        let token = self.store().get_token(id).await?;
        let audit = self.audit(Change {
            tenant,
            realm: token.realm_id.as_deref(),
            actor,
            action: "api_token.revoke",
            targets: vec![id.to_string()],
            before: None,
            after: None,
        })?;
        self.store()
            .revoke_token(tenant, id, self.now_us(), &audit)
            .await?;
        Ok(())
    }

    /// Checks a bearer value; any failure is the same `Unauthenticated`.
    pub async fn authenticate(&self, bearer: &str) -> Result<ApiPrincipal, IdmError> {
        let (id, secret) = bearer
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .filter(|(id, _)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(IdmError::Unauthenticated)?;
        let token = match self.store().get_token(id).await {
            Ok(t) => t,
            Err(crate::store::StoreError::NotFound(_)) => return Err(IdmError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        let now = self.now_us();
        let live = token.revoke_us.is_none() && token.expire_us.is_none_or(|e| e > now);
        if !ids::constant_time_eq(&ids::sha256_hex(secret), &token.secret_hash) || !live {
            return Err(IdmError::Unauthenticated);
        }
        Ok(ApiPrincipal {
            token_id: token.id,
            tenant_id: token.tenant_id,
            realm_id: token.realm_id,
            scopes: token.scopes.split(' ').map(str::to_string).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(scopes: &[&str], realm: Option<&str>) -> ApiPrincipal {
        ApiPrincipal {
            token_id: "t".into(),
            tenant_id: "default".into(),
            realm_id: realm.map(str::to_string),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn scopes_grant_what_they_name() {
        let p = principal(&["identities:read", "groups:*"], None);
        assert!(p.has_scope("identities:read"));
        assert!(!p.has_scope("identities:write"));
        assert!(p.has_scope("groups:write"));
        assert!(!p.has_scope("realms:read"));
        assert!(principal(&["admin"], None).has_scope("realms:write"));
    }

    #[test]
    fn tenant_and_realm_bind() {
        let p = principal(&["admin"], Some("r1"));
        assert!(p
            .authorize("default", Some("r1"), "identities:read")
            .is_ok());
        assert!(p
            .authorize("default", Some("r2"), "identities:read")
            .is_err());
        assert!(p.authorize("default", None, "realms:read").is_err());
        assert!(p.authorize("other", Some("r1"), "identities:read").is_err());
    }

    #[test]
    fn issued_tokens_hide_their_secret() {
        let t = IssuedToken {
            id: "abc".into(),
            secret: "s3cr3t".into(),
        };
        assert!(!format!("{t:?}").contains("s3cr3t"));
        assert_eq!(t.bearer(), "pgt_abc_s3cr3t");
    }
}
