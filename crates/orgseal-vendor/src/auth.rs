//! Accounts and sessions: argon2id password hashes, a random session token in
//! an HttpOnly, SameSite=Lax cookie (Secure when the site is served over
//! https), and a per-session CSRF token every state-changing request must
//! carry (form field `_csrf`, or header `X-CSRF-Token` for scripts).
//!
//! Also the request extractors that give handlers their signed-in user
//! (`PageUser`, `ApiUser`, `CsrfUser`) and the `_csrf`-only form.

use crate::db::{Db, SessionUser, now_ms};
use crate::error::{AppError, forbidden_csrf};
use crate::{App, Shared};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie.
pub const SESSION_COOKIE: &str = "vendor_session";
/// The cookie holding the login form's CSRF token (before there is a session).
pub const LOGIN_CSRF_COOKIE: &str = "vendor_login_csrf";
/// Header scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
const SESSION_MS: i64 = 12 * 3600 * 1000;

/// A fresh random token, hex.
pub fn token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("system randomness");
    hex::encode(b)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// Checks a password; an unknown user costs as much as a known one.
pub async fn check_password(db: &Db, name: &str, password: String) -> anyhow::Result<Option<i64>> {
    let user = db.user_by_name(name).await?;
    // A fixed hash of a random string keeps unknown names as slow as known ones.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let (id, hash) = match user {
        Some((id, hash)) => (Some(id), hash),
        None => (None, DUMMY.get_or_init(|| hash_password(&token()).expect("hashing works")).clone()),
    };
    let ok = tokio::task::spawn_blocking(move || {
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await?;
    Ok(id.filter(|_| ok))
}

/// Builds a cookie with the site's flags.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).build()
}

/// Starts a session for `user_id`; returns the jar with its cookie set.
pub async fn start_session(db: &Db, jar: CookieJar, user_id: i64, secure: bool) -> sqlx::Result<CookieJar> {
    db.expire_sessions().await?; // keeps the table to live sessions
    let value = token();
    db.add_session(&hash_token(&value), user_id, &token(), now_ms() + SESSION_MS).await?;
    Ok(jar.add(cookie(SESSION_COOKIE, value, secure)).remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/")))
}

/// The signed-in user, if the session cookie names a live session.
pub async fn current_user(db: &Db, jar: &CookieJar) -> sqlx::Result<Option<SessionUser>> {
    match jar.get(SESSION_COOKIE) {
        Some(c) => db.session(&hash_token(c.value())).await,
        None => Ok(None),
    }
}

/// Ends the session the cookie names, and clears the cookie.
pub async fn end_session(db: &Db, jar: CookieJar) -> sqlx::Result<CookieJar> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        db.delete_session(&hash_token(c.value())).await?;
    }
    Ok(jar.remove(Cookie::build(SESSION_COOKIE).path("/")))
}

/// The signed-in user of a page: without a session, the page redirects to
/// the login form.
pub(crate) struct PageUser(pub(crate) SessionUser);

/// The signed-in user of an API call: without a session, 401.
pub(crate) struct ApiUser(pub(crate) SessionUser);

/// An [`ApiUser`] whose state-changing call carries the session's CSRF token
/// in the `X-CSRF-Token` header: otherwise 403.
pub(crate) struct CsrfUser(pub(crate) SessionUser);

async fn session_user(parts: &Parts, app: &App) -> Result<Option<SessionUser>, AppError> {
    Ok(current_user(&app.db, &CookieJar::from_headers(&parts.headers)).await?)
}

impl FromRequestParts<Shared> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Response> {
        match session_user(parts, app).await {
            Ok(Some(user)) => Ok(PageUser(user)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl FromRequestParts<Shared> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, AppError> {
        session_user(parts, app)
            .await?
            .map(ApiUser)
            .ok_or_else(|| AppError(StatusCode::UNAUTHORIZED, "not signed in: sign in at /login".into()))
    }
}

impl FromRequestParts<Shared> for CsrfUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, AppError> {
        let ApiUser(user) = ApiUser::from_request_parts(parts, app).await?;
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !same_token(sent, &user.csrf) {
            return Err(forbidden_csrf());
        }
        Ok(CsrfUser(user))
    }
}

/// A form whose only field is the session's CSRF token (delete, log out).
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    pub(crate) csrf: String,
}
