//! `passgate token …` and `passgate identities …` against a real store, and start-up
//! refusals: a database from a newer passgate, an unreachable store, bad `[store]` keys.

use std::process::Command;

use serde_json::Value;

use crate::support::db::{Backend, TestDb};
use crate::support::free_port;
use crate::support::gateway::{check, BIN};

fn config_for(db: &TestDb) -> std::path::PathBuf {
    let port = free_port();
    let path = db.dir.path().join("passgate.toml");
    let text = format!(
        "public_url = \"http://localhost:{port}\"\n\n[[listeners]]\naddress = \"127.0.0.1:{port}\"\n\n\
         [store]\nurl = \"{}\"\nconnect_timeout = \"2s\"\n",
        db.url
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn run(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("PASSGATE_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn tokens_are_shown_once_listed_and_revoked(backend: Backend) {
    let Some(db) = TestDb::of(backend).await else {
        return;
    };
    let config = config_for(&db);
    let (ok, out, err) = run(
        &config,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scope",
            "identities:read",
            "--scope",
            "groups:*",
        ],
    );
    assert!(ok, "{err}");
    let token = out.trim();
    assert!(token.starts_with("pgt_"), "{out}");
    assert_eq!(
        out.lines().count(),
        1,
        "only the token goes to stdout: {out}"
    );
    let (id, secret) = token["pgt_".len()..].split_once('_').unwrap();

    let (ok, out, err) = run(&config, &["token", "list"]);
    assert!(ok, "{err}");
    assert!(
        !out.contains(secret) && !err.contains(secret),
        "token list shows the secret"
    );
    let listed: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(listed["id"], id);
    assert_eq!(listed["name"], "ci");
    assert_eq!(
        listed["scopes"],
        serde_json::json!(["identities:read", "groups:*"])
    );
    assert_eq!(listed["revoke_time"], Value::Null);
    assert_eq!(
        db.count(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE secret_hash = '{secret}'"
        ))
        .await,
        0
    );

    let (ok, _, err) = run(&config, &["token", "revoke", id]);
    assert!(ok, "{err}");
    let (_, out, _) = run(&config, &["token", "list"]);
    let listed: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(listed["revoke_time"].as_str().is_some(), "{listed}");

    // Refusals: unknown scope, no scope, unknown realm, unknown token id.
    let (ok, _, err) = run(
        &config,
        &["token", "create", "--name", "x", "--scope", "root"],
    );
    assert!(!ok && err.contains("unknown scope \"root\""), "{err}");
    let (ok, _, _) = run(&config, &["token", "create", "--name", "x"]);
    assert!(!ok);
    let (ok, _, err) = run(
        &config,
        &[
            "token", "create", "--name", "x", "--scope", "admin", "--realm", "nope",
        ],
    );
    assert!(!ok && err.contains("realm not found"), "{err}");
    let (ok, _, err) = run(&config, &["token", "revoke", "0123"]);
    assert!(!ok && err.contains("not found"), "{err}");
}

async fn identities_are_provisioned_from_the_cli(backend: Backend) {
    let Some(db) = TestDb::of(backend).await else {
        return;
    };
    let config = config_for(&db);
    let (ok, out, err) = run(
        &config,
        &[
            "identities",
            "create",
            "--username",
            "dana",
            "--email",
            "dana@example.com",
            "--display-name",
            "Dana S",
        ],
    );
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(created["display_name"], "Dana S");
    assert_eq!(
        created["traits"]["primary_email_address"],
        "dana@example.com"
    );
    let (ok, _, err) = run(&config, &["identities", "create", "--username", "DANA"]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(
        &config,
        &["identities", "create", "--username", "x", "--email", "bad"],
    );
    assert!(!ok && err.contains("primary_email_address"), "{err}");
    let (ok, _, err) = run(
        &config,
        &["identities", "create", "--username", "x", "--realm", "nope"],
    );
    assert!(!ok && err.contains("realm not found"), "{err}");
    for i in 0..205 {
        let name = format!("bulk{i}");
        let (ok, _, err) = run(&config, &["identities", "create", "--username", &name]);
        assert!(ok, "bulk {i}: {err}");
    }
    let (ok, out, err) = run(&config, &["identities", "list"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 206, "every page is listed");
    assert!(out.lines().next().unwrap().contains("\"dana\""));
}

async fn a_database_from_a_newer_passgate_is_refused(backend: Backend) {
    let Some(db) = TestDb::of(backend).await else {
        return;
    };
    let config = config_for(&db);
    assert!(run(&config, &["token", "list"]).0);
    db.exec(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         SELECT 424242, 'from the future', success, checksum, execution_time \
         FROM _sqlx_migrations WHERE version = 1",
    )
    .await;
    let (ok, _, err) = run(&config, &["serve"]);
    assert!(!ok, "serve started on a newer database");
    assert!(
        err.contains("migrated by a newer passgate") && err.contains("424242"),
        "{err}"
    );
}

macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use crate::support::db::Backend;
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$scenario(Backend::Postgres).await
            }
        }
    )*};
}

on_every_backend!(
    tokens_are_shown_once_listed_and_revoked,
    identities_are_provisioned_from_the_cli,
    a_database_from_a_newer_passgate_is_refused,
);

#[test]
fn an_unreachable_store_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let closed = free_port();
    let path = dir.path().join("passgate.toml");
    std::fs::write(
        &path,
        format!(
            "public_url = \"http://localhost:{port}\"\n[[listeners]]\naddress = \"127.0.0.1:{port}\"\n\
             [store]\nurl = \"postgres://nobody@127.0.0.1:{closed}/none\"\nconnect_timeout = \"1s\"\n"
        ),
    )
    .unwrap();
    let (ok, _, err) = run(&path, &["serve"]);
    assert!(!ok);
    assert!(
        err.contains("store unavailable") && err.contains("PostgreSQL"),
        "{err}"
    );

    let missing_dir = dir.path().join("no/such/dir/passgate.db");
    std::fs::write(
        &path,
        format!(
            "public_url = \"http://localhost:{port}\"\n[[listeners]]\naddress = \"127.0.0.1:{port}\"\n\
             [store]\nurl = \"sqlite://{}\"\n",
            missing_dir.display()
        ),
    )
    .unwrap();
    let (ok, _, err) = run(&path, &["serve"]);
    assert!(!ok);
    assert!(err.contains("store unavailable"), "{err}");
}

#[test]
fn store_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("passgate.toml");
    let head = "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n[store]\n";
    std::fs::write(
        &path,
        format!("{head}url = \"mysql://x\"\nmax_connections = 0\nconnect_timeout = \"0s\"\n"),
    )
    .unwrap();
    let (ok, _, err) = check(&path);
    assert!(!ok);
    for needle in [
        "store.url",
        "store.max_connections",
        "store.connect_timeout",
    ] {
        assert!(err.contains(needle), "{needle} not reported:\n{err}");
    }
    std::fs::write(&path, format!("{head}pool = 3\n")).unwrap();
    let (ok, _, err) = check(&path);
    assert!(!ok && err.contains("store.pool"), "{err}");
    std::fs::write(
        &path,
        format!("{head}max_connections = 20\nconnect_timeout = \"3s\"\n"),
    )
    .unwrap();
    let (ok, out, err) = check(&path);
    assert!(ok, "{out}{err}");
}
