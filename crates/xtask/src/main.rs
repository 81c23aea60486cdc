//! `cargo xtask`: the project's own commands.
//!
//! - `cargo xtask build`: the extension (WASM core + JS) into target/orgseal-extension/
//! - `cargo xtask demo`: vendor site + extension + a demo policy in Chromium
//! - `cargo xtask test`: every check CI runs, installing what is missing first
//! - `cargo xtask bench`: file-to-file figures against rage, and peak RSS
//! - `cargo xtask bench-browser`: seal/open through the extension in Chromium against WebCrypto and openpgp.js
//! - `cargo xtask dist --key KEY.pem`: the CRX, XPI and zip, and the pins file auditors check against
//!   (`cargo xtask dist --check`: two builds from two clean clones of HEAD, compared byte for byte)
//! - `cargo xtask load`: the vendor site under 32 concurrent 64 MiB uploads and downloads

mod bench;
mod build;
mod crx;
mod demo;
mod dist;
mod load;
mod setup;
mod test;
mod vendor;

use anyhow::{Result, bail};
use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::extension().map(|dir| println!("extension built in {}", dir.display())),
        Some("demo") => demo::run(&args[1..]),
        Some("test") => test::run(&args[1..]),
        Some("setup") => setup::all(),
        Some("bench") => bench::run_bench(&args[1..]),
        Some("bench-browser") => bench::run_bench_browser(&args[1..]),
        Some("load") => load::run(),
        Some("dist") if args.get(1).map(String::as_str) == Some("--check") => {
            dist::check_reproducible().map(|out| println!("reproducible; first build in {}", out.display()))
        }
        Some("dist") => dist::run_dist(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <build|demo|test|dist|bench|bench-browser|load|setup>");
            return std::process::ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// Runs a command in the repository root, failing on a non-zero exit.
pub fn run(program: &str, args: &[&str]) -> Result<()> {
    run_with_env(&root(), program, args, &[])
}

/// Runs a command in `dir` with extra environment variables.
pub fn run_with_env(dir: &std::path::Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    eprintln!("+ {program} {}", args.join(" "));
    let status = std::process::Command::new(program).args(args).envs(env.iter().copied()).current_dir(dir).status()?;
    if !status.success() {
        bail!("`{program} {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

/// Whether a command runs and exits 0.
pub fn succeeds(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Output of a command, if it ran.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
