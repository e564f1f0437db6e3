//! `[realms.scim] on_create = "email_binding_link"`: a user created over SCIM with an
//! email address gets a credential binding job delivered by EMAIL at once (the same
//! operation as the admin API's `POST …/credential-binding-jobs`, audited with the SCIM
//! token as actor), so a directory push is all it takes to roll passkeys out. The user is
//! created either way; a job that cannot be made is logged.

use super::auth::Scim;
use crate::config::ScimOnCreate;
use crate::idm::binding::NewBindingJob;
use crate::idm::types::DeliveryMethod;
use crate::store::IdentityRecord;

pub async fn run(scim: &Scim, created: &IdentityRecord) {
    let config = &scim.state.config;
    let wanted = config
        .realm(&scim.realm)
        .is_some_and(|r| r.scim_on_create == ScimOnCreate::EmailBindingLink);
    if !wanted || created.traits.primary_email_address.is_none() {
        return;
    }
    let job = NewBindingJob::new(DeliveryMethod::Email);
    if let Err(e) = scim
        .state
        .directory
        .create_binding_job(
            &scim.at(),
            config,
            scim.state.mailer.as_deref(),
            &created.id,
            job,
        )
        .await
    {
        tracing::warn!(identity = %created.id, error = %e, "SCIM on_create: no binding job");
    }
}
