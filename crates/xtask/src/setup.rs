//! Installs what the build and the tests need, skipping what is already there.

use crate::{output, root, run, succeeds};
use anyhow::{Context, Result};

/// The wasm-bindgen version pinned in Cargo.toml (the CLI must match it exactly).
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let v = lines.next().unwrap_or_default();
            return Ok(v.trim_start_matches("version = \"").trim_end_matches('"').to_string());
        }
    }
    anyhow::bail!("wasm-bindgen is not in Cargo.lock")
}

/// The wasm32 target and wasm-bindgen-cli.
pub fn wasm() -> Result<()> {
    if !output("rustup", &["target", "list", "--installed"]).unwrap_or_default().contains("wasm32-unknown-unknown") {
        run("rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }
    let want = wasm_bindgen_version()?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == want) {
        run("cargo", &["install", "wasm-bindgen-cli", "--version", &want])?;
    }
    Ok(())
}

/// Debian's Chromium and its driver.
pub fn chromium() -> Result<()> {
    if std::path::Path::new("/usr/lib/chromium/chromium").exists() {
        return Ok(());
    }
    run("apt-get", &["update"])?;
    run("apt-get", &["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"])
}

/// The browser driver's npm packages (playwright-core, which never downloads a browser).
pub fn npm() -> Result<()> {
    if !succeeds("node", &["--version"]) {
        run("apt-get", &["install", "-y", "nodejs", "npm"])?;
    }
    if root().join("tests/node_modules/playwright-core").exists() {
        return Ok(());
    }
    run("npm", &["ci", "--prefix", "tests", "--no-audit", "--no-fund"])
}

/// The S3-compatible server the vendor's S3 test runs against: moto's
/// `moto_server` from PyPI, pinned, in its own virtualenv under target/.
pub const MOTO_VERSION: &str = "5.2.1";

/// Installs moto (once) and returns the path of `moto_server`.
pub fn moto() -> Result<std::path::PathBuf> {
    let venv = root().join(format!("target/tools/moto-{MOTO_VERSION}"));
    let server = venv.join("bin/moto_server");
    if server.exists() {
        return Ok(server);
    }
    let venv_str = venv.to_str().context("non-UTF-8 path")?;
    if !succeeds("python3", &["--version"]) {
        run("apt-get", &["install", "-y", "python3", "python3-venv"])?;
    }
    if run("python3", &["-m", "venv", venv_str]).is_err() {
        // Debian's own python3 ships venv support separately.
        run("apt-get", &["install", "-y", "python3-venv"])?;
        run("python3", &["-m", "venv", "--clear", venv_str])?;
    }
    let pip = venv.join("bin/pip");
    run(pip.to_str().context("non-UTF-8 path")?, &["install", "--quiet", &format!("moto[server]=={MOTO_VERSION}")])?;
    Ok(server)
}

/// Everything.
pub fn all() -> Result<()> {
    wasm()?;
    chromium()?;
    npm()?;
    moto().map(|_| ())
}
