//! Builds the extension: the WASM core through wasm-bindgen into
//! extension/wasm/, then the loadable folder target/orgseal-extension/
//! (manifest.json, extension/, policies/managed_schema.json).

use crate::{root, run, setup};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Builds and returns the folder to load as an unpacked extension.
pub fn extension() -> Result<PathBuf> {
    setup::wasm()?;
    let root = root();
    run("cargo", &["build", "--package", "orgseal-wasm", "--target", "wasm32-unknown-unknown", "--profile", "wasm"])?;
    let wasm = root.join("target/wasm32-unknown-unknown/wasm/orgseal_wasm.wasm");
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
