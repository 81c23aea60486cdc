//! The managed configuration (policy v1): keys, sites, failClosed.
//!
//! [`Policy::from_json`] checks every rule of the contract and reports every
//! problem it finds, each naming the member and the entry (by label, never by
//! secret). A policy with any problem is refused whole: callers then seal and
//! open nothing and treat the sites it names as fail-closed ([`Report::sites`]
//! keeps the site entries that could be read, for exactly that).

use crate::keyring::{KeyRing, OrgKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The policy document as IT writes it (serde form, camelCase as in the spec).
/// Reading goes through [`check`], which reports every broken rule; this type
/// is for writing policies (key generation, rotation, rendering).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDocument {
    /// The keys; exactly one has `encrypt: true`.
    pub keys: Vec<KeyEntry>,
    /// The configured sites.
    pub sites: Vec<SiteEntry>,
    /// Refuse to send files that cannot be sealed (default true).
    #[serde(default = "yes")]
    pub fail_closed: bool,
}

fn yes() -> bool {
    true
}

/// A key entry. The secret is wiped on drop and never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyEntry {
    /// 1-64 printable characters, unique in the policy.
    pub label: String,
    /// 43 characters of base64url without padding.
    pub secret: zeroize::Zeroizing<String>,
    /// Whether new files are sealed with this key.
    pub encrypt: bool,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("label", &self.label)
            .field("secret", &"<redacted>")
            .field("encrypt", &self.encrypt)
            .finish()
    }
}

impl KeyEntry {
    /// The entry for a key.
    pub fn new(key: &OrgKey, encrypt: bool) -> Self {
        KeyEntry { label: key.label().to_string(), secret: key.to_base64url(), encrypt }
    }
}

/// A site entry as written in the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteEntry {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// Upload endpoint path patterns.
    pub upload: Vec<String>,
    /// Download endpoint path patterns.
    pub download: Vec<String>,
    /// Hide the original file name from the site.
    #[serde(default)]
    pub seal_names: bool,
}

/// A site entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `scheme://host[:port]`, matched exactly.
    pub origin: String,
    /// Upload endpoint path patterns.
    pub upload: Vec<PathPattern>,
    /// Download endpoint path patterns.
    pub download: Vec<PathPattern>,
    /// Hide the original file name from the site.
    pub seal_names: bool,
}

/// A path pattern: `*` matches one or more characters other than `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPattern(String);

impl PathPattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `path` (query string already removed, or ignored here) matches.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.split(['?', '#']).next().unwrap_or("");
        glob(self.0.as_bytes(), path.as_bytes())
    }
}

fn glob(pattern: &[u8], path: &[u8]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((b'*', rest)) => {
            // One or more characters, none of them '/'.
            let run = path.iter().take_while(|&&c| c != b'/').count();
            (1..=run).any(|n| glob(rest, &path[n..]))
        }
        Some((&c, rest)) => path.first() == Some(&c) && glob(rest, &path[1..]),
    }
}

/// One problem with a policy, for an IT admin to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where: `keys[1] "2026-q3".secret`, `sites[0].origin`, `failClosed`.
    pub member: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.member, self.message)
    }
}

/// A valid policy.
#[derive(Debug)]
pub struct Policy {
    /// The keys.
    pub ring: KeyRing,
    /// The configured sites.
    pub sites: Vec<Site>,
    /// Refuse to send files that cannot be sealed.
    pub fail_closed: bool,
}

/// Everything read from a policy, valid or not.
#[derive(Debug)]
pub struct Report {
    /// Every rule the policy breaks; empty when valid.
    pub problems: Vec<Problem>,
    /// The policy, when there are no problems.
    pub policy: Option<Policy>,
    /// Site entries that could be read (also when the policy is invalid).
    pub sites: Vec<Site>,
    /// Labels of the key entries, in order (for status displays).
    pub key_labels: Vec<String>,
}

const MAX_KEYS: usize = 64;

impl Policy {
    /// Parses and checks a policy from JSON text.
    pub fn from_json(text: &str) -> Result<Policy, Vec<Problem>> {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => Self::from_value(&v),
            Err(e) => Err(vec![Problem { member: "policy".into(), message: format!("is not valid JSON: {e}") }]),
        }
    }

    /// Parses and checks a policy from a JSON value.
    pub fn from_value(value: &Value) -> Result<Policy, Vec<Problem>> {
        let report = check(value);
        report.policy.ok_or(report.problems)
    }

    /// The site entry for an origin.
    pub fn site(&self, origin: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.origin == origin)
    }
}

/// Reads a policy value, collecting every problem.
pub fn check(value: &Value) -> Report {
    let mut problems = Vec::new();
    let mut p = |member: String, message: String| problems.push(Problem { member, message });
    let Some(obj) = value.as_object() else {
        p("policy".into(), "must be a JSON object with members keys, sites and failClosed".into());
        return Report { problems, policy: None, sites: vec![], key_labels: vec![] };
    };
    // Unknown members are ignored, as Chrome drops members not in the schema.

    // keys
    let mut keys = Vec::new();
    let mut key_labels = Vec::new();
    let mut encrypt_entries = Vec::new();
    match obj.get("keys") {
        None => p("keys".into(), "is missing: a policy needs at least one key".into()),
        Some(Value::Array(entries)) => {
            if entries.is_empty() || entries.len() > MAX_KEYS {
                p("keys".into(), format!("must hold 1 to {MAX_KEYS} keys; it holds {}", entries.len()));
            }
            for (i, entry) in entries.iter().enumerate() {
                let Some(e) = entry.as_object() else {
                    p(format!("keys[{i}]"), "must be an object with label, secret and encrypt".into());
                    continue;
                };
                let label = e.get("label").and_then(Value::as_str);
                let name = match label {
                    Some(l) => format!("keys[{i}] \"{}\"", printable(l)),
                    None => format!("keys[{i}]"),
                };
                match label {
                    None => p(format!("{name}.label"), "is missing or not a string".into()),
                    Some(l) => {
                        let n = l.chars().count();
                        if n == 0 || n > 64 || l.chars().any(char::is_control) {
                            p(format!("{name}.label"), "must be 1 to 64 printable characters".into());
                        } else if key_labels.iter().any(|x| x == l) {
                            p(format!("{name}.label"), "is used by another key: labels must be unique".into());
                        }
                        key_labels.push(l.to_string());
                    }
                }
                match e.get("encrypt") {
                    Some(Value::Bool(true)) => encrypt_entries.push(i),
                    Some(Value::Bool(false)) => {}
                    _ => p(format!("{name}.encrypt"), "is missing or not true/false".into()),
                }
                match e.get("secret") {
                    Some(Value::String(s)) => match OrgKey::from_base64url(label.unwrap_or(""), s) {
                        Ok(k) => keys.push((i, k)),
                        Err(err) => p(format!("{name}.secret"), err.to_string()),
                    },
                    _ => p(format!("{name}.secret"), "is missing or not a string".into()),
                }
            }
            if !entries.is_empty() && encrypt_entries.len() != 1 {
                p(
                    "keys".into(),
                    format!(
                        "exactly one key must have \"encrypt\": true (the key new files are sealed with); {} do",
                        encrypt_entries.len()
                    ),
                );
            }
            for (a, (_, ka)) in keys.iter().enumerate() {
                if keys[..a].iter().any(|(_, kb)| kb.id() == ka.id()) {
                    p(format!("keys \"{}\"", printable(ka.label())), "repeats the secret of another key".into());
                }
            }
        }
        Some(_) => p("keys".into(), "must be an array of keys".into()),
    }

    // sites
    let mut sites = Vec::new();
    match obj.get("sites") {
        None => p("sites".into(), "is missing: use [] for no sites".into()),
        Some(Value::Array(entries)) => {
            for (i, entry) in entries.iter().enumerate() {
                if let Some(site) = check_site(i, entry, &mut p) {
                    if sites.iter().any(|s: &Site| s.origin == site.origin) {
                        p(format!("sites[{i}].origin"), format!("{} is listed twice", site.origin));
                    }
                    sites.push(site);
                }
            }
        }
        Some(_) => p("sites".into(), "must be an array of sites".into()),
    }

    let fail_closed = match obj.get("failClosed") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            p("failClosed".into(), "must be true or false".into());
            true
        }
    };

    let policy = if problems.is_empty() {
        let encrypt = keys.iter().position(|(i, _)| *i == encrypt_entries[0]).expect("encrypt key parsed");
        let ring = KeyRing::new(keys.into_iter().map(|(_, k)| k).collect(), encrypt);
        Some(Policy { ring, sites: sites.clone(), fail_closed })
    } else {
        None
    };
    Report { problems, policy, sites, key_labels }
}

fn check_site(i: usize, entry: &Value, p: &mut impl FnMut(String, String)) -> Option<Site> {
    let Some(e) = entry.as_object() else {
        p(format!("sites[{i}]"), "must be an object with origin, upload, download".into());
        return None;
    };
    let origin = match e.get("origin").and_then(Value::as_str) {
        Some(o) => match check_origin(o) {
            Ok(()) => Some(o.to_string()),
            Err(msg) => {
                p(format!("sites[{i}].origin"), msg);
                None
            }
        },
        None => {
            p(format!("sites[{i}].origin"), "is missing or not a string".into());
            None
        }
    };
    let upload = patterns(i, "upload", e, p);
    let download = patterns(i, "download", e, p);
    let seal_names = match e.get("sealNames") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            p(format!("sites[{i}].sealNames"), "must be true or false".into());
            false
        }
    };
    Some(Site { origin: origin?, upload, download, seal_names })
}

fn patterns(i: usize, member: &str, e: &Map<String, Value>, p: &mut impl FnMut(String, String)) -> Vec<PathPattern> {
    let mut out = Vec::new();
    match e.get(member) {
        None => p(format!("sites[{i}].{member}"), "is missing: use [] for none".into()),
        Some(Value::Array(items)) => {
            for (j, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) if s.starts_with('/') && !s.contains(['?', '#', ' ']) && !s.contains("**") => {
                        out.push(PathPattern(s.to_string()))
                    }
                    _ => p(
                        format!("sites[{i}].{member}[{j}]"),
                        "must be a path starting with '/', without query, spaces or '**'".into(),
                    ),
                }
            }
        }
        Some(_) => p(format!("sites[{i}].{member}"), "must be an array of path patterns".into()),
    }
    out
}

fn check_origin(o: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "\"{}\" is not an origin: write scheme://host[:port], e.g. https://files.example.com",
            printable(o)
        ))
    };
    let Some((scheme, rest)) = o.split_once("://") else { return bad() };
    if scheme != "https" && scheme != "http" {
        return bad();
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(port)),
        _ => (rest, None),
    };
    if host.is_empty()
        || host.contains(['/', '?', '#', '@', ' '])
        || host.chars().any(|c| c.is_ascii_uppercase())
        || port.is_some_and(|p| p.parse::<u16>().is_err())
    {
        return bad();
    }
    Ok(())
}

/// Quotes a user string safely for a message (control characters escaped).
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).take(80).collect()
}
