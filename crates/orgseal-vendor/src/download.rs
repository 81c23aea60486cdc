//! Downloads: a stored blob streamed back as an attachment, whole or as one
//! byte range.

use crate::Shared;
use crate::auth::ApiUser;
use crate::error::{AppError, not_found};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use headers::HeaderMapExt;
use std::ops::Bound;

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

pub(crate) async fn download(
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
