//! API tokens of the admin's realm: list (never secrets), create (bound to the realm; the
//! secret is shown once, with a copy button), revoke after confirmation. Tokens are made
//! realm-bound so that a realm's admin cannot mint a tenant-wide one.

use std::time::Duration;

use axum::extract::{Path, Query};
use maud::html;

use super::access::{ConsoleAdmin, ConsoleError, Form, Page, BASE};
use super::widgets::{confirm, notice, when, ListQuery};
use crate::idm::tokens::{Scope, TokenRequest};
use crate::store::ApiTokenRecord;

async fn realm_tokens(admin: &ConsoleAdmin) -> Result<Vec<ApiTokenRecord>, ConsoleError> {
    let all = admin
        .state
        .directory
        .list_tokens(&admin.state.config.tenant_id)
        .await?;
    Ok(all
        .into_iter()
        .filter(|t| t.realm_id.as_deref() == Some(admin.realm.as_str()))
        .collect())
}

/// `GET /console/tokens`.
pub async fn list(admin: ConsoleAdmin, Query(q): Query<ListQuery>) -> Page {
    let tokens = realm_tokens(&admin).await?;
    let now = admin.state.directory.now_us();
    let body = html! {
        h1 { "API tokens" }
        (notice(&q.done))
        p.muted { "Tokens for the admin API and SCIM, bound to the realm " strong { (admin.realm) } ". Tenant-wide tokens are made with " code { "passgate token create" } "." }
        div.table { table {
            thead { tr { th { "Name" } th { "Scopes" } th { "Created" } th { "Expires" } th { "State" } th { span.muted { "Action" } } } }
            tbody { @for t in &tokens {
                @let live = t.revoke_us.is_none() && t.expire_us.is_none_or(|e| e > now);
                tr {
                    td { (t.name) }
                    td { (t.scopes.join(" ")) }
                    td.time { (when(Some(t.create_us))) }
                    td.time { (when(t.expire_us)) }
                    td { @if t.revoke_us.is_some() { "revoked" } @else if live { "active" } @else { "expired" } }
                    td { @if t.revoke_us.is_none() { a href={ (BASE) "/tokens/" (t.id) "/revoke" } { "Revoke…" } } }
                }
            } }
        } }
        h2 { "New token" }
        form method="post" action={ (BASE) "/tokens" } {
            (admin.csrf_field())
            label for="name" { "Name (what it is for)" }
            input #name name="name" required maxlength="128";
            label for="scope" { "Scopes (select one or more)" }
            select #scope name="scope" multiple size="8" required {
                @for s in Scope::names() { option value=(s) { (s) } }
            }
            label for="days" { "Expires after (days; empty: never)" }
            input #days name="days" type="number" min="1" max="3650" inputmode="numeric";
            div.actions { button type="submit" { "Create token" } }
        }
    };
    Ok(admin.page("/tokens", "API tokens", body))
}

/// `POST /console/tokens`: shows the secret once.
pub async fn create(admin: ConsoleAdmin, form: Form) -> Page {
    let days = form.get("days");
    let expires_in = if days.is_empty() {
        None
    } else {
        let d: u64 = days
            .parse()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| ConsoleError::Invalid("days: a whole number from 1 to 3650".into()))?;
        Some(Duration::from_secs(d * 86_400))
    };
    let scopes: Vec<String> = form.all("scope").into_iter().map(str::to_string).collect();
    let req = TokenRequest {
        tenant: &admin.state.config.tenant_id,
        realm: Some(&admin.realm),
        name: form.get("name"),
        scopes: &scopes,
        expires_in,
    };
    let (record, issued) = admin
        .state
        .directory
        .create_token(&req, &admin.actor)
        .await?;
    let body = html! {
        h1 { "Token " (record.name) }
        p { strong { "Copy the token now:" } " it is shown only this once (passgate keeps only its hash)." }
        div.link-box {
            label for="secret" { "Token" }
            input #secret type="text" readonly value=(issued.bearer());
            button.secondary type="button" data-copy="secret" hidden { "Copy" }
        }
        p { a href={ (BASE) "/tokens" } { "Back to API tokens" } }
    };
    Ok(admin.page("/tokens", "New token", body))
}

async fn own_token(admin: &ConsoleAdmin, tid: &str) -> Result<ApiTokenRecord, ConsoleError> {
    realm_tokens(admin)
        .await?
        .into_iter()
        .find(|t| t.id == tid)
        .ok_or_else(|| ConsoleError::NotFound("api token not found".into()))
}

/// `GET /console/tokens/{tid}/revoke`.
pub async fn confirm_revoke(admin: ConsoleAdmin, Path(tid): Path<String>) -> Page {
    let t = own_token(&admin, &tid).await?;
    let q = html! { p { "Revoke the token " strong { (t.name) } "? Whatever uses it stops working at once." } };
    Ok(confirm(
        &admin,
        "/tokens",
        "Revoke token",
        q,
        &format!("/tokens/{tid}/revoke"),
        "Revoke",
        "/tokens",
    ))
}

/// `POST /console/tokens/{tid}/revoke`.
pub async fn revoke(admin: ConsoleAdmin, Path(tid): Path<String>, _f: Form) -> Page {
    own_token(&admin, &tid).await?;
    admin
        .state
        .directory
        .revoke_token(&admin.state.config.tenant_id, &tid, &admin.actor)
        .await?;
    Ok(admin.done("/tokens?done=revoked"))
}
