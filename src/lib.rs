//! passgate: a passkey gateway. A Pingora reverse proxy (the data plane, `dataplane`) that
//! checks a signed session on every request, with its own pages and APIs under
//! `/.passgate/` (the control plane, `control`), driven by one TOML file (`config`).

pub mod clock;
pub mod config;
pub mod control;
pub mod dataplane;
pub mod demo;
pub mod error_code;
pub mod idm;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod scim;
pub mod server;
pub mod session;
pub mod store;
pub mod tls;
