#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod auth;
pub mod db;
pub mod store;

use auth::{CSRF_HEADER, LOGIN_CSRF_COOKIE, same_token};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Form, FromRequestParts, Multipart, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use db::{Db, FileRecord, SessionUser, now_ms};
use futures_util::TryStreamExt;
use headers::HeaderMapExt;
use serde::Deserialize;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::Arc;
use store::{Blobs, StoreKind};

/// How the site runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder holding the database (and the blobs, unless `store` says otherwise).
    pub data: PathBuf,
    /// Where blobs go; `None` means `DATA/blobs` on local disk.
    pub store: Option<String>,
    /// The Content-Security-Policy header, if any.
    pub csp: Option<String>,
    /// Largest accepted upload request, in bytes.
    pub max_upload: u64,
    /// Refuse uploads that do not start with the OrgSeal header (422).
    pub require_sealed: bool,
    /// The site is served to browsers over https (behind a TLS proxy): cookies
    /// get the Secure flag.
    pub https: bool,
    /// Bytes of part buffers all uploads together may hold
    /// ([`store::DEFAULT_BUDGET`] unless tuned).
    pub upload_memory: usize,
}

struct App {
    config: Config,
    db: Db,
    blobs: Blobs,
}

type Shared = Arc<App>;

/// A site ready to serve: database open, blob store open and cleaned.
#[derive(Clone)]
pub struct Site(Shared);

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site").field("data", &self.0.config.data).finish_non_exhaustive()
    }
}

impl Site {
    /// Serves on `listener` until the process ends.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        axum::serve(listener, router(self.0)).await?;
        Ok(())
    }
}

/// Opens the database and the blob store, and removes what a crash left
/// behind (partial uploads, blobs no record names).
pub async fn open(config: Config) -> anyhow::Result<Site> {
    open_app(config).await.map(Site)
}

async fn open_app(config: Config) -> anyhow::Result<Shared> {
    let db = Db::open(&config.data).await?;
    let kind = match &config.store {
        None => StoreKind::Local(config.data.join("blobs")),
        Some(url) if url.starts_with("s3://") => StoreKind::S3(url.clone()),
        Some(url) => match url.strip_prefix("file://") {
            Some(dir) => StoreKind::Local(PathBuf::from(dir)),
            None => anyhow::bail!("--store takes s3://BUCKET[/PREFIX] or file:///FOLDER, not {url:?}"),
        },
    };
    let blobs = Blobs::open(kind, config.upload_memory, config.data.join("spool"))?;
    let removed = blobs.remove_orphans(&db).await?;
    if removed > 0 {
        eprintln!("orgseal-vendor: removed {removed} partial or unrecorded blob(s) left by an earlier run");
    }
    db.expire_sessions().await?;
    Ok(Arc::new(App { config, db, blobs }))
}

/// The site's routes.
fn router(app: Shared) -> Router {
    let limit = usize::try_from(app.config.max_upload).unwrap_or(usize::MAX);
    let csp = app.config.csp.clone();
    Router::new()
        .route("/", get(index))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/static/app.js", get(app_js))
        .route("/static/site.css", get(site_css))
        .route("/upload", post(form_upload))
        .route("/files/{id}/delete", post(form_delete))
        .route("/api/files", post(api_upload).get(api_list))
        .route("/api/files/{id}", axum::routing::delete(api_delete))
        .route("/api/files/{id}/content", get(download))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(move |req, next: axum::middleware::Next| {
            let csp = csp.clone();
            async move {
                let mut res = next.run(req).await;
                if let Some(csp) = csp.and_then(|c| HeaderValue::from_str(&c).ok()) {
                    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
                }
                res.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
                res
            }
        }))
        .with_state(app)
}

/// An error answer: a status and a sentence saying what went wrong.
#[derive(Debug)]
struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.1 + "\n").into_response()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("database error: {e}"))
    }
}

impl From<object_store::Error> for AppError {
    fn from(e: object_store::Error) -> Self {
        AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("storage error: {e}"))
    }
}

fn not_found() -> AppError {
    AppError(StatusCode::NOT_FOUND, "no such file".into())
}

fn forbidden_csrf() -> AppError {
    AppError(StatusCode::FORBIDDEN, "missing or wrong CSRF token: reload the page and try again".into())
}

/// The signed-in user of a page: without a session, the page redirects to
/// the login form.
struct PageUser(SessionUser);

/// The signed-in user of an API call: without a session, 401.
struct ApiUser(SessionUser);

/// An [`ApiUser`] whose state-changing call carries the session's CSRF token
/// in the `X-CSRF-Token` header: otherwise 403.
struct CsrfUser(SessionUser);

async fn session_user(parts: &Parts, app: &App) -> Result<Option<SessionUser>, AppError> {
    Ok(auth::current_user(&app.db, &CookieJar::from_headers(&parts.headers)).await?)
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

fn too_large(limit: u64) -> AppError {
    AppError(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "upload too large: this site accepts at most {limit} bytes ({:.1} MiB) per upload",
            limit as f64 / 1048576.0
        ),
    )
}

fn multipart_error(app: &App, e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(app.config.max_upload)
    } else {
        AppError(StatusCode::BAD_REQUEST, format!("upload cut off or malformed: {}", e.body_text()))
    }
}

/// The first bytes of an OrgSeal v1 file: the magic and version 1.
const SEALED_MAGIC: &[u8] = b"OrgSeal\x01";

/// Streams every `file` field into the blob store; a file is recorded (and so
/// listed) only once its blob is complete. With `form_csrf`, the first field
/// must be `_csrf` holding the session's token.
async fn store_files(
    app: &App,
    user: &SessionUser,
    headers: &HeaderMap,
    mut multipart: Multipart,
    form_csrf: bool,
) -> Result<Vec<FileRecord>, AppError> {
    let limit = app.config.max_upload;
    if headers.typed_get::<headers::ContentLength>().is_some_and(|l| l.0 > limit) {
        return Err(too_large(limit));
    }
    let mut stored = Vec::new();
    let mut csrf_checked = !form_csrf;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(app, e))? {
        if !csrf_checked {
            // Fields arrive in form order; the token comes before any file.
            if field.name() != Some("_csrf") {
                return Err(forbidden_csrf());
            }
            let sent = field.text().await.map_err(|e| multipart_error(app, e))?;
            if !same_token(&sent, &user.csrf) {
                return Err(forbidden_csrf());
            }
            csrf_checked = true;
            continue;
        }
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("unnamed").to_string();
        if name.is_empty() {
            continue; // an empty file input submits a nameless empty part
        }
        let id = store::new_blob_id();
        let mut upload = app.blobs.sink(&id).await?;
        let mut size = 0u64;
        let mut head = Vec::with_capacity(SEALED_MAGIC.len());
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => {
                    size += bytes.len() as u64;
                    if app.config.require_sealed && head.len() < SEALED_MAGIC.len() {
                        let take = (SEALED_MAGIC.len() - head.len()).min(bytes.len());
                        head.extend_from_slice(&bytes[..take]);
                        if !SEALED_MAGIC.starts_with(&head) {
                            upload.abort().await;
                            return Err(not_sealed(&name));
                        }
                    }
                    upload.write(&bytes).await?;
                }
                Ok(None) => break,
                Err(e) => {
                    upload.abort().await;
                    return Err(multipart_error(app, e));
                }
            }
        }
        if app.config.require_sealed && head.len() < SEALED_MAGIC.len() {
            upload.abort().await;
            return Err(not_sealed(&name));
        }
        upload.finish(&app.blobs, &id).await?;
        let record = FileRecord { id: id.clone(), name, size: size as i64, uploaded_ms: now_ms() };
        if let Err(e) = app.db.add_file(user.user_id, &record).await {
            let _ = app.blobs.delete(&id).await;
            return Err(e.into());
        }
        stored.push(record);
    }
    if !csrf_checked {
        return Err(forbidden_csrf());
    }
    Ok(stored)
}

fn not_sealed(name: &str) -> AppError {
    AppError(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "{name:?} was refused: this site accepts only files sealed by OrgSeal, and this one does not start \
             with the OrgSeal header. Check that the OrgSeal extension is installed and that its policy lists this site."
        ),
    )
}

async fn form_upload(
    State(app): State<Shared>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Redirect, AppError> {
    store_files(&app, &user, &headers, multipart, true).await?;
    Ok(Redirect::to("/"))
}

async fn api_upload(
    State(app): State<Shared>,
    CsrfUser(user): CsrfUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let stored = store_files(&app, &user, &headers, multipart, false).await?;
    let ids: Vec<&str> = stored.iter().map(|r| r.id.as_str()).collect();
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "ids": ids }))).into_response())
}

async fn api_list(State(app): State<Shared>, ApiUser(user): ApiUser) -> Result<Response, AppError> {
    Ok(axum::Json(app.db.files(user.user_id).await?).into_response())
}

async fn delete_file(app: &App, user: &SessionUser, id: &str) -> Result<(), AppError> {
    if !app.db.delete_file(user.user_id, id).await? {
        return Err(not_found());
    }
    // The record is gone first, so the file is no longer listed; a blob whose
    // delete fails is an orphan removed at the next start.
    if let Err(e) = app.blobs.delete(id).await {
        eprintln!("orgseal-vendor: blob {id} stays until the next start: {e}");
    }
    Ok(())
}

async fn api_delete(
    State(app): State<Shared>,
    CsrfUser(user): CsrfUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    delete_file(&app, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn form_delete(
    State(app): State<Shared>,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Redirect, AppError> {
    if !same_token(&form.csrf, &user.csrf) {
        return Err(forbidden_csrf());
    }
    delete_file(&app, &user, &id).await?;
    Ok(Redirect::to("/"))
}

/// The one byte range to send, from a `Range` header and the blob's length;
/// `Err` when it cannot be satisfied, `None` to send everything.
fn wanted_range(range: &headers::Range, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let ranges: Vec<_> = range.satisfiable_ranges(len).collect();
    if ranges.len() != 1 {
        // Several ranges: send the whole file (a server may ignore Range).
        return if ranges.is_empty() { Err(()) } else { Ok(None) };
    }
    let (start, end) = ranges[0];
    let first = match start {
        Bound::Included(s) => s,
        Bound::Excluded(s) => s + 1,
        Bound::Unbounded => 0,
    };
    let last = match end {
        Bound::Included(e) => e.min(len.saturating_sub(1)),
        Bound::Excluded(e) => e.saturating_sub(1).min(len.saturating_sub(1)),
        Bound::Unbounded => len.saturating_sub(1),
    };
    if len == 0 || first > last || first >= len {
        return Err(());
    }
    Ok(Some((first, last)))
}

async fn download(
    State(app): State<Shared>,
    ApiUser(user): ApiUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let rec = app.db.file(user.user_id, &id).await?.ok_or_else(not_found)?;
    let mut res_headers = HeaderMap::new();
    res_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    res_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    res_headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&content_disposition(&rec.name)).expect("ASCII"));
    // Lengths are those of the stored blob, not the record: the site serves its
    // bytes as they are, and a reader of a damaged blob sees where it ends.
    let missing = |e: object_store::Error| match e {
        object_store::Error::NotFound { .. } => not_found(),
        e => e.into(),
    };
    let (status, body_len, stream) = match headers.typed_get::<headers::Range>() {
        None => {
            // The common case: one request to the store, which also gives the length.
            let (len, stream) = app.blobs.get(&id, None).await.map_err(missing)?;
            (StatusCode::OK, len, stream)
        }
        Some(range) => {
            let len = app.blobs.size(&id).await?.ok_or_else(not_found)?;
            match wanted_range(&range, len) {
                Err(()) => {
                    res_headers.typed_insert(headers::ContentRange::unsatisfied_bytes(len));
                    return Ok((StatusCode::RANGE_NOT_SATISFIABLE, res_headers).into_response());
                }
                Ok(None) => {
                    let (len, stream) = app.blobs.get(&id, None).await.map_err(missing)?;
                    (StatusCode::OK, len, stream)
                }
                Ok(Some((first, last))) => {
                    res_headers.typed_insert(headers::ContentRange::bytes(first..=last, len).expect("valid range"));
                    let (_, stream) = app.blobs.get(&id, Some(first..last + 1)).await.map_err(missing)?;
                    (StatusCode::PARTIAL_CONTENT, last + 1 - first, stream)
                }
            }
        }
    };
    res_headers.typed_insert(headers::ContentLength(body_len));
    Ok((status, res_headers, Body::from_stream(stream.map_err(std::io::Error::other))).into_response())
}

/// RFC 6266: an ASCII fallback plus `filename*` in UTF-8.
fn content_disposition(name: &str) -> String {
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encoding::utf8_percent_encode(name, SET))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn human_size(n: i64) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1 << 20 => format!("{:.1} KiB", n as f64 / 1024.0),
        n if n < 1 << 30 => format!("{:.1} MiB", n as f64 / 1048576.0),
        n => format!("{:.2} GiB", n as f64 / 1073741824.0),
    }
}

async fn index(State(app): State<Shared>, PageUser(user): PageUser) -> Result<Response, AppError> {
    let files = app.db.files(user.user_id).await?;
    let csrf = escape(&user.csrf);
    let mut rows = String::new();
    for f in &files {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_millis(f.uploaded_ms as u64);
        rows.push_str(&format!(
            "<tr data-id=\"{id}\"><td class=\"name\">{name}</td><td class=\"size\" data-bytes=\"{bytes}\">{size}</td>\
             <td class=\"uploaded\">{when}</td>\
             <td><a class=\"download\" href=\"/api/files/{id}/content\">Download</a></td>\
             <td><form method=\"post\" action=\"/files/{id}/delete\"><input type=\"hidden\" name=\"_csrf\" value=\"{csrf}\">\
             <button type=\"submit\" class=\"delete\">Delete</button></form></td></tr>\n",
            id = f.id,
            name = escape(&f.name),
            bytes = f.size,
            size = human_size(f.size),
            when = httpdate::fmt_http_date(when),
        ));
    }
    let page = include_str!("../static/index.html")
        .replace("{csrf}", &csrf)
        .replace("{user}", &escape(&user.name))
        .replace("{count}", &files.len().to_string())
        .replace("{limit}", &human_size(app.config.max_upload as i64))
        .replace("{rows}", &rows);
    Ok(Html(page).into_response())
}

async fn login_page(State(app): State<Shared>, jar: CookieJar) -> Response {
    login_form(&app, jar, StatusCode::OK, "")
}

fn login_form(app: &App, jar: CookieJar, status: StatusCode, message: &str) -> Response {
    // Double-submit: the form's token must match this cookie's.
    let token = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_else(auth::token);
    let jar = jar.add(auth::cookie(LOGIN_CSRF_COOKIE, token.clone(), app.config.https));
    let page = include_str!("../static/login.html").replace("{csrf}", &escape(&token)).replace("{message}", message);
    (status, jar, Html(page)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn login(State(app): State<Shared>, jar: CookieJar, Form(form): Form<LoginForm>) -> Result<Response, AppError> {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if !same_token(&form.csrf, &expected) {
        return Err(forbidden_csrf());
    }
    let user = auth::check_password(&app.db, &form.username, form.password)
        .await
        .map_err(|e| AppError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    match user {
        Some(user_id) => {
            let jar = auth::start_session(&app.db, jar, user_id, app.config.https).await?;
            Ok((jar, Redirect::to("/")).into_response())
        }
        None => Ok(login_form(
            &app,
            jar,
            StatusCode::UNAUTHORIZED,
            "<p class=\"error\" id=\"login-error\">Wrong user name or password.</p>",
        )),
    }
}

async fn logout(State(app): State<Shared>, jar: CookieJar, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    if let Some(user) = auth::current_user(&app.db, &jar).await?
        && !same_token(&form.csrf, &user.csrf)
    {
        return Err(forbidden_csrf());
    }
    let jar = auth::end_session(&app.db, jar).await?;
    Ok((jar, Redirect::to("/login")).into_response())
}

async fn app_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/app.js"))
}

async fn site_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/site.css"))
}

/// `orgseal-vendor user add`: adds a user to the site's database in `data`.
pub async fn add_user(data: &std::path::Path, name: &str, password: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        anyhow::bail!("a user name is 1-64 characters without spaces or control characters");
    }
    if password.chars().count() < 8 {
        anyhow::bail!("the password must have at least 8 characters");
    }
    let db = Db::open(data).await?;
    db.add_user(name, &auth::hash_password(password)?).await
}
