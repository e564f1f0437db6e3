//! What control-plane handlers share: the config they were built for (rebuilt on reload)
//! and the directory service over the store (opened once at start-up, kept across reloads).

use std::sync::Arc;

use crate::config::Config;
use crate::idm::Directory;

#[derive(Clone)]
pub struct ControlState {
    pub config: Arc<Config>,
    pub directory: Arc<Directory>,
}

impl ControlState {
    pub fn new(config: Arc<Config>, directory: Arc<Directory>) -> Self {
        ControlState { config, directory }
    }
}
