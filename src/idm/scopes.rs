//! What an API token may do: [`Scope`]s by Beyond Identity's names (`identities:create`,
//! `credentials:revoke`, `credential-binding-jobs:read`, `authenticator-configs:update`, …)
//! with passgate's older `<family>:write` and `<family>:*` kept, `admin` for everything and
//! `scim` for the SCIM service provider; and [`ApiPrincipal`], an authenticated token's
//! permissions checked per tenant, realm, family and action.

use super::{Actor, IdmError};

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
}
