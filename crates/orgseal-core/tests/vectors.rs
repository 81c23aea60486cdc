//! The project's own known-answer files, `tests/vectors/orgseal/`, run by one
//! table: each file says what a reader must do with it (open to this SHA-256
//! and name, or fail with this error code). The CLI tests use the same files.
//!
//! `ORGSEAL_WRITE_VECTORS=1 cargo test -p orgseal-core --test vectors` rewrites
//! them (new salts, same meaning).

use orgseal_core::file::{CONTENT_CONTEXT, META_CONTEXT};
use orgseal_core::header::{HEADER_LEN, Header};
use orgseal_core::stream::{begin_message, seal_message};
use orgseal_core::{KeyRing, Metadata, OrgKey, open_bytes, seal_bytes};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The published test key of these vectors (never a real key).
pub const TEST_KEY: [u8; 32] = *b"orgseal test vector key, public!";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/orgseal")
}

fn key() -> OrgKey {
    OrgKey::from_bytes("test-vectors", TEST_KEY)
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 253) as u8 ^ 0x5a).collect()
}

/// A file whose metadata plaintext is `json` exactly (for metadata rules).
fn seal_raw_meta(key: &OrgKey, json: &[u8], content: &[u8]) -> Vec<u8> {
    let meta_len = orgseal_core::stream::sealed_message_len(json.len() as u64) as u32;
    let header = Header { key_id: key.id(), meta_len }.to_bytes();
    let mut file = header.to_vec();
    let secret = TEST_KEY;
    file.extend(seal_message(&secret, &[META_CONTEXT, &header].concat(), json).unwrap());
    let ctx = [CONTENT_CONTEXT, &file[..]].concat();
    let (msg_header, chunk_key) = begin_message(&secret, &ctx).unwrap();
    file.extend_from_slice(&msg_header);
    let mut enc = orgseal_core::stream::Encryptor::new(chunk_key.native(), chunk_key);
    enc.push(content, &mut file).unwrap();
    enc.finish(&mut file).unwrap();
    file
}

fn write_vectors() {
    let key = key();
    let d = dir();
    std::fs::create_dir_all(&d).unwrap();
    let mut table = Vec::new();
    let mut put = |name: &str, bytes: &[u8], expect: Value| {
        std::fs::write(d.join(name), bytes).unwrap();
        let mut entry = json!({ "file": name });
        entry.as_object_mut().unwrap().extend(expect.as_object().unwrap().clone());
        table.push(entry);
    };
    let full = |name: &str, n: usize| Metadata {
        name: name.into(),
        mime: "application/octet-stream".into(),
        size: Some(n as u64),
        modified: Some(1_795_000_000_000),
    };
    for n in [0usize, 1, 16383, 16384, 16385, 40000] {
        let pt = data(n);
        let f = seal_bytes(&key, &full(&format!("data-{n}.bin"), n), &pt).unwrap();
        put(
            &format!("valid_{n}_bytes.orgseal"),
            &f,
            json!({"expect": "open", "name": format!("data-{n}.bin"), "sha256": hex::encode(Sha256::digest(&pt))}),
        );
    }
    let pt = data(100);
    let minimal = Metadata { name: "minimal.txt".into(), mime: String::new(), size: None, modified: None };
    put(
        "valid_minimal_metadata.orgseal",
        &seal_bytes(&key, &minimal, &pt).unwrap(),
        json!({"expect": "open", "name": "minimal.txt", "sha256": hex::encode(Sha256::digest(&pt))}),
    );
    let extra = seal_raw_meta(&key, br#"{"name":"extra.txt","type":"text/plain","future":{"x":1}}"#, &pt);
    put(
        "valid_unknown_metadata_member.orgseal",
        &extra,
        json!({"expect": "open", "name": "extra.txt", "sha256": hex::encode(Sha256::digest(&pt))}),
    );

    let good = seal_bytes(&key, &full("good.bin", 20000), &data(20000)).unwrap();
    let h = Header::parse(&good).unwrap();
    let content = HEADER_LEN + h.meta_len as usize;
    let fail = |code: &str| json!({"expect": "fail", "code": code});
    let mut v = good.clone();
    v[0] = b'o';
    put("fail_wrong_magic.orgseal", &v, fail("not-orgseal"));
    let mut v = good.clone();
    v[7] = 2;
    put("fail_version_2.orgseal", &v, fail("unsupported-version"));
    let mut v = good.clone();
    v[24..28].copy_from_slice(&(72u32 + 16384).to_be_bytes());
    put("fail_meta_len_out_of_range.orgseal", &v, fail("bad-header"));
    put("fail_shorter_than_header_says.orgseal", &good[..content + 20], fail("short-file"));
    let other = OrgKey::from_bytes("other", [9u8; 32]);
    put("fail_unknown_key.orgseal", &seal_bytes(&other, &full("x", 3), b"abc").unwrap(), fail("unknown-key"));
    let mut v = good.clone();
    v[HEADER_LEN + 30] ^= 1;
    put("fail_metadata_commitment.orgseal", &v, fail("commitment-mismatch"));
    let mut v = good.clone();
    v[content + 30] ^= 1;
    put("fail_content_commitment.orgseal", &v, fail("commitment-mismatch"));
    let mut v = good.clone();
    v[content + 56 + 100] ^= 1;
    put("fail_damaged_chunk.orgseal", &v, fail("damaged"));
    let ends_full = seal_bytes(&key, &full("f", 16384), &data(16384)).unwrap();
    put("fail_truncated_final_chunk.orgseal", &ends_full[..ends_full.len() - 16], fail("truncated"));
    put("fail_metadata_not_object.orgseal", &seal_raw_meta(&key, b"[1,2]", b"x"), fail("bad-metadata"));
    put("fail_metadata_without_name.orgseal", &seal_raw_meta(&key, br#"{"type":"a"}"#, b"x"), fail("bad-metadata"));
    put(
        "fail_size_mismatch.orgseal",
        &seal_raw_meta(&key, br#"{"name":"s","size":5}"#, b"four"),
        fail("size-mismatch"),
    );
    let doc = json!({
        "about": "OrgSeal v1 known-answer files. Key: the 32 ASCII bytes of 'orgseal test vector key, public!' (a public test key).",
        "key_base64url": key.to_base64url().as_str(),
        "key_id": key.id().to_string(),
        "vectors": table,
    });
    std::fs::write(d.join("vectors.json"), serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
}

#[test]
fn every_vector_does_what_it_says() {
    if std::env::var_os("ORGSEAL_WRITE_VECTORS").is_some() {
        write_vectors();
    }
    let doc: Value = serde_json::from_slice(&std::fs::read(dir().join("vectors.json")).unwrap()).unwrap();
    let ring = KeyRing::new(vec![key()], 0);
    assert_eq!(doc["key_id"], key().id().to_string());
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 20);
    for v in vectors {
        let file = v["file"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(file)).unwrap();
        let res = open_bytes(&ring, &bytes);
        match v["expect"].as_str().unwrap() {
            "open" => {
                let (meta, pt) = res.unwrap_or_else(|e| panic!("{file}: {e}"));
                assert_eq!(meta.name, v["name"].as_str().unwrap(), "{file}");
                assert_eq!(hex::encode(Sha256::digest(&pt)), v["sha256"].as_str().unwrap(), "{file}");
            }
            "fail" => {
                let err = res.err().unwrap_or_else(|| panic!("{file} opened but must fail"));
                assert_eq!(err.code(), v["code"].as_str().unwrap(), "{file}: {err}");
                // Streaming must refuse it too.
                assert!(orgseal_core::io::open(&ring, &bytes[..], std::io::sink()).is_err(), "{file}");
            }
            other => panic!("{file}: unknown expectation {other}"),
        }
    }
}
