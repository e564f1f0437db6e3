//! The Prometheus listener: `GET /metrics` counts requests by route and status class,
//! request durations by route, and upstream errors by route and kind (once per attempt);
//! and every operator family moves when its event happens, with real ceremonies (the soft
//! passkey), real SMTP, real reloads and a real store error.

use std::time::{Duration, Instant};

use crate::support::gateway::{base_config, Gateway};
use crate::support::http::{get, upstream_name};
use crate::support::{dead_url, free_port, upstream};

/// Sum of the samples of `name` whose labels include every `k="v"` in `labels`.
pub(crate) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub(crate) async fn scrape(port: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await {
            assert_eq!(r.status(), 200);
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain"));
            return r.text().await.unwrap();
        }
        assert!(Instant::now() < deadline, "metrics listener never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_count_requests_and_upstream_errors() {
    let up = upstream::start("app").await;
    let (port, metrics_port) = (free_port(), free_port());
    let dead = dead_url();
    let config = format!(
        r#"{}
[metrics]
address = "127.0.0.1:{metrics_port}"

[[routes]]
id = "m-app"
host = "app.test"
upstream = "{}"
policy = "public"
read_timeout = "200ms"

[[routes]]
id = "m-down"
host = "down.test"
upstream = "{}"
policy = "public"
"#,
        base_config(port),
        up.url(),
        dead
    );
    let gw = Gateway::start(port, &config).await;
    let before = scrape(metrics_port).await;
    assert_eq!(
        sample(&before, "passgate_requests_total", &[("route", "m-app")]),
        0.0
    );

    for _ in 0..3 {
        assert_eq!(
            upstream_name(&get(&gw, "app.test", "/", None).await.echo()),
            "app"
        );
    }
    assert_eq!(get(&gw, "app.test", "/status/404", None).await.status, 404);
    assert_eq!(get(&gw, "down.test", "/", None).await.status, 502);
    assert_eq!(
        get(&gw, "app.test", "/slow?ms=1000", None).await.status,
        504
    );

    // A request is counted in its logging phase, just after its answer is sent.
    let text = scrape_until(metrics_port, 5, "six requests", |t| {
        sample(t, "passgate_request_duration_seconds_count", &[]) >= 6.0
    })
    .await;
    let requests = |route, status| {
        sample(
            &text,
            "passgate_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("m-app", "2xx"), 3.0, "{text}");
    assert_eq!(requests("m-app", "4xx"), 1.0, "{text}");
    assert_eq!(requests("m-app", "5xx"), 1.0, "{text}");
    assert_eq!(requests("m-down", "5xx"), 1.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "passgate_request_duration_seconds_count",
            &[("route", "m-app")]
        ),
        5.0,
        "{text}"
    );
    let errors = |route, kind| {
        sample(
            &text,
            "passgate_upstream_errors_total",
            &[("route", route), ("kind", kind)],
        )
    };
    // One refused connection is one error, one read timeout another.
    assert_eq!(errors("m-down", "connect"), 1.0, "{text}");
    assert_eq!(errors("m-app", "timeout"), 1.0, "{text}");
    assert_eq!(
        sample(&text, "passgate_upstream_errors_total", &[]),
        2.0,
        "each failure counted once:\n{text}"
    );
}

/// Every family the binary exports (the deploy examples are checked against these).
pub(crate) const FAMILIES: &[&str] = &[
    "passgate_requests_total",
    "passgate_request_duration_seconds",
    "passgate_upstream_errors_total",
    "passgate_requests_by_session_total",
    "passgate_sign_ins_total",
    "passgate_bindings_total",
    "passgate_binding_links_total",
    "passgate_active_sessions",
    "passgate_store_reachable",
    "passgate_session_cache_total",
    "passgate_revocations_applied_total",
    "passgate_revocation_lag_seconds",
    "passgate_store_query_duration_seconds",
    "passgate_store_errors_total",
    "passgate_mails_total",
    "passgate_rate_limit_refusals_total",
    "passgate_config_reloads_total",
];

/// Scrapes until `ok(text)` holds (background events land within a few seconds).
async fn scrape_until(port: u16, secs: u64, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let text = scrape(port).await;
        if ok(&text) {
            return text;
        }
        assert!(Instant::now() < deadline, "{what} never moved:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

mod events {
    use std::time::Instant;

    use serde_json::{json, Value};

    use super::{sample, scrape, scrape_until, FAMILIES};
    use crate::support::authenticator::Authenticator;
    use crate::support::binding::{
        begin as bind_begin, create_job, finish as bind_finish, identity_with_email, return_link,
        token_of,
    };
    use crate::support::db::Backend;
    use crate::support::http::{send, Reply};
    use crate::support::sessions::SessionEnv;
    use crate::support::smtp::SmtpServer;
    use crate::support::{client, free_port};

    on_both_backends!(rate_limits_cost_two_store_operations_per_begin);

    /// Each `authenticate/begin` reads the failure window and counts the ceremony window:
    /// one read and one write of the `limits` family, timed by the store metrics. Prints
    /// their mean beside the whole begin's (`--nocapture`; the sweep's one write is in the
    /// write mean).
    async fn rate_limits_cost_two_store_operations_per_begin(backend: Backend) {
        let mp = free_port();
        let extra = format!("[metrics]\naddress = \"127.0.0.1:{mp}\"\n");
        let Some(env) = SessionEnv::start(backend, &extra).await else {
            return;
        };
        const N: usize = 40;
        let started = Instant::now();
        for _ in 0..N {
            let r = post(&env, "/.passgate/api/v1/authenticate/begin", json!({})).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let per_begin = started.elapsed().as_secs_f64() / N as f64;
        let t = scrape(mp).await;
        let op = |family, op, part| {
            sample(
                &t,
                &format!("passgate_store_query_duration_seconds_{part}"),
                &[("family", family), ("op", op)],
            )
        };
        assert_eq!(op("limits", "read", "count"), N as f64, "{t}");
        // And the first hit sweeps ended windows (then once a minute).
        assert_eq!(op("limits", "write", "count"), N as f64 + 1.0, "{t}");
        let mean = |family, o| op(family, o, "sum") / op(family, o, "count") * 1e3;
        println!(
            "{backend:?}: {N} begins, {:.2} ms each over HTTP; limits read {:.3} ms, limits \
             write {:.3} ms, ceremony write {:.3} ms (means)",
            per_begin * 1e3,
            mean("limits", "read"),
            mean("limits", "write"),
            mean("ceremonies", "write"),
        );
    }

    fn origin(env: &SessionEnv) -> String {
        format!("http://localhost:{}", env.api.port)
    }

    async fn post(env: &SessionEnv, path: &str, body: Value) -> Reply {
        send(client().post(env.gw().url(path)).json(&body)).await
    }

    /// Begins with `body`, answers with `device`, finishes: the finish reply.
    async fn sign_in(env: &SessionEnv, device: &mut Authenticator, body: Value) -> Reply {
        let b = post(env, "/.passgate/api/v1/authenticate/begin", body).await;
        assert_eq!(b.status, 200, "{}", b.body);
        let options = b.json();
        let credential = device.authenticate(&origin(env), &options).unwrap();
        post(
            env,
            "/.passgate/api/v1/authenticate/finish",
            json!({"ceremony": options["ceremony"], "credential": credential}),
        )
        .await
    }

    fn cookie(r: &Reply) -> String {
        let set = r.header("set-cookie");
        set.split(';')
            .next()
            .and_then(|kv| kv.strip_prefix("passgate_session="))
            .unwrap_or_else(|| panic!("no session cookie: {set}"))
            .to_string()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_operator_family_moves_with_its_event() {
        let (mp, smtp_port) = (free_port(), free_port());
        let extra = format!(
            "[metrics]\naddress = \"127.0.0.1:{mp}\"\n\n[email]\nhost = \"127.0.0.1\"\n\
             port = {smtp_port}\nsecurity = \"none\"\nfrom = \"Acme <no-reply@acme.test>\"\n\
             timeout = \"2s\"\nretry_interval = \"1s\"\n"
        );
        let env = SessionEnv::start_default_on_clock(Backend::Sqlite, &extra)
            .await
            .unwrap();
        let m = |text: &str, name: &str, labels: &[(&str, &str)]| sample(text, name, labels);

        // Every family is there before its first event, at zero.
        let t0 = scrape(mp).await;
        for f in FAMILIES {
            assert!(
                t0.lines().any(|l| l.starts_with(&format!("# TYPE {f} "))),
                "{f} missing:\n{t0}"
            );
        }
        for f in [
            "passgate_sign_ins_total",
            "passgate_bindings_total",
            "passgate_mails_total",
        ] {
            assert_eq!(m(&t0, f, &[]), 0.0, "{f}");
        }

        // A RETURN link: issued, opened, used; the binding counts as ok.
        let mut device = Authenticator::new();
        let alice = env.api.create_identity("alice").await;
        let (_, link) = return_link(&env.api, &alice).await;
        let (s, options) = bind_begin(&env.api, &token_of(&link)).await;
        assert_eq!(s, 200, "{options}");
        let credential = device.register(&origin(&env), &options).unwrap();
        let done = bind_finish(&env.api, options["ceremony"].as_str().unwrap(), &credential).await;
        assert_eq!(done.status, 200, "{}", done.body);
        // A finish for a ceremony that does not exist is the client's failure.
        let bad = bind_finish(&env.api, "no-such-ceremony", &credential).await;
        assert!(bad.status >= 400 && bad.status < 500, "{}", bad.body);
        let t = scrape(mp).await;
        let link_events = |t: &str, e| m(t, "passgate_binding_links_total", &[("event", e)]);
        assert_eq!(link_events(&t, "issued"), 1.0, "{t}");
        assert_eq!(link_events(&t, "opened"), 1.0, "{t}");
        assert_eq!(link_events(&t, "used"), 1.0, "{t}");
        assert_eq!(m(&t, "passgate_bindings_total", &[("result", "ok")]), 1.0);
        assert_eq!(
            m(&t, "passgate_bindings_total", &[("result", "rejected")]),
            1.0
        );

        // Sign-ins by method: a button, a username, autofill; and failures.
        let r = sign_in(&env, &mut device, json!({})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let token = cookie(&r);
        let r = sign_in(&env, &mut device, json!({"username": "alice"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Autofill, and its assertion replayed: the ceremony is used up (unknown).
        let b = post(
            &env,
            "/.passgate/api/v1/authenticate/begin",
            json!({"mediation": "conditional"}),
        )
        .await;
        assert_eq!(b.status, 200, "{}", b.body);
        let options = b.json();
        let assertion = device.authenticate(&origin(&env), &options).unwrap();
        let finish = json!({"ceremony": options["ceremony"], "credential": assertion});
        let r = post(
            &env,
            "/.passgate/api/v1/authenticate/finish",
            finish.clone(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = post(&env, "/.passgate/api/v1/authenticate/finish", finish).await;
        assert!(r.status >= 400 && r.status < 500, "{}", r.body);
        let r = post(
            &env,
            "/.passgate/api/v1/authenticate/begin",
            json!({"mediation": "sideways"}),
        )
        .await;
        r.assert_json_error(400, "bad_request");
        let r = post(
            &env,
            "/.passgate/api/v1/authenticate/finish",
            json!({"ceremony": "no-such-ceremony", "credential": credential}),
        )
        .await;
        assert!(r.status >= 400 && r.status < 500, "{}", r.body);
        let t = scrape(mp).await;
        let signins = |method, result| {
            m(
                &t,
                "passgate_sign_ins_total",
                &[("method", method), ("result", result)],
            )
        };
        assert_eq!(signins("usernameless", "ok"), 1.0, "{t}");
        assert_eq!(signins("username_first", "ok"), 1.0, "{t}");
        assert_eq!(signins("autofill", "ok"), 1.0, "{t}");
        // The replay, and a finish whose credential is not an assertion at all.
        assert_eq!(signins("unknown", "rejected"), 2.0, "{t}");
        assert_eq!(m(&t, "passgate_sign_ins_total", &[]), 5.0, "{t}");

        // The session cache: a token this instance has not seen misses, then hits.
        let cache = |t: &str, r| m(t, "passgate_session_cache_total", &[("result", r)]);
        let (_, other) = env.sign_in("bob").await;
        let before = scrape(mp).await;
        assert_eq!(env.get(&other).await.status, 200);
        assert_eq!(env.get(&other).await.status, 200);
        let t = scrape(mp).await;
        assert_eq!(cache(&t, "miss") - cache(&before, "miss"), 1.0, "{t}");
        assert_eq!(cache(&t, "hit") - cache(&before, "hit"), 1.0, "{t}");

        assert_eq!(m(&t, "passgate_store_reachable", &[]), 1.0, "{t}");

        // Active sessions: the binding's, three sign-ins, bob's (read every 5 s).
        scrape_until(mp, 12, "passgate_active_sessions", |t| {
            m(t, "passgate_active_sessions", &[]) == 5.0
        })
        .await;

        // Signing out writes a revocation; the feed applies it with its lag.
        let r = send(
            client()
                .delete(env.gw().url("/.passgate/api/v1/session"))
                .header("cookie", format!("passgate_session={token}")),
        )
        .await;
        assert!(r.status < 300, "{}", r.body);
        let t = scrape_until(mp, 5, "passgate_revocations_applied_total", |t| {
            m(
                t,
                "passgate_revocations_applied_total",
                &[("kind", "session")],
            ) == 1.0
        })
        .await;
        assert_eq!(
            m(&t, "passgate_revocation_lag_seconds_count", &[]),
            1.0,
            "{t}"
        );
        let lag = m(&t, "passgate_revocation_lag_seconds_sum", &[]);
        assert!((0.0..3.0).contains(&lag), "lag {lag}");
        scrape_until(mp, 12, "passgate_active_sessions after sign-out", |t| {
            m(t, "passgate_active_sessions", &[]) == 4.0
        })
        .await;

        // Mail: the SMTP server is down (failed), then up (the retry is sent).
        let carol = identity_with_email(&env.api, "carol", "carol@acme.test").await;
        let (s, v) = create_job(&env.api, &carol, json!({"delivery_method": "EMAIL"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            v["credential_binding_job"]["state"], "FAILED_TO_SEND",
            "{v}"
        );
        let t = scrape(mp).await;
        // The first attempt, at least (the background retry may have failed too).
        assert!(
            m(&t, "passgate_mails_total", &[("result", "failed")]) >= 1.0,
            "{t}"
        );
        assert_eq!(
            m(&t, "passgate_mails_total", &[("result", "sent")]),
            0.0,
            "{t}"
        );
        let smtp = SmtpServer::start(smtp_port).await;
        smtp.wait_for(1, 20).await;
        scrape_until(mp, 5, "passgate_mails_total{result=\"sent\"}", |t| {
            m(t, "passgate_mails_total", &[("result", "sent")]) == 1.0
        })
        .await;

        // Reloads: the same file (ok), then a broken one (refused).
        let reloads = |t: &str, r| m(t, "passgate_config_reloads_total", &[("result", r)]);
        env.gw().write_config(&env.config_text);
        env.gw().signal(nix::sys::signal::Signal::SIGHUP);
        scrape_until(mp, 10, "reloads ok", |t| reloads(t, "ok") == 1.0).await;
        env.gw().write_config("public_url = 5\n");
        env.gw().signal(nix::sys::signal::Signal::SIGHUP);
        let t = scrape_until(mp, 10, "reloads refused", |t| reloads(t, "refused") == 1.0).await;
        assert_eq!(reloads(&t, "ok"), 1.0);
        env.gw().write_config(&env.config_text);

        // Store queries are timed by family and op.
        assert!(
            m(
                &t,
                "passgate_store_query_duration_seconds_count",
                &[("family", "ceremonies"), ("op", "write")]
            ) >= 8.0,
            "{t}"
        );
        assert!(
            m(
                &t,
                "passgate_store_query_duration_seconds_count",
                &[("family", "sessions"), ("op", "read")]
            ) >= 1.0
        );
        assert_eq!(m(&t, "passgate_store_errors_total", &[]), 0.0, "{t}");

        // A link presented after its expiry.
        let (_, late) = return_link(&env.api, &carol).await;
        env.clock().advance_secs(40 * 24 * 3600);
        let (s, v) = bind_begin(&env.api, &token_of(&late)).await;
        assert_eq!(s, 410, "{v}");
        let t = scrape(mp).await;
        assert_eq!(link_events(&t, "expired"), 1.0, "{t}");
        assert_eq!(link_events(&t, "issued"), 3.0, "{t}");

        // Rate-limit refusals by limit: ceremony requests from one address.
        let mut refused = false;
        for _ in 0..70 {
            let r = post(&env, "/.passgate/api/v1/authenticate/begin", json!({})).await;
            if r.status == 429 {
                refused = true;
                break;
            }
            assert_eq!(r.status, 200, "{}", r.body);
        }
        assert!(refused, "no 429 within 70 requests");
        let t = scrape(mp).await;
        let refusals = |t: &str, l| m(t, "passgate_rate_limit_refusals_total", &[("limit", l)]);
        assert_eq!(refusals(&t, "ceremony"), 1.0, "{t}");
        assert_eq!(refusals(&t, "sign_in_failures"), 0.0, "{t}");

        // A store error: the limits' table is gone (dropped behind passgate's back).
        let url = env.api.db.url.clone();
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE rate_limits")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let r = post(&env, "/.passgate/api/v1/authenticate/begin", json!({})).await;
        assert_eq!(r.status, 500, "{}", r.body);
        let t = scrape(mp).await;
        assert!(
            m(
                &t,
                "passgate_store_errors_total",
                &[("family", "limits"), ("kind", "database")]
            ) >= 1.0,
            "{t}"
        );
    }
}

/// `passgate_store_reachable` follows the store (PostgreSQL through a real TCP relay that is
/// cut, then restored), and the failed operations count as `unavailable` store errors.
/// Skipped without `PASSGATE_TEST_POSTGRES_URL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_reachable_and_unavailable_errors_follow_the_store() {
    use crate::support::db::TestDb;
    use crate::support::relay::Relay;

    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let (mut relay, relayed) = Relay::to_postgres(&db.url).await;
    let (port, mp) = (free_port(), free_port());
    let config = format!(
        "{}\n[store]\nurl = \"{relayed}\"\nconnect_timeout = \"1s\"\n\n[metrics]\n\
         address = \"127.0.0.1:{mp}\"\n",
        base_config(port)
    );
    let _gw = Gateway::start(port, &config).await;
    let reachable = |t: &str| sample(t, "passgate_store_reachable", &[]);
    let unavailable =
        |t: &str| sample(t, "passgate_store_errors_total", &[("kind", "unavailable")]);
    let t = scrape_until(mp, 5, "store reachable", |t| reachable(t) == 1.0).await;
    assert_eq!(unavailable(&t), 0.0, "{t}");

    relay.cut();
    let t = scrape_until(mp, 15, "store unreachable", |t| reachable(t) == 0.0).await;
    assert!(unavailable(&t) >= 1.0, "{t}");

    relay.restore().await;
    scrape_until(mp, 15, "store reachable again", |t| reachable(t) == 1.0).await;
}
