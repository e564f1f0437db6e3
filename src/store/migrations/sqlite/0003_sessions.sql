-- Sessions (issue 5): what a session token is re-issued from, the signing keys tokens are
-- signed with, and the revocation feed every instance polls to invalidate its cache.
-- Times: microseconds since the Unix epoch, UTC.

-- When the user last proved presence with a passkey, when the session was last used (seen
-- at token re-issue), how (JSON array of AMR values) and with which passkey (credentials.id).
ALTER TABLE sessions ADD COLUMN auth_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_seen_us BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN credential_id TEXT;
CREATE INDEX sessions_by_credential ON sessions (credential_id);
CREATE INDEX sessions_by_expiry ON sessions (expire_us);

-- Ed25519 signing keys. The newest key whose activate_us has passed signs; every key here
-- verifies. A key is pruned once every token it signed has expired.
CREATE TABLE signing_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kid TEXT NOT NULL UNIQUE,
    private_pkcs8 TEXT NOT NULL,
    public_key TEXT NOT NULL,
    create_us BIGINT NOT NULL,
    activate_us BIGINT NOT NULL
);

-- One row per revocation: kind 'session' (target = session id) or 'identity' (every
-- session of the identity). Kept for the longest token lifetime, then pruned.
CREATE TABLE revocations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    create_us BIGINT NOT NULL
);
CREATE INDEX revocations_by_time ON revocations (create_us);
