//! Break-glass recovery, as IT runs it: `orgseal key split` / `combine` for
//! every K of N up to 5 of 7, each refusal, a file sealed before the split
//! opened with the rebuilt key, and the passphrase escrow round trip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn orgseal(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgseal"))
        .args(args)
        .current_dir(dir)
        .env_remove("ORGSEAL_PASSPHRASE")
        .output()
        .unwrap()
}

fn with_passphrase(dir: &Path, pass: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgseal"))
        .args(args)
        .current_dir(dir)
        .env("ORGSEAL_PASSPHRASE", pass)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("orgseal-recovery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A policy with one fresh key; returns its secret (base64url) and key id.
fn policy(d: &Path, label: &str, file: &str) -> (String, String) {
    let out = orgseal(d, &["keygen", "--label", label, "-o", file]);
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join(file)).unwrap()).unwrap();
    let id = text(&out).split("key id ").nth(1).unwrap()[..32].to_string();
    (v["keys"][0]["secret"].as_str().unwrap().to_string(), id)
}

fn split(d: &Path, file: &str, n: u8, k: u8, dir: &str) -> Vec<String> {
    let out = orgseal(
        d,
        &["key", "split", "--policy", file, "--shares", &n.to_string(), "--threshold", &k.to_string(), "-o", dir],
    );
    assert!(out.status.success(), "{}", text(&out));
    (1..=n).map(|i| format!("{dir}/share-{i}-of-{n}.txt")).collect()
}

fn secret_of(d: &Path, file: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join(file)).unwrap()).unwrap();
    v["keys"][0]["secret"].as_str().unwrap().to_string()
}

#[test]
fn any_k_of_n_shares_rebuild_the_key_up_to_5_of_7() {
    let d = temp("kofn");
    let (secret, id) = policy(&d, "acme-2026-q4", "p.json");
    for n in 2u8..=7 {
        for k in 2u8..=n.min(5) {
            let dir = format!("s-{k}-of-{n}");
            let shares = split(&d, "p.json", n, k, &dir);
            // Two different sets of exactly K: the first K and the last K.
            for (which, set) in [("first", &shares[..k as usize]), ("last", &shares[(n - k) as usize..])] {
                let out_file = format!("{dir}-{which}.json");
                let mut args = vec!["key", "combine"];
                args.extend(set.iter().map(String::as_str));
                args.extend(["-o", &out_file]);
                let out = orgseal(&d, &args);
                assert!(out.status.success(), "{k} of {n} ({which}): {}", text(&out));
                assert!(text(&out).contains(&format!("rebuilt key \"acme-2026-q4\" ({id})")), "{}", text(&out));
                assert_eq!(secret_of(&d, &out_file), secret, "{k} of {n} ({which})");
            }
            // Every file the split wrote is private, and no sheet repeats the key.
            for s in &shares {
                let sheet = std::fs::read_to_string(d.join(s)).unwrap();
                assert!(!sheet.contains(&secret), "a sheet must not hold the key itself");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    assert_eq!(std::fs::metadata(d.join(s)).unwrap().permissions().mode() & 0o777, 0o600);
                }
                let svg = std::fs::read_to_string(d.join(s.replace(".txt", ".svg"))).unwrap();
                assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "a QR code in SVG");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_file_sealed_before_the_split_opens_with_the_rebuilt_key() {
    let d = temp("sealed");
    policy(&d, "acme", "p.json");
    std::fs::write(d.join("plan.txt"), b"the quarterly plan").unwrap();
    assert!(orgseal(&d, &["encrypt", "--policy", "p.json", "plan.txt"]).status.success());
    let shares = split(&d, "p.json", 5, 3, "shares");
    std::fs::remove_file(d.join("p.json")).unwrap(); // the only copy is lost
    let out = orgseal(&d, &["key", "combine", &shares[4], &shares[0], &shares[2], "-o", "back.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = orgseal(&d, &["decrypt", "--policy", "back.json", "plan.txt.orgseal", "-o", "-"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(out.stdout, b"the quarterly plan");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn shares_pasted_on_standard_input_in_groups_combine_too() {
    let d = temp("stdin");
    let (secret, _) = policy(&d, "acme", "p.json");
    let shares = split(&d, "p.json", 3, 2, "shares");
    let line = |f: &str| std::fs::read_to_string(d.join(f)).unwrap().lines().last().unwrap().to_string();
    // Typed back from paper in groups of 8, with spaces.
    let grouped = |l: String| {
        l.chars().collect::<Vec<_>>().chunks(8).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
    };
    let input = format!("{}\n{}\n", grouped(line(&shares[0])), line(&shares[2]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_orgseal"))
        .args(["key", "combine", "-o", "back.json"])
        .current_dir(&d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(secret_of(&d, "back.json"), secret);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn every_bad_set_of_shares_is_refused_with_the_share_named_and_nothing_written() {
    let d = temp("refusals");
    policy(&d, "acme", "p.json");
    policy(&d, "other", "q.json");
    let shares = split(&d, "p.json", 5, 3, "a");
    let others = split(&d, "q.json", 5, 3, "b");
    let combine = |args: &[&str]| {
        let mut all = vec!["key", "combine"];
        all.extend(args);
        all.extend(["-o", "out.json"]);
        let out = orgseal(&d, &all);
        assert!(!out.status.success(), "{args:?} must be refused");
        assert!(!d.join("out.json").exists(), "nothing may be written for {args:?}");
        text(&out)
    };
    // Too few.
    let t = combine(&[&shares[0], &shares[3]]);
    assert!(
        t.contains("3 shares are needed to rebuild key \"acme\"") && t.contains("only 2 given (share 1, 4)"),
        "{t}"
    );
    // From two keys.
    let t = combine(&[&shares[0], &shares[1], &others[2]]);
    assert!(t.contains("share 3 (b/share-3-of-5.txt, line ") && t.contains("is from another split"), "{t}");
    // The same share twice.
    let t = combine(&[&shares[0], &shares[1], &shares[1]]);
    assert!(t.contains("share 2 is given twice"), "{t}");
    // A mistyped character: the checksum names the share and its place.
    let sheet = std::fs::read_to_string(d.join(&shares[1])).unwrap();
    let line = sheet.lines().last().unwrap();
    let at = line.len() - 20;
    let typo = format!("{}{}{}", &line[..at], if &line[at..=at] == "A" { "B" } else { "A" }, &line[at + 1..]);
    std::fs::write(d.join("typo.txt"), &typo).unwrap();
    let t = combine(&[&shares[0], "typo.txt", &shares[2]]);
    assert!(t.contains("the share at typo.txt, line 1 is refused: its checksum does not match"), "{t}");
    // A share changed with its checksum made to match: the key id catches it.
    let (body, _) = line.rsplit_once(':').unwrap();
    let fields: Vec<&str> = body.split(':').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = b64.decode(fields[6]).unwrap();
    bytes[10] ^= 1;
    let forged_body = [&fields[..6], &[b64.encode(&bytes).as_str()]].concat().join(":");
    let check = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(forged_body.as_bytes())[..4]);
    std::fs::write(d.join("forged.txt"), format!("{forged_body}:{check}\n")).unwrap();
    let t = combine(&[&shares[0], "forged.txt", &shares[2]]);
    assert!(t.contains("shares 1, 2, 3 do not rebuild key id"), "{t}");
    // Not a share at all.
    std::fs::write(d.join("note.txt"), "remember the milk\n").unwrap();
    let t = combine(&[&shares[0], "note.txt", &shares[2]]);
    assert!(t.contains("note.txt holds no share line"), "{t}");
    // Nothing given.
    let out = Command::new(env!("CARGO_BIN_EXE_orgseal"))
        .args(["key", "combine", "-o", "out.json"])
        .current_dir(&d)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(text(&out).contains("no share given"), "{}", text(&out));
    // A threshold above the share count.
    let out = orgseal(&d, &["key", "split", "--policy", "p.json", "--shares", "3", "--threshold", "4", "-o", "c"]);
    assert!(text(&out).contains("--threshold 4 with --shares 3"), "{}", text(&out));
    assert!(!d.join("c").exists());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_escrow_file_round_trips_under_its_passphrase_and_refuses_any_other() {
    let d = temp("escrow");
    let (secret, id) = policy(&d, "acme", "p.json");
    let pass = "correct horse battery staple";
    let out = with_passphrase(&d, pass, &["key", "export", "--policy", "p.json", "--passphrase", "-o", "escrow.age"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(&format!("holding key \"acme\" ({id})")), "{}", text(&out));
    let armored = std::fs::read_to_string(d.join("escrow.age")).unwrap();
    assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"), "an armored age file");
    assert!(!armored.contains(&secret));
    let out = with_passphrase(&d, "not the passphrase at all", &["key", "import", "escrow.age", "-o", "back.json"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("the passphrase does not open escrow.age"), "{}", text(&out));
    assert!(!d.join("back.json").exists());
    let out = with_passphrase(&d, pass, &["key", "import", "escrow.age", "-o", "back.json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(secret_of(&d, "back.json"), secret);
    // A short passphrase, and none at all without a terminal.
    let out = with_passphrase(&d, "short", &["key", "export", "--policy", "p.json", "--passphrase", "-o", "e2.age"]);
    assert!(text(&out).contains("at least 12 characters"), "{}", text(&out));
    let out = orgseal(&d, &["key", "export", "--policy", "p.json", "--passphrase", "-o", "e3.age"]);
    assert!(text(&out).contains("no passphrase"), "{}", text(&out));
    assert!(!d.join("e2.age").exists() && !d.join("e3.age").exists());
    let _ = std::fs::remove_dir_all(&d);
}
