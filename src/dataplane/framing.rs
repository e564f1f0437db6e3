//! Request framing passgate refuses before it routes, reads a body or forwards anything:
//! every HTTP/1 request must say where its body ends in exactly one way, so passgate and
//! the upstream behind it can never disagree about it (request smuggling).
//!
//! Pingora already refuses differing `Content-Length` values, a `Transfer-Encoding` whose
//! last coding is not `chunked`, and `Transfer-Encoding` on HTTP/1.0. It accepts, and
//! would forward as sent, what this module refuses:
//!
//! - `Content-Length` twice, or as a list (`4, 4`): `400`. RFC 9110 §8.6 lets a recipient
//!   either reject these or collapse them; an upstream that parses them differently is
//!   exactly what a smuggling attempt looks for, so passgate rejects them (as nginx does).
//! - `Content-Length` together with `Transfer-Encoding`: `400` (RFC 9112 §6.1 allows
//!   rejecting; Pingora drops the `Content-Length` silently, which hides the ambiguity).
//! - a transfer coding other than one `chunked` (`gzip, chunked`): `501`. Pingora decodes
//!   the chunks and forwards the body as `chunked` only, so the upstream would read gzip
//!   bytes as plain; `chunked` named twice: `400`.
//!
//! - `Content_Length` or `Transfer_Encoding` (underscore spellings, which CGI-style
//!   servers read as the real ones): `400`.
//!
//! Every refusal closes the connection: a body that was not read cannot be skipped safely.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use pingora::http::RequestHeader;
use pingora::proxy::Session;

use super::ctx::{Outcome, RequestCtx};
use super::respond;
use crate::error_code::ErrorCode;

/// Why a request's framing is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("the request has more than one Content-Length")]
    RepeatedContentLength,
    #[error("the request has both Content-Length and Transfer-Encoding")]
    LengthAndEncoding,
    #[error("the request names the chunked transfer coding more than once")]
    RepeatedChunked,
    #[error("the transfer coding {0:?} is not implemented: send the body with chunked only")]
    UnsupportedCoding(String),
    #[error("the request has a {0} header, which some servers read as a framing header")]
    Lookalike(&'static str),
}

impl FramingError {
    pub fn status(&self) -> u16 {
        self.code().status()
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            FramingError::UnsupportedCoding(_) => ErrorCode::NotImplemented,
            _ => ErrorCode::BadRequest,
        }
    }
}

/// Checks an HTTP/1 request's framing. `raw_head` gives the head as received (only read
/// when `Transfer-Encoding` is present: Pingora has then already removed `Content-Length`
/// from the parsed headers).
pub fn check(head: &RequestHeader, raw_head: impl FnOnce() -> Bytes) -> Result<(), FramingError> {
    for name in LOOKALIKES {
        if head.headers.contains_key(name) {
            return Err(FramingError::Lookalike(name));
        }
    }
    let mut lengths = head.headers.get_all(CONTENT_LENGTH).into_iter();
    if let Some(first) = lengths.next() {
        if lengths.next().is_some() || first.as_bytes().contains(&b',') {
            return Err(FramingError::RepeatedContentLength);
        }
    }
    if !head.headers.contains_key(TRANSFER_ENCODING) {
        return Ok(());
    }
    if has_content_length_line(&raw_head()) {
        return Err(FramingError::LengthAndEncoding);
    }
    let mut chunked = 0;
    for value in head.headers.get_all(TRANSFER_ENCODING) {
        for token in value.as_bytes().split(|b| *b == b',') {
            let token = token.trim_ascii();
            if token.is_empty() {
                continue;
            }
            if token.eq_ignore_ascii_case(b"chunked") {
                chunked += 1;
            } else {
                let name = String::from_utf8_lossy(token).into_owned();
                return Err(FramingError::UnsupportedCoding(name));
            }
        }
    }
    if chunked > 1 {
        return Err(FramingError::RepeatedChunked);
    }
    Ok(())
}

/// Header names that servers mapping `_` to `-` (CGI, WSGI, PHP) read as framing headers.
const LOOKALIKES: [&str; 2] = ["content_length", "transfer_encoding"];

/// Whether a raw request head has a `Content-Length` field line (any case).
fn has_content_length_line(raw: &[u8]) -> bool {
    const NAME: &[u8] = b"content-length:";
    raw.split(|b| *b == b'\n')
        .skip(1)
        .any(|line| line.len() >= NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
}

/// [`check`] on the request of `session` (HTTP/1 only: HTTP/2 frames its own bodies).
pub fn check_session(session: &Session) -> Result<(), FramingError> {
    let Some(h1) = session.as_http1() else {
        return Ok(());
    };
    check(session.req_header(), || h1.get_headers_raw_bytes())
}

/// Answers a refused request and marks the connection to be closed after it.
pub async fn refuse(
    session: &mut Session,
    ctx: &mut RequestCtx,
    e: &FramingError,
) -> pingora::Result<bool> {
    tracing::info!(error = %e, "refused a request's framing");
    session.set_keepalive(None);
    ctx.outcome = Outcome::Refused;
    ctx.status = Some(e.status());
    let title = if e.status() == 501 {
        "Not implemented"
    } else {
        "Bad request"
    };
    respond::error(session, e.status(), e.code(), title, &e.to_string()).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(lines: &[(&str, &str)]) -> (RequestHeader, Bytes) {
        let mut h = RequestHeader::build("POST", b"/", None).unwrap();
        let mut raw = String::from("POST / HTTP/1.1\r\n");
        for (k, v) in lines {
            raw.push_str(&format!("{k}: {v}\r\n"));
            // As Pingora parses it: Content-Length is dropped when Transfer-Encoding is there.
            let te = lines
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"));
            if !(te && k.eq_ignore_ascii_case("content-length")) {
                h.append_header(k.to_string(), *v).unwrap();
            }
        }
        raw.push_str("\r\n");
        (h, Bytes::from(raw))
    }

    fn run(lines: &[(&str, &str)]) -> Result<(), FramingError> {
        let (h, raw) = head(lines);
        check(&h, || raw)
    }

    #[test]
    fn plain_framings_pass() {
        assert_eq!(run(&[]), Ok(()));
        assert_eq!(run(&[("Content-Length", "4")]), Ok(()));
        assert_eq!(run(&[("Transfer-Encoding", "chunked")]), Ok(()));
        assert_eq!(run(&[("Transfer-Encoding", "Chunked")]), Ok(()));
        assert_eq!(run(&[("Transfer-Encoding", "chunked,")]), Ok(()));
    }

    #[test]
    fn ambiguous_lengths_are_refused() {
        use FramingError::*;
        assert_eq!(
            run(&[("Content-Length", "4, 4")]),
            Err(RepeatedContentLength)
        );
        assert_eq!(
            run(&[("Content-Length", "4"), ("content-length", "4")]),
            Err(RepeatedContentLength)
        );
        assert_eq!(
            run(&[("Content-Length", "4"), ("Transfer-Encoding", "chunked")]),
            Err(LengthAndEncoding)
        );
        assert_eq!(
            run(&[("Transfer-Encoding", "chunked"), ("CONTENT-LENGTH", "0")]),
            Err(LengthAndEncoding)
        );
    }

    #[test]
    fn codings_other_than_one_chunked_are_refused() {
        use FramingError::*;
        let e = run(&[("Transfer-Encoding", "gzip, chunked")]).unwrap_err();
        assert_eq!(e, UnsupportedCoding("gzip".into()));
        assert_eq!(e.status(), 501);
        assert_eq!(
            run(&[("Transfer-Encoding", "chunked, chunked")]),
            Err(RepeatedChunked)
        );
        assert_eq!(
            run(&[
                ("Transfer-Encoding", "chunked"),
                ("Transfer-Encoding", "chunked")
            ]),
            Err(RepeatedChunked)
        );
        assert_eq!(RepeatedChunked.status(), 400);
    }

    #[test]
    fn underscore_spellings_are_refused() {
        assert_eq!(
            run(&[("Transfer_Encoding", "chunked")]),
            Err(FramingError::Lookalike("transfer_encoding"))
        );
        assert_eq!(
            run(&[("content_length", "4")]),
            Err(FramingError::Lookalike("content_length"))
        );
    }

    #[test]
    fn a_header_merely_containing_the_name_is_not_a_length() {
        let raw = Bytes::from_static(
            b"POST / HTTP/1.1\r\nX-Note: content-length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        assert!(!has_content_length_line(&raw));
    }
}
