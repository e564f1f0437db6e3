//! What users do for themselves: account recovery (an email address → a fresh binding link
//! by email for each active identity with it; the caller learns nothing either way) and
//! their own passkeys (list, rename, remove, a link to add another). Everything goes
//! through the same typed operations as the admin API, acted by the user.

use super::binding::{MailerRef, NewBindingJob};
use super::fields;
use super::types::{CredentialState, DeliveryMethod, Resource};
use super::{Actor, Context, Directory, IdmError};
use crate::config::Config;
use crate::store::{CredentialRecord, IdentityFilter, PageRequest, RevokeTarget, StoreError};

/// Most identities one recovery request mails.
const RECOVERY_MAX: u32 = 5;
/// Longest passkey name.
pub const NAME_MAX: usize = 64;
/// Most passkeys the self-service list shows.
const OWN_MAX: u32 = 100;

fn no_such_passkey() -> IdmError {
    IdmError::NotFound {
        resource: Resource::Passkey,
        id: None,
    }
}

impl Directory {
    /// Mails a fresh binding link to every active identity of the realm whose primary
    /// email is `email`. Returns how many links were sent (never shown to the caller).
    pub async fn recover(
        &self,
        config: &Config,
        mailer: MailerRef<'_>,
        tenant: &str,
        realm: &str,
        email: &str,
    ) -> Result<usize, IdmError> {
        let found = self
            .store()
            .list_identities(
                tenant,
                realm,
                Some(&IdentityFilter::Email(email.to_string())),
                PageRequest::first(RECOVERY_MAX),
            )
            .await?;
        let at = Context::new(tenant, realm, &Actor::Recovery);
        let mut sent = 0;
        for identity in found.items.iter().filter(|i| i.status.is_active()) {
            let job = NewBindingJob::new(DeliveryMethod::Email);
            self.create_binding_job(&at, config, mailer, &identity.id, job)
                .await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// A one-time binding link for the signed-in identity itself (to add a passkey on this
    /// or another device), made with the authenticator configuration `config_id` (default:
    /// the hosted web one).
    pub async fn own_binding_link(
        &self,
        config: &Config,
        tenant: &str,
        realm: &str,
        identity: &str,
        config_id: Option<String>,
    ) -> Result<String, IdmError> {
        let actor = Actor::Identity(identity.to_string());
        let at = Context::new(tenant, realm, &actor);
        let mut job = NewBindingJob::new(DeliveryMethod::Return);
        job.authenticator_config_id = config_id;
        let created = self
            .create_binding_job(&at, config, None, identity, job)
            .await?;
        created
            .link
            .ok_or_else(|| IdmError::Internal("a RETURN job without a link".into()))
    }

    /// The signed-in identity's passkeys (active ones).
    pub async fn own_passkeys(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
    ) -> Result<Vec<CredentialRecord>, IdmError> {
        let creds = self
            .store()
            .list_credentials(tenant, realm, Some(identity), PageRequest::first(OWN_MAX))
            .await?;
        Ok(creds
            .items
            .into_iter()
            .filter(|c| c.state == CredentialState::Active)
            .collect())
    }

    /// One of the identity's own active passkeys, or `NotFound`.
    async fn own_passkey(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
    ) -> Result<CredentialRecord, IdmError> {
        match self.store().get_credential(tenant, realm, id).await {
            Ok(c) if c.identity_id == identity && c.state == CredentialState::Active => Ok(c),
            Ok(_) | Err(StoreError::NotFound(_)) => Err(no_such_passkey()),
            Err(e) => Err(e.into()),
        }
    }

    /// Renames one's own passkey (surrounding spaces dropped).
    pub async fn rename_own_passkey(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
        name: &str,
    ) -> Result<CredentialRecord, IdmError> {
        let name = name.trim();
        fields::name("name", name, NAME_MAX)?;
        let before = self.own_passkey(tenant, realm, identity, id).await?;
        let mut after = before.clone();
        after.name = name.to_string();
        after.update_us = self.now_us();
        let actor = Actor::Identity(identity.to_string());
        let at = Context::new(tenant, realm, &actor);
        let audit = self.audit(
            at.change("credential.rename", vec![id.to_string()])
                .before(&super::views::credential(&before))
                .after(&super::views::credential(&after)),
        )?;
        self.store()
            .rename_credential(tenant, realm, id, &after.name, after.update_us, &audit)
            .await?;
        Ok(after)
    }

    /// Revokes one's own passkey (never the last one, which would lock the account out).
    /// Returns the target whose sessions must end.
    pub async fn remove_own_passkey(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
    ) -> Result<RevokeTarget, IdmError> {
        let before = self.own_passkey(tenant, realm, identity, id).await?;
        let actor = Actor::Identity(identity.to_string());
        let at = Context::new(tenant, realm, &actor);
        let (after, audit) = self.revocation(&at, &before)?;
        // The "not the last one" check and the revocation are one transaction.
        let revoked = self
            .store()
            .revoke_credential_unless_last(tenant, realm, identity, id, after.update_us, &audit)
            .await?;
        if !revoked {
            return Err(IdmError::conflict(
                "this is your only passkey: add another before removing it",
            ));
        }
        Ok(RevokeTarget::Credential(id.to_string()))
    }
}
