//! What users do for themselves: account recovery (an email address → a fresh binding link
//! by email for each active identity with it; the caller learns nothing either way) and
//! their own passkeys (list, rename, remove, a link to add another).

use serde_json::{json, Value};

use super::binding::MailerRef;
use super::credentials::{credential_json, ACTIVE};
use super::fields::Object;
use super::{Actor, Directory, IdmError, Scope};
use crate::config::Config;
use crate::store::{IdentityFilter, PageRequest, RevokeTarget};

/// Most identities one recovery request mails.
const RECOVERY_MAX: u32 = 5;
pub const NAME_MAX: usize = 64;

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
                PageRequest {
                    size: RECOVERY_MAX,
                    after: None,
                },
            )
            .await?;
        let at = Scope {
            tenant,
            realm,
            actor: &Actor::Recovery,
        };
        let mut sent = 0;
        for identity in found.items.iter().filter(|i| i.status == "active") {
            let body = json!({"job": {"delivery_method": "EMAIL"}});
            self.create_binding_job(&at, config, mailer, &identity.id, body)
                .await?;
            sent += 1;
        }
        Ok(sent)
    }

    /// The signed-in identity's passkeys (active ones).
    pub async fn own_passkeys(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
    ) -> Result<Value, IdmError> {
        let page = PageRequest {
            size: 100,
            after: None,
        };
        let creds = self
            .store()
            .list_credentials(tenant, realm, identity, page)
            .await?;
        let list: Vec<Value> = creds
            .items
            .iter()
            .filter(|c| c.state == ACTIVE)
            .map(credential_json)
            .collect();
        Ok(json!({ "passkeys": list }))
    }

    /// One of the identity's own active passkeys, or `NotFound`.
    async fn own_passkey(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
    ) -> Result<crate::store::CredentialRecord, IdmError> {
        match self.store().get_credential(tenant, realm, id).await {
            Ok(c) if c.identity_id == identity && c.state == ACTIVE => Ok(c),
            Ok(_) | Err(crate::store::StoreError::NotFound(_)) => {
                Err(IdmError::NotFound("passkey".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `PATCH /api/v1/passkeys/{id} {"name"}`.
    pub async fn rename_own_passkey(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
        body: Value,
    ) -> Result<Value, IdmError> {
        let mut top = Object::new(body, "")?;
        let name = top.required_string("name", NAME_MAX)?;
        top.finish()?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(IdmError::invalid("name", "must not be blank"));
        }
        let before = self.own_passkey(tenant, realm, identity, id).await?;
        let mut after = before.clone();
        after.name = name;
        after.update_us = self.now_us();
        let actor = Actor::Identity(identity.to_string());
        let at = Scope {
            tenant,
            realm,
            actor: &actor,
        };
        let audit = self.audit(at.change(
            "credential.rename",
            vec![id.to_string()],
            Some(credential_json(&before)),
            Some(credential_json(&after)),
        ))?;
        self.store()
            .rename_credential(tenant, realm, id, &after.name, after.update_us, &audit)
            .await?;
        Ok(json!({"passkey": credential_json(&after)}))
    }

    /// `DELETE /api/v1/passkeys/{id}`: revokes one's own passkey (never the last one, which
    /// would lock the account out). Returns the target whose sessions must end.
    pub async fn remove_own_passkey(
        &self,
        tenant: &str,
        realm: &str,
        identity: &str,
        id: &str,
    ) -> Result<RevokeTarget, IdmError> {
        let before = self.own_passkey(tenant, realm, identity, id).await?;
        let actor = Actor::Identity(identity.to_string());
        let at = Scope {
            tenant,
            realm,
            actor: &actor,
        };
        let (after, audit) = self.revocation(&at, &before)?;
        // The "not the last one" check and the revocation are one transaction.
        let revoked = self
            .store()
            .revoke_credential_unless_last(tenant, realm, identity, id, after.update_us, &audit)
            .await?;
        if !revoked {
            return Err(IdmError::Conflict(
                "this is your only passkey: add another before removing it".into(),
            ));
        }
        Ok(RevokeTarget::Credential(id.to_string()))
    }
}
