//! The realm's audit log, newest page first as the store keeps it (oldest first within),
//! filtered by action, actor and target id. The store pages without filters, so a filtered
//! page is gathered from up to [`SCAN_PAGES`] store pages of 200 events: the "Next page"
//! link continues where the scan stopped.

use std::collections::HashMap;

use axum::extract::Query;
use maud::{html, Markup};

use super::access::{ConsoleAdmin, Page, BASE};
use super::widgets::{pager, when, ListQuery};

const SHOWN: usize = 50;

/// The identity id an actor label names (`identity:<id>`, `console:identity:<id>`).
fn identity_of(label: &str) -> Option<&str> {
    label
        .strip_prefix("console:")
        .unwrap_or(label)
        .strip_prefix("identity:")
}
const SCAN_PAGES: usize = 10;

/// `GET /console/audit?action=&actor=&target=`.
pub async fn list(admin: ConsoleAdmin, Query(q): Query<ListQuery>) -> Page {
    let dir = &admin.state.directory;
    let tenant = &admin.state.config.tenant_id;
    let filtered = !(q.action.is_empty() && q.actor.is_empty() && q.target.is_empty());
    let size = if filtered { "200" } else { "50" };
    let mut events = Vec::new();
    let mut token = q.token().map(str::to_string);
    let mut next = None;
    for _ in 0..SCAN_PAGES {
        let page = dir
            .list_events(tenant, &admin.realm, Some(size), token.as_deref())
            .await?;
        events.extend(page.items.into_iter().filter(|e| {
            (q.action.is_empty() || e.action.contains(q.action.as_str()))
                && (q.actor.is_empty() || e.actor.contains(q.actor.as_str()))
                && (q.target.is_empty() || e.target_ids.iter().any(|t| t == &q.target))
        }));
        next = page.next_page_token;
        if !filtered || events.len() >= SHOWN || next.is_none() {
            break;
        }
        token = next.clone();
    }
    // Actors that are identities, by username (deleted ones stay as their label).
    let mut names: HashMap<String, String> = HashMap::new();
    let ctx = admin.ctx();
    for e in &events {
        if let Some(id) = identity_of(&e.actor) {
            if !names.contains_key(id) {
                if let Ok(i) = dir.identity(&ctx, id).await {
                    names.insert(id.to_string(), i.traits.username);
                }
            }
        }
    }
    let actor = |label: &str| -> Markup {
        match identity_of(label).and_then(|id| names.get(id)) {
            Some(name) if label.starts_with("console:") => {
                html! { span title=(label) { (name) " " span.muted { "(console)" } } }
            }
            Some(name) => html! { span title=(label) { (name) } },
            None => html! { (label) },
        }
    };
    let body = html! {
        h1 { "Audit log" }
        form.search method="get" action={ (BASE) "/audit" } {
            div { label for="action" { "Action contains" } input #action name="action" value=(q.action) maxlength="100"; }
            div { label for="actor" { "Actor contains" } input #actor name="actor" value=(q.actor) maxlength="100"; }
            div { label for="target" { "Target id" } input #target name="target" value=(q.target) maxlength="100"; }
            button type="submit" { "Filter" }
        }
        div.table { table {
            thead { tr { th { "When" } th { "Actor" } th { "Action" } th { "Targets" } th { "Change" } } }
            tbody { @for e in &events { tr {
                td.time { (when(Some(e.create_us))) }
                td { (actor(&e.actor)) }
                td { (e.action) }
                td { @for t in &e.target_ids { code { (t) } " " } }
                td { @if e.before.is_some() || e.after.is_some() {
                    details {
                        summary { "Before / after" }
                        @if let Some(b) = &e.before { pre { (b) } }
                        @if let Some(a) = &e.after { pre { (a) } }
                    }
                } }
            } } }
        } }
        @if events.is_empty() { p.muted { "No events on this page match." } }
        (pager("/audit", &[("action", &q.action), ("actor", &q.actor), ("target", &q.target)],
            next.as_deref(), q.token().is_none()))
    };
    Ok(admin.page("/audit", "Audit log", body))
}
