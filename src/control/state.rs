//! What control-plane handlers share: the config they were built for (rebuilt on reload).

use std::sync::Arc;

use crate::config::Config;

#[derive(Clone)]
pub struct ControlState {
    pub config: Arc<Config>,
}

impl ControlState {
    pub fn new(config: Arc<Config>) -> Self {
        ControlState { config }
    }
}
