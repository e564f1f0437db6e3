//! The one integration-test binary: real sockets, a real gateway process, real upstreams.

mod support;

mod authenticator_selftest;
mod browser_smoke;
mod config_files;
mod control_handoff;
mod lifecycle;
mod metrics;
mod proxy_headers;
mod proxy_paths;
mod proxy_policy;
mod proxy_reload;
mod proxy_routing;
mod proxy_streaming;
mod proxy_tls;
mod proxy_upstreams;
mod soft_passkey_selftest;
mod upstream_tls;
