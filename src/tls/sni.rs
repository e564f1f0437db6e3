//! Picks the listener certificate by SNI: exact name, then wildcard, then the first
//! certificate configured. The set lives behind `ArcSwap` so a reload can replace it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::pem::LoadedCert;

#[derive(Default)]
pub struct CertSet {
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// `.example.com` for a `*.example.com` certificate (one label, as TLS defines).
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl CertSet {
    pub fn new(certs: Vec<LoadedCert>) -> Self {
        let mut set = CertSet::default();
        for c in certs {
            for name in &c.names {
                match name.strip_prefix('*') {
                    Some(suffix) => {
                        set.wildcard
                            .entry(suffix.to_string())
                            .or_insert_with(|| c.key.clone());
                    }
                    None => {
                        set.exact
                            .entry(name.clone())
                            .or_insert_with(|| c.key.clone());
                    }
                }
            }
            if set.default.is_none() {
                set.default = Some(c.key.clone());
            }
        }
        set
    }

    pub fn pick(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = server_name {
            let name = name.to_ascii_lowercase();
            if let Some(k) = self.exact.get(&name) {
                return Some(k.clone());
            }
            if let Some(dot) = name.find('.') {
                if let Some(k) = self.wildcard.get(&name[dot..]) {
                    return Some(k.clone());
                }
            }
        }
        self.default.clone()
    }
}

/// The rustls resolver installed on a TLS listener.
pub struct SniResolver {
    certs: ArcSwap<CertSet>,
}

impl SniResolver {
    pub fn new(set: CertSet) -> Self {
        SniResolver {
            certs: ArcSwap::from_pointee(set),
        }
    }

    pub fn replace(&self, set: CertSet) {
        self.certs.store(Arc::new(set));
    }
}

impl fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SniResolver")
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.certs.load().pick(hello.server_name())
    }
}
