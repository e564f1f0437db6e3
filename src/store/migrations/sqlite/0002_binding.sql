-- Passkey binding: delivery bookkeeping on binding jobs, batches of jobs, the passkey's
-- full webauthn-rs record and transports on credentials, and single-use WebAuthn ceremony
-- state (any instance can finish what another began).

ALTER TABLE binding_jobs ADD COLUMN batch_id TEXT;
ALTER TABLE binding_jobs ADD COLUMN failure_reason TEXT;
ALTER TABLE binding_jobs ADD COLUMN send_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE binding_jobs ADD COLUMN next_send_us BIGINT;
CREATE INDEX binding_jobs_by_realm ON binding_jobs (tenant_id, realm_id, seq);
CREATE INDEX binding_jobs_by_batch ON binding_jobs (batch_id);
CREATE INDEX binding_jobs_due ON binding_jobs (state, next_send_us);

CREATE TABLE binding_batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    delivery_method TEXT NOT NULL,
    results TEXT NOT NULL,
    create_us BIGINT NOT NULL
);

ALTER TABLE credentials ADD COLUMN passkey TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN transports TEXT NOT NULL DEFAULT '[]';
ALTER TABLE credentials ADD COLUMN update_us BIGINT NOT NULL DEFAULT 0;
CREATE INDEX credentials_by_realm ON credentials (tenant_id, realm_id, seq);

CREATE TABLE ceremonies (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    expire_us BIGINT NOT NULL
);
CREATE INDEX ceremonies_by_expiry ON ceremonies (expire_us);
