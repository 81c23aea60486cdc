#![doc = include_str!("../README.md")]
// The wasm-bindgen face of `orgseal-core` for the browser extension. No logic
// lives here: each function converts arguments, calls the core, and turns a
// core error into a JS `Error` with a stable `code` (see [`error_code`]).
//
// Who calls what (the extension is split by privilege):
// - background: [`PolicyState`] (holds the org keys; hands out one chunk key
//   per file through `beginSeal` / `beginOpen`);
// - sealer frame and offscreen document: [`SealPlan`], [`OpenPlan`], which
//   only ever see one file's chunk key; the AES-GCM calls they plan run in
//   WebCrypto (extension/bulk/gcm.js).
#![forbid(unsafe_code)]

pub mod codes;

use orgseal_core::file as header;
use orgseal_core::header::{HEADER_LEN, Header};
use orgseal_core::layout::{ContentLayout, OpenCounter};
use orgseal_core::policy::{self, Report};
use orgseal_core::stream::ChunkKey;
use orgseal_core::{Error, Metadata};
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The stable code a JS caller switches on.
pub fn error_code(e: &Error) -> &'static str {
    e.code()
}

/// Runs when the module is instantiated: a panic (a bug, never a refusal)
/// is written to the console with its message and place, instead of only
/// "unreachable executed". Panic messages in this crate and the core never
/// hold key material.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let text = format!("OrgSeal core panicked (a bug; please report it): {info}");
        web_sys_console_error(&text);
    }));
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn web_sys_console_error(text: &str);
}

/// A byte count or time from JS as a whole number, or a `bad-argument` error.
fn whole(value: f64, what: &str) -> Result<u64, JsValue> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0; // 2^53 - 1
    if (0.0..=MAX_SAFE).contains(&value) && value.fract() == 0.0 {
        Ok(value as u64)
    } else {
        Err(js_error(codes::BAD_ARGUMENT, &format!("{what} must be a whole number from 0 to 2^53-1, not {value}")))
    }
}

fn js_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

fn core_error(e: Error) -> JsValue {
    js_error(error_code(&e), &e.to_string())
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(codes::INTERNAL, &e.to_string()))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyView {
    label: String,
    id: String,
    encrypt: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SiteView {
    origin: String,
    upload: Vec<String>,
    download: Vec<String>,
    seal_names: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusView {
    /// "valid" or "invalid" ("none" is decided by the caller, which knows
    /// whether managed storage held anything).
    state: &'static str,
    problems: Vec<String>,
    keys: Vec<KeyView>,
    key_labels: Vec<String>,
    sites: Vec<SiteView>,
    fail_closed: bool,
}

/// A policy as read from managed storage, valid or not.
#[wasm_bindgen]
#[derive(Debug)]
pub struct PolicyState {
    report: Report,
    fail_closed: bool,
}

#[wasm_bindgen]
impl PolicyState {
    /// Reads a policy from the JSON text of managed storage's contents.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: &str) -> PolicyState {
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        let report = policy::check(&value);
        let fail_closed = report.policy.as_ref().is_none_or(|p| p.fail_closed);
        PolicyState { report, fail_closed }
    }

    /// `{state, problems, keys: [{label, id, encrypt}], keyLabels, sites, failClosed}`.
    /// Never contains a secret.
    pub fn status(&self) -> Result<JsValue, JsValue> {
        let keys = match &self.report.policy {
            Some(p) => p
                .ring
                .keys()
                .iter()
                .map(|k| KeyView {
                    label: k.label().into(),
                    id: k.id().to_string(),
                    encrypt: k.id() == p.ring.encrypt_key().id(),
                })
                .collect(),
            None => vec![],
        };
        let sites = self
            .report
            .sites
            .iter()
            .map(|s| SiteView {
                origin: s.origin.clone(),
                upload: s.upload.iter().map(|p| p.as_str().to_string()).collect(),
                download: s.download.iter().map(|p| p.as_str().to_string()).collect(),
                seal_names: s.seal_names,
            })
            .collect();
        to_js(&StatusView {
            state: if self.report.policy.is_some() { "valid" } else { "invalid" },
            problems: self.report.problems.iter().map(ToString::to_string).collect(),
            keys,
            key_labels: self.report.key_labels.clone(),
            sites,
            fail_closed: self.fail_closed,
        })
    }

    /// Whether `path` on `origin` is a configured download endpoint.
    #[wasm_bindgen(js_name = isDownload)]
    pub fn is_download(&self, origin: &str, path: &str) -> bool {
        self.site(origin).is_some_and(|s| s.download.iter().any(|p| p.matches(path)))
    }

    /// Whether `path` on `origin` is a configured upload endpoint.
    #[wasm_bindgen(js_name = isUpload)]
    pub fn is_upload(&self, origin: &str, path: &str) -> bool {
        self.site(origin).is_some_and(|s| s.upload.iter().any(|p| p.matches(path)))
    }

    /// Starts sealing a file: `{prefix, chunkKey, keyId, keyLabel}`. `prefix`
    /// is everything before the first content chunk; `chunkKey` seals only
    /// this file's content.
    #[wasm_bindgen(js_name = beginSeal)]
    pub fn begin_seal(&self, name: String, mime: String, size: f64, modified: Option<f64>) -> Result<JsValue, JsValue> {
        let p = self.valid()?;
        let key = p.ring.encrypt_key();
        let size = whole(size, "size")?;
        let modified = modified.map(|m| whole(m, "modified")).transpose()?.map(|m| m.min(i64::MAX as u64) as i64);
        let meta = Metadata { name, mime, size: Some(size), modified };
        let start = header::begin_seal(key, &meta).map_err(core_error)?;
        let obj = js_sys::Object::new();
        set(&obj, "prefix", &js_sys::Uint8Array::from(&start.prefix[..]).into());
        set(&obj, "chunkKey", &js_sys::Uint8Array::from(&start.content_key.to_bytes()[..]).into());
        set(&obj, "keyId", &key.id().to_string().into());
        set(&obj, "keyLabel", &key.label().into());
        Ok(obj.into())
    }

    /// Checks a sealed file's prefix (see [`prefix_length`]) and returns
    /// `{name, type, size, modified, chunkKey, contentOffset, keyId, keyLabel}`.
    #[wasm_bindgen(js_name = beginOpen)]
    pub fn begin_open(&self, prefix: &[u8]) -> Result<JsValue, JsValue> {
        let p = self.valid()?;
        // With the policy at hand, an unknown key names the keys it does hold.
        let start = header::begin_open(&p.ring, prefix).map_err(|e| js_error(error_code(&e), &p.ring.explain(&e)))?;
        let obj = js_sys::Object::new();
        set(&obj, "name", &start.metadata.name.as_str().into());
        set(&obj, "type", &start.metadata.mime.as_str().into());
        set(&obj, "size", &start.metadata.size.map_or(JsValue::NULL, |s| (s as f64).into()));
        set(&obj, "modified", &start.metadata.modified.map_or(JsValue::NULL, |s| (s as f64).into()));
        set(&obj, "chunkKey", &js_sys::Uint8Array::from(&start.content_key.to_bytes()[..]).into());
        set(&obj, "contentOffset", &(start.content_offset as f64).into());
        set(&obj, "keyId", &start.key_id.to_string().into());
        set(&obj, "keyLabel", &start.key_label.as_str().into());
        Ok(obj.into())
    }
}

impl PolicyState {
    fn valid(&self) -> Result<&orgseal_core::Policy, JsValue> {
        self.report.policy.as_ref().ok_or_else(|| {
            js_error(
                codes::INVALID_POLICY,
                "the OrgSeal policy is invalid: nothing can be sealed or opened until IT fixes it",
            )
        })
    }

    fn site(&self, origin: &str) -> Option<&orgseal_core::Site> {
        self.report.sites.iter().find(|s| s.origin == origin)
    }
}

fn set(obj: &js_sys::Object, key: &str, value: &JsValue) {
    js_sys::Reflect::set(obj, &key.into(), value).expect("setting a property on a plain object");
}

/// Header length every sealed file starts with.
#[wasm_bindgen(js_name = headerLength)]
pub fn header_length() -> usize {
    HEADER_LEN
}

/// From the first 28 bytes (fewer when `ended`: the stream ended there): how
/// many bytes `beginOpen` needs. Throws `not-orgseal` for bytes that are not an
/// OrgSeal file (including a whole file shorter than the magic), `short-file`
/// for one cut inside its header.
#[wasm_bindgen(js_name = prefixLength)]
pub fn prefix_length(first: &[u8], ended: bool) -> Result<usize, JsValue> {
    Header::parse_start(first, ended).map(|h| h.prefix_len()).map_err(core_error)
}

/// A sealed (or server-given) name as one safe file name: the core's rule
/// (docs/FORMAT.md §5), the same the `orgseal` CLI applies.
#[wasm_bindgen(js_name = safeFileName)]
pub fn safe_file_name(name: &str) -> String {
    orgseal_core::safe_file_name(name)
}

/// The core's plan for sealing one file's content with AES-GCM run elsewhere
/// (WebCrypto, in the sealer frame and its workers): which plaintext bytes
/// form chunk `k`, and its nonce. The caller only runs
/// `AES-GCM-encrypt(key, nonce(k), plaintext[range(k)])` and writes the
/// results in order after the prefix.
#[wasm_bindgen]
#[derive(Debug)]
pub struct SealPlan {
    key: ChunkKey,
    layout: ContentLayout,
}

#[wasm_bindgen]
impl SealPlan {
    /// A plan for `size` plaintext bytes under the chunk key `beginSeal` returned.
    #[wasm_bindgen(constructor)]
    pub fn new(chunk_key: &[u8], size: f64) -> Result<SealPlan, JsValue> {
        let key = ChunkKey::from_bytes(chunk_key).map_err(core_error)?;
        let layout = ContentLayout::for_plaintext(0, whole(size, "size")?).map_err(core_error)?;
        Ok(SealPlan { key, layout })
    }

    /// The AES-256 key, to import as a non-extractable `CryptoKey` (then drop).
    #[wasm_bindgen(js_name = aesKey)]
    pub fn aes_key(&self) -> Vec<u8> {
        self.key.aead_key().to_vec()
    }

    /// How many chunks the content has (the last one short, possibly empty).
    pub fn chunks(&self) -> f64 {
        self.layout.chunks as f64
    }

    /// How many bytes the sealed content (every chunk with its tag, after the
    /// prefix) has, so that a writer can reserve the space at once.
    #[wasm_bindgen(js_name = contentLength)]
    pub fn content_length(&self) -> f64 {
        self.layout.file_len() as f64
    }

    /// A window of chunks `first..first + count` in one call: the `count + 1`
    /// plaintext offsets that bound them (chunk `first + i` seals
    /// `[bounds[i], bounds[i + 1])`). One call and one array per window
    /// instead of two of each per chunk.
    pub fn bounds(&self, first: f64, count: f64) -> Result<Vec<f64>, JsValue> {
        let (first, count) = self.window(first, count)?;
        Ok(bounds(&self.layout, first, count))
    }

    /// The nonces of chunks `first..first + count`, 12 bytes each, one after
    /// the other in one array.
    pub fn nonces(&self, first: f64, count: f64) -> Result<Vec<u8>, JsValue> {
        let (first, count) = self.window(first, count)?;
        Ok(nonces(&self.key, first, count))
    }
}

/// The `count + 1` plaintext offsets that bound chunks `first..first + count`.
fn bounds(layout: &ContentLayout, first: u64, count: u64) -> Vec<f64> {
    let mut out = Vec::with_capacity(count as usize + 1);
    out.push(layout.plain_range(first).0 as f64);
    for k in first..first + count {
        out.push(layout.plain_range(k).1 as f64);
    }
    out
}

/// The nonces of chunks `first..first + count`, concatenated.
fn nonces(key: &ChunkKey, first: u64, count: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(count as usize * 12);
    for k in first..first + count {
        out.extend_from_slice(&key.nonce(k));
    }
    out
}

impl SealPlan {
    fn index(&self, k: f64) -> Result<u64, JsValue> {
        let k = whole(k, "chunk index")?;
        if k >= self.layout.chunks {
            return Err(js_error(codes::BAD_ARGUMENT, &format!("chunk {k} is past the last chunk")));
        }
        Ok(k)
    }

    /// `first` and `count` as whole numbers, the window inside the content
    /// and not empty.
    fn window(&self, first: f64, count: f64) -> Result<(u64, u64), JsValue> {
        let first = self.index(first)?;
        let count = whole(count, "chunk count")?;
        if count == 0 || count > self.layout.chunks - first {
            return Err(js_error(
                codes::BAD_ARGUMENT,
                &format!("{count} chunks from chunk {first} is not a window of the content"),
            ));
        }
        Ok((first, count))
    }
}

/// The core's plan for opening one file's content with AES-GCM run elsewhere
/// (WebCrypto, in the offscreen document): fed the number of sealed bytes that
/// arrive, it says which full chunks may be opened, the final chunk's length,
/// each nonce, and every refusal, with the core's codes. The caller only runs
/// `AES-GCM-decrypt(key, nonce(k), sealed chunk k)`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct OpenPlan {
    key: ChunkKey,
    counter: OpenCounter,
}

#[wasm_bindgen]
impl OpenPlan {
    /// A plan for the content `beginOpen` described.
    #[wasm_bindgen(constructor)]
    pub fn new(chunk_key: &[u8], content_offset: f64, expected_size: Option<f64>) -> Result<OpenPlan, JsValue> {
        let key = ChunkKey::from_bytes(chunk_key).map_err(core_error)?;
        let content_offset = whole(content_offset, "contentOffset")?;
        let expected_size = expected_size.map(|s| whole(s, "size")).transpose()?;
        Ok(OpenPlan { key, counter: OpenCounter::new(content_offset, expected_size) })
    }

    /// The AES-256 key, to import as a non-extractable `CryptoKey` (then drop).
    #[wasm_bindgen(js_name = aesKey)]
    pub fn aes_key(&self) -> Vec<u8> {
        self.key.aead_key().to_vec()
    }

    /// `n` more sealed bytes arrived: `[first, end)`, the full chunks (16400
    /// bytes each) that may now be opened, in order.
    pub fn push(&mut self, n: f64) -> Result<Vec<f64>, JsValue> {
        let r = self.counter.push(whole(n, "byte count")?).map_err(core_error)?;
        Ok(vec![r.start as f64, r.end as f64])
    }

    /// After the released chunks opened: throws `size-mismatch` once they hold
    /// more than the metadata's size.
    #[wasm_bindgen(js_name = checkReleased)]
    pub fn check_released(&self) -> Result<(), JsValue> {
        self.counter.check_released().map_err(core_error)
    }

    /// The stream ended: throws `truncated` or `size-mismatch` when the
    /// length of what arrived says so (FORMAT.md §8.1 steps 11-12). Called
    /// before a chunk refusal met on the way is thrown, and before the final
    /// chunk is opened.
    #[wasm_bindgen(js_name = checkLength)]
    pub fn check_length(&self) -> Result<f64, JsValue> {
        self.counter.check_length().map(|n| n as f64).map_err(core_error)
    }

    /// The stream ended: `[index, sealedLength]` of the final chunk, or throws
    /// `truncated`.
    pub fn finish(&self) -> Result<Vec<f64>, JsValue> {
        let (k, len) = self.counter.finish().map_err(core_error)?;
        Ok(vec![k as f64, len as f64])
    }

    /// After the final chunk opened: the plaintext length, or throws
    /// `size-mismatch`.
    #[wasm_bindgen(js_name = checkFinished)]
    pub fn check_finished(&self) -> Result<f64, JsValue> {
        self.counter.check_finished().map(|n| n as f64).map_err(core_error)
    }

    /// The nonces of chunks `first..first + count`, 12 bytes each, one after
    /// the other in one array (a window's in one call).
    pub fn nonces(&self, first: f64, count: f64) -> Result<Vec<u8>, JsValue> {
        let first = whole(first, "chunk index")?;
        let count = whole(count, "chunk count")?;
        if count > 1 << 20 {
            return Err(js_error(codes::BAD_ARGUMENT, &format!("{count} chunks is not a window")));
        }
        Ok(nonces(&self.key, first, count))
    }

    /// The refusal (`damaged`, with where) for chunk `k`, whose tag did not
    /// verify: the caller throws it.
    pub fn damaged(&self, k: f64) -> Result<JsValue, JsValue> {
        Ok(core_error(self.counter.damaged(whole(k, "chunk index")?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code a caller can see is listed in docs/FORMAT.md §8, so that
    /// the documented list and the code cannot drift apart.
    #[test]
    fn every_code_is_documented() {
        let format = include_str!("../../../docs/FORMAT.md");
        let core = [
            Error::NotOrgSeal,
            Error::UnsupportedVersion { version: 2 },
            Error::MetaLenOutOfRange { len: 0 },
            Error::ShortFile { expected: 1, actual: 0 },
            Error::UnknownKey { key_id: "00".into() },
            Error::CommitmentMismatch { part: "content", offset: 0 },
            Error::Damaged { offset: 1, chunk: 0 },
            Error::Truncated { offset: 1 },
            Error::SizeMismatch { expected: 1, actual: 2 },
            Error::BadMetadata { reason: String::new() },
            Error::MetadataTooLong { len: 16384 },
            Error::TooLong,
            Error::InvalidKeySize { len: 1 },
        ];
        for code in core.iter().map(error_code).chain(codes::FACE_CODES.iter().copied()) {
            assert!(format.contains(&format!("| `{code}` |")), "{code} is not in docs/FORMAT.md §8");
        }
        assert_eq!(error_code(&Error::NotOrgSeal), "not-orgseal");
        assert_eq!(error_code(&Error::ShortFile { expected: 1, actual: 0 }), "short-file");
    }

    /// A window's bounds and nonces in one call are the chunks' own, one by
    /// one, including the short final chunk. (The plans' methods wrap these
    /// two; building a plan needs a JavaScript engine.)
    #[test]
    fn a_window_in_one_call_is_its_chunks_one_by_one() {
        let layout = ContentLayout::for_plaintext(0, 40960).expect("layout");
        assert_eq!(layout.chunks, 3);
        assert_eq!(bounds(&layout, 0, 3), vec![0.0, 16384.0, 32768.0, 40960.0]);
        assert_eq!(bounds(&layout, 1, 2), vec![16384.0, 32768.0, 40960.0]);
        let key = ChunkKey::from_bytes(&[7u8; 44]).expect("key");
        let one_by_one: Vec<u8> = (1..3).flat_map(|k| key.nonce(k)).collect();
        assert_eq!(nonces(&key, 1, 2), one_by_one);
        assert_eq!(nonces(&key, 5, 0), Vec::<u8>::new());
    }

    #[test]
    fn numbers_from_js_must_be_whole_byte_counts() {
        assert_eq!(whole(0.0, "size").ok(), Some(0));
        assert_eq!(whole(9_007_199_254_740_991.0, "size").ok(), Some(9_007_199_254_740_991));
    }
}
