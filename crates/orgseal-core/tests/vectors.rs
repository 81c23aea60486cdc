//! The project's own known-answer files, `tests/vectors/orgseal/`, run by one
//! table: each file says what a reader must do with it (open to this SHA-256
//! and name, or fail with this error code). The CLI tests use the same files.
//!
//! `ORGSEAL_WRITE_VECTORS=1 cargo test -p orgseal-core --test vectors` rewrites
//! them (new salts, same meaning; docs/FORMAT.md §10 must then be updated).
//! `ORGSEAL_WRITE_VECTORS=new` writes only the files not there yet (derived
//! from the ones that are) and the table.
//!
//! Each file is run through three readers: the whole-file reader, the
//! streaming reader (in pieces of several sizes), and the random-access
//! reader of `orgseal decrypt --range` (the whole plaintext as its range);
//! all give the file's code. (The extension's counted reader over WebCrypto
//! runs them in tests/unit/wasm-vectors.test.mjs.)

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

fn write_vectors(all: bool) {
    let key = key();
    let d = dir();
    std::fs::create_dir_all(&d).unwrap();
    let mut table = Vec::new();
    let mut put = |name: &str, bytes: &[u8], expect: Value| {
        if all || !d.join(name).exists() {
            std::fs::write(d.join(name), bytes).unwrap();
        }
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

    // Two faults at once, and bytes after the final chunk (FORMAT.md §8.1:
    // the content's length decides first, then the chunks, in order). Made
    // from the files above as they are on disk.
    let disk = |name: &str| std::fs::read(d.join(name)).unwrap();
    let damaged = disk("fail_damaged_chunk.orgseal"); // 20000 bytes: a full chunk, then a final one of 3632
    let cut = damaged.len() - 3632 + 10;
    put("fail_damaged_chunk_and_cut_final.orgseal", &damaged[..cut], fail("truncated"));
    put("fail_damaged_chunk_and_wrong_size.orgseal", &[&damaged[..], &[0u8; 7][..]].concat(), fail("size-mismatch"));
    let mut two = damaged.clone();
    let last = two.len() - 100;
    two[last] ^= 1;
    put("fail_two_damaged_chunks.orgseal", &two, fail("damaged"));
    let tail = |name: &str| [disk(name), vec![0u8]].concat();
    put("fail_trailing_byte_after_full_final.orgseal", &tail("valid_16383_bytes.orgseal"), fail("truncated"));
    put("fail_trailing_byte_after_short_final.orgseal", &tail("valid_1_bytes.orgseal"), fail("size-mismatch"));
    put("fail_trailing_byte_without_size.orgseal", &tail("valid_minimal_metadata.orgseal"), fail("damaged"));

    // Metadata JSON at its edges (FORMAT.md §5).
    let four = b"four";
    let four_sha = hex::encode(Sha256::digest(four));
    for (file, json) in [
        ("fail_metadata_duplicate_name.orgseal", &br#"{"name":"a.txt","name":"b.txt"}"#[..]),
        ("fail_metadata_null_member.orgseal", br#"{"name":"n.txt","size":null}"#),
        ("fail_metadata_size_fraction.orgseal", br#"{"name":"f.txt","size":4.0}"#),
        ("fail_metadata_size_exponent.orgseal", br#"{"name":"f.txt","size":4e0}"#),
        ("fail_metadata_negative_zero.orgseal", br#"{"name":"f.txt","modified":-0}"#),
        ("fail_metadata_lone_surrogate.orgseal", br#"{"name":"a\ud800.txt"}"#),
        ("fail_metadata_byte_order_mark.orgseal", b"\xEF\xBB\xBF{\"name\":\"bom.txt\"}"),
    ] {
        put(file, &seal_raw_meta(&key, json, four), fail("bad-metadata"));
    }
    put(
        "valid_metadata_escapes_and_space.orgseal",
        &seal_raw_meta(
            &key,
            b" {\n \"name\" : \"caf\\u00e9 \\ud83d\\ude00.txt\" , \"size\": 4, \"modified\": -1 }\n",
            four,
        ),
        json!({"expect": "open", "name": "caf\u{e9} \u{1f600}.txt", "sha256": four_sha}),
    );

    // Key encodings (FORMAT.md §2): the code each refusal gives. Test
    // strings, never keys in use.
    let good_key = key.to_base64url().to_string();
    let keys = json!([
        {"secret": good_key, "expect": "ok", "key_id": key.id().to_string()},
        {"secret": format!("{good_key}="), "expect": "fail", "code": "key-padded"},
        {"secret": format!("{}+{}", &good_key[..20], &good_key[21..]), "expect": "fail", "code": "key-standard-base64"},
        {"secret": &good_key[..42], "expect": "fail", "code": "key-length"},
        {"secret": format!("{}!{}", &good_key[..20], &good_key[21..]), "expect": "fail", "code": "key-alphabet"},
        {"secret": format!("{}{}", &good_key[..42], "B"), "expect": "fail", "code": "key-non-canonical"},
    ]);

    let doc = json!({
        "about": "OrgSeal v1 known-answer files. Key: the 32 ASCII bytes of 'orgseal test vector key, public!' (a public test key).",
        "key_base64url": key.to_base64url().as_str(),
        "key_id": key.id().to_string(),
        "vectors": table,
        "keys": keys,
    });
    std::fs::write(d.join("vectors.json"), serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
}

/// The code a reader gave, or what else went wrong.
fn code_of(e: &orgseal_core::io::StreamError) -> String {
    match e {
        orgseal_core::io::StreamError::Refused(e) => e.code().to_string(),
        other => format!("not a refusal: {other}"),
    }
}

/// The random-access reader (`orgseal decrypt --range`) over the whole
/// plaintext: the bytes, or the code.
fn open_by_range(ring: &KeyRing, bytes: &[u8]) -> Result<Vec<u8>, String> {
    use orgseal_core::layout::check_content_length;
    // The range is the whole plaintext, as far as the file's length tells.
    let n = orgseal_core::io::read_prefix(ring, &mut &bytes[..])
        .ok()
        .and_then(|(start, _)| check_content_length(start.content_offset, bytes.len() as u64, None).ok())
        .map_or(1, |l| l.plaintext_len.max(1));
    let mut out = Vec::new();
    match orgseal_core::io::open_range(ring, std::io::Cursor::new(bytes), 0, n - 1, &mut out) {
        Ok(_) => Ok(out),
        // An empty file has no byte to ask for: every check before the range passed.
        Err(orgseal_core::io::StreamError::OutOfRange { plaintext_len: 0, .. }) => Ok(Vec::new()),
        Err(e) => Err(code_of(&e)),
    }
}

#[test]
fn every_vector_does_what_it_says() {
    match std::env::var("ORGSEAL_WRITE_VECTORS").as_deref() {
        Ok("1") => write_vectors(true),
        Ok("new") => write_vectors(false),
        _ => {}
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
                let mut streamed = Vec::new();
                orgseal_core::io::open(&ring, &bytes[..], &mut streamed)
                    .unwrap_or_else(|e| panic!("{file} streaming: {e}"));
                assert_eq!(streamed, pt, "{file} streaming");
                assert_eq!(open_by_range(&ring, &bytes), Ok(pt), "{file} by range");
            }
            "fail" => {
                let code = v["code"].as_str().unwrap();
                let err = res.err().unwrap_or_else(|| panic!("{file} opened but must fail"));
                assert_eq!(err.code(), code, "{file}: {err}");
                // Streaming, in pieces of several sizes, gives the same code.
                for step in [1usize, 7, 4096, 16400, 1 << 20] {
                    let streamed = orgseal_core::io::open(&ring, Pieces(&bytes, step), std::io::sink());
                    let got = streamed.err().map(|e| code_of(&e));
                    assert_eq!(got.as_deref(), Some(code), "{file} streaming in pieces of {step}");
                }
                assert_eq!(open_by_range(&ring, &bytes).err().as_deref(), Some(code), "{file} by range");
            }

            other => panic!("{file}: unknown expectation {other}"),
        }
    }
}

/// A reader that hands out at most `.1` bytes per read.
struct Pieces<'a>(&'a [u8], usize);

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn every_key_encoding_gives_its_code() {
    let doc: Value = serde_json::from_slice(&std::fs::read(dir().join("vectors.json")).unwrap()).unwrap();
    let keys = doc["keys"].as_array().unwrap();
    assert!(keys.len() >= 6);
    for k in keys {
        let secret = k["secret"].as_str().unwrap();
        match (OrgKey::from_base64url("k", secret), k["expect"].as_str().unwrap()) {
            (Ok(key), "ok") => assert_eq!(key.id().to_string(), k["key_id"].as_str().unwrap()),
            (Err(e), "fail") => {
                assert_eq!(e.code(), k["code"].as_str().unwrap(), "{e}");
                assert!(!e.to_string().contains(secret), "a refusal never repeats the secret");
            }
            (got, want) => panic!("{}: expected {want}, got {:?}", k["code"], got.map(|k| k.id().to_string())),
        }
    }
}
