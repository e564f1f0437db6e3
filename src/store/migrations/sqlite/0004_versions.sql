-- The typed domain (issue 10): a version on identities and groups that moves on every
-- write (optimistic concurrency: PATCH with If-Match, SCIM ETags); a group's version moves
-- on membership changes too. Binding jobs and batches record the authenticator
-- configuration their link opens (every realm has the default `hosted_web` one), batches
-- their job template.

ALTER TABLE identities ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE user_groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE binding_jobs ADD COLUMN authenticator_config_id TEXT NOT NULL DEFAULT 'hosted_web';
ALTER TABLE binding_batches ADD COLUMN authenticator_config_id TEXT NOT NULL DEFAULT 'hosted_web';
ALTER TABLE binding_batches ADD COLUMN post_binding_redirect_uri TEXT;
