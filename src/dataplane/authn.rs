//! Authentication step of the data plane: from the request's session cookie to a verified
//! [`Principal`]. Session tokens are not issued yet (sign-in comes with the sessions work),
//! so no cookie verifies and every protected request is challenged; the verifier plugs in
//! here and nowhere else.

use pingora::http::RequestHeader;

use crate::session::Principal;

use super::runtime::Runtime;

pub fn authenticate(_req: &RequestHeader, _runtime: &Runtime) -> Option<Principal> {
    None
}
