//! First run and last-resort recovery: make sure a realm has an administrator — the identity
//! (created when missing), a member of the realm's `admin_group` (the group created when
//! missing) — and hand back a fresh one-time binding link that creates a passkey for it.
//! `passgate bootstrap` and `passgate demo` call this; each step is audited.

use super::binding::NewBindingJob;
use super::groups::NewGroup;
use super::identities::{NewIdentity, TraitsPatch};
use super::types::{DeliveryMethod, Patch};
use super::{Context, Directory, IdmError};
use crate::config::Config;
use crate::store::GroupRecord;

/// Who to make (or find) the administrator.
#[derive(Debug, Clone)]
pub struct AdminRequest<'a> {
    pub username: &'a str,
    /// Set on a new identity only.
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
    /// Where the binding page sends the admin afterwards (default: none).
    pub redirect: Option<String>,
}

/// What [`Directory::bootstrap_admin`] did.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub identity_id: String,
    pub created_identity: bool,
    pub created_group: bool,
    pub added_to_group: bool,
    /// The one-time binding link (shown only now).
    pub link: String,
}

impl Directory {
    /// The realm's group called `name`, if any.
    pub async fn group_named(
        &self,
        at: &Context<'_>,
        name: &str,
    ) -> Result<Option<GroupRecord>, IdmError> {
        let mut token: Option<String> = None;
        loop {
            let page = self.list_groups(at, Some("200"), token.as_deref()).await?;
            if let Some(g) = page.items.into_iter().find(|g| g.display_name == name) {
                return Ok(Some(g));
            }
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => return Ok(None),
            }
        }
    }

    /// Makes `req.username` an administrator of `at.realm` and returns a binding link for
    /// it. A suspended identity is refused (`Conflict`): reactivate it first.
    pub async fn bootstrap_admin(
        &self,
        at: &Context<'_>,
        config: &Config,
        req: AdminRequest<'_>,
    ) -> Result<Bootstrapped, IdmError> {
        let group_name = config
            .realm(at.realm)
            .map(|r| r.admin_group.clone())
            .ok_or_else(|| {
                IdmError::invalid(
                    "realm",
                    format!("no realm \"{}\" in the configuration", at.realm),
                )
            })?;
        let (identity, created_identity) = match self.find_by_username(at, req.username).await {
            Ok(i) => (i, false),
            Err(IdmError::NotFound { .. }) => {
                let new = NewIdentity {
                    display_name: req.display_name.map(str::to_string),
                    status: None,
                    traits: TraitsPatch {
                        username: Patch::Set(req.username.to_string()),
                        primary_email_address: req
                            .email
                            .map_or(Patch::Absent, |e| Patch::Set(e.to_string())),
                        ..TraitsPatch::default()
                    },
                };
                (self.create_identity(at, new).await?, true)
            }
            Err(e) => return Err(e),
        };
        if !identity.status.is_active() {
            return Err(IdmError::conflict(format!(
                "the identity \"{}\" is suspended: reactivate it first",
                identity.traits.username
            )));
        }
        let (group, created_group) = match self.group_named(at, &group_name).await? {
            Some(g) => (g, false),
            None => {
                let new = NewGroup {
                    display_name: group_name.clone(),
                    description: Some("May use the passgate admin console".into()),
                    members: Vec::new(),
                };
                (self.create_group(at, new).await?, true)
            }
        };
        let member = self
            .list_identity_groups(at, &identity.id, Some("200"), None)
            .await?
            .items
            .iter()
            .any(|g| g.id == group.id);
        if !member {
            self.add_members(at, &group.id, std::slice::from_ref(&identity.id), None)
                .await?;
        }
        let job = NewBindingJob {
            post_binding_redirect_uri: req.redirect,
            ..NewBindingJob::new(DeliveryMethod::Return)
        };
        let link = self
            .create_binding_job(at, config, None, &identity.id, job)
            .await?
            .link
            .ok_or_else(|| IdmError::Internal("the binding job returned no link".into()))?;
        Ok(Bootstrapped {
            identity_id: identity.id,
            created_identity,
            created_group,
            added_to_group: !member,
            link,
        })
    }
}
