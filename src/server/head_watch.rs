//! A downstream stream that enforces the request-head deadline (`server.header_timeout`):
//! from the first byte of a request, the client has that long to finish the head (the
//! blank line after the headers). Pingora's own read timeout restarts with every read, so
//! a client trickling one byte a second would otherwise hold its connection for ever
//! (slowloris).
//!
//! [`HeadWatch`] wraps the connection below Pingora's HTTP/1 parser and watches the bytes
//! it reads: the clock starts at the first byte of a head, stops at the head's end, and
//! when it runs out the next read fails with `TimedOut`, so Pingora closes the connection.
//! Bodies, upgraded connections (WebSocket) and idle keep-alive time are not limited
//! here (the route's timeouts and Pingora's keep-alive timeout are). The owner re-arms it
//! for the next request on a kept-alive connection with the [`Rearm`] handle.
//! No allocation and no timer when a head arrives in one read (the common case).
//!
//! It also carries the connection's [`HeldHeader`]: a response header the data plane asked
//! to hold goes out with its body's first bytes, in one write ([`hold_header`]).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use pingora::protocols::raw_connect::ProxyDigest;
use pingora::protocols::tls::TlsRef;
use pingora::protocols::{
    GetProxyDigest, GetSocketDigest, GetTimingDigest, Peek, Shutdown, SocketDigest, Ssl, Stream,
    TimingDigest, UniqueID, UniqueIDType, ALPN,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::dataplane::held_header::HeldHeader;

/// Finds the end of a request head (an empty line: `\n\n` or `\n\r\n`) across reads.
/// Empty lines before the request line are skipped (RFC 9112 §2.2), so a client cannot
/// stop the clock by sending blank lines first.
#[derive(Debug, Default, Clone, Copy)]
pub struct EndOfHead {
    started: bool,
    /// 0: inside a line; 1: just after `\n`; 2: just after `\n\r`.
    state: u8,
}

impl EndOfHead {
    /// Feeds bytes; true once the head is complete. Inside a line only `\n` matters, so
    /// the scan jumps from line end to line end with `memchr` (SIMD) and looks at the one
    /// or two bytes after each: a few hundred instructions for a head of any length where
    /// a byte-by-byte state machine cost about 20 per byte (8,500 per request with a
    /// session cookie, issue 15's callgrind figures).
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        if !self.started {
            match rest.iter().position(|&b| b != b'\r' && b != b'\n') {
                Some(first) => {
                    self.started = true;
                    rest = &rest[first..];
                }
                None => return false,
            }
        }
        while let Some((&b, after)) = rest.split_first() {
            if self.state == 0 {
                // Inside a line: nothing but its end changes the state.
                match memchr::memchr(b'\n', rest) {
                    Some(end) => {
                        self.state = 1;
                        rest = &rest[end + 1..];
                    }
                    None => return false,
                }
                continue;
            }
            self.state = match (b, self.state) {
                (b'\n', _) => return true,
                (b'\r', 1) => 2,
                _ => 0,
            };
            rest = after;
        }
        false
    }
}

/// Re-arms a [`HeadWatch`] from outside (before the next request on its connection).
#[derive(Clone, Debug, Default)]
pub struct Rearm(Arc<AtomicBool>);

impl Rearm {
    pub fn rearm(&self) {
        self.0.store(true, Ordering::Release);
    }
}

pub struct HeadWatch {
    inner: Stream,
    limit: Duration,
    rearm: Rearm,
    /// Watching a head (false once it ended, until re-armed).
    armed: bool,
    scan: EndOfHead,
    /// Set at the first byte of a head that did not arrive in one read.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    held: HeldHeader,
}

/// Holds the next response header on `stream` for its body, if `stream` is a connection
/// read through a [`HeadWatch`] (HTTP/1 listeners); other streams are left alone.
pub fn hold_header(stream: &Stream) {
    if let Some(watch) = stream.as_any().downcast_ref::<HeadWatch>() {
        watch.held.arm();
    }
}

impl fmt::Debug for HeadWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeadWatch")
            .field("inner", &self.inner)
            .field("limit", &self.limit)
            .field("armed", &self.armed)
            .finish()
    }
}

impl HeadWatch {
    /// Wraps `inner`, armed for its first request head.
    pub fn new(inner: Stream, limit: Duration) -> (HeadWatch, Rearm) {
        let rearm = Rearm::default();
        let watch = HeadWatch {
            inner,
            limit,
            rearm: rearm.clone(),
            armed: true,
            scan: EndOfHead::default(),
            deadline: None,
            held: HeldHeader::default(),
        };
        (watch, rearm)
    }

    fn timed_out(&self) -> io::Error {
        tracing::debug!(
            limit = ?self.limit,
            peer = ?self.inner.get_socket_digest().and_then(|d| d.peer_addr().cloned()),
            "closing a connection whose request head was not complete in time"
        );
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "request head not complete within {:?} (server.header_timeout)",
                self.limit
            ),
        )
    }
}

impl AsyncRead for HeadWatch {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.held.is_holding() {
            // Waiting for the client while a header is held: it goes out now. Not written
            // yet (the socket is full): the write side retries it.
            if let Poll::Ready(Err(e)) = this.held.poll_send(Pin::new(&mut *this.inner), cx) {
                return Poll::Ready(Err(e));
            }
        }
        if this.rearm.0.swap(false, Ordering::AcqRel) {
            this.armed = true;
            this.scan = EndOfHead::default();
            this.deadline = None;
        }
        if this.armed {
            if let Some(deadline) = this.deadline.as_mut() {
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(this.timed_out()));
                }
            }
        }
        let before = buf.filled().len();
        let result = Pin::new(&mut *this.inner).poll_read(cx, buf);
        if this.armed && matches!(result, Poll::Ready(Ok(()))) {
            let new = &buf.filled()[before..];
            if this.scan.feed(new) {
                this.armed = false;
                this.deadline = None;
            } else if this.deadline.is_none() && this.scan.started {
                // Registered with the waker at the next poll, which follows this read.
                this.deadline = Some(Box::pin(tokio::time::sleep(this.limit)));
            }
        }
        result
    }
}

impl AsyncWrite for HeadWatch {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.held.poll_write(Pin::new(&mut *this.inner), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.held.poll_send(Pin::new(&mut *this.inner), cx))?;
        Pin::new(&mut *this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.held.poll_send(Pin::new(&mut *this.inner), cx))?;
        Pin::new(&mut *this.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.held.poll_send(Pin::new(&mut *this.inner), cx))?;
        Pin::new(&mut *this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[async_trait]
impl Shutdown for HeadWatch {
    async fn shutdown(&mut self) {
        self.inner.shutdown().await
    }
}

impl UniqueID for HeadWatch {
    fn id(&self) -> UniqueIDType {
        self.inner.id()
    }
}

impl Ssl for HeadWatch {
    fn get_ssl(&self) -> Option<&TlsRef> {
        self.inner.get_ssl()
    }

    fn get_ssl_digest(&self) -> Option<Arc<pingora::protocols::tls::SslDigest>> {
        self.inner.get_ssl_digest()
    }

    fn selected_alpn_proto(&self) -> Option<ALPN> {
        self.inner.selected_alpn_proto()
    }
}

impl GetTimingDigest for HeadWatch {
    fn get_timing_digest(&self) -> Vec<Option<TimingDigest>> {
        self.inner.get_timing_digest()
    }

    fn get_read_pending_time(&self) -> Duration {
        self.inner.get_read_pending_time()
    }

    fn get_write_pending_time(&self) -> Duration {
        self.inner.get_write_pending_time()
    }
}

impl GetProxyDigest for HeadWatch {
    fn get_proxy_digest(&self) -> Option<Arc<ProxyDigest>> {
        self.inner.get_proxy_digest()
    }

    fn set_proxy_digest(&mut self, digest: ProxyDigest) {
        self.inner.set_proxy_digest(digest)
    }
}

impl GetSocketDigest for HeadWatch {
    fn get_socket_digest(&self) -> Option<Arc<SocketDigest>> {
        self.inner.get_socket_digest()
    }

    fn set_socket_digest(&mut self, digest: SocketDigest) {
        self.inner.set_socket_digest(digest)
    }
}

#[async_trait]
impl Peek for HeadWatch {
    async fn try_peek(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.inner.try_peek(buf).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_at_the_blank_line_in_any_split() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
        for split in 0..head.len() {
            let mut s = EndOfHead::default();
            let done = s.feed(&head[..split]) || s.feed(&head[split..]);
            assert!(done, "split at {split}");
        }
        let mut s = EndOfHead::default();
        assert!(!s.feed(b"GET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(s.feed(b"\r\n"));
        let mut s = EndOfHead::default();
        assert!(s.feed(b"GET / HTTP/1.1\nHost: a\n\n"), "bare LF");
    }

    #[test]
    fn leading_blank_lines_do_not_end_the_head() {
        let mut s = EndOfHead::default();
        assert!(!s.feed(b"\r\n\r\n\n\r\n"));
        assert!(!s.feed(b"GET / HTTP/1.1\r\n"));
        assert!(s.feed(b"\r\n"));
    }

    /// The byte-by-byte definition [`EndOfHead::feed`] must agree with.
    fn reference(started: &mut bool, state: &mut u8, bytes: &[u8]) -> bool {
        for &b in bytes {
            if !*started {
                if b == b'\r' || b == b'\n' {
                    continue;
                }
                *started = true;
            }
            *state = match (b, *state) {
                (b'\n', 1 | 2) => return true,
                (b'\n', _) => 1,
                (b'\r', 1) => 2,
                _ => 0,
            };
        }
        false
    }

    #[test]
    fn agrees_with_the_byte_by_byte_definition_on_every_split() {
        // Every head of up to 9 bytes over the alphabet that matters (CR, LF, a letter),
        // fed whole and split at every point: same verdict, at the same read.
        let alphabet = [b'\r', b'\n', b'a'];
        for len in 0..=9u32 {
            for mut code in 0..3usize.pow(len) {
                let mut head = Vec::new();
                for _ in 0..len {
                    head.push(alphabet[code % 3]);
                    code /= 3;
                }
                for split in 0..=head.len() {
                    let (a, b) = head.split_at(split);
                    let mut fast = EndOfHead::default();
                    let (mut started, mut state) = (false, 0);
                    let fast_first = fast.feed(a);
                    let slow_first = reference(&mut started, &mut state, a);
                    assert_eq!(fast_first, slow_first, "{head:?} split at {split}");
                    if !fast_first {
                        assert_eq!(
                            fast.feed(b),
                            reference(&mut started, &mut state, b),
                            "{head:?} split at {split}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_lone_cr_is_not_a_line_end() {
        let mut s = EndOfHead::default();
        assert!(!s.feed(b"GET / HTTP/1.1\r\nX: a\r\r\r"));
        assert!(s.feed(b"\n\r\n"));
    }
}
