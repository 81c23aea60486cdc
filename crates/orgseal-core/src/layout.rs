//! Where each content chunk lies (docs/FORMAT.md §6): for random access in a
//! sealed file of known length, for sealing a plaintext of known length, and,
//! from byte counts alone, for opening a stream of unknown length
//! ([`OpenCounter`]). These are what a caller that runs AES-GCM elsewhere
//! (WebCrypto in the browser) follows: the core decides which bytes form chunk
//! `k`, its nonce ([`ChunkKey::nonce`]) and every refusal; the caller only runs
//! the AES-GCM calls.

use crate::error::Error;
use crate::primitives::{CHUNK_LEN, SEALED_CHUNK_LEN, TAG_LEN};
use crate::stream::{ChunkAead, ChunkKey, MAX_CHUNKS};

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

    /// The layout of the content of a plaintext of `plaintext_len` bytes, to
    /// seal it: `⌊n / 16384⌋ + 1` chunks, the last short (possibly empty).
    pub fn for_plaintext(content_offset: u64, plaintext_len: u64) -> Result<Self, Error> {
        let chunks = plaintext_len / CHUNK_LEN as u64 + 1;
        if chunks > MAX_CHUNKS {
            return Err(Error::TooLong);
        }
        Ok(ContentLayout { content_offset, chunks, plaintext_len })
    }

    /// The length of the whole file: the content offset, then every chunk
    /// with its tag. `ContentLayout::new` of this length gives this layout back.
    pub fn file_len(&self) -> u64 {
        self.content_offset + self.plaintext_len + self.chunks * TAG_LEN as u64
    }

    /// Plaintext bytes `start..end` that chunk `k` seals.
    pub fn plain_range(&self, k: u64) -> (u64, u64) {
        let start = (k * CHUNK_LEN as u64).min(self.plaintext_len);
        (start, (start + CHUNK_LEN as u64).min(self.plaintext_len))
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

/// Steps 11 and 12 of the reading rules (docs/FORMAT.md §8.1), from the
/// content's length alone: it ends in a final chunk of 16 to 16399 bytes
/// (else `truncated`), and the plaintext that length holds is the metadata's
/// `size`, when present (else `size-mismatch`). Every reader decides these
/// before it reports a chunk whose tag fails (step 13), so that a file with
/// two faults gets one code from every reader: a random-access reader from
/// the file's length, a streaming reader once its stream has ended.
pub fn check_content_length(content_offset: u64, file_len: u64, size: Option<u64>) -> Result<ContentLayout, Error> {
    let layout = ContentLayout::new(content_offset, file_len)?;
    match size {
        Some(expected) if expected != layout.plaintext_len => {
            Err(Error::SizeMismatch { expected, actual: layout.plaintext_len })
        }
        _ => Ok(layout),
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

/// The reading rule of a content message, from byte counts alone, for a reader
/// that receives sealed bytes as a stream and runs AES-GCM itself: a full
/// sealed chunk (16400 bytes) may be opened only once at least one more byte
/// follows it (only then is it known not to be the last); at the end, what is
/// left is the final chunk and must be 16 to 16399 bytes. It also checks the
/// metadata's `size` against the plaintext the chunks hold, and makes the
/// refusal for a chunk whose tag does not verify. The native [`crate::stream::Decryptor`]
/// follows the same rule over the bytes themselves.
#[derive(Debug, Clone)]
pub struct OpenCounter {
    content_offset: u64,
    expected_size: Option<u64>,
    /// Chunks released so far (all full, none final).
    released: u64,
    /// Sealed bytes received and not yet released.
    pending: u64,
    /// Sealed bytes received in all.
    total: u64,
}

impl OpenCounter {
    /// A counter for content starting at file offset `content_offset`, whose
    /// metadata announced `expected_size` plaintext bytes (if it did).
    pub fn new(content_offset: u64, expected_size: Option<u64>) -> Self {
        Self { content_offset, expected_size, released: 0, pending: 0, total: 0 }
    }

    /// `n` more sealed bytes arrived. Returns the chunk indexes that may now be
    /// opened, each a full chunk of 16400 bytes, in order.
    pub fn push(&mut self, n: u64) -> Result<std::ops::Range<u64>, Error> {
        self.pending += n;
        self.total += n;
        let sealed = SEALED_CHUNK_LEN as u64;
        let ready = if self.pending > sealed { (self.pending - 1) / sealed } else { 0 };
        let first = self.released;
        if first + ready >= MAX_CHUNKS {
            return Err(Error::TooLong);
        }
        self.released += ready;
        self.pending -= ready * sealed;
        Ok(first..self.released)
    }

    /// After the chunks [`OpenCounter::push`] released were opened: refuses
    /// (`size-mismatch`) once they hold more plaintext than the metadata's
    /// `size`. A caller holds that refusal, as it holds a chunk's, until the
    /// stream has ended and [`OpenCounter::check_length`] has spoken.
    pub fn check_released(&self) -> Result<(), Error> {
        let opened = self.released * CHUNK_LEN as u64;
        match self.expected_size {
            Some(expected) if opened > expected => Err(Error::SizeMismatch { expected, actual: opened }),
            _ => Ok(()),
        }
    }

    /// The stream ended: steps 11 and 12 ([`check_content_length`]) over the
    /// bytes received. Called before a chunk refusal met on the way is
    /// reported, and before the final chunk is opened.
    pub fn check_length(&self) -> Result<u64, Error> {
        check_content_length(self.content_offset, self.content_offset + self.total, self.expected_size)
            .map(|l| l.plaintext_len)
    }

    /// The stream ended. Returns the final chunk's index and sealed length, or
    /// refuses a stream that ends in a full chunk or in less than a tag
    /// (`truncated`).
    pub fn finish(&self) -> Result<(u64, usize), Error> {
        if self.pending == SEALED_CHUNK_LEN as u64 || self.pending < TAG_LEN as u64 {
            return Err(Error::Truncated { offset: self.chunk_offset(self.released) + self.pending });
        }
        Ok((self.released, self.pending as usize))
    }

    /// After the final chunk opened: the plaintext length, or `size-mismatch`
    /// when it differs from the metadata's `size`.
    pub fn check_finished(&self) -> Result<u64, Error> {
        let total = self.released * CHUNK_LEN as u64 + self.pending.saturating_sub(TAG_LEN as u64);
        match self.expected_size {
            Some(expected) if expected != total => Err(Error::SizeMismatch { expected, actual: total }),
            _ => Ok(total),
        }
    }

    /// The refusal for chunk `k`, whose tag did not verify.
    pub fn damaged(&self, k: u64) -> Error {
        Error::Damaged { offset: self.chunk_offset(k), chunk: k }
    }

    fn chunk_offset(&self, k: u64) -> u64 {
        self.content_offset + k * SEALED_CHUNK_LEN as u64
    }
}
