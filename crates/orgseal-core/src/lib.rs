#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod file;
pub mod header;
pub mod io;
pub mod keyring;
pub mod layout;
pub mod policy;
pub mod primitives;
pub mod stream;

pub use error::Error;
pub use file::{Metadata, OpenStart, SealStart, begin_open, begin_seal, open_bytes, safe_file_name, seal_bytes};
pub use header::Header;
pub use keyring::{KeyId, KeyRing, OrgKey};
pub use policy::{Policy, Problem, Site};
