//! The site's metadata in SQLite: accounts, sessions, and the file index.
//! Schema changes are migrations under `migrations/`, applied at start-up.

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;

/// A stored file as its owner sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FileRecord {
    /// Random id; also the blob's key.
    pub id: String,
    /// The name the browser sent.
    pub name: String,
    /// Stored bytes.
    pub size: i64,
    /// Upload time, milliseconds since the Unix epoch.
    pub uploaded_ms: i64,
}

/// A signed-in user, from a live session.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The user's row id.
    pub user_id: i64,
    /// The user's name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// The database handle.
#[derive(Debug, Clone)]
pub struct Db(SqlitePool);

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Db {
    /// Opens (creating if needed) `vendor.db` in `dir` and applies migrations.
    pub async fn open(dir: &Path) -> anyhow::Result<Db> {
        std::fs::create_dir_all(dir)?;
        let options = SqliteConnectOptions::new()
            .filename(dir.join("vendor.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db(pool))
    }

    /// Adds a user; fails if the name is taken.
    pub async fn add_user(&self, name: &str, password_hash: &str) -> anyhow::Result<()> {
        let res = sqlx::query("INSERT INTO users (name, password_hash, created_ms) VALUES (?, ?, ?)")
            .bind(name)
            .bind(password_hash)
            .bind(now_ms())
            .execute(&self.0)
            .await;
        match res {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                anyhow::bail!("a user named {name:?} already exists")
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    /// The id and password hash of a user.
    pub async fn user_by_name(&self, name: &str) -> sqlx::Result<Option<(i64, String)>> {
        sqlx::query_as("SELECT id, password_hash FROM users WHERE name = ?").bind(name).fetch_optional(&self.0).await
    }

    /// Records a session (by the hash of its token).
    pub async fn add_session(&self, token_hash: &str, user_id: i64, csrf: &str, expires_ms: i64) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, expires_ms) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf)
            .bind(expires_ms)
            .execute(&self.0)
            .await?;
        Ok(())
    }

    /// The user of a live session.
    pub async fn session(&self, token_hash: &str) -> sqlx::Result<Option<SessionUser>> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT users.id, users.name, sessions.csrf FROM sessions JOIN users ON users.id = sessions.user_id \
             WHERE sessions.token_hash = ? AND sessions.expires_ms > ?",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.0)
        .await?;
        Ok(row.map(|(user_id, name, csrf)| SessionUser { user_id, name, csrf }))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&self.0).await?;
        Ok(())
    }

    /// Records a complete blob as a file of `user_id`.
    pub async fn add_file(&self, user_id: i64, rec: &FileRecord) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO files (id, user_id, name, size, uploaded_ms) VALUES (?, ?, ?, ?, ?)")
            .bind(&rec.id)
            .bind(user_id)
            .bind(&rec.name)
            .bind(rec.size)
            .bind(rec.uploaded_ms)
            .execute(&self.0)
            .await?;
        Ok(())
    }

    /// The user's files, oldest first.
    pub async fn files(&self, user_id: i64) -> sqlx::Result<Vec<FileRecord>> {
        sqlx::query_as("SELECT id, name, size, uploaded_ms FROM files WHERE user_id = ? ORDER BY uploaded_ms, id")
            .bind(user_id)
            .fetch_all(&self.0)
            .await
    }

    /// One of the user's files; another user's id is `None`, as a missing one.
    pub async fn file(&self, user_id: i64, id: &str) -> sqlx::Result<Option<FileRecord>> {
        sqlx::query_as("SELECT id, name, size, uploaded_ms FROM files WHERE user_id = ? AND id = ?")
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.0)
            .await
    }

    /// Removes one of the user's files from the index; false if it was not theirs.
    pub async fn delete_file(&self, user_id: i64, id: &str) -> sqlx::Result<bool> {
        let res = sqlx::query("DELETE FROM files WHERE user_id = ? AND id = ?")
            .bind(user_id)
            .bind(id)
            .execute(&self.0)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    /// Whether any user has a file with this id (for orphan cleanup).
    pub async fn file_exists(&self, id: &str) -> sqlx::Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM files WHERE id = ?").bind(id).fetch_optional(&self.0).await?;
        Ok(row.is_some())
    }

    /// Drops expired sessions.
    pub async fn expire_sessions(&self) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_ms <= ?").bind(now_ms()).execute(&self.0).await?;
        Ok(())
    }
}
