//! Every file in `config/` parses and passes `passgate check`; broken configs are refused
//! with every problem named by key path and line.

use std::path::Path;

use crate::support::gateway::check;
use crate::support::tls::TestCa;

/// Copies a config into a temp dir where any `tls/passgate.{crt,key}` it names exists.
pub fn prepared_copy(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(src, dir.path().join("passgate.toml")).unwrap();
    let tls = dir.path().join("tls");
    std::fs::create_dir_all(&tls).unwrap();
    let ca = TestCa::new("example CA");
    ca.leaf(&["auth.example.com", "*.example.com", "localhost"])
        .write(&tls, "passgate");
    dir
}

#[test]
fn every_shipped_config_passes_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut n = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        n += 1;
        let dir = prepared_copy(&path);
        let (ok, out, err) = check(&dir.path().join("passgate.toml"));
        assert!(ok, "{} failed check:\n{out}{err}", path.display());
        assert!(out.contains(": ok ("), "{out}");
    }
    assert!(n >= 1, "no config files found in {}", root.display());
}

#[test]
fn check_lists_every_problem_with_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        r#"public_url = "http://auth.example.com/app?x=1"
colour = "blue"

[server]
grace_period = "30"

[[listeners]]
address = "127.0.0.1:9000"

[[listeners]]
address = "127.0.0.1:9000"

[[listeners]]
address = "0.0.0.0:9443"
[[listeners.certificates]]
cert = "missing.crt"
key = "missing.key"

[[routes]]
host = "app.example.com"
upstream = "http://127.0.0.1:3000"
realm = "nope"

[[routes]]
host = "app.example.com"
upstream = "ftp://127.0.0.1"
policy = "sometimes"
connect_timeout = "soon"

[[routes]]
host = "other.example.com"
upstream = "http://127.0.0.1:3000"
bogus_key = 1
"#,
    )
    .unwrap();
    let (ok, _out, err) = check(&cfg);
    assert!(!ok, "a broken config must fail check");
    let expect = [
        ("public_url (line 1)", "query or fragment"),
        ("colour (line 2)", "unknown key"),
        ("server.grace_period (line 5)", "unit is required"),
        ("listeners[1].address (line 11)", "duplicate listener"),
        ("listeners[2].certificates[0]", "cannot read"),
        ("routes[0].realm (line 22)", "realm \"nope\" is not defined"),
        (
            "routes[1].upstream (line 26)",
            "scheme \"ftp\" is not supported",
        ),
        (
            "routes[1].policy (line 27)",
            "\"sometimes\" is not a policy",
        ),
        ("routes[1].connect_timeout (line 28)", "invalid duration"),
        (
            "routes[1].path_prefix (line 24)",
            "routes[0] already routes host",
        ),
        ("routes[2].bogus_key (line 33)", "unknown field"),
    ];
    for (path, msg) in expect {
        let line = err
            .lines()
            .find(|l| l.contains(path))
            .unwrap_or_else(|| panic!("no problem for {path} in:\n{err}"));
        assert!(line.contains(msg), "{path}: expected {msg:?} in {line:?}");
    }
    assert!(err.contains(": 11 problems"), "{err}");
}

#[test]
fn check_reports_syntax_errors_with_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("syntax.toml");
    std::fs::write(
        &cfg,
        "public_url = \"http://localhost:1\"\n[[routes]\nhost = 1\n",
    )
    .unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(!ok);
    assert!(
        err.contains("line 2") && err.contains("TOML syntax"),
        "{err}"
    );
}

#[test]
fn check_refuses_a_missing_file() {
    let (ok, _, err) = check(Path::new("/nonexistent/passgate.toml"));
    assert!(!ok);
    assert!(err.contains("cannot read the file"), "{err}");
}

#[test]
fn check_refuses_unsafe_identity_settings() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("unsafe.toml");
    std::fs::write(
        &cfg,
        r#"public_url = "http://auth.example.com"
[[listeners]]
address = "127.0.0.1:9000"
[[realms]]
id = "main"
rp_id = "com"
[[routes]]
id = "passgate"
host = "app.example.com:8080"
upstream = "http://127.0.0.1:3000/base"
realm = "main"
"#,
    )
    .unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(!ok);
    for (path, msg) in [
        (
            "public_url (line 1)",
            "plain http is only allowed for localhost",
        ),
        ("realms[0].rp_id (line 6)", "top-level domain"),
        ("routes[0].id (line 8)", "reserved"),
        ("routes[0].host (line 9)", "is not a host name"),
        (
            "routes[0].upstream (line 10)",
            "requests keep their own path",
        ),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(path))
            .unwrap_or_else(|| panic!("no problem for {path} in:\n{err}"));
        assert!(line.contains(msg), "{path}: expected {msg:?} in {line:?}");
    }
    let (ok, _, err) = check(&{
        let p = dir.path().join("ip.toml");
        std::fs::write(
            &p,
            "public_url = \"https://10.0.0.1\"\n[[listeners]]\naddress = \"127.0.0.1:9\"\n",
        )
        .unwrap();
        p
    });
    assert!(
        !ok && err.contains("WebAuthn refuses IP addresses"),
        "{err}"
    );
}
