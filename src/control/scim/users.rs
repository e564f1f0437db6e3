//! `/Users` and `/Users/{id}`: list (filter, sort, paging), create (409 `uniqueness` on a
//! taken userName), get, PUT (replace), PATCH (all operations or none) and DELETE, each a
//! call to the same typed identity operations the admin API makes. `active: false`
//! suspends (sessions end at once); DELETE removes passkeys and sessions with the identity.

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::Value;

use super::auth::{IfMatch, Json, Query, Scim};
use super::error::ScimError;
use super::list::{item_id, projection, resource_json, response, search, stale};
use super::user_map;
use crate::idm::IdmError;
use crate::scim::patch::{apply, parse_ops};
use crate::scim::project::Projection;
use crate::scim::schema::ResourceKind;
use crate::store::search::MemberRef;
use crate::store::IdentityRecord;

type Reply = Result<Response, ScimError>;
type ItemPath = Path<HashMap<String, String>>;

/// How often a PATCH without `If-Match` starts over after losing a race.
const RETRIES: usize = 3;

/// The users as JSON, their groups fetched in one query when shown.
async fn render(
    scim: &Scim,
    identities: &[IdentityRecord],
    proj: &Projection,
) -> Result<Vec<Value>, ScimError> {
    let groups = if proj.wants("groups") {
        scim.state.directory.groups_of(identities).await?
    } else {
        Vec::new()
    };
    Ok(identities
        .iter()
        .map(|i| {
            let mine: Vec<&MemberRef> = groups.iter().filter(|g| g.identity_id == i.id).collect();
            proj.apply(user_map::to_json(i, &mine, &scim.base))
        })
        .collect())
}

async fn one(scim: &Scim, i: &IdentityRecord, proj: &Projection, status: StatusCode) -> Reply {
    let body = render(scim, std::slice::from_ref(i), proj)
        .await?
        .pop()
        .unwrap_or_default();
    let location = format!("{}/Users/{}", scim.base, i.id);
    Ok(resource_json(status, &body, i.version, &location))
}

pub async fn list(scim: Scim, q: Query) -> Reply {
    let (s, start) = search(ResourceKind::User, &q)?;
    let proj = projection(ResourceKind::User, &q)?;
    let found = scim
        .state
        .directory
        .search_identities(&scim.at(), &s)
        .await?;
    let items = render(&scim, &found.items, &proj).await?;
    Ok(response(found.total, start, items))
}

pub async fn create(scim: Scim, q: Query, Json(body): Json) -> Reply {
    let proj = projection(ResourceKind::User, &q)?;
    let doc = user_map::read(body)?;
    let new = user_map::to_new(&doc)?;
    let created = scim
        .state
        .directory
        .create_identity(&scim.at(), new)
        .await?;
    super::on_create::run(&scim, &created).await;
    one(&scim, &created, &proj, StatusCode::CREATED).await
}

pub async fn get(scim: Scim, Path(p): ItemPath, q: Query) -> Reply {
    let proj = projection(ResourceKind::User, &q)?;
    let i = scim
        .state
        .directory
        .identity(&scim.at(), item_id(&p))
        .await?;
    one(&scim, &i, &proj, StatusCode::OK).await
}

pub async fn replace(
    scim: Scim,
    Path(p): ItemPath,
    if_match: IfMatch,
    q: Query,
    Json(body): Json,
) -> Reply {
    let proj = projection(ResourceKind::User, &q)?;
    let doc = user_map::read(body)?;
    let patch = user_map::to_patch(&doc, if_match.expected()?)?;
    let i = scim
        .state
        .directory
        .patch_identity(&scim.at(), item_id(&p), patch)
        .await?;
    one(&scim, &i, &proj, StatusCode::OK).await
}

pub async fn patch(
    scim: Scim,
    Path(p): ItemPath,
    if_match: IfMatch,
    q: Query,
    Json(body): Json,
) -> Reply {
    let proj = projection(ResourceKind::User, &q)?;
    let ops = parse_ops(&body)?;
    let expected = if_match.expected()?;
    let dir = &scim.state.directory;
    let id = item_id(&p);
    let mut tries = 0;
    loop {
        let current = dir.identity(&scim.at(), id).await?;
        if let Some(v) = expected.filter(|v| *v != current.version) {
            return Err(stale("user", v, current.version));
        }
        // Applied to the whole current resource; written once, or not at all.
        let current_doc = user_map::to_json(&current, &[], &scim.base);
        let doc = apply(ResourceKind::User, &current_doc, &ops)?;
        let change = user_map::to_patch(&doc, Some(current.version))?;
        match dir.patch_identity(&scim.at(), id, change).await {
            Ok(i) => return one(&scim, &i, &proj, StatusCode::OK).await,
            Err(IdmError::PreconditionFailed { .. }) if expected.is_none() && tries < RETRIES => {
                tries += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub async fn delete(scim: Scim, Path(p): ItemPath, if_match: IfMatch) -> Reply {
    scim.state
        .directory
        .delete_identity(&scim.at(), item_id(&p), if_match.expected()?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
