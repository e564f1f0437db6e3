//! The route's policy applied to who is asking: allow, challenge (sign in first), step up
//! (sign in again: the sign-in is too old) or deny. Pure and allocation-free; the data
//! plane and `/.passgate/verify` share it. Every verdict names the rule that decided, for
//! the debug log.

use std::sync::Arc;

use http::Method;

use crate::config::{Allow, Policy, RequestPath, Route};
use crate::session::Principal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Let through without an identity: an `optional` route and no session of its realm.
    AllowAnonymous,
    /// Not signed in: send to the sign-in page (browsers) or answer 401.
    Challenge,
    /// Signed in longer ago than `max_auth_age` allows: sign in again (302 or 401).
    StepUp,
    /// Signed in but not allowed: 403.
    Deny,
}

/// Which rule decided, for the debug log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    PublicRoute,
    /// An `optional` route: everyone is let through, signed in or not.
    Optional,
    /// `public_paths[i]`.
    PublicPath(usize),
    NoSession,
    /// The session belongs to another realm: it does not count here (sign in to this one).
    Realm,
    /// `max_auth_age` of the route or of `rules[i]`.
    MaxAuthAge(Option<usize>),
    /// `rules[i]`, by the list named.
    MethodRule(usize, &'static str),
    /// The route's allow lists, by the list named (`"any"` when there are none).
    Route(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub decision: Decision,
    pub rule: Rule,
}

const fn verdict(decision: Decision, rule: Rule) -> Verdict {
    Verdict { decision, rule }
}

/// Whether the request needs a session at all (a public route or public path does not).
#[inline]
pub fn public_rule(route: &Route, path: RequestPath<'_>) -> Option<Rule> {
    match route.policy {
        Policy::Public => Some(Rule::PublicRoute),
        Policy::Authenticated | Policy::Optional => {
            route.access.public_path(path).map(Rule::PublicPath)
        }
    }
}

/// The verdict for `principal` asking `method path` on `route` at `now` (seconds).
pub fn decide(
    route: &Route,
    principal: Option<&Principal>,
    method: &Method,
    path: RequestPath<'_>,
    now: u64,
) -> Verdict {
    if let Some(rule) = public_rule(route, path) {
        return verdict(Decision::Allow, rule);
    }
    let optional = route.policy == Policy::Optional;
    let Some(p) = principal else {
        return match optional {
            true => verdict(Decision::AllowAnonymous, Rule::NoSession),
            false => verdict(Decision::Challenge, Rule::NoSession),
        };
    };
    // The one realm check: a session of another realm does not count here (the user signs
    // in to this realm; an optional route lets them through unnamed), on a fresh token as on
    // one just re-issued.
    if p.realm() != route.realm {
        return match optional {
            true => verdict(Decision::AllowAnonymous, Rule::Realm),
            false => verdict(Decision::Challenge, Rule::Realm),
        };
    }
    if optional {
        // `passgate check` refuses allow lists, rules and max_auth_age on optional routes.
        return verdict(Decision::Allow, Rule::Optional);
    }
    let access = &route.access;
    let rule = access.rule_for(method);
    let (allow, max_age) = match rule {
        Some(i) => {
            let r = &access.rules[i];
            (&r.allow, r.max_auth_age.or(access.max_auth_age))
        }
        None => (&access.allow, access.max_auth_age),
    };
    if let Some(max) = max_age {
        if p.auth_time.saturating_add(max.as_secs()) < now {
            let from = rule.filter(|i| access.rules[*i].max_auth_age.is_some());
            return verdict(Decision::StepUp, Rule::MaxAuthAge(from));
        }
    }
    match admits(allow, p) {
        Some(list) => verdict(Decision::Allow, by(rule, list)),
        None => verdict(Decision::Deny, by(rule, "not admitted")),
    }
}

fn by(rule: Option<usize>, list: &'static str) -> Rule {
    match rule {
        Some(i) => Rule::MethodRule(i, list),
        None => Rule::Route(list),
    }
}

#[inline]
fn admits(allow: &Allow, p: &Principal) -> Option<&'static str> {
    if allow.is_open() {
        return Some("any");
    }
    allow.admits(p.username(), p.email(), p.groups())
}

/// Logs a verdict at debug level with the rule that decided.
pub fn log(
    route: &Route,
    principal: Option<&Arc<Principal>>,
    method: &Method,
    path: RequestPath<'_>,
    v: Verdict,
) {
    tracing::debug!(
        route = %route.id,
        method = %method,
        path = path.raw,
        canonical = path.canonical,
        user = principal.map_or("-", |p| p.username()),
        decision = ?v.decision,
        rule = ?v.rule,
        "access decision"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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
        Principal::new(crate::session::principal::Parts {
            identity_id: "id1",
            realm,
            username: "alice",
            email: None,
            groups: &[],
            session_id: "s1",
            auth_time: 0,
            expires_at: u64::MAX,
        })
    }

    #[test]
    fn public_allows_everyone_and_authenticated_needs_a_principal_of_the_realm() {
        let d =
            |r: &Route, p: Option<&Principal>| decide(r, p, &Method::GET, "/".into(), 10).decision;
        assert_eq!(d(&route(Policy::Public), None), Decision::Allow);
        let r = route(Policy::Authenticated);
        assert_eq!(d(&r, None), Decision::Challenge);
        assert_eq!(d(&r, Some(&principal("default"))), Decision::Allow);
        assert_eq!(d(&r, Some(&principal("other"))), Decision::Challenge);
    }

    #[test]
    fn optional_lets_everyone_through_and_names_only_a_principal_of_the_realm() {
        let r = route(Policy::Optional);
        let v = |p: Option<&Principal>| decide(&r, p, &Method::POST, "/x".into(), 10);
        let anon = v(None);
        assert_eq!(
            (anon.decision, anon.rule),
            (Decision::AllowAnonymous, Rule::NoSession)
        );
        let alice = v(Some(&principal("default")));
        assert_eq!(
            (alice.decision, alice.rule),
            (Decision::Allow, Rule::Optional)
        );
        let other = v(Some(&principal("other")));
        assert_eq!(
            (other.decision, other.rule),
            (Decision::AllowAnonymous, Rule::Realm)
        );
        assert_eq!(
            public_rule(&r, "/x".into()),
            None,
            "the session is looked up"
        );
    }

    #[test]
    fn verdicts_name_the_rule_that_decided() {
        let cfg = crate::config::from_str(
            "public_url = \"http://localhost:8080\"\n[[listeners]]\naddress = \"127.0.0.1:1\"\n[[routes]]\nhost = \"*\"\nupstream = \"http://127.0.0.1:2\"\nallow_users = [\"alice\"]\npublic_paths = [\"/pub\"]\nmax_auth_age = \"1h\"\n[[routes.rules]]\nmethods = [\"POST\"]\nallow_groups = [\"editors\"]\nmax_auth_age = \"1m\"\n",
            std::path::Path::new("."),
        )
        .unwrap();
        let r = &cfg.routes[0];
        let alice = principal("default");
        let now = 10_000;
        let v = decide(r, None, &Method::GET, "/pub/x".into(), now);
        assert_eq!((v.decision, v.rule), (Decision::Allow, Rule::PublicPath(0)));
        let v = decide(r, Some(&alice), &Method::GET, "/x".into(), 100);
        assert_eq!(
            (v.decision, v.rule),
            (Decision::Allow, Rule::Route("allow_users"))
        );
        let v = decide(r, Some(&alice), &Method::GET, "/x".into(), now);
        assert_eq!(
            (v.decision, v.rule),
            (Decision::StepUp, Rule::MaxAuthAge(None))
        );
        let v = decide(r, Some(&alice), &Method::POST, "/x".into(), 30);
        assert_eq!(
            (v.decision, v.rule),
            (Decision::Deny, Rule::MethodRule(0, "not admitted"))
        );
        let v = decide(r, Some(&alice), &Method::POST, "/x".into(), 100);
        assert_eq!(
            (v.decision, v.rule),
            (Decision::StepUp, Rule::MaxAuthAge(Some(0)))
        );
        let v = decide(r, Some(&principal("other")), &Method::GET, "/x".into(), 0);
        assert_eq!((v.decision, v.rule), (Decision::Challenge, Rule::Realm));
    }
}
