//! Helpers shared by the CLI's integration tests: a temporary folder removed
//! on drop, and the `orgseal` binary run in a folder.
#![allow(dead_code)] // each test file uses its own subset

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary folder, removed when dropped.
pub struct Dir(pub PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh folder under the system's temporary folder, named after `tag`.
pub fn tempdir(tag: &str) -> Dir {
    let mut b = [0u8; 6];
    std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut b).unwrap();
    let p = std::env::temp_dir().join(format!("orgseal-cli-{tag}-{}", hex(&b)));
    std::fs::create_dir_all(&p).unwrap();
    Dir(p)
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs `orgseal` with `args` in `dir`.
pub fn orgseal(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgseal")).args(args).current_dir(dir).output().unwrap()
}

/// Bytes as text, for messages.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
