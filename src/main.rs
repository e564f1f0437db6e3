//! The `passgate` command line: serve, check, demo, token, identities, keys. Errors end here as
//! `anyhow`; the work is done by the library.

mod admin_cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use passgate::config::{self, LogFormat};

/// Chosen by measurement (docs/performance.md): fewer instructions and less CPU per
/// request than glibc's allocator, and freed memory goes back to the system.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "passgate",
    version,
    about = "Passkey gateway: passkey sign-in in front of existing web apps"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway with a configuration file.
    Serve {
        #[arg(
            long,
            short,
            env = "PASSGATE_CONFIG",
            default_value = "/etc/passgate/passgate.toml"
        )]
        config: PathBuf,
        /// Log JSON lines instead of human-readable ones (overrides server.log_format).
        #[arg(long)]
        log_json: bool,
    },
    /// Validate a configuration file and list every problem found.
    Check {
        #[arg(
            long,
            short,
            env = "PASSGATE_CONFIG",
            default_value = "/etc/passgate/passgate.toml"
        )]
        config: PathBuf,
        /// Do not resolve upstream host names (for a file checked outside the network it
        /// runs in, e.g. Compose or Kubernetes service names).
        #[arg(long)]
        no_resolve: bool,
    },
    /// Run passgate on its embedded defaults in front of a demo app (http://localhost:8080).
    Demo {
        #[arg(long)]
        log_json: bool,
        /// Port of passgate on localhost.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Port of the demo app on 127.0.0.1 (default: the next one after --port).
        #[arg(long)]
        app_port: Option<u16>,
        /// Directory of the demo's SQLite store (default: the working directory).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Make sure an administrator exists (in the realm's admin group) and print a one-time
    /// link that creates its passkey: the first run, and the way back in when every admin
    /// has lost their passkey.
    Bootstrap(admin_cli::BootstrapArgs),
    /// Create, list and revoke admin API tokens (straight in the store of a config).
    Token {
        #[command(subcommand)]
        command: admin_cli::TokenCommand,
    },
    /// Create and list identities without the API (straight in the store of a config).
    Identities {
        #[command(subcommand)]
        command: admin_cli::IdentitiesCommand,
    },
    /// Print the OpenAPI 3.1 document of the JSON APIs (as served at
    /// /.passgate/v1/openapi.json and committed as docs/openapi.json).
    Openapi,
    /// Rotate and list the session signing keys (straight in the store of a config).
    Keys {
        #[command(subcommand)]
        command: admin_cli::KeysCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, log_json } => serve(&config, log_json),
        Command::Check { config, no_resolve } => check(&config, no_resolve),
        Command::Demo {
            log_json,
            port,
            app_port,
            data_dir,
        } => demo(log_json, port, app_port, data_dir),
        Command::Bootstrap(args) => admin_cli::bootstrap(args),
        Command::Token { command } => admin_cli::token(command),
        Command::Identities { command } => admin_cli::identities(command),
        Command::Keys { command } => admin_cli::keys(command),
        Command::Openapi => {
            print!("{}", passgate::control::openapi::json());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("passgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check(path: &Path, no_resolve: bool) -> anyhow::Result<ExitCode> {
    let options = config::LoadOptions {
        resolve_upstreams: !no_resolve,
    };
    match config::load_with(path, options) {
        Ok(c) => {
            println!(
                "{}: ok ({} listener{}, {} route{}, {} realm{})",
                path.display(),
                c.listeners.len(),
                plural(c.listeners.len()),
                c.routes.len(),
                plural(c.routes.len()),
                c.realms.len(),
                plural(c.realms.len()),
            );
            let mut unresolved: Vec<&str> = c
                .routes
                .iter()
                .flat_map(|r| r.upstreams.iter())
                .filter(|u| u.addrs.is_empty())
                .map(|u| u.host.as_str())
                .collect();
            unresolved.sort_unstable();
            unresolved.dedup();
            if !unresolved.is_empty() {
                println!(
                    "  upstream names not resolved (--no-resolve): {}",
                    unresolved.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn serve(path: &Path, log_json: bool) -> anyhow::Result<ExitCode> {
    let config = match config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            eprintln!("passgate: not starting until the configuration is fixed");
            return Ok(ExitCode::FAILURE);
        }
    };
    let format = if log_json {
        LogFormat::Json
    } else {
        config.server.log_format
    };
    passgate::logging::init(format);
    tracing::info!(
        config = %path.display(),
        public_url = %config.public_url,
        listeners = config.listeners.len(),
        routes = config.routes.len(),
        "starting passgate"
    );
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    passgate::server::assemble(Some(absolute), config)?.run();
    tracing::info!("passgate stopped");
    Ok(ExitCode::SUCCESS)
}

fn demo(
    log_json: bool,
    port: u16,
    app_port: Option<u16>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let data_dir = match data_dir {
        Some(d) => {
            std::fs::create_dir_all(&d)
                .with_context(|| format!("creating the data directory {}", d.display()))?;
            std::fs::canonicalize(&d)
                .with_context(|| format!("reading the data directory {}", d.display()))?
        }
        None => cwd.clone(),
    };
    let app_port = match app_port {
        Some(p) => p,
        None => port.checked_add(1).context("--port must be below 65535")?,
    };
    let toml = passgate::demo::config_for(port, app_port, &data_dir);
    let config = config::from_str(&toml, &cwd).map_err(|problems| {
        anyhow::anyhow!(
            "the embedded demo configuration is invalid: {}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    passgate::logging::init(if log_json {
        LogFormat::Json
    } else {
        LogFormat::Human
    });

    let app_addr = std::net::SocketAddr::from(([127, 0, 0, 1], app_port));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("starting the demo app runtime")?;
    let app = rt.spawn(async move {
        if let Err(e) = passgate::demo::serve(app_addr).await {
            tracing::error!(error = %e, address = %app_addr, "the demo app could not start");
        }
    });

    let assembled = passgate::server::assemble(None, config.clone())?;
    let demo_config = config.clone();
    let link = assembled
        .with_directory(|d| async move { passgate::demo::first_admin_link(&d, &demo_config).await })
        .context("provisioning the demo's first user")?;
    let banner = format!(
        "\n  passgate demo is running on {url}\n  \
         The demo app behind it listens on http://{app_addr}; /public needs no sign-in.\n\n  \
         Create the passkey of the first user, \"admin\" (an administrator), with this\n  \
         one-time link:\n\n    {link}\n\n  \
         Then the admin console is at {url}.passgate/console/\n  \
         and your passkeys at {url}.passgate/passkeys\n\n  \
         (a new link is printed at every start; the store is {db})\n\n",
        url = config.public_url,
        db = data_dir.join("passgate-demo.db").display(),
    );
    // One write, and its failure ignored: a reader that went away (`passgate demo | head`,
    // a test that read the link) must not stop the demo, as `println!` would (it panics on
    // a closed pipe).
    let mut out = std::io::stdout().lock();
    if out
        .write_all(banner.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        tracing::debug!("the demo's banner could not be written to stdout");
    }
    drop(out);
    assembled.run();
    app.abort();
    Ok(ExitCode::SUCCESS)
}
