//! SIGHUP reload: a valid file swaps the routing table without dropping an in-flight
//! request; an invalid one is refused with `check`'s messages and the old config serves on.

use nix::sys::signal::Signal;

use crate::support::gateway::{base_config, check, problem_lines, Gateway};
use crate::support::http::{get, spawn_get, upstream_name};
use crate::support::{free_port, upstream};

fn config(port: u16, routes: &[(&str, &str)]) -> String {
    let mut c = base_config(port);
    for (prefix, url) in routes {
        c.push_str(&format!(
            "\n[[routes]]\nhost = \"*\"\npath_prefix = \"{prefix}\"\nupstream = \"{url}\"\npolicy = \"public\"\n"
        ));
    }
    c
}

#[tokio::test]
async fn sighup_swaps_routes_and_refuses_a_broken_file() {
    let old = upstream::start("old").await;
    let new = upstream::start("new").await;
    let port = free_port();
    let mut gw = Gateway::start(
        port,
        &config(port, &[("/old", &old.url()), ("/slow", &old.url())]),
    )
    .await;
    assert_eq!(
        upstream_name(&get(&gw, "a.test", "/old", None).await.echo()),
        "old"
    );

    // A slow request in flight on the old config...
    let slow_url = format!("http://127.0.0.1:{port}/slow?ms=1500");
    let in_flight = spawn_get(slow_url);
    old.wait_for_slow(1).await;

    // ...while the new file drops both of its routes and adds /new.
    gw.write_config(&config(port, &[("/new", &new.url())]));
    gw.signal(Signal::SIGHUP);
    gw.wait_for_log("configuration reloaded", 10).await;
    // The control plane sees the new config too.
    let ready = get(&gw, "a.test", "/.passgate/readyz", None).await.json();
    assert_eq!(ready["routes"], 1, "{ready}");
    assert_eq!(
        upstream_name(&get(&gw, "a.test", "/new/x", None).await.echo()),
        "new"
    );
    get(&gw, "a.test", "/old", None)
        .await
        .assert_json_error(404, "no_route");
    assert_eq!(
        in_flight.await.unwrap(),
        (200, "slow done".to_string()),
        "the in-flight request was dropped"
    );

    // A broken file: refused with the same problems `check` reports.
    let broken = format!(
        "{}\ncolour = \"blue\"\n[[routes]]\nhost = \"*\"\nupstream = \"ftp://x\"\nread_timeout = \"soon\"\n",
        config(port, &[("/new", &new.url())])
    );
    gw.write_config(&broken);
    let (ok, _, report) = check(&gw.config_path);
    assert!(!ok);
    let problems = problem_lines(&report);
    assert!(problems.len() >= 2, "{report}");
    gw.signal(Signal::SIGHUP);
    gw.wait_for_log("still serving the previous configuration", 10)
        .await;
    let log = gw.log();
    for p in &problems {
        assert!(log.contains(p.as_str()), "log lacks {p:?}:\n{log}");
    }
    assert_eq!(log.matches("configuration reloaded").count(), 1);
    assert_eq!(
        upstream_name(&get(&gw, "a.test", "/new", None).await.echo()),
        "new"
    );
    assert!(gw.child.try_wait().unwrap().is_none(), "the gateway exited");
}
