-- Rate limits counted across instances (issue 16): one row per limit key (the limit's name
-- and the client: an address, or a digest of a username or email) and fixed window start
-- (seconds since the Unix epoch). Rows past expire_at (the window's end) are swept.

CREATE TABLE rate_limits (
    limit_key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    expire_at BIGINT NOT NULL,
    PRIMARY KEY (limit_key, window_start)
);
CREATE INDEX rate_limits_by_expiry ON rate_limits (expire_at);
