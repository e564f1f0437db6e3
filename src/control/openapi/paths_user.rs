//! The documented JSON calls of browsers and apps: sign-in and binding ceremonies, the
//! session, recovery and self-service passkeys (handlers in `control::{signin, bind,
//! session_api, self_service}`).
#![allow(dead_code)]

use super::answers::{
    Accepted, Bound, CeremonyBegun, CurrentSession, Empty, OwnLink, OwnPasskey, OwnPasskeys,
    SignedIn,
};
use super::params::UserErrors;
use crate::control::bind::{BeginBody as BindBegin, FinishBody as BindFinish};
use crate::control::self_service::{RecoverBody, RenameBody};
use crate::control::signin::{BeginBody as SignInBegin, FinishBody as SignInFinish};

#[utoipa::path(post, path = "/.passgate/api/v1/authenticate/begin", tag = "sign-in",
    request_body = SignInBegin, responses((status = 200, body = CeremonyBegun), UserErrors))]
fn sign_in_begin() {}

#[utoipa::path(post, path = "/.passgate/api/v1/authenticate/finish", tag = "sign-in",
    request_body = SignInFinish,
    responses((status = 200, body = SignedIn, description = "Signed in: the session cookie is set"),
        UserErrors))]
fn sign_in_finish() {}

#[utoipa::path(post, path = "/.passgate/api/v1/bind/begin", tag = "binding",
    request_body = BindBegin, responses((status = 200, body = CeremonyBegun), UserErrors))]
fn bind_begin() {}

#[utoipa::path(post, path = "/.passgate/api/v1/bind/finish", tag = "binding",
    request_body = BindFinish,
    responses((status = 200, body = Bound, description = "Bound: the session cookie is set"),
        UserErrors))]
fn bind_finish() {}

#[utoipa::path(get, path = "/.passgate/api/v1/session", tag = "session",
    security(("session" = [])),
    responses((status = 200, body = CurrentSession), UserErrors))]
fn get_session() {}

#[utoipa::path(delete, path = "/.passgate/api/v1/session", tag = "session",
    security(("session" = []), ()),
    responses((status = 204, description = "Signed out (with or without a session)"),
        UserErrors))]
fn delete_session() {}

#[utoipa::path(post, path = "/.passgate/api/v1/recover", tag = "self-service",
    request_body = RecoverBody,
    responses((status = 202, body = Accepted, description = "Mailed when the address is known"),
        UserErrors))]
fn recover() {}

#[utoipa::path(get, path = "/.passgate/api/v1/passkeys", tag = "self-service",
    security(("session" = [])), responses((status = 200, body = OwnPasskeys), UserErrors))]
fn list_passkeys() {}

#[utoipa::path(post, path = "/.passgate/api/v1/passkeys/link", tag = "self-service",
    security(("session" = [])), request_body = Empty,
    responses((status = 200, body = OwnLink), UserErrors))]
fn add_passkey_link() {}

#[utoipa::path(patch, path = "/.passgate/api/v1/passkeys/{id}", tag = "self-service",
    security(("session" = [])), params(("id" = String, Path)), request_body = RenameBody,
    responses((status = 200, body = OwnPasskey), UserErrors))]
fn rename_passkey() {}

#[utoipa::path(delete, path = "/.passgate/api/v1/passkeys/{id}", tag = "self-service",
    security(("session" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Empty), UserErrors))]
fn remove_passkey() {}
