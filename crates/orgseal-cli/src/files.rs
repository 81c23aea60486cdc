//! Output files: never overwritten without `--force`, never left half-written.
//! Everything is written to a temporary file beside the target and renamed into
//! place only when complete; standard output gets the bytes only after they are
//! complete too (through a temporary file), so a refused file prints nothing.

use crate::Failure;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A temporary file removed on drop unless kept.
struct Temp {
    path: PathBuf,
    keep: bool,
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn temp_beside(target: &Path, private: bool) -> Result<(Temp, File), Failure> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| Failure::Usage(e.to_string()))?;
    let path = dir.join(format!(".{base}.{}.orgseal-part", hex::encode(suffix)));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o666 })
        .open(&path)
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    Ok((Temp { path, keep: false }, file))
}

fn refuse_existing(target: &Path, force: bool) -> Result<(), Failure> {
    if !force && target.symlink_metadata().is_ok() {
        return Err(Failure::Usage(format!("{} exists: pass --force to overwrite it", target.display())));
    }
    Ok(())
}

/// Writes `bytes` to `target` (mode 0600 when `private`).
pub fn write_new(target: &Path, bytes: &[u8], force: bool, private: bool) -> Result<(), Failure> {
    write_atomically_with(target, force, private, |w| Ok(w.write_all(bytes)?))
}

/// Runs `produce` into a temporary file and renames it to `target` only if it
/// succeeds; `-` means standard output.
pub fn write_atomically(
    target: &Path,
    force: bool,
    produce: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
) -> Result<(), Failure> {
    write_atomically_with(target, force, false, produce)
}

fn write_atomically_with(
    target: &Path,
    force: bool,
    private: bool,
    produce: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let to_stdout = target.as_os_str() == "-";
    if !to_stdout {
        refuse_existing(target, force)?;
    }
    let staging = if to_stdout { std::env::temp_dir().join("orgseal-stdout") } else { target.to_path_buf() };
    // Plaintext headed for standard output waits in a private file.
    let (mut temp, file) = temp_beside(&staging, private || to_stdout)?;
    let mut writer = BufWriter::with_capacity(1 << 16, file);
    produce(&mut writer)?;
    let file = writer.into_inner().map_err(|e| Failure::Usage(e.to_string()))?;
    file.sync_all()?;
    drop(file);
    if to_stdout {
        let mut read = File::open(&temp.path)?;
        let mut out = std::io::stdout().lock();
        std::io::copy(&mut read, &mut out)?;
        out.flush()?;
        return Ok(());
    }
    refuse_existing(target, force)?;
    std::fs::rename(&temp.path, target).map_err(|e| Failure::Usage(format!("{}: {e}", target.display())))?;
    temp.keep = true;
    Ok(())
}
