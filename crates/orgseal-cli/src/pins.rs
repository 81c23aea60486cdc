//! Pins: what one build of the extension is, file by file. `orgseal pins`
//! writes them from the unpacked build; `orgseal audit` reads a package or an
//! installed copy the same way and compares. This module is the only place
//! that says which files count and how they are hashed.
//!
//! # The rule
//!
//! - **Files**: every regular file under the package root (the folder that
//!   holds `manifest.json`, or the root of the ZIP archive of a `.zip`, an
//!   `.xpi` or a `.crx`), named by its path relative to the root with `/`
//!   between folders. A symbolic link, or anything else that is not a regular
//!   file or a folder, is refused (it is not a file the build pinned).
//! - **Left out**, and nothing else: a top-level `_metadata/` folder (browsers
//!   write it into installed copies: Chrome's `computed_hashes.json` and
//!   `verified_contents.json`) and any `META-INF/` folder, at any depth (XPI
//!   signatures).
//! - **File hash**: the SHA-256 of the file's bytes, in lowercase hex; for
//!   the top-level `manifest.json`, of its *canonical form*: the JSON parsed,
//!   its top-level `key` member removed, and written back compactly with the
//!   members of every object sorted by name. Chromium rewrites the manifest
//!   of every extension it installs (its own layout, a `key` added), so only
//!   the manifest's content can be pinned, not its bytes. The extension's
//!   popup computes the same form.
//! - **Build hash**: the SHA-256 of the UTF-8 text made of one line per file,
//!   sorted by path bytewise: `<file hash>  <path>\n` (two spaces, as
//!   `sha256sum` prints).
//! - **ZIP entries**: folders are skipped; `\` counts as `/`, and empty and
//!   `.` parts of a name are dropped; a name that is absolute (`/x`, `C:\x`)
//!   or has a `..` part, an entry that is a symbolic link, and two entries
//!   with the same path are refused.
//!
//! # The pins file
//!
//! JSON, members in this order, pretty-printed with two spaces, ending in a
//! newline: `format` (`orgseal-pins/1`), `name` and `version` (from
//! `manifest.json`), `crxId` (32 letters `a`-`p`), `buildHash`, and `files`:
//! path to file hash, sorted by path bytewise.

use crate::Failure;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

/// The `format` member of a pins file.
pub const FORMAT: &str = "orgseal-pins/1";

/// Path to lowercase hex SHA-256, sorted by path bytewise (the order of
/// `String`'s `Ord`).
pub type FileHashes = BTreeMap<String, String>;

/// A package's files as the rule counts them.
#[derive(Debug, Default)]
pub struct Package {
    /// Every counted file and its hash.
    pub files: FileHashes,
    /// The bytes of the top-level `manifest.json`, if there is one.
    pub manifest: Option<Vec<u8>>,
    /// The folders left out (paths relative to the root), for a note.
    pub left_out: Vec<String>,
}

/// The pins file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pins {
    /// Always [`FORMAT`].
    pub format: String,
    /// The manifest's `name`.
    pub name: String,
    /// The manifest's `version`.
    pub version: String,
    /// The Chrome extension id.
    pub crx_id: String,
    /// [`build_hash`] of `files`.
    pub build_hash: String,
    /// Every file of the build.
    pub files: FileHashes,
}

/// Whether the folder at `dir` (a path relative to the root) is left out.
pub fn is_left_out_dir(dir: &str) -> bool {
    dir == "_metadata" || dir.rsplit('/').next() == Some("META-INF")
}

/// Whether the file at `path` (relative to the root) is left out: it lies in
/// a folder that [`is_left_out_dir`].
pub fn is_left_out(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.first() == Some(&"_metadata") || parts.contains(&"META-INF")
}

/// The build hash of `files`.
pub fn build_hash(files: &FileHashes) -> String {
    let mut h = Sha256::new();
    for (path, hash) in files {
        h.update(hash.as_bytes());
        h.update(b"  ");
        h.update(path.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The SHA-256 of everything `reader` gives, in lowercase hex.
fn hash_reader(mut reader: impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex::encode(h.finalize()))
}

fn io_failure(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::Usage(format!("{}: {e}", path.display()))
}

/// The hash of a `manifest.json`: SHA-256 of its canonical form (see the
/// rule above).
pub fn manifest_hash(bytes: &[u8]) -> Result<String, String> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("manifest.json is not JSON ({e})"))?;
    if let Some(top) = value.as_object_mut() {
        top.remove("key");
    }
    let mut text = String::new();
    canonical(&value, &mut text);
    Ok(hex::encode(Sha256::digest(text.as_bytes())))
}

/// Compact JSON with the members of every object sorted by name.
fn canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                canonical(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Reads an unpacked package: the folder `root`.
pub fn read_dir(root: &Path) -> Result<Package, Failure> {
    if !std::fs::metadata(root).map_err(|e| io_failure(root, e))?.is_dir() {
        return Err(Failure::Usage(format!("{}: not a folder", root.display())));
    }
    let mut package = Package::default();
    let mut folders = vec![String::new()];
    while let Some(folder) = folders.pop() {
        let dir = root.join(&folder);
        for entry in std::fs::read_dir(&dir).map_err(|e| io_failure(&dir, e))? {
            let entry = entry.map_err(|e| io_failure(&dir, e))?;
            let full = entry.path();
            let name = entry.file_name().into_string().map_err(|_| {
                Failure::Usage(format!("{}: the name is not UTF-8; pins name files in UTF-8", full.display()))
            })?;
            let path = if folder.is_empty() { name } else { format!("{folder}/{name}") };
            let kind = entry.file_type().map_err(|e| io_failure(&full, e))?;
            if kind.is_dir() {
                if is_left_out_dir(&path) {
                    package.left_out.push(path);
                } else {
                    folders.push(path);
                }
            } else if kind.is_symlink() {
                return Err(Failure::Usage(format!(
                    "{}: is a symbolic link; pins cover regular files only: copy the build with the links \
                     replaced by what they point to (cp -rL) and use the copy",
                    full.display()
                )));
            } else if kind.is_file() {
                let hash = if path == "manifest.json" {
                    let bytes = std::fs::read(&full).map_err(|e| io_failure(&full, e))?;
                    let hash = manifest_hash(&bytes).map_err(|e| io_failure(&full, e))?;
                    package.manifest = Some(bytes);
                    hash
                } else {
                    let file = std::fs::File::open(&full).map_err(|e| io_failure(&full, e))?;
                    hash_reader(file).map_err(|e| io_failure(&full, e))?
                };
                package.files.insert(path, hash);
            } else {
                return Err(Failure::Usage(format!(
                    "{}: is not a regular file (a device, socket or pipe); an extension holds only files and folders",
                    full.display()
                )));
            }
        }
    }
    package.left_out.sort();
    Ok(package)
}

/// The path a ZIP entry name stands for (see the rule in the module doc);
/// `Ok("")` for the root folder. `Err` says what is wrong with the name.
pub fn zip_entry_path(name: &str) -> Result<String, &'static str> {
    let bytes = name.as_bytes();
    if name.starts_with(['/', '\\']) || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':') {
        return Err("is an absolute path");
    }
    if name.contains('\0') {
        return Err("holds a NUL character");
    }
    let mut parts = Vec::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err("has a \"..\" part, which would point outside the package"),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Reads a packed package: the ZIP archive in `reader`; `what` names it in
/// messages.
pub fn read_zip<R: Read + Seek>(reader: R, what: &Path) -> Result<Package, Failure> {
    let unreadable =
        |e: zip::result::ZipError| Failure::Usage(format!("{}: not a readable ZIP archive: {e}", what.display()));
    let mut archive = zip::ZipArchive::new(reader).map_err(unreadable)?;
    let mut package = Package::default();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(unreadable)?;
        let name = entry.name().map_err(unreadable)?.into_owned();
        let refused = |why: &str| Failure::Usage(format!("{}: the entry {name:?} {why}", what.display()));
        let path = zip_entry_path(&name).map_err(refused)?;
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() {
            return Err(refused("is a symbolic link; pins cover regular files only"));
        }
        if path.is_empty() {
            return Err(refused("has no file name"));
        }
        if is_left_out(&path) {
            continue;
        }
        let hash = if path == "manifest.json" {
            let (mut entry, mut bytes) = (entry, Vec::new());
            entry.read_to_end(&mut bytes).map_err(|e| refused(&format!("cannot be read: {e}")))?;
            let hash = manifest_hash(&bytes).map_err(|e| refused(&e))?;
            package.manifest = Some(bytes);
            hash
        } else {
            hash_reader(entry).map_err(|e| refused(&format!("cannot be read: {e}")))?
        };
        if package.files.insert(path.clone(), hash).is_some() {
            return Err(refused(&format!("is the second entry for {path:?}; a package holds each file once")));
        }
    }
    Ok(package)
}

/// The `name` and `version` strings of a `manifest.json`.
pub fn manifest_name_version(manifest: &[u8]) -> Result<(String, String), String> {
    let text = std::str::from_utf8(manifest).map_err(|_| "is not UTF-8 text".to_string())?;
    let value: serde_json::Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| format!("is not JSON: {e}"))?;
    let member = |key: &str| {
        value.get(key).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| format!("has no \"{key}\" string"))
    };
    Ok((member("name")?, member("version")?))
}

/// Checks a Chrome extension id: 32 letters `a` to `p`.
pub fn check_crx_id(id: &str) -> Result<(), String> {
    if id.len() == 32 && id.bytes().all(|b| (b'a'..=b'p').contains(&b)) {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a Chrome extension id: an id is 32 letters a-p, as chrome://extensions shows it \
             (OrgSeal's is pcakpaomgoembdfponndohplljieiokn)"
        ))
    }
}

fn is_hex_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Pins {
    /// The pins of `package`, read from the folder `root`.
    pub fn of(package: Package, root: &Path, crx_id: &str) -> Result<Pins, Failure> {
        let manifest = package.manifest.as_deref().ok_or_else(|| {
            Failure::Usage(format!(
                "{} has no manifest.json: give the unpacked extension build, the folder that holds manifest.json",
                root.display()
            ))
        })?;
        let (name, version) = manifest_name_version(manifest)
            .map_err(|why| Failure::Usage(format!("{}: {why}", root.join("manifest.json").display())))?;
        check_crx_id(crx_id).map_err(Failure::Usage)?;
        Ok(Pins {
            format: FORMAT.to_string(),
            name,
            version,
            crx_id: crx_id.to_string(),
            build_hash: build_hash(&package.files),
            files: package.files,
        })
    }

    /// The pins file's text.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("pins serialize");
        text.push('\n');
        text
    }

    /// Reads and checks a pins file: the format, the id, every path and
    /// hash, and that `buildHash` is the build hash of `files`.
    pub fn read(path: &Path) -> Result<Pins, Failure> {
        let bad = |why: String| {
            Failure::Usage(format!(
                "{}: not a usable pins file: {why}; make it again with `orgseal pins BUILD --crx-id ID`",
                path.display()
            ))
        };
        let text = std::fs::read_to_string(path).map_err(|e| io_failure(path, e))?;
        let pins: Pins = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if pins.format != FORMAT {
            return Err(bad(format!("its format is {:?}; this orgseal reads {FORMAT:?}", pins.format)));
        }
        check_crx_id(&pins.crx_id).map_err(|why| bad(format!("crxId: {why}")))?;
        for (file, hash) in &pins.files {
            if zip_entry_path(file).as_deref() != Ok(file.as_str()) || file.is_empty() || is_left_out(file) {
                return Err(bad(format!("files: {file:?} is not a path the rule pins")));
            }
            if !is_hex_hash(hash) {
                return Err(bad(format!("files: the hash of {file:?} is not 64 lowercase hex digits")));
            }
        }
        if pins.build_hash != build_hash(&pins.files) {
            return Err(bad("buildHash is not the build hash of its files (was it edited?)".to_string()));
        }
        Ok(pins)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_browser_written_folders_are_left_out() {
        assert!(is_left_out("_metadata/verified_contents.json"));
        assert!(is_left_out("_metadata/sub/x"));
        assert!(is_left_out("META-INF/mozilla.rsa"));
        assert!(is_left_out("lib/META-INF/x"));
        assert!(!is_left_out("_metadata"));
        assert!(!is_left_out("lib/_metadata/x"));
        assert!(!is_left_out("META-INF"));
        assert!(!is_left_out("meta-inf/x"));
        assert!(!is_left_out("_locales/en/messages.json"));
        assert!(is_left_out_dir("_metadata") && is_left_out_dir("a/META-INF") && !is_left_out_dir("a/_metadata"));
    }

    #[test]
    fn build_hash_is_sha256sum_of_the_sorted_lines() {
        let mut files = FileHashes::new();
        files.insert("b".into(), "1".repeat(64));
        files.insert("B".into(), "2".repeat(64));
        files.insert("a/z".into(), "3".repeat(64));
        let text = format!("{}  B\n{}  a/z\n{}  b\n", "2".repeat(64), "3".repeat(64), "1".repeat(64));
        assert_eq!(build_hash(&files), hex::encode(Sha256::digest(text.as_bytes())));
        assert_eq!(build_hash(&FileHashes::new()), hex::encode(Sha256::digest(b"")));
    }

    #[test]
    fn the_manifest_is_pinned_by_content_not_layout() {
        let written =
            br#"{"version": "0.1.0", "name": "OrgSeal", "background": {"type": "module", "scripts": ["a.js"]}}"#;
        let installed = b"{\n   \"background\": {\n      \"scripts\": [ \"a.js\" ],\n      \"type\": \"module\"\n   },\n   \"key\": \"MIIB\",\n   \"name\": \"OrgSeal\",\n   \"version\": \"0.1.0\"\n}\n";
        assert_eq!(manifest_hash(written).unwrap(), manifest_hash(installed).unwrap());
        let text = r#"{"background":{"scripts":["a.js"],"type":"module"},"name":"OrgSeal","version":"0.1.0"}"#;
        assert_eq!(manifest_hash(written).unwrap(), hex::encode(Sha256::digest(text.as_bytes())));
        let other =
            br#"{"version": "0.1.1", "name": "OrgSeal", "background": {"type": "module", "scripts": ["a.js"]}}"#;
        assert_ne!(manifest_hash(written).unwrap(), manifest_hash(other).unwrap());
        assert!(manifest_hash(b"not json").is_err());
    }

    #[test]
    fn zip_names_cannot_leave_the_package() {
        assert_eq!(zip_entry_path("a/b.js"), Ok("a/b.js".into()));
        assert_eq!(zip_entry_path("./a//b.js"), Ok("a/b.js".into()));
        assert_eq!(zip_entry_path("a\\b.js"), Ok("a/b.js".into()));
        assert_eq!(zip_entry_path("dir/"), Ok("dir".into()));
        assert!(zip_entry_path("/etc/passwd").is_err());
        assert!(zip_entry_path("\\x").is_err());
        assert!(zip_entry_path("C:\\x").is_err());
        assert!(zip_entry_path("a/../../x").is_err());
        assert!(zip_entry_path("..").is_err());
        assert_eq!(zip_entry_path("a..b/c"), Ok("a..b/c".into()));
    }

    #[test]
    fn crx_ids_are_32_letters_a_to_p() {
        assert!(check_crx_id("pcakpaomgoembdfponndohplljieiokn").is_ok());
        assert!(check_crx_id("pcakpaomgoembdfponndohplljieiokq").is_err());
        assert!(check_crx_id("pcakpaomgoembdfponndohplljieiok").is_err());
        assert!(check_crx_id("PCAKPAOMGOEMBDFPONNDOHPLLJIEIOKN").is_err());
    }
}
