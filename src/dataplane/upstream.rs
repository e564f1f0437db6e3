//! A route's upstream peers: round-robin with passive health. A peer that fails
//! `max_fails` times in a row is skipped for `fail_timeout`; when every peer is down the
//! next one in turn is tried anyway rather than failing outright.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pingora::protocols::ALPN;
use pingora::upstreams::peer::HttpPeer;
use pingora::utils::tls::WrappedX509;

use crate::config::Route;

pub struct PoolPeer {
    /// The peer as built from the config; cloned for each request.
    pub template: HttpPeer,
    /// `url (addr)`, for logs.
    pub label: String,
    /// Index of the upstream URL (in the route's `upstreams`) this address came from.
    pub upstream: usize,
    fails: AtomicU32,
    down_until_ms: AtomicU64,
}

pub struct UpstreamPool {
    peers: Box<[PoolPeer]>,
    next: AtomicUsize,
    max_fails: u32,
    fail_timeout: Duration,
    epoch: Instant,
}

impl UpstreamPool {
    pub fn new(route: &Route) -> Self {
        let ca: Option<Arc<[WrappedX509]>> = if route.tls.ca_certs.is_empty() {
            None
        } else {
            Some(
                route
                    .tls
                    .ca_certs
                    .iter()
                    .map(|der| WrappedX509::new(der.clone(), pingora::utils::tls::parse_x509))
                    .collect::<Vec<_>>()
                    .into(),
            )
        };
        // Pingora's connection pool key leaves out the CA: without this, a route with other
        // trust anchors could reuse a connection verified under this route's CA.
        let ca_group = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            route.tls.ca_certs.hash(&mut h);
            h.finish()
        };
        let mut peers = Vec::new();
        for (ui, up) in route.upstreams.iter().enumerate() {
            for addr in &up.addrs {
                let sni = route
                    .tls
                    .server_name
                    .clone()
                    .unwrap_or_else(|| up.host.clone());
                let mut p = HttpPeer::new(*addr, up.tls, if up.tls { sni } else { String::new() });
                p.options.connection_timeout = Some(route.connect_timeout);
                p.options.read_timeout = Some(route.read_timeout);
                p.options.write_timeout = Some(route.write_timeout);
                p.options.verify_cert = route.tls.verify;
                p.options.verify_hostname = route.tls.verify;
                p.options.alpn = ALPN::H1;
                p.options.ca = ca.clone();
                p.group_key = ca_group;
                peers.push(PoolPeer {
                    template: p,
                    label: format!("{} ({addr})", up.url),
                    upstream: ui,
                    fails: AtomicU32::new(0),
                    down_until_ms: AtomicU64::new(0),
                });
            }
        }
        UpstreamPool {
            peers: peers.into_boxed_slice(),
            next: AtomicUsize::new(0),
            max_fails: route.max_fails,
            fail_timeout: route.fail_timeout,
            epoch: Instant::now(),
        }
    }

    pub fn len(&self) -> usize {
        self.peers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    pub fn peer(&self, i: usize) -> &PoolPeer {
        &self.peers[i]
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The next healthy peer in turn, skipping `exclude` (the peer that just failed).
    pub fn select(&self, exclude: Option<usize>) -> usize {
        let n = self.peers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let now = self.now_ms();
        for k in 0..n {
            let i = (start + k) % n;
            if Some(i) != exclude && self.peers[i].down_until_ms.load(Ordering::Relaxed) <= now {
                return i;
            }
        }
        match exclude {
            Some(e) if n > 1 => (e + 1) % n,
            _ => start,
        }
    }

    /// Whether another peer than `i` is currently believed healthy.
    pub fn has_other_healthy(&self, i: usize) -> bool {
        let now = self.now_ms();
        self.peers
            .iter()
            .enumerate()
            .any(|(k, p)| k != i && p.down_until_ms.load(Ordering::Relaxed) <= now)
    }

    pub fn report_failure(&self, i: usize) -> bool {
        let p = &self.peers[i];
        let fails = p.fails.fetch_add(1, Ordering::Relaxed) + 1;
        if fails >= self.max_fails {
            p.fails.store(0, Ordering::Relaxed);
            let until = self.now_ms() + self.fail_timeout.as_millis() as u64;
            p.down_until_ms.store(until, Ordering::Relaxed);
            return true;
        }
        false
    }

    pub fn report_success(&self, i: usize) {
        let p = &self.peers[i];
        if p.fails.load(Ordering::Relaxed) != 0 {
            p.fails.store(0, Ordering::Relaxed);
        }
    }
}
