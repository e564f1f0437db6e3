//! Audit events: built for every write (who, what, when, target ids, the resource before
//! and after) and shown at `…/realms/{r}/events`.

use serde_json::{json, Value};

use super::clock::rfc3339;
use super::paging::{list_json, page_request};
use super::{ids, Actor, Directory, IdmError, Scope};
use crate::store::AuditRecord;

/// What one write records.
pub struct Change<'a> {
    pub tenant: &'a str,
    pub realm: Option<&'a str>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub targets: Vec<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl<'a> Scope<'a> {
    /// A change inside this scope's realm.
    pub(crate) fn change(
        &self,
        action: &'a str,
        targets: Vec<String>,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Change<'a> {
        Change {
            tenant: self.tenant,
            realm: Some(self.realm),
            actor: self.actor,
            action,
            targets,
            before,
            after,
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
            target_ids: Value::from(c.targets).to_string(),
            before: c.before.map(|v| v.to_string()),
            after: c.after.map(|v| v.to_string()),
            create_us: self.now_us(),
        })
    }

    /// `{"events": [...], "total_size", "next_page_token"}`, oldest first.
    pub async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page_size: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Value, IdmError> {
        let page = page_request(page_size, page_token)?;
        self.store().get_realm(tenant, realm).await?;
        let events = self.store().list_events(tenant, realm, page).await?;
        Ok(list_json("events", events, event_json))
    }
}

fn parse_json(raw: Option<&str>) -> Value {
    raw.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

pub fn event_json(a: &AuditRecord) -> Value {
    json!({
        "id": a.id,
        "tenant_id": a.tenant_id,
        "realm_id": a.realm_id,
        "actor": a.actor,
        "action": a.action,
        "target_ids": parse_json(Some(&a.target_ids)),
        "before": parse_json(a.before.as_deref()),
        "after": parse_json(a.after.as_deref()),
        "create_time": rfc3339(a.create_us),
    })
}
