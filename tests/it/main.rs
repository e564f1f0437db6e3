//! The one integration-test binary: real sockets, a real gateway process, real upstreams.

mod support;

mod config_files;
mod store_suite;
mod admin_api;
mod cli;
mod readiness;
