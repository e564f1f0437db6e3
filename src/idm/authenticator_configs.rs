//! The realm's authenticator configurations (Beyond Identity's term for how a binding link
//! is opened and a passkey made): the default hosted web authenticator (passgate's own
//! pages) with the stable id [`HOSTED_WEB_ID`], whose trusted origins are passgate's
//! WebAuthn origins for the realm, and the configurations the realm declares in the TOML
//! (`[[realms.authenticator_configs]]`, `embedded` ones leading to the app's own page).
//! Binding jobs only ever resolve an id through [`Directory::authenticator_config`];
//! links are made by [`binding_link`].

use super::types::Resource;
use super::webauthn::passgate_origins;
use super::{Context, Directory, IdmError};
use crate::config::{AuthenticatorType, Config, InvocationType};

pub use crate::config::HOSTED_WEB_ID;

/// One authenticator configuration of a realm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorConfig {
    pub id: String,
    pub tenant_id: String,
    pub realm_id: String,
    pub display_name: String,
    pub kind: AuthenticatorType,
    /// Where its binding links lead: `{invoke_url}/bind?token=…`.
    pub invoke_url: String,
    pub invocation_type: InvocationType,
    /// Origins a passkey may be made and used on from this configuration's pages.
    pub trusted_origins: Vec<String>,
}

/// The binding link of a job of `realm` made with the configuration `config_id`:
/// `{invoke_url}/bind?token=…`. A configuration no longer in the file (removed by a
/// reload after the job was made) falls back to the realm's hosted web one, so the link
/// still works.
pub fn binding_link(config: &Config, realm: &str, config_id: &str, token: &str) -> String {
    let invoke = match config.realm(realm) {
        Some(r) => r
            .invoke_url(&config.public_url, config_id)
            .unwrap_or_else(|| {
                tracing::warn!(
                    realm,
                    authenticator_config_id = config_id,
                    "authenticator configuration no longer configured: hosted web link"
                );
                r.hosted_invoke_url(&config.public_url)
            }),
        None => format!(
            "{}/.passgate",
            config.public_url.as_str().trim_end_matches('/')
        ),
    };
    format!("{invoke}/bind?token={token}")
}

impl Directory {
    /// The realm's authenticator configurations, the hosted web one first.
    pub async fn authenticator_configs(
        &self,
        at: &Context<'_>,
        config: &Config,
    ) -> Result<Vec<AuthenticatorConfig>, IdmError> {
        let realm = self.realm_record(at.tenant, at.realm).await?;
        let (origins, _) = passgate_origins(config, &realm.rp_id)?;
        let declared = config.realm(&realm.id);
        let hosted_invoke = match declared {
            Some(r) => r.hosted_invoke_url(&config.public_url),
            None => format!(
                "{}/.passgate",
                config.public_url.as_str().trim_end_matches('/')
            ),
        };
        let passgate: Vec<String> = origins
            .iter()
            .map(|o| o.as_str().trim_end_matches('/').to_string())
            .collect();
        let mut out = vec![AuthenticatorConfig {
            id: HOSTED_WEB_ID.to_string(),
            tenant_id: realm.tenant_id.clone(),
            realm_id: realm.id.clone(),
            display_name: "Hosted Web Authenticator".to_string(),
            kind: AuthenticatorType::HostedWeb,
            invoke_url: hosted_invoke.clone(),
            invocation_type: InvocationType::Automatic,
            trusted_origins: passgate.clone(),
        }];
        for c in declared.map_or(&[][..], |r| r.authenticator_configs.as_slice()) {
            out.push(AuthenticatorConfig {
                id: c.id.clone(),
                tenant_id: realm.tenant_id.clone(),
                realm_id: realm.id.clone(),
                display_name: c.display_name.clone(),
                kind: c.kind,
                invoke_url: c
                    .invoke_url
                    .clone()
                    .unwrap_or_else(|| hosted_invoke.clone()),
                invocation_type: c.invocation_type,
                trusted_origins: match c.kind {
                    AuthenticatorType::HostedWeb => passgate.clone(),
                    AuthenticatorType::Embedded => c.trusted_origins.clone(),
                },
            });
        }
        Ok(out)
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
