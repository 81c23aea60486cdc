//! `std::io` adapters: seal from a reader to a writer, open from a reader to a
//! writer, with memory that does not grow with the file (one chunk plus the
//! header at most).

use crate::error::Error;
use crate::header::{ContentOpener, HEADER_LEN, Header, Metadata, OpenStart, begin_open, begin_seal, content_sealer};
use crate::keyring::{KeyRing, OrgKey};
use std::io::{Read, Write};

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
