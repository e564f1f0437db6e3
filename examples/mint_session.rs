//! Prints a valid session token for a config's store, for load tests and manual checks:
//! creates the identity when it does not exist, starts a session for it (as a passkey
//! sign-in would) and prints the token (use it as the `passgate_session` cookie).
//!
//!     cargo run --example mint_session -- passgate.toml [username]

use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use passgate::idm::{Actor, Scope, SessionService};
use passgate::session::cache::PrincipalCache;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .context("usage: mint_session CONFIG [USERNAME]")?;
    let username = args.next().unwrap_or_else(|| "loadtest".into());
    let config =
        passgate::config::load(std::path::Path::new(&path)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (rt, directory) = passgate::server::open_directory(&config)?;
    let realm = config
        .realm("default")
        .or(config.realms.first())
        .map_or_else(|| "default".to_string(), |r| r.id.clone());
    let token = rt.block_on(async {
        let store = directory.store();
        let identity = match store
            .find_identity_by_username(&config.tenant_id, &realm, &username)
            .await
        {
            Ok(i) => i,
            Err(_) => {
                let at = Scope {
                    tenant: &config.tenant_id,
                    realm: &realm,
                    actor: &Actor::Cli,
                };
                let body = json!({"identity": {"traits": {"username": username,
                    "primary_email_address": format!("{username}@example.com")}}});
                directory.create_identity(&at, body).await?;
                store
                    .find_identity_by_username(&config.tenant_id, &realm, &username)
                    .await?
            }
        };
        let cache = Arc::new(PrincipalCache::new(10, config.session.token_ttl));
        let sessions = SessionService::open(directory.clone(), cache, &config).await?;
        let issued = sessions.start(&identity, &["hwk", "user"], None).await?;
        anyhow::Ok(issued.token)
    })?;
    println!("{token}");
    Ok(())
}
