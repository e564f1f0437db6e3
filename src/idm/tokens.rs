//! API tokens: `pgt_<id>_<secret>`, shown once at creation and stored only as the secret's
//! SHA-256; their [`Scope`]s (see [`super::scopes`]), an optional realm and expiry;
//! authentication of bearer tokens into an [`ApiPrincipal`].

use std::time::Duration;

use super::audit::Change;
pub use super::scopes::{Action, ApiPrincipal, Family, Grant, Scope};
use super::token_cache::TokenCache;
use super::types::Resource;
use super::{ids, views, Actor, Directory, IdmError};
use crate::store::{ApiTokenRecord, StoreError};

const PREFIX: &str = "pgt_";
const NAME_MAX: usize = 128;

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

/// `pgt_<id>_<secret>` taken apart: the id (32 hex digits) and the secret (the rest,
/// possibly empty: it then matches no stored hash). `None` for anything else.
pub fn split_bearer(bearer: &str) -> Option<(&str, &str)> {
    bearer
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .filter(|(id, _)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
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
    ) -> Result<(ApiTokenRecord, IssuedToken), IdmError> {
        let name = req.name.trim();
        if super::fields::name("name", name, NAME_MAX).is_err() {
            return Err(IdmError::invalid(
                "name",
                format!("must be 1 to {NAME_MAX} printable characters"),
            ));
        }
        if req.scopes.is_empty() {
            return Err(IdmError::invalid("scope", "at least one scope is required"));
        }
        if let Some(bad) = req.scopes.iter().find(|s| Scope::parse(s).is_none()) {
            return Err(IdmError::invalid(
                "scope",
                format!(
                    "unknown scope \"{bad}\" (known: {})",
                    Scope::names().join(", ")
                ),
            ));
        }
        if let Some(realm) = req.realm {
            self.realm_record(req.tenant, realm).await?;
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
            scopes: req.scopes.to_vec(),
            secret_hash: ids::sha256_hex(&issued.secret),
            create_us: now,
            expire_us,
            revoke_us: None,
        };
        let audit = self.audit(
            Change {
                tenant: req.tenant,
                realm: req.realm,
                actor,
                action: "api_token.create",
                targets: vec![record.id.clone()],
                before: None,
                after: None,
            }
            .after(&views::token(&record)),
        )?;
        self.store().create_token(&record, &audit).await?;
        Ok((record, issued))
    }

    pub async fn list_tokens(&self, tenant: &str) -> Result<Vec<ApiTokenRecord>, IdmError> {
        Ok(self.store().list_tokens(tenant).await?)
    }

    pub async fn revoke_token(
        &self,
        tenant: &str,
        id: &str,
        actor: &Actor,
    ) -> Result<(), IdmError> {
        let token = self
            .store()
            .get_token(id)
            .await
            .map_err(super::error::about(Resource::ApiToken, id))?;
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
        // At once here; other processes within the cache's TTL.
        self.tokens.forget(id);
        Ok(())
    }

    /// Checks a bearer value; any failure is the same `Unauthenticated`. A token verified
    /// within [`TTL`](super::token_cache::TTL) is not read again (see [`TokenCache`]).
    pub async fn authenticate(&self, bearer: &str) -> Result<ApiPrincipal, IdmError> {
        let (id, secret) = split_bearer(bearer).ok_or(IdmError::Unauthenticated)?;
        let key = TokenCache::key(bearer);
        if let Some(principal) = self.tokens.get(&key, self.now_us()) {
            return Ok(principal);
        }
        let token = match self.store().get_token(id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Err(IdmError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        let now = self.now_us();
        let live = token.revoke_us.is_none() && token.expire_us.is_none_or(|e| e > now);
        if !ids::constant_time_eq(&ids::sha256_hex(secret), &token.secret_hash) || !live {
            return Err(IdmError::Unauthenticated);
        }
        let principal = ApiPrincipal {
            token_id: token.id,
            tenant_id: token.tenant_id,
            realm_id: token.realm_id,
            // Names that no longer parse grant nothing.
            scopes: token
                .scopes
                .iter()
                .filter_map(|s| Scope::parse(s))
                .collect(),
        };
        self.tokens.put(key, principal.clone(), token.expire_us);
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
