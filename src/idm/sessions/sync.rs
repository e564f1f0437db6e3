//! The background round (revocation feed, key rotation and pruning) and the key commands
//! of `passgate keys`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::{us, SessionService, FEED_WINDOW};
use crate::idm::clock::rfc3339;
use crate::idm::{signing_keys, Directory, IdmError};
use crate::session::token;

impl SessionService {
    /// One background round: follow key changes (rotating when `session.key_rotation` is
    /// due, pruning keys no token can need), apply new revocations to the cache, and every
    /// minute prune old sessions and feed entries.
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

        let last_seq = self.cursor.lock().map(|c| c.last_seq).unwrap_or(0);
        let since = if last_seq == 0 {
            0
        } else {
            now - us(FEED_WINDOW)
        };
        let feed = store.revocations_since(last_seq, since).await?;
        for r in &feed {
            match r.kind.as_str() {
                "identity" => self.cache.revoke_identity(&r.target_id),
                _ => {
                    self.cache.revoke_session(&r.target_id);
                    self.reissued.invalidate(&r.target_id).await;
                }
            }
        }
        let prune = {
            let mut c = self
                .cursor
                .lock()
                .map_err(|_| IdmError::Internal("revocation cursor poisoned".into()))?;
            if let Some(max) = feed.iter().map(|r| r.seq).max() {
                c.last_seq = c.last_seq.max(max);
            }
            c.ticks += 1;
            c.ticks % 60 == 1
        };
        if prune {
            let keep = settings.token_ttl + Duration::from_secs(300);
            store.prune_sessions(now - us(keep)).await?;
        }
        Ok(())
    }

    /// `passgate keys rotate`: a new key, signing after `activate_in`; audited.
    pub async fn rotate(
        directory: &Directory,
        tenant: &str,
        actor: &str,
        activate_in: Duration,
    ) -> Result<String, IdmError> {
        let now = directory.now_us();
        let store = directory.store();
        signing_keys::add_key(store.as_ref(), now, activate_in, Some((tenant, actor))).await
    }

    /// `passgate keys list`: kid, created, signs-from and state (`pending`: not signing
    /// yet; `signing`; `verifying`: superseded, still accepted until pruned), as JSON lines.
    pub async fn list_keys(directory: &Directory) -> Result<Vec<Value>, IdmError> {
        let records = directory.store().list_signing_keys().await?;
        let now = directory.now_us();
        let ring = signing_keys::ring(&records, now)?;
        Ok(records
            .iter()
            .map(|r| {
                let state = if ring.signing_kid() == Some(r.kid.as_str()) {
                    "signing"
                } else if r.activate_us > now {
                    "pending"
                } else {
                    "verifying"
                };
                json!({
                    "kid": r.kid,
                    "create_time": rfc3339(r.create_us),
                    "activate_time": rfc3339(r.activate_us),
                    "state": state,
                })
            })
            .collect())
    }
}
