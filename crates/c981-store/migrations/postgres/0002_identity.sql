-- Identity and access: accounts, role grants per site, sessions, API tokens, one-time
-- links, login throttling, pending OpenID Connect logins and electronic signatures.
-- Times are microseconds since the Unix epoch (BIGINT); flags are 0/1.

CREATE TABLE users (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused
    username           TEXT NOT NULL UNIQUE,              -- lower case
    display_name       TEXT NOT NULL,
    email              TEXT,
    password_hash      TEXT,                              -- argon2id PHC; NULL until chosen, or SSO only
    password_set_at    BIGINT,
    totp_secret        TEXT,                              -- base32, NULL when not enrolled
    totp_pending       TEXT,                              -- during enrolment
    totp_last_step     BIGINT,
    recovery_codes     TEXT NOT NULL DEFAULT '',          -- SHA-256 of each unused code, comma separated
    oidc_issuer        TEXT,
    oidc_subject       TEXT,
    disabled           BIGINT NOT NULL DEFAULT 0,
    auth_epoch         BIGINT NOT NULL DEFAULT 0,         -- bumped to end every session and token at once
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (oidc_issuer, oidc_subject)
);

CREATE TABLE role_grants (
    user_id  BIGINT NOT NULL REFERENCES users (id),
    role     TEXT NOT NULL,
    site_id  BIGINT NOT NULL,                             -- 0: every site
    PRIMARY KEY (user_id, role, site_id)
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,                         -- SHA-256 of the cookie value
    user_id     BIGINT NOT NULL REFERENCES users (id),
    csrf        TEXT NOT NULL,
    auth_epoch  BIGINT NOT NULL,
    mfa_done    BIGINT NOT NULL,
    method      TEXT NOT NULL,                            -- password, password+totp, oidc
    auth_time   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    source      TEXT NOT NULL,
    user_agent  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    hint          TEXT NOT NULL,                          -- the first characters, to recognise it
    read_only     BIGINT NOT NULL,
    sites         TEXT NOT NULL,                          -- '' = all of the user's sites, else ids comma separated
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE one_time_links (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,                            -- password (set or reset), bootstrap
    user_id     BIGINT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE auth_throttle (
    key           TEXT PRIMARY KEY,                       -- account:<name>, source:<address>, sign:<user>
    failures      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL
);

CREATE TABLE oidc_pending (
    state_hash  TEXT PRIMARY KEY,
    browser     TEXT NOT NULL,                            -- SHA-256 of the browser-binding cookie
    purpose     TEXT NOT NULL,                            -- login, sign:<entity>:<id>:<meaning>
    data        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE signatures (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_type     TEXT NOT NULL,
    entity_id       BIGINT NOT NULL,
    site_id         BIGINT,
    record_version  BIGINT NOT NULL,
    record_sha256   TEXT NOT NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    printed_name    TEXT NOT NULL,
    meaning         TEXT NOT NULL,
    reason          TEXT,
    method          TEXT NOT NULL,
    signed_at       BIGINT NOT NULL,
    audit_seq       BIGINT NOT NULL
);
CREATE INDEX signatures_entity ON signatures (entity_type, entity_id);

CREATE FUNCTION signatures_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signatures are immutable';
END;
$$;
CREATE TRIGGER signatures_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON signatures
    FOR EACH STATEMENT EXECUTE FUNCTION signatures_immutable();
