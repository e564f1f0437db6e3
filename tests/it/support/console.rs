//! A console user for tests: a session cookie and the console's CSRF cookie, GETs and
//! URL-encoded form posts as a browser on the console's pages sends them; and an
//! environment with an admin (`alice`, in `passgate-admins`) and a non-admin (`bob`).

use serde_json::{json, Value};

use super::admin::realm_path;
use super::client;
use super::db::Backend;
use super::http::{send, Reply};
use super::sessions::SessionEnv;

pub const XSS: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";

/// A browser of one user: its session token and the console's CSRF cookie once seen.
pub struct Browser<'a> {
    env: &'a SessionEnv,
    pub session: Option<String>,
    pub csrf: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(env: &'a SessionEnv, session: Option<String>) -> Self {
        Browser {
            env,
            session,
            csrf: None,
        }
    }

    fn cookies(&self) -> String {
        let mut c = Vec::new();
        if let Some(s) = &self.session {
            c.push(format!("passgate_session={s}"));
        }
        if let Some(t) = &self.csrf {
            c.push(format!("passgate_console_csrf={t}"));
        }
        c.join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let reply = send(
            client()
                .get(self.env.gw().url(&format!("/.passgate/console{path}")))
                .header("cookie", self.cookies()),
        )
        .await;
        for v in reply.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix("passgate_console_csrf=") {
                self.csrf = Some(rest.split(';').next().unwrap().to_string());
            }
        }
        reply
    }

    /// Posts `fields` (URL-encoded) as the console's forms do, from the same origin.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.post_with(path, fields, &[("sec-fetch-site", "same-origin")])
            .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut req = client()
            .post(self.env.gw().url(&format!("/.passgate/console{path}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.cookies())
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        send(req).await
    }

    pub fn token(&self) -> &str {
        self.csrf.as_deref().expect("a CSRF cookie")
    }
}

/// An environment with `alice` in `passgate-admins` and `bob` in no group.
pub async fn env_with_admin() -> (SessionEnv, String, String, String, String) {
    env_with_admin_and("").await
}

/// [`env_with_admin`] with `extra` TOML in the config (e.g. an `[email]` section).
pub async fn env_with_admin_and(extra: &str) -> (SessionEnv, String, String, String, String) {
    let env = SessionEnv::start(Backend::Sqlite, extra).await.unwrap();
    let (alice, alice_token) = env.sign_in("alice").await;
    let (bob, bob_token) = env.sign_in("bob").await;
    let (s, v) = env
        .api
        .post(
            &realm_path("/groups"),
            json!({"group": {"display_name": "passgate-admins"}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let gid = v["id"].as_str().unwrap();
    let (s, v) = env
        .api
        .post(
            &realm_path(&format!("/groups/{gid}:addMembers")),
            json!({"identity_ids": [alice]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (env, alice, alice_token, bob, bob_token)
}

pub async fn find(env: &SessionEnv, username: &str) -> Value {
    let filter = format!("traits.username eq \"{username}\"");
    let q: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    let (s, v) = env
        .api
        .get(&realm_path(&format!("/identities?filter={q}")))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

pub async fn events(env: &SessionEnv) -> Vec<Value> {
    let (s, v) = env.api.get(&realm_path("/events?page_size=200")).await;
    assert_eq!(s, 200, "{v}");
    v["events"].as_array().cloned().unwrap_or_default()
}
