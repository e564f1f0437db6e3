//! The background round (revocation feed, key rotation and pruning) and the key commands
//! of `passgate keys`.

use std::sync::Arc;
use std::time::Duration;

use super::{us, SessionService, FEED_WINDOW};
use crate::idm::oidc::keys::{self as oidc_keys, OidcKeyRing};
use crate::idm::types::RevocationKind;
use crate::idm::{signing_keys, Directory, IdmError};
use crate::metrics::events;
use crate::session::token;
use crate::store::{OidcKeyRecord, SigningKeyRecord};

impl SessionService {
    /// One background round: follow key changes (rotating when `session.key_rotation` is
    /// due, pruning keys no token can need), apply new revocations to the cache, and every
    /// minute prune old sessions and feed entries; every 5 s count the live sessions.
    /// Each new revocation is counted with its lag from the store's write.
    pub async fn sync(&self) -> Result<(), IdmError> {
        let now = self.directory.now_us();
        let settings = self.settings();
        let store = self.directory.store();

        let mut records = store.list_signing_keys().await?;
        if signing_keys::rotation_due(&records, now, settings.key_rotation) {
            let delay = if records.is_empty() {
                Duration::ZERO
            } else {
                signing_keys::ACTIVATION_DELAY
            };
            let kid = signing_keys::add_key(store.as_ref(), now, delay, None).await?;
            tracing::info!(kid, "session signing key rotated (session.key_rotation)");
            records = store.list_signing_keys().await?;
        }
        let keep_for = settings.ttl + Duration::from_secs(token::SKEW_SECS);
        let old = signing_keys::prunable(&records, now, keep_for);
        if !old.is_empty() {
            store.delete_signing_keys(&old).await?;
            records.retain(|r| !old.contains(&r.kid));
            tracing::info!(kids = ?old, "pruned signing keys no token can need");
        }
        let ring = signing_keys::ring(&records, now)?;
        let current = self.keys.load();
        if ring.kids() != current.kids() || ring.signing_kid() != current.signing_kid() {
            tracing::info!(signing = ?ring.signing_kid(), kids = ?ring.kids(), "session key ring updated");
            self.keys.store(Arc::new(ring));
        }

        let (keep_oidc, needed) = {
            let p = self.params.load();
            (p.oidc_keep_for, p.oidc_keys_needed)
        };
        let oidc = oidc_keys::maintain(
            store.as_ref(),
            now,
            settings.key_rotation,
            keep_oidc,
            needed,
        )
        .await?;
        let oidc_ring = OidcKeyRing::new(&oidc, now)?;
        let current = self.oidc_keys.load();
        if oidc_ring.kids() != current.kids() || oidc_ring.signing_kids() != current.signing_kids()
        {
            tracing::info!(kids = ?oidc_ring.kids(), "OIDC key ring updated");
            self.oidc_keys.store(Arc::new(oidc_ring));
        }

        let (last_seq, first_round) = self
            .cursor
            .lock()
            .map(|c| (c.last_seq, c.ticks == 0))
            .unwrap_or((0, true));
        let since = if last_seq == 0 {
            0
        } else {
            now - us(FEED_WINDOW)
        };
        let feed = store.revocations_since(last_seq, since).await?;
        let applied_at = self.directory.now_us();
        for r in &feed {
            if r.seq > last_seq && !first_round {
                // Re-read entries of the trailing window count once, when first seen; the
                // first round's catch-up on start is not a lag.
                let lag = (applied_at - r.create_us) as f64 / 1e6;
                events().revocation(r.kind == RevocationKind::Identity, lag);
            }
            match r.kind {
                RevocationKind::Identity => {
                    let at = u64::try_from(r.create_us / 1_000_000).unwrap_or(0);
                    self.cache.revoke_identity_at(&r.target_id, at);
                }
                RevocationKind::Session => {
                    self.cache.revoke_session(&r.target_id);
                    self.reissued.invalidate(&r.target_id).await;
                }
            }
        }
        let (prune, count) = {
            let mut c = self
                .cursor
                .lock()
                .map_err(|_| IdmError::Internal("revocation cursor poisoned".into()))?;
            if let Some(max) = feed.iter().map(|r| r.seq).max() {
                c.last_seq = c.last_seq.max(max);
            }
            c.ticks += 1;
            (c.ticks % 60 == 1, c.ticks % 5 == 1)
        };
        if count {
            // Only a gauge: its failure does not keep this round from pruning.
            match store.count_live_sessions(now).await {
                Ok(n) => events().active_sessions(n),
                Err(e) => tracing::debug!(error = %e, "live sessions not counted"),
            }
        }
        if prune {
            let keep = settings.token_ttl + Duration::from_secs(300);
            store.prune_sessions(now - us(keep)).await?;
            store.prune_oidc_tokens(now - us(keep)).await?;
        }
        Ok(())
    }

    /// `passgate keys rotate`: a new session key, signing after `activate_in`, and a new
    /// OIDC key of each algorithm on the same schedule; audited. Returns the session key.
    pub async fn rotate(
        directory: &Directory,
        tenant: &str,
        actor: &str,
        activate_in: Duration,
    ) -> Result<String, IdmError> {
        let now = directory.now_us();
        let store = directory.store();
        let kid =
            signing_keys::add_key(store.as_ref(), now, activate_in, Some((tenant, actor))).await?;
        // ID-token keys rotate too, once there are any (OIDC clients have been configured).
        if !store.list_oidc_keys().await?.is_empty() {
            let oidc = oidc_keys::rotate(store.as_ref(), now, activate_in, tenant, actor).await?;
            tracing::info!(kids = ?oidc, "OIDC signing keys rotated");
        }
        Ok(kid)
    }

    /// `passgate keys list`: every signing key with its state (its private half stays in
    /// the record; the caller shows kid, times and state only).
    pub async fn list_keys(directory: &Directory) -> Result<Vec<KeyListing>, IdmError> {
        let records = directory.store().list_signing_keys().await?;
        let now = directory.now_us();
        let ring = signing_keys::ring(&records, now)?;
        Ok(records
            .into_iter()
            .map(|record| {
                let state = if ring.signing_kid() == Some(record.kid.as_str()) {
                    KeyState::Signing
                } else if record.activate_us > now {
                    KeyState::Pending
                } else {
                    KeyState::Verifying
                };
                KeyListing { record, state }
            })
            .collect())
    }
}

impl SessionService {
    /// `passgate keys list`, the ID-token keys of the OpenID Connect provider: each record
    /// (the private half stays in it) with its state.
    pub async fn list_oidc_keys(
        directory: &Directory,
    ) -> Result<Vec<(OidcKeyRecord, KeyState)>, IdmError> {
        let records = directory.store().list_oidc_keys().await?;
        let now = directory.now_us();
        let ring = OidcKeyRing::new(&records, now)?;
        Ok(records
            .into_iter()
            .map(|r| {
                let signing = ring.signing_kids().contains(&Some(r.kid.as_str()));
                let state = if signing {
                    KeyState::Signing
                } else if r.activate_us > now {
                    KeyState::Pending
                } else {
                    KeyState::Verifying
                };
                (r, state)
            })
            .collect())
    }
}

/// Where a signing key is in its life: `pending` (published, not signing yet), `signing`,
/// `verifying` (superseded, still accepted until pruned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Pending,
    Signing,
    Verifying,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "pending",
            KeyState::Signing => "signing",
            KeyState::Verifying => "verifying",
        }
    }
}

/// One line of `passgate keys list`.
pub struct KeyListing {
    pub record: SigningKeyRecord,
    pub state: KeyState,
}
