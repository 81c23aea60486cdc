//! The `orgseal` binary as a person runs it: exit codes, outputs, and what is
//! (not) left on disk.

mod common;
use common::{hex, orgseal, tempdir, text};

use std::path::Path;

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 13) as u8).collect()
}

#[test]
fn keygen_encrypt_decrypt_inspect() {
    let d = tempdir("round");
    let dir = &d.0;
    let out = orgseal(dir, &["keygen", "--label", "2026-q4", "-o", "policy.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let policy = std::fs::read_to_string(dir.join("policy.json")).unwrap();
    let secret =
        serde_json::from_str::<serde_json::Value>(&policy).unwrap()["keys"][0]["secret"].as_str().unwrap().to_string();
    assert!(!text(&out.stdout).contains(&secret) && !text(&out.stderr).contains(&secret));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(dir.join("policy.json")).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(orgseal(dir, &["policy", "check", "policy.json"]).status.success());

    let pt = data(100_000);
    std::fs::write(dir.join("report.bin"), &pt).unwrap();
    let out = orgseal(dir, &["encrypt", "--policy", "policy.json", "report.bin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let sealed = std::fs::read(dir.join("report.bin.orgseal")).unwrap();
    assert_eq!(&sealed[..7], b"OrgSeal");

    std::fs::create_dir(dir.join("out")).unwrap();
    let out = orgseal(dir, &["decrypt", "--policy", "policy.json", "report.bin.orgseal", "-o", "out"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(dir.join("out/report.bin")).unwrap(), pt);

    // Standard output.
    let out = orgseal(dir, &["decrypt", "--policy", "policy.json", "report.bin.orgseal", "-o", "-"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, pt);

    // Never overwrite without --force.
    let out = orgseal(dir, &["decrypt", "--policy", "policy.json", "report.bin.orgseal", "-o", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"), "{}", text(&out.stderr));

    let out = orgseal(dir, &["inspect", "report.bin.orgseal", "--policy", "policy.json", "--json"]);
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["keyLabel"], "2026-q4");
    assert_eq!(info["metadata"]["name"], "report.bin");
    assert_eq!(info["plaintextLength"], 100_000);
    assert_eq!(info["chunks"], 7);
}

#[test]
fn a_damaged_file_leaves_nothing_behind_and_exits_1() {
    let d = tempdir("damage");
    let dir = &d.0;
    assert!(orgseal(dir, &["keygen", "--label", "k", "-o", "p.json"]).status.success());
    std::fs::write(dir.join("a.txt"), data(40_000)).unwrap();
    assert!(orgseal(dir, &["encrypt", "--policy", "p.json", "a.txt", "-o", "a.sealed"]).status.success());
    let mut sealed = std::fs::read(dir.join("a.sealed")).unwrap();
    let at = sealed.len() - 30;
    sealed[at] ^= 0x20;
    std::fs::write(dir.join("a.sealed"), &sealed).unwrap();
    std::fs::remove_file(dir.join("a.txt")).unwrap();
    let out = orgseal(dir, &["decrypt", "--policy", "p.json", "a.sealed"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("damaged at byte offset"), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "only p.json and a.sealed may remain: {left:?}");
    let out = orgseal(dir, &["decrypt", "--policy", "p.json", "a.sealed", "-o", "-"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no plaintext may reach standard output");
}

#[test]
fn rotation_keeps_old_files_open_and_names_a_missing_key() {
    let d = tempdir("rotate");
    let dir = &d.0;
    assert!(orgseal(dir, &["keygen", "--label", "old", "-o", "p.json"]).status.success());
    std::fs::write(dir.join("f"), b"before rotation").unwrap();
    assert!(orgseal(dir, &["encrypt", "--policy", "p.json", "f", "-o", "old.sealed"]).status.success());
    let out = orgseal(dir, &["keygen", "--label", "new", "--policy", "p.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"old\""));
    assert!(orgseal(dir, &["encrypt", "--policy", "p.json", "f", "-o", "new.sealed"]).status.success());
    let info = |f: &str| {
        let out = orgseal(dir, &["inspect", f, "--policy", "p.json", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["keyLabel"].as_str().unwrap().to_string()
    };
    assert_eq!((info("old.sealed"), info("new.sealed")), ("old".to_string(), "new".to_string()));
    assert!(orgseal(dir, &["decrypt", "--policy", "p.json", "old.sealed", "-o", "back"]).status.success());
    assert_eq!(std::fs::read(dir.join("back")).unwrap(), b"before rotation");

    // A policy without the old key names the missing key id.
    assert!(orgseal(dir, &["keygen", "--label", "other", "-o", "q.json"]).status.success());
    let out = orgseal(dir, &["decrypt", "--policy", "q.json", "old.sealed", "-o", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let id = serde_json::from_slice::<serde_json::Value>(&orgseal(dir, &["inspect", "old.sealed", "--json"]).stdout)
        .unwrap()["keyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text(&out.stderr).contains(&id), "{}", text(&out.stderr));
}

#[test]
fn policy_check_lists_problems_and_exits_1() {
    let d = tempdir("check");
    let dir = &d.0;
    std::fs::write(
        dir.join("bad.json"),
        r#"{"keys":[{"label":"a","secret":"short","encrypt":true}],"sites":[{"origin":"nope","upload":[],"download":[]}]}"#,
    )
    .unwrap();
    let out = orgseal(dir, &["policy", "check", "bad.json"]);
    assert_eq!(out.status.code(), Some(1));
    let lines = text(&out.stdout);
    assert!(lines.contains("keys[0] \"a\".secret") && lines.contains("sites[0].origin"), "{lines}");
    assert!(!lines.contains("short"));
}

#[test]
fn range_reads_only_what_is_asked() {
    let d = tempdir("range");
    let dir = &d.0;
    assert!(orgseal(dir, &["keygen", "--label", "k", "-o", "p.json"]).status.success());
    let pt = data(3 * 16384 + 100);
    std::fs::write(dir.join("big"), &pt).unwrap();
    assert!(orgseal(dir, &["encrypt", "--policy", "p.json", "big"]).status.success());
    for (a, b) in [(0u64, 0u64), (16383, 16384), (100, 40000), (49000, 49251)] {
        let out = orgseal(dir, &["decrypt", "--policy", "p.json", "big.orgseal", "--range", &format!("{a}-{b}")]);
        assert!(out.status.success(), "{a}-{b}: {}", text(&out.stderr));
        assert_eq!(out.stdout, &pt[a as usize..=b as usize], "{a}-{b}");
    }
    let out = orgseal(dir, &["decrypt", "--policy", "p.json", "big.orgseal", "--range", "0-49252"]);
    assert_eq!(out.status.code(), Some(2));
    // The final chunk authenticates the length, so damage there is refused even
    // for a range that does not cover it.
    let mut sealed = std::fs::read(dir.join("big.orgseal")).unwrap();
    let n = sealed.len();
    sealed[n - 50] ^= 1;
    std::fs::write(dir.join("big.orgseal"), &sealed).unwrap();
    let out = orgseal(dir, &["decrypt", "--policy", "p.json", "big.orgseal", "--range", "0-10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

/// The core's known-answer files, through the CLI: exit 0 with the stated
/// digest, or exit 1 and no output.
#[test]
fn the_shared_vector_files() {
    let d = tempdir("vectors");
    let dir = &d.0;
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/orgseal");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(vectors.join("vectors.json")).unwrap()).unwrap();
    // The committed policy holds the public test key (the snapshot cases use it too).
    let policy: serde_json::Value =
        serde_json::from_slice(&std::fs::read(vectors.join("policy.json")).unwrap()).unwrap();
    assert_eq!(policy["keys"][0]["secret"], doc["key_base64url"]);
    std::fs::copy(vectors.join("policy.json"), dir.join("p.json")).unwrap();
    for v in doc["vectors"].as_array().unwrap() {
        let file = vectors.join(v["file"].as_str().unwrap());
        let out = orgseal(dir, &["decrypt", "--policy", "p.json", file.to_str().unwrap(), "-o", "-"]);
        if v["expect"] == "open" {
            assert!(out.status.success(), "{}: {}", v["file"], text(&out.stderr));
            use sha2::Digest;
            assert_eq!(hex(&sha2::Sha256::digest(&out.stdout)), v["sha256"].as_str().unwrap(), "{}", v["file"]);
        } else {
            assert_eq!(out.status.code(), Some(1), "{}: {}", v["file"], text(&out.stderr));
            assert!(out.stdout.is_empty(), "{}", v["file"]);
        }
    }
    // inspect reads the layout with the same rules: a missing final chunk is refused.
    let cut = vectors.join("fail_truncated_final_chunk.orgseal");
    let out = orgseal(dir, &["inspect", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("truncated"), "{}", text(&out.stderr));
    let whole = vectors.join("valid_16384_bytes.orgseal");
    let out = orgseal(dir, &["inspect", whole.to_str().unwrap(), "--json"]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((info["chunks"].as_u64(), info["plaintextLength"].as_u64()), (Some(2), Some(16384)));
}
