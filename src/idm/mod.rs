//! Identity management, with no HTTP: realms, identities, groups, API tokens and the audit
//! log, on top of a [`Store`]. Request bodies come in as JSON values and are validated here
//! field by field; resources go out in the admin API's shapes.

pub mod audit;
pub mod bind_ceremony;
pub mod binding;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod fields;
pub mod filter;
pub mod groups;
pub mod identities;
pub mod ids;
pub mod paging;
pub mod realms;
pub mod sessions;
pub mod signing_keys;
pub mod tokens;
pub mod webauthn;

use std::sync::{Arc, OnceLock};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::IdmError;
pub use sessions::{IssuedSession, SessionService};
pub use tokens::{ApiPrincipal, IssuedToken};

use crate::session::cache::PrincipalCache;
use crate::store::Store;

/// The directory service: every domain operation hangs off it.
pub struct Directory {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// This instance's cache of verified sessions, when it serves requests: suspending or
    /// deleting an identity invalidates it at once (other instances follow the store's feed).
    cache: OnceLock<Arc<PrincipalCache>>,
}

impl Directory {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Directory {
            store,
            clock,
            cache: OnceLock::new(),
        }
    }

    /// Attaches the serving instance's session cache (once; later calls are ignored).
    pub fn attach_cache(&self, cache: Arc<PrincipalCache>) {
        let _ = self.cache.set(cache);
    }

    /// Drops the identity's sessions from this instance's cache (the store's revocation
    /// feed, written in the same transaction as the change, reaches the other instances).
    pub(crate) fn sessions_ended(&self, identity_id: &str) {
        if let Some(c) = self.cache.get() {
            c.revoke_identity(identity_id);
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now_us(&self) -> i64 {
        self.clock.now_us()
    }
}

/// Who makes a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    ApiToken(String),
    Cli,
    /// The background task that (re)sends binding-link emails.
    Delivery,
    /// A user acting through a credential binding link.
    BindingLink,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::ApiToken(id) => format!("api_token:{id}"),
            Actor::Cli => "cli".into(),
            Actor::Delivery => "email_delivery".into(),
            Actor::BindingLink => "binding_link".into(),
        }
    }
}

/// Where an operation happens: the tenant, the realm, who acts.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub tenant: &'a str,
    pub realm: &'a str,
    pub actor: &'a Actor,
}
