//! `orgseal pins` and `orgseal audit` on what tests/cmd cannot commit:
//! archives (.zip, .xpi, .crx) made here with the zip writer, browser
//! profile layouts, symbolic links, and a pins file written with -o.

mod common;
use common::{orgseal, tempdir, text};

use std::io::Write;
use std::path::{Path, PathBuf};

const CRX_ID: &str = "pcakpaomgoembdfponndohplljieiokn";
const GECKO_ID: &str = "orgseal@orgseal.example";

/// The committed build the snapshot cases pin.
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/audit.in/build")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` as (path with `/`, bytes), sorted.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A ZIP of `files`, with a directory entry for each folder, deflated.
fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    zip_with(files, true)
}

fn zip_with(files: &[(String, Vec<u8>)], folder_entries: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut folders = std::collections::BTreeSet::new();
    for (name, bytes) in files {
        if let Some((folder, _)) = name.rsplit_once('/')
            && folder_entries
            && folders.insert(folder.to_string())
        {
            w.add_directory(format!("{folder}/"), options).unwrap();
        }
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A CRX3 file: magic, version 3, header length, a header (its content is
/// not read), then the ZIP.
fn crx_of(zip: &[u8], version: u32) -> Vec<u8> {
    let header = b"\x12\x0a\x0a\x08not-a-real-signed-header";
    let mut crx = b"Cr24".to_vec();
    crx.extend_from_slice(&version.to_le_bytes());
    crx.extend_from_slice(&(header.len() as u32).to_le_bytes());
    crx.extend_from_slice(header);
    crx.extend_from_slice(zip);
    crx
}

/// Pins of the fixture, written with -o into `dir/pins.json`.
fn pin_fixture(dir: &Path) {
    let build = fixture();
    let out = orgseal(dir, &["pins", build.to_str().unwrap(), "--crx-id", CRX_ID, "-o", "pins.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("wrote pins.json: OrgSeal 0.1.0, 3 file(s), build a349155a1ba929fb"));
}

fn changed(files: &[(String, Vec<u8>)], path: &str, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = files.to_vec();
    files.iter_mut().find(|(p, _)| p == path).unwrap().1 = bytes.to_vec();
    files
}

#[test]
fn pins_written_with_o_are_the_committed_pins() {
    let d = tempdir("pins");
    pin_fixture(&d.0);
    let committed = std::fs::read(fixture().parent().unwrap().join("pins.json")).unwrap();
    assert_eq!(std::fs::read(d.0.join("pins.json")).unwrap(), committed);
    // --force replaces an existing file.
    std::fs::write(d.0.join("pins.json"), "old").unwrap();
    let build = fixture();
    let out = orgseal(&d.0, &["pins", build.to_str().unwrap(), "--crx-id", CRX_ID, "-o", "pins.json", "--force"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(d.0.join("pins.json")).unwrap(), committed);
}

#[test]
fn zip_and_xpi_packages() {
    let d = tempdir("zip");
    let dir = &d.0;
    pin_fixture(dir);
    let files = files_of(&fixture());
    std::fs::write(dir.join("build.zip"), zip_of(&files)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "build.zip"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "OK: build.zip matches OrgSeal 0.1.0, build a349155a1ba929fb\n");

    // An .xpi signed by Mozilla carries META-INF/: left out.
    let mut signed = files.clone();
    signed.push(("META-INF/mozilla.rsa".into(), b"signature".to_vec()));
    signed.push(("META-INF/manifest.mf".into(), b"Manifest-Version: 1.0".to_vec()));
    std::fs::write(dir.join("build.XPI"), zip_of(&signed)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "build.XPI"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // One changed file is named, with both hashes.
    let evil = changed(&files, "extension/content/main.js", b"steal();\n");
    std::fs::write(dir.join("evil.zip"), zip_of(&evil)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "evil.zip"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("MISMATCH: evil.zip\n"), "{stdout}");
    assert!(
        stdout.contains(
            "  changed: extension/content/main.js (pinned \
             6d415b12058338570ec921413d9babfe023c5d8cfe19ab28c1f20c49a346aa10, found "
        ),
        "{stdout}"
    );
    assert_eq!(text(&out.stderr), "orgseal: evil.zip does not match the pins (1 problem(s))\n");
}

#[test]
fn zip_entries_outside_the_package_are_refused() {
    let d = tempdir("slip");
    let dir = &d.0;
    pin_fixture(dir);
    for (name, why) in [("../evil.js", "\"..\""), ("extension/../../evil.js", "\"..\""), ("/etc/evil.js", "absolute")] {
        let mut files = files_of(&fixture());
        files.push((name.to_string(), b"x".to_vec()));
        std::fs::write(dir.join("slip.zip"), zip_with(&files, false)).unwrap();
        let out = orgseal(dir, &["audit", "--pins", "pins.json", "slip.zip"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(&format!("the entry {name:?}")) && stderr.contains(why), "{stderr}");
    }
    // A folder entry is checked too.
    let mut files = files_of(&fixture());
    files.push(("../outside/x.js".to_string(), b"x".to_vec()));
    std::fs::write(dir.join("slip.zip"), zip_of(&files)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "slip.zip"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the entry \"../outside/\" has a \"..\" part"), "{}", text(&out.stderr));
}

#[test]
fn a_crx3_is_read_after_its_header() {
    let d = tempdir("crx");
    let dir = &d.0;
    pin_fixture(dir);
    let files = files_of(&fixture());
    std::fs::write(dir.join("orgseal.crx"), crx_of(&zip_of(&files), 3)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "orgseal.crx"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "OK: orgseal.crx matches OrgSeal 0.1.0, build a349155a1ba929fb\n");

    let evil = changed(&files, "extension/background/main.js", b"steal();\n");
    std::fs::write(dir.join("evil.crx"), crx_of(&zip_of(&evil), 3)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "evil.crx", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["matches"], false);
    assert_eq!(report["changed"][0]["path"], "extension/background/main.js");
    assert_eq!(report["changed"].as_array().unwrap().len(), 1);
}

#[test]
fn a_file_that_is_not_a_crx3_is_refused_with_exit_2() {
    let d = tempdir("notcrx");
    let dir = &d.0;
    pin_fixture(dir);
    let zip = zip_of(&files_of(&fixture()));
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("zip.crx", zip.clone(), "not a CRX file: it does not start with \"Cr24\""),
        ("text.crx", b"hello".to_vec(), "not a CRX file"),
        ("v2.crx", crx_of(&zip, 2), "CRX version 2: only CRX version 3"),
        ("short.crx", crx_of(&zip, 3)[..12].iter().chain(&[1u8]).copied().collect(), "a truncated CRX file"),
    ];
    for (name, bytes, says) in cases {
        std::fs::write(dir.join(name), bytes).unwrap();
        let out = orgseal(dir, &["audit", "--pins", "pins.json", name]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}");
        assert!(text(&out.stderr).starts_with(&format!("orgseal: {name}: {says}")), "{}", text(&out.stderr));
    }
    // A CRX whose archive is damaged.
    std::fs::write(dir.join("bad.crx"), crx_of(b"PK\x03\x04 not a zip", 3)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "bad.crx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad.crx: not a readable ZIP archive"), "{}", text(&out.stderr));
}

#[test]
fn chromium_profile_every_version_folder_is_audited() {
    let d = tempdir("chromium");
    let dir = &d.0;
    pin_fixture(dir);
    let copy = dir.join("User Data/Default/Extensions").join(CRX_ID).join("0.1.0_0");
    copy_dir(&fixture(), &copy);
    std::fs::create_dir_all(copy.join("_metadata")).unwrap();
    std::fs::write(copy.join("_metadata/verified_contents.json"), "[]").unwrap();
    for profile in ["User Data", "User Data/Default"] {
        let out = orgseal(dir, &["audit", "--pins", "pins.json", "--profile", profile]);
        assert_eq!(out.status.code(), Some(0), "{profile}: {}", text(&out.stderr));
        let copy = if profile == "User Data" { "User Data/Default" } else { profile };
        assert_eq!(
            text(&out.stdout),
            format!("OK: {copy}/Extensions/{CRX_ID}/0.1.0_0 matches OrgSeal 0.1.0, build a349155a1ba929fb\n")
        );
    }

    // A second version beside it: both reported, exit 1.
    let other = copy.with_file_name("0.1.1_0");
    copy_dir(&fixture(), &other);
    let manifest = std::fs::read_to_string(other.join("manifest.json")).unwrap().replace("0.1.0", "0.1.1");
    std::fs::write(other.join("manifest.json"), manifest).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "--profile", "User Data"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("/0.1.0_0 matches OrgSeal 0.1.0"), "{stdout}");
    assert!(stdout.contains("MISMATCH: ") && stdout.contains("/0.1.1_0\n"), "{stdout}");
    assert!(stdout.contains("  version: pinned 0.1.0, found 0.1.1\n"), "{stdout}");
    assert!(text(&out.stderr).contains("0.1.1_0 does not match the pins (2 problem(s))"), "{}", text(&out.stderr));
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "--profile", "User Data", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let reports: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let matches: Vec<_> = reports.as_array().unwrap().iter().map(|r| r["matches"].as_bool().unwrap()).collect();
    assert_eq!(matches, [true, false]);
    assert_eq!(reports[1]["version"]["found"], "0.1.1");
}

#[test]
fn firefox_profile_the_xpi_named_by_its_gecko_id() {
    let d = tempdir("firefox");
    let dir = &d.0;
    // A build that carries a gecko id, as OrgSeal's manifest does.
    let build = dir.join("build");
    copy_dir(&fixture(), &build);
    let manifest = std::fs::read_to_string(build.join("manifest.json")).unwrap().replace(
        "\"version\": \"0.1.0\",",
        &format!(
            "\"version\": \"0.1.0\",\n  \"browser_specific_settings\": {{ \"gecko\": {{ \"id\": \"{GECKO_ID}\" }} }},"
        ),
    );
    std::fs::write(build.join("manifest.json"), manifest).unwrap();
    assert!(orgseal(dir, &["pins", "build", "--crx-id", CRX_ID, "-o", "pins.json"]).status.success());

    let extensions = dir.join("profile/extensions");
    std::fs::create_dir_all(&extensions).unwrap();
    // Another add-on, which is not audited.
    let other = [(
        "manifest.json".to_string(),
        br#"{"name":"Other","version":"1","browser_specific_settings":{"gecko":{"id":"other@example.com"}}}"#.to_vec(),
    )];
    std::fs::write(extensions.join("other@example.com.xpi"), zip_of(&other)).unwrap();
    std::fs::write(extensions.join("broken@example.com.xpi"), "not a zip").unwrap();

    let out = orgseal(dir, &["audit", "--pins", "pins.json", "--profile", "profile"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no installed copy of OrgSeal found in profile"), "{stderr}");
    assert!(
        stderr.contains(&format!("profile/Extensions/{CRX_ID} and profile/Default/Extensions/{CRX_ID}")),
        "{stderr}"
    );
    assert!(stderr.contains("an .xpi in profile/extensions named <gecko id>.xpi"), "{stderr}");
    assert!(stderr.contains("other@example.com.xpi (gecko id \"other@example.com\", name \"Other\")"), "{stderr}");
    assert!(stderr.contains("broken@example.com.xpi (unreadable: "), "{stderr}");

    let mut signed = files_of(&build);
    signed.push(("META-INF/cose.sig".into(), b"signature".to_vec()));
    std::fs::write(extensions.join(format!("{GECKO_ID}.xpi")), zip_of(&signed)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "--profile", "profile"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with(&format!("OK: profile/extensions/{GECKO_ID}.xpi matches OrgSeal 0.1.0")));

    let evil = changed(&signed, "extension/content/main.js", b"steal();\n");
    std::fs::write(extensions.join(format!("{GECKO_ID}.xpi")), zip_of(&evil)).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "pins.json", "--profile", "profile"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("  changed: extension/content/main.js (pinned "), "{}", text(&out.stdout));
}

#[test]
fn symbolic_links_are_refused() {
    let d = tempdir("symlink");
    let dir = &d.0;
    pin_fixture(dir);
    let build = dir.join("build");
    copy_dir(&fixture(), &build);
    std::os::unix::fs::symlink("/etc/hostname", build.join("extension/link.js")).unwrap();
    for args in [&["pins", "build", "--crx-id", CRX_ID][..], &["audit", "--pins", "pins.json", "build"]] {
        let out = orgseal(dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            text(&out.stderr),
            "orgseal: build/extension/link.js: is a symbolic link; pins cover regular files only: copy the build \
             with the links replaced by what they point to (cp -rL) and use the copy\n"
        );
    }
}

#[test]
fn an_edited_pins_file_is_refused() {
    let d = tempdir("edited");
    let dir = &d.0;
    pin_fixture(dir);
    let pins = std::fs::read_to_string(dir.join("pins.json")).unwrap();
    // Someone "fixes" the pins to accept a changed file, without the build hash.
    let edited = pins.replace("6d415b12058338570ec921413d9babfe023c5d8cfe19ab28c1f20c49a346aa10", &"0".repeat(64));
    std::fs::write(dir.join("edited.json"), edited).unwrap();
    let build = fixture();
    let out = orgseal(dir, &["audit", "--pins", "edited.json", build.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("buildHash is not the build hash of its files"), "{}", text(&out.stderr));
    let other = pins.replace("orgseal-pins/1", "orgseal-pins/2");
    std::fs::write(dir.join("other.json"), other).unwrap();
    let out = orgseal(dir, &["audit", "--pins", "other.json", build.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("its format is \"orgseal-pins/2\""), "{}", text(&out.stderr));
}
