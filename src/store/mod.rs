//! Persistence: the [`Store`] trait and its two `sqlx` backends, SQLite (`sqlite.rs`, the
//! embedded default) and PostgreSQL (`postgres.rs`). Both run the same SQL (`sql/`) on
//! their own migrations (`migrations/<backend>/`), applied by [`open`]. Writes that belong
//! together, including their audit record, are one transaction.

pub mod error;
mod postgres;
pub mod records;
pub mod session_records;
mod sql;
mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use error::StoreError;
pub use records::*;
pub use session_records::*;

/// How to reach the database (from `[store]` in the config).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl From<&crate::config::StoreSettings> for StoreOptions {
    fn from(s: &crate::config::StoreSettings) -> Self {
        StoreOptions {
            url: s.url.clone(),
            max_connections: s.max_connections,
            connect_timeout: s.connect_timeout,
        }
    }
}

/// Opens (creating a SQLite file if needed) and migrates the store named by `options.url`.
pub async fn open(options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    sqlx::any::install_default_drivers();
    let store = if options.url.starts_with("sqlite:") {
        sqlite::open(options).await?
    } else if options.url.starts_with("postgres://") || options.url.starts_with("postgresql://") {
        postgres::open(options).await?
    } else {
        return Err(StoreError::InvalidUrl(
            "use sqlite://PATH or postgres://USER@HOST/DB".into(),
        ));
    };
    Ok(Arc::new(store))
}

/// Session operations live in [`SessionStore`] (a supertrait, so `dyn Store` has them).
#[async_trait]
pub trait Store: SessionStore + Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> Result<(), StoreError>;

    // Realms.
    /// Makes the store's realms agree with the config file's `[[realms]]` (inserting or
    /// updating those, releasing realms no longer declared).
    async fn sync_config_realms(
        &self,
        tenant: &str,
        realms: &[RealmRecord],
        now_us: i64,
    ) -> Result<(), StoreError>;
    async fn create_realm(
        &self,
        realm: &RealmRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn get_realm(&self, tenant: &str, id: &str) -> Result<RealmRecord, StoreError>;
    async fn list_realms(
        &self,
        tenant: &str,
        page: PageRequest,
    ) -> Result<Page<RealmRecord>, StoreError>;
    async fn update_realm(
        &self,
        realm: &RealmRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Deletes the realm and everything in it.
    async fn delete_realm(
        &self,
        tenant: &str,
        id: &str,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;

    // Identities.
    async fn create_identity(
        &self,
        identity: &IdentityRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn get_identity(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<IdentityRecord, StoreError>;
    async fn find_identity_by_username(
        &self,
        tenant: &str,
        realm: &str,
        username: &str,
    ) -> Result<IdentityRecord, StoreError>;
    async fn list_identities(
        &self,
        tenant: &str,
        realm: &str,
        filter: Option<&IdentityFilter>,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError>;
    async fn update_identity(
        &self,
        identity: &IdentityRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Deletes every listed identity with its credentials, binding jobs, sessions and group
    /// memberships, or nothing when one of them does not exist.
    async fn delete_identities(
        &self,
        tenant: &str,
        realm: &str,
        ids: &[String],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;

    // Groups.
    /// Creates the group with `members` (all of which must exist in its realm).
    async fn create_group(
        &self,
        group: &GroupRecord,
        members: &[String],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn get_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<GroupRecord, StoreError>;
    async fn list_groups(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError>;
    async fn update_group(
        &self,
        group: &GroupRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn delete_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Adds members (already-members are left as they are); all must exist in the realm.
    async fn add_members(
        &self,
        group: &GroupRecord,
        ids: &[String],
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn delete_members(
        &self,
        group: &GroupRecord,
        ids: &[String],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn list_members(
        &self,
        group: &GroupRecord,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError>;
    async fn list_identity_groups(
        &self,
        identity: &IdentityRecord,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError>;

    // API tokens.
    async fn create_token(
        &self,
        token: &ApiTokenRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn get_token(&self, id: &str) -> Result<ApiTokenRecord, StoreError>;
    async fn list_tokens(&self, tenant: &str) -> Result<Vec<ApiTokenRecord>, StoreError>;
    async fn revoke_token(
        &self,
        tenant: &str,
        id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;

    // Credential binding jobs.
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
    /// Marks every open job whose link has expired `EXPIRED`.
    async fn expire_binding_jobs(&self, now_us: i64) -> Result<(), StoreError>;
    /// Moves job `id` to `to` if it is in one of `from` and unexpired; `false` when it was not
    /// (the move is atomic: of two racing callers exactly one gets `true`).
    async fn transition_binding_job(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        now_us: i64,
        audit: Option<&AuditRecord>,
    ) -> Result<bool, StoreError>;
    /// Records an email delivery attempt: `LINK_SENT` on success, `FAILED_TO_SEND` with the
    /// reason and the next attempt's time on failure (only while the job is still open).
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
    /// Atomically: the job (still open and unexpired) becomes `COMPLETE` with the credential,
    /// the credential is inserted, the identity (still active) becomes `ENROLLED`. `Gone`
    /// when the job was no longer open; `Conflict` when the credential id is already bound.
    async fn complete_binding(
        &self,
        completion: &BindingCompletion,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;

    // Credentials (passkeys).
    async fn get_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<CredentialRecord, StoreError>;
    /// By WebAuthn credential id (base64url), in any realm: sign-in's lookup.
    async fn find_credential(&self, credential_id: &str) -> Result<CredentialRecord, StoreError>;
    async fn list_credentials(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: &str,
        page: PageRequest,
    ) -> Result<Page<CredentialRecord>, StoreError>;
    /// After a sign-in: the new counter, the updated passkey JSON, `last_used_us`.
    async fn record_credential_use(
        &self,
        id: &str,
        sign_count: i64,
        passkey: &str,
        now_us: i64,
    ) -> Result<(), StoreError>;
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

    // WebAuthn ceremonies.
    async fn put_ceremony(&self, ceremony: &CeremonyRecord) -> Result<(), StoreError>;
    /// Reads and deletes the ceremony in one step: a second take of the same id, or a take
    /// after `expire_us`, finds nothing (`NotFound`).
    async fn take_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError>;

    // Audit.
    async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError>;
}
