//! The SQL both backends run (the same statements on SQLite and PostgreSQL through sqlx's
//! `Any` driver, `$n` placeholders), one file per table family.

mod audit;
mod binding;
mod ceremonies;
mod credentials;
mod groups;
mod identities;
mod query;
mod realms;
mod rows;
mod sessions;
mod tokens;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::AnyPool;

use crate::store::records::*;
use crate::store::{Store, StoreError, StoreOptions};

/// The connection pool for `url` (sized and timed by `options`); `what` names the database
/// in the error when it cannot be reached.
pub(super) async fn connect(
    options: &StoreOptions,
    url: &str,
    what: &str,
) -> Result<AnyPool, StoreError> {
    let connect: AnyConnectOptions = url
        .parse()
        .map_err(|e: sqlx::Error| StoreError::InvalidUrl(e.to_string()))?;
    AnyPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.connect_timeout)
        .connect_with(connect)
        .await
        .map_err(|e| StoreError::Unavailable(format!("{what}: {e}")))
}

/// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so a transaction waits for another writer instead of failing: a deferred
/// one that has begun reading when another writer commits cannot write any more ("database
/// is locked", WAL snapshot rules). PostgreSQL's plain `BEGIN` waits on row locks by itself.
pub(super) async fn begin(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

pub(super) struct SqlStore {
    pool: AnyPool,
    backend: &'static str,
}

impl SqlStore {
    pub(super) fn new(pool: AnyPool, backend: &'static str) -> Self {
        SqlStore { pool, backend }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT COUNT(*) FROM realms WHERE 1 = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    async fn sync_config_realms(
        &self,
        tenant: &str,
        realms: &[RealmRecord],
        now_us: i64,
    ) -> Result<(), StoreError> {
        realms::sync_config(&self.pool, tenant, realms, now_us).await
    }

    async fn create_realm(&self, r: &RealmRecord, a: &AuditRecord) -> Result<(), StoreError> {
        realms::create(&self.pool, r, a).await
    }

    async fn get_realm(&self, tenant: &str, id: &str) -> Result<RealmRecord, StoreError> {
        realms::get(&self.pool, tenant, id).await
    }

    async fn list_realms(
        &self,
        tenant: &str,
        page: PageRequest,
    ) -> Result<Page<RealmRecord>, StoreError> {
        realms::list_realms(&self.pool, tenant, page).await
    }

    async fn update_realm(&self, r: &RealmRecord, a: &AuditRecord) -> Result<(), StoreError> {
        realms::update(&self.pool, r, a).await
    }

    async fn delete_realm(
        &self,
        tenant: &str,
        id: &str,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        realms::delete(&self.pool, tenant, id, a).await
    }

    async fn create_identity(&self, i: &IdentityRecord, a: &AuditRecord) -> Result<(), StoreError> {
        identities::create(&self.pool, i, a).await
    }

    async fn get_identity(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<IdentityRecord, StoreError> {
        identities::get(&self.pool, tenant, realm, id).await
    }

    async fn find_identity_by_username(
        &self,
        tenant: &str,
        realm: &str,
        username: &str,
    ) -> Result<IdentityRecord, StoreError> {
        identities::by_username(&self.pool, tenant, realm, username).await
    }

    async fn list_identities(
        &self,
        tenant: &str,
        realm: &str,
        filter: Option<&IdentityFilter>,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError> {
        identities::list_identities(&self.pool, tenant, realm, filter, page).await
    }

    async fn update_identity(&self, i: &IdentityRecord, a: &AuditRecord) -> Result<(), StoreError> {
        identities::update(&self.pool, i, a).await
    }

    async fn delete_identities(
        &self,
        tenant: &str,
        realm: &str,
        ids: &[String],
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        identities::delete_many(&self.pool, tenant, realm, ids, a).await
    }

    async fn create_group(
        &self,
        g: &GroupRecord,
        members: &[String],
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        groups::create(&self.pool, g, members, a).await
    }

    async fn get_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<GroupRecord, StoreError> {
        groups::get(&self.pool, tenant, realm, id).await
    }

    async fn list_groups(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError> {
        groups::list_groups(&self.pool, tenant, realm, page).await
    }

    async fn update_group(&self, g: &GroupRecord, a: &AuditRecord) -> Result<(), StoreError> {
        groups::update(&self.pool, g, a).await
    }

    async fn delete_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        groups::delete(&self.pool, tenant, realm, id, a).await
    }

    async fn add_members(
        &self,
        g: &GroupRecord,
        ids: &[String],
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        groups::add_members(&self.pool, g, ids, now_us, a).await
    }

    async fn delete_members(
        &self,
        g: &GroupRecord,
        ids: &[String],
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        groups::delete_members(&self.pool, g, ids, a).await
    }

    async fn list_members(
        &self,
        g: &GroupRecord,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError> {
        groups::list_members(&self.pool, g, page).await
    }

    async fn list_identity_groups(
        &self,
        i: &IdentityRecord,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError> {
        groups::list_identity_groups(&self.pool, i, page).await
    }

    async fn create_token(&self, t: &ApiTokenRecord, a: &AuditRecord) -> Result<(), StoreError> {
        tokens::create(&self.pool, t, a).await
    }

    async fn get_token(&self, id: &str) -> Result<ApiTokenRecord, StoreError> {
        tokens::get(&self.pool, id).await
    }

    async fn list_tokens(&self, tenant: &str) -> Result<Vec<ApiTokenRecord>, StoreError> {
        tokens::list_tokens(&self.pool, tenant).await
    }

    async fn revoke_token(
        &self,
        tenant: &str,
        id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        tokens::revoke(&self.pool, tenant, id, now_us, a).await
    }

    async fn create_binding_jobs(
        &self,
        jobs: &[BindingJobRecord],
        batch: Option<&BindingBatchRecord>,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        binding::create(&self.pool, jobs, batch, a).await
    }

    async fn get_binding_job(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingJobRecord, StoreError> {
        binding::get(&self.pool, tenant, realm, id).await
    }

    async fn find_binding_job_by_token(&self, hash: &str) -> Result<BindingJobRecord, StoreError> {
        binding::by_token(&self.pool, hash).await
    }

    async fn list_binding_jobs(
        &self,
        tenant: &str,
        realm: &str,
        filter: &BindingJobFilter,
        page: PageRequest,
    ) -> Result<Page<BindingJobRecord>, StoreError> {
        binding::list_jobs(&self.pool, tenant, realm, filter, page).await
    }

    async fn list_batch_jobs(&self, batch_id: &str) -> Result<Vec<BindingJobRecord>, StoreError> {
        binding::batch_jobs(&self.pool, batch_id).await
    }

    async fn get_binding_batch(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingBatchRecord, StoreError> {
        binding::get_batch(&self.pool, tenant, realm, id).await
    }

    async fn expire_binding_jobs(&self, now_us: i64) -> Result<(), StoreError> {
        binding::expire(&self.pool, now_us).await
    }

    async fn transition_binding_job(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        now_us: i64,
        a: Option<&AuditRecord>,
    ) -> Result<bool, StoreError> {
        binding::transition(&self.pool, id, from, to, now_us, a).await
    }

    async fn record_delivery(
        &self,
        job: &BindingJobRecord,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        binding::record_delivery(&self.pool, job, a).await
    }

    async fn due_deliveries(
        &self,
        now_us: i64,
        limit: u32,
    ) -> Result<Vec<BindingJobRecord>, StoreError> {
        binding::due(&self.pool, now_us, limit).await
    }

    async fn complete_binding(
        &self,
        c: &BindingCompletion,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        binding::complete(&self.pool, c, a).await
    }

    async fn get_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<CredentialRecord, StoreError> {
        credentials::get(&self.pool, tenant, realm, id).await
    }

    async fn find_credential(&self, credential_id: &str) -> Result<CredentialRecord, StoreError> {
        credentials::by_credential_id(&self.pool, credential_id).await
    }

    async fn list_credentials(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: &str,
        page: PageRequest,
    ) -> Result<Page<CredentialRecord>, StoreError> {
        credentials::list_credentials(&self.pool, tenant, realm, identity_id, page).await
    }

    async fn record_credential_use(
        &self,
        id: &str,
        sign_count: i64,
        passkey: &str,
        now_us: i64,
    ) -> Result<(), StoreError> {
        credentials::record_use(&self.pool, id, sign_count, passkey, now_us).await
    }

    async fn revoke_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<(), StoreError> {
        credentials::revoke(&self.pool, tenant, realm, id, now_us, a).await
    }

    async fn revoke_credential_unless_last(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: &str,
        id: &str,
        now_us: i64,
        a: &AuditRecord,
    ) -> Result<bool, StoreError> {
        credentials::revoke_unless_last(&self.pool, tenant, realm, identity_id, id, now_us, a).await
    }

    async fn put_ceremony(&self, c: &CeremonyRecord) -> Result<(), StoreError> {
        ceremonies::put(&self.pool, c).await
    }

    async fn take_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError> {
        ceremonies::take(&self.pool, id, now_us).await
    }

    async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        audit::list_events(&self.pool, tenant, realm, page).await
    }
}
