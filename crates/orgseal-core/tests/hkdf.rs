//! The two key derivations against Wycheproof's HKDF vectors.
//!
//! - HKDF-Expand-SHA-512 is built here on HMAC (Cobblestone takes the org key
//!   as the PRK directly); each SHA-512 vector is run as Extract (HMAC) followed
//!   by our Expand, which must give the vector's output.
//! - The key id is ordinary HKDF-SHA-256 from the `hkdf` crate; the SHA-256
//!   vectors check that crate as we call it, and a fixed key pins the key id.

use hmac::{Hmac, KeyInit, Mac};
use orgseal_core::OrgKey;
use orgseal_core::primitives::hkdf_expand_sha512;
use serde_json::Value;
use sha2::{Sha256, Sha512};

fn vectors(file: &str) -> Vec<Value> {
    let path = format!("{}/../../tests/vectors/wycheproof/{file}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["testGroups"].as_array().unwrap().iter().flat_map(|g| g["tests"].as_array().unwrap().clone()).collect()
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn expand_sha512_matches_wycheproof() {
    let mut checked = 0;
    for t in vectors("hkdf_sha512_test.json") {
        let size = t["size"].as_u64().unwrap() as usize;
        if t["result"] != "valid" {
            assert!(size > 255 * 64, "tc {}: only over-long outputs are invalid", t["tcId"]);
            continue;
        }
        let salt = unhex(&t["salt"]);
        let salt = if salt.is_empty() { vec![0u8; 64] } else { salt };
        let mut extract = <Hmac<Sha512> as KeyInit>::new_from_slice(&salt).unwrap();
        extract.update(&unhex(&t["ikm"]));
        let prk = extract.finalize().into_bytes();
        let mut okm = vec![0u8; size];
        hkdf_expand_sha512(&prk, &unhex(&t["info"]), &mut okm);
        assert_eq!(okm, unhex(&t["okm"]), "tc {}", t["tcId"]);
        checked += 1;
    }
    assert_eq!(checked, 80);
}

#[test]
fn hkdf_sha256_as_the_key_id_calls_it() {
    let mut checked = 0;
    for t in vectors("hkdf_sha256_test.json") {
        let size = t["size"].as_u64().unwrap() as usize;
        let salt = unhex(&t["salt"]);
        let hk = hkdf::Hkdf::<Sha256>::new((!salt.is_empty()).then_some(&salt[..]), &unhex(&t["ikm"]));
        let mut okm = vec![0u8; size];
        let res = hk.expand(&unhex(&t["info"]), &mut okm);
        if t["result"] == "valid" {
            res.unwrap();
            assert_eq!(okm, unhex(&t["okm"]), "tc {}", t["tcId"]);
            checked += 1;
        } else {
            assert!(res.is_err(), "tc {}", t["tcId"]);
        }
    }
    assert!(checked >= 80);
    // A pinned key id, computed independently (Python's hmac module):
    // HKDF-SHA-256(ikm = 32 bytes of 0x01, salt none, "orgseal/v1 key-id")[..16].
    let key = OrgKey::from_bytes("pinned", [1u8; 32]);
    assert_eq!(key.id().to_string(), "29b31734912ef9e419fa9960f9100385");
}
