//! The directory's aggregates: realms, identities, groups, API tokens, the audit log.

use async_trait::async_trait;

use crate::store::records::*;
use crate::store::StoreError;

#[async_trait]
pub trait RealmStore: Send + Sync {
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
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// `Duplicate(Username)` when the username is taken in the realm (any case).
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
    /// Writes `identity` (carrying its new version) if the stored version is still
    /// `expected`, else `Stale`. Suspension ends the identity's sessions in the same
    /// transaction.
    async fn update_identity(
        &self,
        identity: &IdentityRecord,
        expected: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Deletes every listed identity with its credentials, binding jobs, sessions and group
    /// memberships (the groups' versions move on), or nothing: `NotFoundMany` names the ids
    /// that do not exist. With `expected` (one id) its version must still be that.
    async fn delete_identities(
        &self,
        tenant: &str,
        realm: &str,
        ids: &[String],
        expected: Option<i64>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}

/// A change to a group's members.
#[derive(Debug, Clone, Copy)]
pub enum MemberChange<'a> {
    /// Adds these (members already in stay as they are); all must exist in the realm.
    Add(&'a [String]),
    /// Removes these (ids that are not members are ignored).
    Remove(&'a [String]),
    /// Makes exactly these the members; all must exist in the realm.
    Replace(&'a [String]),
}

#[async_trait]
pub trait GroupStore: Send + Sync {
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
    /// Writes `group` (carrying its new version) if the stored version is still `expected`.
    async fn update_group(
        &self,
        group: &GroupRecord,
        expected: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Writes `group`'s fields (carrying its new version) and, with `members`, makes exactly
    /// those its members: one transaction, only if its version is still `expected`.
    async fn rewrite_group(
        &self,
        group: &GroupRecord,
        expected: i64,
        members: Option<&[String]>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Deletes the group and its memberships (with `expected`, only at that version).
    async fn delete_group(
        &self,
        tenant: &str,
        realm: &str,
        id: &str,
        expected: Option<i64>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Changes the members and moves the group to `group.version` / `group.update_us`, if
    /// its version is still `expected`.
    async fn change_members(
        &self,
        group: &GroupRecord,
        expected: i64,
        change: MemberChange<'_>,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    async fn list_members(
        &self,
        group: &GroupRecord,
        page: PageRequest,
    ) -> Result<Page<IdentityRecord>, StoreError>;
    async fn list_identity_groups(
        &self,
        identity_id: &str,
        page: PageRequest,
    ) -> Result<Page<GroupRecord>, StoreError>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
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
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// An audit record on its own (for events with no other write, e.g. a refused sign-in).
    async fn insert_audit(&self, audit: &AuditRecord) -> Result<(), StoreError>;
    async fn list_events(
        &self,
        tenant: &str,
        realm: &str,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, StoreError>;
}
