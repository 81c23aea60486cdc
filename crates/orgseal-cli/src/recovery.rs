//! Break-glass recovery of org keys (docs/RECOVERY.md): `key split` into N
//! shares of which any K rebuild the key (Shamir's scheme over GF(256), from
//! the `blahaj` crate), `key combine`, and a passphrase-wrapped escrow file in
//! the age format (`key export --passphrase`, `key import`), which other age
//! tools open too.

use crate::policy_cmd::{load_policy, policy_json, read_policy_text};
use crate::{Failure, files};
use age::secrecy::SecretString;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orgseal_core::policy::{KeyEntry, PolicyDocument};
use orgseal_core::{OrgKey, Policy};
use sha2::{Digest, Sha256};
use std::path::Path;
use zeroize::Zeroizing;

/// What every share line starts with.
pub(crate) const SHARE_TAG: &str = "orgseal-share-v1";

/// One share, as written on its sheet:
/// `orgseal-share-v1:K:N:INDEX:KEY_ID:LABEL:SHARE:CHECK`, where LABEL is the
/// key's label and SHARE the share's 33 bytes (its x, then 32 bytes of y),
/// both base64url, and CHECK the first 4 bytes of SHA-256 over everything
/// before it, in hex: a mistyped character is caught before anything is
/// combined.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Share {
    pub(crate) k: u8,
    pub(crate) n: u8,
    pub(crate) index: u8,
    pub(crate) key_id: String,
    pub(crate) label: String,
    bytes: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Share({} of {}, {} of key {})", self.index, self.n, self.k, self.key_id)
    }
}

fn check_of(body: &str) -> String {
    hex::encode(&Sha256::digest(body.as_bytes())[..4])
}

impl Share {
    /// The share's line.
    pub(crate) fn line(&self) -> Zeroizing<String> {
        let body = format!(
            "{SHARE_TAG}:{}:{}:{}:{}:{}:{}",
            self.k,
            self.n,
            self.index,
            self.key_id,
            URL_SAFE_NO_PAD.encode(self.label.as_bytes()),
            URL_SAFE_NO_PAD.encode(&*self.bytes)
        );
        Zeroizing::new(format!("{body}:{}", check_of(&body)))
    }

    /// Reads a share line (white space anywhere in it is ignored: a line
    /// copied from paper in groups reads the same). The error says what is
    /// wrong, never the share.
    pub(crate) fn parse(text: &str) -> Result<Share, String> {
        let line: Zeroizing<String> = Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
        let Some((body, check)) = line.rsplit_once(':') else {
            return Err("it is not an OrgSeal share line (orgseal-share-v1:…)".into());
        };
        let fields: Vec<&str> = body.split(':').collect();
        if fields.len() != 7 || fields[0] != SHARE_TAG {
            return Err("it is not an OrgSeal share line (orgseal-share-v1: and seven fields)".into());
        }
        if !check.eq_ignore_ascii_case(&check_of(body)) {
            return Err(
                "its checksum does not match: a character is mistyped or missing; compare it with its sheet".into()
            );
        }
        let num = |s: &str, what: &str| {
            s.parse::<u8>().map_err(|_| format!("its {what} ({s}) is not a number from 1 to 255"))
        };
        let (k, n, index) = (num(fields[1], "threshold")?, num(fields[2], "share count")?, num(fields[3], "index")?);
        if k < 2 || k > n || index == 0 || index > n {
            return Err(format!("its numbers do not fit: share {index} of {n}, any {k} rebuild"));
        }
        let label = URL_SAFE_NO_PAD
            .decode(fields[5])
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or("its key label is not readable")?;
        let bytes =
            Zeroizing::new(URL_SAFE_NO_PAD.decode(fields[6]).map_err(|_| "its share is not readable base64url")?);
        if bytes.len() != 33 || bytes[0] != index {
            return Err("its share does not have the length or index it should".into());
        }
        Ok(Share { k, n, index, key_id: fields[4].to_ascii_lowercase(), label, bytes })
    }
}

/// Splits `key` into `n` shares of which any `k` rebuild it.
pub(crate) fn split(key: &OrgKey, k: u8, n: u8) -> Result<Vec<Share>, Failure> {
    if k < 2 || k > n {
        return Err(Failure::Usage(format!(
            "--threshold {k} with --shares {n}: the threshold must be at least 2 and at most the number of shares"
        )));
    }
    let secret = Zeroizing::new(URL_SAFE_NO_PAD.decode(key.to_base64url().as_bytes()).expect("a key's own encoding"));
    let dealer = blahaj::Sharks(k).dealer(&secret);
    Ok(dealer
        .take(n as usize)
        .map(|s| {
            let bytes = Zeroizing::new(Vec::<u8>::from(&s));
            Share { k, n, index: bytes[0], key_id: key.id().to_string(), label: key.label().to_string(), bytes }
        })
        .collect())
}

/// Rebuilds the key from shares, checking everything first: the shares are
/// of one split, none twice, at least K of them, and what they rebuild has
/// the key id they record. Errors name the share (by its index and where it
/// came from).
pub(crate) fn combine(shares: &[(String, Share)]) -> Result<OrgKey, Failure> {
    let Some((_, first)) = shares.first() else {
        return Err(Failure::Usage(
            "no share given: name the share files, or paste the shares on standard input".into(),
        ));
    };
    for (from, s) in shares {
        if (s.key_id.as_str(), s.k, s.n) != (first.key_id.as_str(), first.k, first.n) {
            return Err(Failure::Refused(format!(
                "share {} ({from}) is from another split: key id {} ({} of {}), where share {} is of key id {} ({} of {}); \
                 give shares of one key only",
                s.index, s.key_id, s.k, s.n, first.index, first.key_id, first.k, first.n
            )));
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for (from, s) in shares {
        if let Some(other) = seen.insert(s.index, from) {
            return Err(Failure::Usage(format!(
                "share {} is given twice ({other} and {from}); give each share once",
                s.index
            )));
        }
    }
    let given: Vec<String> = seen.keys().map(u8::to_string).collect();
    if shares.len() < first.k as usize {
        return Err(Failure::Refused(format!(
            "{} shares are needed to rebuild key \"{}\" ({}); only {} given (share {}): find {} more of the {} share holders",
            first.k,
            first.label,
            first.key_id,
            shares.len(),
            given.join(", "),
            first.k as usize - shares.len(),
            first.n
        )));
    }
    let parsed: Vec<blahaj::Share> =
        shares.iter().map(|(_, s)| blahaj::Share::try_from(&s.bytes[..]).expect("33 bytes read")).collect();
    let secret = Zeroizing::new(
        blahaj::Sharks(first.k)
            .recover(&parsed)
            .map_err(|e| Failure::Refused(format!("the shares do not combine: {e}")))?,
    );
    let bytes: [u8; 32] =
        secret[..].try_into().map_err(|_| Failure::Refused("the shares do not combine to a key".into()))?;
    let key = OrgKey::from_bytes(first.label.clone(), bytes);
    if key.id().to_string() != first.key_id {
        return Err(Failure::Refused(format!(
            "shares {} do not rebuild key id {}: one of them was changed in a way its checksum did not catch, or \
             made by another split of the same key; try another set of {} shares",
            given.join(", "),
            first.key_id,
            first.k
        )));
    }
    Ok(key)
}

/// The sheet of one share, for paper: what it is, who may use it, the line.
pub(crate) fn sheet(s: &Share) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "OrgSeal recovery share {index} of {n}\n\
         \n\
         Key \"{label}\", key id {id}.\n\
         Any {k} of the {n} shares rebuild this key; fewer reveal nothing about it.\n\
         Keep this sheet apart from the other shares, and never photograph or scan it\n\
         except into the place docs/RECOVERY.md names. To rebuild the key:\n\
         orgseal key combine SHARE-FILES... -o policy.json\n\
         (or paste the share lines on standard input).\n\
         \n\
         {line}\n",
        index = s.index,
        n = s.n,
        k = s.k,
        label = s.label,
        id = s.key_id,
        line = s.line().as_str()
    ))
}

/// The QR code of a share line, as SVG.
pub(crate) fn qr_svg(s: &Share) -> Result<Zeroizing<String>, Failure> {
    let code = qrcode::QrCode::with_error_correction_level(s.line().as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Failure::Usage(format!("the share does not fit a QR code: {e}")))?;
    Ok(Zeroizing::new(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(320, 320).build()))
}

/// The key of `policy` named `label`, or its sealing key.
fn pick_key(policy: &Policy, label: Option<&str>) -> Result<OrgKey, Failure> {
    let copy = |k: &OrgKey| OrgKey::from_base64url(k.label(), &k.to_base64url()).expect("a key's own encoding");
    match label {
        None => Ok(copy(policy.ring.encrypt_key())),
        Some(l) => policy.ring.keys().iter().find(|k| k.label() == l).map(copy).ok_or_else(|| {
            let labels: Vec<String> = policy.ring.keys().iter().map(|k| format!("\"{}\"", k.label())).collect();
            Failure::Usage(format!("the policy has no key labelled \"{l}\" (it has {})", labels.join(", ")))
        }),
    }
}

/// `orgseal key split`.
pub(crate) fn split_cmd(policy: &Path, label: Option<&str>, n: u8, k: u8, dir: &Path) -> Result<(), Failure> {
    let key = pick_key(&load_policy(policy)?, label)?;
    let shares = split(&key, k, n)?;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(Failure::Usage(format!(
            "{} is not empty: give a new or empty folder for the shares",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)?;
    for s in &shares {
        let stem = format!("share-{}-of-{}", s.index, s.n);
        files::write_new(&dir.join(format!("{stem}.txt")), sheet(s).as_bytes(), false, true)?;
        files::write_new(&dir.join(format!("{stem}.svg")), qr_svg(s)?.as_bytes(), false, true)?;
    }
    println!(
        "wrote {n} shares of key \"{}\" ({}) to {}: any {k} rebuild it (share-I-of-{n}.txt to print, share-I-of-{n}.svg its QR code)",
        key.label(),
        key.id(),
        dir.display()
    );
    println!("give each share to its own holder, then delete the folder (docs/RECOVERY.md)");
    Ok(())
}

/// Every share line in `text` (lines that start with the share tag).
fn shares_in(text: &str, from: &str) -> Result<Vec<(String, Share)>, Failure> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // (A line typed from paper may hold spaces anywhere, the tag's too.)
        let t: Zeroizing<String> = Zeroizing::new(line.chars().filter(|c| !c.is_whitespace()).collect());
        if !t.to_ascii_lowercase().starts_with(SHARE_TAG) {
            continue;
        }
        let place = format!("{from}, line {}", i + 1);
        let share =
            Share::parse(&t).map_err(|why| Failure::Refused(format!("the share at {place} is refused: {why}")))?;
        out.push((place, share));
    }
    Ok(out)
}

/// `orgseal key combine`.
pub(crate) fn combine_cmd(inputs: &[std::path::PathBuf], output: &Path, force: bool) -> Result<(), Failure> {
    let mut shares = Vec::new();
    if inputs.is_empty() || inputs.iter().any(|p| p.as_os_str() == "-") {
        let mut text = Zeroizing::new(String::new());
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        shares.extend(shares_in(&text, "standard input")?);
    }
    for p in inputs.iter().filter(|p| p.as_os_str() != "-") {
        let text =
            Zeroizing::new(std::fs::read_to_string(p).map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?);
        let found = shares_in(&text, &p.display().to_string())?;
        if found.is_empty() {
            return Err(Failure::Refused(format!("{} holds no share line ({SHARE_TAG}:…)", p.display())));
        }
        shares.extend(found);
    }
    let key = combine(&shares)?;
    let doc = PolicyDocument { keys: vec![KeyEntry::new(&key, true)], sites: vec![], fail_closed: true };
    files::write_new(output, policy_json(&doc)?.as_bytes(), force, true)?;
    let used: Vec<String> = shares.iter().map(|(_, s)| s.index.to_string()).collect();
    println!(
        "rebuilt key \"{}\" ({}) from shares {}; wrote {} (mode 0600): add its sites, or copy the key into the policy it belongs to",
        key.label(),
        key.id(),
        used.join(", "),
        output.display()
    );
    Ok(())
}

/// The passphrase: from `ORGSEAL_PASSPHRASE`, or typed at the terminal
/// (twice when it protects something new).
fn passphrase(confirm: bool) -> Result<SecretString, Failure> {
    if let Ok(p) = std::env::var("ORGSEAL_PASSPHRASE") {
        return checked(p);
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|_| {
            Failure::Usage(
                "no passphrase: type it at the prompt (run this in a terminal) or set ORGSEAL_PASSPHRASE".into(),
            )
        })
    };
    let first = Zeroizing::new(ask("passphrase: ")?);
    if confirm {
        let again = Zeroizing::new(ask("the same passphrase again: ")?);
        if *first != *again {
            return Err(Failure::Usage("the two passphrases differ; nothing was written".into()));
        }
    }
    checked(first.to_string())
}

fn checked(p: String) -> Result<SecretString, Failure> {
    if p.chars().count() < 12 {
        return Err(Failure::Usage("the passphrase must have at least 12 characters (a few words are best)".into()));
    }
    Ok(SecretString::from(p))
}

/// `orgseal key export --passphrase`: the policy (or one key of it) in an
/// age file wrapped under a passphrase (scrypt), ASCII-armored for paper or
/// email alike.
pub(crate) fn export_cmd(policy_path: &Path, label: Option<&str>, output: &Path, force: bool) -> Result<(), Failure> {
    let policy = load_policy(policy_path)?;
    let text = match label {
        None => Zeroizing::new(read_policy_text(policy_path)?),
        Some(_) => {
            let key = pick_key(&policy, label)?;
            Zeroizing::new(policy_json(&PolicyDocument {
                keys: vec![KeyEntry::new(&key, true)],
                sites: vec![],
                fail_closed: true,
            })?)
        }
    };
    let pass = passphrase(true)?;
    let recipient = age::scrypt::Recipient::new(pass);
    let armored = age::encrypt_and_armor(&recipient, text.as_bytes())
        .map_err(|e| Failure::Usage(format!("the escrow file could not be written: {e}")))?;
    files::write_new(output, armored.as_bytes(), force, true)?;
    let ids: Vec<String> = match label {
        None => policy.ring.keys().iter().map(|k| format!("\"{}\" ({})", k.label(), k.id())).collect(),
        Some(_) => {
            let key = pick_key(&policy, label)?;
            vec![format!("\"{}\" ({})", key.label(), key.id())]
        }
    };
    println!(
        "wrote {} (age, passphrase-protected; mode 0600) holding key {}; open it with `orgseal key import` or `age -d`",
        output.display(),
        ids.join(", ")
    );
    Ok(())
}

/// `orgseal key import`: the policy back out of an escrow file; it is
/// checked before anything is written.
pub(crate) fn import_cmd(input: &Path, output: &Path, force: bool) -> Result<(), Failure> {
    let armored = std::fs::read(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
    let identity = age::scrypt::Identity::new(passphrase(false)?);
    let text = Zeroizing::new(age::decrypt(&identity, &armored).map_err(|e| match e {
        age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
            Failure::Refused(format!("the passphrase does not open {}", input.display()))
        }
        other => Failure::Refused(format!("{} is not an OrgSeal escrow file ({other})", input.display())),
    })?);
    let text = std::str::from_utf8(&text)
        .map_err(|_| Failure::Refused(format!("{} does not hold a policy", input.display())))?;
    let policy = Policy::from_json(text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Failure::Refused(format!("{} holds a policy that is not valid: {}", input.display(), lines.join("; ")))
    })?;
    files::write_new(output, text.as_bytes(), force, true)?;
    let ids: Vec<String> = policy.ring.keys().iter().map(|k| format!("\"{}\" ({})", k.label(), k.id())).collect();
    println!("wrote {} (mode 0600) holding key {}", output.display(), ids.join(", "));
    Ok(())
}
