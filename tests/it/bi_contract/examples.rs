//! Beyond Identity's own examples, unchanged: each constant is an `examples` value of the
//! Secure Access API's OpenAPI documents in the public repository
//! `api-evangelist/beyond-identity` (`openapi/beyond-identity-<api>-api-openapi.yml`),
//! converted from YAML to JSON. The comment names the document, the operation and the
//! example.

/// `identities`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities`, request example "Create Identity".
pub const CREATE_IDENTITY: &str = r#"{"identity": {"display_name": "Test Identity", "traits": {"type": "traits_v0", "username": "test", "primary_email_address": "test@example.com"}}}"#;

/// `identities`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities`, 200 response example "Success".
pub const IDENTITY: &str = r#"{"id": "e372db224c06e850", "realm_id": "8f5bec58229e6f29", "tenant_id": "0001f1f460b1ace6", "display_name": "Test Identity", "create_time": "2022-04-12T05:53:07.119Z", "update_time": "2022-06-16T14:31:03.770Z", "enrollment_status": "UNENROLLED", "traits": {"type": "traits_v0", "username": "test", "primary_email_address": "test@example.com"}}"#;

/// `identities`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities`, 400 response example "Invalid Parameters".
pub const IDENTITY_INVALID: &str = r#"{"code": "bad_request", "message": "invalid parameters", "details": [{"type": "FieldViolations", "field_violations": [{"field": "identity.display_name", "description": "empty string"}]}]}"#;

/// `identities`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities`, 409 response example "Username Already Exists".
pub const USERNAME_EXISTS: &str = r#"{"code": "conflict", "message": "username already exists"}"#;

/// `identities`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities`, 200 response example "Success".
pub const IDENTITY_LIST: &str = r#"{"identities": [{"id": "e372db224c06e850", "realm_id": "8f5bec58229e6f29", "tenant_id": "0001f1f460b1ace6", "display_name": "Test Identity", "create_time": "2022-04-12T05:53:07.119Z", "update_time": "2022-06-16T14:31:03.770Z", "enrollment_status": "ENROLLED", "traits": {"type": "traits_v0", "username": "test", "primary_email_address": "test@example.com"}}], "total_size": 1}"#;

/// `identities`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities:batchDelete`, request example "Delete Identities".
pub const BATCH_DELETE: &str = r#"{"ids": ["e372db224c06e850", "3a28d4f28b57cc93"]}"#;

/// `identities`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities:batchDelete`, 404 response example "Identities Not Found".
pub const IDENTITIES_NOT_FOUND: &str = r#"{"code": "not_found", "message": "identities not found", "details": [{"type": "BatchOperationErrors", "description": "errors encountered performing batch operation", "errors": [{"Description": "identities not found", "IDs": ["e372db224c06e850", "3a28d4f28b57cc93"], "ResourceType": "Identity"}]}]}"#;

/// `identities`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}`, 404 response example "Identity Not Found".
pub const IDENTITY_NOT_FOUND: &str = r#"{"code": "not_found", "message": "identity not found", "details": [{"type": "ResourceInfo", "resource_type": "Identity", "id": "e372db224c06e850", "description": "identity not found"}]}"#;

/// `identities`: PATCH `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}`, request example "Update Display Name and Email".
pub const UPDATE_IDENTITY: &str = r#"{"identity": {"display_name": "Test Identity", "traits": {"type": "traits_v0", "primary_email_address": "test@example.com"}}}"#;

/// `identities`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}:listGroups`, 200 response example "Success".
pub const IDENTITY_GROUPS: &str = r#"{"groups": [{"id": "81490afab171aef0", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "display_name": "Realm Administrators", "description": "A group of realm administrators.", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-06-14T05:55:23.823187Z"}], "total_size": 1}"#;

/// `groups`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/groups`, request example "Create Group".
pub const CREATE_GROUP: &str = r#"{"group": {"display_name": "Realm Administrators", "description": "A group of realm administrators."}}"#;

/// `groups`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/groups`, 200 response example "Success".
pub const GROUP: &str = r#"{"id": "81490afab171aef0", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "display_name": "Realm Administrators", "description": "A group of realm administrators.", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-06-14T05:55:23.823187Z"}"#;

/// `groups`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/groups`, 400 response example "Invalid Parameters".
pub const GROUP_INVALID: &str = r#"{"code": "bad_request", "message": "invalid parameters", "details": [{"type": "FieldViolations", "field_violations": [{"field": "group.display_name", "description": "empty string"}]}]}"#;

/// `groups`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/groups`, 200 response example "Success".
pub const GROUP_LIST: &str = r#"{"groups": [{"id": "81490afab171aef0", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "display_name": "Realm Administrators", "description": "A group of realm administrators.", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-06-14T05:55:23.823187Z"}], "total_size": 1}"#;

/// `groups`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/groups/{group_id}`, 404 response example "Group Not Found".
pub const GROUP_NOT_FOUND: &str = r#"{"code": "not_found", "message": "group not found", "details": [{"type": "ResourceInfo", "resource_type": "Group", "id": "4822738be6b7f658", "description": "group not found"}]}"#;

/// `groups`: PATCH `/v1/tenants/{tenant_id}/realms/{realm_id}/groups/{group_id}`, request example "Update Display Name".
pub const UPDATE_GROUP: &str = r#"{"group": {"display_name": "Realm Administrators"}}"#;

/// `groups`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/groups/{group_id}:addMembers`, request example "Add Members".
pub const ADD_MEMBERS: &str = r#"{"identity_ids": ["e372db224c06e850", "3a28d4f28b57cc93"]}"#;

/// `groups`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/groups/{group_id}:addMembers`, 400 response example "Invalid Parameters".
pub const ADD_MEMBERS_INVALID: &str = r#"{"code": "bad_request", "message": "invalid parameters", "details": [{"type": "FieldViolations", "field_violations": [{"field": "identity_ids", "description": "array exceeds 1000 elements"}]}]}"#;

/// `groups`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/groups/{group_id}:deleteMembers`, request example "Delete Members".
pub const DELETE_MEMBERS: &str = r#"{"identity_ids": ["e372db224c06e850", "3a28d4f28b57cc93"]}"#;

/// `groups`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/groups/{group_id}:listMembers`, 200 response example "Success".
pub const MEMBER_LIST: &str = r#"{"identities": [{"id": "e372db224c06e850", "realm_id": "8f5bec58229e6f29", "tenant_id": "0001f1f460b1ace6", "display_name": "Test Identity", "create_time": "2022-04-12T05:53:07.119Z", "update_time": "2022-06-16T14:31:03.770Z", "traits": {"type": "traits_v0", "username": "test", "primary_email_address": "test@example.com"}}], "total_size": 1}"#;

/// `credentials`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credentials`, 200 response example "Success".
pub const CREDENTIAL_LIST: &str = r#"{"credentials": [{"id": "81490afab171aef0", "identity_id": "e85de356dc78843a", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "state": "ACTIVE", "csr_type": "JWT", "jwk_json": "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"2MRhz05PJPq3BUfB18AT3HqgWEkI3VpWUg1MWi8rz1g\",\"y\":\"YtvLYwGEqYQaoDVok2fVziJT4fu7DFPz3hy96FTAelQ\"}", "jwk_thumbprint": "UW-uVNL0mP1vcLjHrTBxibNgCEe_PD0HIsE3FrbYjPA=", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-06-14T05:55:23.823187Z"}], "total_size": 1}"#;

/// `credentials`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credentials/{credential_id}`, 200 response example "Success".
pub const CREDENTIAL: &str = r#"{"id": "81490afab171aef0", "identity_id": "e85de356dc78843a", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "state": "ACTIVE", "csr_type": "JWT", "jwk_json": "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"2MRhz05PJPq3BUfB18AT3HqgWEkI3VpWUg1MWi8rz1g\",\"y\":\"YtvLYwGEqYQaoDVok2fVziJT4fu7DFPz3hy96FTAelQ\"}", "jwk_thumbprint": "UW-uVNL0mP1vcLjHrTBxibNgCEe_PD0HIsE3FrbYjPA=", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-06-14T05:55:23.823187Z"}"#;

/// `credentials`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credentials/{credential_id}`, 404 response example "Credential Not Found".
pub const CREDENTIAL_NOT_FOUND: &str = r#"{"code": "not_found", "message": "credential not found", "details": [{"type": "ResourceInfo", "resource_type": "Credential", "id": "51c3c2d2907d6b40", "description": "credential not found"}]}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, request example "Create Credential Binding Job".
pub const CREATE_JOB: &str = r#"{"job": {"delivery_method": "RETURN", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899"}}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, 200 response example "Delivery Method Return".
pub const JOB_CREATED_RETURN: &str = r#"{"credential_binding_job": {"id": "c4fc2d753ca22b14", "realm_id": "cdf4862dc4d49791", "tenant_id": "000183a77dd50fa9", "identity_id": "87fabad6956c6d4b", "delivery_method": "RETURN", "state": "LINK_SENT", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}, "credential_binding_link": "http://example.com/v1/tenants/000183a77dd50fa9/realms/cdf4862dc4d49791/identities/87fabad6956c6d4b/credential-binding-jobs/c4fc2d753ca22b14:invokeAuthenticator?token=1St9IKIIrYyQ8sOSeuk5UkbLKnBJhuD4I7nWIqt-BNANDEFS-XVuOHxB7TFdZcRm"}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, 200 response example "Delivery Method Email".
pub const JOB_CREATED_EMAIL: &str = r#"{"credential_binding_job": {"id": "c4fc2d753ca22b14", "realm_id": "cdf4862dc4d49791", "tenant_id": "000183a77dd50fa9", "identity_id": "87fabad6956c6d4b", "delivery_method": "EMAIL", "state": "LINK_SENT", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, 400 response example "Invalid Parameters".
pub const JOB_INVALID: &str = r#"{"code": "bad_request", "message": "invalid parameters", "details": [{"type": "FieldViolations", "field_violations": [{"field": "job.authenticator_config_id", "description": "empty string"}]}]}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, 404 response example "Identity Not Found".
pub const JOB_IDENTITY_NOT_FOUND: &str = r#"{"code": "not_found", "message": "identity not found", "details": [{"type": "ResourceInfo", "resource_type": "Identity", "id": "51c3c2d2907d6b40", "description": "identity not found"}]}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, 422 response example "Identity Missing Email Address".
pub const JOB_NO_EMAIL: &str = r#"{"code": "unprocessable_entity", "message": "Identity missing email address", "details": [{"type": "ResourceInfo", "resource_type": "Identity", "id": "69f4d38f840c13ab", "description": "Identity missing email address"}]}"#;

/// `credential-binding-jobs`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs`, 200 response example "Success".
pub const JOB_LIST: &str = r#"{"credential_binding_jobs": [{"id": "81490afab171aef0", "identity_id": "e85de356dc78843a", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "credential_id": "9802966246819b35", "delivery_method": "EMAIL", "state": "COMPLETE", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}], "total_size": 1}"#;

/// `credential-binding-jobs`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs/{credential_binding_job_id}`, 200 response example "Success".
pub const JOB: &str = r#"{"id": "81490afab171aef0", "identity_id": "e85de356dc78843a", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "credential_id": "9802966246819b35", "delivery_method": "EMAIL", "state": "COMPLETE", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}"#;

/// `credential-binding-jobs`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/identities/{identity_id}/credential-binding-jobs/{credential_binding_job_id}`, 404 response example "Credential Binding Job Not Found".
pub const JOB_NOT_FOUND: &str = r#"{"code": "not_found", "message": "credential binding job not found", "details": [{"type": "ResourceInfo", "resource_type": "CredentialBindingJob", "id": "3103ba9a652b755e", "description": "credential binding job not found"}]}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/batch-credential-binding-jobs`, request example "Create Batch Credential Binding Job".
pub const CREATE_BATCH: &str = r#"{"batch_credential_binding_job": {"identity_ids": ["3d227b0d5949969d", "a3f28b7c9e6d1234", "5c90d2af18e47b0e"], "job_template": {"authenticator_config_id": "67bb0acf12e5c899", "post_binding_redirect_uri": "http://example.com/callback"}}}"#;

/// `credential-binding-jobs`: POST `/v1/tenants/{tenant_id}/realms/{realm_id}/batch-credential-binding-jobs`, 200 response example "Success".
pub const BATCH: &str = r#"{"id": "81490afab171aef0", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "identity_ids": ["3d227b0d5949969d", "a3f28b7c9e6d1234", "5c90d2af18e47b0e"], "state": "RUNNING", "state_commentary": {"errors": {"a3f28b7c9e6d1234": {"last_error": "Identity missing email address", "failed_permanently": false}}}, "job_template": {"authenticator_config_id": "67bb0acf12e5c899", "post_binding_redirect_uri": "http://example.com/callback"}, "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}"#;

/// `credential-binding-jobs`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/batch-credential-binding-jobs/{batch_credential_binding_job_id}`, 404 response example "Batch Credential Binding Job Not Found".
pub const BATCH_NOT_FOUND: &str = r#"{"code": "not_found", "message": "batch credential binding job not found", "details": [{"type": "ResourceInfo", "resource_type": "BatchCredentialBindingJob", "id": "ea453099-e207-47d1-b24c-b3165a54037a", "description": "batch credential binding job not found"}]}"#;

/// `credential-binding-jobs`: GET `/v1/tenants/{tenant_id}/realms/{realm_id}/batch-credential-binding-jobs/{batch_credential_binding_job_id}:listResults`, 200 response example "Success".
pub const BATCH_RESULTS: &str = r#"{"job_results": [{"id": "81490afab171aef0", "identity_id": "a3f28b7c9e6d1234", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "delivery_method": "EMAIL", "state": "COMPLETE", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}, {"id": "81490afab171aef0", "identity_id": "5c90d2af18e47b0e", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "delivery_method": "EMAIL", "state": "LINK_OPENED", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}, {"id": "81490afab171aef0", "identity_id": "e85de356dc78843a", "realm_id": "7df92e4a38ba0993", "tenant_id": "0001b42d80372976", "delivery_method": "EMAIL", "state": "REVOKED", "post_binding_redirect_uri": "http://example.com/callback", "authenticator_config_id": "67bb0acf12e5c899", "expire_time": "2022-03-21T03:42:52.905657Z", "create_time": "2022-03-14T03:42:52.905657Z", "update_time": "2022-03-15T05:55:23.823187Z"}], "total_success_count": 1, "total_failure_count": 1, "total_pending_count": 1, "total_size": 3}"#;
