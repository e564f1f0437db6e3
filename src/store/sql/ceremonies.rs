//! WebAuthn ceremony state: stored under a random id, taken (deleted and returned) once.

use sqlx::AnyPool;

use super::rows::{ceremony, CEREMONY_COLUMNS};
use crate::store::{CeremonyRecord, StoreError};

pub(super) async fn put(pool: &AnyPool, c: &CeremonyRecord) -> Result<(), StoreError> {
    // Ceremonies nobody finished are swept as new ones begin, once well past their
    // expiry (a take re-checks expiry itself).
    sqlx::query("DELETE FROM ceremonies WHERE expire_us <= $1")
        .bind(c.expire_us - 3600 * 1_000_000)
        .execute(pool)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO ceremonies ({CEREMONY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(&c.id)
    .bind(&c.kind)
    .bind(&c.tenant_id)
    .bind(&c.realm_id)
    .bind(&c.subject)
    .bind(&c.state)
    .bind(c.expire_us)
    .execute(pool)
    .await?;
    Ok(())
}

/// `DELETE … RETURNING` is one statement: of two concurrent takes, one gets the row.
pub(super) async fn take(
    pool: &AnyPool,
    id: &str,
    now_us: i64,
) -> Result<CeremonyRecord, StoreError> {
    let row = sqlx::query(&format!(
        "DELETE FROM ceremonies WHERE id = $1 RETURNING {CEREMONY_COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or(StoreError::NotFound("ceremony"))?;
    let c = ceremony(&row)?;
    if c.expire_us <= now_us {
        return Err(StoreError::NotFound("ceremony"));
    }
    Ok(c)
}
