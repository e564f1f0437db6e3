//! Searches over a realm's identities and groups (the store's typed [`Search`]), and the
//! memberships of a page of them in one query: what the SCIM service provider lists with.
//! The caller has checked the realm exists (the SCIM extractor does, once per request); in
//! a realm that does not, a search finds nothing.

use super::{Context, Directory, IdmError};
use crate::store::search::{Found, MemberRef, Search};
use crate::store::{GroupRecord, IdentityRecord};

impl Directory {
    pub async fn search_identities(
        &self,
        at: &Context<'_>,
        search: &Search,
    ) -> Result<Found<IdentityRecord>, IdmError> {
        Ok(self
            .store()
            .search_identities(at.tenant, at.realm, search)
            .await?)
    }

    pub async fn search_groups(
        &self,
        at: &Context<'_>,
        search: &Search,
    ) -> Result<Found<GroupRecord>, IdmError> {
        self.realm_record(at.tenant, at.realm).await?;
        Ok(self
            .store()
            .search_groups(at.tenant, at.realm, search)
            .await?)
    }

    /// The members of these groups (of the realm `at`), with display names.
    pub async fn members_of(&self, groups: &[GroupRecord]) -> Result<Vec<MemberRef>, IdmError> {
        let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
        Ok(self.store().members_of(&ids).await?)
    }

    /// The groups of these identities, with display names.
    pub async fn groups_of(
        &self,
        identities: &[IdentityRecord],
    ) -> Result<Vec<MemberRef>, IdmError> {
        let ids: Vec<String> = identities.iter().map(|i| i.id.clone()).collect();
        Ok(self.store().groups_of(&ids).await?)
    }
}
