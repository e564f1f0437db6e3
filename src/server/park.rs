//! Where an idle HTTP/1 connection waits for its next request: on the bare stream, before
//! Pingora builds a session and its per-request state for it.
//!
//! Pingora's proxy allocates the whole state of a request (its session, a 4 KiB read
//! buffer and the future of every phase, tens of KiB) before it reads the first byte, and
//! holds it for as long as a kept-alive connection stays idle: 20,000 idle connections
//! held about 800 MiB (issue 15). [`first_bytes`] waits for the first bytes of the next
//! head with nothing but the stream, reads them into the buffer Pingora would have made,
//! and hands them over as the session's pipelined prefix, so the session and its state
//! exist only while a request is being served. The read itself is the one Pingora would
//! have made (same buffer size, same system call); the scratch space for it is on the
//! stack of one poll, not in the connection's state.

use std::future::{poll_fn, Future};
use std::io;
use std::mem::MaybeUninit;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::BytesMut;
use pingora::protocols::Stream;
use tokio::io::ReadBuf;
use tokio::sync::Notify;

/// What Pingora reads a request head into at first (its `INIT_HEADER_BUF_SIZE`).
const FIRST_READ: usize = 4096;

/// Tells parked connections that the service is stopping (they close, as Pingora's own
/// idle readers do).
#[derive(Debug, Default)]
pub struct Stopping {
    flag: AtomicBool,
    notify: Notify,
}

impl Stopping {
    pub fn stop(&self) {
        self.flag.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }
}

/// The first bytes of the next request on `stream`; `None` when the client closed the
/// connection, the read failed, `idle` ran out, or the service is stopping with nothing
/// read (the connection is then closed, as Pingora closes an idle connection in each of
/// these cases; bytes already there are read first, as Pingora's biased wait does).
pub async fn first_bytes(
    stream: &mut Stream,
    idle: Duration,
    stopping: &Stopping,
) -> Option<BytesMut> {
    let stop = async {
        let mut notified = pin!(stopping.notify.notified());
        notified.as_mut().enable();
        if !stopping.is_set() {
            notified.await;
        }
    };
    // Pingora's timeout, as its keep-alive read uses; the server puts timeouts of a second
    // or more on tokio's timer wheel (`fast_timeout_to_tokio_threshold_seconds`), so the
    // entry goes away as soon as the next request arrives.
    let read = async { pingora::time::timeout(idle, read_some(stream)).await.ok() };
    let result = tokio::select! {
        biased;
        r = read => r,
        _ = stop => None,
    };
    result.and_then(bytes_read)
}

/// The first bytes of the next request if they are already there, without waiting:
/// `Ready(Some)` with them, `Ready(None)` when the client closed the connection or the
/// read failed, `Pending` when nothing has arrived yet (nothing is then kept: the task that
/// waits next registers itself).
pub fn bytes_now(stream: &mut Stream) -> Poll<Option<BytesMut>> {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(read_some(stream)).poll(&mut cx).map(bytes_read)
}

/// What one read gave: bytes, or `None` at the end of the stream or on an error.
fn bytes_read(read: io::Result<BytesMut>) -> Option<BytesMut> {
    match read {
        Ok(bytes) if !bytes.is_empty() => Some(bytes),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(error = %e, "reading a connection failed");
            None
        }
    }
}

/// One read of whatever has arrived (empty at the end of the stream).
fn read_some(stream: &mut Stream) -> impl Future<Output = io::Result<BytesMut>> + '_ {
    poll_fn(move |cx| {
        // Scratch space for this poll only: nothing is kept while the connection waits.
        let mut scratch = [MaybeUninit::<u8>::uninit(); FIRST_READ];
        let mut buf = ReadBuf::uninit(&mut scratch);
        match Pin::new(&mut **stream).poll_read(cx, &mut buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let mut bytes = BytesMut::with_capacity(FIRST_READ);
                bytes.extend_from_slice(buf.filled());
                Poll::Ready(Ok(bytes))
            }
        }
    })
}
