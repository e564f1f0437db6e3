//! The identity a verified session stands for, as the data plane passes it on.

use std::sync::Arc;

/// Who a request is from, once its session token has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub identity_id: Arc<str>,
    pub realm: Arc<str>,
    pub username: Arc<str>,
    pub email: Option<Arc<str>>,
    pub groups: Arc<[Arc<str>]>,
}
