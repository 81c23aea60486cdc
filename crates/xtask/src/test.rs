//! `cargo xtask test`: everything CI checks, in the order a developer wants
//! to hear about failures (cheap first), installing missing tools first.

use crate::{build, dist, root, setup};
use anyhow::{Result, bail};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    /// Reads cargo's `test result: ok. N passed; M failed` and node's `# pass N` / `# fail N`.
    fn read(&mut self, line: &str) {
        let num = |s: &str| s.trim().split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse::<u64>().ok());
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let part = part.trim().trim_start_matches("ok.").trim_start_matches("FAILED.").trim();
                if let Some(n) = part.strip_suffix(" passed").and_then(num) {
                    self.passed += n;
                } else if let Some(n) = part.strip_suffix(" failed").and_then(num) {
                    self.failed += n;
                }
            }
        } else if let Some(n) = line.strip_prefix("# pass ").and_then(num) {
            self.passed += n;
        } else if let Some(n) = line.strip_prefix("# fail ").and_then(num) {
            self.failed += n;
        }
    }
}

/// Runs a step, echoing its output and counting test results.
fn step(tally: &mut Tally, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    eprintln!("+ {program} {}", args.join(" "));
    let started = std::time::Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        tally.read(&line);
    }
    let status = child.wait()?;
    eprintln!("  ({:.1} s)", started.elapsed().as_secs_f64());
    if !status.success() {
        bail!("`{program} {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

pub fn run(args: &[String]) -> Result<()> {
    let e2e_only = args.iter().any(|a| a == "--e2e");
    let started = std::time::Instant::now();
    setup::all()?;
    let mut tally = Tally::default();
    let result = (|| -> Result<()> {
        if !e2e_only {
            step(&mut tally, "cargo", &["fmt", "--all", "--", "--check"], &[])?;
            step(&mut tally, "cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])?;
            step(
                &mut tally,
                "cargo",
                &["clippy", "--package", "orgseal-wasm", "--target", "wasm32-unknown-unknown", "--", "-D", "warnings"],
                &[],
            )?;
            // The vendor's S3 test must run here, against the moto server set up above.
            let moto = setup::moto()?;
            let moto = moto.to_str().unwrap_or_default();
            step(
                &mut tally,
                "cargo",
                &["test", "--workspace"],
                &[("ORGSEAL_REQUIRE_S3", "1"), ("ORGSEAL_MOTO_SERVER", moto)],
            )?;
            step(&mut tally, "cargo", &["doc", "--workspace", "--no-deps"], &[("RUSTDOCFLAGS", "-D warnings")])?;
            // The extension's JavaScript (and the e2e tests'): ESLint, then
            // TypeScript's type check; tests/eslint.config.mjs and tests/tsconfig.json.
            let bin = |name: &str| root().join("tests/node_modules/.bin").join(name).to_string_lossy().into_owned();
            step(
                &mut tally,
                &bin("eslint"),
                &[
                    "--config",
                    "tests/eslint.config.mjs",
                    "--max-warnings",
                    "0",
                    "extension",
                    "tests/e2e",
                    "tests/unit",
                    "tests/bench",
                ],
                &[],
            )?;
            step(&mut tally, &bin("tsc"), &["--project", "tests/tsconfig.json"], &[])?;
        }
        // Release packages from two clean clones of HEAD, compared byte for
        // byte; the first one's CRX and pins serve the audit e2e test.
        let dist_started = std::time::Instant::now();
        let dist_out = dist::check_reproducible()?;
        eprintln!("reproducible release packages checked in {:.1} s", dist_started.elapsed().as_secs_f64());
        build::extension()?;
        step(&mut tally, "cargo", &["build", "--package", "orgseal-vendor", "--package", "orgseal-cli"], &[])?;
        // The built WASM face and the extension's WebCrypto code against the
        // committed vector files and the native CLI.
        step(&mut tally, "node", &["--test", "tests/unit/"], &[])?;
        let e2e_started = std::time::Instant::now();
        let dist_out = dist_out.to_str().unwrap_or_default();
        step(&mut tally, "node", &["--test", "--test-concurrency=1", "tests/e2e/"], &[("ORGSEAL_DIST_DIR", dist_out)])?;
        eprintln!("end-to-end tests took {:.1} s", e2e_started.elapsed().as_secs_f64());
        Ok(())
    })();
    eprintln!("whole suite took {:.1} s", started.elapsed().as_secs_f64());
    println!("xtask: {} passed, {} failed", tally.passed, tally.failed);
    result
}
