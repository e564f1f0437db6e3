//! List parameters (`page_size`, `page_token`) and list results ([`Listing`]: items,
//! `total_size`, `next_page_token`). Page tokens are opaque to clients: base64url of a store
//! position.

use data_encoding::BASE64URL_NOPAD;

use super::IdmError;
use crate::store::{Page, PageRequest};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 200;

/// `page_size`: absent or 0 → 20; above 200 → 200; anything not a whole number from 0 to
/// 2^63 − 1 (the documented `int64`), the empty string included → 400.
pub fn page_request(size: Option<&str>, token: Option<&str>) -> Result<PageRequest, IdmError> {
    let size = match size {
        None => DEFAULT_PAGE_SIZE,
        Some(raw) => match raw.parse::<i64>() {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) if n > 0 => n.min(i64::from(MAX_PAGE_SIZE)) as u32,
            _ => {
                return Err(IdmError::invalid(
                    "page_size",
                    format!("must be a whole number between 1 and {MAX_PAGE_SIZE}"),
                ))
            }
        },
    };
    let after = match token {
        None | Some("") => None,
        Some(t) => Some(decode_token(t)?),
    };
    Ok(PageRequest { size, after })
}

fn decode_token(token: &str) -> Result<i64, IdmError> {
    let bad = || IdmError::invalid("page_token", "is not a page token from this API");
    let bytes = BASE64URL_NOPAD
        .decode(token.as_bytes())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix("p1:")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(bad)
}

fn encode_token(position: i64) -> String {
    BASE64URL_NOPAD.encode(format!("p1:{position}").as_bytes())
}

/// One page of a list: the items, how many match in all, and the token of the next page
/// (only when more follow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total_size: i64,
    pub next_page_token: Option<String>,
}

impl<T> Listing<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Listing<U> {
        Listing {
            items: self.items.into_iter().map(f).collect(),
            total_size: self.total_size,
            next_page_token: self.next_page_token,
        }
    }
}

impl<T> From<Page<T>> for Listing<T> {
    fn from(page: Page<T>) -> Self {
        Listing {
            items: page.items,
            total_size: page.total,
            next_page_token: page.next.map(encode_token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_default_clamp_and_refuse() {
        assert_eq!(page_request(None, None).unwrap().size, 20);
        assert_eq!(page_request(Some("0"), None).unwrap().size, 20);
        assert_eq!(page_request(Some("500"), None).unwrap().size, 200);
        assert!(page_request(Some("-1"), None).is_err());
        assert!(page_request(Some("ten"), None).is_err());
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let t = encode_token(42);
        assert_eq!(page_request(None, Some(&t)).unwrap().after, Some(42));
        assert!(page_request(None, Some("not-a-token")).is_err());
        let forged = BASE64URL_NOPAD.encode(b"p1:-5");
        assert!(page_request(None, Some(&forged)).is_err());
    }
}
