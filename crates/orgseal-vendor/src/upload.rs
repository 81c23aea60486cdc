//! Uploads: the form and API handlers, streaming each file into the blob store,
//! and the answers for uploads that are too large, cut off, or not sealed.

use crate::auth::{CsrfUser, PageUser, same_token};
use crate::db::{FileRecord, SessionUser, now_ms};
use crate::error::{AppError, forbidden_csrf};
use crate::store;
use crate::{App, Shared};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use headers::HeaderMapExt;

fn too_large(limit: u64) -> AppError {
    AppError(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "upload too large: this site accepts at most {limit} bytes ({:.1} MiB) per upload",
            limit as f64 / 1048576.0
        ),
    )
}

fn multipart_error(app: &App, e: MultipartError) -> AppError {
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
            check_csrf_field(app, user, field).await?;
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
                    if app.config.require_sealed && !sniff_sealed(&mut head, &bytes) {
                        upload.abort().await;
                        return Err(not_sealed(&name));
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

/// The first field of an upload form: it must be `_csrf` holding the
/// session's token, else 403.
async fn check_csrf_field(app: &App, user: &SessionUser, field: Field<'_>) -> Result<(), AppError> {
    // Fields arrive in form order; the token comes before any file.
    if field.name() != Some("_csrf") {
        return Err(forbidden_csrf());
    }
    let sent = field.text().await.map_err(|e| multipart_error(app, e))?;
    if !same_token(&sent, &user.csrf) {
        return Err(forbidden_csrf());
    }
    Ok(())
}

/// Adds the start of `bytes` to `head`, the file's first bytes so far, until
/// it holds as many as [`SEALED_MAGIC`]. False as soon as they differ from it.
fn sniff_sealed(head: &mut Vec<u8>, bytes: &[u8]) -> bool {
    if head.len() < SEALED_MAGIC.len() {
        let take = (SEALED_MAGIC.len() - head.len()).min(bytes.len());
        head.extend_from_slice(&bytes[..take]);
    }
    SEALED_MAGIC.starts_with(head)
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

pub(crate) async fn form_upload(
    State(app): State<Shared>,
    PageUser(user): PageUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Redirect, AppError> {
    store_files(&app, &user, &headers, multipart, true).await?;
    Ok(Redirect::to("/"))
}

pub(crate) async fn api_upload(
    State(app): State<Shared>,
    CsrfUser(user): CsrfUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let stored = store_files(&app, &user, &headers, multipart, false).await?;
    let ids: Vec<&str> = stored.iter().map(|r| r.id.as_str()).collect();
    Ok((StatusCode::CREATED, axum::Json(serde_json::json!({ "ids": ids }))).into_response())
}
