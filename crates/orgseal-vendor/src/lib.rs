#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod auth;
pub mod db;
mod download;
mod error;
mod files;
mod pages;
pub mod store;
mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use db::Db;
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
        .route("/", get(pages::index))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/static/app.js", get(pages::app_js))
        .route("/static/site.css", get(pages::site_css))
        .route("/upload", post(upload::form_upload))
        .route("/files/{id}/delete", post(files::form_delete))
        .route("/api/files", post(upload::api_upload).get(files::api_list))
        .route("/api/files/{id}", axum::routing::delete(files::api_delete))
        .route("/api/files/{id}/content", get(download::download))
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
