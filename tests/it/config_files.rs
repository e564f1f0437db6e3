//! Every file in `config/` parses and passes `passgate check`; broken configs are refused
//! with every problem named by key path and line.

use std::path::{Path, PathBuf};

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

/// Every `.toml` under `config/` and `examples/` (walked, so new files are covered).
fn shipped_configs() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["config", "examples"] {
        walk(&root.join(dir), &mut out);
    }
    out.sort();
    out
}

/// A file a config names, relative to its directory.
struct Named {
    path: String,
    kind: &'static str,
    /// For a certificate: its key (made together with it when neither is shipped).
    key: Option<String>,
}

/// The files a config names: TLS certificates and keys, CA files, the store URL file, mail
/// templates.
fn named_files(config: &toml::Value) -> Vec<Named> {
    let mut out = Vec::new();
    let s = |v: &toml::Value| v.as_str().map(str::to_string);
    let mut add = |path: Option<String>, kind, key: Option<String>| {
        if let Some(path) = path {
            out.push(Named { path, kind, key });
        }
    };
    for l in config
        .get("listeners")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        for c in l
            .get("certificates")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let key = c.get("key").and_then(s);
            add(c.get("cert").and_then(s), "cert", key.clone());
            add(key, "key", None);
        }
    }
    for r in config
        .get("routes")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        add(r.get("tls_ca_file").and_then(s), "ca", None);
    }
    for r in config
        .get("realms")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let logo = r
            .get("logo")
            .and_then(s)
            .filter(|l| !l.starts_with("data:"));
        add(logo, "logo", None);
    }
    add(
        config
            .get("store")
            .and_then(|t| t.get("url_file"))
            .and_then(s),
        "store url",
        None,
    );
    for key in ["text_template", "html_template"] {
        add(
            config.get("email").and_then(|t| t.get(key)).and_then(s),
            "template",
            None,
        );
    }
    out
}

/// The leading comment block of a file.
fn header(text: &str) -> String {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `passgate check` as a newcomer runs it from the repository root, on every shipped
/// config: in a copy of the repository layout (the file at its own relative path, the
/// files it names beside it), with throwaway certificates made for the ones the
/// repository does not ship; each of those must be named in the file's header. A header
/// that says `--no-resolve` (upstreams named after Compose or Kubernetes services) is
/// checked that way.
#[test]
fn every_shipped_config_passes_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let configs = shipped_configs();
    assert!(configs.len() >= 8, "{configs:?}");
    let ca = TestCa::new("example CA");
    let mut failures = Vec::new();
    for path in &configs {
        let rel = path.strip_prefix(root).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let head = header(&text);
        let value: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
        let copy = tempfile::tempdir().unwrap();
        let dir = copy.path().join(rel.parent().unwrap());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(path, copy.path().join(rel)).unwrap();
        let mut names: Vec<String> = vec!["localhost".into()];
        if let Some(u) = value.get("public_url").and_then(|v| v.as_str()) {
            names.extend(
                url::Url::parse(u)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string)),
            );
        }
        for r in value
            .get("routes")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            names.extend(
                r.get("host")
                    .and_then(|h| h.as_str())
                    .filter(|h| *h != "*")
                    .map(|h| h.split(':').next().unwrap().to_string()),
            );
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        for Named {
            path: file,
            kind,
            key,
        } in named_files(&value)
        {
            let shipped = path.parent().unwrap().join(&file);
            let target = dir.join(&file);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            if shipped.is_file() {
                std::fs::copy(&shipped, &target).unwrap();
                continue;
            }
            if !head.contains(file.as_str()) {
                failures.push(format!(
                    "{}: needs {file} ({kind}) but its header does not say so",
                    rel.display()
                ));
            }
            match (kind, key) {
                // A throwaway certificate for the file's hosts, and its key.
                ("cert", Some(key)) => {
                    let leaf = ca.leaf(&names);
                    std::fs::write(&target, &leaf.cert_pem).unwrap();
                    let key = dir.join(key);
                    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
                    std::fs::write(key, &leaf.key_pem).unwrap();
                }
                ("key", _) => {} // made with its certificate
                ("ca", _) => std::fs::write(&target, &ca.pem).unwrap(),
                _ => failures.push(format!(
                    "{}: {file} ({kind}) is not in the repository",
                    rel.display()
                )),
            }
        }
        let mut cmd = std::process::Command::new(crate::support::gateway::BIN);
        cmd.arg("check");
        if head.contains("--no-resolve") {
            cmd.arg("--no-resolve");
        }
        let out = cmd
            .arg("--config")
            .arg(rel)
            .current_dir(copy.path())
            .env_remove("PASSGATE_CONFIG")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !stdout.contains(": ok (") {
            failures.push(format!(
                "{}: {stdout}{}",
                rel.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn store_url_file_is_read_beside_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("secrets")).unwrap();
    let base =
        "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n";
    let cfg = dir.path().join("passgate.toml");
    std::fs::write(
        &cfg,
        format!("{base}[store]\nurl_file = \"secrets/store-url\"\n"),
    )
    .unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(
        !ok && err.contains("store.url_file") && err.contains("cannot read"),
        "{err}"
    );
    std::fs::write(dir.path().join("secrets/store-url"), "\n").unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(!ok && err.contains("is empty"), "{err}");
    std::fs::write(dir.path().join("secrets/store-url"), "ftp://nope\n").unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(!ok && err.contains("unsupported store URL"), "{err}");
    std::fs::write(
        dir.path().join("secrets/store-url"),
        "postgres://passgate:s3cret@db.internal/passgate\n",
    )
    .unwrap();
    let (ok, out, err) = check(&cfg);
    assert!(ok, "{out}{err}");
    std::fs::write(
        &cfg,
        format!("{base}[store]\nurl = \"sqlite://x.db\"\nurl_file = \"secrets/store-url\"\n"),
    )
    .unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(!ok && err.contains("not both"), "{err}");
}

#[test]
fn realm_branding_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("passgate.toml");
    let base =
        "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n\
         [[realms]]\nid = \"default\"\n";
    for (realm, problem) in [
        ("logo = \"missing.png\"\n", "realms[0].logo"),
        ("logo = \"notes.txt\"\n", "must end in .png"),
        ("logo = \"data:text/html;base64,PGI+\"\n", "not a logo type"),
        ("logo = \"data:image/png;base64,###\"\n", "not valid base64"),
        ("accent_color = \"red\"\n", "realms[0].accent_color"),
        ("accent_color = \"#12345\"\n", "#rgb or #rrggbb"),
        ("admin_group = \"\"\n", "realms[0].admin_group"),
    ] {
        std::fs::write(&cfg, format!("{base}{realm}")).unwrap();
        let (ok, _, err) = check(&cfg);
        assert!(!ok && err.contains(problem), "{realm}: {err}");
    }
    std::fs::write(dir.path().join("logo.png"), b"\x89PNG\r\n").unwrap();
    std::fs::write(
        &cfg,
        format!("{base}logo = \"logo.png\"\naccent_color = \"#0A0\"\nadmin_group = \"ops\"\n"),
    )
    .unwrap();
    let (ok, out, err) = check(&cfg);
    assert!(ok, "{out}{err}");
}

#[test]
fn check_no_resolve_leaves_upstream_names_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("passgate.toml");
    std::fs::write(
        &cfg,
        "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:8080\"\n\
         [[routes]]\nhost = \"*\"\nupstream = \"http://app.invalid:80\"\n",
    )
    .unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(
        !ok && err.contains("cannot resolve \"app.invalid\""),
        "{err}"
    );
    let out = std::process::Command::new(crate::support::gateway::BIN)
        .args(["check", "--no-resolve", "--config"])
        .arg(&cfg)
        .env_remove("PASSGATE_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("not resolved (--no-resolve): app.invalid"),
        "{stdout}"
    );
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

#[test]
fn check_bounds_the_store_timeout_and_the_outage_grace() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("outage.toml");
    let head = "public_url = \"http://localhost:1\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n";
    std::fs::write(
        &cfg,
        format!("{head}[store]\nurl = \"sqlite://x.db\"\ntimeout = \"0s\"\n[session]\noutage_grace = \"2h\"\n"),
    )
    .unwrap();
    let (ok, _, err) = check(&cfg);
    assert!(!ok, "{err}");
    for (path, msg) in [
        ("store.timeout", "must be longer than zero"),
        ("session.outage_grace", "must not be longer than 1h"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(path))
            .unwrap_or_else(|| panic!("no problem for {path} in:\n{err}"));
        assert!(line.contains(msg), "{path}: expected {msg:?} in {line:?}");
    }
    // Zero grace (answer 503 at once) and a short timeout are fine.
    std::fs::write(
        &cfg,
        format!("{head}[store]\nurl = \"sqlite://x.db\"\ntimeout = \"500ms\"\n[session]\noutage_grace = \"0s\"\n"),
    )
    .unwrap();
    let (ok, out, err) = check(&cfg);
    assert!(ok, "{out}{err}");
}

#[test]
fn check_bounds_the_connection_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("timeouts.toml");
    let head = "public_url = \"http://localhost:1\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n";
    for (server, path, msg) in [
        (
            "keepalive_timeout = \"500ms\"",
            "server.keepalive_timeout",
            "must be between 1s and 1h",
        ),
        (
            "keepalive_timeout = \"2h\"",
            "server.keepalive_timeout",
            "must be between 1s and 1h",
        ),
        (
            "header_timeout = \"20m\"",
            "server.header_timeout",
            "must be between 100ms and 10m",
        ),
    ] {
        std::fs::write(&cfg, format!("{head}[server]\n{server}\n")).unwrap();
        let (ok, _, err) = check(&cfg);
        assert!(!ok, "{server} passed");
        let line = err
            .lines()
            .find(|l| l.contains(path))
            .unwrap_or_else(|| panic!("no problem for {path} in:\n{err}"));
        assert!(line.contains(msg), "{server}: expected {msg:?} in {line:?}");
    }
    std::fs::write(
        &cfg,
        format!("{head}[server]\nkeepalive_timeout = \"75s\"\n"),
    )
    .unwrap();
    let (ok, out, err) = check(&cfg);
    assert!(ok, "{out}{err}");
}
