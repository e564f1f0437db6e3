//! The passkey side: binding jobs, credentials, WebAuthn ceremonies, sessions and the
//! revocation feed, signing keys.

use async_trait::async_trait;

use crate::idm::types::JobState;
use crate::store::records::*;
use crate::store::session_records::*;
use crate::store::StoreError;

/// Every write here that opens, closes or fails a link, and every passkey revocation,
/// also sets the identity's `enrollment_status` from what it then has, in the same
/// transaction: an active passkey `ENROLLED`, else an open unexpired link `PENDING`, else a
/// link whose mail failed and is being retried `INVITE_FAILED`, else `UNENROLLED`.
#[async_trait]
pub trait BindingStore: Send + Sync {
    /// Inserts jobs (one, or a batch with its record) and the audit entry.
    async fn create_binding_jobs(
        &self,
        jobs: &[BindingJobRecord],
        batch: Option<&BindingBatchRecord>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn get_binding_job(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingJobRecord, StoreError>;
    async fn find_binding_job_by_token(
        &self,
        token_hash: &str,
    ) -> Result<BindingJobRecord, StoreError>;
    async fn list_binding_jobs(
        &self,
        tenant: &str,
        realm: &str,
        filter: &BindingJobFilter,
        page: PageRequest,
    ) -> Result<Page<BindingJobRecord>, StoreError>;
    async fn list_batch_jobs(&self, batch_id: &str) -> Result<Vec<BindingJobRecord>, StoreError>;
    async fn get_binding_batch(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingBatchRecord, StoreError>;
    /// Marks every open job whose link has expired `Expired`.
    async fn expire_binding_jobs(&self, now_us: i64) -> Result<(), StoreError>;
    /// Moves job `id` to `to` if it is in one of `from` and unexpired; `false` when it was
    /// not (the move is atomic: of two racing callers exactly one gets `true`).
    async fn transition_binding_job(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        now_us: i64,
        audit: Option<&AuditRecord>,
    ) -> Result<bool, StoreError>;
    /// Gives a job the hash of a new link token, before the link is mailed (so a link
    /// opened the moment it arrives already works). `false`: the job can no longer be
    /// sent (used, revoked, expired, or its link already opened).
    async fn set_binding_token(
        &self,
        id: &str,
        token_hash: &str,
        now_us: i64,
    ) -> Result<bool, StoreError>;
    /// Records an email delivery attempt: `LinkSent` on success, `FailedToSend` with the
    /// reason and the next attempt's time on failure (only while the job can still be sent:
    /// a link opened meanwhile stays `LinkOpened`).
    async fn record_delivery(
        &self,
        job: &BindingJobRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Email jobs due for (re)delivery at `now_us`, oldest first.
    async fn due_deliveries(
        &self,
        now_us: i64,
        limit: u32,
    ) -> Result<Vec<BindingJobRecord>, StoreError>;
    /// Atomically: the job (still usable and unexpired) becomes `Complete` with the
    /// credential, the credential is inserted, the identity (still active) becomes
    /// `Enrolled` (its version moves on). `Gone` when the job was no longer usable;
    /// `Duplicate(CredentialId)` when the credential id is already bound.
    async fn complete_binding(
        &self,
        completion: &BindingCompletion,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CredentialStore: Send + Sync {
    async fn get_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<CredentialRecord, StoreError>;
    /// By WebAuthn credential id (base64url), in any realm: sign-in's lookup.
    async fn find_credential(&self, credential_id: &str) -> Result<CredentialRecord, StoreError>;
    /// The identity's passkeys, or (`None`) every passkey of the realm.
    async fn list_credentials(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<CredentialRecord>, StoreError>;
    /// Revokes passkey `id`; its identity is no longer `ENROLLED` when it was the last.
    async fn revoke_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Revokes `id` of `identity_id` unless it is that identity's only active passkey,
    /// checked and written in one transaction (two removals at once cannot take the last
    /// two); `Ok(false)`, nothing written, when it is the only one.
    async fn revoke_credential_unless_last(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: &str,
        id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError>;
    /// Self-service: renames a passkey of the realm, audited.
    async fn rename_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        name: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait CeremonyStore: Send + Sync {
    async fn put_ceremony(&self, ceremony: &CeremonyRecord) -> Result<(), StoreError>;
    /// Reads and deletes the ceremony in one step: a second take of the same id, or a take
    /// after `expire_us`, finds nothing (`NotFound`).
    async fn take_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError>;
    /// Reads the ceremony without using it up (`NotFound` when unknown, used or expired):
    /// sign-in verifies first and uses it up with what it writes
    /// ([`CeremonyStore::complete_sign_in`]).
    async fn peek_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError>;
    /// Writes a verified sign-in in one transaction (one commit, one flush to disk): the
    /// ceremony is deleted, the passkey's use recorded, the session inserted. Nothing is
    /// written when the ceremony is already used or expired (`NotFound(Ceremony)`: of two
    /// racing finishes one wins), or when the passkey is no longer active or its identity
    /// no longer active (`NotFound(Credential)`).
    async fn complete_sign_in(&self, completion: &SignInCompletion) -> Result<(), StoreError>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError>;
    async fn get_session(&self, id: &str) -> Result<SessionRecord, StoreError>;
    /// Records use (the idle timeout counts from the latest).
    async fn touch_session(&self, id: &str, now_us: i64) -> Result<(), StoreError>;
    /// The identity's sessions that are neither revoked nor past `now_us`, oldest first.
    async fn list_live_sessions(
        &self,
        identity_id: &str,
        now_us: i64,
    ) -> Result<Vec<SessionRecord>, StoreError>;
    /// Revokes the matching live sessions and writes the revocation feed, with the audit
    /// record when given, in one transaction. Returns the ids of the sessions revoked.
    async fn revoke_sessions(
        &self,
        target: &RevokeTarget,
        now_us: i64,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<String>, StoreError>;
    /// Feed entries with `seq > after_seq` or written at or after `since_us` (a trailing
    /// window, so a transaction that committed late is not missed), oldest first.
    async fn revocations_since(
        &self,
        after_seq: i64,
        since_us: i64,
    ) -> Result<Vec<RevocationRecord>, StoreError>;
    /// How many sessions are neither revoked nor past `now_us` (every identity's).
    async fn count_live_sessions(&self, now_us: i64) -> Result<i64, StoreError>;
    /// Deletes feed entries older than `before_us` and sessions that ended before it.
    async fn prune_sessions(&self, before_us: i64) -> Result<(), StoreError>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn list_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError>;
    async fn insert_signing_key(
        &self,
        key: &SigningKeyRecord,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError>;
    async fn delete_signing_keys(&self, kids: &[String]) -> Result<(), StoreError>;
}
