//! The rows the store reads and writes: plain typed data, no behaviour. Times are
//! microseconds since the Unix epoch (UTC); the views format them as RFC 3339. States are
//! the domain's enums (`idm::types`), spelt out only when a row is written or read.

use std::collections::BTreeMap;

use crate::idm::types::{
    BatchErrorKind, CeremonyKind, CredentialState, DeliveryMethod, EnrollmentStatus,
    IdentityStatus, JobState,
};

/// A realm: a directory of identities with its own WebAuthn relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmRecord {
    pub tenant_id: String,
    pub id: String,
    pub display_name: String,
    pub rp_id: String,
    pub rp_name: String,
    /// `true` when the realm is declared in the config file (it cannot be deleted by the API).
    pub from_config: bool,
    pub create_us: i64,
    pub update_us: i64,
}

/// An identity's traits: the five named ones and free-form string traits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Traits {
    pub username: String,
    pub primary_email_address: Option<String>,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Further string traits by name.
    pub extra: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub display_name: String,
    pub status: IdentityStatus,
    pub enrollment_status: EnrollmentStatus,
    pub traits: Traits,
    /// Changes on every write (optimistic concurrency, ETags).
    pub version: i64,
    pub create_us: i64,
    pub update_us: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub display_name: String,
    pub description: String,
    /// Changes on every write, membership changes included.
    pub version: i64,
    pub create_us: i64,
    pub update_us: i64,
}

/// An API token as stored: the secret itself is never kept, only its SHA-256 (hex).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: String,
    pub tenant_id: String,
    /// `None`: every realm of the tenant.
    pub realm_id: Option<String>,
    pub name: String,
    /// The scopes as given at creation (parsed by `idm::tokens`).
    pub scopes: Vec<String>,
    pub secret_hash: String,
    pub create_us: i64,
    pub expire_us: Option<i64>,
    pub revoke_us: Option<i64>,
}

impl std::fmt::Debug for ApiTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiTokenRecord")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("realm_id", &self.realm_id)
            .field("name", &self.name)
            .field("scopes", &self.scopes)
            .field("secret_hash", &"<redacted>")
            .field("expire_us", &self.expire_us)
            .field("revoke_us", &self.revoke_us)
            .finish()
    }
}

/// One audit-log entry, written in the same transaction as the change it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: Option<String>,
    /// Who: `api_token:<id>`, `cli`, `config`.
    pub actor: String,
    /// What: `identity.create`, `group.add_members`, …
    pub action: String,
    /// The ids the change touched.
    pub target_ids: Vec<String>,
    /// JSON of the resource(s) before and after the change (`None` for create / delete).
    pub before: Option<String>,
    pub after: Option<String>,
    pub create_us: i64,
}

/// Keyset paging: rows come in insertion order; `after` is the last row's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: u32,
    pub after: Option<i64>,
}

impl PageRequest {
    /// The first `size` rows.
    pub const fn first(size: u32) -> PageRequest {
        PageRequest { size, after: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching rows in total (ignoring the page position).
    pub total: i64,
    /// Position to continue after, when more rows follow.
    pub next: Option<i64>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            next: self.next,
        }
    }
}

/// A filter on one identity trait (the value is compared as the trait's key column holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityFilter {
    /// Case-insensitive.
    Username(String),
    /// Case-insensitive.
    Email(String),
    /// Exact.
    ExternalId(String),
}

/// A credential binding job. The link's token is never stored, only its SHA-256 (hex).
#[derive(Clone, PartialEq, Eq)]
pub struct BindingJobRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub identity_id: String,
    pub delivery_method: DeliveryMethod,
    pub state: JobState,
    pub post_binding_redirect_uri: Option<String>,
    /// The realm's authenticator configuration the link opens.
    pub authenticator_config_id: String,
    pub token_hash: String,
    pub expire_us: i64,
    pub credential_id: Option<String>,
    pub batch_id: Option<String>,
    /// Why the last email delivery failed.
    pub failure_reason: Option<String>,
    pub send_attempts: i64,
    /// When the next email delivery attempt is due (`None`: none pending).
    pub next_send_us: Option<i64>,
    pub create_us: i64,
    pub update_us: i64,
}

impl std::fmt::Debug for BindingJobRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BindingJobRecord")
            .field("id", &self.id)
            .field("identity_id", &self.identity_id)
            .field("delivery_method", &self.delivery_method)
            .field("state", &self.state)
            .field("token_hash", &"<redacted>")
            .field("expire_us", &self.expire_us)
            .finish()
    }
}

/// Which binding jobs a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindingJobFilter {
    /// `None`: every identity of the realm.
    pub identity_id: Option<String>,
    /// Only the jobs of this batch.
    pub batch_id: Option<String>,
    pub state: Option<JobState>,
    pub delivery_method: Option<DeliveryMethod>,
}

/// What a batch did for one identity: a job, or why none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    Job(String),
    Error {
        kind: BatchErrorKind,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchResult {
    pub identity_id: String,
    pub outcome: BatchOutcome,
}

/// A batch of binding jobs: the job template and the per-identity results as created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingBatchRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub delivery_method: DeliveryMethod,
    pub post_binding_redirect_uri: Option<String>,
    pub authenticator_config_id: String,
    pub results: Vec<BatchResult>,
    pub create_us: i64,
}

/// A passkey bound to an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub identity_id: String,
    /// The WebAuthn credential id, base64url without padding (unique across the store).
    pub credential_id: String,
    /// The COSE public key (webauthn-rs's `COSEKey` as JSON), base64url.
    pub public_key: String,
    /// webauthn-rs's `Passkey` as JSON (what sign-in verifies against).
    pub passkey: String,
    pub sign_count: i64,
    pub aaguid: String,
    pub name: String,
    pub state: CredentialState,
    pub backup_eligible: bool,
    pub backup_state: bool,
    /// Transport hints (`internal`, `hybrid`, …).
    pub transports: Vec<String>,
    pub create_us: i64,
    pub update_us: i64,
    pub last_used_us: Option<i64>,
}

/// Server-side state of one WebAuthn ceremony, taken (read and deleted) exactly once.
#[derive(Clone, PartialEq, Eq)]
pub struct CeremonyRecord {
    pub id: String,
    pub kind: CeremonyKind,
    pub tenant_id: String,
    pub realm_id: String,
    /// What the ceremony is for (for binding: the job id).
    pub subject: String,
    /// Serialised webauthn-rs state (JSON).
    pub state: String,
    pub expire_us: i64,
}

impl std::fmt::Debug for CeremonyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CeremonyRecord")
            .field("id", &"<redacted>")
            .field("kind", &self.kind)
            .field("realm_id", &self.realm_id)
            .field("subject", &self.subject)
            .field("expire_us", &self.expire_us)
            .finish()
    }
}

/// Everything one successful binding writes, in one transaction.
#[derive(Debug, Clone)]
pub struct BindingCompletion {
    pub job_id: String,
    pub credential: CredentialRecord,
    pub now_us: i64,
}
