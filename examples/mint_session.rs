//! Prints a valid session token for a config's store, for load tests and manual checks:
//! creates the identity when it does not exist, starts a session for it (as a passkey
//! sign-in would) and prints the token (use it as the `passgate_session` cookie).
//!
//!     cargo run --example mint_session -- passgate.toml [username]

use std::sync::Arc;

use anyhow::Context as _;

use passgate::idm::identities::{NewIdentity, TraitsPatch};
use passgate::idm::types::Patch;
use passgate::idm::{Actor, Context, SessionService};
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
                let at = Context::new(&config.tenant_id, &realm, &Actor::Cli);
                let new = NewIdentity {
                    traits: TraitsPatch {
                        username: Patch::Set(username.clone()),
                        primary_email_address: Patch::Set(format!("{username}@example.com")),
                        ..TraitsPatch::default()
                    },
                    ..NewIdentity::default()
                };
                directory.create_identity(&at, new).await?
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
