-- The OpenID Connect provider (issue 17). ID-token signing keys (RS256, EdDSA) rotate
-- beside the session keys; a grant is one authorization of a client by a signed-in user,
-- tied to the passgate session it came from; its tokens (authorization code, access
-- tokens, refresh tokens) are stored by SHA-256 only. A code or refresh token is used at
-- most once (use_us); a grant ends when revoked (revoke_us) or when its session ends.

CREATE TABLE oidc_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kid TEXT NOT NULL UNIQUE,
    alg TEXT NOT NULL,
    private_pkcs8 TEXT NOT NULL,
    public_key TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    activate_us BIGINT NOT NULL
);

CREATE TABLE oidc_grants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    auth_us BIGINT NOT NULL,
    amr TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    revoke_us BIGINT
);
CREATE INDEX oidc_grants_session ON oidc_grants (session_id);

CREATE TABLE oidc_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('code', 'access', 'refresh')),
    create_us BIGINT NOT NULL,
    expire_us BIGINT NOT NULL,
    use_us BIGINT
);
CREATE INDEX oidc_tokens_grant ON oidc_tokens (grant_id);
