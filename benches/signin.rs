//! The sign-in ceremony's server time on SQLite (target: begin + finish ≤ 2 ms): what
//! `authenticate/begin` and `authenticate/finish` do after the HTTP layer. Begin: the rate
//! limits (per address, and per username for username-first), the realm, the options, the
//! single-use ceremony state stored. Finish: the rate limit, the state read, the assertion
//! verified with webauthn-rs, the passkey and identity checked, then in one transaction
//! the ceremony used up, the sign count recorded and the session row inserted, and the
//! session's token signed. The authenticator's own signing (the test suite's software
//! authenticator, P-256) happens between the two and is not timed. Username-first and
//! usernameless are both measured.
//!
//! `cargo bench --bench signin`

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

use std::net::{IpAddr, Ipv4Addr};

use passgate::config::Config;
use passgate::control::credential_json::{AuthenticationJson, RegistrationJson};
use passgate::control::limits::RateLimits;
use passgate::idm::binding::NewBindingJob;
use passgate::idm::identities::{NewIdentity, TraitsPatch};
use passgate::idm::types::{DeliveryMethod, Patch};
use passgate::idm::{Actor, Context, Directory, SessionService};
use passgate::session::cache::PrincipalCache;

#[allow(dead_code)]
#[path = "../tests/it/support/cbor.rs"]
mod cbor;

#[allow(dead_code)]
#[path = "../tests/it/support/authenticator.rs"]
mod authenticator;

use authenticator::Authenticator;

const ORIGIN: &str = "http://localhost:9480";

fn config(dir: &Path) -> Config {
    let toml = format!(
        r#"public_url = "{ORIGIN}"
[[listeners]]
address = "127.0.0.1:9480"
[store]
url = "sqlite://{}"
[[routes]]
host = "*"
path_prefix = "/"
upstream = "http://127.0.0.1:9"
"#,
        dir.join("passgate.db").display()
    );
    passgate::config::from_str(&toml, dir).unwrap_or_else(|p| panic!("bench config: {p:?}"))
}

struct Env {
    config: Config,
    directory: Arc<Directory>,
    sessions: SessionService,
    device: Authenticator,
    realm: String,
    limits: RateLimits,
    /// Sign-ins so far.
    n: u32,
}

/// An identity named `bench` with one passkey, bound as an admin's binding link would.
async fn setup(config: Config, directory: Arc<Directory>) -> Env {
    let realm = config
        .realms
        .first()
        .map_or_else(|| "default".to_string(), |r| r.id.clone());
    let at = Context {
        tenant: &config.tenant_id,
        realm: &realm,
        actor: &Actor::Cli,
    };
    let new = NewIdentity {
        traits: TraitsPatch {
            username: Patch::Set("bench".into()),
            primary_email_address: Patch::Set("bench@example.com".into()),
            ..TraitsPatch::default()
        },
        ..NewIdentity::default()
    };
    let id = directory.create_identity(&at, new).await.unwrap().id;
    let job = directory
        .create_binding_job(
            &at,
            &config,
            None,
            &id,
            NewBindingJob::new(DeliveryMethod::Return),
        )
        .await
        .unwrap();
    let link = job.link.expect("a RETURN job's link");
    let token = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let begun = directory.begin_binding(&config, &token).await.unwrap();
    let options = json!({"ceremony": begun.ceremony, "publicKey": begun.public_key});
    let mut device = Authenticator::new();
    let credential = device.register(ORIGIN, &options).unwrap();
    let registration = serde_json::from_value::<RegistrationJson>(credential)
        .unwrap()
        .into_registration("credential")
        .unwrap();
    directory
        .finish_binding(&config, &begun.ceremony, registration, None)
        .await
        .unwrap();
    let cache = Arc::new(PrincipalCache::new(1000, config.session.token_ttl));
    let sessions = SessionService::open(directory.clone(), cache, &config)
        .await
        .unwrap();
    Env {
        config,
        limits: RateLimits::new(directory.store().clone()),
        directory,
        sessions,
        device,
        realm,
        n: 0,
    }
}

/// One sign-in; returns the server time (begin + finish, session start included), with
/// the rate limits the handlers apply (per client address, per username), each sign-in from
/// an address of its own, two seconds after the one before (so no limit is reached).
async fn sign_in(env: &mut Env, username: Option<&str>) -> Duration {
    env.n += 1;
    let ip = Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + env.n)));
    let now = 1_800_000_000 + 2 * u64::from(env.n);
    let t0 = Instant::now();
    env.limits.check_ceremony(ip, now).await.unwrap();
    if let Some(u) = username {
        env.limits.check_username(u, now).await.unwrap();
    }
    let begun = env
        .directory
        .begin_sign_in(
            &env.config,
            &env.config.tenant_id,
            &env.realm,
            username,
            false,
        )
        .await
        .unwrap();
    // The options as the control plane sends them (serialising is part of begin's cost).
    let options: Value = json!({"ceremony": begun.ceremony, "publicKey": begun.public_key});
    let begin = t0.elapsed();
    let credential = env.device.authenticate(ORIGIN, &options).unwrap();
    let t1 = Instant::now();
    env.limits.check_ceremony(ip, now).await.unwrap();
    let credential = serde_json::from_value::<AuthenticationJson>(credential)
        .unwrap()
        .into_credential("credential")
        .unwrap();
    let (_, issued) = env
        .sessions
        .finish_sign_in(&env.config, &begun.ceremony, credential)
        .await
        .unwrap();
    assert!(!issued.token.is_empty());
    begin + t1.elapsed()
}

fn bench_signin(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let (rt, directory) = passgate::server::open_directory(&config).unwrap();
    let mut env = rt.block_on(setup(config, directory));
    let mut g = c.benchmark_group("signin_sqlite");
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("begin_finish_username_first", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += sign_in(&mut env, Some("bench")).await;
                }
                total
            })
        })
    });
    g.bench_function("begin_finish_usernameless", |b| {
        b.iter_custom(|n| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += sign_in(&mut env, None).await;
                }
                total
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench_signin);
criterion_main!(benches);
