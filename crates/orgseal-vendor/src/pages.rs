//! Server-rendered pages: the file list, the login form, sign-in and sign-out,
//! and the static script and style sheet they load.

use crate::auth::{self, CsrfForm, LOGIN_CSRF_COOKIE, PageUser, same_token};
use crate::error::{AppError, forbidden_csrf};
use crate::{App, Shared};
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

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

pub(crate) async fn index(State(app): State<Shared>, PageUser(user): PageUser) -> Result<Response, AppError> {
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

pub(crate) async fn login_page(State(app): State<Shared>, jar: CookieJar) -> Response {
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
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

pub(crate) async fn login(
    State(app): State<Shared>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
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

pub(crate) async fn logout(
    State(app): State<Shared>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    if let Some(user) = auth::current_user(&app.db, &jar).await?
        && !same_token(&form.csrf, &user.csrf)
    {
        return Err(forbidden_csrf());
    }
    let jar = auth::end_session(&app.db, jar).await?;
    Ok((jar, Redirect::to("/login")).into_response())
}

pub(crate) async fn app_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../static/app.js"))
}

pub(crate) async fn site_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../static/site.css"))
}
