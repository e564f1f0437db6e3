//! Adds the configured listeners to the proxy service: plain TCP, or TLS with SNI
//! certificate selection and HTTP/2 by ALPN.
//!
//! Writes to clients are not buffered: Pingora flushes a response whose length is known
//! (`Content-Length`) only when it is complete or its 1460-byte write buffer fills, so a
//! body arriving slowly from the upstream would reach the client late, or never if the
//! upstream stalls half-way. Without the buffer every piece goes out as it arrives (the
//! header and a small body in two writes instead of one; `TCP_NODELAY` is set, so no
//! Nagle delay).
//!
//! Plain TCP listeners also read without Pingora's 64 KiB per-connection read buffer: request
//! headers are read straight into the HTTP session's own buffer (one copy fewer), and an
//! idle keep-alive connection no longer holds 64 KiB (see docs/performance.md). TLS
//! listeners keep Pingora's default read buffer, which batches the TLS layer's small reads.

use std::net::SocketAddr;
use std::sync::Arc;

use pingora::listeners::tls::TlsSettings;
use pingora::listeners::{L4BufferSettings, ListenerConfig, DEFAULT_L4_READ_BUFFER_SIZE};
use pingora::services::listening::Service;

use super::header_deadline::HeaderDeadline;
use crate::config::{Config, Listener};
use crate::tls::pem;
use crate::tls::sni::{CertSet, SniResolver};

use super::StartError;

/// Pingora's read buffer; no write buffer (see the module comment).
fn unbuffered_writes() -> L4BufferSettings {
    L4BufferSettings::new(DEFAULT_L4_READ_BUFFER_SIZE, 0)
}

/// A TLS listener's resolver, kept so a reload can swap its certificates.
pub struct TlsListener {
    pub address: SocketAddr,
    pub resolver: Arc<SniResolver>,
}

pub fn cert_set(listener: &Listener) -> Result<CertSet, String> {
    let mut loaded = Vec::new();
    for c in &listener.certificates {
        loaded.push(pem::load_certified_key(&c.cert, &c.key)?);
    }
    Ok(CertSet::new(loaded))
}

/// Binds (and releases) every listener and the metrics address once, so a busy or
/// forbidden address stops `serve` at once with its name. Pingora itself retries a busy
/// port for 30 s and then fails inside a service thread while the process stays up.
pub fn probe_addresses(config: &Config) -> Result<(), StartError> {
    let addrs = config.listeners.iter().map(|l| l.address);
    for address in addrs.chain(config.metrics) {
        // std sets SO_REUSEADDR on Unix, as Pingora does, so TIME_WAIT leftovers pass.
        if let Err(e) = std::net::TcpListener::bind(address) {
            return Err(StartError::Bind {
                address: address.to_string(),
                message: e.to_string(),
            });
        }
    }
    Ok(())
}

pub fn add_all(
    service: &mut Service<HeaderDeadline>,
    config: &Config,
) -> Result<Vec<TlsListener>, StartError> {
    let mut tls = Vec::new();
    for l in &config.listeners {
        let addr = l.address.to_string();
        if !l.is_tls() {
            // Neither reads nor writes buffered (see the module's first lines).
            let unbuffered = L4BufferSettings::unbuffered();
            service.add_listener(ListenerConfig::tcp(addr).l4_buffer(unbuffered));
            continue;
        }
        let set = cert_set(l).map_err(|message| StartError::Tls {
            address: addr.clone(),
            message,
        })?;
        let resolver = Arc::new(SniResolver::new(set));
        let mut settings = TlsSettings::intermediate("", "").map_err(|e| StartError::Tls {
            address: addr.clone(),
            message: e.to_string(),
        })?;
        settings.set_cert_resolver(resolver.clone());
        if l.http2 {
            settings.enable_h2();
        }
        service.add_listener(
            ListenerConfig::tcp(addr)
                .tls(settings)
                .l4_buffer(unbuffered_writes()),
        );
        tls.push(TlsListener {
            address: l.address,
            resolver,
        });
    }
    Ok(tls)
}
