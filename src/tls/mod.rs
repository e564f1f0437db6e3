//! TLS material: PEM loading with clear errors, and the SNI certificate resolver used by
//! TLS listeners (swappable on reload).

pub mod pem;
pub mod sni;
