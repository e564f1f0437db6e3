//! Test support: free ports, the gateway as a child process, real upstream apps, a test CA.

#![allow(dead_code)]

pub mod admin;
pub mod db;
pub mod gateway;
pub mod relay;
pub mod tls;
pub mod upstream;

use std::net::TcpListener;

/// A port that was free a moment ago (bind to 0, read it, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// An HTTP client that never follows redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client")
}
