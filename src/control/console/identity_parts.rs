//! What hangs off an identity on its console page: passkeys (revoke; the sessions begun
//! with one end too, as in the admin API), sessions (revoke one or all), binding jobs
//! (revoke), its groups, and a new binding link (`RETURN`: shown once with a copy button
//! and a server-rendered QR code; `EMAIL`: mailed).

use axum::extract::Path;
use maud::{html, Markup};

use super::access::{ConsoleAdmin, ConsoleError, Form, Page, BASE};
use super::widgets::{confirm, when};
use crate::control::ui;
use crate::idm::binding::{effective_state, NewBindingJob};
use crate::idm::types::{CredentialState, DeliveryMethod};
use crate::store::{IdentityRecord, RevokeTarget};

/// The passkeys, sessions, binding jobs, groups and new-link sections of `identity`'s page.
pub async fn sections(
    admin: &ConsoleAdmin,
    identity: &IdentityRecord,
) -> Result<Markup, ConsoleError> {
    let at = admin.ctx();
    let dir = &admin.state.directory;
    let id = &identity.id;
    let passkeys = dir
        .list_credentials(&at, Some(id), Some("200"), None)
        .await?;
    let sessions = admin.state.sessions.list_sessions(&at, id).await?;
    let jobs = dir
        .list_binding_jobs(&at, Some(id), None, None, Some("20"), None)
        .await?;
    let groups = dir.list_identity_groups(&at, id, Some("200"), None).await?;
    let now = dir.now_us();
    let base = format!("{BASE}/identities/{id}");
    Ok(html! {
        h2 { "Passkeys" }
        @if passkeys.items.is_empty() { p.muted { "No passkey yet." } } @else {
            div.table { table {
                thead { tr { th { "Name" } th { "State" } th { "Created" } th { "Last used" } th { span.muted { "Action" } } } }
                tbody { @for c in &passkeys.items { tr {
                    td { (c.name) }
                    td { (c.state) }
                    td.time { (when(Some(c.create_us))) }
                    td.time { (when(c.last_used_us)) }
                    td { @if c.state == CredentialState::Active {
                        a href={ (base) "/passkeys/" (c.id) "/revoke" } { "Revoke…" }
                    } }
                } } }
            } }
        }
        h2 { "Sessions" }
        @if sessions.is_empty() { p.muted { "No live session." } } @else {
            div.table { table {
                thead { tr { th { "Started" } th { "Last seen" } th { "Ends" } th { span.muted { "Action" } } } }
                tbody { @for s in &sessions { tr {
                    td.time { (when(Some(s.create_us))) }
                    td.time { (when(Some(s.last_seen_us))) }
                    td.time { (when(Some(s.expire_us))) }
                    td { a href={ (base) "/sessions/" (s.id) "/revoke" } { "End…" } }
                } } }
            } }
            p { a href={ (base) "/sessions/revoke" } { "End all sessions…" } }
        }
        h2 { "Binding links" }
        @if jobs.items.is_empty() { p.muted { "None yet." } } @else {
            div.table { table {
                thead { tr { th { "Created" } th { "Delivery" } th { "State" } th { "Expires" } th { span.muted { "Action" } } } }
                tbody { @for j in &jobs.items { tr {
                    td.time { (when(Some(j.create_us))) }
                    td { (j.delivery_method) }
                    td { (effective_state(j, now)) }
                    td.time { (when(Some(j.expire_us))) }
                    td { @if effective_state(j, now).is_open() {
                        a href={ (base) "/jobs/" (j.id) "/revoke" } { "Revoke…" }
                    } }
                } } }
            } }
        }
        form method="post" action={ (base) "/links" } {
            (admin.csrf_field())
            fieldset {
                legend { "New binding link" }
                label.choice { input type="radio" name="method" value="RETURN" checked; "Show me the link (to hand over)" }
                label.choice { input type="radio" name="method" value="EMAIL"; "Email it to the identity's address" }
                div.actions { button type="submit" { "Create link" } }
            }
        }
        h2 { "Groups" }
        @if groups.items.is_empty() { p.muted { "In no group." } } @else {
            ul { @for g in &groups.items { li { a href={ (BASE) "/groups/" (g.id) } { (g.display_name) } } } }
        }
    })
}

/// `GET …/passkeys/{cid}/revoke`.
pub async fn confirm_revoke_passkey(
    admin: ConsoleAdmin,
    Path((id, cid)): Path<(String, String)>,
) -> Page {
    let at = admin.ctx();
    let identity = admin.state.directory.identity(&at, &id).await?;
    let c = admin
        .state
        .directory
        .credential(&at, Some(&id), &cid)
        .await?;
    let q = html! { p { "Revoke the passkey " strong { (c.name) } " of " strong { (identity.traits.username) }
    "? It will never sign in again, and the sessions begun with it end now." } };
    Ok(confirm(
        &admin,
        "/identities",
        "Revoke passkey",
        q,
        &format!("/identities/{id}/passkeys/{cid}/revoke"),
        "Revoke",
        &format!("/identities/{id}"),
    ))
}

/// `POST …/passkeys/{cid}/revoke`.
pub async fn revoke_passkey(
    admin: ConsoleAdmin,
    Path((id, cid)): Path<(String, String)>,
    _f: Form,
) -> Page {
    admin
        .state
        .directory
        .revoke_credential(&admin.ctx(), Some(&id), &cid)
        .await?;
    admin
        .state
        .sessions
        .revoke(&RevokeTarget::Credential(cid), None)
        .await?;
    Ok(admin.done(&format!("/identities/{id}?done=revoked")))
}

/// `GET …/sessions/revoke`.
pub async fn confirm_revoke_sessions(admin: ConsoleAdmin, Path(id): Path<String>) -> Page {
    let identity = admin.state.directory.identity(&admin.ctx(), &id).await?;
    let q = html! { p { "End every session of " strong { (identity.traits.username) } "? They will have to sign in again." } };
    Ok(confirm(
        &admin,
        "/identities",
        "End sessions",
        q,
        &format!("/identities/{id}/sessions/revoke"),
        "End sessions",
        &format!("/identities/{id}"),
    ))
}

/// `POST …/sessions/revoke`.
pub async fn revoke_sessions(admin: ConsoleAdmin, Path(id): Path<String>, _f: Form) -> Page {
    admin
        .state
        .sessions
        .revoke_sessions(&admin.ctx(), &id, None)
        .await?;
    Ok(admin.done(&format!("/identities/{id}?done=revoked")))
}

/// `GET …/sessions/{sid}/revoke`.
pub async fn confirm_revoke_session(
    admin: ConsoleAdmin,
    Path((id, sid)): Path<(String, String)>,
) -> Page {
    let at = admin.ctx();
    let identity = admin.state.directory.identity(&at, &id).await?;
    let live = admin.state.sessions.list_sessions(&at, &id).await?;
    let session = live
        .iter()
        .find(|s| s.id == sid)
        .ok_or_else(|| ConsoleError::NotFound("session not found".into()))?;
    let q = html! { p { "End the session of " strong { (identity.traits.username) } " started "
    (when(Some(session.create_us))) "?" } };
    Ok(confirm(
        &admin,
        "/identities",
        "End session",
        q,
        &format!("/identities/{id}/sessions/{sid}/revoke"),
        "End session",
        &format!("/identities/{id}"),
    ))
}

/// `POST …/sessions/{sid}/revoke`.
pub async fn revoke_session(
    admin: ConsoleAdmin,
    Path((id, sid)): Path<(String, String)>,
    _f: Form,
) -> Page {
    admin
        .state
        .sessions
        .revoke_sessions(&admin.ctx(), &id, Some(&sid))
        .await?;
    Ok(admin.done(&format!("/identities/{id}?done=revoked")))
}

/// `GET …/jobs/{job}/revoke`.
pub async fn confirm_revoke_job(
    admin: ConsoleAdmin,
    Path((id, job)): Path<(String, String)>,
) -> Page {
    admin
        .state
        .directory
        .binding_job(&admin.ctx(), Some(&id), &job)
        .await?;
    let q = html! { p { "Revoke this binding link? It stops working at once." } };
    Ok(confirm(
        &admin,
        "/identities",
        "Revoke binding link",
        q,
        &format!("/identities/{id}/jobs/{job}/revoke"),
        "Revoke",
        &format!("/identities/{id}"),
    ))
}

/// `POST …/jobs/{job}/revoke`.
pub async fn revoke_job(
    admin: ConsoleAdmin,
    Path((id, job)): Path<(String, String)>,
    _f: Form,
) -> Page {
    admin
        .state
        .directory
        .revoke_binding_job(&admin.ctx(), Some(&id), &job)
        .await?;
    Ok(admin.done(&format!("/identities/{id}?done=revoked")))
}

/// `POST …/links` (`method=RETURN|EMAIL`).
pub async fn create_link(admin: ConsoleAdmin, Path(id): Path<String>, form: Form) -> Page {
    let method = DeliveryMethod::parse(form.get("method"))
        .ok_or_else(|| ConsoleError::Invalid("method: must be RETURN or EMAIL".into()))?;
    let state = &admin.state;
    let at = admin.ctx();
    let identity = state.directory.identity(&at, &id).await?;
    let created = state
        .directory
        .create_binding_job(
            &at,
            &state.config,
            state.mailer.as_deref(),
            &id,
            NewBindingJob::new(method),
        )
        .await?;
    let Some(link) = created.link else {
        return Ok(admin.done(&format!("/identities/{id}?done=emailed")));
    };
    let body = html! {
        h1 { "Binding link for " (identity.traits.username) }
        p { "Hand this link to " strong { (identity.traits.username) } " (it is shown only now). It works once and expires "
            (when(Some(created.job.expire_us))) "." }
        div.link-box {
            label for="link" { "Link" }
            input #link type="text" readonly value=(link);
            button.secondary type="button" data-copy="link" hidden { "Copy" }
        }
        @if let Some(svg) = ui::qr_svg(&link) {
            figure.qr { (svg) figcaption { "Or scan it with the phone that should hold the passkey." } }
        }
        p { a href={ (BASE) "/identities/" (id) } { "Back to " (identity.traits.username) } }
    };
    Ok(admin.page("/identities", "Binding link", body))
}
