#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod header;
pub mod io;
pub mod keyring;
pub mod policy;
pub mod primitives;
pub mod stream;

pub use error::Error;
pub use header::{Header, Metadata, OpenStart, SealStart, begin_open, begin_seal, open_bytes, seal_bytes};
pub use keyring::{KeyId, KeyRing, OrgKey};
pub use policy::{Policy, Problem, Site};
