//! Keep-alive during shutdown. After `SIGTERM` Pingora stops accepting and, once its
//! listeners are closed, drops every kept-alive connection the moment it waits for the next
//! request; a client that sends one then meets an EOF or a reset. Responses written while
//! the process is shutting down therefore carry `Connection: close`, so clients open a new
//! connection (to another instance) instead of reusing this one.

use pingora::proxy::Session;

/// Marks the connection to close after this response when the process is shutting down.
/// Called just before every response header passgate writes (proxied, control plane and
/// its own pages); Pingora then writes `Connection: close`.
pub fn close_if_draining(session: &mut Session) {
    if session.is_process_shutting_down() {
        session.set_keepalive(None);
    }
}
