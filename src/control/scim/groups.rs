//! `/Groups` and `/Groups/{id}`: list, create (with members), get, PUT, PATCH and DELETE on
//! the typed group operations. A PUT or PATCH writes the name and the whole member list in
//! one transaction (`Directory::rewrite_group`), so it applies entirely or not at all.

use std::collections::HashMap;

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::Value;

use super::auth::{IfMatch, Json, Query, Scim};
use super::error::ScimError;
use super::group_map;
use super::list::{item_id, projection, resource_json, response, search, stale};

use crate::idm::groups::NewGroup;
use crate::idm::IdmError;
use crate::scim::patch::{apply, parse_ops};
use crate::scim::project::Projection;
use crate::scim::schema::ResourceKind;
use crate::store::search::MemberRef;
use crate::store::GroupRecord;

type Reply = Result<Response, ScimError>;
type ItemPath = Path<HashMap<String, String>>;

const RETRIES: usize = 3;

async fn render(
    scim: &Scim,
    groups: &[GroupRecord],
    proj: &Projection,
) -> Result<Vec<Value>, ScimError> {
    let members = if proj.wants("members") {
        scim.state.directory.members_of(groups).await?
    } else {
        Vec::new()
    };
    Ok(groups
        .iter()
        .map(|g| {
            let mine: Vec<&MemberRef> = members.iter().filter(|m| m.group_id == g.id).collect();
            proj.apply(group_map::to_json(g, &mine, &scim.base))
        })
        .collect())
}

async fn one(scim: &Scim, g: &GroupRecord, proj: &Projection, status: StatusCode) -> Reply {
    let body = render(scim, std::slice::from_ref(g), proj)
        .await?
        .pop()
        .unwrap_or_default();
    let location = format!("{}/Groups/{}", scim.base, g.id);
    Ok(resource_json(status, &body, g.version, &location))
}

pub async fn list(scim: Scim, q: Query) -> Reply {
    let (s, start) = search(ResourceKind::Group, &q)?;
    let proj = projection(ResourceKind::Group, &q)?;
    let found = scim.state.directory.search_groups(&scim.at(), &s).await?;
    let items = render(&scim, &found.items, &proj).await?;
    Ok(response(found.total, start, items))
}

pub async fn create(scim: Scim, q: Query, Json(body): Json) -> Reply {
    let proj = projection(ResourceKind::Group, &q)?;
    let doc = group_map::read(body)?;
    let (display_name, members) = group_map::fields(&doc)?;
    let new = NewGroup {
        display_name,
        description: None,
        members,
    };
    let g = scim.state.directory.create_group(&scim.at(), new).await?;
    one(&scim, &g, &proj, StatusCode::CREATED).await
}

pub async fn get(scim: Scim, Path(p): ItemPath, q: Query) -> Reply {
    let proj = projection(ResourceKind::Group, &q)?;
    let g = scim.state.directory.group(&scim.at(), item_id(&p)).await?;
    one(&scim, &g, &proj, StatusCode::OK).await
}

pub async fn replace(
    scim: Scim,
    Path(p): ItemPath,
    if_match: IfMatch,
    q: Query,
    Json(body): Json,
) -> Reply {
    let proj = projection(ResourceKind::Group, &q)?;
    let doc = group_map::read(body)?;
    let (name, members) = group_map::fields(&doc)?;
    let patch = group_map::to_patch(name, if_match.expected()?);
    let g = scim
        .state
        .directory
        .rewrite_group(&scim.at(), item_id(&p), patch, Some(members))
        .await?;
    one(&scim, &g, &proj, StatusCode::OK).await
}

pub async fn patch(
    scim: Scim,
    Path(p): ItemPath,
    if_match: IfMatch,
    q: Query,
    Json(body): Json,
) -> Reply {
    let proj = projection(ResourceKind::Group, &q)?;
    let ops = parse_ops(&body)?;
    let expected = if_match.expected()?;
    let dir = &scim.state.directory;
    let id = item_id(&p);
    let mut tries = 0;
    loop {
        let current = dir.group(&scim.at(), id).await?;
        if let Some(v) = expected.filter(|v| *v != current.version) {
            return Err(stale("group", v, current.version));
        }
        let members = dir.members_of(std::slice::from_ref(&current)).await?;
        let refs: Vec<&MemberRef> = members.iter().collect();
        let current_doc = group_map::to_json(&current, &refs, &scim.base);
        let doc = apply(ResourceKind::Group, &current_doc, &ops)?;
        let (name, new_members) = group_map::fields(&doc)?;
        let patch = group_map::to_patch(name, Some(current.version));
        match dir
            .rewrite_group(&scim.at(), id, patch, Some(new_members))
            .await
        {
            Ok(g) => return one(&scim, &g, &proj, StatusCode::OK).await,
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
        .delete_group(&scim.at(), item_id(&p), if_match.expected()?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
