//! The data plane: Pingora's `ProxyHttp` for every request. The one gate ([`gate::Gate`],
//! also behind `/.passgate/verify`) matches the route, checks the session (re-issuing an
//! expired token) and applies the route's policy; the proxy hands `/.passgate/*` to the
//! control plane through [`handoff::ControlHandler`], cleans and adds headers, and proxies. It depends on `config` and
//! `session` only: never on the control plane, the domain logic or the store.

pub mod authn;
pub mod authz;
pub mod classify;
pub mod ctx;
pub mod draining;
pub mod forward;
pub mod framing;
pub mod gate;
pub mod handoff;
pub mod headers;
pub mod held_header;
pub mod local_fault;
pub mod original;
pub mod proxy;
pub mod request;
pub mod respond;
pub mod router;
pub mod runtime;
pub mod upstream;

pub use gate::Gate;
pub use handoff::{ClientInfo, ControlHandler};
pub use proxy::Gateway;
pub use runtime::Runtime;
