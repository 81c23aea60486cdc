//! Policy v1: a valid policy loads; every broken rule is reported with the
//! member and entry, never the secret.

use orgseal_core::{OrgKey, Policy, policy::check};
use serde_json::json;

fn secret() -> String {
    OrgKey::generate("x").to_base64url().to_string()
}

fn valid() -> serde_json::Value {
    json!({
        "keys": [
            {"label": "2026-q4", "secret": secret(), "encrypt": true},
            {"label": "2026-q3", "secret": secret(), "encrypt": false}
        ],
        "sites": [{"origin": "https://files.example.com", "upload": ["/api/files", "/upload"],
                   "download": ["/api/files/*/content"], "sealNames": false}],
        "failClosed": true
    })
}

#[test]
fn valid_policy_loads() {
    let p = Policy::from_value(&valid()).unwrap();
    assert_eq!(p.ring.encrypt_key().label(), "2026-q4");
    assert_eq!(p.ring.keys().len(), 2);
    let site = p.site("https://files.example.com").unwrap();
    assert!(site.download[0].matches("/api/files/abc123/content"));
    assert!(site.download[0].matches("/api/files/abc123/content?x=1"));
    assert!(!site.download[0].matches("/api/files//content"));
    assert!(!site.download[0].matches("/api/files/a/b/content"));
    assert!(site.upload[0].matches("/api/files"));
    assert!(!site.upload[0].matches("/api/files/1"));
    assert!(p.fail_closed);
}

#[test]
fn malformed_secret_names_the_label_not_the_secret() {
    let mut v = valid();
    let bad = "abc+/def";
    v["keys"][1]["secret"] = json!(bad);
    let problems = Policy::from_value(&v).unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = problems[0].to_string();
    assert!(text.contains("\"2026-q3\"") && text.contains("secret"), "{text}");
    assert!(!text.contains(bad));
    // Sites are still known, so they can be treated as fail-closed.
    assert_eq!(check(&v).sites.len(), 1);
}

#[test]
fn every_problem_is_reported() {
    let v = json!({
        "keys": [
            {"label": "a", "secret": secret(), "encrypt": false},
            {"label": "a", "secret": secret() + "=", "encrypt": "yes"}
        ],
        "sites": [{"origin": "files.example.com/", "upload": ["api"], "download": []}],
        "failClosed": "no"
    });
    let problems: Vec<String> = Policy::from_value(&v).unwrap_err().iter().map(|p| p.to_string()).collect();
    let all = problems.join("\n");
    for needle in [
        "label: is used by another",
        ".encrypt",
        ".secret",
        "exactly one key",
        "sites[0].origin",
        "sites[0].upload[0]",
        "failClosed",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
}

#[test]
fn not_an_object_and_empty_keys_fail() {
    assert!(Policy::from_json("[]").is_err());
    assert!(Policy::from_json("{").is_err());
    assert!(Policy::from_value(&json!({"keys": [], "sites": []})).is_err());
    assert!(Policy::from_value(&json!({"sites": []})).is_err());
}

#[test]
fn a_written_document_reads_back_and_never_prints_its_secret() {
    use orgseal_core::policy::{KeyEntry, PolicyDocument, SiteEntry};
    let key = OrgKey::generate("2026-q4");
    let doc = PolicyDocument {
        keys: vec![KeyEntry::new(&key, true)],
        sites: vec![SiteEntry {
            origin: "https://files.example.com".into(),
            upload: vec!["/upload".into()],
            download: vec!["/f/*".into()],
            seal_names: true,
        }],
        fail_closed: true,
    };
    let json = serde_json::to_value(&doc).unwrap();
    assert_eq!(json["sites"][0]["sealNames"], true);
    assert_eq!(json["failClosed"], true);
    let policy = Policy::from_value(&json).unwrap();
    assert_eq!(policy.ring.encrypt_key().id(), key.id());
    assert!(!format!("{doc:?}").contains(key.to_base64url().as_str()));
    let back: PolicyDocument = serde_json::from_value(json).unwrap();
    assert_eq!(back, doc);
}
