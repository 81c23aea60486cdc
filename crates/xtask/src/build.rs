//! Builds the extension: the WASM core through wasm-bindgen into
//! extension/wasm/, then the loadable folder target/orgseal-extension/
//! (manifest.json, extension/, policies/managed_schema.json).

use crate::{root, run, run_with_env, setup};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Builds and returns the folder to load as an unpacked extension.
pub fn extension() -> Result<PathBuf> {
    let root = root();
    extension_in(&root, &root.join("target"))
}

/// Builds the extension of the checkout at `root` (cargo's output in
/// `target_dir`) into `root`/target/orgseal-extension.
pub fn extension_in(root: &Path, target_dir: &Path) -> Result<PathBuf> {
    setup::wasm()?;
    // No absolute path of this machine in the WASM (panic locations name
    // source files): the same source gives the same bytes in any folder.
    let cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"));
    let remap =
        format!("--remap-path-prefix={}=/orgseal --remap-path-prefix={}=/cargo", root.display(), cargo_home.display());
    run_with_env(
        root,
        "cargo",
        &["build", "--package", "orgseal-wasm", "--target", "wasm32-unknown-unknown", "--profile", "wasm"],
        &[
            ("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", &remap),
            ("CARGO_TARGET_DIR", target_dir.to_str().context("path")?),
        ],
    )?;
    let wasm = target_dir.join("wasm32-unknown-unknown/wasm/orgseal_wasm.wasm");
    let out = root.join("extension/wasm");
    run(
        "wasm-bindgen",
        &[
            "--target",
            "web",
            "--no-typescript",
            "--out-dir",
            out.to_str().context("path")?,
            wasm.to_str().context("path")?,
        ],
    )?;
    let dist = root.join("target/orgseal-extension");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(dist.join("policies"))?;
    std::fs::copy(root.join("manifest.json"), dist.join("manifest.json"))?;
    std::fs::copy(root.join("policies/managed_schema.json"), dist.join("policies/managed_schema.json"))?;
    copy_dir(&root.join("extension"), &dist.join("extension"))?;
    Ok(dist)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    let mut entries: Vec<_> = std::fs::read_dir(from)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}
