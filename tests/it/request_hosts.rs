//! The host routes are matched on: an absolute-form target without `Host` is routed by
//! its authority (not by `""` into the `*` route), an HTTP/1.1 request with no host at
//! all is refused, and `Host: name.` (one trailing dot, which nginx and Apache strip) is
//! `name`. Written on raw sockets: clients always send `Host`.

use crate::support::gateway::Gateway;
use crate::support::raw::exchange;
use crate::support::upstream;

#[tokio::test]
async fn hosts_are_read_from_the_target_and_without_a_trailing_dot() {
    let up = upstream::start("app").await;
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "admin.test"
upstream = "{u}"
policy = "authenticated"

[[routes]]
host = "*"
upstream = "{u}"
policy = "public"
"#,
        u = up.url()
    ))
    .await;
    let send = |head: String| async move { exchange(gw.port, &head).await };
    let json = "Accept: application/json";

    // Baselines.
    send(format!("GET /x HTTP/1.1\r\nHost: admin.test\r\n{json}"))
        .await
        .assert_json_error(401, "unauthorized");
    send(format!("GET /x HTTP/1.1\r\nHost: public.test\r\n{json}"))
        .await
        .echo();

    // Absolute-form, no Host: the target's authority is the host.
    send(format!("GET http://admin.test/x HTTP/1.1\r\n{json}"))
        .await
        .assert_json_error(401, "unauthorized");
    send(format!("GET http://ADMIN.test:8080/x HTTP/1.1\r\n{json}"))
        .await
        .assert_json_error(401, "unauthorized");
    let echo = send(format!("GET http://other.test/y?z=1 HTTP/1.1\r\n{json}"))
        .await
        .echo();
    assert_eq!(echo["path"], "/y");
    assert_eq!(echo["headers"]["host"][0], "other.test");
    assert_eq!(echo["headers"]["x-forwarded-host"][0], "other.test");

    // No host at all: refused on HTTP/1.1; HTTP/1.0 has only the `*` routes.
    send(format!("GET /x HTTP/1.1\r\n{json}"))
        .await
        .assert_json_error(400, "bad_host");
    send(format!("GET /x HTTP/1.0\r\n{json}")).await.echo();

    // One trailing dot names the same host; more, or only dots, are refused.
    for host in ["admin.test.", "Admin.Test.", "admin.test.:8080"] {
        send(format!("GET /x HTTP/1.1\r\nHost: {host}\r\n{json}"))
            .await
            .assert_json_error(401, "unauthorized");
    }
    send(format!("GET http://admin.test./x HTTP/1.1\r\n{json}"))
        .await
        .assert_json_error(401, "unauthorized");
    for host in ["admin.test..", ".", "...:8080"] {
        send(format!("GET /x HTTP/1.1\r\nHost: {host}\r\n{json}"))
            .await
            .assert_json_error(400, "bad_host");
    }
}
