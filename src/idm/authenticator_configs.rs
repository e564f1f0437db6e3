//! The realm's authenticator configurations (Beyond Identity's term for how a binding link
//! is opened and a passkey made). For now every realm has exactly one, the hosted web
//! authenticator (passgate's own pages) with the stable id [`HOSTED_WEB_ID`]; its trusted
//! origins are the realm's WebAuthn origins. Configured `embedded` ones (issue 13) plug in
//! here: binding jobs only ever resolve an id through [`Directory::authenticator_config`].

use super::types::Resource;
use super::webauthn::allowed_origins;
use super::{Context, Directory, IdmError};
use crate::config::Config;

/// The id of every realm's hosted web authenticator configuration.
pub const HOSTED_WEB_ID: &str = "hosted_web";

/// How a binding link is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticatorKind {
    /// passgate's hosted pages: `/.passgate/bind?token=…`.
    HostedWeb,
}

impl AuthenticatorKind {
    /// Beyond Identity's `config.type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AuthenticatorKind::HostedWeb => "hosted_web",
        }
    }
}

/// One authenticator configuration of a realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorConfig {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub display_name: String,
    pub kind: AuthenticatorKind,
    /// Origins a passkey may be made and used on.
    pub trusted_origins: Vec<String>,
}

impl Directory {
    /// The realm's authenticator configurations.
    pub async fn authenticator_configs(
        &self,
        at: &Context<'_>,
        config: &Config,
    ) -> Result<Vec<AuthenticatorConfig>, IdmError> {
        let realm = self.realm_record(at.tenant, at.realm).await?;
        let (origins, _) = allowed_origins(config, &realm.rp_id)?;
        Ok(vec![AuthenticatorConfig {
            id: HOSTED_WEB_ID.to_string(),
            tenant_id: realm.tenant_id,
            realm_id: realm.id,
            display_name: "Hosted Web Authenticator".to_string(),
            kind: AuthenticatorKind::HostedWeb,
            trusted_origins: origins
                .iter()
                .map(|o| o.as_str().trim_end_matches('/').to_string())
                .collect(),
        }])
    }

    /// The realm's configuration `id`, or `NotFound` naming it.
    pub async fn authenticator_config(
        &self,
        at: &Context<'_>,
        config: &Config,
        id: &str,
    ) -> Result<AuthenticatorConfig, IdmError> {
        self.authenticator_configs(at, config)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| IdmError::not_found(Resource::AuthenticatorConfig, id))
    }
}
