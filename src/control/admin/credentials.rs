//! Passkeys in the admin API. Beyond Identity's paths: `…/identities/{id|-}/credentials`,
//! `…/identities/{id}/credentials/{cid}` and `…:revoke` (the credential itself as the
//! answer). passgate's realm-wide paths `…/credentials/{cid}` and `…:revoke` answer
//! `{"credential": …}` as before.

use serde_json::json;

use super::extract::{split_action, Admin, ListParams, Segments};
use super::methods::CREDENTIAL;
use super::reply::{listing, ok, Reply};
use crate::control::error::ApiError;
use crate::idm::tokens::{Action, Family};
use crate::idm::views;
use crate::store::{CredentialRecord, RevokeTarget};

type ItemPath = Segments<(String, String, String)>;
type IdentityItemPath = Segments<(String, String, String, String)>;

/// `-` names every identity of the realm.
fn identity_of(segment: &str) -> Option<&str> {
    (segment != "-").then_some(segment)
}

pub async fn list(admin: Admin, Segments((t, r, identity)): ItemPath, q: ListParams) -> Reply {
    let at = admin.in_realm(&t, &r, Family::Credentials, Action::Read)?;
    let page = admin
        .state
        .directory
        .list_credentials(&at, identity_of(&identity), q.page_size(), q.page_token())
        .await?;
    listing(
        "credentials",
        &page,
        page.items.iter().map(views::credential),
    )
}

/// Revokes (for `identity`, when given) and ends the sessions begun with the passkey.
async fn revoke(
    admin: &Admin,
    t: &str,
    r: &str,
    identity: Option<&str>,
    id: &str,
) -> Result<CredentialRecord, ApiError> {
    let at = admin.in_realm(t, r, Family::Credentials, Action::Revoke)?;
    let revoked = admin
        .state
        .directory
        .revoke_credential(&at, identity, id)
        .await?;
    // Sessions started with the passkey end too (here at once, elsewhere within a second).
    let target = RevokeTarget::Credential(id.to_string());
    admin.state.sessions.revoke(&target, None).await?;
    Ok(revoked)
}

/// `GET …/identities/{id}/credentials/{cid}`.
pub async fn get_of_identity(
    admin: Admin,
    Segments((t, r, identity, seg)): IdentityItemPath,
) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(CREDENTIAL.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::Credentials, Action::Read)?;
    let c = admin
        .state
        .directory
        .credential(&at, identity_of(&identity), id)
        .await?;
    ok(views::credential(&c))
}

/// `POST …/identities/{id}/credentials/{cid}:revoke`.
pub async fn action_of_identity(
    admin: Admin,
    Segments((t, r, identity, seg)): IdentityItemPath,
) -> Reply {
    let (id, Some("revoke")) = split_action(&seg) else {
        return Err(CREDENTIAL.refuse(&seg));
    };
    let revoked = revoke(&admin, &t, &r, identity_of(&identity), id).await?;
    ok(views::credential(&revoked))
}

/// `GET …/credentials/{cid}` → `{"credential": …}`.
pub async fn get(admin: Admin, Segments((t, r, seg)): ItemPath) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(CREDENTIAL.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::Credentials, Action::Read)?;
    let c = admin.state.directory.credential(&at, None, id).await?;
    ok(json!({ "credential": views::credential(&c) }))
}

/// `POST …/credentials/{cid}:revoke` → `{"credential": …}`.
pub async fn action(admin: Admin, Segments((t, r, seg)): ItemPath) -> Reply {
    let (id, Some("revoke")) = split_action(&seg) else {
        return Err(CREDENTIAL.refuse(&seg));
    };
    let revoked = revoke(&admin, &t, &r, None, id).await?;
    ok(json!({ "credential": views::credential(&revoked) }))
}
