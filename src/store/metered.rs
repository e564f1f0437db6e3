//! The one place store operations are bounded in time and measured: [`Metered`] wraps the
//! store [`super::open`] returns. Every operation of every aggregate
//! - answers [`StoreError::Unavailable`] when it (waiting for a connection included) takes
//!   longer than `store.connect_timeout` + `store.timeout`. PostgreSQL cancels a slow
//!   statement itself (`statement_timeout`); this bound also covers a database that has
//!   gone silent (a network dropping packets without a reset), where no error would come;
//! - is timed into `passgate_store_*` (latency by family and read or write, failures by
//!   kind; a call cut off by the bound counts as `unavailable`).
//!
//! Each method passes its arguments on unchanged; a method added to a store trait fails to
//! compile until it is added here.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::idm::types::JobState;
use crate::metrics::metrics;
use crate::metrics::store::{Failure, Family, Op};
use crate::store::oidc_records::*;
use crate::store::records::*;
use crate::store::search::*;
use crate::store::session_records::*;
use crate::store::*;

/// A store whose every operation is bounded in time and measured.
pub(super) struct Metered {
    inner: Arc<dyn Store>,
    /// The longest one operation may take.
    limit: Duration,
}

impl Metered {
    pub(super) fn new(inner: Arc<dyn Store>, limit: Duration) -> Self {
        Metered { inner, limit }
    }

    /// Runs one store operation within the bound, timing it and counting its failure.
    async fn timed<T>(
        &self,
        family: Family,
        op: Op,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let started = Instant::now();
        let out = match tokio::time::timeout(self.limit, operation).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!(
                "the database did not answer within {:?} (store.connect_timeout + store.timeout)",
                self.limit
            ))),
        };
        measure(family, op, started, &out);
        out
    }
}

/// Counts one operation's latency and failure.
fn measure<T>(family: Family, op: Op, started: Instant, out: &Result<T, StoreError>) {
    let failure = match out {
        Err(StoreError::Unavailable(_)) => Some(Failure::Unavailable),
        Err(StoreError::Database(_) | StoreError::Migration(_)) => Some(Failure::Database),
        _ => None,
    };
    metrics()
        .store
        .observe(family, op, started.elapsed().as_secs_f64(), failure);
}

#[async_trait]
impl StoreInfo for Metered {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.timed(Family::Info, Op::Read, self.inner.ping()).await
    }
}

#[async_trait]
impl RealmStore for Metered {
    async fn sync_config_realms(
        &self,
        tenant: &str,
        realms: &[RealmRecord],
        now_us: i64,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Realms,
            Op::Write,
            self.inner.sync_config_realms(tenant, realms, now_us),
        )
        .await
    }

    async fn create_realm(
        &self,
        realm: &RealmRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Realms,
            Op::Write,
            self.inner.create_realm(realm, audit),
        )
        .await
    }

    async fn get_realm(&self, tenant: &str, id: &str) -> Result<RealmRecord, StoreError> {
        self.timed(Family::Realms, Op::Read, self.inner.get_realm(tenant, id))
            .await
    }

    async fn list_realms(
        &self,
        tenant: &str,
        page: PageRequest,
    ) -> Result<Page<RealmRecord>, StoreError> {
        self.timed(
            Family::Realms,
            Op::Read,
            self.inner.list_realms(tenant, page),
        )
        .await
    }

    async fn update_realm(
        &self,
        realm: &RealmRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Realms,
            Op::Write,
            self.inner.update_realm(realm, audit),
        )
        .await
    }

    async fn delete_realm(
        &self,
        tenant: &str,
        id: &str,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Realms,
            Op::Write,
            self.inner.delete_realm(tenant, id, audit),
        )
        .await
    }
}

#[async_trait]
impl IdentityStore for Metered {
    async fn create_identity(
        &self,
        identity: &IdentityRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Identities,
            Op::Write,
            self.inner.create_identity(identity, audit),
        )
        .await
    }

    async fn get_identity(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<IdentityRecord, StoreError> {
        self.timed(
            Family::Identities,
            Op::Read,
            self.inner.get_identity(tenant, realm, id),
        )
        .await
    }

    async fn find_identity_by_username(
        &self,
        tenant: &str,
        realm: &str,
        username: &str,
    ) -> Result<IdentityRecord, StoreError> {
        self.timed(
            Family::Identities,
            Op::Read,
            self.inner
                .find_identity_by_username(tenant, realm, username),
        )
        .await
    }

    async fn list_identities(
        &self,
        tenant: &str,
        realm: &str,
        filter: Option<&IdentityFilter>,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError> {
        self.timed(
            Family::Identities,
            Op::Read,
            self.inner.list_identities(tenant, realm, filter, page),
        )
        .await
    }

    async fn update_identity(
        &self,
        identity: &IdentityRecord,
        expected: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Identities,
            Op::Write,
            self.inner.update_identity(identity, expected, audit),
        )
        .await
    }

    async fn delete_identities(
        &self,
        tenant: &str,
        realm: &str,
        ids: &[String],
        expected: Option<i64>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Identities,
            Op::Write,
            self.inner
                .delete_identities(tenant, realm, ids, expected, audit),
        )
        .await
    }
}

#[async_trait]
impl GroupStore for Metered {
    async fn create_group(
        &self,
        group: &GroupRecord,
        members: &[String],
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Groups,
            Op::Write,
            self.inner.create_group(group, members, audit),
        )
        .await
    }

    async fn get_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<GroupRecord, StoreError> {
        self.timed(
            Family::Groups,
            Op::Read,
            self.inner.get_group(tenant, realm, id),
        )
        .await
    }

    async fn list_groups(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError> {
        self.timed(
            Family::Groups,
            Op::Read,
            self.inner.list_groups(tenant, realm, page),
        )
        .await
    }

    async fn update_group(
        &self,
        group: &GroupRecord,
        expected: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Groups,
            Op::Write,
            self.inner.update_group(group, expected, audit),
        )
        .await
    }

    async fn rewrite_group(
        &self,
        group: &GroupRecord,
        expected: i64,
        members: Option<&[String]>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Groups,
            Op::Write,
            self.inner.rewrite_group(group, expected, members, audit),
        )
        .await
    }

    async fn delete_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        expected: Option<i64>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Groups,
            Op::Write,
            self.inner.delete_group(tenant, realm, id, expected, audit),
        )
        .await
    }

    async fn change_members(
        &self,
        group: &GroupRecord,
        expected: i64,
        change: MemberChange<'_>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Groups,
            Op::Write,
            self.inner.change_members(group, expected, change, audit),
        )
        .await
    }

    async fn list_members(
        &self,
        group: &GroupRecord,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError> {
        self.timed(
            Family::Groups,
            Op::Read,
            self.inner.list_members(group, page),
        )
        .await
    }

    async fn list_identity_groups(
        &self,
        identity_id: &str,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError> {
        self.timed(
            Family::Groups,
            Op::Read,
            self.inner.list_identity_groups(identity_id, page),
        )
        .await
    }
}

#[async_trait]
impl TokenStore for Metered {
    async fn create_token(
        &self,
        token: &ApiTokenRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Tokens,
            Op::Write,
            self.inner.create_token(token, audit),
        )
        .await
    }

    async fn get_token(&self, id: &str) -> Result<ApiTokenRecord, StoreError> {
        self.timed(Family::Tokens, Op::Read, self.inner.get_token(id))
            .await
    }

    async fn list_tokens(&self, tenant: &str) -> Result<Vec<ApiTokenRecord>, StoreError> {
        self.timed(Family::Tokens, Op::Read, self.inner.list_tokens(tenant))
            .await
    }

    async fn revoke_token(
        &self,
        tenant: &str,
        id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Tokens,
            Op::Write,
            self.inner.revoke_token(tenant, id, now_us, audit),
        )
        .await
    }
}

#[async_trait]
impl AuditStore for Metered {
    async fn insert_audit(&self, audit: &AuditRecord) -> Result<(), StoreError> {
        self.timed(Family::Audit, Op::Write, self.inner.insert_audit(audit))
            .await
    }

    async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError> {
        self.timed(
            Family::Audit,
            Op::Read,
            self.inner.list_events(tenant, realm, page),
        )
        .await
    }
}

#[async_trait]
impl BindingStore for Metered {
    async fn create_binding_jobs(
        &self,
        jobs: &[BindingJobRecord],
        batch: Option<&BindingBatchRecord>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Binding,
            Op::Write,
            self.inner.create_binding_jobs(jobs, batch, audit),
        )
        .await
    }

    async fn get_binding_job(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingJobRecord, StoreError> {
        self.timed(
            Family::Binding,
            Op::Read,
            self.inner.get_binding_job(tenant, realm, id),
        )
        .await
    }

    async fn find_binding_job_by_token(
        &self,
        token_hash: &str,
    ) -> Result<BindingJobRecord, StoreError> {
        self.timed(
            Family::Binding,
            Op::Read,
            self.inner.find_binding_job_by_token(token_hash),
        )
        .await
    }

    async fn list_binding_jobs(
        &self,
        tenant: &str,
        realm: &str,
        filter: &BindingJobFilter,
        page: PageRequest,
    ) -> Result<Page<BindingJobRecord>, StoreError> {
        self.timed(
            Family::Binding,
            Op::Read,
            self.inner.list_binding_jobs(tenant, realm, filter, page),
        )
        .await
    }

    async fn list_batch_jobs(&self, batch_id: &str) -> Result<Vec<BindingJobRecord>, StoreError> {
        self.timed(
            Family::Binding,
            Op::Read,
            self.inner.list_batch_jobs(batch_id),
        )
        .await
    }

    async fn get_binding_batch(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<BindingBatchRecord, StoreError> {
        self.timed(
            Family::Binding,
            Op::Read,
            self.inner.get_binding_batch(tenant, realm, id),
        )
        .await
    }

    async fn expire_binding_jobs(&self, now_us: i64) -> Result<(), StoreError> {
        self.timed(
            Family::Binding,
            Op::Write,
            self.inner.expire_binding_jobs(now_us),
        )
        .await
    }

    async fn transition_binding_job(
        &self,
        id: &str,
        from: &[JobState],
        to: JobState,
        now_us: i64,
        audit: Option<&AuditRecord>,
    ) -> Result<bool, StoreError> {
        self.timed(
            Family::Binding,
            Op::Write,
            self.inner
                .transition_binding_job(id, from, to, now_us, audit),
        )
        .await
    }

    async fn set_binding_token(
        &self,
        id: &str,
        token_hash: &str,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        self.timed(
            Family::Binding,
            Op::Write,
            self.inner.set_binding_token(id, token_hash, now_us),
        )
        .await
    }

    async fn record_delivery(
        &self,
        job: &BindingJobRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Binding,
            Op::Write,
            self.inner.record_delivery(job, audit),
        )
        .await
    }

    async fn due_deliveries(
        &self,
        now_us: i64,
        limit: u32,
    ) -> Result<Vec<BindingJobRecord>, StoreError> {
        self.timed(
            Family::Binding,
            Op::Read,
            self.inner.due_deliveries(now_us, limit),
        )
        .await
    }

    async fn complete_binding(
        &self,
        completion: &BindingCompletion,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Binding,
            Op::Write,
            self.inner.complete_binding(completion, audit),
        )
        .await
    }
}

#[async_trait]
impl CredentialStore for Metered {
    async fn get_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
    ) -> Result<CredentialRecord, StoreError> {
        self.timed(
            Family::Credentials,
            Op::Read,
            self.inner.get_credential(tenant, realm, id),
        )
        .await
    }

    async fn find_credential(&self, credential_id: &str) -> Result<CredentialRecord, StoreError> {
        self.timed(
            Family::Credentials,
            Op::Read,
            self.inner.find_credential(credential_id),
        )
        .await
    }

    async fn list_credentials(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<CredentialRecord>, StoreError> {
        self.timed(
            Family::Credentials,
            Op::Read,
            self.inner
                .list_credentials(tenant, realm, identity_id, page),
        )
        .await
    }

    async fn revoke_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Credentials,
            Op::Write,
            self.inner
                .revoke_credential(tenant, realm, id, now_us, audit),
        )
        .await
    }

    async fn revoke_credential_unless_last(
        &self,
        tenant: &str,
        realm: &str,
        identity_id: &str,
        id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<bool, StoreError> {
        self.timed(
            Family::Credentials,
            Op::Write,
            self.inner
                .revoke_credential_unless_last(tenant, realm, identity_id, id, now_us, audit),
        )
        .await
    }

    async fn rename_credential(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        name: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Credentials,
            Op::Write,
            self.inner
                .rename_credential(tenant, realm, id, name, now_us, audit),
        )
        .await
    }
}

#[async_trait]
impl CeremonyStore for Metered {
    async fn put_ceremony(&self, ceremony: &CeremonyRecord) -> Result<(), StoreError> {
        self.timed(
            Family::Ceremonies,
            Op::Write,
            self.inner.put_ceremony(ceremony),
        )
        .await
    }

    async fn take_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError> {
        self.timed(
            Family::Ceremonies,
            Op::Write,
            self.inner.take_ceremony(id, now_us),
        )
        .await
    }

    async fn peek_ceremony(&self, id: &str, now_us: i64) -> Result<CeremonyRecord, StoreError> {
        self.timed(
            Family::Ceremonies,
            Op::Read,
            self.inner.peek_ceremony(id, now_us),
        )
        .await
    }

    async fn complete_sign_in(&self, completion: &SignInCompletion) -> Result<(), StoreError> {
        self.timed(
            Family::Ceremonies,
            Op::Write,
            self.inner.complete_sign_in(completion),
        )
        .await
    }
}

#[async_trait]
impl SessionStore for Metered {
    async fn create_session(&self, s: &SessionRecord) -> Result<(), StoreError> {
        self.timed(Family::Sessions, Op::Write, self.inner.create_session(s))
            .await
    }

    async fn get_session(&self, id: &str) -> Result<SessionRecord, StoreError> {
        self.timed(Family::Sessions, Op::Read, self.inner.get_session(id))
            .await
    }

    async fn touch_session(&self, id: &str, now_us: i64) -> Result<(), StoreError> {
        self.timed(
            Family::Sessions,
            Op::Write,
            self.inner.touch_session(id, now_us),
        )
        .await
    }

    async fn list_live_sessions(
        &self,
        identity_id: &str,
        now_us: i64,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.timed(
            Family::Sessions,
            Op::Read,
            self.inner.list_live_sessions(identity_id, now_us),
        )
        .await
    }

    async fn revoke_sessions(
        &self,
        target: &RevokeTarget,
        now_us: i64,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<String>, StoreError> {
        self.timed(
            Family::Sessions,
            Op::Write,
            self.inner.revoke_sessions(target, now_us, audit),
        )
        .await
    }

    async fn revocations_since(
        &self,
        after_seq: i64,
        since_us: i64,
    ) -> Result<Vec<RevocationRecord>, StoreError> {
        self.timed(
            Family::Sessions,
            Op::Read,
            self.inner.revocations_since(after_seq, since_us),
        )
        .await
    }

    async fn count_live_sessions(&self, now_us: i64) -> Result<i64, StoreError> {
        self.timed(
            Family::Sessions,
            Op::Read,
            self.inner.count_live_sessions(now_us),
        )
        .await
    }

    async fn prune_sessions(&self, before_us: i64) -> Result<(), StoreError> {
        self.timed(
            Family::Sessions,
            Op::Write,
            self.inner.prune_sessions(before_us),
        )
        .await
    }
}

#[async_trait]
impl KeyStore for Metered {
    async fn list_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        self.timed(Family::Keys, Op::Read, self.inner.list_signing_keys())
            .await
    }

    async fn insert_signing_key(
        &self,
        key: &SigningKeyRecord,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Keys,
            Op::Write,
            self.inner.insert_signing_key(key, audit),
        )
        .await
    }

    async fn delete_signing_keys(&self, kids: &[String]) -> Result<(), StoreError> {
        self.timed(
            Family::Keys,
            Op::Write,
            self.inner.delete_signing_keys(kids),
        )
        .await
    }
}

#[async_trait]
impl SearchStore for Metered {
    async fn search_identities(
        &self,
        tenant: &str,
        realm: &str,
        search: &Search,
    ) -> Result<Found<IdentityRecord>, StoreError> {
        self.timed(
            Family::Search,
            Op::Read,
            self.inner.search_identities(tenant, realm, search),
        )
        .await
    }

    async fn search_groups(
        &self,
        tenant: &str,
        realm: &str,
        search: &Search,
    ) -> Result<Found<GroupRecord>, StoreError> {
        self.timed(
            Family::Search,
            Op::Read,
            self.inner.search_groups(tenant, realm, search),
        )
        .await
    }

    async fn members_of(&self, group_ids: &[String]) -> Result<Vec<MemberRef>, StoreError> {
        self.timed(Family::Search, Op::Read, self.inner.members_of(group_ids))
            .await
    }

    async fn groups_of(&self, identity_ids: &[String]) -> Result<Vec<MemberRef>, StoreError> {
        self.timed(Family::Search, Op::Read, self.inner.groups_of(identity_ids))
            .await
    }
}

#[async_trait]
impl LimitStore for Metered {
    async fn add_to_window(
        &self,
        key: &str,
        window_start: i64,
        expire_at: i64,
        add: i64,
    ) -> Result<i64, StoreError> {
        self.timed(
            Family::Limits,
            Op::Write,
            self.inner.add_to_window(key, window_start, expire_at, add),
        )
        .await
    }

    async fn window_count(&self, key: &str, window_start: i64) -> Result<i64, StoreError> {
        self.timed(
            Family::Limits,
            Op::Read,
            self.inner.window_count(key, window_start),
        )
        .await
    }

    async fn sweep_windows(&self, now: i64) -> Result<u64, StoreError> {
        self.timed(Family::Limits, Op::Write, self.inner.sweep_windows(now))
            .await
    }
}

#[async_trait]
impl OidcStore for Metered {
    async fn list_oidc_keys(&self) -> Result<Vec<OidcKeyRecord>, StoreError> {
        self.timed(Family::Oidc, Op::Read, self.inner.list_oidc_keys())
            .await
    }
    async fn insert_oidc_key(
        &self,
        key: &OidcKeyRecord,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.insert_oidc_key(key, audit),
        )
        .await
    }
    async fn delete_oidc_keys(&self, kids: &[String]) -> Result<(), StoreError> {
        self.timed(Family::Oidc, Op::Write, self.inner.delete_oidc_keys(kids))
            .await
    }
    async fn create_oidc_grant(
        &self,
        grant: &OidcGrantRecord,
        code: &OidcTokenRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.create_oidc_grant(grant, code, audit),
        )
        .await
    }
    async fn insert_oidc_tokens(
        &self,
        tokens: &[OidcTokenRecord],
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.insert_oidc_tokens(tokens, audit),
        )
        .await
    }
    async fn find_oidc_token(
        &self,
        token_hash: &str,
        kind: OidcTokenKind,
    ) -> Result<Option<OidcTokenFound>, StoreError> {
        self.timed(
            Family::Oidc,
            Op::Read,
            self.inner.find_oidc_token(token_hash, kind),
        )
        .await
    }
    async fn use_oidc_token(
        &self,
        token_hash: &str,
        kind: OidcTokenKind,
        now_us: i64,
    ) -> Result<OidcUse, StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.use_oidc_token(token_hash, kind, now_us),
        )
        .await
    }
    async fn revoke_oidc_grant(
        &self,
        grant_id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.revoke_oidc_grant(grant_id, now_us, audit),
        )
        .await
    }
    async fn delete_oidc_token(&self, token_hash: &str) -> Result<(), StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.delete_oidc_token(token_hash),
        )
        .await
    }
    async fn prune_oidc_tokens(&self, before_us: i64) -> Result<(), StoreError> {
        self.timed(
            Family::Oidc,
            Op::Write,
            self.inner.prune_oidc_tokens(before_us),
        )
        .await
    }
}
