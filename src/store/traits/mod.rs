//! The store's operations, one trait per aggregate ([`directory`]: realms, identities,
//! groups, API tokens, the audit log; [`passkeys`]: binding jobs, credentials, ceremonies,
//! sessions, signing keys; [`limits`]: rate-limit windows; [`oidc`]: the OpenID Connect
//! provider); [`Store`] is their sum (every type with all of them is a
//! `Store`). Services take the traits they use; `dyn Store` upcasts to any of them. Writes
//! that belong together, their audit record included, are one transaction.

mod directory;
mod limits;
mod oidc;
mod passkeys;
mod search;

use async_trait::async_trait;

pub use directory::{AuditStore, GroupStore, IdentityStore, MemberChange, RealmStore, TokenStore};
pub use limits::LimitStore;
pub use oidc::OidcStore;
pub use passkeys::{BindingStore, CeremonyStore, CredentialStore, KeyStore, SessionStore};
pub use search::SearchStore;

use super::StoreError;

/// What the store is and whether it answers.
#[async_trait]
pub trait StoreInfo: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The whole store: every aggregate's operations.
pub trait Store:
    StoreInfo
    + RealmStore
    + IdentityStore
    + GroupStore
    + TokenStore
    + BindingStore
    + CredentialStore
    + CeremonyStore
    + AuditStore
    + SessionStore
    + KeyStore
    + OidcStore
    + SearchStore
    + LimitStore
{
}

impl<T> Store for T where
    T: StoreInfo
        + RealmStore
        + IdentityStore
        + GroupStore
        + TokenStore
        + BindingStore
        + CredentialStore
        + CeremonyStore
        + AuditStore
        + SessionStore
        + KeyStore
        + OidcStore
        + SearchStore
        + LimitStore
{
}
