//! `cargo xtask dist --key KEY.pem [--out DIR]`: the release packages, from
//! the checkout as it is:
//! - `orgseal-VERSION.zip`: the extension's files (a store upload, or a
//!   folder to load), byte-reproducible: files in path order, every entry
//!   dated 1980-01-01 with mode 0644, one compression setting;
//! - `orgseal-VERSION.xpi`: the same bytes, for Firefox;
//! - `orgseal-VERSION.crx`: the same archive as a CRX3 signed with KEY
//!   (`crx.rs`; its public key decides the extension id), byte-reproducible
//!   too, as the RSA PKCS#1 v1.5 signature is deterministic;
//! - `orgseal-pins.json`: version, the SHA-256 of every file, the build hash
//!   and the CRX id (`orgseal pins`), what auditors check installed copies
//!   against (`orgseal audit`).
//!
//! The packaged manifest carries no `key`: that member only pins the id of
//! the unpacked development build; a packed extension's id comes from the
//! key that signs the CRX.

use crate::{build, root, run_with_env};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run_dist(args: &[String]) -> Result<()> {
    let mut key = None;
    let mut out = root().join("target/dist");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--key" => key = it.next().map(PathBuf::from),
            "--out" => out = it.next().map(PathBuf::from).context("--out needs a folder")?,
            other => bail!("unknown argument {other}: usage: cargo xtask dist --key KEY.pem [--out DIR]"),
        }
    }
    let key = key.context(
        "--key KEY.pem is required: the RSA key that signs the CRX (make one with \
         `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out orgseal-crx.pem`)",
    )?;
    let key = std::fs::canonicalize(&key).with_context(|| format!("reading the signing key {}", key.display()))?;
    let root = root();
    let made = dist(&root, &root.join("target"), &key, &out)?;
    for path in made {
        println!("{}", path.display());
    }
    Ok(())
}

/// Builds the packages of the checkout at `root` (cargo's output in
/// `target_dir`) into `out`; returns their paths.
pub fn dist(root: &Path, target_dir: &Path, key: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    let built = build::extension_in(root, target_dir)?;
    std::fs::create_dir_all(out)?;
    let stage = out.join("stage");
    if stage.exists() {
        std::fs::remove_dir_all(&stage)?;
    }
    copy_tree(&built, &stage)?;
    // The packaged manifest: without the development `key`.
    let manifest_path = stage.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path)?)?;
    manifest.as_object_mut().context("manifest.json is not an object")?.remove("key");
    std::fs::write(&manifest_path, format!("{}\n", serde_json::to_string_pretty(&manifest)?))?;
    let version = manifest["version"].as_str().context("manifest.json has no version")?.to_string();

    let files = tree_files(&stage)?;
    let zip = zip_bytes(&stage, &files)?;
    let zip_path = out.join(format!("orgseal-{version}.zip"));
    let xpi_path = out.join(format!("orgseal-{version}.xpi"));
    std::fs::write(&zip_path, &zip)?;
    std::fs::write(&xpi_path, &zip)?;

    // CRX: the same archive, signed here (crx.rs), so that it is the same
    // from build to build.
    let pem = std::fs::read_to_string(key).with_context(|| format!("reading the signing key {}", key.display()))?;
    let (crx, crx_id) = crate::crx::sign(&zip, &pem)?;
    let crx_path = out.join(format!("orgseal-{version}.crx"));
    std::fs::write(&crx_path, &crx)?;

    // Pins, by the CLI's one rule.
    let pins_path = out.join("orgseal-pins.json");
    let _ = std::fs::remove_file(&pins_path);
    run_with_env(
        root,
        "cargo",
        &[
            "run",
            "--quiet",
            "--package",
            "orgseal-cli",
            "--",
            "pins",
            stage.to_str().context("path")?,
            "--crx-id",
            &crx_id,
            "-o",
            pins_path.to_str().context("path")?,
        ],
        &[("CARGO_TARGET_DIR", target_dir.to_str().context("path")?)],
    )?;
    std::fs::remove_dir_all(&stage)?;
    Ok(vec![zip_path, xpi_path, crx_path, pins_path])
}

/// Every file under `dir`, as relative paths with `/`, in byte order.
fn tree_files(dir: &Path) -> Result<Vec<String>> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().into_string().map_err(|n| anyhow::anyhow!("non-UTF-8 file name {n:?}"))?;
            let rel = format!("{prefix}{name}");
            if entry.file_type()?.is_dir() {
                walk(&entry.path(), &format!("{rel}/"), out)?;
            } else {
                out.push(rel);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    out.sort();
    Ok(out)
}

/// The reproducible archive of `files` under `dir`.
fn zip_bytes(dir: &Path, files: &[String]) -> Result<Vec<u8>> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for rel in files {
        writer.start_file(rel.as_str(), options)?;
        writer.write_all(&std::fs::read(dir.join(rel))?)?;
    }
    Ok(writer.finish()?.into_inner())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The packages of two clean clones of HEAD, in two folders, built one after
/// the other: the zip, the XPI, the CRX and the pins must be byte-identical. Returns the first
/// clone's output folder, for the audit end-to-end test.
pub fn check_reproducible() -> Result<PathBuf> {
    let root = root();
    let work = root.join("target/dist-check");
    std::fs::create_dir_all(&work)?;
    let key = work.join("test-crx-key.pem");
    if !key.exists() {
        run_with_env(
            &work,
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                key.to_str().context("path")?,
            ],
            &[],
        )?;
    }
    let mut outs = Vec::new();
    for name in ["clone-a", "clone-b"] {
        let clone = work.join(name);
        if clone.exists() {
            std::fs::remove_dir_all(&clone)?;
        }
        run_with_env(&work, "git", &["clone", "--quiet", root.to_str().context("path")?, name], &[])?;
        let out = work.join(format!("{name}-out"));
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        dist(&clone, &root.join("target"), &key, &out)?;
        std::fs::remove_dir_all(&clone)?;
        outs.push(out);
    }
    let mut names: Vec<_> = std::fs::read_dir(&outs[0])?.map(|e| e.map(|e| e.file_name())).collect::<Result<_, _>>()?;
    names.sort();
    let mut differ = Vec::new();
    for name in &names {
        let a = std::fs::read(outs[0].join(name))?;
        let b = std::fs::read(outs[1].join(name)).with_context(|| format!("the second build has no {name:?}"))?;
        let same = a == b;
        println!(
            "dist: {} {} ({} bytes, sha256 {})",
            name.to_string_lossy(),
            if same { "identical in both builds" } else { "DIFFERS between the builds" },
            a.len(),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&a)),
        );
        if !same {
            differ.push(name.to_string_lossy().into_owned());
        }
    }
    if !differ.is_empty() {
        bail!("the release packages are not reproducible: {} differ between two clean builds", differ.join(", "));
    }
    Ok(outs.swap_remove(0))
}
