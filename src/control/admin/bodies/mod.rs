//! The admin API's request bodies (Beyond Identity's shapes) and their conversion to the
//! domain's inputs: [`directory`] (identities, groups, realms, id lists) and [`binding`]
//! (credential binding jobs and batches). Every field of Beyond Identity's request bodies
//! is accepted; the read-only ones (`id`, `realm_id`, `tenant_id`, `create_time`, …) are
//! ignored, so a GET's object can be sent back in a PATCH. Anything else unknown is
//! refused.

mod binding;
mod directory;

use serde::de::IgnoredAny;

pub use binding::{BatchForm, BatchRequest, JobRequest};
pub use directory::{
    BatchDelete, GroupPatchRequest, IdentityIds, IdentityRequest, NewGroupRequest, RealmRequest,
};

/// A field the server sets: accepted in a request, ignored.
type ReadOnly = Option<IgnoredAny>;
