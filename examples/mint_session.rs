//! Prints a valid session token for a config's store, for load tests and manual checks:
//! creates the identity when it does not exist, starts a session for it (as a passkey
//! sign-in would) and prints the token (use it as the `passgate_session` cookie).
//!
//!     cargo run --example mint_session -- passgate.toml [username] [count]
//!
//! With `count` > 1 it prints `count` tokens, one a line: the first for a real session,
//! the others signed with the same key for as many distinct made-up users and sessions
//! (for filling the session cache in load tests; their sessions are not in the store,
//! which the data plane never reads).

use std::sync::Arc;

use anyhow::Context as _;

use passgate::idm::identities::{NewIdentity, TraitsPatch};
use passgate::idm::types::Patch;
use passgate::idm::{Actor, Context, SessionService};
use passgate::session::cache::PrincipalCache;
use passgate::session::token::{sign, TokenVerifier};
use std::io::Write;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .context("usage: mint_session CONFIG [USERNAME]")?;
    let username = args.next().unwrap_or_else(|| "loadtest".into());
    let count: usize = match args.next() {
        Some(n) => n.parse().context("count must be a number")?,
        None => 1,
    };
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
        anyhow::Ok((issued.token, sessions.keys()))
    })?;
    let (token, keys) = token;
    println!("{token}");
    if count > 1 {
        let ring = keys.load();
        let issuer = passgate::session::token::issuer(&config.public_url);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let claims = TokenVerifier::new(&issuer).verify(&ring, &token, now)?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for i in 1..count {
            let mut c = claims.clone();
            c.sub = format!("{}{i:07}", &c.sub[..c.sub.len().saturating_sub(7)]);
            c.sid = format!("{}{i:07}", &c.sid[..c.sid.len().saturating_sub(7)]);
            c.username = format!("user{i:07}");
            c.email = Some(format!("user{i:07}@example.com"));
            writeln!(out, "{}", sign(&ring, &c)?)?;
        }
    }
    Ok(())
}
