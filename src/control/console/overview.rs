//! Read-only pages: the console's home, the tenant's realms (config and store), and the
//! loaded routes with their policies (what the data plane enforces right now).

use maud::{html, Markup};

use super::access::{ConsoleAdmin, Page, BASE};
use super::widgets::when;
use crate::config::{Allow, HostPattern, PathPattern};

/// `GET /console/`: where to start.
pub async fn home(admin: ConsoleAdmin) -> Page {
    let at = admin.ctx();
    let dir = &admin.state.directory;
    let identities = dir.list_identities(&at, Some("1"), None, None).await?;
    let groups = dir.list_groups(&at, Some("1"), None).await?;
    let body = html! {
        h1 { "Admin console" }
        p { "You administer the realm " strong { (admin.realm) } "." }
        ul {
            li { a href={ (BASE) "/identities" } { "Identities" } " (" (identities.total_size) "): create, edit, suspend, delete; passkeys, sessions, binding links" }
            li { a href={ (BASE) "/groups" } { "Groups" } " (" (groups.total_size) "): members and invitations" }
            li { a href={ (BASE) "/tokens" } { "API tokens" } " for the admin API and SCIM" }
            li { a href={ (BASE) "/audit" } { "Audit log" } ": every change, who made it" }
            li { a href={ (BASE) "/routes" } { "Routes" } ": what passgate fronts and who may pass" }
            li { a href={ (BASE) "/realms" } { "Realms" } }
            li { a href="/.passgate/passkeys" { "Your own passkeys" } }
        }
    };
    Ok(admin.page("/", "Admin console", body))
}

/// `GET /console/realms`.
pub async fn realms(admin: ConsoleAdmin) -> Page {
    let config = &admin.state.config;
    let stored = admin
        .state
        .directory
        .list_realms(&config.tenant_id, Some("200"), None)
        .await?;
    let body = html! {
        h1 { "Realms" }
        p.muted { "Tenant " code { (config.tenant_id) } ". Realms come from the configuration file or the admin API; this console administers the realm you signed in to." }
        div.table { table {
            thead { tr { th { "Id" } th { "Name" } th { "Relying party" } th { "Admin group" } th { "Created" } } }
            tbody { @for r in &stored.items {
                @let conf = config.realm(&r.id);
                tr {
                    td { code { (r.id) } @if r.id == admin.realm { " (yours)" } }
                    td { (r.display_name) }
                    td { (r.rp_id) }
                    td { (conf.map_or("–", |c| c.admin_group.as_str())) }
                    td.time { (when(Some(r.create_us))) }
                }
            } }
        } }
    };
    Ok(admin.page("/realms", "Realms", body))
}

fn host(h: &HostPattern) -> String {
    match h {
        HostPattern::Exact(h) => h.clone(),
        HostPattern::Wildcard(suffix) => format!("*{suffix}"),
        HostPattern::Any => "*".into(),
    }
}

fn allow(a: &Allow) -> Markup {
    html! {
        @if a.is_open() { "any signed-in user of the realm" } @else {
            @if !a.groups.is_empty() { "groups: " (a.groups.join(", ")) "; " }
            @if !a.users.is_empty() { "users: " (a.users.join(", ")) "; " }
            @if !a.email_domains.is_empty() { "email domains: " (a.email_domains.join(", ")) }
        }
    }
}

fn pattern(p: &PathPattern) -> &str {
    match p {
        PathPattern::Prefix(s) | PathPattern::Glob(s) => s,
    }
}

/// `GET /console/routes`.
pub async fn routes(admin: ConsoleAdmin) -> Page {
    let config = &admin.state.config;
    let body = html! {
        h1 { "Routes" }
        p.muted { "As loaded from the configuration file (change it and reload to change these)." }
        @for r in &config.routes {
            @let policy = format!("{:?}", r.policy).to_lowercase();
            section {
                h2 { (host(&r.host)) (r.path_prefix) }
                dl.facts {
                    dt { "Id" } dd { code { (r.id) } }
                    dt { "Upstream" } dd { @for u in &r.upstreams { code { (u.url) } " " } }
                    dt { "Realm" } dd { (r.realm) }
                    dt { "Policy" } dd { (policy) }
                    dt { "Allowed" } dd {
                        @if policy == "public" { "anyone, no sign-in" } @else { (allow(&r.access.allow)) }
                    }
                    @if !r.access.public_paths.is_empty() {
                        dt { "Public paths" } dd { @for p in &r.access.public_paths { code { (pattern(p)) } " " } }
                    }
                    @for rule in &r.access.rules {
                        dt { "Methods " (rule.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")) }
                        dd { (allow(&rule.allow)) }
                    }
                    @if let Some(age) = r.access.max_auth_age {
                        dt { "Sign-in at most" } dd { (humantime::format_duration(age)) " ago" }
                    }
                    dt { "Identity headers" } dd { @for (name, _) in &r.identity.set { code { (name.as_str()) } " " } }
                }
            }
        }
    };
    Ok(admin.page("/routes", "Routes", body))
}
