//! The OrgSeal v1 file: `header(28) || meta_message || content_message`.
//!
//! The header is plain: magic, version, key id, and the length of the sealed
//! metadata message. Both messages are Cobblestone-256 under the org key; the
//! metadata's context binds the header, and the content's context binds the
//! header and the whole metadata message, so neither can be moved to another file.

use crate::error::Error;
use crate::keyring::{KeyId, KeyRing, OrgKey};
use crate::primitives::{CHUNK_LEN, KEY_ID_LEN, SEALED_CHUNK_LEN, TAG_LEN};
use crate::stream::{
    AesGcmChunks, ChunkAead, ChunkKey, Decryptor, Encryptor, MESSAGE_HEADER_LEN, begin_message, open_message,
    open_message_header, seal_message, sealed_message_len,
};
use serde::{Deserialize, Serialize};

/// `"OrgSeal"`.
pub const MAGIC: &[u8; 7] = b"OrgSeal";
/// The only version this build writes and reads.
pub const VERSION: u8 = 1;
/// Bytes in the plain header.
pub const HEADER_LEN: usize = 28;
/// Smallest `meta_len`: an empty chunk's tag after salt and commitment.
pub const MIN_META_LEN: u32 = (MESSAGE_HEADER_LEN + TAG_LEN) as u32;
/// Largest `meta_len`: one chunk of 16383 bytes.
pub const MAX_META_LEN: u32 = MIN_META_LEN + CHUNK_LEN as u32 - 1;
/// Context prefix of the metadata message.
pub const META_CONTEXT: &[u8] = b"orgseal/v1 meta";
/// Context prefix of the content message.
pub const CONTENT_CONTEXT: &[u8] = b"orgseal/v1 content";

/// The plain 28-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Id of the org key that sealed the file.
    pub key_id: KeyId,
    /// Length of the metadata message.
    pub meta_len: u32,
}

impl Header {
    /// Reads and checks the first 28 bytes of a file.
    pub fn parse(bytes: &[u8]) -> Result<Header, Error> {
        let magic_seen = bytes.len().min(MAGIC.len());
        if bytes[..magic_seen] != MAGIC[..magic_seen] {
            return Err(Error::NotOrgSeal);
        }
        if bytes.len() < HEADER_LEN {
            return Err(Error::ShortFile { expected: HEADER_LEN as u64, actual: bytes.len() as u64 });
        }
        if bytes[7] != VERSION {
            return Err(Error::UnsupportedVersion { version: bytes[7] });
        }
        let key_id = KeyId(bytes[8..8 + KEY_ID_LEN].try_into().expect("length checked"));
        let meta_len = u32::from_be_bytes(bytes[24..28].try_into().expect("length checked"));
        if !(MIN_META_LEN..=MAX_META_LEN).contains(&meta_len) {
            return Err(Error::MetaLenOutOfRange { len: meta_len });
        }
        Ok(Header { key_id, meta_len })
    }

    /// The 28 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..7].copy_from_slice(MAGIC);
        out[7] = VERSION;
        out[8..24].copy_from_slice(&self.key_id.0);
        out[24..].copy_from_slice(&self.meta_len.to_be_bytes());
        out
    }

    /// Bytes from the start of the file to the first content chunk:
    /// header, metadata message, and the content message's salt and commitment.
    pub fn prefix_len(&self) -> usize {
        HEADER_LEN + self.meta_len as usize + MESSAGE_HEADER_LEN
    }
}

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

impl Metadata {
    fn from_json(bytes: &[u8]) -> Result<Metadata, Error> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Error::BadMetadata { reason: format!("not JSON ({e})") })?;
        if !value.is_object() {
            return Err(Error::BadMetadata { reason: "not a JSON object".into() });
        }
        if !value.get("name").is_some_and(|n| n.is_string()) {
            return Err(Error::BadMetadata { reason: "no string member `name`".into() });
        }
        serde_json::from_value(value).map_err(|e| Error::BadMetadata { reason: e.to_string() })
    }
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

/// Opens the content of a file after [`begin_open`], checking the metadata size
/// at the end.
#[derive(Debug)]
pub struct ContentOpener {
    dec: Decryptor<AesGcmChunks>,
    expected_size: Option<u64>,
}

impl ContentOpener {
    /// An opener for the content of `start`'s file.
    pub fn new(start: &OpenStart) -> Self {
        Self::from_parts(start.content_key.clone(), start.content_offset, start.metadata.size)
    }

    /// An opener from a chunk key handed over by the key holder.
    pub fn from_parts(key: ChunkKey, content_offset: u64, expected_size: Option<u64>) -> Self {
        Self { dec: Decryptor::new(key.native(), key, content_offset), expected_size }
    }

    /// Pushes content ciphertext; appends released plaintext to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.dec.push(data, out)?;
        match self.expected_size {
            Some(expected) if self.dec.plaintext_len() > expected => {
                Err(Error::SizeMismatch { expected, actual: self.dec.plaintext_len() })
            }
            _ => Ok(()),
        }
    }

    /// Opens the final chunk and checks the size.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<u64, Error> {
        let actual = self.dec.finish(out)?;
        match self.expected_size {
            Some(expected) if expected != actual => Err(Error::SizeMismatch { expected, actual }),
            _ => Ok(actual),
        }
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

/// Where the content chunks of a file of known length lie, for random access.
///
/// Content chunk `k` starts at `content_offset + k × 16400`; every chunk but the
/// last is exactly 16400 bytes, the last is 16 to 16399.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentLayout {
    /// File offset of chunk 0.
    pub content_offset: u64,
    /// Number of chunks (the last one short).
    pub chunks: u64,
    /// Plaintext bytes in the content.
    pub plaintext_len: u64,
}

impl ContentLayout {
    /// The layout of a file of `file_len` bytes whose content starts at `content_offset`.
    pub fn new(content_offset: u64, file_len: u64) -> Result<Self, Error> {
        let sealed = file_len
            .checked_sub(content_offset)
            .ok_or(Error::ShortFile { expected: content_offset + TAG_LEN as u64, actual: file_len })?;
        let full = sealed / SEALED_CHUNK_LEN as u64;
        let last = sealed % SEALED_CHUNK_LEN as u64;
        if last < TAG_LEN as u64 {
            // Ends in a full chunk or a fragment shorter than a tag: the final chunk is missing.
            return Err(Error::Truncated { offset: file_len });
        }
        Ok(ContentLayout {
            content_offset,
            chunks: full + 1,
            plaintext_len: full * CHUNK_LEN as u64 + (last - TAG_LEN as u64),
        })
    }

    /// File offset and sealed length of chunk `k`.
    pub fn chunk(&self, k: u64) -> (u64, usize) {
        let offset = self.content_offset + k * SEALED_CHUNK_LEN as u64;
        let len = if k + 1 == self.chunks {
            (self.plaintext_len - k * CHUNK_LEN as u64) as usize + TAG_LEN
        } else {
            SEALED_CHUNK_LEN
        };
        (offset, len)
    }

    /// The chunks holding plaintext bytes `start..end` (end exclusive), as an
    /// inclusive index range; `None` when the range is empty or out of bounds.
    pub fn chunks_for(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        (start < end && end <= self.plaintext_len).then(|| (start / CHUNK_LEN as u64, (end - 1) / CHUNK_LEN as u64))
    }
}

/// Opens content chunk `k` on its own. `sealed` is its ciphertext and tag as
/// [`ContentLayout::chunk`] locates it.
pub fn open_chunk(key: &ChunkKey, layout: &ContentLayout, k: u64, sealed: &[u8]) -> Result<Vec<u8>, Error> {
    let (offset, len) = layout.chunk(k);
    if k >= layout.chunks || sealed.len() != len {
        return Err(Error::Truncated { offset: offset + sealed.len() as u64 });
    }
    let mut out = Vec::with_capacity(len);
    key.native().open_chunk(&key.nonce(k), sealed, &mut out).map_err(|_| Error::Damaged { offset, chunk: k })?;
    Ok(out)
}
