//! Failures and the exit codes they map to: 1 refused, 2 usage or I/O.

use orgseal_core::io::StreamError;
use std::path::Path;

/// A failure, with the exit code it maps to.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Exit 1: a file or policy was refused.
    Refused(String),
    /// Exit 2: usage, or a message about I/O already put in words.
    Usage(String),
    /// Exit 2: reading or writing failed (`context` names what, when known).
    /// A broken pipe on standard output (`orgseal decrypt … | head`) is not a
    /// failure: the reader had what it wanted, and the exit is 0.
    Io {
        /// What was being read or written; may be empty.
        context: String,
        /// The error, with its kind kept.
        error: std::io::Error,
    },
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::Io { context: String::new(), error }
    }
}

impl Failure {
    /// The process exit code, and what to print (nothing for a broken pipe).
    pub(crate) fn report(self) -> (u8, Option<String>) {
        match self {
            Failure::Refused(msg) => (1, Some(msg)),
            Failure::Usage(msg) => (2, Some(msg)),
            Failure::Io { error, .. } if error.kind() == std::io::ErrorKind::BrokenPipe => (0, None),
            Failure::Io { context, error } if context.is_empty() => (2, Some(error.to_string())),
            Failure::Io { context, error } => (2, Some(format!("{context}: {error}"))),
        }
    }
}

pub(crate) fn stream_failure(what: &Path, e: StreamError) -> Failure {
    match e {
        StreamError::Refused(e) => Failure::Refused(format!("{}: {e}", what.display())),
        StreamError::Io(error) => Failure::Io { context: what.display().to_string(), error },
        other => Failure::Usage(format!("{}: {other}", what.display())),
    }
}

/// As [`stream_failure`], with the policy at hand: an unknown key is named
/// together with the keys the policy holds, and what IT must do.
pub(crate) fn open_failure(what: &Path, ring: &orgseal_core::KeyRing, e: StreamError) -> Failure {
    match e {
        StreamError::Refused(e) => Failure::Refused(format!("{}: {}", what.display(), ring.explain(&e))),
        StreamError::Io(error) => Failure::Io { context: what.display().to_string(), error },
        other => Failure::Usage(format!("{}: {other}", what.display())),
    }
}
