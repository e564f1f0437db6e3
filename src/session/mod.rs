//! Sessions as the data plane sees them: the verified [`Principal`] a request carries.
//! Token signing, verification and the cache arrive with the sign-in work; the data plane
//! only ever depends on this module and `config`.

pub mod principal;

pub use principal::Principal;
