//! CRX3 packages, signed here: the format Chromium installs (a `Cr24` magic,
//! version 3, a protobuf `CrxFileHeader`, then the zip), with the archive of
//! `cargo xtask dist` byte for byte and an RSA PKCS#1 v1.5 SHA-256 signature,
//! which is deterministic: two clean builds with the same key give the same
//! CRX (Chromium's own packer writes a new archive each time). The header is
//! encoded by `prost` from the message definitions below (Chromium's
//! `components/crx_file/crx3.proto`, the members OrgSeal uses); the signature
//! is the `rsa` crate's.

use anyhow::{Context, Result};
use prost::Message;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};
use sha2::{Digest, Sha256};

/// `CrxFileHeader`: the proofs, and the signed header data.
#[derive(Clone, PartialEq, Message)]
struct CrxFileHeader {
    #[prost(message, repeated, tag = "2")]
    sha256_with_rsa: Vec<AsymmetricKeyProof>,
    #[prost(bytes = "vec", optional, tag = "10000")]
    signed_header_data: Option<Vec<u8>>,
}

/// `AsymmetricKeyProof`: a public key (DER SubjectPublicKeyInfo) and its signature.
#[derive(Clone, PartialEq, Message)]
struct AsymmetricKeyProof {
    #[prost(bytes = "vec", optional, tag = "1")]
    public_key: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "2")]
    signature: Option<Vec<u8>>,
}

/// `SignedData`: the CRX id, the first 16 bytes of SHA-256 of the public key.
#[derive(Clone, PartialEq, Message)]
struct SignedData {
    #[prost(bytes = "vec", optional, tag = "1")]
    crx_id: Option<Vec<u8>>,
}

/// The CRX3 of `zip` signed with the RSA key in `key_pem` (PKCS#8 PEM, as
/// `openssl genpkey` writes), and the extension id it gives (32 letters a-p).
pub fn sign(zip: &[u8], key_pem: &str) -> Result<(Vec<u8>, String)> {
    let key = rsa::PrivateKey::from_pkcs8_pem(key_pem)
        .context("the CRX signing key is not an RSA private key in PKCS#8 PEM")?;
    let public = key.to_public_key().to_public_key_der().context("encoding the public key")?.as_bytes().to_vec();
    let id = Sha256::digest(&public)[..16].to_vec();
    let signed = SignedData { crx_id: Some(id.clone()) }.encode_to_vec();
    // What is signed: a fixed label, the signed header data with its length, the archive.
    let mut message = b"CRX3 SignedData\x00".to_vec();
    message.extend_from_slice(&u32::try_from(signed.len())?.to_le_bytes());
    message.extend_from_slice(&signed);
    message.extend_from_slice(zip);
    let signature =
        rsa::pkcs1v15::SigningKey::<Sha256>::new(key).try_sign(&message).context("signing the CRX")?.to_vec();
    let header = CrxFileHeader {
        sha256_with_rsa: vec![AsymmetricKeyProof { public_key: Some(public), signature: Some(signature) }],
        signed_header_data: Some(signed),
    }
    .encode_to_vec();
    let mut crx = b"Cr24".to_vec();
    crx.extend_from_slice(&3u32.to_le_bytes());
    crx.extend_from_slice(&u32::try_from(header.len())?.to_le_bytes());
    crx.extend_from_slice(&header);
    crx.extend_from_slice(zip);
    let letters = id.iter().flat_map(|b| [b >> 4, b & 15]).map(|n| char::from(b'a' + n)).collect();
    Ok((crx, letters))
}
