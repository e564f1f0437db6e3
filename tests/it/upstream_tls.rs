//! `https://` upstreams: verified against `tls_ca_file`, refused (502) for an unknown CA
//! or a name mismatch, `tls_server_name` overriding SNI and verification name, and
//! `tls_verify = false` accepting any certificate.

use crate::support::gateway::Gateway;
use crate::support::http::{get, upstream_name};
use crate::support::tls::TestCa;
use crate::support::upstream;

#[tokio::test]
async fn https_upstreams_verify_against_the_configured_ca() {
    let ca = TestCa::new("upstream CA");
    let leaf = ca.leaf(&["localhost", "upstream.internal"]);
    let up = upstream::start_tls("secure", &leaf.cert_pem, &leaf.key_pem).await;
    let ca_dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write_pem(ca_dir.path(), "ca.pem");
    let (by_name, by_ip) = (up.https_url("localhost"), up.https_url("127.0.0.1"));
    let gw = Gateway::with_routes(&format!(
        r#"
[[routes]]
host = "ca.test"
upstream = "{by_name}"
policy = "public"
tls_ca_file = "{ca}"

[[routes]]
host = "override.test"
upstream = "{by_ip}"
policy = "public"
tls_ca_file = "{ca}"
tls_server_name = "upstream.internal"

[[routes]]
id = "wrong-name"
host = "wrongname.test"
upstream = "{by_ip}"
policy = "public"
tls_ca_file = "{ca}"

[[routes]]
id = "unknown-ca"
host = "noca.test"
upstream = "{by_name}"
policy = "public"

[[routes]]
host = "noverify.test"
upstream = "{by_ip}"
policy = "public"
tls_verify = false
"#,
        ca = ca_file.display()
    ))
    .await;

    for host in ["ca.test", "override.test", "noverify.test"] {
        let echo = get(&gw, host, "/x", None).await.echo();
        assert_eq!(upstream_name(&echo), "secure", "{host}");
    }
    for host in ["noca.test", "wrongname.test"] {
        get(&gw, host, "/x", None)
            .await
            .assert_json_error(502, "upstream_unavailable");
    }
    // The verified routes keep working after the failures.
    assert_eq!(get(&gw, "ca.test", "/", None).await.status, 200);
}
