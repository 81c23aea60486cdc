//! Random access: where each content chunk of a sealed file of known length
//! lies, and opening one chunk on its own (docs/FORMAT.md §6).

use crate::error::Error;
use crate::primitives::{CHUNK_LEN, SEALED_CHUNK_LEN, TAG_LEN};
use crate::stream::{ChunkAead, ChunkKey};

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
