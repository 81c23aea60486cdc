//! `std::io` adapters: seal from a reader to a writer, open from a reader to a
//! writer, with memory that does not grow with the file (one chunk plus the
//! header at most).

use crate::error::Error;
use crate::file::{ContentOpener, Metadata, OpenStart, begin_open, begin_seal, content_sealer};
use crate::header::{HEADER_LEN, Header};
use crate::keyring::{KeyRing, OrgKey};
use crate::layout::{check_content_length, open_chunk};
use crate::primitives::CHUNK_LEN;
use std::io::{Read, Seek, SeekFrom, Write};

/// Bytes read or written per step.
const STEP: usize = 64 * 1024;

/// Why a streaming seal or open failed: the file, or the reading/writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The file was refused (damaged, unknown key, …).
    #[error(transparent)]
    Refused(#[from] Error),
    /// Reading the input or writing the output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A byte range asked of [`open_range`] lies outside the plaintext.
    #[error("the range {first}-{last} is outside the file: {}", holds(*plaintext_len))]
    OutOfRange {
        /// First byte asked for.
        first: u64,
        /// Last byte asked for (inclusive).
        last: u64,
        /// Plaintext bytes the file holds.
        plaintext_len: u64,
    },
}

fn holds(len: u64) -> String {
    match len {
        0 => "it is empty".to_string(),
        1 => "it holds 1 byte, offset 0".to_string(),
        n => format!("it holds {n} bytes, offsets 0-{}", n - 1),
    }
}

/// Seals everything `input` yields into `output`. Returns the plaintext length.
///
/// `metadata.size`, when set, must match what `input` yields, or the seal fails
/// (the output is then incomplete and must be discarded).
pub fn seal<R: Read, W: Write>(
    key: &OrgKey,
    metadata: &Metadata,
    mut input: R,
    mut output: W,
) -> Result<u64, StreamError> {
    let start = begin_seal(key, metadata)?;
    output.write_all(&start.prefix)?;
    let mut sealer = content_sealer(start.content_key);
    let mut out = Vec::with_capacity(STEP + 1024);
    let mut total = 0u64;
    pump(&mut input, |piece| {
        total += piece.len() as u64;
        out.clear();
        sealer.push(piece, &mut out)?;
        Ok(output.write_all(&out)?)
    })?;
    out.clear();
    sealer.finish(&mut out)?;
    output.write_all(&out)?;
    output.flush()?;
    if let Some(expected) = metadata.size
        && expected != total
    {
        return Err(Error::SizeMismatch { expected, actual: total }.into());
    }
    Ok(total)
}

/// Reads and checks everything before the first content chunk.
pub fn read_prefix<R: Read>(ring: &KeyRing, input: &mut R) -> Result<(OpenStart, Vec<u8>), StreamError> {
    let mut prefix = vec![0u8; HEADER_LEN];
    let got = read_full(input, &mut prefix)?;
    prefix.truncate(got);
    let header = Header::parse(&prefix)?;
    let need = header.prefix_len();
    prefix.resize(need, 0);
    let got = HEADER_LEN + read_full(input, &mut prefix[HEADER_LEN..])?;
    if got < need {
        return Err(Error::ShortFile { expected: need as u64, actual: got as u64 }.into());
    }
    let start = begin_open(ring, &prefix)?;
    Ok((start, prefix))
}

/// Opens a sealed file from `input` into `output`, returning its metadata.
///
/// Plaintext reaches `output` chunk by chunk as each verifies; on an error,
/// what was written is incomplete and the caller must discard it (write to a
/// temporary file and rename it only on success).
pub fn open<R: Read, W: Write>(ring: &KeyRing, mut input: R, mut output: W) -> Result<Metadata, StreamError> {
    let (start, _) = read_prefix(ring, &mut input)?;
    let mut opener = ContentOpener::new(&start);
    let mut out = Vec::with_capacity(STEP);
    pump(&mut input, |piece| {
        out.clear();
        opener.push(piece, &mut out)?;
        Ok(output.write_all(&out)?)
    })?;
    out.clear();
    opener.finish(&mut out)?;
    output.write_all(&out)?;
    output.flush()?;
    Ok(start.metadata)
}

/// Opens plaintext bytes `first..=last` of a sealed file, reading only the
/// prefix and the chunks that hold them (docs/FORMAT.md §6), into `output`.
///
/// The reading rules are the whole-file reader's: the metadata's `size`, when
/// present, must match the length the file's size implies, and the final
/// chunk is opened first, because it authenticates the length: a cut or
/// extended file is refused even when the range lies in its first chunk.
/// Nothing reaches `output` until those checks and the range check pass.
pub fn open_range<R: Read + Seek, W: Write>(
    ring: &KeyRing,
    mut input: R,
    first: u64,
    last: u64,
    mut output: W,
) -> Result<Metadata, StreamError> {
    let len = input.seek(SeekFrom::End(0))?;
    input.seek(SeekFrom::Start(0))?;
    let (start, _) = read_prefix(ring, &mut input)?;
    // The length's checks first, as every reader makes them (FORMAT.md §8.1).
    let layout = check_content_length(start.content_offset, len, start.metadata.size)?;
    let mut read_chunk = |k: u64| -> Result<Vec<u8>, StreamError> {
        let (offset, chunk_len) = layout.chunk(k);
        let mut sealed = vec![0u8; chunk_len];
        input.seek(SeekFrom::Start(offset))?;
        input.read_exact(&mut sealed)?;
        Ok(open_chunk(&start.content_key, &layout, k, &sealed)?)
    };
    read_chunk(layout.chunks - 1)?;
    let out_of_range = StreamError::OutOfRange { first, last, plaintext_len: layout.plaintext_len };
    let Some(end) = last.checked_add(1).filter(|&e| first <= last && e <= layout.plaintext_len) else {
        return Err(out_of_range);
    };
    let (a, b) = layout.chunks_for(first, end).ok_or(out_of_range)?;
    for k in a..=b {
        let plain = read_chunk(k)?;
        let chunk_start = k * CHUNK_LEN as u64;
        let from = first.saturating_sub(chunk_start) as usize;
        let to = (end - chunk_start).min(plain.len() as u64) as usize;
        output.write_all(&plain[from..to])?;
    }
    output.flush()?;
    Ok(start.metadata)
}

/// Feeds `input` to `f` in pieces of at most [`STEP`] bytes until it ends.
fn pump<R: Read>(input: &mut R, mut f: impl FnMut(&[u8]) -> Result<(), StreamError>) -> Result<(), StreamError> {
    let mut buf = vec![0u8; STEP];
    loop {
        match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => f(&buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
