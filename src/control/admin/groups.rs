//! `…/realms/{realm}/groups`: list, create, and per group get, patch, delete,
//! `:addMembers`, `:deleteMembers`, `:listMembers`. Answers carry `ETag: "<version>"`;
//! changes honour `If-Match`.

use super::bodies::{GroupPatchRequest, IdentityIds, NewGroupRequest};
use super::extract::{split_action, Admin, Body, IfMatch, ListParams, RawBody, Segments};
use super::methods::GROUP;
use super::reply::{empty, listing, versioned, Reply};
use crate::idm::tokens::{Action, Family};
use crate::idm::types::Resource;
use crate::idm::views;

type RealmPath = Segments<(String, String)>;
type ItemPath = Segments<(String, String, String)>;

pub async fn list(admin: Admin, Segments((t, r)): RealmPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Groups, Action::Read)?;
    let dir = &admin.state.directory;
    let page = dir.list_groups(&at, q.page_size(), q.page_token()).await?;
    listing("groups", &page, page.items.iter().map(views::group))
}

pub async fn create(
    admin: Admin,
    Segments((t, r)): RealmPath,
    Body(body): Body<NewGroupRequest>,
) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Groups, Action::Create)?;
    let new = body.into_new()?;
    let group = admin
        .state
        .directory
        .create_group(&at, new)
        .await
        .map_err(|e| match e {
            crate::idm::IdmError::Invalid { ref field, .. }
                if field.starts_with("identity_ids") =>
            {
                e
            }
            other => other.within("group"),
        })?;
    versioned(views::group(&group), group.version)
}

pub async fn get(admin: Admin, Segments((t, r, seg)): ItemPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Groups, Action::Read)?;
    let dir = &admin.state.directory;
    match split_action(&seg) {
        (id, None) => {
            let group = dir.group(&at, id).await?;
            versioned(views::group(&group), group.version)
        }
        (id, Some("listMembers")) => {
            let page = dir
                .list_members(&at, id, q.page_size(), q.page_token())
                .await?;
            listing("identities", &page, page.items.iter().map(views::identity))
        }
        _ => Err(GROUP.refuse(&seg)),
    }
}

pub async fn patch(
    admin: Admin,
    Segments((t, r, seg)): ItemPath,
    if_match: IfMatch,
    Body(body): Body<GroupPatchRequest>,
) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(GROUP.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::Groups, Action::Update)?;
    let patch = body.into_patch(if_match.expected(Resource::Group, id)?);
    let group = admin
        .state
        .directory
        .patch_group(&at, id, patch)
        .await
        .map_err(|e| e.within("group"))?;
    versioned(views::group(&group), group.version)
}

pub async fn delete(admin: Admin, Segments((t, r, seg)): ItemPath, if_match: IfMatch) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(GROUP.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::Groups, Action::Delete)?;
    let expected = if_match.expected(Resource::Group, id)?;
    admin
        .state
        .directory
        .delete_group(&at, id, expected)
        .await?;
    empty()
}

/// `POST …/groups/{id}:addMembers` and `:deleteMembers`.
pub async fn action(
    admin: Admin,
    Segments((t, r, seg)): ItemPath,
    if_match: IfMatch,
    raw: RawBody,
) -> Reply {
    let (id, add) = match split_action(&seg) {
        (id, Some("addMembers")) => (id, true),
        (id, Some("deleteMembers")) => (id, false),
        _ => return Err(GROUP.refuse(&seg)),
    };
    let body: IdentityIds = raw.parse()?;
    let at = admin.in_realm(&t, &r, Family::Groups, Action::Update)?;
    let expected = if_match.expected(Resource::Group, id)?;
    let dir = &admin.state.directory;
    let ids = &body.identity_ids;
    let group = if add {
        dir.add_members(&at, id, ids, expected).await?
    } else {
        dir.remove_members(&at, id, ids, expected).await?
    };
    versioned(views::group(&group), group.version)
}
