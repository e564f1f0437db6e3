//! Groups: the paged list with a create form; a group's page (members, paged; add one by
//! username; remove one after confirmation); delete after confirmation; and a batch
//! invitation: an `EMAIL` binding link for every member (one batch job).

use axum::extract::{Path, Query};
use maud::html;

use super::access::{ConsoleAdmin, ConsoleError, Form, Page, BASE};
use super::widgets::{confirm, notice, pager, ListQuery};
use crate::idm::binding::batches::NewBatch;
use crate::idm::binding::NewBindingJob;
use crate::idm::groups::NewGroup;
use crate::idm::identities::BATCH_MAX;
use crate::idm::types::DeliveryMethod;
use crate::idm::IdmError;
use crate::store::BatchOutcome;

/// `GET /console/groups`.
pub async fn list(admin: ConsoleAdmin, Query(q): Query<ListQuery>) -> Page {
    let page = admin
        .state
        .directory
        .list_groups(&admin.ctx(), Some("25"), q.token())
        .await?;
    let admin_group = admin
        .state
        .config
        .realm(&admin.realm)
        .map(|r| r.admin_group.clone())
        .unwrap_or_default();
    let body = html! {
        h1 { "Groups" }
        (notice(&q.done))
        p.muted { "Members of " strong { (admin_group) } " may use this console. " (page.total_size) " groups in all." }
        div.table { table {
            thead { tr { th { "Name" } th { "Description" } } }
            tbody { @for g in &page.items { tr {
                td { a href={ (BASE) "/groups/" (g.id) } { (g.display_name) } }
                td { (g.description) }
            } } }
        } }
        (pager("/groups", &[], page.next_page_token.as_deref(), q.token().is_none()))
        h2 { "New group" }
        form method="post" action={ (BASE) "/groups" } {
            (admin.csrf_field())
            label for="name" { "Name" }
            input #name name="name" required maxlength="256";
            label for="description" { "Description" }
            input #description name="description" maxlength="1024";
            div.actions { button type="submit" { "Create group" } }
        }
    };
    Ok(admin.page("/groups", "Groups", body))
}

/// `POST /console/groups`.
pub async fn create(admin: ConsoleAdmin, form: Form) -> Page {
    let description = form.get("description");
    let new = NewGroup {
        display_name: form.get("name").to_string(),
        description: (!description.is_empty()).then(|| description.to_string()),
        members: Vec::new(),
    };
    let g = admin
        .state
        .directory
        .create_group(&admin.ctx(), new)
        .await?;
    Ok(admin.done(&format!("/groups/{}?done=created", g.id)))
}

/// `GET /console/groups/{gid}`.
pub async fn detail(
    admin: ConsoleAdmin,
    Path(gid): Path<String>,
    Query(q): Query<ListQuery>,
) -> Page {
    let at = admin.ctx();
    let dir = &admin.state.directory;
    let group = dir.group(&at, &gid).await?;
    let members = dir.list_members(&at, &gid, Some("25"), q.token()).await?;
    let base = format!("{BASE}/groups/{gid}");
    let body = html! {
        h1 { (group.display_name) }
        (notice(&q.done))
        @if !group.description.is_empty() { p { (group.description) } }
        h2 { "Members" }
        p.muted { (members.total_size) " in all" }
        div.table { table {
            thead { tr { th { "Username" } th { "Name" } th { "Passkey" } th { span.muted { "Action" } } } }
            tbody { @for m in &members.items { tr {
                td { a href={ (BASE) "/identities/" (m.id) } { (m.traits.username) } }
                td { (m.display_name) }
                td { (m.enrollment_status) }
                td { a href={ (base) "/members/" (m.id) "/remove" } { "Remove…" } }
            } } }
        } }
        (pager(&format!("/groups/{gid}"), &[], members.next_page_token.as_deref(), q.token().is_none()))
        form method="post" action={ (base) "/members" } {
            (admin.csrf_field())
            label for="username" { "Add a member by username" }
            input #username name="username" required maxlength="128" autocapitalize="none" spellcheck="false";
            div.actions { button type="submit" { "Add" } }
        }
        h2 { "Invite" }
        p { a.button href={ (base) "/invite" } { "Email every member a binding link…" } }
        h2 { "Delete" }
        p { a.button.danger href={ (base) "/delete" } { "Delete this group…" } }
    };
    Ok(admin.page("/groups", &group.display_name, body))
}

/// `POST /console/groups/{gid}/members` (`username=`).
pub async fn add_member(admin: ConsoleAdmin, Path(gid): Path<String>, form: Form) -> Page {
    let at = admin.ctx();
    let dir = &admin.state.directory;
    let username = form.get("username");
    let identity = match dir.find_by_username(&at, username).await {
        Ok(i) => i,
        Err(IdmError::NotFound { .. }) => {
            return Err(ConsoleError::Invalid(format!(
                "username: no identity is called \"{username}\""
            )))
        }
        Err(e) => return Err(e.into()),
    };
    dir.add_members(&at, &gid, &[identity.id], None).await?;
    Ok(admin.done(&format!("/groups/{gid}?done=added")))
}

/// `GET /console/groups/{gid}/members/{id}/remove`.
pub async fn confirm_remove_member(
    admin: ConsoleAdmin,
    Path((gid, id)): Path<(String, String)>,
) -> Page {
    let at = admin.ctx();
    let group = admin.state.directory.group(&at, &gid).await?;
    let identity = admin.state.directory.identity(&at, &id).await?;
    let q = html! { p { "Remove " strong { (identity.traits.username) } " from " strong { (group.display_name) } "?" } };
    Ok(confirm(
        &admin,
        "/groups",
        "Remove member",
        q,
        &format!("/groups/{gid}/members/{id}/remove"),
        "Remove",
        &format!("/groups/{gid}"),
    ))
}

/// `POST /console/groups/{gid}/members/{id}/remove`.
pub async fn remove_member(
    admin: ConsoleAdmin,
    Path((gid, id)): Path<(String, String)>,
    _f: Form,
) -> Page {
    let at = admin.ctx();
    admin.state.directory.identity(&at, &id).await?;
    admin
        .state
        .directory
        .remove_members(&at, &gid, &[id], None)
        .await?;
    Ok(admin.done(&format!("/groups/{gid}?done=removed")))
}

/// `GET /console/groups/{gid}/delete`.
pub async fn confirm_delete(admin: ConsoleAdmin, Path(gid): Path<String>) -> Page {
    let group = admin.state.directory.group(&admin.ctx(), &gid).await?;
    let q = html! { p { "Delete the group " strong { (group.display_name) } "? Its members stay; routes that \
    allow this group stop admitting them." } };
    Ok(confirm(
        &admin,
        "/groups",
        "Delete group",
        q,
        &format!("/groups/{gid}/delete?version={}", group.version),
        "Delete",
        &format!("/groups/{gid}"),
    ))
}

/// `POST /console/groups/{gid}/delete?version=`.
pub async fn delete(
    admin: ConsoleAdmin,
    Path(gid): Path<String>,
    Query(v): Query<std::collections::HashMap<String, String>>,
    _f: Form,
) -> Page {
    let expected = v.get("version").and_then(|v| v.parse().ok());
    admin
        .state
        .directory
        .delete_group(&admin.ctx(), &gid, expected)
        .await?;
    Ok(admin.done("/groups?done=deleted"))
}

/// `GET /console/groups/{gid}/invite`.
pub async fn confirm_invite(admin: ConsoleAdmin, Path(gid): Path<String>) -> Page {
    let at = admin.ctx();
    let group = admin.state.directory.group(&at, &gid).await?;
    let members = admin
        .state
        .directory
        .list_members(&at, &gid, Some("1"), None)
        .await?;
    let q = html! { p { "Email a binding link to each of the " (members.total_size) " members of "
    strong { (group.display_name) } " (those without an email address are listed afterwards)?" } };
    Ok(confirm(
        &admin,
        "/groups",
        "Invite group",
        q,
        &format!("/groups/{gid}/invite"),
        "Send links",
        &format!("/groups/{gid}"),
    ))
}

/// `POST /console/groups/{gid}/invite`: one batch of `EMAIL` jobs for every member.
pub async fn invite(admin: ConsoleAdmin, Path(gid): Path<String>, _f: Form) -> Page {
    let at = admin.ctx();
    let state = &admin.state;
    let dir = &state.directory;
    let group = dir.group(&at, &gid).await?;
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = dir
            .list_members(&at, &gid, Some("200"), token.as_deref())
            .await?;
        ids.extend(page.items.into_iter().map(|i| (i.id, i.traits.username)));
        match page.next_page_token {
            Some(t) if ids.len() < BATCH_MAX => token = Some(t),
            _ => break,
        }
    }
    if ids.is_empty() {
        return Err(ConsoleError::Invalid(
            "The group has no members to invite.".into(),
        ));
    }
    ids.truncate(BATCH_MAX);
    let new = NewBatch {
        identity_ids: ids.iter().map(|(id, _)| id.clone()).collect(),
        job: NewBindingJob::new(DeliveryMethod::Email),
    };
    let created = dir
        .create_batch_binding_jobs(&at, &state.config, state.mailer.as_deref(), new)
        .await?;
    let name = |id: &str| {
        ids.iter()
            .find(|(i, _)| i == id)
            .map_or(id.to_string(), |(_, u)| u.clone())
    };
    let body = html! {
        h1 { "Invitations for " (group.display_name) }
        p { "Binding links created and being emailed: " (created.jobs.len()) "." }
        @let failed: Vec<_> = created.batch.results.iter().filter_map(|r| match &r.outcome {
            BatchOutcome::Error { message, .. } => Some((name(&r.identity_id), message.clone())),
            BatchOutcome::Job(_) => None,
        }).collect();
        @if !failed.is_empty() {
            h2 { "Not invited" }
            ul { @for (who, why) in &failed { li { strong { (who) } ": " (why) } } }
        }
        p { a href={ (BASE) "/groups/" (gid) } { "Back to the group" } }
    };
    Ok(admin.page("/groups", "Invitations", body))
}
