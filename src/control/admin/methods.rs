//! Which HTTP methods each admin item path allows, its custom methods included. A custom
//! method shares the path segment with the id (`…/groups/{id}:addMembers`), so the router
//! alone cannot tell `…/{id}` from `…/{id}:listMembers`: a method the path does not allow
//! is `405` with `Allow` naming the ones it does (RFC 9110 §15.5.6), a custom method the
//! resource does not have is `404`.

use std::collections::HashMap;

use axum::extract::rejection::PathRejection;
use axum::extract::Path;

use super::extract::split_action;
use crate::control::error::ApiError;

/// An item path: its own methods and its custom methods'.
pub struct Item {
    /// The path parameter that holds `{id}` or `{id}:custom`.
    param: &'static str,
    /// `Allow` of `…/{id}`.
    plain: &'static str,
    /// Each custom method and its `Allow`.
    customs: &'static [(&'static str, &'static str)],
}

const READ: &str = "GET, HEAD";
const ACTION: &str = "POST";

pub const IDENTITY: Item = Item {
    param: "identity",
    plain: "GET, HEAD, PATCH, DELETE",
    customs: &[("listGroups", READ)],
};
pub const GROUP: Item = Item {
    param: "group",
    plain: "GET, HEAD, PATCH, DELETE",
    customs: &[
        ("listMembers", READ),
        ("addMembers", ACTION),
        ("deleteMembers", ACTION),
    ],
};
pub const BINDING_JOB: Item = Item {
    param: "job",
    plain: READ,
    customs: &[("revoke", ACTION)],
};
pub const BATCH: Item = Item {
    param: "batch",
    plain: READ,
    customs: &[("listResults", READ)],
};
pub const CREDENTIAL: Item = Item {
    param: "credential",
    plain: READ,
    customs: &[("revoke", ACTION)],
};
pub const AUTHENTICATOR_CONFIG: Item = Item {
    param: "config",
    plain: READ,
    customs: &[],
};

impl Item {
    /// The methods `segment` (`{id}` or `{id}:custom`) allows; `None` for a custom method
    /// the resource does not have.
    pub fn allow(&self, segment: &str) -> Option<&'static str> {
        match split_action(segment) {
            (_, None) => Some(self.plain),
            (_, Some(custom)) => self
                .customs
                .iter()
                .find(|(name, _)| *name == custom)
                .map(|(_, allow)| *allow),
        }
    }

    /// The answer to a method `segment` does not serve: `405` with `Allow`, or `404`.
    pub fn refuse(&self, segment: &str) -> ApiError {
        match self.allow(segment) {
            Some(allow) => ApiError::MethodNotAllowed { allow: Some(allow) },
            None => ApiError::NotFound("no such passgate endpoint".into()),
        }
    }

    /// The route's fallback (a method no handler of the path takes): [`Item::refuse`] of
    /// the path's item segment.
    pub async fn fallback(
        &'static self,
        params: Result<Path<HashMap<String, String>>, PathRejection>,
    ) -> ApiError {
        let segment = params
            .as_ref()
            .ok()
            .and_then(|Path(p)| p.get(self.param))
            .map_or("", String::as_str);
        self.refuse(segment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_methods_have_their_own_allow() {
        assert_eq!(GROUP.allow("g1"), Some("GET, HEAD, PATCH, DELETE"));
        assert_eq!(GROUP.allow("g1:listMembers"), Some("GET, HEAD"));
        assert_eq!(GROUP.allow("g1:addMembers"), Some("POST"));
        assert_eq!(GROUP.allow("g1:nope"), None);
        assert_eq!(CREDENTIAL.allow("c:revoke"), Some("POST"));
        assert_eq!(AUTHENTICATOR_CONFIG.allow("x:revoke"), None);
        assert!(matches!(
            BATCH.refuse("b:listResults"),
            ApiError::MethodNotAllowed {
                allow: Some("GET, HEAD")
            }
        ));
        assert!(matches!(IDENTITY.refuse("i:x"), ApiError::NotFound(_)));
    }
}
