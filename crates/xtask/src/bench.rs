//! `cargo xtask bench`: file-to-file figures for the `orgseal` CLI, printed with
//! ratios against `rage` (age's Rust CLI) measured in the same run, and the
//! peak RSS of `orgseal decrypt` on a large file. A benchmark, not a test.
//!
//! `cargo xtask bench [--size-mib 1024] [--rss-size-mib 4096]`

use crate::{output, root, run, succeeds};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64> {
    match args.iter().position(|a| a == name) {
        Some(i) => args.get(i + 1).context("missing value")?.parse().context("not a number"),
        None => Ok(default),
    }
}

/// Writes `mib` MiB of pseudo-random bytes (xorshift; incompressible enough for AES).
fn make_file(path: &Path, mib: u64) -> Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for word in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&block)?;
    }
    f.flush()?;
    Ok(())
}

/// Seconds for one run of a command.
fn timed(program: &Path, args: &[&str]) -> Result<f64> {
    let start = Instant::now();
    let status = Command::new(program).args(args).status().with_context(|| format!("running {}", program.display()))?;
    if !status.success() {
        bail!("{} {} failed: {status}", program.display(), args.join(" "));
    }
    Ok(start.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Peak resident set of one run, in KiB, from /usr/bin/time.
fn peak_rss_kib(program: &Path, args: &[&str]) -> Result<u64> {
    let out = Command::new("/usr/bin/time").arg("-f").arg("%M").arg(program).args(args).output()?;
    if !out.status.success() {
        bail!("{} failed: {}", program.display(), String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines().last().and_then(|l| l.trim().parse().ok()).context("no RSS figure from /usr/bin/time")
}

pub fn run_bench(args: &[String]) -> Result<()> {
    let size = arg(args, "--size-mib", 1024)?;
    let rss_size = arg(args, "--rss-size-mib", 4096)?;
    run("cargo", &["build", "--release", "--package", "orgseal-cli"])?;
    let orgseal = root().join("target/release/orgseal");
    let cargo_bin = PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo/bin");
    if !succeeds("rage", &["--version"]) && !cargo_bin.join("rage").exists() {
        run("cargo", &["install", "rage"])?;
    }
    let rage = if cargo_bin.join("rage").exists() { cargo_bin.join("rage") } else { PathBuf::from("rage") };
    let rage_keygen = rage.with_file_name("rage-keygen");
    let work = std::env::temp_dir().join(format!("orgseal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let result = (|| -> Result<()> {
        let p = |n: &str| work.join(n).to_string_lossy().into_owned();
        run(orgseal.to_str().context("path")?, &["keygen", "--label", "bench", "-o", &p("policy.json")])?;
        let identity = p("rage-key.txt");
        Command::new(&rage_keygen).args(["-o", &identity]).output()?;
        let recipient = output(rage_keygen.to_str().context("path")?, &["-y", &identity])
            .context("rage-keygen -y")?
            .trim()
            .to_string();
        make_file(&work.join("plain"), size)?;
        let bytes = (size << 20) as f64;
        let (mut oe, mut od, mut re, mut rd) = (vec![], vec![], vec![], vec![]);
        for _ in 0..3 {
            for f in ["sealed", "opened", "aged", "unaged"] {
                let _ = std::fs::remove_file(work.join(f));
            }
            oe.push(timed(&orgseal, &["encrypt", "--policy", &p("policy.json"), &p("plain"), "-o", &p("sealed")])?);
            od.push(timed(&orgseal, &["decrypt", "--policy", &p("policy.json"), &p("sealed"), "-o", &p("opened")])?);
            re.push(timed(&rage, &["-e", "-r", &recipient, "-o", &p("aged"), &p("plain")])?);
            rd.push(timed(&rage, &["-d", "-i", &identity, "-o", &p("unaged"), &p("aged")])?);
        }
        if std::fs::read(work.join("opened"))? != std::fs::read(work.join("plain"))? {
            bail!("orgseal decrypt did not give back the original");
        }
        let mbps = |t: f64| bytes / t / 1e6;
        let (oe, od, re, rd) = (median(oe), median(od), median(re), median(rd));
        println!("{size} MiB file to file, median of 3 runs, MB/s (10^6 B/s):");
        println!("  orgseal encrypt {:7.0}   rage -e {:7.0}   ratio {:.2}x", mbps(oe), mbps(re), re / oe);
        println!("  orgseal decrypt {:7.0}   rage -d {:7.0}   ratio {:.2}x", mbps(od), mbps(rd), rd / od);

        for f in ["plain", "sealed", "opened", "aged", "unaged"] {
            let _ = std::fs::remove_file(work.join(f));
        }
        make_file(&work.join("plain"), rss_size)?;
        run(
            orgseal.to_str().context("path")?,
            &["encrypt", "--policy", &p("policy.json"), &p("plain"), "-o", &p("sealed")],
        )?;
        std::fs::remove_file(work.join("plain"))?;
        let rss =
            peak_rss_kib(&orgseal, &["decrypt", "--policy", &p("policy.json"), &p("sealed"), "-o", &p("opened")])?;
        println!("  peak RSS of orgseal decrypt on a {rss_size} MiB file: {:.1} MiB", rss as f64 / 1024.0);
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// `cargo xtask bench-browser`: seal and open through the real extension in
/// headless Chromium, beside a bare WebCrypto loop (one thread, two workers)
/// and openpgp.js in the same run, and the browser's memory while a large file
/// is sealed (tests/bench/browser.mjs). A benchmark, not a test.
///
/// `cargo xtask bench-browser [--sizes-mib 256,1024] [--memory-mib 4096]
/// [--roundtrip-mib 4096] [--profile]`; with `--profile`, only where the time
/// of a 5 MiB and a 256 MiB seal and open goes, from a trace of the browser.
pub fn run_bench_browser(args: &[String]) -> Result<()> {
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    crate::setup::all()?;
    crate::build::extension()?;
    run("cargo", &["build", "--release", "--package", "orgseal-vendor", "--package", "orgseal-cli"])?;
    let release = root().join("target/release");
    let mut node = Command::new("node");
    node.arg("tests/bench/browser.mjs")
        .current_dir(root())
        .env("ORGSEAL_VENDOR_BIN", release.join("orgseal-vendor"))
        .env("ORGSEAL_CLI_BIN", release.join("orgseal"));
    if let Some(sizes) = value("--sizes-mib") {
        node.env("ORGSEAL_BENCH_MIB", sizes);
    }
    if let Some(mib) = value("--memory-mib") {
        node.env("ORGSEAL_BENCH_MEMORY_MIB", mib);
    }
    if let Some(mib) = value("--roundtrip-mib") {
        node.env("ORGSEAL_BENCH_ROUNDTRIP_MIB", mib);
    }
    if args.iter().any(|a| a == "--profile") {
        node.env("ORGSEAL_BENCH_PROFILE", "1");
    }
    let status = node.status().context("running node")?;
    if !status.success() {
        bail!("the browser benchmark failed ({status})");
    }
    Ok(())
}
