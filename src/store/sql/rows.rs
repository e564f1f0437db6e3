//! Column lists and row decoding for every record type (one place per table): the SQL edge
//! where stored text becomes the domain's enums, trait maps and lists.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::idm::types::{
    BatchErrorKind, CeremonyKind, CredentialState, DeliveryMethod, EnrollmentStatus,
    IdentityStatus, JobState,
};
use crate::store::records::*;

fn decode_error(column: &str, msg: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: msg.to_string().into(),
    }
}

/// A text column holding one of an enum's spellings.
pub(super) fn spelled<T>(
    row: &AnyRow,
    column: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    let raw: String = row.try_get(column)?;
    parse(&raw).ok_or_else(|| decode_error(column, format!("unknown value {raw:?}")))
}

/// A text column holding JSON.
fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let raw: String = row.try_get(column)?;
    serde_json::from_str(&raw).map_err(|e| decode_error(column, e))
}

/// JSON text for a column (plain data: serialising cannot fail).
pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub(super) const REALM_COLUMNS: &str = "r.tenant_id, r.id, r.display_name, r.rp_id, r.rp_name, \
     r.from_config, r.create_us, r.update_us";

pub(super) fn realm(row: &AnyRow) -> Result<RealmRecord, sqlx::Error> {
    Ok(RealmRecord {
        tenant_id: row.try_get("tenant_id")?,
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        rp_id: row.try_get("rp_id")?,
        rp_name: row.try_get("rp_name")?,
        from_config: row.try_get::<i64, _>("from_config")? != 0,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const IDENTITY_COLUMNS: &str = "i.id, i.tenant_id, i.realm_id, i.display_name, \
     i.status, i.enrollment_status, i.username, i.primary_email_address, i.external_id, \
     i.given_name, i.family_name, i.extra_traits, i.version, i.create_us, i.update_us";

pub(super) fn identity(row: &AnyRow) -> Result<IdentityRecord, sqlx::Error> {
    Ok(IdentityRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        display_name: row.try_get("display_name")?,
        status: spelled(row, "status", IdentityStatus::parse)?,
        enrollment_status: spelled(row, "enrollment_status", EnrollmentStatus::parse)?,
        traits: Traits {
            username: row.try_get("username")?,
            primary_email_address: row.try_get("primary_email_address")?,
            external_id: row.try_get("external_id")?,
            given_name: row.try_get("given_name")?,
            family_name: row.try_get("family_name")?,
            extra: json::<BTreeMap<String, String>>(row, "extra_traits")?,
        },
        version: row.try_get("version")?,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const GROUP_COLUMNS: &str = "g.id, g.tenant_id, g.realm_id, g.display_name, \
     g.description, g.version, g.create_us, g.update_us";

pub(super) fn group(row: &AnyRow) -> Result<GroupRecord, sqlx::Error> {
    Ok(GroupRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        version: row.try_get("version")?,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const TOKEN_COLUMNS: &str = "t.id, t.tenant_id, t.realm_id, t.name, t.scopes, \
     t.secret_hash, t.create_us, t.expire_us, t.revoke_us";

pub(super) fn token(row: &AnyRow) -> Result<ApiTokenRecord, sqlx::Error> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiTokenRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        name: row.try_get("name")?,
        scopes: scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        secret_hash: row.try_get("secret_hash")?,
        create_us: row.try_get("create_us")?,
        expire_us: row.try_get("expire_us")?,
        revoke_us: row.try_get("revoke_us")?,
    })
}

pub(super) const AUDIT_COLUMNS: &str = "a.id, a.tenant_id, a.realm_id, a.actor, a.action, \
     a.target_ids, a.before_state, a.after_state, a.create_us";

pub(super) fn audit(row: &AnyRow) -> Result<AuditRecord, sqlx::Error> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target_ids: json(row, "target_ids")?,
        before: row.try_get("before_state")?,
        after: row.try_get("after_state")?,
        create_us: row.try_get("create_us")?,
    })
}

pub(super) const JOB_COLUMNS: &str = "j.id, j.tenant_id, j.realm_id, j.identity_id, \
     j.delivery_method, j.state, j.post_binding_redirect_uri, j.authenticator_config_id, \
     j.token_hash, j.expire_us, j.credential_id, j.batch_id, j.failure_reason, \
     j.send_attempts, j.next_send_us, j.create_us, j.update_us";

pub(super) fn job(row: &AnyRow) -> Result<BindingJobRecord, sqlx::Error> {
    Ok(BindingJobRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        identity_id: row.try_get("identity_id")?,
        delivery_method: spelled(row, "delivery_method", DeliveryMethod::parse)?,
        state: spelled(row, "state", JobState::parse)?,
        post_binding_redirect_uri: row.try_get("post_binding_redirect_uri")?,
        authenticator_config_id: row.try_get("authenticator_config_id")?,
        token_hash: row.try_get("token_hash")?,
        expire_us: row.try_get("expire_us")?,
        credential_id: row.try_get("credential_id")?,
        batch_id: row.try_get("batch_id")?,
        failure_reason: row.try_get("failure_reason")?,
        send_attempts: row.try_get("send_attempts")?,
        next_send_us: row.try_get("next_send_us")?,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
    })
}

pub(super) const BATCH_COLUMNS: &str = "b.id, b.tenant_id, b.realm_id, b.delivery_method, \
     b.post_binding_redirect_uri, b.authenticator_config_id, b.results, b.create_us";

/// One stored batch result: `{"identity_id", "credential_binding_job_id"}` or
/// `{"identity_id", "error": {"code", "message"}}`.
#[derive(Serialize, Deserialize)]
pub(super) struct StoredResult {
    identity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential_binding_job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<StoredError>,
}

#[derive(Serialize, Deserialize)]
struct StoredError {
    code: String,
    message: String,
}

impl StoredResult {
    pub(super) fn from_result(r: &BatchResult) -> StoredResult {
        let (job, error) = match &r.outcome {
            BatchOutcome::Job(id) => (Some(id.clone()), None),
            BatchOutcome::Error { kind, message } => (
                None,
                Some(StoredError {
                    code: kind.as_str().to_string(),
                    message: message.clone(),
                }),
            ),
        };
        StoredResult {
            identity_id: r.identity_id.clone(),
            credential_binding_job_id: job,
            error,
        }
    }

    fn into_result(self) -> BatchResult {
        let outcome = match (self.credential_binding_job_id, self.error) {
            (Some(job), _) => BatchOutcome::Job(job),
            (None, Some(e)) => BatchOutcome::Error {
                // Batches stored before issue 10 say `unprocessable`.
                kind: BatchErrorKind::parse(&e.code).unwrap_or(BatchErrorKind::Unprocessable),
                message: e.message,
            },
            (None, None) => BatchOutcome::Error {
                kind: BatchErrorKind::Unprocessable,
                message: String::new(),
            },
        };
        BatchResult {
            identity_id: self.identity_id,
            outcome,
        }
    }
}

pub(super) fn batch(row: &AnyRow) -> Result<BindingBatchRecord, sqlx::Error> {
    let results: Vec<StoredResult> = json(row, "results")?;
    Ok(BindingBatchRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        delivery_method: spelled(row, "delivery_method", DeliveryMethod::parse)?,
        post_binding_redirect_uri: row.try_get("post_binding_redirect_uri")?,
        authenticator_config_id: row.try_get("authenticator_config_id")?,
        results: results.into_iter().map(StoredResult::into_result).collect(),
        create_us: row.try_get("create_us")?,
    })
}

pub(super) const CREDENTIAL_COLUMNS: &str = "c.id, c.tenant_id, c.realm_id, c.identity_id, \
     c.credential_id, c.public_key, c.passkey, c.sign_count, c.aaguid, c.name, c.state, \
     c.backup_eligible, c.backup_state, c.transports, c.create_us, c.update_us, c.last_used_us";

pub(super) fn credential(row: &AnyRow) -> Result<CredentialRecord, sqlx::Error> {
    Ok(CredentialRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        identity_id: row.try_get("identity_id")?,
        credential_id: row.try_get("credential_id")?,
        public_key: row.try_get("public_key")?,
        passkey: row.try_get("passkey")?,
        sign_count: row.try_get("sign_count")?,
        aaguid: row.try_get("aaguid")?,
        name: row.try_get("name")?,
        state: spelled(row, "state", CredentialState::parse)?,
        backup_eligible: row.try_get::<i64, _>("backup_eligible")? != 0,
        backup_state: row.try_get::<i64, _>("backup_state")? != 0,
        transports: json(row, "transports")?,
        create_us: row.try_get("create_us")?,
        update_us: row.try_get("update_us")?,
        last_used_us: row.try_get("last_used_us")?,
    })
}

pub(super) const CEREMONY_COLUMNS: &str =
    "id, kind, tenant_id, realm_id, subject, state, expire_us";

pub(super) fn ceremony(row: &AnyRow) -> Result<CeremonyRecord, sqlx::Error> {
    Ok(CeremonyRecord {
        id: row.try_get("id")?,
        kind: spelled(row, "kind", CeremonyKind::parse)?,
        tenant_id: row.try_get("tenant_id")?,
        realm_id: row.try_get("realm_id")?,
        subject: row.try_get("subject")?,
        state: row.try_get("state")?,
        expire_us: row.try_get("expire_us")?,
    })
}

/// The insert of a new credential (run inside the binding transaction).
pub(super) fn credential_insert(
    c: &CredentialRecord,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(
        "INSERT INTO credentials (id, tenant_id, realm_id, identity_id, credential_id, \
         public_key, passkey, sign_count, aaguid, name, state, backup_eligible, backup_state, \
         transports, create_us, update_us, last_used_us) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(&c.id)
    .bind(&c.tenant_id)
    .bind(&c.realm_id)
    .bind(&c.identity_id)
    .bind(&c.credential_id)
    .bind(&c.public_key)
    .bind(&c.passkey)
    .bind(c.sign_count)
    .bind(&c.aaguid)
    .bind(&c.name)
    .bind(c.state.as_str())
    .bind(i64::from(c.backup_eligible))
    .bind(i64::from(c.backup_state))
    .bind(to_json(&c.transports))
    .bind(c.create_us)
    .bind(c.update_us)
    .bind(c.last_used_us)
}
