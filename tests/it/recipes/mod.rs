//! Recipes: real apps behind the real passgate, each configured as
//! `examples/recipes/<app>/` says (docs/recipes.md). A user signs in with the software
//! passkey and the app itself names them (its own page or API); a client that sends the
//! app's header without a session is not signed in, although the same header sent
//! straight to the app would sign it in (so the test can fail).
//!
//! The apps are not installed by the tests: `examples/recipes/install.sh` puts them under
//! `$PASSGATE_RECIPES_DIR` (default `target/recipes`). Without them each test prints
//! "skipped", unless `PASSGATE_REQUIRE_RECIPES=1` (set by `.ci/run`).
//!
//! Until the `optional` policy exists, the spoofing client reaches the app through a
//! `public_paths` entry of an `authenticated` route (identity headers are stripped there
//! too): the *probe* path of each test.

mod app;
mod datasette;
mod django;
mod flask_appbuilder;
mod nginx;
mod node_red;
mod visitor;

use std::path::{Path, PathBuf};

use crate::support::gateway::check;

/// What a client sends to pass for someone without signing in: the identity headers of the
/// passgate preset (also spelled with `_`, which WSGI servers read as the same header) and
/// an assertion.
pub const SPOOFED: &[(&str, &str)] = &[
    ("X-Passgate-User", "mallory"),
    ("X_Passgate_User", "mallory"),
    ("X-Passgate-Email", "mallory@example.com"),
    ("X-Passgate-Groups", "admins,staff"),
    ("X-Passgate-Jwt-Assertion", "mallory"),
];

/// `examples/recipes` in the source tree.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/recipes")
}

/// The first `[[routes]]` entry of `examples/recipes/<app>/passgate.toml`, with `host` and
/// `upstream` replaced and `public_paths` set, as TOML for [`SessionEnv::start_routes`]
/// (crate::support::sessions::SessionEnv).
pub fn example_route(app: &str, host: &str, upstream: &str, public_paths: &[&str]) -> String {
    let path = examples().join(app).join("passgate.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let file: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut route = file["routes"].as_array().expect("[[routes]]")[0]
        .as_table()
        .expect("a route table")
        .clone();
    route.insert("host".into(), host.into());
    route.insert("upstream".into(), upstream.into());
    if !public_paths.is_empty() {
        let list: Vec<toml::Value> = public_paths.iter().map(|p| (*p).into()).collect();
        route.insert("public_paths".into(), list.into());
    }
    format!(
        "\n[[routes]]\n{}",
        toml::to_string(&route).expect("route as TOML")
    )
}

#[test]
fn every_recipe_config_passes_check() {
    let mut n = 0;
    for entry in std::fs::read_dir(examples()).unwrap() {
        let config = entry.unwrap().path().join("passgate.toml");
        if !config.is_file() {
            continue;
        }
        n += 1;
        let dir = crate::config_files::prepared_copy(&config);
        let (ok, out, err) = check(&dir.path().join("passgate.toml"));
        assert!(ok, "{} failed check:\n{out}{err}", config.display());
    }
    assert_eq!(n, 4, "one passgate.toml per recipe in {:?}", examples());
}
