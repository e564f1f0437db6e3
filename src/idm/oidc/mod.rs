//! The OpenID Connect provider's domain, with no HTTP: ID-token signing keys ([`keys`]),
//! grants and tokens ([`grants`]), and its typed refusals ([`error`]).

pub mod error;
pub mod grants;
pub mod keys;

pub use error::OidcError;
pub use grants::{Authorization, Provider, SignedIn, Tokens};
