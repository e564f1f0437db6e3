//! `/v1/tenants/{tenant}/realms[/{realm}]`: list, create, get, patch, delete.

use super::bodies::RealmRequest;
use super::extract::{Admin, Body, ListParams, Segments};
use super::reply::{empty, listing, ok, Reply};
use crate::idm::tokens::{Action, Family};
use crate::idm::views;

type RealmPath = Segments<(String, String)>;

pub async fn list(admin: Admin, Segments(tenant): Segments<String>, q: ListParams) -> Reply {
    admin.allow(&tenant, None, Family::Realms, Action::Read)?;
    let dir = &admin.state.directory;
    let page = dir
        .list_realms(&tenant, q.page_size(), q.page_token())
        .await?;
    listing("realms", &page, page.items.iter().map(views::realm))
}

pub async fn create(
    admin: Admin,
    Segments(tenant): Segments<String>,
    Body(body): Body<RealmRequest>,
) -> Reply {
    admin.allow(&tenant, None, Family::Realms, Action::Create)?;
    let host = &admin.state.config.auth_host;
    let realm = admin
        .state
        .directory
        .create_realm(&tenant, &admin.actor, host, body.into_new()?)
        .await
        .map_err(|e| e.within("realm"))?;
    ok(views::realm(&realm))
}

pub async fn get(admin: Admin, Segments((tenant, realm)): RealmPath) -> Reply {
    admin.allow(&tenant, Some(&realm), Family::Realms, Action::Read)?;
    let r = admin.state.directory.realm_record(&tenant, &realm).await?;
    ok(views::realm(&r))
}

pub async fn patch(
    admin: Admin,
    Segments((tenant, realm)): RealmPath,
    Body(body): Body<RealmRequest>,
) -> Reply {
    admin.allow(&tenant, Some(&realm), Family::Realms, Action::Update)?;
    let host = &admin.state.config.auth_host;
    let updated = admin
        .state
        .directory
        .patch_realm(&tenant, &realm, &admin.actor, host, body.into_patch())
        .await
        .map_err(|e| e.within("realm"))?;
    ok(views::realm(&updated))
}

pub async fn delete(admin: Admin, Segments((tenant, realm)): RealmPath) -> Reply {
    admin.allow(&tenant, None, Family::Realms, Action::Delete)?;
    admin
        .state
        .directory
        .delete_realm(&tenant, &realm, &admin.actor)
        .await?;
    empty()
}
