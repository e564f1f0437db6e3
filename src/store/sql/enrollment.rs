//! An identity's `enrollment_status`, kept by the store from what the identity has, inside
//! the transaction of every write that can change it: an active passkey → `ENROLLED`; else
//! an open, unexpired binding link → `PENDING`; else a link whose email could not be sent
//! (and is still being retried) → `INVITE_FAILED`; else `UNENROLLED`. An identity whose
//! status moves gets a new version (its ETag changes) and `update_time`.

use sqlx::AnyConnection;

use crate::idm::types::{CredentialState, EnrollmentStatus, JobState};
use crate::store::StoreError;

/// Which identities to bring up to date.
#[derive(Debug, Clone, Copy)]
pub(super) enum Whose<'a> {
    /// The identity of this binding job.
    Job(&'a str),
    /// Every identity with a job in this batch.
    Batch(&'a str),
    /// The identity of this passkey (its row id).
    Credential(&'a str),
    /// Every identity with a job that [`expire`](super::BindingStore::expire_binding_jobs)
    /// has just marked expired (at `now_us`).
    ExpiredAt,
}

/// The status `identities.id` should have at `$1` (now), as SQL.
fn status() -> String {
    let open = JobState::DELIVERED
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CASE WHEN EXISTS (SELECT 1 FROM credentials c WHERE c.identity_id = identities.id \
           AND c.state = '{active}') THEN '{enrolled}' \
         WHEN EXISTS (SELECT 1 FROM binding_jobs j WHERE j.identity_id = identities.id \
           AND j.state IN ({open}) AND j.expire_us > $1) THEN '{pending}' \
         WHEN EXISTS (SELECT 1 FROM binding_jobs j WHERE j.identity_id = identities.id \
           AND j.state = '{failed}' AND j.expire_us > $1) THEN '{invite_failed}' \
         ELSE '{unenrolled}' END",
        active = CredentialState::Active.as_str(),
        enrolled = EnrollmentStatus::Enrolled.as_str(),
        pending = EnrollmentStatus::Pending.as_str(),
        failed = JobState::FailedToSend.as_str(),
        invite_failed = EnrollmentStatus::InviteFailed.as_str(),
        unenrolled = EnrollmentStatus::Unenrolled.as_str(),
    )
}

/// Sets the enrollment status of `whose` from its passkeys and links at `now_us`; only rows
/// whose status changes are written.
pub(super) async fn refresh(
    conn: &mut AnyConnection,
    whose: Whose<'_>,
    now_us: i64,
) -> Result<(), StoreError> {
    let (target, key) = match whose {
        Whose::Job(id) => (
            "id = (SELECT identity_id FROM binding_jobs WHERE id = $2)",
            id,
        ),
        Whose::Batch(id) => (
            "id IN (SELECT identity_id FROM binding_jobs WHERE batch_id = $2)",
            id,
        ),
        Whose::Credential(id) => (
            "id = (SELECT identity_id FROM credentials WHERE id = $2)",
            id,
        ),
        Whose::ExpiredAt => (
            "id IN (SELECT identity_id FROM binding_jobs WHERE state = $2 AND update_us = $1)",
            JobState::Expired.as_str(),
        ),
    };
    let status = status();
    let sql = format!(
        "UPDATE identities SET enrollment_status = {status}, version = version + 1, \
         update_us = $1 WHERE {target} AND enrollment_status <> {status}"
    );
    sqlx::query(&sql)
        .bind(now_us)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
