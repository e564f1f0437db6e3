//! Forward-auth: `/.passgate/verify` asked directly (Traefik/Caddy headers), and through a
//! real nginx (`auth_request`) and a real Caddy (`forward_auth`) fronting the echo upstream
//! with the configs of docs/forward-auth.md. Without the server installed its test prints
//! "skipped", unless `PASSGATE_REQUIRE_FORWARD_AUTH=1`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::policy_rules::token;
use crate::support::db::Backend;
use crate::support::http::{echoed, echoed_one, send};
use crate::support::sessions::SessionEnv;
use crate::support::{client, free_port};

pub const ROUTES: &str = r#"
[[routes]]
host = "*"
path_prefix = "/admin"
upstream = "{u}"
allow_users = ["bob"]

[[routes]]
host = "*"
path_prefix = "/pub"
upstream = "{u}"
policy = "public"

[[routes]]
host = "*"
upstream = "{u}"
headers = { preset = ["passgate", "authelia"] }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_answers_with_the_route_policy() {
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &["staff"], 0);
    let ask = |method: &str, uri: &str, tok: Option<&str>| {
        let mut r = client()
            .get(env.gw().url("/.passgate/verify?rd=1"))
            .header("X-Forwarded-Method", method)
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "app.test")
            .header("X-Forwarded-Uri", uri)
            .header("accept", "text/html");
        if let Some(t) = tok {
            r = r.header("cookie", format!("passgate_session={t}"));
        }
        r
    };
    let r = send(ask("GET", "/x", Some(&zoe))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-passgate-user"), "zoe");
    assert_eq!(r.header("remote-user"), "zoe");
    assert_eq!(r.header("remote-groups"), "staff");
    let r = send(ask("GET", "/admin", Some(&zoe))).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("zoe"));
    let r = send(ask("GET", "/pub/a", None)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-passgate-user"), "");
    // Not signed in: a browser navigation asked with ?rd=1 is sent to sign in…
    let r = send(ask("GET", "/x?y=1", None)).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(
        r.header("location"),
        "https://app.test/.passgate/login?rd=https%3A%2F%2Fapp.test%2Fx%3Fy%3D1"
    );
    // …anything else gets 401.
    let r = send(ask("POST", "/x", None)).await;
    r.assert_json_error(401, "unauthorized");
}

/// `nginx` from PATH or /usr/sbin.
pub fn nginx_binary() -> Option<String> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .map(str::to_string)
}

/// nginx running [`nginx_conf`] on `port` (its files in `dir`), stopped on drop.
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// Starts nginx with [`nginx_conf`] for passgate on `gw` and the app at `app`, on a free
/// port; returns once it accepts connections (5 s at most).
pub async fn start_nginx(bin: &str, gw: u16, app: &str) -> Nginx {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, nginx_conf(dir.path(), port, gw, app)).unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let nginx = Nginx { child, port, dir };
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return nginx;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(nginx.dir.path().join("error.log")).unwrap_or_default();
    panic!("nginx did not start: {log}");
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The nginx config of docs/forward-auth.md, on `port`, for passgate at `gw` and the app at
/// `app`.
fn nginx_conf(dir: &Path, port: u16, gw: u16, app: &str) -> String {
    let d = dir.display();
    format!(
        r#"daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        # passgate's own pages (sign-in, sign-out) on the app's host.
        location /.passgate/ {{
            proxy_pass http://127.0.0.1:{gw};
            proxy_set_header Host $http_host;
        }}
        location = /_passgate_verify {{
            internal;
            proxy_pass http://127.0.0.1:{gw}/.passgate/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
            proxy_set_header X-Original-Method $request_method;
        }}
        location @passgate_login {{
            return 302 /.passgate/login?rd=$scheme://$http_host$request_uri;
        }}
        location / {{
            auth_request /_passgate_verify;
            error_page 401 = @passgate_login;
            auth_request_set $pg_user $upstream_http_x_passgate_user;
            auth_request_set $pg_email $upstream_http_x_passgate_email;
            auth_request_set $pg_groups $upstream_http_x_passgate_groups;
            auth_request_set $pg_identity $upstream_http_x_passgate_identity;
            # Always set (empty = not sent): a client's own copies never pass.
            proxy_set_header X-Passgate-User $pg_user;
            proxy_set_header X-Passgate-Email $pg_email;
            proxy_set_header X-Passgate-Groups $pg_groups;
            proxy_set_header X-Passgate-Identity $pg_identity;
            proxy_pass {app};
        }}
    }}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_auth_request_fronts_the_app() {
    let Some(bin) = nginx_binary() else {
        if std::env::var("PASSGATE_REQUIRE_FORWARD_AUTH").as_deref() == Ok("1") {
            panic!("nginx is not installed and PASSGATE_REQUIRE_FORWARD_AUTH=1");
        }
        println!("skipped: nginx is not installed");
        return;
    };
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &["staff", "ops"], 0);
    let nginx = start_nginx(&bin, env.api.port, &env.upstream.url()).await;
    let port = nginx.port;
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");

    // Signed in: the app gets the identity from passgate, never the client's.
    let r = send(
        client()
            .get(url("/page"))
            .header("cookie", format!("passgate_session={zoe}"))
            .header("X-Passgate-User", "mallory"),
    )
    .await;
    let echo = r.echo();
    assert_eq!(echoed_one(&echo, "x-passgate-user"), "zoe");
    assert_eq!(echoed_one(&echo, "x-passgate-groups"), "staff,ops");
    assert_eq!(echoed_one(&echo, "x-passgate-email"), "zoe@example.com");
    // Underscore spellings: nginx's default (`underscores_in_headers off`) drops them.
    let echo = send(
        client()
            .get(url("/page"))
            .header("cookie", format!("passgate_session={zoe}"))
            .header("X_Passgate_User", "mallory")
            .header("x-passgate_groups", "admins"),
    )
    .await
    .echo();
    let names: Vec<&String> = echo["headers"].as_object().unwrap().keys().collect();
    assert!(
        names.iter().all(|n| !n.contains('_')),
        "an underscore copy reached the app: {names:?}"
    );

    // Not allowed: nginx answers 403.
    let r = send(
        client()
            .get(url("/admin"))
            .header("cookie", format!("passgate_session={zoe}")),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Not signed in: 302 to passgate's sign-in page on the same host.
    let r = send(
        client()
            .get(url("/page?a=1"))
            .header("X-Passgate-User", "mallory"),
    )
    .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let loc = r.header("location");
    assert!(loc.contains("/.passgate/login?rd="), "{loc}");

    // Public paths pass, with no identity and no spoofed one.
    let echo = send(
        client()
            .get(url("/pub/x"))
            .header("X-Passgate-User", "mallory"),
    )
    .await
    .echo();
    assert!(echoed(&echo, "x-passgate-user").is_empty(), "{echo}");

    // A client's own X-Forwarded-* pass through nginx into the auth request: naming a
    // public path, or another method, they conflict with nginx's X-Original-* and the
    // request is refused (nginx answers 500 to a 400 from auth_request), never proxied.
    for (name, value) in [
        ("X-Forwarded-Uri", "/pub/x"),
        ("X-Forwarded-Method", "OPTIONS"),
        ("X-Forwarded-Host", "elsewhere.test"),
    ] {
        let r = send(
            client()
                .get(url("/admin"))
                .header("cookie", format!("passgate_session={zoe}"))
                .header(name, value),
        )
        .await;
        assert_eq!(r.status, 500, "{name}: {}", r.body);
        assert!(!r.body.contains("\"upstream\""), "{name}: {}", r.body);
    }
    // A path upstreams normalise to /admin meets the /admin route.
    let r = send(
        client()
            .get(url("/%61dmin;x/y"))
            .header("cookie", format!("passgate_session={zoe}")),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // passgate's own pages through nginx.
    let r = send(client().get(url("/.passgate/healthz"))).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

struct Caddy(Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The Caddyfile of docs/forward-auth.md on `port`, for passgate at `gw` and the app at
/// `app` (host:port).
fn caddyfile(port: u16, gw: u16, app: &str) -> String {
    format!(
        r#"{{
    admin off
    auto_https off
}}
http://127.0.0.1:{port} {{
    handle /.passgate/* {{
        reverse_proxy 127.0.0.1:{gw}
    }}
    # `route` keeps this order: strip the client's copies, ask passgate, proxy.
    route {{
        request_header -X-Passgate-*
        request_header -X_Passgate_*
        request_header -X-Passgate_*
        request_header -X_Passgate-*
        forward_auth 127.0.0.1:{gw} {{
            uri /.passgate/verify?rd=1
            copy_headers X-Passgate-User X-Passgate-Email X-Passgate-Groups X-Passgate-Identity
        }}
        reverse_proxy {app}
    }}
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_forward_auth_fronts_the_app() {
    let Some(bin) = ["/usr/bin/caddy", "/usr/local/bin/caddy"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        if std::env::var("PASSGATE_REQUIRE_FORWARD_AUTH").as_deref() == Ok("1") {
            panic!("caddy is not installed and PASSGATE_REQUIRE_FORWARD_AUTH=1");
        }
        println!("skipped: caddy is not installed");
        return;
    };
    let Some(env) = SessionEnv::start_routes(Backend::Sqlite, "", ROUTES).await else {
        return;
    };
    let ring = env.ring().await;
    let zoe = token(&env, &ring, "zoe", "zoe@example.com", &["staff"], 0);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let file = dir.path().join("Caddyfile");
    let app = env.upstream.url().trim_start_matches("http://").to_string();
    std::fs::write(&file, caddyfile(port, env.api.port, &app)).unwrap();
    let _caddy = Caddy(
        Command::new(bin)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start caddy"),
    );
    let url = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let mut up = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "caddy did not start");

    let echo = send(
        client()
            .get(url("/page"))
            .header("cookie", format!("passgate_session={zoe}"))
            .header("X-Passgate-User", "mallory"),
    )
    .await
    .echo();
    assert_eq!(echoed(&echo, "x-passgate-user"), vec!["zoe".to_string()]);
    assert_eq!(echoed_one(&echo, "x-passgate-groups"), "staff");
    // Underscore spellings (one variable to Rack, uWSGI, CGI) never reach the app either.
    let echo = send(
        client()
            .get(url("/page"))
            .header("cookie", format!("passgate_session={zoe}"))
            .header("X_Passgate_User", "mallory")
            .header("x_passgate_groups", "admins")
            .header("x-passgate_email", "ceo@corp")
            .header("X_Passgate-Identity", "id_ceo"),
    )
    .await
    .echo();
    let names: Vec<&String> = echo["headers"].as_object().unwrap().keys().collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("x_passgate") && !n.starts_with("x-passgate_")),
        "an underscore copy reached the app: {names:?}"
    );

    let r = send(
        client()
            .get(url("/admin"))
            .header("cookie", format!("passgate_session={zoe}")),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Not signed in, a browser: passgate's 302 reaches the client.
    let r = send(client().get(url("/page")).header("accept", "text/html")).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(
        r.header("location").contains("/.passgate/login?rd="),
        "{:?}",
        r.headers
    );
    let r = send(client().get(url("/page"))).await;
    assert_eq!(r.status, 401, "{}", r.body);

    let echo = send(
        client()
            .get(url("/pub/x"))
            .header("X-Passgate-User", "mallory"),
    )
    .await
    .echo();
    // The client's copy never passes. (Caddy 2.6's `copy_headers` sends its unreplaced
    // placeholder when passgate's 200 has no identity; see docs/forward-auth.md.)
    let seen = echoed(&echo, "x-passgate-user");
    assert!(seen.iter().all(|v| v != "mallory"), "{echo}");

    // Caddy passes a client's X-Original-URL through to passgate next to its own
    // X-Forwarded-*: pointing at a public path (or naming another method), it would have
    // had a protected page judged as public. Refused, and Caddy hands the 400 over.
    for (name, value, cookie) in [
        (
            "X-Original-URL",
            format!("http://127.0.0.1:{port}/pub/x"),
            None,
        ),
        (
            "X-Original-URL",
            format!("http://127.0.0.1:{port}/page"),
            Some(&zoe),
        ),
        ("X-Original-Method", "GET".to_string(), None),
    ] {
        let mut req = client()
            .request(
                reqwest::Method::from_bytes(b"PUT").unwrap(),
                url(if cookie.is_some() { "/admin" } else { "/page" }),
            )
            .header(name, value.as_str());
        if let Some(t) = cookie {
            req = req.header("cookie", format!("passgate_session={t}"));
        }
        let r = send(req).await;
        assert_eq!(r.status, 400, "{name}: {value}: {}", r.body);
        assert!(!r.body.contains("\"upstream\""), "{}", r.body);
    }
    // The same request without the forged header is challenged, not refused.
    let r = send(client().put(url("/page"))).await;
    assert_eq!(r.status, 401, "{}", r.body);
}
