//! The documented operations of the tenant, realms, identities and groups (the handlers are
//! in `control::admin`; these functions carry only their documentation).
#![allow(dead_code)]

use super::answers::{Empty, GroupPage, IdentityPage, RealmPage};
use super::params::{AdminErrors, IdentityPath, IdentityQuery, PageQuery, RealmPath, TenantPath};
use crate::control::admin::bodies::{
    BatchDelete, GroupPatchRequest, IdentityIds, IdentityRequest, NewGroupRequest, RealmRequest,
};
use crate::idm::views::{GroupView, IdentityView, RealmView, TenantView};

const T: &str = "/.passgate/v1/tenants/{tenant}";

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}", tag = "tenant", params(TenantPath),
    responses((status = 200, body = TenantView), AdminErrors))]
fn get_tenant() {}

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}/realms", tag = "realms",
    params(TenantPath, PageQuery), responses((status = 200, body = RealmPage), AdminErrors))]
fn list_realms() {}

#[utoipa::path(post, path = "/.passgate/v1/tenants/{tenant}/realms", tag = "realms",
    params(TenantPath), request_body = RealmRequest,
    responses((status = 200, body = RealmView), AdminErrors))]
fn create_realm() {}

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}", tag = "realms",
    params(RealmPath), responses((status = 200, body = RealmView), AdminErrors))]
fn get_realm() {}

#[utoipa::path(patch, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}", tag = "realms",
    params(RealmPath), request_body = RealmRequest,
    responses((status = 200, body = RealmView), AdminErrors))]
fn patch_realm() {}

#[utoipa::path(delete, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}", tag = "realms",
    params(RealmPath), responses((status = 200, body = Empty), AdminErrors))]
fn delete_realm() {}

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities",
    tag = "identities", params(RealmPath, IdentityQuery),
    responses((status = 200, body = IdentityPage), AdminErrors))]
fn list_identities() {}

#[utoipa::path(post, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities",
    tag = "identities", params(RealmPath), request_body = IdentityRequest,
    responses((status = 200, body = IdentityView), AdminErrors))]
fn create_identity() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities:batchDelete",
    tag = "identities", params(RealmPath), request_body = BatchDelete,
    responses((status = 200, body = Empty), AdminErrors))]
fn batch_delete_identities() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}",
    tag = "identities", params(IdentityPath), responses(
        (status = 200, body = IdentityView, headers(("ETag" = String, description = "\"<version>\""))),
        AdminErrors))]
fn get_identity() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}:listGroups",
    tag = "identities", params(IdentityPath, PageQuery),
    responses((status = 200, body = GroupPage), AdminErrors))]
fn list_identity_groups() {}

#[utoipa::path(patch,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}",
    tag = "identities", request_body = IdentityRequest,
    params(IdentityPath, ("If-Match" = Option<String>, Header, description = "An ETag")),
    responses((status = 200, body = IdentityView), AdminErrors))]
fn patch_identity() {}

#[utoipa::path(delete,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/identities/{identity}",
    tag = "identities",
    params(IdentityPath, ("If-Match" = Option<String>, Header, description = "An ETag")),
    responses((status = 200, body = Empty), AdminErrors))]
fn delete_identity() {}

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups",
    tag = "groups", params(RealmPath, PageQuery),
    responses((status = 200, body = GroupPage), AdminErrors))]
fn list_groups() {}

#[utoipa::path(post, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups",
    tag = "groups", params(RealmPath), request_body = NewGroupRequest,
    responses((status = 200, body = GroupView), AdminErrors))]
fn create_group() {}

#[utoipa::path(get, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups/{group}",
    tag = "groups",
    params(RealmPath, ("group" = String, Path)),
    responses((status = 200, body = GroupView), AdminErrors))]
fn get_group() {}

#[utoipa::path(get,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups/{group}:listMembers",
    tag = "groups", params(RealmPath, ("group" = String, Path), PageQuery),
    responses((status = 200, body = IdentityPage), AdminErrors))]
fn list_group_members() {}

#[utoipa::path(patch, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups/{group}",
    tag = "groups", request_body = GroupPatchRequest,
    params(RealmPath, ("group" = String, Path),
        ("If-Match" = Option<String>, Header, description = "An ETag")),
    responses((status = 200, body = GroupView), AdminErrors))]
fn patch_group() {}

#[utoipa::path(delete, path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups/{group}",
    tag = "groups",
    params(RealmPath, ("group" = String, Path),
        ("If-Match" = Option<String>, Header, description = "An ETag")),
    responses((status = 200, body = Empty), AdminErrors))]
fn delete_group() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups/{group}:addMembers",
    tag = "groups", request_body = IdentityIds,
    params(RealmPath, ("group" = String, Path),
        ("If-Match" = Option<String>, Header, description = "An ETag")),
    responses((status = 200, body = GroupView), AdminErrors))]
fn add_members() {}

#[utoipa::path(post,
    path = "/.passgate/v1/tenants/{tenant}/realms/{realm}/groups/{group}:deleteMembers",
    tag = "groups", request_body = IdentityIds,
    params(RealmPath, ("group" = String, Path),
        ("If-Match" = Option<String>, Header, description = "An ETag")),
    responses((status = 200, body = GroupView), AdminErrors))]
fn delete_members() {}
