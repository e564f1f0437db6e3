//! SCIM 2.0 (RFC 7643, RFC 7644) without HTTP or storage: the schemas passgate serves, the
//! filter language (parser with a depth limit, evaluation on JSON values), PATCH paths and
//! the application of PATCH operations, and the `attributes`/`excludedAttributes`
//! projection. The HTTP service provider is `control::scim`; it maps resources onto the
//! typed domain (`idm`) and filters onto the store's search conditions.

pub mod eval;
pub mod filter;
pub mod patch;
pub mod path;
pub mod project;
pub mod query;
pub mod schema;
pub mod user_traits;
