//! Session signing keys in the store: the first key, rotation (a new key that verifies at
//! once and signs after [`ACTIVATION_DELAY`], so every instance knows it before it is
//! used), and pruning (a key goes once no token it signed can be verified or re-issued).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{ids, IdmError};
use crate::session::keys::{kid_for, KeyMaterial, KeyRing};
use crate::store::{AuditRecord, KeyStore, SigningKeyRecord};

/// How long a rotated-in key only verifies before it signs (longer than the instances'
/// key polling interval).
pub const ACTIVATION_DELAY: Duration = Duration::from_secs(5);

const US: i64 = 1_000_000;

fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

pub fn to_record(k: &KeyMaterial, create_us: i64, activate_us: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: k.kid.clone(),
        private_pkcs8: URL_SAFE_NO_PAD.encode(&k.private_pkcs8),
        public_key: URL_SAFE_NO_PAD.encode(k.public),
        create_us,
        activate_us,
    }
}

/// The key as the ring uses it: `created_at` is the second it starts signing.
pub fn from_record(r: &SigningKeyRecord) -> Result<KeyMaterial, IdmError> {
    let bad = || IdmError::Internal(format!("signing key {} is corrupt", r.kid));
    let private_pkcs8 = URL_SAFE_NO_PAD
        .decode(&r.private_pkcs8)
        .map_err(|_| bad())?;
    let public: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&r.public_key)
        .map_err(|_| bad())?
        .try_into()
        .map_err(|_| bad())?;
    if kid_for(&public) != r.kid {
        return Err(bad());
    }
    Ok(KeyMaterial {
        kid: r.kid.clone(),
        private_pkcs8,
        public,
        created_at: u64::try_from(r.activate_us.div_euclid(US)).unwrap_or(0),
    })
}

/// The ring for `records` as of `now_us`.
pub fn ring(records: &[SigningKeyRecord], now_us: i64) -> Result<KeyRing, IdmError> {
    let keys = records
        .iter()
        .map(from_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KeyRing::at(
        &keys,
        u64::try_from(now_us.div_euclid(US)).unwrap_or(0),
    ))
}

/// Adds a key that signs from `now_us + activate_in`; returns its `kid`. With `audit_as`
/// (tenant, actor) the addition is audited as `signing_key.rotate`.
pub async fn add_key(
    store: &dyn KeyStore,
    now_us: i64,
    activate_in: Duration,
    audit_as: Option<(&str, &str)>,
) -> Result<String, IdmError> {
    let now_secs = u64::try_from(now_us.div_euclid(US)).unwrap_or(0);
    let key = KeyMaterial::generate(now_secs).map_err(|e| IdmError::Internal(e.to_string()))?;
    let record = to_record(&key, now_us, now_us.saturating_add(us(activate_in)));
    let audit = audit_as
        .map(|(tenant, actor)| audit_record(tenant, actor, "signing_key.rotate", &key.kid, now_us))
        .transpose()?;
    store.insert_signing_key(&record, audit.as_ref()).await?;
    Ok(key.kid)
}

/// Whether a new key is due: there is none, or (with `rotation`) the newest is that old.
pub fn rotation_due(records: &[SigningKeyRecord], now_us: i64, rotation: Option<Duration>) -> bool {
    match records.iter().map(|r| r.activate_us).max() {
        None => true,
        Some(newest) => rotation.is_some_and(|every| newest.saturating_add(us(every)) <= now_us),
    }
}

/// Keys that can go: superseded (a newer key has been signing) for longer than
/// `keep_for` (the longest a token it signed may still be verified or re-issued).
pub fn prunable(records: &[SigningKeyRecord], now_us: i64, keep_for: Duration) -> Vec<String> {
    let mut active: Vec<&SigningKeyRecord> =
        records.iter().filter(|r| r.activate_us <= now_us).collect();
    active.sort_by_key(|r| (r.activate_us, r.kid.clone()));
    active
        .windows(2)
        .filter(|w| w[1].activate_us.saturating_add(us(keep_for)) < now_us)
        .map(|w| w[0].kid.clone())
        .collect()
}

/// An audit record for a key change made outside any realm.
fn audit_record(
    tenant: &str,
    actor: &str,
    action: &str,
    kid: &str,
    now_us: i64,
) -> Result<AuditRecord, IdmError> {
    Ok(AuditRecord {
        id: ids::new_id()?,
        tenant_id: tenant.to_string(),
        realm_id: None,
        actor: actor.to_string(),
        action: action.to_string(),
        target_ids: vec![kid.to_string()],
        before: None,
        after: None,
        create_us: now_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kid: &str, activate_secs: i64) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            private_pkcs8: String::new(),
            public_key: String::new(),
            create_us: activate_secs * US,
            activate_us: activate_secs * US,
        }
    }

    #[test]
    fn rotation_is_due_without_keys_or_when_the_newest_is_old() {
        let h = Duration::from_secs(3600);
        assert!(rotation_due(&[], 0, None));
        assert!(!rotation_due(&[rec("a", 100)], 100 * US + 7200 * US, None));
        assert!(!rotation_due(&[rec("a", 100)], 101 * US, Some(h)));
        assert!(rotation_due(&[rec("a", 100)], 3700 * US, Some(h)));
    }

    #[test]
    fn only_long_superseded_keys_are_pruned() {
        let keep = Duration::from_secs(600);
        let keys = [
            rec("old", 0),
            rec("mid", 1000),
            rec("new", 1500),
            rec("pending", 5000),
        ];
        assert_eq!(prunable(&keys, 1500 * US, keep), Vec::<String>::new());
        assert_eq!(prunable(&keys, 1601 * US, keep), vec!["old".to_string()]);
        assert_eq!(
            prunable(&keys, 2101 * US, keep),
            vec!["old".to_string(), "mid".to_string()]
        );
        // The pending key neither supersedes nor is pruned before it signs.
        assert_eq!(prunable(&keys, 4999 * US, keep).len(), 2);
    }

    #[test]
    fn records_round_trip_and_corruption_is_caught() {
        let k = KeyMaterial::generate(1).unwrap();
        let r = to_record(&k, 5 * US, 7 * US);
        let back = from_record(&r).unwrap();
        assert_eq!(back.kid, k.kid);
        assert_eq!(back.created_at, 7);
        assert!(!format!("{r:?}").contains(&r.private_pkcs8));
        let mut bad = r.clone();
        bad.kid = "other".into();
        assert!(from_record(&bad).is_err());
    }
}
