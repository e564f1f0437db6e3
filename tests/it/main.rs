//! The one integration-test binary: real sockets, a real gateway process, real upstreams.

#[macro_use]
mod support;

mod admin_api;
mod assertion;
mod authenticator_selftest;
mod binding_browser;
mod binding_ceremony;
mod binding_email;
mod binding_jobs;
mod browser_smoke;
mod canonical_paths;
mod cli;
mod cluster;
mod config_files;
mod control_handoff;
mod cross_site;
mod demo;
mod forward_auth;
mod forward_auth_headers;
mod identity_headers;
mod lifecycle;
mod metrics;
mod passkeys_browser;
mod policy_rules;
mod proxy_headers;
mod proxy_paths;
mod proxy_policy;
mod proxy_reload;
mod proxy_routing;
mod proxy_streaming;
mod proxy_tls;
mod proxy_upstreams;
mod readiness;
mod recipes;
mod request_hosts;
mod self_service;
mod sessions;
mod signin;
mod signin_browser;
mod soft_passkey_selftest;
mod store_suite;
mod upstream_tls;
