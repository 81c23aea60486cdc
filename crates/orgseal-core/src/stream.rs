//! Cobblestone-256 (C2SP chunked encryption), the encryption layer of every
//! OrgSeal message.
//!
//! ```text
//! key(32) || base_nonce(12) || commitment(32) =
//!     HKDF-Expand-SHA-512(input_key, "c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM" || 0x00 || salt || context, 76)
//! message = salt(24) || commitment(32) || chunk_0 || … || chunk_n
//! ```
//!
//! Plaintext is cut into 16384-byte chunks; the last chunk is always shorter
//! (possibly empty), which is how a reader tells the end from a truncation.
//! Chunk `i` is AES-256-GCM under `base_nonce XOR i`, with no associated data.
//!
//! The engine is written against [`ChunkAead`] so the AES-GCM behind it can be
//! the `aes-gcm` crate (native) or another implementation of the same function
//! (WebCrypto in the browser). [`Encryptor`] and [`Decryptor`] are push-style:
//! they hold at most one chunk, whatever the message size.

use crate::error::Error;
use crate::primitives::{
    CHUNK_LEN, COMMITMENT_LEN, KEY_LEN, NONCE_LEN, SALT_LEN, SEALED_CHUNK_LEN, TAG_LEN, hkdf_expand_sha512,
    random_bytes,
};
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The HKDF info prefix of Cobblestone-256.
pub const INFO_PREFIX: &[u8] = b"c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\x00";
/// `salt || commitment`, the start of every message.
pub const MESSAGE_HEADER_LEN: usize = SALT_LEN + COMMITMENT_LEN;
/// At most this many chunks in a message.
pub const MAX_CHUNKS: u64 = 1 << 38;

/// A chunk whose authentication tag does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagMismatch;

/// AES-256-GCM on one chunk. Output is `ciphertext || tag`, as the format stores it.
pub trait ChunkAead {
    /// Appends `AES-GCM(nonce, plaintext)` to `out`.
    fn seal_chunk(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8], out: &mut Vec<u8>);
    /// Appends the plaintext of `sealed` (ciphertext || tag) to `out`, or fails
    /// without appending anything.
    fn open_chunk(&self, nonce: &[u8; NONCE_LEN], sealed: &[u8], out: &mut Vec<u8>) -> Result<(), TagMismatch>;
}

/// The native AEAD: the `aes-gcm` crate (AES-NI / VAES where the CPU has them).
pub struct AesGcmChunks(Aes256Gcm);

impl AesGcmChunks {
    /// A chunk cipher under `key`.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(Aes256Gcm::new(key.into()))
    }
}

impl std::fmt::Debug for AesGcmChunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesGcmChunks(<redacted>)")
    }
}

impl ChunkAead for AesGcmChunks {
    fn seal_chunk(&self, nonce: &[u8; NONCE_LEN], plaintext: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + plaintext.len(), 0);
        // Encrypt from the input straight into the output: one pass, no copy.
        let buf = InOutBuf::new(plaintext, &mut out[start..]).expect("same lengths");
        let tag = self
            .0
            .encrypt_inout_detached(&Nonce::from(*nonce), &[], buf)
            .expect("a chunk is far below AES-GCM's length limit");
        out.extend_from_slice(&tag);
    }

    fn open_chunk(&self, nonce: &[u8; NONCE_LEN], sealed: &[u8], out: &mut Vec<u8>) -> Result<(), TagMismatch> {
        if sealed.len() < TAG_LEN {
            return Err(TagMismatch);
        }
        let (ct, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        let tag = Tag::try_from(tag).map_err(|_| TagMismatch)?;
        let start = out.len();
        out.resize(start + ct.len(), 0);
        let buf = InOutBuf::new(ct, &mut out[start..]).expect("same lengths");
        let res = self.0.decrypt_inout_detached(&Nonce::from(*nonce), &[], buf, &tag);
        if res.is_err() {
            out[start..].zeroize();
            out.truncate(start);
            return Err(TagMismatch);
        }
        Ok(())
    }
}

/// What HKDF derives for one message: the AEAD key, the base nonce and the
/// commitment. The key is wiped on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MessageKeys {
    key: [u8; KEY_LEN],
    base_nonce: [u8; NONCE_LEN],
    commitment: [u8; COMMITMENT_LEN],
}

impl std::fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageKeys(<redacted>)")
    }
}

impl MessageKeys {
    /// Derives the keys of a message from its input key, salt and context.
    ///
    /// Fails with [`Error::InvalidKeySize`] unless `input_key` is 32 bytes.
    pub fn derive(input_key: &[u8], salt: &[u8; SALT_LEN], context: &[u8]) -> Result<Self, Error> {
        if input_key.len() != KEY_LEN {
            return Err(Error::InvalidKeySize { len: input_key.len() });
        }
        let mut info = Vec::with_capacity(INFO_PREFIX.len() + SALT_LEN + context.len());
        info.extend_from_slice(INFO_PREFIX);
        info.extend_from_slice(salt);
        info.extend_from_slice(context);
        let mut okm = [0u8; KEY_LEN + NONCE_LEN + COMMITMENT_LEN];
        hkdf_expand_sha512(input_key, &info, &mut okm);
        let mut keys = MessageKeys { key: [0; KEY_LEN], base_nonce: [0; NONCE_LEN], commitment: [0; COMMITMENT_LEN] };
        keys.key.copy_from_slice(&okm[..KEY_LEN]);
        keys.base_nonce.copy_from_slice(&okm[KEY_LEN..KEY_LEN + NONCE_LEN]);
        keys.commitment.copy_from_slice(&okm[KEY_LEN + NONCE_LEN..]);
        okm.zeroize();
        Ok(keys)
    }

    /// The key commitment written after the salt.
    pub fn commitment(&self) -> &[u8; COMMITMENT_LEN] {
        &self.commitment
    }

    /// Checks a stored commitment in constant time.
    pub fn check_commitment(&self, stored: &[u8]) -> Result<(), Error> {
        if bool::from(self.commitment.as_slice().ct_eq(stored)) {
            Ok(())
        } else {
            Err(Error::CommitmentMismatch { part: "message", offset: 0 })
        }
    }

    /// The chunk key and base nonce, the only secrets bulk chunk work needs.
    pub fn chunk_key(&self) -> ChunkKey {
        ChunkKey { key: self.key, base_nonce: self.base_nonce }
    }
}

/// A message's AEAD key and base nonce: enough to seal or open its chunks, and
/// nothing else (it cannot open any other message, nor derive the org key).
/// This is the "file key" the background hands to the sealer and opener.
// No PartialEq: a secret is never compared with `==` (not constant-time).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ChunkKey {
    key: [u8; KEY_LEN],
    base_nonce: [u8; NONCE_LEN],
}

impl std::fmt::Debug for ChunkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChunkKey(<redacted>)")
    }
}

/// Bytes in a serialized [`ChunkKey`].
pub const CHUNK_KEY_LEN: usize = KEY_LEN + NONCE_LEN;

impl ChunkKey {
    /// `key || base_nonce`, for handing to another extension context.
    pub fn to_bytes(&self) -> zeroize::Zeroizing<[u8; CHUNK_KEY_LEN]> {
        let mut out = zeroize::Zeroizing::new([0u8; CHUNK_KEY_LEN]);
        out[..KEY_LEN].copy_from_slice(&self.key);
        out[KEY_LEN..].copy_from_slice(&self.base_nonce);
        out
    }

    /// Reads what [`ChunkKey::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != CHUNK_KEY_LEN {
            return Err(Error::InvalidKeySize { len: bytes.len() });
        }
        let mut k = ChunkKey { key: [0; KEY_LEN], base_nonce: [0; NONCE_LEN] };
        k.key.copy_from_slice(&bytes[..KEY_LEN]);
        k.base_nonce.copy_from_slice(&bytes[KEY_LEN..]);
        Ok(k)
    }

    /// The AES-256 key bytes (for importing into another AES-GCM implementation).
    pub fn aead_key(&self) -> &[u8; KEY_LEN] {
        &self.key
    }

    /// `base_nonce XOR index`, the index as a 96-bit big-endian integer.
    pub fn nonce(&self, index: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        for (n, i) in nonce[NONCE_LEN - 8..].iter_mut().zip(index.to_be_bytes()) {
            *n ^= i;
        }
        nonce
    }

    /// The native chunk cipher for this key.
    pub fn native(&self) -> AesGcmChunks {
        AesGcmChunks::new(&self.key)
    }
}

/// Starts a new message: draws a salt, derives the keys and returns
/// `salt || commitment` with the chunk key.
pub fn begin_message(input_key: &[u8], context: &[u8]) -> Result<([u8; MESSAGE_HEADER_LEN], ChunkKey), Error> {
    let mut salt = [0u8; SALT_LEN];
    random_bytes(&mut salt);
    begin_message_with_salt(input_key, &salt, context)
}

/// [`begin_message`] with a given salt (for known-answer tests).
pub fn begin_message_with_salt(
    input_key: &[u8],
    salt: &[u8; SALT_LEN],
    context: &[u8],
) -> Result<([u8; MESSAGE_HEADER_LEN], ChunkKey), Error> {
    let keys = MessageKeys::derive(input_key, salt, context)?;
    let mut header = [0u8; MESSAGE_HEADER_LEN];
    header[..SALT_LEN].copy_from_slice(salt);
    header[SALT_LEN..].copy_from_slice(keys.commitment());
    Ok((header, keys.chunk_key()))
}

/// Checks a message's `salt || commitment` and returns its chunk key.
///
/// `header` must be at least [`MESSAGE_HEADER_LEN`] bytes; only that prefix is read.
pub fn open_message_header(input_key: &[u8], header: &[u8], context: &[u8]) -> Result<ChunkKey, Error> {
    if input_key.len() != KEY_LEN {
        return Err(Error::InvalidKeySize { len: input_key.len() });
    }
    if header.len() < MESSAGE_HEADER_LEN {
        return Err(Error::Truncated { offset: header.len() as u64 });
    }
    let salt: [u8; SALT_LEN] = header[..SALT_LEN].try_into().expect("length checked");
    let keys = MessageKeys::derive(input_key, &salt, context)?;
    keys.check_commitment(&header[SALT_LEN..MESSAGE_HEADER_LEN])?;
    Ok(keys.chunk_key())
}

/// Seals chunks as plaintext is pushed. Full chunks go out as soon as they are
/// complete (a full chunk is never the last one); [`Encryptor::finish`] writes
/// the short final chunk.
pub struct Encryptor<A: ChunkAead> {
    aead: A,
    key: ChunkKey,
    index: u64,
    buf: Vec<u8>,
}

impl<A: ChunkAead> std::fmt::Debug for Encryptor<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryptor").field("index", &self.index).finish_non_exhaustive()
    }
}

impl<A: ChunkAead> Encryptor<A> {
    /// An encryptor for the message whose chunk key is `key`, sealing with `aead`
    /// (which must hold the same AES key).
    pub fn new(aead: A, key: ChunkKey) -> Self {
        Self { aead, key, index: 0, buf: Vec::with_capacity(CHUNK_LEN) }
    }

    /// Takes plaintext and appends every chunk it completes to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        while !data.is_empty() {
            if self.buf.is_empty() && data.len() >= CHUNK_LEN {
                // Whole chunks go straight from the input, without a copy.
                let (chunk, rest) = data.split_at(CHUNK_LEN);
                self.seal(chunk, out)?;
                data = rest;
                continue;
            }
            let take = (CHUNK_LEN - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == CHUNK_LEN {
                self.emit(out)?;
            }
        }
        Ok(())
    }

    /// Writes the final (short, possibly empty) chunk.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.emit(out)
    }

    fn emit(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let buf = std::mem::take(&mut self.buf);
        let res = self.seal(&buf, out);
        self.buf = buf;
        self.buf.zeroize();
        self.buf.clear();
        res
    }

    fn seal(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.index >= MAX_CHUNKS {
            return Err(Error::TooLong);
        }
        self.aead.seal_chunk(&self.key.nonce(self.index), chunk, out);
        self.index += 1;
        Ok(())
    }
}

/// Opens chunks as ciphertext is pushed. A full sealed chunk is opened once at
/// least one more byte follows it (only then is it known not to be the last);
/// [`Decryptor::finish`] opens the final chunk and rejects a missing one.
///
/// Plaintext it releases before `finish` is authenticated chunk by chunk, but
/// the message as a whole is only known complete after `finish` returns `Ok`:
/// callers keep earlier output provisional until then.
pub struct Decryptor<A: ChunkAead> {
    aead: A,
    key: ChunkKey,
    index: u64,
    /// Bytes of the message before chunk 0 (for error offsets).
    base_offset: u64,
    buf: Vec<u8>,
    plaintext_len: u64,
}

impl<A: ChunkAead> std::fmt::Debug for Decryptor<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decryptor").field("index", &self.index).finish_non_exhaustive()
    }
}

impl<A: ChunkAead> Decryptor<A> {
    /// A decryptor for chunks sealed under `key`; `base_offset` is where chunk 0
    /// starts in the file, so errors can say where the damage is.
    pub fn new(aead: A, key: ChunkKey, base_offset: u64) -> Self {
        Self { aead, key, index: 0, base_offset, buf: Vec::with_capacity(SEALED_CHUNK_LEN + 1), plaintext_len: 0 }
    }

    /// Plaintext bytes released so far.
    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// Takes ciphertext and appends the plaintext of every chunk known not to be
    /// the last to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        while !data.is_empty() {
            if self.buf.len() == SEALED_CHUNK_LEN {
                // More data follows a full chunk, so it is not the final one.
                self.open_buffered(out)?;
            }
            if self.buf.is_empty() && data.len() > SEALED_CHUNK_LEN {
                // A whole chunk with more after it opens straight from the input.
                let (chunk, rest) = data.split_at(SEALED_CHUNK_LEN);
                self.open(chunk, out)?;
                data = rest;
                continue;
            }
            let take = (SEALED_CHUNK_LEN - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    /// Opens the final chunk. Fails if the message ends in a full chunk or in
    /// less than a tag.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<u64, Error> {
        if self.buf.len() == SEALED_CHUNK_LEN || self.buf.len() < TAG_LEN {
            return Err(Error::Truncated { offset: self.chunk_offset() + self.buf.len() as u64 });
        }
        self.open_buffered(out)?;
        Ok(self.plaintext_len)
    }

    fn chunk_offset(&self) -> u64 {
        self.base_offset + self.index * SEALED_CHUNK_LEN as u64
    }

    fn open_buffered(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let buf = std::mem::take(&mut self.buf);
        let res = self.open(&buf, out);
        self.buf = buf;
        self.buf.clear();
        res
    }

    fn open(&mut self, sealed: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        if self.index >= MAX_CHUNKS {
            return Err(Error::TooLong);
        }
        let before = out.len();
        self.aead
            .open_chunk(&self.key.nonce(self.index), sealed, out)
            .map_err(|TagMismatch| Error::Damaged { offset: self.chunk_offset(), chunk: self.index })?;
        self.plaintext_len += (out.len() - before) as u64;
        self.index += 1;
        Ok(())
    }
}

/// Seals a whole message in memory with the native AEAD.
pub fn seal_message(input_key: &[u8], context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let (header, key) = begin_message(input_key, context)?;
    let mut out = Vec::with_capacity(sealed_message_len(plaintext.len() as u64) as usize);
    out.extend_from_slice(&header);
    let mut enc = Encryptor::new(key.native(), key);
    enc.push(plaintext, &mut out)?;
    enc.finish(&mut out)?;
    Ok(out)
}

/// Opens a whole message in memory with the native AEAD. `base_offset` is the
/// message's position in its file, for error offsets.
pub fn open_message(input_key: &[u8], context: &[u8], message: &[u8], base_offset: u64) -> Result<Vec<u8>, Error> {
    if message.len() < MESSAGE_HEADER_LEN {
        return Err(Error::Truncated { offset: base_offset + message.len() as u64 });
    }
    let key = open_message_header(input_key, message, context)?;
    let mut dec = Decryptor::new(key.native(), key, base_offset + MESSAGE_HEADER_LEN as u64);
    let mut out = Vec::with_capacity(message.len());
    let res = dec.push(&message[MESSAGE_HEADER_LEN..], &mut out).and_then(|()| dec.finish(&mut out));
    match res {
        Ok(_) => Ok(out),
        Err(e) => {
            out.zeroize();
            Err(e)
        }
    }
}

/// Length of a sealed message of `n` plaintext bytes.
pub const fn sealed_message_len(n: u64) -> u64 {
    MESSAGE_HEADER_LEN as u64 + n + TAG_LEN as u64 * (n / CHUNK_LEN as u64 + 1)
}
