//! API tokens: `pgt_<id>_<secret>`, shown once at creation and stored only as the secret's
//! SHA-256; [`Scope`]s (Beyond Identity's names, passgate's older ones as aliases), an
//! optional realm and expiry; authentication of bearer tokens.

use std::time::Duration;

use super::audit::Change;
use super::types::Resource;
use super::{ids, views, Actor, Directory, IdmError};
use crate::store::{ApiTokenRecord, StoreError};

const PREFIX: &str = "pgt_";
const NAME_MAX: usize = 128;

/// What a scope is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Realms,
    Identities,
    Groups,
    Events,
    Credentials,
    CredentialBindingJobs,
    AuthenticatorConfigs,
}

impl Family {
    const ALL: [(Family, &'static str); 7] = [
        (Family::Realms, "realms"),
        (Family::Identities, "identities"),
        (Family::Groups, "groups"),
        (Family::Events, "events"),
        (Family::Credentials, "credentials"),
        (Family::CredentialBindingJobs, "credential-binding-jobs"),
        (Family::AuthenticatorConfigs, "authenticator-configs"),
    ];

    fn name(self) -> &'static str {
        Family::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }

    /// The actions Beyond Identity names for this family (besides passgate's `write`, `*`).
    fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Family::Realms | Family::Identities | Family::Groups | Family::AuthenticatorConfigs => {
                &[Read, Create, Update, Delete]
            }
            Family::Events => &[Read],
            Family::Credentials => &[Read, Revoke],
            Family::CredentialBindingJobs => &[Read, Create, Revoke],
        }
    }
}

/// What an operation does to its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    Revoke,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Revoke => "revoke",
        }
    }
}

/// How much of a family a scope grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grant {
    /// One action (`identities:create`).
    Only(Action),
    /// Every action but reading (`identities:write`, passgate's older name).
    Write,
    /// Everything (`identities:*`).
    All,
}

/// One permission an API token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Everything.
    Admin,
    /// The SCIM service provider.
    Scim,
    On(Family, Grant),
}

impl Scope {
    /// A scope by name: `admin`, `scim`, or `<family>:<action>` with Beyond Identity's
    /// actions (`read`, `create`, `update`, `delete`, `revoke`, as the family has them),
    /// `write` (every action but `read`) or `*`.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "admin" => return Some(Scope::Admin),
            "scim" => return Some(Scope::Scim),
            _ => {}
        }
        let (family, action) = s.split_once(':')?;
        let family = Family::ALL.iter().find(|(_, n)| *n == family)?.0;
        let grant = match action {
            "*" => Grant::All,
            "write" if family != Family::Events => Grant::Write,
            a => Grant::Only(*family.actions().iter().find(|x| x.name() == a)?),
        };
        Some(Scope::On(family, grant))
    }

    /// Every scope name a token may be made with.
    pub fn names() -> Vec<String> {
        let mut out = vec!["admin".to_string(), "scim".to_string()];
        for (family, name) in Family::ALL {
            for a in family.actions() {
                out.push(format!("{name}:{}", a.name()));
            }
            if family != Family::Events {
                out.push(format!("{name}:write"));
            }
            out.push(format!("{name}:*"));
        }
        out
    }

    /// Whether this scope allows `action` on `family`.
    pub fn allows(self, family: Family, action: Action) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Scim => false,
            Scope::On(f, grant) if f == family => match grant {
                Grant::All => true,
                Grant::Write => action != Action::Read,
                Grant::Only(a) => a == action,
            },
            Scope::On(..) => false,
        }
    }
}

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
    pub scopes: Vec<Scope>,
}

impl ApiPrincipal {
    pub fn actor(&self) -> Actor {
        Actor::ApiToken(self.token_id.clone())
    }

    pub fn allows(&self, family: Family, action: Action) -> bool {
        self.scopes.iter().any(|s| s.allows(family, action))
    }

    /// Allowed to do `action` on `family` in `tenant` and, when given, `realm` (`None`: a
    /// tenant-wide operation, which realm-bound tokens may not do).
    pub fn authorize(
        &self,
        tenant: &str,
        realm: Option<&str>,
        family: Family,
        action: Action,
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
        if !self.allows(family, action) {
            return Err(IdmError::Forbidden(format!(
                "this token lacks the scope \"{}:{}\"",
                family.name(),
                action.name()
            )));
        }
        Ok(())
    }
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
            Err(StoreError::NotFound(_)) => return Err(IdmError::Unauthenticated),
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
            // Names that no longer parse grant nothing.
            scopes: token
                .scopes
                .iter()
                .filter_map(|s| Scope::parse(s))
                .collect(),
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
            scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
        }
    }

    #[test]
    fn beyond_identity_names_and_older_aliases() {
        use Action::*;
        use Family::*;
        let p = principal(&["identities:read", "groups:*"], None);
        assert!(p.allows(Identities, Read));
        assert!(!p.allows(Identities, Create));
        assert!(p.allows(Groups, Delete));
        assert!(!p.allows(Realms, Read));
        assert!(principal(&["admin"], None).allows(Realms, Delete));
        let w = principal(&["identities:write"], None);
        assert!(w.allows(Identities, Create) && w.allows(Identities, Delete));
        assert!(!w.allows(Identities, Read));
        let bi = principal(
            &["credential-binding-jobs:create", "credentials:revoke"],
            None,
        );
        assert!(bi.allows(CredentialBindingJobs, Create));
        assert!(!bi.allows(CredentialBindingJobs, Revoke));
        assert!(bi.allows(Credentials, Revoke) && !bi.allows(Credentials, Read));
        assert!(principal(&["authenticator-configs:read"], None).allows(AuthenticatorConfigs, Read));
        for bad in [
            "events:write",
            "credentials:create",
            "identities:revoke",
            "nope",
            "x:read",
        ] {
            assert!(Scope::parse(bad).is_none(), "{bad}");
        }
        assert!(!principal(&["scim"], None).allows(Identities, Read));
        assert!(Scope::names().contains(&"groups:update".to_string()));
    }

    #[test]
    fn tenant_and_realm_bind() {
        use Action::Read;
        use Family::{Identities, Realms};
        let p = principal(&["admin"], Some("r1"));
        assert!(p.authorize("default", Some("r1"), Identities, Read).is_ok());
        assert!(p
            .authorize("default", Some("r2"), Identities, Read)
            .is_err());
        assert!(p.authorize("default", None, Realms, Read).is_err());
        assert!(p.authorize("other", Some("r1"), Identities, Read).is_err());
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
