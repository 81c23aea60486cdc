//! The vendor site as a child process, for `cargo xtask demo` and `cargo xtask
//! load`: started on a free loopback port, its address read from the line it
//! prints, and killed when its guard is dropped.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A child process, killed (and reaped) when this is dropped.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `BIN serve --listen 127.0.0.1:0 --data DATA ARGS...` with `env` added
/// to its environment, and waits for its `orgseal-vendor listening on
/// http://127.0.0.1:PORT` line. Returns the guard and that origin.
pub fn start_vendor(bin: &Path, data: &Path, args: &[&str], env: &[(&str, String)]) -> Result<(KillOnDrop, String)> {
    let child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .spawn()
        .context("starting orgseal-vendor")?;
    // Guarded from here on, so a vendor that fails to start is not left running.
    let mut vendor = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(vendor.0.stdout.take().expect("piped")).read_line(&mut line)?;
    let origin = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    if !origin.starts_with("http://127.0.0.1:") {
        bail!("orgseal-vendor did not report its address (it printed {line:?})");
    }
    Ok((vendor, origin))
}
