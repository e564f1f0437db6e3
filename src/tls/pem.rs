//! Loading PEM certificates and keys into rustls types, with messages a person can act on.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

/// Reads every certificate in a PEM file (DER bytes), refusing files with none.
pub fn load_certs(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut data.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} contains no PEM certificate", path.display()));
    }
    for c in &certs {
        x509_parser::parse_x509_certificate(c.as_ref()).map_err(|e| {
            format!(
                "{} holds a certificate that does not parse: {e}",
                path.display()
            )
        })?;
    }
    Ok(certs.into_iter().map(|c| c.as_ref().to_vec()).collect())
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    rustls_pemfile::private_key(&mut data.as_slice())
        .map_err(|e| format!("{} is not valid PEM: {e}", path.display()))?
        .ok_or_else(|| format!("{} contains no private key", path.display()))
}

/// A certificate chain and its key, ready for a rustls server, with the DNS names it covers.
pub struct LoadedCert {
    pub key: Arc<CertifiedKey>,
    /// Lower-cased DNS names from the leaf's subjectAltName (and CN when there is none).
    pub names: Vec<String>,
}

pub fn load_certified_key(cert: &Path, key: &Path) -> Result<LoadedCert, String> {
    let chain: Vec<CertificateDer<'static>> = load_certs(cert)?
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let key_der = load_key(key)?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key_der)
        .map_err(|e| format!("{}: unsupported private key: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    if let Err(e) = certified.keys_match() {
        return Err(format!(
            "{} does not match the certificate in {}: {e}",
            key.display(),
            cert.display()
        ));
    }
    let names = names_of(certified.cert[0].as_ref());
    Ok(LoadedCert {
        key: Arc::new(certified),
        names,
    })
}

fn names_of(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                names.push(d.to_ascii_lowercase());
            }
        }
    }
    if names.is_empty() {
        if let Some(cn) = cert.subject().iter_common_name().next() {
            if let Ok(s) = cn.as_str() {
                names.push(s.to_ascii_lowercase());
            }
        }
    }
    names
}
