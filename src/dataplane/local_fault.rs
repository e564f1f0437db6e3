//! Failures that are passgate's own, not the upstream's: creating the socket to an upstream
//! fails when this process is out of file descriptors (`EMFILE`), the system is (`ENFILE`),
//! kernel buffers or memory run out, or no local port is free (`EADDRNOTAVAIL`). Such a
//! failure says nothing about the peer, so it must not count towards `max_fails` (a healthy
//! peer would be marked down), nor be retried on another peer (that fails the same way):
//! the client gets `503` with `Retry-After`, as for any overload of passgate itself.

use pingora::{Error, ErrorType};

/// The `errno` values that mean "this host or process is out of a resource".
const LOCAL_ERRNOS: [i32; 5] = [
    24,  // EMFILE: this process is out of file descriptors
    23,  // ENFILE: the system is
    105, // ENOBUFS
    12,  // ENOMEM
    99,  // EADDRNOTAVAIL: no free local port
];

/// Status and `Retry-After` (seconds) passgate answers a local fault with.
pub const STATUS: u16 = 503;
pub const RETRY_AFTER: &str = "1";

/// The `errno` of `e` when it is a local resource fault.
pub fn local_errno(e: &Error) -> Option<i32> {
    let io = e.root_cause().downcast_ref::<std::io::Error>()?;
    io.raw_os_error().filter(|n| LOCAL_ERRNOS.contains(n))
}

/// `e` turned into the error that answers `503` without a retry.
pub fn unavailable(e: Box<Error>) -> Box<Error> {
    let mut out = Error::because(
        ErrorType::HTTPStatus(STATUS),
        "passgate is out of local resources (file descriptors, memory or ports)",
        e,
    );
    out.set_retry(false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket_error(errno: i32) -> Box<Error> {
        // The shape Pingora gives a failed socket(): InternalError caused by SocketError
        // caused by the io::Error.
        let io = std::io::Error::from_raw_os_error(errno);
        let socket = Error::because(ErrorType::SocketError, "failed to create socket", io);
        Error::because(ErrorType::InternalError, "Fail to connect to peer", socket)
    }

    #[test]
    fn out_of_descriptors_is_local() {
        assert_eq!(local_errno(&socket_error(24)), Some(24));
        assert_eq!(local_errno(&socket_error(23)), Some(23));
        let e = unavailable(socket_error(24));
        assert_eq!(e.etype(), &ErrorType::HTTPStatus(503));
        assert!(!e.retry());
    }

    #[test]
    fn refused_or_unreachable_peers_are_not() {
        assert_eq!(local_errno(&socket_error(111)), None); // ECONNREFUSED
        assert_eq!(local_errno(&socket_error(113)), None); // EHOSTUNREACH
        let plain = Error::explain(ErrorType::ConnectTimedout, "timeout");
        assert_eq!(local_errno(&plain), None);
    }
}
