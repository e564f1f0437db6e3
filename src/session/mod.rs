//! Sessions as the data plane sees them: Ed25519-signed tokens (`token`, `keys`), the
//! cookie that carries them (`cookie`), and the cache of verified [`Principal`]s (`cache`).
//! No store access here: keys and revocations are handed in by the control plane.

pub mod assertion;
pub mod cache;
pub mod claims;
pub mod cookie;
pub mod keys;
pub mod principal;
pub mod token;

pub use principal::Principal;
