//! Everything a reader or writer of OrgSeal files can refuse, in words a person
//! can act on. No message ever contains key material: only key ids and labels.

/// Why a file could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first seven bytes are not `OrgSeal`.
    #[error("not an OrgSeal file: it does not start with the OrgSeal header")]
    NotOrgSeal,
    /// The version byte is not 1.
    #[error("unsupported OrgSeal version {version}: this build reads version 1; update OrgSeal")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// `meta_len` is outside 72..=72+16383.
    #[error("damaged OrgSeal header: metadata length {len} is out of range (72 to 16455)")]
    MetaLenOutOfRange {
        /// The length found.
        len: u32,
    },
    /// The file ends before the end of what its header announces.
    #[error("truncated: the header announces at least {expected} bytes but the file has {actual}")]
    ShortFile {
        /// Bytes the header requires.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// No key in the ring has this id.
    #[error(
        "sealed with key {key_id}, which is not in this key ring: ask IT for a policy that holds the key with this id"
    )]
    UnknownKey {
        /// The key id, 32 lowercase hex characters.
        key_id: String,
    },
    /// A Cobblestone key commitment did not match.
    #[error("damaged or forged: the key commitment of the {part} does not match (file offset {offset})")]
    CommitmentMismatch {
        /// `metadata` or `content` (or `message` outside a file).
        part: &'static str,
        /// Where that message starts.
        offset: u64,
    },
    /// A chunk's authentication tag failed.
    #[error("damaged at byte offset {offset} (chunk {chunk}): its authentication tag does not verify")]
    Damaged {
        /// Where the chunk starts in the file.
        offset: u64,
        /// Chunk index within its message.
        chunk: u64,
    },
    /// The message ends without its short final chunk.
    #[error("truncated: the file ends at byte offset {offset} without its final chunk")]
    Truncated {
        /// Where the data stopped.
        offset: u64,
    },
    /// The sealed metadata is not a JSON object with a string `name`.
    #[error("damaged metadata: {reason}")]
    BadMetadata {
        /// What is wrong with it.
        reason: String,
    },
    /// The metadata `size` differs from the content length.
    #[error("damaged: the metadata says {expected} bytes but the content holds {actual}")]
    SizeMismatch {
        /// The metadata's size.
        expected: u64,
        /// Bytes actually opened.
        actual: u64,
    },
    /// The metadata JSON does not fit in one chunk.
    #[error("file metadata too long: {len} bytes of JSON, the format allows 16383; shorten the file name")]
    MetadataTooLong {
        /// The JSON length.
        len: usize,
    },
    /// More than 2^38 chunks.
    #[error("too long: a message holds at most 2^38 chunks (4 PiB)")]
    TooLong,
    /// A Cobblestone input key that is not 32 bytes.
    #[error("invalid key size: {len} bytes, AES-256 needs 32")]
    InvalidKeySize {
        /// The length given.
        len: usize,
    },
}

impl Error {
    /// A stable code for programs (the extension, scripts).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotOrgSeal => "not-orgseal",
            Error::UnsupportedVersion { .. } => "unsupported-version",
            Error::MetaLenOutOfRange { .. } => "bad-header",
            Error::ShortFile { .. } => "short-file",
            Error::UnknownKey { .. } => "unknown-key",
            Error::CommitmentMismatch { .. } => "commitment-mismatch",
            Error::Damaged { .. } => "damaged",
            Error::Truncated { .. } => "truncated",
            Error::BadMetadata { .. } => "bad-metadata",
            Error::SizeMismatch { .. } => "size-mismatch",
            Error::MetadataTooLong { .. } => "metadata-too-long",
            Error::TooLong => "too-long",
            Error::InvalidKeySize { .. } => "invalid-key-size",
        }
    }
}
