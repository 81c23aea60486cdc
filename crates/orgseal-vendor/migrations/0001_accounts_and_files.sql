-- Accounts, sessions and the file index. Blobs live in the blob store
-- (local disk or S3-compatible object storage) under the file's id; a row here
-- is written only once its blob is complete, so a listed file always exists.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,            -- argon2id, PHC string
    created_ms    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,            -- SHA-256 of the cookie value; the value itself is never stored
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
);

CREATE TABLE files (
    id          TEXT PRIMARY KEY,            -- random, also the blob's key
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    uploaded_ms INTEGER NOT NULL
);

CREATE INDEX files_by_user ON files(user_id, uploaded_ms);
