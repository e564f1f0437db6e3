//! Credential binding jobs and batches (Beyond Identity's batch form and passgate's).

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::ReadOnly;
use crate::control::error::ApiError;
use crate::idm::binding::{NewBatch, NewBindingJob};
use crate::idm::types::DeliveryMethod;

/// Beyond Identity's `CredentialBindingJob` as a request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobBody {
    #[serde(default, rename = "id")]
    #[schema(ignore)]
    _id: ReadOnly,
    #[serde(default, rename = "identity_id")]
    #[schema(ignore)]
    _identity_id: ReadOnly,
    #[serde(default, rename = "realm_id")]
    #[schema(ignore)]
    _realm_id: ReadOnly,
    #[serde(default, rename = "tenant_id")]
    #[schema(ignore)]
    _tenant_id: ReadOnly,
    #[serde(default, rename = "credential_id")]
    #[schema(ignore)]
    _credential_id: ReadOnly,
    #[serde(default, rename = "batch_id")]
    #[schema(ignore)]
    _batch_id: ReadOnly,
    #[serde(default, rename = "state")]
    #[schema(ignore)]
    _state: ReadOnly,
    #[serde(default, rename = "failure_reason")]
    #[schema(ignore)]
    _failure_reason: ReadOnly,
    #[serde(default, rename = "expire_time")]
    #[schema(ignore)]
    _expire_time: ReadOnly,
    #[serde(default, rename = "create_time")]
    #[schema(ignore)]
    _create_time: ReadOnly,
    #[serde(default, rename = "update_time")]
    #[schema(ignore)]
    _update_time: ReadOnly,
    delivery_method: DeliveryMethod,
    #[serde(default)]
    post_binding_redirect_uri: Option<String>,
    #[serde(default)]
    authenticator_config_id: Option<String>,
    /// Not supported (refused): reference a configuration by `authenticator_config_id`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    authenticator_config: Option<IgnoredAny>,
}

/// Beyond Identity's inline `authenticator_config` (an embedded SDK configuration for this
/// job only) has no counterpart yet: configurations are referenced by id.
fn no_inline_config(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        "inline authenticator configurations are not supported; reference the realm's \
         configuration by authenticator_config_id",
    )
}

impl JobBody {
    fn into_new(self, key: &str) -> Result<NewBindingJob, ApiError> {
        if self.authenticator_config.is_some() {
            return Err(no_inline_config(&format!("{key}.authenticator_config")));
        }
        Ok(NewBindingJob {
            delivery_method: self.delivery_method,
            post_binding_redirect_uri: self.post_binding_redirect_uri,
            authenticator_config_id: self.authenticator_config_id,
        })
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    job: JobBody,
}

impl JobRequest {
    pub fn into_new(self) -> Result<NewBindingJob, ApiError> {
        self.job.into_new("job")
    }
}

/// Beyond Identity's `BatchCredentialBindingJob` as a request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    #[serde(default, rename = "id")]
    #[schema(ignore)]
    _id: ReadOnly,
    #[serde(default, rename = "tenant_id")]
    #[schema(ignore)]
    _tenant_id: ReadOnly,
    #[serde(default, rename = "realm_id")]
    #[schema(ignore)]
    _realm_id: ReadOnly,
    #[serde(default, rename = "state")]
    #[schema(ignore)]
    _state: ReadOnly,
    #[serde(default, rename = "state_commentary")]
    #[schema(ignore)]
    _state_commentary: ReadOnly,
    #[serde(default, rename = "create_time")]
    #[schema(ignore)]
    _create_time: ReadOnly,
    #[serde(default, rename = "update_time")]
    #[schema(ignore)]
    _update_time: ReadOnly,
    identity_ids: Vec<String>,
    job_template: JobTemplateBody,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct JobTemplateBody {
    #[serde(default, rename = "expire_time")]
    #[schema(ignore)]
    _expire_time: ReadOnly,
    #[serde(default)]
    post_binding_redirect_uri: Option<String>,
    #[serde(default)]
    authenticator_config_id: Option<String>,
    /// Not supported (refused): reference a configuration by `authenticator_config_id`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    authenticator_config: Option<IgnoredAny>,
    /// passgate's extension (Beyond Identity's batches are mailed): `RETURN` hands the
    /// links back in the answer.
    #[serde(default)]
    delivery_method: Option<DeliveryMethod>,
}

/// `POST …/batch-credential-binding-jobs`: Beyond Identity's form
/// `{"batch_credential_binding_job": {"identity_ids", "job_template"}}`, or passgate's
/// `{"identity_ids", "job"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    #[serde(default)]
    batch_credential_binding_job: Option<BatchBody>,
    #[serde(default)]
    identity_ids: Option<Vec<String>>,
    #[serde(default)]
    job: Option<JobBody>,
}

/// Which form a batch request came in (the answer follows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchForm {
    BeyondIdentity,
    Passgate,
}

impl BatchForm {
    /// Where the form's fields sit, for error paths.
    pub fn prefix(self) -> &'static str {
        match self {
            BatchForm::BeyondIdentity => "batch_credential_binding_job",
            BatchForm::Passgate => "",
        }
    }
}

impl BatchRequest {
    pub fn into_new(self) -> Result<(NewBatch, BatchForm), ApiError> {
        const BI: &str = "batch_credential_binding_job";
        match (
            self.batch_credential_binding_job,
            self.identity_ids,
            self.job,
        ) {
            (Some(b), None, None) => {
                let t = b.job_template;
                if t.authenticator_config.is_some() {
                    return Err(no_inline_config(&format!(
                        "{BI}.job_template.authenticator_config"
                    )));
                }
                let job = NewBindingJob {
                    delivery_method: t.delivery_method.unwrap_or(DeliveryMethod::Email),
                    post_binding_redirect_uri: t.post_binding_redirect_uri,
                    authenticator_config_id: t.authenticator_config_id,
                };
                let new = NewBatch {
                    identity_ids: b.identity_ids,
                    job,
                };
                Ok((new, BatchForm::BeyondIdentity))
            }
            (None, Some(identity_ids), Some(job)) => {
                let new = NewBatch {
                    identity_ids,
                    job: job.into_new("job")?,
                };
                Ok((new, BatchForm::Passgate))
            }
            (None, None, None) => Err(ApiError::invalid(BI, "is required")),
            (None, None, Some(_)) => Err(ApiError::invalid("identity_ids", "is required")),
            (None, Some(_), None) => Err(ApiError::invalid("job", "is required")),
            (Some(_), _, _) => Err(ApiError::invalid(
                BI,
                "send either batch_credential_binding_job or identity_ids with job",
            )),
        }
    }
}
