//! `…/realms/{realm}/identities`: list, create, `:batchDelete`, and per identity get,
//! patch, delete and `:listGroups`. Answers carry `ETag: "<version>"`; PATCH and DELETE
//! honour `If-Match`.

use super::bodies::{BatchDelete, IdentityRequest};
use super::extract::{split_action, Admin, Body, IfMatch, ListParams, Segments};
use super::methods::IDENTITY;
use super::reply::{empty, listing, versioned, Reply};
use crate::control::error::ApiError;
use crate::idm::tokens::{Action, Family};
use crate::idm::types::Resource;
use crate::idm::views;

type RealmPath = Segments<(String, String)>;
type ItemPath = Segments<(String, String, String)>;

pub async fn list(admin: Admin, Segments((t, r)): RealmPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Read)?;
    let dir = &admin.state.directory;
    let page = dir
        .list_identities(&at, q.page_size(), q.page_token(), q.filter())
        .await?;
    listing("identities", &page, page.items.iter().map(views::identity))
}

pub async fn create(
    admin: Admin,
    Segments((t, r)): RealmPath,
    Body(body): Body<IdentityRequest>,
) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Create)?;
    let new = body.identity.into_new()?;
    let created = admin
        .state
        .directory
        .create_identity(&at, new)
        .await
        .map_err(|e| e.within("identity"))?;
    versioned(views::identity(&created), created.version)
}

pub async fn batch_delete(
    admin: Admin,
    Segments((t, r)): RealmPath,
    Body(body): Body<BatchDelete>,
) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Delete)?;
    let (ids, key) = body.into_ids()?;
    admin
        .state
        .directory
        .batch_delete_identities(&at, ids)
        .await
        .map_err(|e| match e {
            crate::idm::IdmError::Invalid { field, message } => {
                ApiError::invalid(field.replacen("ids", key, 1), message)
            }
            other => other.into(),
        })?;
    empty()
}

pub async fn get(admin: Admin, Segments((t, r, seg)): ItemPath, q: ListParams) -> Reply {
    let dir = &admin.state.directory;
    match split_action(&seg) {
        (id, None) => {
            let at = admin.in_realm(&t, &r, Family::Identities, Action::Read)?;
            let identity = dir.identity(&at, id).await?;
            versioned(views::identity(&identity), identity.version)
        }
        (id, Some("listGroups")) => {
            let at = admin.in_realm(&t, &r, Family::Groups, Action::Read)?;
            let page = dir
                .list_identity_groups(&at, id, q.page_size(), q.page_token())
                .await?;
            listing("groups", &page, page.items.iter().map(views::group))
        }
        _ => Err(IDENTITY.refuse(&seg)),
    }
}

pub async fn patch(
    admin: Admin,
    Segments((t, r, seg)): ItemPath,
    if_match: IfMatch,
    Body(body): Body<IdentityRequest>,
) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(IDENTITY.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Update)?;
    // A malformed body is a 400 whatever the version (found by the API fuzzer).
    let mut patch = body.identity.into_patch(None)?;
    patch.expected_version = if_match.expected(Resource::Identity, id)?;
    let updated = admin
        .state
        .directory
        .patch_identity(&at, id, patch)
        .await
        .map_err(|e| e.within("identity"))?;
    versioned(views::identity(&updated), updated.version)
}

pub async fn delete(admin: Admin, Segments((t, r, seg)): ItemPath, if_match: IfMatch) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(IDENTITY.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::Identities, Action::Delete)?;
    let expected = if_match.expected(Resource::Identity, id)?;
    admin
        .state
        .directory
        .delete_identity(&at, id, expected)
        .await?;
    empty()
}
