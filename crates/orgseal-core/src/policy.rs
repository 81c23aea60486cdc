//! The managed configuration (policy v1): keys, sites, failClosed.
//!
//! [`Policy::from_json`] checks every rule of the contract and reports every
//! problem it finds, each naming the member and the entry (by label, never by
//! secret). A policy with any problem is refused whole: callers then seal and
//! open nothing and treat the sites it names as fail-closed ([`Report::sites`]
//! keeps the site entries whose origin could be understood, for exactly that).
//!
//! Site origins are matched exactly against the page's origin as the browser
//! serialises it (`new URL(u).origin`), so a policy must write each origin in
//! that canonical form. One written otherwise (`https://Files.example.com:443/`)
//! is a problem naming the form to write, and its site is still kept under the
//! canonical origin so that it is blocked while the policy is invalid.

use crate::keyring::{KeyRing, OrgKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

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
    /// `scheme://host[:port]` in the browser's serialisation (lowercase,
    /// punycode host, no default port), matched exactly.
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
    /// Site entries whose origin could be understood (also when the policy is
    /// invalid), each under its canonical origin.
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

    /// The site entry for an origin as the browser serialises it
    /// (`new URL(u).origin`, e.g. `https://files.example.com`). The origin is
    /// compared in its canonical form, so `https://Files.example.com:443` finds
    /// the same site; anything that is not an origin (a path, a wildcard, another
    /// scheme) finds none.
    pub fn site(&self, origin: &str) -> Option<&Site> {
        let origin = match check_origin(origin) {
            Ok(canonical) | Err(OriginProblem::NotCanonical { canonical, .. }) => canonical,
            Err(OriginProblem::Unusable(_)) => return None,
        };
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
    // A member the contract does not name is a typo far more often than not
    // (`sealname`, `failclosed`), and a typo silently leaves a rule unset:
    // each one is a problem that names the member it most likely meant.
    // (Chromium drops such members before the extension sees them, so there
    // `orgseal policy check` is the place they are caught.)
    unknown_members("", obj, &["keys", "sites", "failClosed"], &mut p);

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
                unknown_members(&format!("{name}."), e, &["label", "secret", "encrypt"], &mut p);
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
            // The entry index of each site kept, to name the first of a duplicate.
            let mut kept_from = Vec::new();
            for (i, entry) in entries.iter().enumerate() {
                if let Some(site) = check_site(i, entry, &mut p) {
                    // Canonical origins, so differently written forms of one origin are caught.
                    if let Some(j) = sites.iter().position(|s: &Site| s.origin == site.origin) {
                        p(
                            format!("sites[{i}].origin"),
                            format!(
                                "is the same origin as sites[{}] (\"{}\"): keep one entry per origin",
                                kept_from[j], site.origin
                            ),
                        );
                    }
                    sites.push(site);
                    kept_from.push(i);
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
    unknown_members(&format!("sites[{i}]."), e, &["origin", "upload", "download", "sealNames"], p);
    let origin = match e.get("origin").and_then(Value::as_str) {
        Some(o) => match check_origin(o) {
            Ok(canonical) => Some(canonical),
            Err(OriginProblem::NotCanonical { canonical, message }) => {
                // Kept, so the site is blocked while the policy is invalid.
                p(format!("sites[{i}].origin"), message);
                Some(canonical)
            }
            Err(OriginProblem::Unusable(message)) => {
                p(format!("sites[{i}].origin"), message);
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

/// One problem for each member of `obj` that is not in `known`, naming the
/// known member it most likely meant (same letters in another case, or at
/// most two edits away).
fn unknown_members(at: &str, obj: &Map<String, Value>, known: &[&str], p: &mut impl FnMut(String, String)) {
    for name in obj.keys().filter(|n| !known.contains(&n.as_str())) {
        let guess = known
            .iter()
            .map(|k| (strsim::levenshtein(&name.to_lowercase(), &k.to_lowercase()), k))
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d);
        let listed = known.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ");
        let message = match guess {
            Some((_, k)) => format!("is not a policy member: did you mean \"{k}\"? (members here: {listed})"),
            None => format!("is not a policy member (members here: {listed}); remove it"),
        };
        p(format!("{at}{}", printable(name)), message);
    }
}

/// Why a written origin is not accepted as it stands.
enum OriginProblem {
    /// Understood, but not written as the browser serialises it: the site is
    /// still known, under `canonical`.
    NotCanonical { canonical: String, message: String },
    /// Not an origin a page could ever have: the site is not known.
    Unusable(String),
}

/// Reads a written origin with the WHATWG URL parser, as the browser does.
/// `Ok` holds it when it is already canonical: `new URL(o).origin` gives it
/// back unchanged (lowercase, punycode host, default port dropped).
fn check_origin(o: &str) -> Result<String, OriginProblem> {
    let unusable =
        |what: String| Err(OriginProblem::Unusable(format!("{what}; the site is not protected until this is fixed")));
    let url = match Url::parse(o) {
        Ok(url) => url,
        Err(e) => {
            return unusable(format!(
                "{} is not an origin ({e}): write scheme://host[:port], e.g. \"https://files.example.com\"",
                shown(o)
            ));
        }
    };
    let (Some(host), "https" | "http") = (url.host_str(), url.scheme()) else {
        return unusable(format!(
            "{} is not an http or https origin: write https://host[:port] or http://host[:port], \
             e.g. \"https://files.example.com\"",
            shown(o)
        ));
    };
    if host.contains('*') {
        return unusable(format!(
            "{} has a wildcard in the host: origins are matched exactly, so list each origin as its own site, \
             e.g. \"https://files.example.com\"",
            shown(o)
        ));
    }
    let canonical = url.origin().ascii_serialization();
    // The origin is known from here on: a problem keeps the site (blocked
    // while the policy is invalid) under its canonical origin.
    let kept = |what: String| Err(OriginProblem::NotCanonical { canonical: canonical.clone(), message: what });
    if !url.username().is_empty() || url.password().is_some() {
        return kept(format!("{} has a user name or password: write only the origin, \"{canonical}\"", shown(o)));
    }
    if url.path() != "/" {
        return kept(format!(
            "{} has a path: write only the origin, \"{canonical}\", and put paths in upload and download",
            shown(o)
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return kept(format!("{} has a query or fragment: write only the origin, \"{canonical}\"", shown(o)));
    }
    if canonical == o {
        return Ok(canonical);
    }
    let message = format!(
        "{} is not written canonically: write \"{canonical}\" (origins are matched exactly as the browser writes them)",
        shown(o)
    );
    Err(OriginProblem::NotCanonical { canonical, message })
}

/// A written origin quoted for a message: control characters escaped, and any
/// user name or password (before an `@` in the authority) replaced by `***`.
fn shown(o: &str) -> String {
    let start = o.find("://").map_or(0, |i| i + 3);
    let end = o[start..].find(['/', '\\', '?', '#']).map_or(o.len(), |i| start + i);
    let redacted = match o[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &o[..start], &o[start + at..]),
        None => o.to_string(),
    };
    format!("\"{}\"", printable(&redacted))
}

/// Quotes a user string safely for a message (control characters escaped).
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).take(80).collect()
}
