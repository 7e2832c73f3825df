-- Two-factor sign-in: a TOTP secret per account (RFC 6238), encrypted with a key from
-- configuration, and single-use recovery codes stored as SHA-256.
CREATE TABLE user_totp (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- 12-byte nonce followed by the ChaCha20-Poly1305 ciphertext of the 20-byte secret,
    -- bound to the account's id (associated data).
    secret_enc   bytea NOT NULL,
    -- NULL while the person has not yet proven their authenticator with a first code.
    confirmed_at timestamptz,
    -- The last 30-second step a code was accepted for: no code works twice.
    last_step    bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_recovery_codes (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- When the person last proved who they are in this session (password, second factor or a
-- fresh sign-in): sensitive changes need it within the last minutes.
ALTER TABLE user_sessions ADD COLUMN authenticated_at timestamptz NOT NULL DEFAULT now();
