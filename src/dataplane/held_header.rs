//! A response header held back until its body's first bytes, so the two leave in one
//! write (`writev`) instead of two system calls and two TCP segments.
//!
//! passgate writes to clients without Pingora's write buffer (a body arriving slowly must
//! reach the client as it comes: see `server/listeners.rs`), which costs every response
//! one more `sendto` than a buffered proxy makes: the header and the body go out
//! separately. The data plane arms the hold ([`HeldHeader::arm`]) for a response with a
//! `Content-Length` and a body to come; the next write (the header) is then kept, and goes
//! out together with the first body write. It is also sent, alone, the moment anything
//! else happens on the connection: a flush (Pingora flushes a header-only response and
//! the end of every body), a read, or a shutdown. A body that is slow to start therefore
//! delays its header until its first bytes, never longer; no bytes are reordered.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{ready, Context, Poll};

use tokio::io::AsyncWrite;

#[derive(Debug, Default)]
pub struct HeldHeader {
    /// Hold the next write (set from the data plane, which only has a shared reference).
    armed: AtomicBool,
    /// The held bytes (empty when nothing is held; freed once sent, so an idle connection
    /// keeps nothing).
    held: Vec<u8>,
    /// How much of `held` has been written.
    sent: usize,
}

impl HeldHeader {
    /// Holds the next write until the one after it (or a flush, read or shutdown).
    pub fn arm(&self) {
        self.armed.store(true, Ordering::Relaxed);
    }

    /// Writes `buf` through `inner`, holding it if armed, or sending what is held with it.
    pub fn poll_write<W: AsyncWrite + ?Sized>(
        &mut self,
        mut inner: Pin<&mut W>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.held.is_empty() {
            if std::mem::take(self.armed.get_mut()) && !buf.is_empty() {
                self.held.extend_from_slice(buf);
                return Poll::Ready(Ok(buf.len()));
            }
            return inner.poll_write(cx, buf);
        }
        while self.sent < self.held.len() {
            let rest = &self.held[self.sent..];
            let left = rest.len();
            let parts = [IoSlice::new(rest), IoSlice::new(buf)];
            let n = ready!(inner.as_mut().poll_write_vectored(cx, &parts))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            if n <= left {
                self.sent += n;
                continue;
            }
            self.release();
            return Poll::Ready(Ok(n - left));
        }
        self.release();
        inner.poll_write(cx, buf)
    }

    /// Sends whatever is held (before a flush, a read or a shutdown).
    pub fn poll_send<W: AsyncWrite + ?Sized>(
        &mut self,
        mut inner: Pin<&mut W>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while self.sent < self.held.len() {
            let n = ready!(inner.as_mut().poll_write(cx, &self.held[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        if !self.held.is_empty() {
            self.release();
        }
        Poll::Ready(Ok(()))
    }

    pub fn is_holding(&self) -> bool {
        !self.held.is_empty()
    }

    fn release(&mut self) {
        self.held = Vec::new();
        self.sent = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    /// A writer that records each write call (one per system call on a socket) and takes
    /// at most `max` bytes per call.
    struct Calls {
        writes: Vec<Vec<u8>>,
        max: usize,
    }

    impl AsyncWrite for Calls {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.max);
            self.writes.push(buf[..n].to_vec());
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            let n = all.len().min(self.max);
            self.writes.push(all[..n].to_vec());
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn fresh(max: usize) -> (HeldHeader, Calls) {
        let calls = Calls {
            writes: vec![],
            max,
        };
        (HeldHeader::default(), calls)
    }

    fn write_all(h: &mut HeldHeader, w: &mut Calls, mut buf: &[u8]) {
        let mut cx = Context::from_waker(Waker::noop());
        while !buf.is_empty() {
            match h.poll_write(Pin::new(&mut *w), &mut cx, buf) {
                Poll::Ready(Ok(n)) => {
                    assert!(n > 0 && n <= buf.len(), "wrote {n} of {}", buf.len());
                    buf = &buf[n..];
                }
                other => panic!("{other:?}"),
            }
        }
    }

    fn send(h: &mut HeldHeader, w: &mut Calls) {
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            h.poll_send(Pin::new(&mut *w), &mut cx),
            Poll::Ready(Ok(()))
        ));
    }

    #[test]
    fn an_armed_header_leaves_with_the_first_body_write() {
        let (mut h, mut w) = fresh(usize::MAX);
        h.arm();
        write_all(
            &mut h,
            &mut w,
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n",
        );
        assert!(w.writes.is_empty(), "the header is held");
        assert!(h.is_holding());
        write_all(&mut h, &mut w, b"body");
        assert_eq!(
            w.writes,
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody".to_vec()],
            "one write for both"
        );
        assert!(!h.is_holding());
        assert_eq!(h.held.capacity(), 0, "nothing kept once sent");
        // The next response is not held unless armed again.
        write_all(&mut h, &mut w, b"next");
        assert_eq!(w.writes.len(), 2);
    }

    #[test]
    fn unarmed_writes_pass_through_and_a_flush_sends_a_held_header_alone() {
        let (mut h, mut w) = fresh(usize::MAX);
        write_all(&mut h, &mut w, b"a");
        assert_eq!(w.writes, vec![b"a".to_vec()]);
        h.arm();
        write_all(&mut h, &mut w, b"header");
        send(&mut h, &mut w);
        assert_eq!(w.writes, vec![b"a".to_vec(), b"header".to_vec()]);
        send(&mut h, &mut w);
        assert_eq!(w.writes.len(), 2, "nothing left to send");
    }

    #[test]
    fn short_writes_keep_every_byte_in_order() {
        for max in 1..12 {
            let (mut h, mut w) = fresh(max);
            h.arm();
            write_all(&mut h, &mut w, b"HEAD:");
            write_all(&mut h, &mut w, b"body-bytes");
            write_all(&mut h, &mut w, b"+more");
            let all: Vec<u8> = w.writes.concat();
            assert_eq!(all, b"HEAD:body-bytes+more", "max {max}");
            assert!(!h.is_holding());
        }
    }

    #[test]
    fn an_empty_first_write_is_not_held() {
        let (mut h, mut w) = fresh(usize::MAX);
        h.arm();
        let mut cx = Context::from_waker(Waker::noop());
        let r = h.poll_write(Pin::new(&mut w), &mut cx, b"");
        assert!(matches!(r, Poll::Ready(Ok(0))));
        assert!(!h.is_holding());
    }
}
