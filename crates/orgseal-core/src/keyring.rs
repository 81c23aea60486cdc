//! Org keys and the key ring a policy defines.

use crate::primitives::{KEY_ID_LEN, KEY_LEN, key_id, random_bytes};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The public name of an org key: `HKDF-SHA-256(org_key, "orgseal/v1 key-id")[..16]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a secret string is not an org key. Never holds the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Wrong number of characters.
    #[error("must be 43 characters of base64url without padding (32 bytes); it has {0} characters")]
    Length(usize),
    /// A character outside the base64url alphabet (`A-Z a-z 0-9 - _`).
    #[error(
        "must be base64url without padding (A-Z, a-z, 0-9, '-', '_'); it has a character outside that alphabet at position {0}"
    )]
    Alphabet(usize),
    /// 43 characters of the key followed by base64's padding `=`: the form
    /// other tools (`openssl rand -base64`, standard encoders) write.
    #[error("ends with padding '=': remove the trailing '=' (the key is the 43 characters before it)")]
    Padded,
    /// Standard base64 (`+` or `/`) instead of base64url.
    /// (Which character and where are not said: they are part of the key.)
    #[error(
        "is standard base64 (it has '+' or '/'): write it as base64url, with '-' for '+' and '_' for '/', and no '='"
    )]
    StandardAlphabet,
    /// 43 valid characters whose last one carries non-zero padding bits.
    #[error("is not canonical base64url: its last character has bits beyond the 32 bytes")]
    NonCanonical,
}

impl SecretError {
    /// A stable code for the refusal (docs/FORMAT.md §2), for programs and
    /// the vectors: `key-padded`, `key-standard-base64`, `key-length`,
    /// `key-alphabet`, `key-non-canonical`.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::Padded => "key-padded",
            SecretError::StandardAlphabet => "key-standard-base64",
            SecretError::Length(_) => "key-length",
            SecretError::Alphabet(_) => "key-alphabet",
            SecretError::NonCanonical => "key-non-canonical",
        }
    }
}

/// An org key: 32 secret bytes with a label and id. Wiped on drop, never printed.
pub struct OrgKey {
    label: String,
    secret: Zeroizing<[u8; KEY_LEN]>,
    id: KeyId,
}

impl std::fmt::Debug for OrgKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrgKey")
            .field("label", &self.label)
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl PartialEq for OrgKey {
    fn eq(&self, other: &Self) -> bool {
        self.label == other.label && bool::from(self.secret.as_slice().ct_eq(other.secret.as_slice()))
    }
}

impl OrgKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(label: impl Into<String>, secret: [u8; KEY_LEN]) -> Self {
        let secret = Zeroizing::new(secret);
        let id = KeyId(key_id(&secret));
        OrgKey { label: label.into(), secret, id }
    }

    /// A fresh random key.
    pub fn generate(label: impl Into<String>) -> Self {
        let mut secret = [0u8; KEY_LEN];
        random_bytes(&mut secret);
        Self::from_bytes(label, secret)
    }

    /// A key from the policy's text form: 43 characters of base64url, no padding.
    pub fn from_base64url(label: impl Into<String>, text: &str) -> Result<Self, SecretError> {
        let chars = text.chars().count();
        let key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '+' || c == '/';
        if (chars == 44 && text.ends_with('=') || chars == 45 && text.ends_with("=="))
            && text.trim_end_matches('=').chars().all(key_char)
        {
            return Err(SecretError::Padded);
        }
        if text.contains(['+', '/']) {
            return Err(SecretError::StandardAlphabet);
        }
        if chars != 43 {
            return Err(SecretError::Length(chars));
        }
        if let Some(pos) = text.chars().position(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            return Err(SecretError::Alphabet(pos));
        }
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text).map_err(|_| SecretError::NonCanonical)?);
        let secret: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| SecretError::NonCanonical)?;
        Ok(Self::from_bytes(label, secret))
    }

    /// The policy's text form of the secret. Handle with care.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.secret.as_slice()))
    }

    /// The key's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key's id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn secret(&self) -> &[u8; KEY_LEN] {
        &self.secret
    }
}

/// The keys of a valid policy: exactly one seals new files, all open.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<OrgKey>,
    encrypt: usize,
}

impl KeyRing {
    /// A ring from checked keys; `encrypt` is the index of the sealing key.
    ///
    /// # Panics
    /// If `encrypt` is out of range (the policy parser checks this first).
    pub fn new(keys: Vec<OrgKey>, encrypt: usize) -> Self {
        assert!(encrypt < keys.len(), "encrypt key index out of range");
        KeyRing { keys, encrypt }
    }

    /// The key new files are sealed with.
    pub fn encrypt_key(&self) -> &OrgKey {
        &self.keys[self.encrypt]
    }

    /// The key with this id, if the ring holds it.
    pub fn get(&self, id: &KeyId) -> Option<&OrgKey> {
        self.keys.iter().find(|k| &k.id == id)
    }

    /// All keys, sealing key included.
    pub fn keys(&self) -> &[OrgKey] {
        &self.keys
    }

    /// The message for `error` when this ring is the policy at hand: for an
    /// unknown key it lists the keys the policy does hold (labels and ids) and
    /// says that IT must add the missing one; other errors keep their message.
    pub fn explain(&self, error: &crate::Error) -> String {
        match error {
            crate::Error::UnknownKey { key_id } => {
                let held: Vec<String> = self.keys.iter().map(|k| format!("\"{}\" ({})", k.label, k.id)).collect();
                format!(
                    "sealed with key {key_id}, which this policy does not hold (it holds {}): \
                     ask IT to add the key with id {key_id} to the policy (an older key dropped at rotation \
                     must be restored to open files sealed with it)",
                    held.join(", ")
                )
            }
            other => other.to_string(),
        }
    }
}
