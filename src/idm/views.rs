//! Resources as the admin API shows them (Beyond Identity's shapes: `traits` with `type`,
//! RFC 3339 `*_time` fields), built from records. The control plane serialises them; the
//! audit log keeps the same snapshots as `before` / `after`. (Binding jobs and batches have
//! theirs in `binding::views`.)

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use super::clock::rfc3339;
use super::types::{CredentialState, EnrollmentStatus, IdentityStatus};
use crate::store::{
    ApiTokenRecord, AuditRecord, CredentialRecord, GroupRecord, IdentityRecord, RealmRecord,
    SessionRecord,
};

/// The `type` of every identity's traits.
pub const TRAITS_TYPE: &str = "traits_v0";

/// JSON text of a view (plain data: serialising cannot fail), for audit snapshots.
pub fn snapshot<T: Serialize>(view: &T) -> String {
    serde_json::to_string(view).unwrap_or_default()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TraitsView<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_email_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<&'a str>,
    #[serde(flatten)]
    pub extra: &'a BTreeMap<String, String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IdentityView<'a> {
    pub id: &'a str,
    pub realm_id: &'a str,
    pub tenant_id: &'a str,
    pub display_name: &'a str,
    pub status: IdentityStatus,
    pub enrollment_status: EnrollmentStatus,
    pub create_time: String,
    pub update_time: String,
    pub traits: TraitsView<'a>,
}

pub fn identity(i: &IdentityRecord) -> IdentityView<'_> {
    let t = &i.traits;
    IdentityView {
        id: &i.id,
        realm_id: &i.realm_id,
        tenant_id: &i.tenant_id,
        display_name: &i.display_name,
        status: i.status,
        enrollment_status: i.enrollment_status,
        create_time: rfc3339(i.create_us),
        update_time: rfc3339(i.update_us),
        traits: TraitsView {
            kind: TRAITS_TYPE,
            username: &t.username,
            primary_email_address: t.primary_email_address.as_deref(),
            external_id: t.external_id.as_deref(),
            given_name: t.given_name.as_deref(),
            family_name: t.family_name.as_deref(),
            extra: &t.extra,
        },
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupView<'a> {
    pub id: &'a str,
    pub realm_id: &'a str,
    pub tenant_id: &'a str,
    pub display_name: &'a str,
    pub description: &'a str,
    pub create_time: String,
    pub update_time: String,
}

pub fn group(g: &GroupRecord) -> GroupView<'_> {
    GroupView {
        id: &g.id,
        realm_id: &g.realm_id,
        tenant_id: &g.tenant_id,
        display_name: &g.display_name,
        description: &g.description,
        create_time: rfc3339(g.create_us),
        update_time: rfc3339(g.update_us),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RealmView<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub display_name: &'a str,
    pub rp_id: &'a str,
    pub rp_name: &'a str,
    pub create_time: String,
    pub update_time: String,
}

pub fn realm(r: &RealmRecord) -> RealmView<'_> {
    RealmView {
        id: &r.id,
        tenant_id: &r.tenant_id,
        display_name: &r.display_name,
        rp_id: &r.rp_id,
        rp_name: &r.rp_name,
        create_time: rfc3339(r.create_us),
        update_time: rfc3339(r.update_us),
    }
}

/// The tenant is the deployment itself (`tenant_id` in the config).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenantView<'a> {
    pub id: &'a str,
    pub display_name: &'a str,
}

pub fn tenant(id: &str) -> TenantView<'_> {
    TenantView {
        id,
        display_name: id,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialView<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub realm_id: &'a str,
    pub identity_id: &'a str,
    pub credential_id: &'a str,
    pub state: CredentialState,
    /// How the credential was made (Beyond Identity's field): always a WebAuthn one here.
    pub csr_type: &'static str,
    /// The public key as a JWK (RFC 7517), when it is of a kind JWK describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwk_json: Option<String>,
    /// Base64url of the key's JWK thumbprint (RFC 7638, SHA-256).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwk_thumbprint: Option<String>,
    pub aaguid: &'a str,
    pub name: &'a str,
    pub transports: &'a [String],
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub create_time: String,
    pub update_time: String,
    pub last_used_time: Option<String>,
}

pub fn credential(c: &CredentialRecord) -> CredentialView<'_> {
    let jwk = super::credentials::jwk(c);
    CredentialView {
        id: &c.id,
        tenant_id: &c.tenant_id,
        realm_id: &c.realm_id,
        identity_id: &c.identity_id,
        credential_id: &c.credential_id,
        state: c.state,
        csr_type: "WEBAUTHN",
        jwk_thumbprint: jwk.as_ref().map(|(_, t)| t.clone()),
        jwk_json: jwk.map(|(j, _)| j),
        aaguid: &c.aaguid,
        name: &c.name,
        transports: &c.transports,
        backup_eligible: c.backup_eligible,
        backup_state: c.backup_state,
        create_time: rfc3339(c.create_us),
        update_time: rfc3339(c.update_us),
        last_used_time: c.last_used_us.map(rfc3339),
    }
}

/// What `token list` shows (never the hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub realm_id: Option<&'a str>,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub create_time: String,
    pub expire_time: Option<String>,
    pub revoke_time: Option<String>,
}

pub fn token(t: &ApiTokenRecord) -> TokenView<'_> {
    TokenView {
        id: &t.id,
        tenant_id: &t.tenant_id,
        realm_id: t.realm_id.as_deref(),
        name: &t.name,
        scopes: &t.scopes,
        create_time: rfc3339(t.create_us),
        expire_time: t.expire_us.map(rfc3339),
        revoke_time: t.revoke_us.map(rfc3339),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub realm_id: Option<&'a str>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target_ids: &'a [String],
    /// The resource before and after, as the snapshot was recorded.
    #[schema(value_type = Option<Object>)]
    pub before: Option<&'a RawValue>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<&'a RawValue>,
    pub create_time: String,
}

fn raw(s: Option<&str>) -> Option<&RawValue> {
    s.and_then(|s| serde_json::from_str::<&RawValue>(s).ok())
}

pub fn event(a: &AuditRecord) -> EventView<'_> {
    EventView {
        id: &a.id,
        tenant_id: &a.tenant_id,
        realm_id: a.realm_id.as_deref(),
        actor: &a.actor,
        action: &a.action,
        target_ids: &a.target_ids,
        before: raw(a.before.as_deref()),
        after: raw(a.after.as_deref()),
        create_time: rfc3339(a.create_us),
    }
}

/// A session as the admin API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView<'a> {
    pub id: &'a str,
    pub identity_id: &'a str,
    pub realm_id: &'a str,
    pub tenant_id: &'a str,
    pub create_time: String,
    pub expire_time: String,
    pub auth_time: String,
    pub last_seen_time: String,
    /// How the session was authenticated (RFC 8176 values).
    #[schema(value_type = Option<Vec<String>>)]
    pub amr: Option<&'a RawValue>,
    pub credential_id: Option<&'a str>,
}

pub fn session(s: &SessionRecord) -> SessionView<'_> {
    SessionView {
        id: &s.id,
        identity_id: &s.identity_id,
        realm_id: &s.realm_id,
        tenant_id: &s.tenant_id,
        create_time: rfc3339(s.create_us),
        expire_time: rfc3339(s.expire_us),
        auth_time: rfc3339(s.auth_us),
        last_seen_time: rfc3339(s.last_seen_us),
        amr: raw(Some(&s.amr)),
        credential_id: s.credential_id.as_deref(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthenticatorConfigBody<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub invoke_url: &'a str,
    pub invocation_type: &'static str,
    pub trusted_origins: &'a [String],
    pub authentication_methods: Vec<AuthenticationMethod>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthenticationMethod {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// Beyond Identity's `AuthenticatorConfig`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthenticatorConfigView<'a> {
    pub id: &'a str,
    pub realm_id: &'a str,
    pub tenant_id: &'a str,
    pub display_name: &'a str,
    pub config: AuthenticatorConfigBody<'a>,
}

pub fn authenticator_config(
    c: &super::authenticator_configs::AuthenticatorConfig,
) -> AuthenticatorConfigView<'_> {
    AuthenticatorConfigView {
        id: &c.id,
        realm_id: &c.realm_id,
        tenant_id: &c.tenant_id,
        display_name: &c.display_name,
        config: AuthenticatorConfigBody {
            kind: c.kind.as_str(),
            invoke_url: &c.invoke_url,
            invocation_type: c.invocation_type.as_str(),
            trusted_origins: &c.trusted_origins,
            // Passkeys made by the browser's WebAuthn: Beyond Identity's `webauthn_passkey`.
            authentication_methods: vec![AuthenticationMethod {
                kind: "webauthn_passkey",
            }],
        },
    }
}
