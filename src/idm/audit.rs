//! Audit events: built for every write (who, what, when, target ids, the resource before
//! and after as its view's JSON) and listed at `…/realms/{r}/events`.

use serde::Serialize;

use super::paging::{page_request, Listing};
use super::views::snapshot;
use super::{ids, Actor, Context, Directory, IdmError};
use crate::store::AuditRecord;

/// What one write records.
pub struct Change<'a> {
    pub tenant: &'a str,
    pub realm: Option<&'a str>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub targets: Vec<String>,
    /// JSON snapshots of the resource (see [`snapshot`]).
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> Change<'a> {
    /// Records `view` as the state before the change.
    pub fn before<T: Serialize>(mut self, view: &T) -> Self {
        self.before = Some(snapshot(view));
        self
    }

    /// Records `view` as the state after the change.
    pub fn after<T: Serialize>(mut self, view: &T) -> Self {
        self.after = Some(snapshot(view));
        self
    }
}

impl<'a> Context<'a> {
    /// A change inside this context's realm (add snapshots with `before` / `after`).
    pub(crate) fn change(&self, action: &'a str, targets: Vec<String>) -> Change<'a> {
        Change {
            tenant: self.tenant,
            realm: Some(self.realm),
            actor: self.actor,
            action,
            targets,
            before: None,
            after: None,
        }
    }
}

impl Directory {
    pub(crate) fn audit(&self, c: Change<'_>) -> Result<AuditRecord, IdmError> {
        Ok(AuditRecord {
            id: ids::new_id()?,
            tenant_id: c.tenant.to_string(),
            realm_id: c.realm.map(str::to_string),
            actor: c.actor.label(),
            action: c.action.to_string(),
            target_ids: c.targets,
            before: c.before,
            after: c.after,
            create_us: self.now_us(),
        })
    }

    /// The realm's events, oldest first.
    pub async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Listing<AuditRecord>, IdmError> {
        let page = page_request(page_size, page_token)?;
        self.realm_record(tenant, realm).await?;
        Ok(self.store().list_events(tenant, realm, page).await?.into())
    }
}
