//! The one integration-test binary: real sockets, a real gateway process, real upstreams.

mod support;

mod admin_api;
mod cli;
mod config_files;
mod readiness;
mod store_suite;
