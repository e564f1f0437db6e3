//! The OpenID Connect provider's operations: ID-token signing keys, grants and the tokens
//! issued under them (by hash).

use async_trait::async_trait;

use crate::store::oidc_records::*;
use crate::store::records::AuditRecord;
use crate::store::StoreError;

#[async_trait]
pub trait OidcStore: Send + Sync {
    async fn list_oidc_keys(&self) -> Result<Vec<OidcKeyRecord>, StoreError>;
    async fn insert_oidc_key(
        &self,
        key: &OidcKeyRecord,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError>;
    async fn delete_oidc_keys(&self, kids: &[String]) -> Result<(), StoreError>;

    /// A new grant with its authorization code, one transaction with the audit record.
    async fn create_oidc_grant(
        &self,
        grant: &OidcGrantRecord,
        code: &OidcTokenRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Tokens issued under an existing grant, one transaction with the audit record.
    async fn insert_oidc_tokens(
        &self,
        tokens: &[OidcTokenRecord],
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// The token with this hash and kind, with its grant.
    async fn find_oidc_token(
        &self,
        token_hash: &str,
        kind: OidcTokenKind,
    ) -> Result<Option<OidcTokenFound>, StoreError>;
    /// Marks a code or refresh token used (at most once, atomically).
    async fn use_oidc_token(
        &self,
        token_hash: &str,
        kind: OidcTokenKind,
        now_us: i64,
    ) -> Result<OidcUse, StoreError>;
    /// Ends a grant and everything issued under it (idempotent), with the audit record.
    async fn revoke_oidc_grant(
        &self,
        grant_id: &str,
        now_us: i64,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
    /// Deletes one token (revocation of an access token).
    async fn delete_oidc_token(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Deletes tokens that expired before `before_us`, and grants made before it with no
    /// token left.
    async fn prune_oidc_tokens(&self, before_us: i64) -> Result<(), StoreError>;
}
