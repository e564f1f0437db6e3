//! The rows the store reads and writes: plain data, no behaviour. Times are microseconds
//! since the Unix epoch (UTC); the domain layer formats them as RFC 3339.

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub display_name: String,
    pub status: String,
    pub enrollment_status: String,
    pub username: String,
    pub primary_email_address: Option<String>,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Further string traits, as a JSON object (`{}` when none).
    pub extra_traits: String,
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
    /// Space-separated scopes.
    pub scopes: String,
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
    /// JSON array of the ids the change touched.
    pub target_ids: String,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching rows in total (ignoring the page position).
    pub total: i64,
    /// Position to continue after, when more rows follow.
    pub next: Option<i64>,
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
