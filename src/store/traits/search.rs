//! Searches ([`crate::store::search`]) and the membership lookups SCIM answers need in one
//! query per page instead of one per resource.

use async_trait::async_trait;

use crate::store::records::{GroupRecord, IdentityRecord};
use crate::store::search::{Found, MemberRef, Search};
use crate::store::StoreError;

#[async_trait]
pub trait SearchStore: Send + Sync {
    async fn search_identities(
        &self,
        tenant: &str,
        realm: &str,
        search: &Search,
    ) -> Result<Found<IdentityRecord>, StoreError>;
    async fn search_groups(
        &self,
        tenant: &str,
        realm: &str,
        search: &Search,
    ) -> Result<Found<GroupRecord>, StoreError>;
    /// The members of these groups (with the identities' display names).
    async fn members_of(&self, group_ids: &[String]) -> Result<Vec<MemberRef>, StoreError>;
    /// The groups of these identities (with the groups' display names).
    async fn groups_of(&self, identity_ids: &[String]) -> Result<Vec<MemberRef>, StoreError>;
}
