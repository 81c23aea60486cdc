//! The OrgSeal v1 file: `header(28) || meta_message || content_message`.
//!
//! The header ([`crate::header`]) is plain: magic, version, key id, and the
//! length of the sealed metadata message. Both messages are Cobblestone-256
//! under the org key; the metadata's context binds the header, and the
//! content's context binds the header and the whole metadata message, so
//! neither can be moved to another file. Random access to the content is in
//! [`crate::layout`].

use crate::error::Error;
use crate::header::{HEADER_LEN, Header};
use crate::keyring::{KeyId, KeyRing, OrgKey};
use crate::layout::check_content_length;
use crate::primitives::CHUNK_LEN;
use crate::stream::{
    AesGcmChunks, ChunkKey, Decryptor, Encryptor, begin_message, open_message, open_message_header, seal_message,
    sealed_message_len,
};
use serde::{Deserialize, Serialize};

/// Context prefix of the metadata message.
pub const META_CONTEXT: &[u8] = b"orgseal/v1 meta";
/// Context prefix of the content message.
pub const CONTENT_CONTEXT: &[u8] = b"orgseal/v1 content";

/// What travels sealed beside the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The original file name.
    pub name: String,
    /// MIME type; may be empty.
    #[serde(rename = "type", default)]
    pub mime: String,
    /// Plaintext length; a reader checks it when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Last modification, milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<i64>,
}

/// Longest name [`safe_file_name`] returns, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;
/// What [`safe_file_name`] returns when nothing usable is left of a name.
pub const FALLBACK_FILE_NAME: &str = "opened-file";

/// Invisible characters that change how a name reads: bidirectional controls
/// (`invoice\u{202E}fdp.exe` shows as `invoiceexe.pdf`), zero-width and
/// other format characters. Browsers refuse or rewrite names holding them.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// A sealed (or server-given) name made safe as one file name in a downloads
/// folder, on any system (docs/FORMAT.md §5): the last path segment only;
/// control characters, invisible format characters and `: * ? " < > |`
/// become `_`; leading and trailing
/// dots and spaces go (no hidden files, no Windows-trimmed names); Windows
/// device names (`CON`, `NUL`, `COM1`, …) get a leading `_`; at most
/// [`MAX_FILE_NAME_CHARS`] characters; [`FALLBACK_FILE_NAME`] when empty.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mapped: String = last
        .chars()
        .map(|c| {
            if c.is_control() || invisible(c) || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') { '_' } else { c }
        })
        .collect();
    let edge = |c: char| c == '.' || c.is_whitespace();
    let cut: String = mapped.trim_matches(edge).chars().take(MAX_FILE_NAME_CHARS).collect();
    let clean = cut.trim_end_matches(edge);
    if clean.is_empty() {
        return FALLBACK_FILE_NAME.to_string();
    }
    // Windows also ignores white space at the end of the stem (`COM1 .txt`).
    let stem = clean.split('.').next().unwrap_or("").trim_end_matches(char::is_whitespace).to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0');
    if device { format!("_{clean}") } else { clean.to_string() }
}

impl Metadata {
    /// The sealed name as a safe single file name: see [`safe_file_name`].
    pub fn file_name(&self) -> String {
        safe_file_name(&self.name)
    }

    fn from_json(bytes: &[u8]) -> Result<Metadata, Error> {
        let bad = |reason: String| Error::BadMetadata { reason };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON ({e})")))?;
        let Some(members) = value.as_object() else {
            return Err(bad("not a JSON object".into()));
        };
        // One answer for every file (docs/FORMAT.md §5): a member named twice
        // is refused (readers that keep the first and readers that keep the
        // last would open it under different names), and so is a known member
        // written as null (it is neither absent nor of its type).
        if let Some(name) = first_duplicate(bytes) {
            return Err(bad(format!("member `{}` appears more than once", name.escape_debug())));
        }
        if !members.get("name").is_some_and(|n| n.is_string()) {
            return Err(bad("no string member `name`".into()));
        }
        if let Some(null) =
            ["type", "size", "modified"].into_iter().find(|m| members.get(*m).is_some_and(|v| v.is_null()))
        {
            return Err(bad(format!("member `{null}` is null")));
        }
        serde_json::from_value(value).map_err(|e| bad(e.to_string()))
    }
}

/// The first name that appears twice among the members of the top-level
/// JSON object in `bytes` (already known to parse), if any.
fn first_duplicate(bytes: &[u8]) -> Option<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
            let mut seen = std::collections::HashSet::new();
            let mut dup = None;
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if dup.is_none() && !seen.insert(key.clone()) {
                    dup = Some(key);
                }
            }
            Ok(dup)
        }
    }
    serde_json::Deserializer::from_slice(bytes).deserialize_map(Keys).ok().flatten()
}

/// The start of a file being sealed.
#[derive(Debug)]
pub struct SealStart {
    /// Header, metadata message, and the content message's salt and commitment:
    /// everything before the first content chunk.
    pub prefix: Vec<u8>,
    /// Seals the content chunks that follow `prefix`.
    pub content_key: ChunkKey,
}

/// Starts sealing a file with `key`: builds everything before the content chunks.
pub fn begin_seal(key: &OrgKey, metadata: &Metadata) -> Result<SealStart, Error> {
    let json = serde_json::to_vec(metadata).expect("metadata serializes");
    if json.len() >= CHUNK_LEN {
        return Err(Error::MetadataTooLong { len: json.len() });
    }
    let header = Header { key_id: key.id(), meta_len: sealed_message_len(json.len() as u64) as u32 };
    let header_bytes = header.to_bytes();
    let mut prefix = Vec::with_capacity(header.prefix_len());
    prefix.extend_from_slice(&header_bytes);
    prefix.extend_from_slice(&seal_message(key.secret(), &context(META_CONTEXT, &header_bytes, &[]), &json)?);
    let content_context = context(CONTENT_CONTEXT, &prefix, &[]);
    let (message_header, content_key) = begin_message(key.secret(), &content_context)?;
    prefix.extend_from_slice(&message_header);
    debug_assert_eq!(prefix.len(), header.prefix_len());
    Ok(SealStart { prefix, content_key })
}

/// A file whose header and metadata have been checked.
#[derive(Debug)]
pub struct OpenStart {
    /// The sealed metadata.
    pub metadata: Metadata,
    /// Opens the content chunks.
    pub content_key: ChunkKey,
    /// Label of the key that sealed the file.
    pub key_label: String,
    /// Id of that key.
    pub key_id: KeyId,
    /// File offset of the first content chunk.
    pub content_offset: u64,
}

/// Checks everything before the first content chunk. `prefix` must hold at
/// least [`Header::prefix_len`] bytes (only those are read).
pub fn begin_open(ring: &KeyRing, prefix: &[u8]) -> Result<OpenStart, Error> {
    let header = Header::parse(prefix)?;
    if prefix.len() < header.prefix_len() {
        return Err(Error::ShortFile { expected: header.prefix_len() as u64, actual: prefix.len() as u64 });
    }
    let key = ring.get(&header.key_id).ok_or(Error::UnknownKey { key_id: header.key_id.to_string() })?;
    let header_bytes = &prefix[..HEADER_LEN];
    let meta_end = HEADER_LEN + header.meta_len as usize;
    let meta_message = &prefix[HEADER_LEN..meta_end];
    let json = open_message(key.secret(), &context(META_CONTEXT, header_bytes, &[]), meta_message, HEADER_LEN as u64)
        .map_err(|e| in_part(e, "metadata", HEADER_LEN as u64))?;
    let metadata = Metadata::from_json(&json)?;
    let content_context = context(CONTENT_CONTEXT, header_bytes, meta_message);
    let content_key = open_message_header(key.secret(), &prefix[meta_end..], &content_context)
        .map_err(|e| in_part(e, "content", meta_end as u64))?;
    Ok(OpenStart {
        metadata,
        content_key,
        key_label: key.label().to_string(),
        key_id: key.id(),
        content_offset: header.prefix_len() as u64,
    })
}

/// Names the message whose commitment failed, and where it starts.
fn in_part(e: Error, part: &'static str, offset: u64) -> Error {
    match e {
        Error::CommitmentMismatch { .. } => Error::CommitmentMismatch { part, offset },
        other => other,
    }
}

fn context(label: &[u8], a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut ctx = Vec::with_capacity(label.len() + a.len() + b.len());
    ctx.extend_from_slice(label);
    ctx.extend_from_slice(a);
    ctx.extend_from_slice(b);
    ctx
}

/// Opens the content of a file after [`begin_open`], in the order of the
/// reading rules (docs/FORMAT.md §8.1): a chunk whose tag fails (or plaintext
/// past the metadata's `size`) stops the opening, but is reported only at
/// [`ContentOpener::finish`], once the content's length is known, after the
/// length's own checks (`truncated`, then `size-mismatch`). So a file with two
/// faults gets the same code here as from a random-access reader, which
/// knows the length first. Until then `push` only counts what follows.
#[derive(Debug)]
pub struct ContentOpener {
    dec: Decryptor<AesGcmChunks>,
    content_offset: u64,
    expected_size: Option<u64>,
    /// Sealed content bytes received.
    seen: u64,
    /// The first refusal met while opening, held until the length is known.
    failed: Option<Error>,
}

impl ContentOpener {
    /// An opener for the content of `start`'s file.
    pub fn new(start: &OpenStart) -> Self {
        Self::from_parts(start.content_key.clone(), start.content_offset, start.metadata.size)
    }

    /// An opener from a chunk key handed over by the key holder.
    pub fn from_parts(key: ChunkKey, content_offset: u64, expected_size: Option<u64>) -> Self {
        Self {
            dec: Decryptor::new(key.native(), key, content_offset),
            content_offset,
            expected_size,
            seen: 0,
            failed: None,
        }
    }

    /// Pushes content ciphertext; appends released plaintext (chunks whose
    /// tags verified) to `out`. A refusal is held for [`ContentOpener::finish`]:
    /// after one, nothing more is opened or released, and the bytes are only
    /// counted.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.seen += data.len() as u64;
        if self.failed.is_some() {
            return Ok(());
        }
        let before = out.len();
        let res = self.dec.push(data, out).and_then(|()| match self.expected_size {
            Some(expected) if self.dec.plaintext_len() > expected => {
                Err(Error::SizeMismatch { expected, actual: self.dec.plaintext_len() })
            }
            _ => Ok(()),
        });
        if let Err(e) = res {
            // Nothing from the push that failed is released.
            out.truncate(before);
            self.failed = Some(e);
        }
        Ok(())
    }

    /// The content has ended: checks its length (`truncated`, then
    /// `size-mismatch`), reports a refusal held from `push`, and opens the
    /// final chunk.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<u64, Error> {
        let layout = check_content_length(self.content_offset, self.content_offset + self.seen, self.expected_size)?;
        if let Some(e) = self.failed {
            return Err(e);
        }
        let actual = self.dec.finish(out)?;
        debug_assert_eq!(actual, layout.plaintext_len);
        Ok(actual)
    }
}

/// Seals content chunks after [`begin_seal`].
pub type ContentSealer = Encryptor<AesGcmChunks>;

/// A content sealer for a chunk key handed over by the key holder.
pub fn content_sealer(key: ChunkKey) -> ContentSealer {
    Encryptor::new(key.native(), key)
}

/// Seals a whole file in memory (tests, small files).
pub fn seal_bytes(key: &OrgKey, metadata: &Metadata, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let start = begin_seal(key, metadata)?;
    let mut out = start.prefix;
    let mut enc = content_sealer(start.content_key);
    enc.push(plaintext, &mut out)?;
    enc.finish(&mut out)?;
    Ok(out)
}

/// Opens a whole file in memory (tests, small files).
pub fn open_bytes(ring: &KeyRing, file: &[u8]) -> Result<(Metadata, Vec<u8>), Error> {
    // begin_open checks the header and that the whole prefix is present.
    let start = begin_open(ring, file)?;
    let mut opener = ContentOpener::new(&start);
    let mut out = Vec::new();
    opener.push(&file[start.content_offset as usize..], &mut out)?;
    opener.finish(&mut out)?;
    Ok((start.metadata, out))
}

#[cfg(test)]
mod tests {
    use super::{FALLBACK_FILE_NAME, MAX_FILE_NAME_CHARS, safe_file_name};

    #[test]
    fn sealed_names_become_one_safe_file_name() {
        for (name, safe) in [
            ("report.pdf", "report.pdf"),
            ("Résumé 2026.pdf", "Résumé 2026.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\x\\report.pdf", "report.pdf"),
            ("a\nb.txt", "a_b.txt"),
            ("a\u{7f}b", "a_b"),
            ("invoice\u{202E}fdp.exe", "invoice_fdp.exe"),
            ("a\u{200B}b\u{FEFF}.txt", "a_b_.txt"),
            ("\u{2066}x\u{2069}", "_x_"),
            ("what?<now>|\"x\":*.txt", "what__now___x___.txt"),
            (".bashrc", "bashrc"),
            (" ..hidden. . ", "hidden"),
            ("..", FALLBACK_FILE_NAME),
            ("", FALLBACK_FILE_NAME),
            ("dir/", FALLBACK_FILE_NAME),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("com1.tar.gz", "_com1.tar.gz"),
            ("COM0", "COM0"),
            ("console.log", "console.log"),
        ] {
            assert_eq!(safe_file_name(name), safe, "{name:?}");
        }
        let long = "é".repeat(500) + ".bin";
        assert_eq!(safe_file_name(&long).chars().count(), MAX_FILE_NAME_CHARS);
        assert_eq!(safe_file_name(&(".".repeat(300) + "x")), "x");
    }
}
