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

/// geckodriver, which drives Firefox ESR in the e2e tests, pinned.
pub const GECKODRIVER_VERSION: &str = "0.37.1";

/// Debian's Firefox ESR and geckodriver (from crates.io: Debian has no
/// package of it; built without optimisation, which is quicker to build and
/// plenty fast for relaying WebDriver commands).
pub fn firefox() -> Result<()> {
    if !std::path::Path::new("/usr/lib/firefox-esr/firefox-esr").exists() {
        run("apt-get", &["update"])?;
        run("apt-get", &["install", "-y", "--no-install-recommends", "firefox-esr"])?;
    }
    let have = output("geckodriver", &["--version"]).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == GECKODRIVER_VERSION) {
        run("cargo", &["install", "--debug", "geckodriver", "--version", GECKODRIVER_VERSION])?;
    }
    Ok(())
}

/// The npm packages tests/package.json pins: the browser driver
/// (playwright-core for Chromium, selenium-webdriver for Firefox through
/// geckodriver; neither downloads a browser), and ESLint and
/// TypeScript for the checks of the extension's JavaScript. Installed again
/// from the lock file whenever one of them is missing or at another version
/// (a checkout that installed before a package was added or bumped).
pub fn npm() -> Result<()> {
    if !succeeds("node", &["--version"]) {
        run("apt-get", &["install", "-y", "nodejs", "npm"])?;
    }
    if npm_installed()? {
        return Ok(());
    }
    run("npm", &["ci", "--prefix", "tests", "--no-audit", "--no-fund"])
}

/// Whether tests/node_modules holds every package tests/package.json names, at its pinned version.
fn npm_installed() -> Result<bool> {
    let tests = root().join("tests");
    let manifest = std::fs::read_to_string(tests.join("package.json")).context("reading tests/package.json")?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest).context("parsing tests/package.json")?;
    for section in ["dependencies", "devDependencies"] {
        for (name, want) in manifest[section].as_object().into_iter().flatten() {
            let have = std::fs::read_to_string(tests.join("node_modules").join(name).join("package.json"))
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .and_then(|installed| installed["version"].as_str().map(str::to_string));
            if have.as_deref() != want.as_str() {
                return Ok(false);
            }
        }
    }
    Ok(true)
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
    firefox()?;
    npm()?;
    moto().map(|_| ())
}
