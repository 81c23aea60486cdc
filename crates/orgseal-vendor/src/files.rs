//! The signed-in user's files: the JSON list, and deleting one (API and form).

use crate::auth::{ApiUser, CsrfForm, CsrfUser, PageUser, same_token};
use crate::db::SessionUser;
use crate::error::{AppError, forbidden_csrf, not_found};
use crate::{App, Shared};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub(crate) async fn api_list(State(app): State<Shared>, ApiUser(user): ApiUser) -> Result<Response, AppError> {
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

pub(crate) async fn api_delete(
    State(app): State<Shared>,
    CsrfUser(user): CsrfUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    delete_file(&app, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn form_delete(
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
