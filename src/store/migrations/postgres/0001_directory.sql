-- The directory (realms, identities, groups), API tokens, the audit log, and the tables
-- later flows fill (credentials, credential binding jobs, sessions). Times: microseconds
-- since the Unix epoch, UTC. `seq` gives every table a stable order for keyset paging.

CREATE TABLE realms (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    rp_id TEXT NOT NULL,
    rp_name TEXT NOT NULL,
    from_config BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE identities (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL,
    enrollment_status TEXT NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    primary_email_address TEXT,
    email_key TEXT,
    external_id TEXT,
    given_name TEXT,
    family_name TEXT,
    extra_traits TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    UNIQUE (tenant_id, realm_id, username_key),
    FOREIGN KEY (tenant_id, realm_id) REFERENCES realms (tenant_id, id)
);
CREATE INDEX identities_by_realm ON identities (tenant_id, realm_id, seq);
CREATE INDEX identities_by_email ON identities (email_key, tenant_id, realm_id);
CREATE INDEX identities_by_external_id ON identities (external_id, tenant_id, realm_id);

CREATE TABLE user_groups (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, realm_id) REFERENCES realms (tenant_id, id)
);
CREATE INDEX groups_by_realm ON user_groups (tenant_id, realm_id, seq);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups (id),
    identity_id TEXT NOT NULL REFERENCES identities (id),
    create_us BIGINT NOT NULL,
    PRIMARY KEY (group_id, identity_id)
);
CREATE INDEX group_members_by_identity ON group_members (identity_id);

CREATE TABLE credentials (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id),
    credential_id TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    aaguid TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    backup_eligible BIGINT NOT NULL,
    backup_state BIGINT NOT NULL,
    create_us BIGINT NOT NULL,
    last_used_us BIGINT
);
CREATE INDEX credentials_by_identity ON credentials (identity_id);

CREATE TABLE binding_jobs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id),
    delivery_method TEXT NOT NULL,
    state TEXT NOT NULL,
    post_binding_redirect_uri TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    expire_us BIGINT NOT NULL,
    credential_id TEXT,
    create_us BIGINT NOT NULL,
    update_us BIGINT NOT NULL
);
CREATE INDEX binding_jobs_by_identity ON binding_jobs (identity_id);

CREATE TABLE sessions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id),
    create_us BIGINT NOT NULL,
    expire_us BIGINT NOT NULL,
    revoke_us BIGINT
);
CREATE INDEX sessions_by_identity ON sessions (identity_id);

CREATE TABLE api_tokens (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    expire_us BIGINT,
    revoke_us BIGINT
);

CREATE TABLE audit_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_ids TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    create_us BIGINT NOT NULL
);
CREATE INDEX audit_events_by_realm ON audit_events (tenant_id, realm_id, seq);
