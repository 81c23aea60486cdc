//! The plain 28-byte header that starts every OrgSeal v1 file:
//! `"OrgSeal" || version || key_id(16) || u32be(meta_len)` (docs/FORMAT.md §4).

use crate::error::Error;
use crate::keyring::KeyId;
use crate::primitives::{CHUNK_LEN, KEY_ID_LEN, TAG_LEN};
use crate::stream::MESSAGE_HEADER_LEN;

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

    /// [`Header::parse`] for the first bytes of a stream; `complete` says the
    /// stream ended there. A complete input shorter than the magic cannot be
    /// an OrgSeal file, whatever it starts with (an empty file, `"Or"`): it
    /// is [`Error::NotOrgSeal`], not a cut one. A reader that passes unsealed
    /// files through (the extension's downloads) uses this to tell the two
    /// apart.
    pub fn parse_start(bytes: &[u8], complete: bool) -> Result<Header, Error> {
        if complete && bytes.len() < MAGIC.len() {
            return Err(Error::NotOrgSeal);
        }
        Header::parse(bytes)
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
