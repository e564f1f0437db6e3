-- Substring filters (SCIM `co`, `sw` and `ew` on userName and emails.value, which compare
-- the lower-cased `username_key` and `email_key` with LIKE '%…%'): trigram GIN indexes, when
-- the pg_trgm extension can be had. It is used where it is installed already (in whatever
-- schema); otherwise it is created in the schema `public` (pg_trgm is a trusted extension:
-- since PostgreSQL 13 a user with CREATE on the database may create it). Where that is not
-- possible (no privilege, no `public` schema, no contrib package) this migration only leaves
-- a notice: substring filters then read every row of the realm, as on SQLite. The indexes
-- can be added later by hand (see docs/performance.md, SCIM) without a restart.
DO $$
DECLARE
    ext_schema TEXT;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm is not available (%): substring filters will scan', SQLERRM;
        END;
        SELECT n.nspname INTO ext_schema
          FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
         WHERE e.extname = 'pg_trgm';
    END IF;
    IF ext_schema IS NOT NULL THEN
        EXECUTE format(
            'CREATE INDEX identities_username_trgm ON identities USING gin (username_key %I.gin_trgm_ops)',
            ext_schema);
        EXECUTE format(
            'CREATE INDEX identities_email_trgm ON identities USING gin (email_key %I.gin_trgm_ops)',
            ext_schema);
    END IF;
END
$$;
