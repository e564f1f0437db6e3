//! Identities: the searchable, paged list; create; the detail page (traits form, status,
//! passkeys, sessions, binding jobs, groups, new binding link); suspend / reactivate; delete
//! after confirmation. Edits carry the version they were made on (a stale form is refused).

use axum::extract::{Path, Query};
use maud::{html, Markup};

use super::access::{ConsoleAdmin, ConsoleError, Form, Page, BASE};
use super::widgets::{confirm, notice, pager, when, ListQuery};
use crate::idm::identities::{IdentityPatch, NewIdentity, TraitsPatch};
use crate::idm::types::{IdentityStatus, Patch};
use crate::store::IdentityRecord;

/// A quoted filter value (`"` and `\` escaped).
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `GET /console/identities?q=`: exact username, or email when `q` holds an `@`.
pub async fn list(admin: ConsoleAdmin, Query(q): Query<ListQuery>) -> Page {
    let filter = match q.q.trim() {
        "" => None,
        s if s.contains('@') => Some(format!("traits.primary_email_address eq {}", quoted(s))),
        s => Some(format!("traits.username eq {}", quoted(s))),
    };
    let page = admin
        .state
        .directory
        .list_identities(&admin.ctx(), Some("25"), q.token(), filter.as_deref())
        .await?;
    let body = html! {
        h1 { "Identities" }
        (notice(&q.done))
        form.search method="get" action={ (BASE) "/identities" } role="search" {
            div {
                label for="q" { "Username or email (exact)" }
                input #q name="q" type="search" value=(q.q) maxlength="320";
            }
            button type="submit" { "Search" }
            @if !q.q.is_empty() { a href={ (BASE) "/identities" } { "Show all" } }
        }
        p { a.button href={ (BASE) "/identities/new" } { "New identity" } }
        p.muted { (page.total_size) " in all" }
        div.table {
            table {
                thead { tr { th { "Username" } th { "Name" } th { "Email" } th { "Status" } th { "Passkey" } } }
                tbody {
                    @for i in &page.items {
                        tr {
                            td { a href={ (BASE) "/identities/" (i.id) } { (i.traits.username) } }
                            td { (i.display_name) }
                            td { (i.traits.primary_email_address.as_deref().unwrap_or("")) }
                            td { (i.status) }
                            td { (i.enrollment_status) }
                        }
                    }
                }
            }
        }
        (pager("/identities", &[("q", &q.q)], page.next_page_token.as_deref(), q.token().is_none()))
    };
    Ok(admin.page("/identities", "Identities", body))
}

fn trait_fields(i: Option<&IdentityRecord>) -> Markup {
    let t = i.map(|i| &i.traits);
    let v = |f: fn(&crate::store::Traits) -> Option<&str>| t.and_then(f).unwrap_or("").to_string();
    html! {
        label for="username" { "Username" }
        input #username name="username" required maxlength="128" autocapitalize="none"
            spellcheck="false" value=(v(|t| Some(t.username.as_str())));
        label for="display_name" { "Display name" }
        input #display_name name="display_name" maxlength="256"
            value=(i.map(|i| i.display_name.as_str()).unwrap_or(""));
        label for="email" { "Email address" }
        input #email name="email" type="email" maxlength="320"
            value=(v(|t| t.primary_email_address.as_deref()));
        label for="given_name" { "Given name" }
        input #given_name name="given_name" maxlength="256" value=(v(|t| t.given_name.as_deref()));
        label for="family_name" { "Family name" }
        input #family_name name="family_name" maxlength="256" value=(v(|t| t.family_name.as_deref()));
        label for="external_id" { "External id" }
        input #external_id name="external_id" maxlength="256" value=(v(|t| t.external_id.as_deref()));
    }
}

/// `GET /console/identities/new`.
pub async fn new(admin: ConsoleAdmin) -> Page {
    let body = html! {
        h1 { "New identity" }
        form method="post" action={ (BASE) "/identities" } {
            (admin.csrf_field())
            (trait_fields(None))
            div.actions {
                button type="submit" { "Create" }
                a.button.secondary href={ (BASE) "/identities" } { "Cancel" }
            }
        }
    };
    Ok(admin.page("/identities", "New identity", body))
}

/// An optional trait from the form: empty clears it (on create: leaves it unset).
fn optional(form: &Form, key: &str) -> Patch<String> {
    match form.raw(key) {
        None => Patch::Absent,
        Some(_) if form.get(key).is_empty() => Patch::Clear,
        Some(_) => Patch::Set(form.get(key).to_string()),
    }
}

fn traits_from(form: &Form, creating: bool) -> TraitsPatch {
    let opt = |key: &str| match optional(form, key) {
        Patch::Clear if creating => Patch::Absent,
        p => p,
    };
    TraitsPatch {
        username: Patch::Set(form.get("username").to_string()),
        primary_email_address: opt("email"),
        external_id: opt("external_id"),
        given_name: opt("given_name"),
        family_name: opt("family_name"),
        extra: Default::default(),
    }
}

/// `POST /console/identities`.
pub async fn create(admin: ConsoleAdmin, form: Form) -> Page {
    let display = form.get("display_name");
    let new = NewIdentity {
        display_name: (!display.is_empty()).then(|| display.to_string()),
        status: None,
        traits: traits_from(&form, true),
    };
    let created = admin
        .state
        .directory
        .create_identity(&admin.ctx(), new)
        .await?;
    Ok(admin.done(&format!("/identities/{}?done=created", created.id)))
}

/// `GET /console/identities/{id}`.
pub async fn detail(
    admin: ConsoleAdmin,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Page {
    let at = admin.ctx();
    let dir = &admin.state.directory;
    let identity = dir.identity(&at, &id).await?;
    let parts = super::identity_parts::sections(&admin, &identity).await?;
    let active = identity.status.is_active();
    let body = html! {
        h1 { (identity.traits.username) }
        (notice(&q.done))
        dl.facts {
            dt { "Id" } dd { code { (identity.id) } }
            dt { "Status" } dd { (identity.status) }
            dt { "Passkey" } dd { (identity.enrollment_status) }
            dt { "Created" } dd { (when(Some(identity.create_us))) }
            dt { "Updated" } dd { (when(Some(identity.update_us))) }
        }
        h2 { "Details" }
        form method="post" action={ (BASE) "/identities/" (identity.id) "/edit" } {
            (admin.csrf_field())
            input type="hidden" name="version" value=(identity.version);
            (trait_fields(Some(&identity)))
            div.actions { button type="submit" { "Save" } }
        }
        (parts)
        h2 { "Status" }
        form method="post" action={ (BASE) "/identities/" (identity.id) "/status" } {
            (admin.csrf_field())
            input type="hidden" name="version" value=(identity.version);
            @if active {
                input type="hidden" name="status" value="suspended";
                p { "A suspended identity cannot sign in or bind passkeys; its sessions end now." }
                button.danger type="submit" { "Suspend" }
            } @else {
                input type="hidden" name="status" value="active";
                button type="submit" { "Reactivate" }
            }
        }
        h2 { "Delete" }
        p { a.button.danger href={ (BASE) "/identities/" (identity.id) "/delete" } { "Delete this identity…" } }
    };
    Ok(admin.page("/identities", &identity.traits.username, body))
}

fn version(form: &Form) -> Result<i64, ConsoleError> {
    form.get("version")
        .parse()
        .map_err(|_| ConsoleError::Invalid("version: the form is missing its version".into()))
}

/// `POST /console/identities/{id}/edit`: the typed patch, at the version the form showed.
pub async fn edit(admin: ConsoleAdmin, Path(id): Path<String>, form: Form) -> Page {
    let display = form.get("display_name");
    let patch = IdentityPatch {
        expected_version: Some(version(&form)?),
        // An emptied display name is left as it was (it cannot be blank).
        display_name: if display.is_empty() {
            Patch::Absent
        } else {
            Patch::Set(display.to_string())
        },
        status: Patch::Absent,
        traits: traits_from(&form, false),
    };
    admin
        .state
        .directory
        .patch_identity(&admin.ctx(), &id, patch)
        .await?;
    Ok(admin.done(&format!("/identities/{id}?done=saved")))
}

/// Refuses to suspend or delete the signed-in admin (the way back in would be
/// `passgate bootstrap`): another admin does that.
fn not_yourself(admin: &ConsoleAdmin, id: &str) -> Result<(), ConsoleError> {
    if admin.principal.identity_id() == id {
        return Err(ConsoleError::Conflict(
            "You cannot suspend or delete yourself here; ask another administrator.".into(),
        ));
    }
    Ok(())
}

/// `POST /console/identities/{id}/status` (`status=suspended|active`).
pub async fn status(admin: ConsoleAdmin, Path(id): Path<String>, form: Form) -> Page {
    let status = IdentityStatus::parse(form.get("status"))
        .ok_or_else(|| ConsoleError::Invalid("status: must be active or suspended".into()))?;
    if !status.is_active() {
        not_yourself(&admin, &id)?;
    }
    admin
        .state
        .directory
        .set_identity_status(&admin.ctx(), &id, status, Some(version(&form)?))
        .await?;
    let done = if status.is_active() {
        "reactivated"
    } else {
        "suspended"
    };
    Ok(admin.done(&format!("/identities/{id}?done={done}")))
}

/// `GET /console/identities/{id}/delete`: asks first.
pub async fn confirm_delete(admin: ConsoleAdmin, Path(id): Path<String>) -> Page {
    let identity = admin.state.directory.identity(&admin.ctx(), &id).await?;
    let question = html! {
        p { "Delete " strong { (identity.traits.username) } " with its passkeys, sessions and \
             binding links? This cannot be undone." }
    };
    Ok(confirm(
        &admin,
        "/identities",
        "Delete identity",
        question,
        &format!("/identities/{id}/delete?version={}", identity.version),
        "Delete",
        &format!("/identities/{id}"),
    ))
}

/// `POST /console/identities/{id}/delete?version=`.
pub async fn delete(
    admin: ConsoleAdmin,
    Path(id): Path<String>,
    Query(v): Query<std::collections::HashMap<String, String>>,
    _form: Form,
) -> Page {
    not_yourself(&admin, &id)?;
    let expected = v.get("version").and_then(|v| v.parse().ok());
    admin
        .state
        .directory
        .delete_identity(&admin.ctx(), &id, expected)
        .await?;
    Ok(admin.done("/identities?done=deleted"))
}
