//! The policy hook: given the route and who is asking, allow, challenge (sign in first) or
//! deny. Per-route rules (groups, users, methods, step-up) extend [`decide`].

use crate::config::{Policy, Route};
use crate::session::Principal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in: send to the sign-in page (browsers) or answer 401.
    Challenge,
    /// Signed in but not allowed: 403.
    Deny,
}

pub fn decide(route: &Route, principal: Option<&Principal>) -> Decision {
    match route.policy {
        Policy::Public => Decision::Allow,
        Policy::Authenticated => match principal {
            None => Decision::Challenge,
            Some(p) if *p.realm != *route.realm => Decision::Deny,
            Some(_) => Decision::Allow,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn route(policy: Policy) -> Route {
        let cfg = crate::config::from_str(
            "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n[[routes]]\nhost = \"*\"\nupstream = \"http://127.0.0.1:2\"\n",
            std::path::Path::new("."),
        )
        .unwrap();
        let mut r = (*cfg.routes[0]).clone();
        r.policy = policy;
        r
    }

    fn principal(realm: &str) -> Principal {
        Principal {
            identity_id: Arc::from("id1"),
            realm: Arc::from(realm),
            username: Arc::from("alice"),
            email: None,
            groups: Arc::from(Vec::new()),
            session_id: Arc::from("s1"),
            auth_time: 0,
            expires_at: u64::MAX,
        }
    }

    #[test]
    fn public_allows_everyone_and_authenticated_needs_a_principal_of_the_realm() {
        assert_eq!(decide(&route(Policy::Public), None), Decision::Allow);
        let r = route(Policy::Authenticated);
        assert_eq!(decide(&r, None), Decision::Challenge);
        assert_eq!(decide(&r, Some(&principal("default"))), Decision::Allow);
        assert_eq!(decide(&r, Some(&principal("other"))), Decision::Deny);
    }
}
