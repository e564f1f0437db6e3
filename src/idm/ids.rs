//! Random ids and secrets, and the hash secrets are stored as.

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use ring::rand::{SecureRandom, SystemRandom};

use super::IdmError;

fn random_bytes<const N: usize>() -> Result<[u8; N], IdmError> {
    let mut buf = [0u8; N];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| IdmError::Internal("the system random source failed".into()))?;
    Ok(buf)
}

/// An opaque id: 128 random bits as 32 lower-case hex digits.
pub fn new_id() -> Result<String, IdmError> {
    Ok(HEXLOWER.encode(&random_bytes::<16>()?))
}

/// A secret: 256 random bits, base64url without padding.
pub fn new_secret() -> Result<String, IdmError> {
    Ok(BASE64URL_NOPAD.encode(&random_bytes::<32>()?))
}

/// SHA-256 as lower-case hex (enough for 256-bit random secrets: no salt or stretching needed).
pub fn sha256_hex(secret: &str) -> String {
    HEXLOWER.encode(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref())
}

/// Compares without an early exit.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_hex() {
        let a = new_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_id().unwrap());
    }

    #[test]
    fn hashes_and_compares() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
