//! `orgseal audit`: checks a package (`.crx`, `.xpi`, `.zip`), an unpacked
//! folder, or the copy installed in a browser profile against a pins file,
//! file by file, with the rule of [`crate::pins`].
//!
//! Where a profile keeps the extension:
//! - Chromium, Chrome, Edge: `PROFILE/Extensions/<crxId>/<version>_<n>/`,
//!   where PROFILE is the profile folder, or `Default/` in the user data
//!   folder; every version folder found is audited.
//! - Firefox: `PROFILE/extensions/<gecko id>.xpi`: the `.xpi` whose
//!   manifest's `browser_specific_settings.gecko.id` is its file name and
//!   whose manifest's `name` is the pinned name.

use crate::Failure;
use crate::pins::{self, Package, Pins};
use serde::Serialize;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// A file whose hash differs from the pinned one.
#[derive(Debug, Serialize)]
pub struct Changed {
    /// The file's path in the package.
    pub path: String,
    /// The pinned hash.
    pub pinned: String,
    /// The hash found.
    pub found: String,
}

/// A pinned value and the one found.
#[derive(Debug, Serialize)]
pub struct PinnedFound {
    /// What the pins say.
    pub pinned: String,
    /// What the package says (`null` without a readable `manifest.json`).
    pub found: Option<String>,
}

/// What one audit found; serialized as the `--json` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The audited package, as named on the command line or found in the profile.
    pub target: String,
    /// True only for the same files with the same hashes, and the same version.
    pub matches: bool,
    /// The manifest's version.
    pub version: PinnedFound,
    /// The build hash.
    pub build_hash: PinnedFound,
    /// Files whose hash differs.
    pub changed: Vec<Changed>,
    /// Pinned files not in the package.
    pub missing: Vec<String>,
    /// Files in the package that are not pinned.
    pub extra: Vec<String>,
}

impl Report {
    /// Compares `package` with `pins`.
    pub fn new(pins: &Pins, target: String, package: &Package) -> Report {
        let mut changed = Vec::new();
        let mut missing = Vec::new();
        for (path, pinned) in &pins.files {
            match package.files.get(path) {
                None => missing.push(path.clone()),
                Some(found) if found != pinned => {
                    changed.push(Changed { path: path.clone(), pinned: pinned.clone(), found: found.clone() })
                }
                Some(_) => {}
            }
        }
        let extra: Vec<String> = package.files.keys().filter(|p| !pins.files.contains_key(*p)).cloned().collect();
        let found_version =
            package.manifest.as_deref().and_then(|m| pins::manifest_name_version(m).ok()).map(|(_, version)| version);
        let found_build = pins::build_hash(&package.files);
        let matches = changed.is_empty()
            && missing.is_empty()
            && extra.is_empty()
            && found_version.as_deref() == Some(pins.version.as_str())
            && found_build == pins.build_hash;
        Report {
            target,
            matches,
            version: PinnedFound { pinned: pins.version.clone(), found: found_version },
            build_hash: PinnedFound { pinned: pins.build_hash.clone(), found: Some(found_build) },
            changed,
            missing,
            extra,
        }
    }

    /// How many problems the text output lists: files changed, missing or
    /// extra, and a different version.
    pub fn problems(&self) -> usize {
        let version = usize::from(self.version.found.as_deref() != Some(self.version.pinned.as_str()));
        self.changed.len() + self.missing.len() + self.extra.len() + version
    }

    /// The text output: one `OK:` line, or `MISMATCH:` and one line per problem.
    pub fn text(&self, pins: &Pins) -> String {
        if self.matches {
            return format!(
                "OK: {} matches {} {}, build {}\n",
                self.target,
                pins.name,
                pins.version,
                &pins.build_hash[..16]
            );
        }
        let mut out = format!("MISMATCH: {}\n", self.target);
        for c in &self.changed {
            out.push_str(&format!("  changed: {} (pinned {}, found {})\n", c.path, c.pinned, c.found));
        }
        for path in &self.missing {
            out.push_str(&format!("  missing: {path}\n"));
        }
        for path in &self.extra {
            out.push_str(&format!("  extra: {path}\n"));
        }
        if self.version.found.as_deref() != Some(self.version.pinned.as_str()) {
            let found = self.version.found.as_deref().unwrap_or("none (no readable manifest.json)");
            out.push_str(&format!("  version: pinned {}, found {found}\n", self.version.pinned));
        }
        out.push_str(&format!(
            "  build hash: pinned {}, found {}\n",
            self.build_hash.pinned,
            self.build_hash.found.as_deref().unwrap_or_default()
        ));
        out
    }
}

/// Reads the package at `path`: a `.crx`, `.xpi` or `.zip` file, or a folder.
pub fn read_target(path: &Path) -> Result<Package, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    if meta.is_dir() {
        return pins::read_dir(path);
    }
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "crx" => read_crx(path),
        "xpi" | "zip" => {
            let file = std::fs::File::open(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
            pins::read_zip(std::io::BufReader::new(file), path)
        }
        _ => Err(Failure::Usage(format!(
            "{}: give a .crx, .xpi or .zip file, or the unpacked extension folder",
            path.display()
        ))),
    }
}

/// Reads a CRX3 file: `Cr24`, version 3 (u32 LE), the header length (u32
/// LE), the header, then the ZIP archive.
pub fn read_crx(path: &Path) -> Result<Package, Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let refused = |why: String| Failure::Usage(format!("{}: {why}", path.display()));
    if bytes.len() < 4 || &bytes[..4] != b"Cr24" {
        return Err(refused(
            "not a CRX file: it does not start with \"Cr24\"; a .zip or .xpi must be named so, and an \
             unpacked extension is given as its folder"
                .into(),
        ));
    }
    let word = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(version), Some(header_len)) = (word(4), word(8)) else {
        return Err(refused("a truncated CRX file: it ends inside its first 12 bytes".into()));
    };
    if version != 3 {
        return Err(refused(format!("CRX version {version}: only CRX version 3 (what Chrome writes today) is read")));
    }
    let start = 12usize.saturating_add(header_len as usize);
    if start > bytes.len() {
        return Err(refused(format!(
            "a truncated CRX file: its header is {header_len} bytes long, but only {} bytes follow the first 12",
            bytes.len() - 12
        )));
    }
    pins::read_zip(Cursor::new(&bytes[start..]), path)
}

/// The installed copies of the pinned extension in `profile`.
pub fn find_installed(profile: &Path, pins: &Pins) -> Result<Vec<(PathBuf, Package)>, Failure> {
    if !std::fs::metadata(profile).map_err(|e| Failure::Usage(format!("{}: {e}", profile.display())))?.is_dir() {
        return Err(Failure::Usage(format!("{}: not a folder; give the browser profile folder", profile.display())));
    }
    let mut found = Vec::new();
    let chromium =
        [profile.join("Extensions").join(&pins.crx_id), profile.join("Default/Extensions").join(&pins.crx_id)];
    for dir in &chromium {
        let Some(entries) = read_dir_if_there(dir)? else { continue };
        let mut versions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Failure::Usage(format!("{}: {e}", dir.display())))?;
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                versions.push(entry.path());
            }
        }
        versions.sort();
        for copy in versions {
            let package = pins::read_dir(&copy)?;
            found.push((copy, package));
        }
    }
    let firefox = profile.join("extensions");
    let mut others = Vec::new();
    if let Some(entries) = read_dir_if_there(&firefox)? {
        let mut xpis: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "xpi") && p.is_file())
            .collect();
        xpis.sort();
        for xpi in xpis {
            // Only the manifest of another add-on is read; a damaged one is named, not fatal.
            let (id, name) = match xpi_manifest(&xpi) {
                Ok(manifest) => gecko_id_and_name(&manifest),
                Err(why) => {
                    others.push(format!("{} (unreadable: {why})", xpi.display()));
                    continue;
                }
            };
            let stem = xpi.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            if id.as_deref() == Some(stem.as_str()) && name.as_deref() == Some(pins.name.as_str()) {
                let file = std::fs::File::open(&xpi).map_err(|e| Failure::Usage(format!("{}: {e}", xpi.display())))?;
                let package = pins::read_zip(std::io::BufReader::new(file), &xpi)?;
                found.push((xpi, package));
            } else {
                let id = id.map_or("no gecko id".to_string(), |id| format!("gecko id {id:?}"));
                let name = name.map_or("no name".to_string(), |n| format!("name {n:?}"));
                others.push(format!("{} ({id}, {name})", xpi.display()));
            }
        }
    }
    if found.is_empty() {
        let mut msg = format!(
            "no installed copy of {} found in {}: looked for the version folders in {} and {} (Chromium), \
             and for an .xpi in {} named <gecko id>.xpi whose manifest has that gecko id and the name {:?} (Firefox)",
            pins.name,
            profile.display(),
            chromium[0].display(),
            chromium[1].display(),
            firefox.display(),
            pins.name
        );
        if !others.is_empty() {
            msg.push_str(&format!("; other add-ons there: {}", others.join(", ")));
        }
        return Err(Failure::Usage(msg));
    }
    Ok(found)
}

/// The entries of the folder `dir`, or `None` when there is no such folder.
fn read_dir_if_there(dir: &Path) -> Result<Option<std::fs::ReadDir>, Failure> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => Ok(None),
        Err(e) => Err(Failure::Usage(format!("{}: {e}", dir.display()))),
    }
}

/// The bytes of an `.xpi`'s `manifest.json`.
fn xpi_manifest(xpi: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(xpi).map_err(|e| e.to_string())?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let mut entry = archive.by_name("manifest.json").map_err(|e| format!("manifest.json: {e}"))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut entry, &mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A manifest's Firefox add-on id (`browser_specific_settings.gecko.id`,
/// or the older `applications.gecko.id`) and its `name`.
fn gecko_id_and_name(manifest: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(manifest) else { return (None, None) };
    let id = ["browser_specific_settings", "applications"]
        .iter()
        .find_map(|key| value.get(key)?.get("gecko")?.get("id")?.as_str())
        .map(str::to_string);
    (id, value.get("name").and_then(|n| n.as_str()).map(str::to_string))
}

/// Runs `orgseal audit`.
pub fn run(pins_path: &Path, target: Option<&Path>, profile: Option<&Path>, json: bool) -> Result<(), Failure> {
    let pins = Pins::read(pins_path)?;
    let copies = match (target, profile) {
        (Some(target), _) => vec![(target.to_path_buf(), read_target(target)?)],
        (None, Some(profile)) => find_installed(profile, &pins)?,
        (None, None) => return Err(Failure::Usage("give a package or folder to audit, or --profile DIR".into())),
    };
    let reports: Vec<Report> =
        copies.iter().map(|(path, package)| Report::new(&pins, path.display().to_string(), package)).collect();
    if json {
        let text = if profile.is_some() {
            serde_json::to_string_pretty(&reports)
        } else {
            serde_json::to_string_pretty(&reports[0])
        };
        println!("{}", text.map_err(|e| Failure::Usage(e.to_string()))?);
    } else {
        for report in &reports {
            print!("{}", report.text(&pins));
        }
    }
    let mut failures: Vec<String> = reports
        .iter()
        .filter(|r| !r.matches)
        .map(|r| format!("{} does not match the pins ({} problem(s))", r.target, r.problems()))
        .collect();
    let Some(last) = failures.pop() else { return Ok(()) };
    for msg in failures {
        eprintln!("orgseal: {msg}");
    }
    Err(Failure::Refused(last))
}
