//! `GET /.passgate/oidc/authorize`: the authorization endpoint (code flow). An unknown
//! client or a `redirect_uri` that is not exactly one of the client's is answered here
//! (JSON `invalid_request`, never a redirect); every later refusal goes back to the
//! client's redirect URI with `error`, `state` and `iss`. Not signed in (or `prompt=login`,
//! or `max_age` passed): the hosted sign-in page, then back here; `prompt=none` then answers
//! `login_required`. First-party clients skip consent.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::{json_error, redirect_error, redirect_with};
use super::params::query_params;
use crate::control::state::ControlState;
use crate::control::web;
use crate::idm::oidc::grants::{pkce_shape_ok, Provider};
use crate::idm::oidc::{Authorization, OidcError, SignedIn};

/// Our own parameter on the way back from a forced sign-in: the sign-in must be at or
/// after this second (stands in for `prompt=login`, which would loop).
const AUTH_AFTER: &str = "passgate_auth_after";
const NONCE_MAX: usize = 512;
const STATE_MAX: usize = 2048;

pub async fn authorize(State(state): State<Arc<ControlState>>, parts: Parts) -> Response {
    if let Err(e) = super::on_auth_host(&state, &parts) {
        return e.into_response();
    }
    let ip = web::client_ip(&state.config, &parts);
    if let Err(e) = state.limits.check_oidc(ip, state.now_secs()).await {
        return e.into_response();
    }
    let provider = Provider::new(&state.directory, state.sessions.oidc_keys(), &state.config);
    let params = match query_params(parts.uri.query()) {
        Ok(p) => p,
        Err(e) => return json_error(&e),
    };
    let get = |k: &str| params.get(k).map(String::as_str);
    let Some(client) = get("client_id")
        .and_then(|id| state.config.oidc.client(id))
        .cloned()
    else {
        let e = OidcError::InvalidRequest("unknown client_id".into());
        provider
            .audit_refusal(get("client_id"), "authorize", &e)
            .await;
        return json_error(&e);
    };
    let Some(redirect_uri) = get("redirect_uri")
        .filter(|r| client.redirect_uris.iter().any(|u| u == r))
        .map(str::to_string)
    else {
        let e = OidcError::InvalidRequest(
            "redirect_uri is missing or not registered for this client".into(),
        );
        provider
            .audit_refusal(Some(&client.id), "authorize", &e)
            .await;
        state.limits.oidc_failed(ip, state.now_secs()).await;
        return json_error(&e);
    };
    let client_state = get("state").filter(|s| s.len() <= STATE_MAX);
    let refuse = |e: OidcError| redirect_error(&redirect_uri, client_state, provider.issuer(), &e);

    let checked = match check(&params, &client) {
        Ok(c) => c,
        Err(e) => {
            provider
                .audit_refusal(Some(&client.id), "authorize", &e)
                .await;
            return refuse(e);
        }
    };

    // Who is signed in (a session of another realm counts as none).
    let now = state.now_secs();
    let current = match state.sessions.token_in(&parts.headers) {
        Some(token) => state.sessions.current(token).await.ok(),
        None => None,
    }
    .filter(|(p, _)| p.realm() == client.realm);
    let fresh_enough = |auth_time: u64| {
        checked.auth_after.is_none_or(|t| auth_time >= t.min(now))
            && !checked.prompt_login
            && checked
                .max_age
                .is_none_or(|m| auth_time.saturating_add(m) >= now)
    };
    let (principal, reissued) = match current {
        Some((p, r)) if fresh_enough(p.auth_time) => (p, r),
        _ => {
            if checked.prompt_none {
                let e = OidcError::LoginRequired("no current sign-in".into());
                provider
                    .audit_refusal(Some(&client.id), "authorize", &e)
                    .await;
                return refuse(e);
            }
            return to_sign_in(&params, now);
        }
    };
    if let Some(allowed) = &client.allow_groups {
        if !principal
            .groups()
            .iter()
            .any(|g| allowed.iter().any(|a| **g == **a))
        {
            let e = OidcError::AccessDenied(format!(
                "{} is not in a group allowed to use {}",
                principal.username(),
                client.name
            ));
            provider
                .audit_refusal(Some(&client.id), "authorize", &e)
                .await;
            return refuse(e);
        }
    }
    let who = SignedIn {
        identity_id: principal.identity_id(),
        realm: principal.realm(),
        session_id: principal.session_id(),
        groups: principal.groups(),
    };
    let req = Authorization {
        scope: checked.scope,
        nonce: checked.nonce,
        redirect_uri: redirect_uri.clone(),
        code_challenge: checked.code_challenge,
    };
    let code = match provider.authorize(&client, &who, req).await {
        Ok(c) => c,
        Err(e) => {
            provider
                .audit_refusal(Some(&client.id), "authorize", &e)
                .await;
            return refuse(e);
        }
    };
    let mut out = vec![("code", code.as_str())];
    if let Some(s) = client_state {
        out.push(("state", s));
    }
    out.push(("iss", provider.issuer()));
    let mut resp = redirect_with(&redirect_uri, &out);
    if let Some(issued) = reissued {
        let cookie = state.sessions.set_cookie(&issued, web::secure(&parts));
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

struct Checked {
    scope: Vec<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    prompt_none: bool,
    prompt_login: bool,
    max_age: Option<u64>,
    auth_after: Option<u64>,
}

fn check(
    params: &HashMap<String, String>,
    client: &crate::config::oidc::OidcClient,
) -> Result<Checked, OidcError> {
    let get = |k: &str| params.get(k).map(String::as_str);
    let invalid = |m: &str| OidcError::InvalidRequest(m.to_string());
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(OidcError::RequestNotSupported(
            "request objects are not supported".into(),
        ));
    }
    match get("response_type") {
        Some("code") => {}
        None => return Err(invalid("response_type is missing")),
        Some(other) => {
            return Err(OidcError::UnsupportedResponseType(format!(
                "\"{other}\" is not supported (only \"code\")"
            )))
        }
    }
    if get("response_mode").is_some_and(|m| m != "query") {
        return Err(invalid("only response_mode=query is supported"));
    }
    let requested: Vec<&str> = get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if !requested.contains(&"openid") {
        return Err(OidcError::InvalidScope(
            "scope must include \"openid\"".into(),
        ));
    }
    let scope: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| requested.contains(&s.as_str()))
        .cloned()
        .collect();
    let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (Some(c), Some("S256")) if pkce_shape_ok(c) => Some(c.to_string()),
        (Some(_), Some("S256")) => return Err(invalid("code_challenge is malformed")),
        (Some(_), None) | (Some(_), Some("plain")) => {
            return Err(invalid("code_challenge_method must be S256"))
        }
        (Some(_), Some(_)) => return Err(invalid("code_challenge_method must be S256")),
        (None, Some(_)) => return Err(invalid("code_challenge_method without code_challenge")),
        (None, None) if !client.is_confidential() => {
            return Err(invalid(
                "PKCE (code_challenge, S256) is required for public clients",
            ))
        }
        (None, None) => None,
    };
    let nonce = get("nonce").map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > NONCE_MAX) {
        return Err(invalid("nonce is too long"));
    }
    let prompts: Vec<&str> = get("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(invalid("prompt=none cannot be combined with other values"));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(m) => Some(
            m.parse::<u64>()
                .map_err(|_| invalid("max_age must be a number of seconds"))?,
        ),
    };
    let auth_after = get(AUTH_AFTER).and_then(|t| t.parse::<u64>().ok());
    Ok(Checked {
        scope,
        nonce,
        code_challenge,
        prompt_none,
        prompt_login: prompts.contains(&"login") && auth_after.is_none(),
        max_age,
        auth_after,
    })
}

/// 302 to the hosted sign-in page, coming back to this request (with `prompt=login`
/// replaced by "signed in at or after now").
fn to_sign_in(params: &HashMap<String, String>, now: u64) -> Response {
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    for k in keys {
        if k == AUTH_AFTER {
            continue;
        }
        if k == "prompt" {
            let rest: Vec<&str> = params[k].split(' ').filter(|p| *p != "login").collect();
            if !rest.is_empty() {
                back.append_pair(k, &rest.join(" "));
            }
            continue;
        }
        back.append_pair(k, &params[k]);
    }
    back.append_pair(AUTH_AFTER, &now.to_string());
    let rd = format!("/.passgate/oidc/authorize?{}", back.finish());
    let location = format!(
        "/.passgate/login?rd={}",
        url::form_urlencoded::byte_serialize(rd.as_bytes()).collect::<String>()
    );
    match HeaderValue::from_str(&location) {
        Ok(loc) => (StatusCode::FOUND, [(header::LOCATION, loc)]).into_response(),
        Err(_) => json_error(&OidcError::InvalidRequest("unusable request".into())),
    }
}
