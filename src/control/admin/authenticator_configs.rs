//! `…/realms/{realm}/authenticator-configs[/{id}]`: the realm's authenticator
//! configurations (read-only: every realm has its hosted web one).

use super::extract::{split_action, Admin, Segments};
use super::methods::AUTHENTICATOR_CONFIG;
use super::reply::{ok, Reply};
use crate::idm::tokens::{Action, Family};
use crate::idm::views;

pub async fn list(admin: Admin, Segments((t, r)): Segments<(String, String)>) -> Reply {
    let at = admin.in_realm(&t, &r, Family::AuthenticatorConfigs, Action::Read)?;
    let s = &admin.state;
    let configs = s.directory.authenticator_configs(&at, &s.config).await?;
    let list: Vec<_> = configs.iter().map(views::authenticator_config).collect();
    ok(serde_json::json!({"authenticator_configs": list, "total_size": list.len()}))
}

pub async fn get(admin: Admin, Segments((t, r, seg)): Segments<(String, String, String)>) -> Reply {
    let (id, None) = split_action(&seg) else {
        return Err(AUTHENTICATOR_CONFIG.refuse(&seg));
    };
    let at = admin.in_realm(&t, &r, Family::AuthenticatorConfigs, Action::Read)?;
    let s = &admin.state;
    let config = s.directory.authenticator_config(&at, &s.config, id).await?;
    ok(views::authenticator_config(&config))
}
