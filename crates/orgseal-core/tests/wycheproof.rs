//! The 35 Wycheproof vectors for Cobblestone-256 (C2SP chunked encryption).
//! Valid ones must open to the stated digest and re-seal byte for byte from
//! their salt; invalid ones must fail.

use orgseal_core::stream::{Encryptor, MessageKeys, begin_message_with_salt, open_message};
use serde_json::Value;
use sha2::{Digest, Sha512};
use std::io::Read;

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/wycheproof/c2sp_chunked_encryption_aes_256_gcm_test.json"
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(path).expect("vector file")).expect("JSON");
    assert_eq!(doc["algorithm"], "Cobblestone-256");
    doc["testGroups"].as_array().unwrap().iter().flat_map(|g| g["tests"].as_array().unwrap().clone()).collect()
}

/// The `ct` member is zlib-compressed hex.
fn ciphertext(t: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&unhex(&t["ct"])[..]).read_to_end(&mut out).expect("zlib");
    out
}

#[test]
fn all_35_vectors() {
    let tests = vectors();
    assert_eq!(tests.len(), 35);
    let (mut valid, mut invalid) = (0, 0);
    for t in &tests {
        let id = t["tcId"].as_u64().unwrap();
        let key = unhex(&t["key"]);
        let ctx = unhex(&t["ctx"]);
        let ct = ciphertext(t);
        let result = open_message(&key, &ctx, &ct, 0);
        match t["result"].as_str().unwrap() {
            "valid" => {
                valid += 1;
                let pt = result.unwrap_or_else(|e| panic!("tc {id}: valid vector refused: {e}"));
                assert_eq!(pt.len() as u64, t["msgLength"].as_u64().unwrap(), "tc {id} length");
                assert_eq!(Sha512::digest(&pt).as_slice(), unhex(&t["msgSha512"]), "tc {id} digest");
                // Derived values, when given.
                let salt: [u8; 24] = ct[..24].try_into().unwrap();
                let keys = MessageKeys::derive(&key, &salt, &ctx).unwrap();
                let chunk = keys.chunk_key();
                assert_eq!(chunk.aead_key().as_slice(), unhex(&t["aeadKey"]), "tc {id} aeadKey");
                assert_eq!(chunk.nonce(0).as_slice(), unhex(&t["baseNonce"]), "tc {id} baseNonce");
                // Sealing the same plaintext from the same salt gives the same bytes.
                let (header, ck) = begin_message_with_salt(&key, &salt, &ctx).unwrap();
                let mut resealed = header.to_vec();
                let mut enc = Encryptor::new(ck.native(), ck);
                enc.push(&pt, &mut resealed).unwrap();
                enc.finish(&mut resealed).unwrap();
                assert_eq!(resealed.len(), ct.len(), "tc {id} sealed length");
                assert!(resealed == ct, "tc {id}: re-sealing differs from the vector");
            }
            "invalid" => {
                invalid += 1;
                assert!(result.is_err(), "tc {id} ({}) must be refused", t["comment"]);
            }
            other => panic!("tc {id}: unknown result {other}"),
        }
    }
    assert_eq!((valid, invalid), (10, 25));
}
