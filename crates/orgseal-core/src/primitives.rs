//! The two key derivations the format uses, written in the spec's notation.
//!
//! - `HKDF-Expand-SHA-512(prk, info, L)` with the org key as the PRK, as
//!   Cobblestone-256 requires. The `hkdf` crate refuses a PRK shorter than the
//!   hash output (RFC 5869's HashLen rule), so Expand is built directly on HMAC.
//! - `HKDF-SHA-256(ikm, salt = none, info, 16)`: ordinary extract-then-expand
//!   for the key id, straight from the `hkdf` crate.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};

/// Bytes in a Cobblestone salt.
pub const SALT_LEN: usize = 24;
/// Bytes in a Cobblestone key commitment.
pub const COMMITMENT_LEN: usize = 32;
/// Bytes in an AES-256 key (and in an org key).
pub const KEY_LEN: usize = 32;
/// Bytes in an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes in an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Plaintext bytes in a full chunk.
pub const CHUNK_LEN: usize = 16384;
/// Ciphertext bytes in a full chunk (plaintext plus tag).
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// Bytes of a key id.
pub const KEY_ID_LEN: usize = 16;

/// Label for the key id derivation.
pub const KEY_ID_INFO: &[u8] = b"orgseal/v1 key-id";

/// HKDF-Expand-SHA-512 with `prk` used as the HMAC key directly (RFC 5869 §2.3).
///
/// Fills `out`; `out.len()` must be at most 255 × 64 bytes (the callers here ask
/// for 76).
pub fn hkdf_expand_sha512(prk: &[u8], info: &[u8], out: &mut [u8]) {
    assert!(out.len() <= 255 * 64, "HKDF-Expand output too long");
    let mut previous: Option<[u8; 64]> = None;
    for (i, block) in out.chunks_mut(64).enumerate() {
        // HMAC accepts keys of any length.
        let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(prk).expect("HMAC takes any key length");
        if let Some(t) = &previous {
            mac.update(t);
        }
        mac.update(info);
        mac.update(&[(i + 1) as u8]);
        let t: [u8; 64] = mac.finalize().into_bytes().into();
        block.copy_from_slice(&t[..block.len()]);
        previous = Some(t);
    }
}

/// `key_id = HKDF-SHA-256(ikm = org_key, salt = none, info = "orgseal/v1 key-id", L = 16)`.
pub fn key_id(org_key: &[u8; KEY_LEN]) -> [u8; KEY_ID_LEN] {
    let hk = hkdf::Hkdf::<Sha256>::new(None, org_key);
    let mut out = [0u8; KEY_ID_LEN];
    hk.expand(KEY_ID_INFO, &mut out).expect("16 bytes is a valid HKDF-SHA-256 length");
    out
}

/// Fills `buf` from the operating system's (or the browser's) CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the system random number generator failed");
}
