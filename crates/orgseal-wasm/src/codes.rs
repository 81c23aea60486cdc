//! Every `code` a JS caller of this face can see on a thrown error.
//!
//! A core refusal carries [`orgseal_core::Error::code`] (docs/FORMAT.md §8.2);
//! this face adds the few below (§8.3). The extension's own codes (such as
//! `not-a-file`) are listed there too. Codes are stable: a caller may switch
//! on them; messages may change.

/// No valid policy is installed, so nothing can be sealed or opened.
pub const INVALID_POLICY: &str = "invalid-policy";
/// A number from JS is not a whole, non-negative byte count, index or time
/// (NaN, negative, fractional, above 2^53), or a chunk index past the last.
pub const BAD_ARGUMENT: &str = "bad-argument";
/// A value could not be converted for JS (a bug: please report it).
pub const INTERNAL: &str = "internal";

/// The codes this face adds to the core's.
pub const FACE_CODES: &[&str] = &[INVALID_POLICY, BAD_ARGUMENT, INTERNAL];
