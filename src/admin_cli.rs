//! `passgate token …`, `passgate identities …` and `passgate keys …`: open the store named by a config file and
//! call the directory service, printing what it returns. No logic of their own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;

use passgate::config::{self, Config};
use passgate::idm::identities::{NewIdentity, TraitsPatch};
use passgate::idm::tokens::TokenRequest;
use passgate::idm::types::Patch;
use passgate::idm::{views, Actor, Context, Directory, SessionService};

/// `--config FILE`: the configuration whose store to open.
#[derive(clap::Args)]
pub struct ConfigArg {
    #[arg(
        long,
        short,
        env = "PASSGATE_CONFIG",
        default_value = "/etc/passgate/passgate.toml"
    )]
    config: PathBuf,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once: only its hash is kept).
    Create {
        #[command(flatten)]
        config: ConfigArg,
        /// What the token is for, e.g. "provisioning script".
        #[arg(long)]
        name: String,
        /// A scope, e.g. identities:write (repeat for more; `admin` for everything).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Bind the token to one realm (default: every realm of the tenant).
        #[arg(long)]
        realm: Option<String>,
        /// Lifetime, e.g. "90d" (default: no expiry).
        #[arg(long, value_parser = humantime::parse_duration)]
        expires_in: Option<std::time::Duration>,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        config: ConfigArg,
        id: String,
    },
}

#[derive(Subcommand)]
pub enum IdentitiesCommand {
    /// Create an identity and print it as JSON.
    Create {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Realm id (default: the config's `default` realm, else its first).
        #[arg(long)]
        realm: Option<String>,
    },
    /// List a realm's identities as JSON lines.
    List {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long)]
        realm: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Add a new session signing key. It verifies at once and signs after --activate-in
    /// (so every running instance knows it first); older keys keep verifying until every
    /// token they signed is over.
    Rotate {
        #[command(flatten)]
        config: ConfigArg,
        /// Delay before the new key signs, e.g. "5s" (0s: at once; only safe with one instance).
        #[arg(long, value_parser = humantime::parse_duration, default_value = "5s")]
        activate_in: std::time::Duration,
    },
    /// List the signing keys (never their private halves) as JSON lines.
    List {
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// Loads the config and opens its store; the runtime must outlive the directory's use.
fn open(path: &Path) -> anyhow::Result<(tokio::runtime::Runtime, Arc<Directory>, Config)> {
    let config = config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (runtime, directory) =
        passgate::server::open_directory(&config).context("opening the store")?;
    Ok((runtime, directory, config))
}

fn realm_of(config: &Config, realm: Option<String>) -> String {
    realm.unwrap_or_else(|| {
        config
            .realm("default")
            .or(config.realms.first())
            .map(|r| r.id.clone())
            .unwrap_or_else(|| "default".into())
    })
}

fn cli_context<'a>(config: &'a Config, realm: &'a str) -> Context<'a> {
    Context::new(&config.tenant_id, realm, &Actor::Cli)
}

pub fn token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create {
            config,
            name,
            scopes,
            realm,
            expires_in,
        } => {
            let (rt, dir, config) = open(&config.config)?;
            let req = TokenRequest {
                tenant: &config.tenant_id,
                realm: realm.as_deref(),
                name: &name,
                scopes: &scopes,
                expires_in,
            };
            let (record, issued) = rt.block_on(dir.create_token(&req, &Actor::Cli))?;
            eprintln!(
                "created API token {} ({}); it is shown only now:",
                issued.id, record.name
            );
            println!("{}", issued.bearer());
        }
        TokenCommand::List { config } => {
            let (rt, dir, config) = open(&config.config)?;
            for t in rt.block_on(dir.list_tokens(&config.tenant_id))? {
                println!("{}", serde_json::to_string(&views::token(&t))?);
            }
        }
        TokenCommand::Revoke { config, id } => {
            let (rt, dir, config) = open(&config.config)?;
            rt.block_on(dir.revoke_token(&config.tenant_id, &id, &Actor::Cli))?;
            eprintln!("revoked API token {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn identities(command: IdentitiesCommand) -> anyhow::Result<ExitCode> {
    match command {
        IdentitiesCommand::Create {
            config,
            username,
            email,
            display_name,
            realm,
        } => {
            let (rt, dir, config) = open(&config.config)?;
            let realm = realm_of(&config, realm);
            let at = cli_context(&config, &realm);
            let new = NewIdentity {
                display_name,
                status: None,
                traits: TraitsPatch {
                    username: Patch::Set(username),
                    primary_email_address: email.map_or(Patch::Absent, Patch::Set),
                    ..TraitsPatch::default()
                },
            };
            let created = rt.block_on(dir.create_identity(&at, new))?;
            println!("{}", serde_json::to_string(&views::identity(&created))?);
        }
        IdentitiesCommand::List { config, realm } => {
            let (rt, dir, config) = open(&config.config)?;
            let realm = realm_of(&config, realm);
            let at = cli_context(&config, &realm);
            let mut token: Option<String> = None;
            loop {
                let page =
                    rt.block_on(dir.list_identities(&at, Some("200"), token.as_deref(), None))?;
                for i in &page.items {
                    println!("{}", serde_json::to_string(&views::identity(i))?);
                }
                match page.next_page_token {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn keys(command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Rotate {
            config,
            activate_in,
        } => {
            let (rt, dir, config) = open(&config.config)?;
            let kid = rt.block_on(SessionService::rotate(
                &dir,
                &config.tenant_id,
                &Actor::Cli.label(),
                activate_in,
            ))?;
            eprintln!(
                "added signing key {kid}; it signs in {}",
                humantime::format_duration(activate_in)
            );
            println!("{kid}");
        }
        KeysCommand::List { config } => {
            let (rt, dir, _) = open(&config.config)?;
            for k in rt.block_on(SessionService::list_keys(&dir))? {
                let line = json!({
                    "kid": k.record.kid,
                    "create_time": passgate::idm::clock::rfc3339(k.record.create_us),
                    "activate_time": passgate::idm::clock::rfc3339(k.record.activate_us),
                    "state": k.state.as_str(),
                });
                println!("{line}");
            }
            for (k, state) in rt.block_on(SessionService::list_oidc_keys(&dir))? {
                let line = json!({
                    "kid": k.kid,
                    "use": "id_token",
                    "alg": k.alg,
                    "create_time": passgate::idm::clock::rfc3339(k.create_us),
                    "activate_time": passgate::idm::clock::rfc3339(k.activate_us),
                    "state": state.as_str(),
                });
                println!("{line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `passgate bootstrap`: the first administrator, or a new passkey for a locked-out one.
#[derive(clap::Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The administrator's username (created when missing).
    #[arg(long, default_value = "admin")]
    username: String,
    /// Email address of a new administrator.
    #[arg(long)]
    email: Option<String>,
    /// Display name of a new administrator.
    #[arg(long)]
    display_name: Option<String>,
    /// Realm id (default: the realm of the auth host, where the console signs in).
    #[arg(long)]
    realm: Option<String>,
}

pub fn bootstrap(args: BootstrapArgs) -> anyhow::Result<ExitCode> {
    let (rt, dir, config) = open(&args.config.config)?;
    let realm = args
        .realm
        .unwrap_or_else(|| passgate::control::web::realm_for(&config, &config.auth_host));
    let at = cli_context(&config, &realm);
    let console = format!("{}.passgate/console/", config.public_url);
    let req = passgate::idm::bootstrap::AdminRequest {
        username: &args.username,
        email: args.email.as_deref(),
        display_name: args.display_name.as_deref(),
        redirect: Some(console.clone()),
    };
    let done = rt.block_on(dir.bootstrap_admin(&at, &config, req))?;
    let group = config.realm(&realm).map_or("", |r| r.admin_group.as_str());
    if done.created_identity {
        eprintln!(
            "created the identity \"{}\" in realm {realm}",
            args.username
        );
    }
    if done.created_group {
        eprintln!("created the group \"{group}\"");
    }
    if done.added_to_group {
        eprintln!("added \"{}\" to \"{group}\"", args.username);
    }
    eprintln!("Open this one-time link to create the administrator's passkey, then the console:");
    eprintln!("  console: {console}");
    println!("{}", done.link);
    Ok(ExitCode::SUCCESS)
}
