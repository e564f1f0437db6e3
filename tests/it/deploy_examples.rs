//! The deployment examples (`examples/deploy/`) cannot run here (no Docker, no
//! Kubernetes), so they are checked as files: every YAML file parses; each Compose
//! service running passgate gets its mounted configuration and secrets written into the
//! same layout as in the container, and `passgate check --no-resolve` must pass on it; the
//! Kubernetes Deployment's ConfigMap and Secret volumes likewise; probes, ports and the
//! load balancer's backends must match the configuration's listeners. The Grafana
//! dashboard and the Prometheus alert rules use only metric names a running gateway
//! exports (scraped live), the dashboard shows every exported family, and the alerts
//! cover what a team pages on.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::support::gateway::BIN;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/deploy")
}

/// Every document of every `.yml`/`.yaml` file under `examples/`: (file, documents).
fn yaml_files() -> Vec<(PathBuf, Vec<Value>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "node_modules") {
                    continue;
                }
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            ) {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        &mut paths,
    );
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let docs = serde_yaml::Deserializer::from_str(&text)
                .map(|d| {
                    serde::Deserialize::deserialize(d)
                        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                })
                .collect();
            (p, docs)
        })
        .collect()
}

/// Writes `files` (absolute container paths → contents) under a temp root and runs
/// `passgate check --no-resolve` on the container path `config`: (ok, output).
fn check_in_layout(files: &[(String, String)], config: &str) -> (bool, String) {
    let root = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = root.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = std::process::Command::new(BIN)
        .args(["check", "--no-resolve", "--config"])
        .arg(root.path().join(config.trim_start_matches('/')))
        .env_remove("PASSGATE_CONFIG")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains(": ok ("), text)
}

/// The port of the first `[[listeners]]` address, and the metrics port, of a config.
fn ports(config: &str) -> (u16, Option<u16>) {
    let v: toml::Value = toml::from_str(config).unwrap();
    let port = |a: &str| a.rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let listener = v["listeners"][0]["address"].as_str().map(port).unwrap();
    let metrics = v
        .get("metrics")
        .and_then(|m| m.get("address"))
        .and_then(|a| a.as_str())
        .map(port);
    (listener, metrics)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn every_yaml_example_parses() {
    let files = yaml_files();
    let names: Vec<String> = files
        .iter()
        .map(|(p, _)| {
            p.strip_prefix(deploy_dir())
                .unwrap_or(p)
                .display()
                .to_string()
        })
        .collect();
    for want in [
        "docker-compose.yml",
        "cluster/compose.yml",
        "kubernetes/deployment.yaml",
        "kubernetes/configmap.yaml",
        "kubernetes/secret.yaml",
        "kubernetes/service.yaml",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    for (p, docs) in &files {
        assert!(
            docs.iter().all(|d| d.is_mapping()),
            "{}: every document is a mapping",
            p.display()
        );
    }
}

#[test]
fn compose_files_run_configs_that_pass_check() {
    let mut checked = 0;
    for (path, docs) in yaml_files() {
        let Some(services) = docs[0].get("services").and_then(Value::as_mapping) else {
            continue;
        };
        let dir = path.parent().unwrap();
        let secrets = docs[0].get("secrets");
        let mut passgate_services = Vec::new();
        for (name, svc) in services {
            let name = s(name).to_string();
            let image = svc.get("image").map(s).unwrap_or("");
            if !image.starts_with("passgate") {
                continue;
            }
            // The config file and the secrets, where the container sees them.
            let mut files = Vec::new();
            let mut config_text = String::new();
            for vol in svc
                .get("volumes")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let parts: Vec<&str> = s(vol).split(':').collect();
                if parts.len() >= 2 && parts[0].starts_with("./") {
                    let text = std::fs::read_to_string(dir.join(parts[0])).unwrap();
                    if parts[1] == "/etc/passgate/passgate.toml" {
                        config_text = text.clone();
                    }
                    files.push((parts[1].to_string(), text));
                }
            }
            for sec in svc
                .get("secrets")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let (source, target) = match sec {
                    Value::String(n) => (n.clone(), format!("/run/secrets/{n}")),
                    m => (s(&m["source"]).to_string(), s(&m["target"]).to_string()),
                };
                let file = secrets
                    .and_then(|x| x.get(&source))
                    .map(|x| s(&x["file"]))
                    .unwrap();
                files.push((target, std::fs::read_to_string(dir.join(file)).unwrap()));
            }
            assert!(
                !config_text.is_empty(),
                "{}: {name} mounts no config",
                path.display()
            );
            let (ok, out) = check_in_layout(&files, "/etc/passgate/passgate.toml");
            assert!(ok, "{} {name}: {out}", path.display());
            // The command runs that file.
            passgate_services.push((name, ports(&config_text).0));
            checked += 1;
        }
        // A balancer in front of several instances reaches each on its listener port.
        if passgate_services.len() > 1 {
            let cfg = std::fs::read_to_string(dir.join("haproxy.cfg")).unwrap();
            for (name, port) in &passgate_services {
                assert!(
                    cfg.lines().any(|l| l.trim().starts_with("server ")
                        && l.contains(&format!(" {name}:{port}"))),
                    "haproxy.cfg has no server line for {name}:{port}"
                );
            }
            assert!(services.contains_key("postgres"), "{}", path.display());
            if Path::new(crate::support::cluster::HAPROXY).exists() {
                let out = std::process::Command::new(crate::support::cluster::HAPROXY)
                    .args(["-c", "-f"])
                    .arg(dir.join("haproxy.cfg"))
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "haproxy -c: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            // The store URL names the database the postgres service creates, with its
            // password.
            let pg = &docs[0]["services"]["postgres"]["environment"];
            let url = std::fs::read_to_string(dir.join("secrets/store-url")).unwrap();
            let password = std::fs::read_to_string(dir.join("secrets/db-password")).unwrap();
            let url = url::Url::parse(url.trim()).unwrap();
            assert_eq!(url.host_str(), Some("postgres"));
            assert_eq!(url.username(), s(&pg["POSTGRES_USER"]));
            assert_eq!(url.password(), Some(password.trim()));
            assert_eq!(url.path(), format!("/{}", s(&pg["POSTGRES_DB"])));
        }
    }
    assert!(checked >= 3, "{checked}");
}

#[test]
fn kubernetes_manifests_run_a_config_that_passes_check() {
    let dir = deploy_dir().join("kubernetes");
    let docs: Vec<Value> = yaml_files()
        .into_iter()
        .filter(|(p, _)| p.starts_with(&dir))
        .flat_map(|(_, d)| d)
        .collect();
    let of_kind = |k: &str| -> Vec<&Value> { docs.iter().filter(|d| s(&d["kind"]) == k).collect() };
    let named = |k: &str, n: &str| -> &Value {
        of_kind(k)
            .into_iter()
            .find(|d| s(&d["metadata"]["name"]) == n)
            .unwrap_or_else(|| panic!("no {k} {n}"))
    };
    let deployment = of_kind("Deployment")[0];
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);

    // Every volume mount, written where the container sees it.
    let mut files = Vec::new();
    let mut config_text = String::new();
    for m in container["volumeMounts"].as_sequence().unwrap() {
        let volume = pod["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v["name"] == m["name"])
            .unwrap();
        let mount = s(&m["mountPath"]);
        if let Some(name) = volume["configMap"]["name"].as_str() {
            for (k, v) in named("ConfigMap", name)["data"].as_mapping().unwrap() {
                if s(k) == "passgate.toml" {
                    config_text = s(v).to_string();
                }
                files.push((format!("{mount}/{}", s(k)), s(v).to_string()));
            }
        } else if let Some(name) = volume["secret"]["secretName"].as_str() {
            let secret = named("Secret", name);
            for item in volume["secret"]["items"].as_sequence().unwrap() {
                let value = &secret["stringData"][s(&item["key"])];
                files.push((
                    format!("{mount}/{}", s(&item["path"])),
                    s(value).to_string(),
                ));
            }
        }
    }
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(s)
        .collect();
    let config_path = args[args.iter().position(|a| *a == "--config").unwrap() + 1];
    assert_eq!(args[0], "serve");
    let (ok, out) = check_in_layout(&files, config_path);
    assert!(ok, "{out}");

    // Probes and ports agree with the configuration.
    let (listener, metrics) = ports(&config_text);
    let port_named = |n: &str| -> u64 {
        container["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .and_then(|p| p["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("no container port {n}"))
    };
    assert_eq!(port_named("http"), u64::from(listener));
    if let Some(m) = metrics {
        assert_eq!(port_named("metrics"), u64::from(m));
    }
    for (probe, path) in [
        ("livenessProbe", "/.passgate/healthz"),
        ("readinessProbe", "/.passgate/readyz"),
    ] {
        assert_eq!(s(&container[probe]["httpGet"]["path"]), path, "{probe}");
        assert_eq!(s(&container[probe]["httpGet"]["port"]), "http", "{probe}");
    }
    let service = of_kind("Service")[0];
    assert_eq!(&service["spec"]["selector"], labels);
    assert_eq!(s(&service["spec"]["ports"][0]["targetPort"]), "http");
    // Longer than the drain the configuration asks for.
    let v: toml::Value = toml::from_str(&config_text).unwrap();
    let secs = |k: &str| {
        humantime::parse_duration(v["server"][k].as_str().unwrap())
            .unwrap()
            .as_secs()
    };
    assert!(
        pod["terminationGracePeriodSeconds"].as_u64().unwrap()
            > secs("grace_period") + secs("graceful_shutdown_timeout")
    );
    // kustomization.yaml lists every other manifest.
    let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "kustomization.yaml" {
            assert!(kustomization.contains(&format!("- {name}")), "{name}");
        }
    }
}

/// Every `passgate_*` metric name in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("passgate_") {
        let before = rest[..i].chars().next_back();
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            names.push(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    names
}

/// The sample names (`name` before `{` or a space) of a Prometheus text exposition.
fn exported(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

/// Every PromQL expression of the dashboard (panel targets and template queries).
fn dashboard_exprs(dashboard: &serde_json::Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().expect("panels") {
        if p["type"] == "row" {
            continue;
        }
        let title = p["title"].as_str().unwrap_or("").to_string();
        let targets = p["targets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert!(!targets.is_empty(), "panel {title:?} has no query");
        for t in targets {
            let expr = t["expr"].as_str().unwrap_or_default();
            assert!(!expr.is_empty(), "panel {title:?}: a target without expr");
            out.push((title.clone(), expr.to_string()));
        }
    }
    for v in dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
    {
        if v["type"] == "query" {
            out.push((
                format!("variable {}", v["name"]),
                v["query"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn dashboard_and_alerts_use_only_exported_metrics() {
    use crate::support::gateway::{base_config, Gateway};
    use crate::support::{free_port, upstream};

    // A live gateway, exercised once, scraped.
    let up = upstream::start("app").await;
    let (port, metrics_port) = (free_port(), free_port());
    let config = format!(
        "{}\n[metrics]\naddress = \"127.0.0.1:{metrics_port}\"\n\n[[routes]]\nid = \"app\"\n\
         host = \"*\"\nupstream = \"{}\"\npolicy = \"authenticated\"\n",
        base_config(port),
        up.url()
    );
    let gw = Gateway::start(port, &config).await;
    let r = reqwest::get(gw.url("/")).await.unwrap();
    assert_eq!(r.status(), 401);
    let text = crate::metrics::scrape(metrics_port).await;
    let names = exported(&text);
    for f in crate::metrics::FAMILIES {
        assert!(
            names
                .iter()
                .any(|n| n == f || n.starts_with(&format!("{f}_"))),
            "{f} is not exported:\n{text}"
        );
    }

    // The dashboard.
    let path = deploy_dir().join("grafana-dashboard.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(dashboard["uid"], "passgate");
    let mut shown = std::collections::BTreeSet::new();
    for (panel, expr) in dashboard_exprs(&dashboard) {
        let used = metric_names(&expr);
        assert!(!used.is_empty(), "{panel}: no passgate metric in {expr}");
        for n in used {
            assert!(names.contains(&n), "{panel}: {n} is not exported ({expr})");
            shown.insert(n);
        }
    }
    for f in crate::metrics::FAMILIES {
        assert!(
            shown
                .iter()
                .any(|n| n == f || n.starts_with(&format!("{f}_"))),
            "the dashboard does not show {f}"
        );
    }

    // The alert rules.
    let path = deploy_dir().join("prometheus-alerts.yml");
    let rules: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut alerted = std::collections::BTreeSet::new();
    let mut alerts = Vec::new();
    for group in rules["groups"].as_sequence().expect("groups") {
        for rule in group["rules"].as_sequence().expect("rules") {
            let name = s(&rule["alert"]).to_string();
            assert!(!name.is_empty(), "a rule without a name: {rule:?}");
            let expr = s(&rule["expr"]);
            assert!(
                ["page", "warn", "info"].contains(&s(&rule["labels"]["severity"])),
                "{name}: severity"
            );
            assert!(
                !s(&rule["annotations"]["summary"]).is_empty(),
                "{name}: summary"
            );
            let used = metric_names(expr);
            assert!(
                !used.is_empty() || expr.contains("up{"),
                "{name}: no metric in {expr}"
            );
            for n in used {
                assert!(names.contains(&n), "{name}: {n} is not exported ({expr})");
                alerted.insert(n);
            }
            alerts.push(name);
        }
    }
    // What a team pages or warns on, each with a rule.
    for want in [
        "passgate_store_reachable",
        "passgate_store_errors_total",
        "passgate_revocation_lag_seconds_bucket",
        "passgate_sign_ins_total",
        "passgate_requests_total",
        "passgate_upstream_errors_total",
        "passgate_config_reloads_total",
        "passgate_mails_total",
    ] {
        assert!(alerted.contains(want), "no alert uses {want}: {alerts:?}");
    }
    drop(gw);
}
