//! A person at a browser, for the recipe tests: a passkey of their own (the software
//! authenticator), bound through a credential binding link and used to sign in on
//! passgate's ceremony API, and a cookie jar (passgate's session cookie and the app's own),
//! so the app's session lives across requests as it would in a browser.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::json;

use crate::support::admin::{realm_path, AdminApi};
use crate::support::authenticator::Authenticator;
use crate::support::binding::{
    begin as bind_begin, finish as bind_finish, identity_with_email, return_link, token_of,
};
use crate::support::client;
use crate::support::http::{send, Reply};
use crate::support::sessions::{token_in_set_cookie, SessionEnv};

pub struct Visitor {
    /// Where requests go: `http://host:port` (passgate, or a proxy in front of it).
    pub base: String,
    pub identity_id: String,
    device: Authenticator,
    cookies: BTreeMap<String, String>,
}

impl Visitor {
    /// Creates `username` (email `username@example.com`) in the gateway's directory, puts
    /// them in `groups`, binds a passkey through a binding link and signs in with it.
    pub async fn enrolled(env: &SessionEnv, username: &str, groups: &[&str]) -> Visitor {
        let api = &env.api;
        let id = identity_with_email(api, username, &format!("{username}@example.com")).await;
        for g in groups {
            join_group(api, g, &id).await;
        }
        let mut device = Authenticator::new();
        let (_, link) = return_link(api, &id).await;
        let (s, options) = bind_begin(api, &token_of(&link)).await;
        assert_eq!(s, 200, "{options}");
        let credential = device
            .register(&origin(env), &options)
            .expect("register the passkey");
        let done = bind_finish(api, options["ceremony"].as_str().unwrap(), &credential).await;
        assert_eq!(done.status, 200, "{}", done.body);
        let mut v = Visitor {
            base: env.gw().url("").trim_end_matches('/').to_string(),
            identity_id: id,
            device,
            cookies: BTreeMap::new(),
        };
        v.sign_in(env).await;
        v
    }

    /// Someone with no passgate session (and no passkey) at `base`.
    pub fn anonymous(base: &str) -> Visitor {
        Visitor {
            base: base.trim_end_matches('/').to_string(),
            identity_id: String::new(),
            device: Authenticator::new(),
            cookies: BTreeMap::new(),
        }
    }

    /// A usernameless passkey sign-in on passgate: the jar gets a new session cookie.
    pub async fn sign_in(&mut self, env: &SessionEnv) {
        let begin = send(
            client()
                .post(env.gw().url("/.passgate/api/v1/authenticate/begin"))
                .json(&json!({})),
        )
        .await;
        assert_eq!(begin.status, 200, "{}", begin.body);
        let options = begin.json();
        let credential = self
            .device
            .authenticate(&origin(env), &options)
            .expect("sign in with the passkey");
        let finish = send(
            client()
                .post(env.gw().url("/.passgate/api/v1/authenticate/finish"))
                .json(&json!({"ceremony": options["ceremony"], "credential": credential})),
        )
        .await;
        assert_eq!(finish.status, 200, "{}", finish.body);
        assert_eq!(finish.json()["identity"]["id"], self.identity_id.as_str());
        let token = token_in_set_cookie(finish.header("set-cookie"));
        self.cookies.insert("passgate_session".into(), token);
    }

    /// passgate's session token.
    pub fn token(&self) -> &str {
        &self.cookies["passgate_session"]
    }

    /// Replaces passgate's session cookie (e.g. with another user's), keeping the app's.
    pub fn set_token(&mut self, token: &str) {
        self.cookies
            .insert("passgate_session".into(), token.to_string());
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request(Method::GET, path, &[], None).await
    }

    /// Sends with the jar's cookies and `headers`; `body` is (content type, bytes). Keeps
    /// the cookies the answer sets (and forgets those it clears).
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let mut req = client()
            .request(method, format!("{}{path}", self.base))
            .header("accept", "text/html,application/json;q=0.9,*/*;q=0.8");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", jar.join("; "));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", ct).body(bytes);
        }
        let reply = send(req).await;
        self.keep_cookies(&reply);
        reply
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for set in reply.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap_or_default();
            let pair = set.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let lower = set.to_ascii_lowercase();
            let cleared = value.is_empty()
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970");
            if cleared {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.trim().to_string());
            }
        }
    }
}

fn origin(env: &SessionEnv) -> String {
    format!("http://localhost:{}", env.api.port)
}

/// Adds identity `id` to the group named `name`, creating the group when there is none.
pub async fn join_group(api: &AdminApi, name: &str, id: &str) {
    match group_id(api, name).await {
        Some(group) => {
            let (s, v) = api
                .post(
                    &realm_path(&format!("/groups/{group}:addMembers")),
                    json!({"identity_ids": [id]}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
        None => {
            let (s, v) = api
                .post(
                    &realm_path("/groups"),
                    json!({"group": {"display_name": name}, "identity_ids": [id]}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    }
}

/// Takes identity `id` out of the group named `name`.
pub async fn leave_group(api: &AdminApi, name: &str, id: &str) {
    let group = group_id(api, name).await.expect("the group exists");
    let (s, v) = api
        .post(
            &realm_path(&format!("/groups/{group}:deleteMembers")),
            json!({"identity_ids": [id]}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}

async fn group_id(api: &AdminApi, name: &str) -> Option<String> {
    let (s, v) = api.get(&realm_path("/groups?page_size=200")).await;
    assert_eq!(s, 200, "{v}");
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["display_name"] == name)
        .and_then(|g| g["id"].as_str().map(str::to_string))
}

/// The text of an HTML page with `&#34;`, `&#39;`, `&quot;` and `&amp;` decoded (enough to
/// read JSON a page shows).
pub fn unescaped(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// `GET url` straight to the app (not through passgate) with `headers`.
pub async fn direct(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = client()
        .get(url)
        .header("accept", "text/html,application/json;q=0.9");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(req).await
}
