//! Identity management, with no HTTP: realms, identities, groups, credentials, binding jobs,
//! API tokens, sessions and the audit log, on top of the store's traits.
//!
//! Every operation takes typed input (`NewIdentity`, `IdentityPatch`, `NewGroup`,
//! `NewBindingJob`, …) and returns records (`store::IdentityRecord`, …) or small outcome
//! types; states are the enums of [`types`]. The wire formats live at the edges: the admin
//! API's request bodies in `control::admin::bodies`, its JSON views in [`views`] (shared
//! with the audit log), SQL in `store::sql`. Every write is audited in its transaction.

pub mod audit;
pub mod authenticator_configs;
pub mod bind_ceremony;
pub mod binding;
pub mod bootstrap;
pub mod clock;
pub mod credentials;
pub mod error;
pub mod fields;
pub mod filter;
pub mod groups;
pub mod identities;
pub mod ids;
pub mod oidc;
pub mod origins;
pub mod paging;
pub mod realms;
pub mod scopes;
pub mod search;
pub mod self_service;
pub mod sessions;
pub mod signin_ceremony;
pub mod signing_keys;
pub mod token_cache;
pub mod tokens;
pub mod types;
pub mod views;
pub mod webauthn;

use std::sync::{Arc, OnceLock};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{IdmError, ResourceRef};
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
    /// API tokens verified within the last [`token_cache::TTL`].
    tokens: token_cache::TokenCache,
}

impl Directory {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Directory {
            store,
            clock,
            cache: OnceLock::new(),
            tokens: token_cache::TokenCache::default(),
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
            // At the directory's time, the clock sessions are signed in by.
            let at = u64::try_from(self.now_us() / 1_000_000).unwrap_or(0);
            c.revoke_identity_at(identity_id, at);
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
    /// A user signing in (or trying to) with a passkey.
    SignIn,
    /// A signed-in user managing their own passkeys (`identity:<id>`).
    Identity(String),
    /// Someone asking for a recovery link at `/.passgate/recover`.
    Recovery,
    /// An administrator (`identity:<id>` of the admin group) acting in the admin console.
    Console(String),
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::ApiToken(id) => format!("api_token:{id}"),
            Actor::Cli => "cli".into(),
            Actor::Delivery => "email_delivery".into(),
            Actor::BindingLink => "binding_link".into(),
            Actor::SignIn => "sign_in".into(),
            Actor::Identity(id) => format!("identity:{id}"),
            Actor::Recovery => "recovery".into(),
            Actor::Console(id) => format!("console:identity:{id}"),
        }
    }
}

/// Where an operation happens and who acts: the tenant, the realm, the actor. (An API
/// token's permissions are [`tokens::Scope`]s; this is the context every realm operation
/// runs in.)
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub tenant: &'a str,
    pub realm: &'a str,
    pub actor: &'a Actor,
}

impl<'a> Context<'a> {
    pub fn new(tenant: &'a str, realm: &'a str, actor: &'a Actor) -> Context<'a> {
        Context {
            tenant,
            realm,
            actor,
        }
    }
}
