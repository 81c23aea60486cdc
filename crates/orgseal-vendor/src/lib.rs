#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

/// How the site runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder holding `blobs/` and `meta/`.
    pub data: PathBuf,
    /// The Content-Security-Policy header, if any.
    pub csp: Option<String>,
    /// Largest accepted upload.
    pub max_upload: u64,
}

/// What the site records about a stored file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    /// Random id.
    pub id: String,
    /// The name the browser sent.
    pub name: String,
    /// Stored bytes.
    pub size: u64,
    /// Upload time, milliseconds since the Unix epoch.
    pub uploaded_ms: u64,
}

struct App {
    config: Config,
}

type Shared = Arc<App>;

/// Serves the site on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> anyhow::Result<()> {
    tokio::fs::create_dir_all(config.data.join("blobs")).await?;
    tokio::fs::create_dir_all(config.data.join("meta")).await?;
    tokio::fs::create_dir_all(config.data.join("tmp")).await?;
    axum::serve(listener, router(config)).await?;
    Ok(())
}

/// The site's routes.
pub fn router(config: Config) -> Router {
    let limit = usize::try_from(config.max_upload).unwrap_or(usize::MAX);
    let csp = config.csp.clone();
    let app = Arc::new(App { config });
    Router::new()
        .route("/", get(index))
        .route("/static/app.js", get(app_js))
        .route("/static/site.css", get(site_css))
        .route("/upload", post(form_upload))
        .route("/api/files", post(api_upload).get(api_list))
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
                res
            }
        }))
        .with_state(app)
}

struct AppError(StatusCode, String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("storage error: {e}"))
    }
}

fn new_id() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("system randomness");
    hex::encode(b)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Streams every `file` field to disk; a blob becomes visible (its record
/// written) only once it is complete.
async fn store_files(app: &App, mut multipart: Multipart) -> Result<Vec<FileRecord>, AppError> {
    let mut stored = Vec::new();
    while let Some(mut field) =
        multipart.next_field().await.map_err(|e| AppError(StatusCode::BAD_REQUEST, format!("bad upload: {e}")))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("unnamed").to_string();
        if name.is_empty() {
            continue; // an empty file input submits a nameless empty part
        }
        let id = new_id();
        let tmp = app.config.data.join("tmp").join(&id);
        let mut out = tokio::fs::File::create(&tmp).await?;
        let mut size = 0u64;
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => {
                    size += bytes.len() as u64;
                    out.write_all(&bytes).await?;
                }
                Ok(None) => break,
                Err(e) => {
                    drop(out);
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(AppError(StatusCode::BAD_REQUEST, format!("upload cut off: {e}")));
                }
            }
        }
        out.sync_all().await?;
        drop(out);
        tokio::fs::rename(&tmp, app.config.data.join("blobs").join(&id)).await?;
        let record = FileRecord { id: id.clone(), name, size, uploaded_ms: now() };
        let meta = serde_json::to_vec(&record).expect("record serializes");
        tokio::fs::write(app.config.data.join("meta").join(format!("{id}.json")), meta).await?;
        stored.push(record);
    }
    Ok(stored)
}

async fn list(app: &App) -> Result<Vec<FileRecord>, AppError> {
    let mut out = Vec::new();
    let mut dir = tokio::fs::read_dir(app.config.data.join("meta")).await?;
    while let Some(entry) = dir.next_entry().await? {
        if let Ok(bytes) = tokio::fs::read(entry.path()).await
            && let Ok(rec) = serde_json::from_slice::<FileRecord>(&bytes)
        {
            out.push(rec);
        }
    }
    out.sort_by(|a, b| (a.uploaded_ms, &a.id).cmp(&(b.uploaded_ms, &b.id)));
    Ok(out)
}

async fn form_upload(State(app): State<Shared>, multipart: Multipart) -> Result<Redirect, AppError> {
    store_files(&app, multipart).await?;
    Ok(Redirect::to("/"))
}

async fn api_upload(State(app): State<Shared>, multipart: Multipart) -> Result<Response, AppError> {
    let stored = store_files(&app, multipart).await?;
    let ids: Vec<&str> = stored.iter().map(|r| r.id.as_str()).collect();
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "ids": ids }))).into_response())
}

async fn api_list(State(app): State<Shared>) -> Result<Response, AppError> {
    Ok(axum::Json(list(&app).await?).into_response())
}

async fn download(State(app): State<Shared>, Path(id): Path<String>) -> Result<Response, AppError> {
    let not_found = || AppError(StatusCode::NOT_FOUND, "no such file".into());
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let meta =
        tokio::fs::read(app.config.data.join("meta").join(format!("{id}.json"))).await.map_err(|_| not_found())?;
    let rec: FileRecord = serde_json::from_slice(&meta).map_err(|_| not_found())?;
    let file = tokio::fs::File::open(app.config.data.join("blobs").join(&id)).await.map_err(|_| not_found())?;
    let len = file.metadata().await?.len();
    let body = Body::from_stream(tokio_util_stream(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
            (header::CONTENT_DISPOSITION, content_disposition(&rec.name)),
        ],
        body,
    )
        .into_response())
}

fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<axum::body::Bytes>> + Send + 'static {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
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

async fn index(State(app): State<Shared>) -> Result<Html<String>, AppError> {
    let files = list(&app).await?;
    let mut rows = String::new();
    for f in &files {
        rows.push_str(&format!(
            "<tr data-id=\"{id}\"><td class=\"name\">{name}</td><td class=\"size\">{size}</td>\
             <td><a class=\"download\" href=\"/api/files/{id}/content\">Download</a></td></tr>\n",
            id = f.id,
            name = escape(&f.name),
            size = f.size
        ));
    }
    Ok(Html(format!(include_str!("../static/index.html"), rows = rows, count = files.len())))
}

async fn app_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/app.js"))
}

async fn site_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/site.css"))
}
