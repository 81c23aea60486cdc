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

/// `valid()` with its one site's origin written as `origin`.
fn with_origin(origin: &str) -> serde_json::Value {
    let mut v = valid();
    v["sites"][0]["origin"] = json!(origin);
    v
}

#[test]
fn a_non_canonical_origin_names_the_canonical_form_and_keeps_the_site_blocked() {
    for (written, canonical) in [
        ("https://Files.Example.COM", "https://files.example.com"),
        ("HTTPS://files.example.com", "https://files.example.com"),
        ("https://files.example.com:443", "https://files.example.com"),
        ("http://files.example.com:80", "http://files.example.com"),
        ("http://127.0.0.1:080", "http://127.0.0.1"),
        ("https://files.example.com/", "https://files.example.com"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("https://files.example.com:08443", "https://files.example.com:8443"),
        ("https://[0:0::1]:8443", "https://[::1]:8443"),
    ] {
        let report = check(&with_origin(written));
        assert!(report.policy.is_none(), "{written} must make the policy invalid");
        assert_eq!(report.problems.len(), 1, "{written}: {:?}", report.problems);
        let problem = &report.problems[0];
        assert_eq!(problem.member, "sites[0].origin", "{written}");
        assert!(
            problem.message.contains("is not written canonically")
                && problem.message.contains(&format!("write \"{canonical}\"")),
            "{written}: {}",
            problem.message
        );
        // The site stays known under the origin the browser reports, so the
        // extension blocks it while the policy is invalid.
        assert_eq!(report.sites.len(), 1, "{written}");
        assert_eq!(report.sites[0].origin, canonical, "{written}");
        assert_eq!(report.sites[0].upload.len(), 2, "{written}");
        assert_eq!(report.sites[0].download.len(), 1, "{written}");
    }
}

#[test]
fn the_canonical_form_message_in_full() {
    let report = check(&with_origin("https://Files.example.com:443/"));
    assert_eq!(
        report.problems[0].to_string(),
        "sites[0].origin: \"https://Files.example.com:443/\" is not written canonically: \
         write \"https://files.example.com\" (origins are matched exactly as the browser writes them)"
    );
}

#[test]
fn an_origin_that_is_not_one_is_reported_and_its_site_is_not_guessed() {
    for (written, what) in [
        ("https://*.example.com", "has a wildcard in the host"),
        ("https://files*.example.com", "has a wildcard in the host"),
        ("https://%2A.example.com", "has a wildcard in the host"),
        ("ftp://files.example.com", "is not an http or https origin"),
        ("file:///srv/files", "is not an http or https origin"),
        ("data:text/plain,x", "is not an http or https origin"),
        ("files.example.com", "is not an origin (relative URL without a base)"),
        ("not an origin", "is not an origin"),
        ("", "is not an origin"),
        ("https://", "is not an origin"),
        ("https://files.example.com:65536", "is not an origin (invalid port number)"),
        ("https://files.example.com:-1", "is not an origin"),
        ("https://[::1", "is not an origin"),
    ] {
        let report = check(&with_origin(written));
        assert!(report.policy.is_none(), "{written:?} must make the policy invalid");
        assert_eq!(report.problems.len(), 1, "{written:?}: {:?}", report.problems);
        let problem = &report.problems[0];
        assert_eq!(problem.member, "sites[0].origin", "{written:?}");
        assert!(problem.message.contains(what), "{written:?}: {}", problem.message);
        assert!(
            problem.message.ends_with("; the site is not protected until this is fixed"),
            "{written:?}: {}",
            problem.message
        );
        assert!(report.sites.is_empty(), "{written:?} must not become a site: {:?}", report.sites);
    }
}

#[test]
fn an_origin_with_more_than_an_origin_is_reported_and_its_site_kept_blocked() {
    for (written, what, origin) in [
        (
            "https://files.example.com/path",
            "has a path: write only the origin, \"https://files.example.com\"",
            "https://files.example.com",
        ),
        ("https://files.example.com//", "has a path", "https://files.example.com"),
        ("https://files.example.com?x=1", "has a query or fragment", "https://files.example.com"),
        ("https://files.example.com/?", "has a query or fragment", "https://files.example.com"),
        ("https://files.example.com#top", "has a query or fragment", "https://files.example.com"),
        ("https://files.example.com@other.example.com", "has a user name or password", "https://other.example.com"),
    ] {
        let report = check(&with_origin(written));
        assert!(report.policy.is_none(), "{written:?} must make the policy invalid");
        assert_eq!(report.problems.len(), 1, "{written:?}: {:?}", report.problems);
        assert!(report.problems[0].message.contains(what), "{written:?}: {}", report.problems[0].message);
        let origins: Vec<_> = report.sites.iter().map(|s| s.origin.as_str()).collect();
        assert_eq!(origins, [origin], "{written:?}: the site must stay known, to be blocked");
    }
}

#[test]
fn a_password_in_an_origin_is_never_repeated() {
    for written in [
        "https://admin:hunter2@files.example.com",
        "https://admin:hunter2@files.example.com:99999",
        "https:admin:hunter2@files.example.com/x",
    ] {
        let report = check(&with_origin(written));
        let text = report.problems[0].to_string();
        assert!(!text.contains("hunter2") && !text.contains("admin"), "{text}");
        assert!(text.contains("***@files.example.com"), "{text}");
    }
}

#[test]
fn canonical_origins_pass_unchanged() {
    for origin in [
        "http://127.0.0.1:8080",
        "https://[::1]:8443",
        "https://xn--bcher-kva.example",
        "https://files.example.com:8443",
        "https://files.example.com:80",
        "http://localhost",
    ] {
        let policy = Policy::from_value(&with_origin(origin)).unwrap_or_else(|p| panic!("{origin}: {p:?}"));
        assert_eq!(policy.sites[0].origin, origin);
        assert!(policy.site(origin).is_some(), "{origin}");
    }
}

#[test]
fn site_looks_an_origin_up_in_its_canonical_form() {
    let p = Policy::from_value(&valid()).unwrap();
    for found in [
        "https://files.example.com",
        "https://Files.Example.com:443",
        "https://files.example.com/",
        "https://files.example.com/api/files",
    ] {
        assert_eq!(p.site(found).map(|s| s.origin.as_str()), Some("https://files.example.com"), "{found}");
    }
    for not_found in [
        "http://files.example.com",
        "https://files.example.com:8443",
        "https://other.example.com",
        "https://*.example.com",
        "files.example.com",
    ] {
        assert!(p.site(not_found).is_none(), "{not_found}");
    }
}

#[test]
fn duplicates_are_found_by_canonical_origin() {
    let mut v = valid();
    let mut second = v["sites"][0].clone();
    second["origin"] = json!("HTTPS://FILES.example.com:443/");
    v["sites"].as_array_mut().unwrap().push(second);
    let report = check(&v);
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("sites[1].origin: ") && problems[0].contains("not written canonically"));
    assert_eq!(
        problems[1],
        "sites[1].origin: is the same origin as sites[0] (\"https://files.example.com\"): keep one entry per origin"
    );
    assert!(report.sites.iter().all(|s| s.origin == "https://files.example.com"));
}

#[test]
fn a_site_with_bad_patterns_stays_known() {
    let mut v = valid();
    v["sites"][0]["upload"] = json!(["api/files", "/upload"]);
    v["sites"][0]["download"] = json!("/f/*");
    let report = check(&v);
    assert!(report.policy.is_none());
    let members: Vec<&str> = report.problems.iter().map(|p| p.member.as_str()).collect();
    assert_eq!(members, ["sites[0].upload[0]", "sites[0].download"]);
    assert_eq!(report.sites.len(), 1);
    assert_eq!(report.sites[0].origin, "https://files.example.com");
    assert_eq!(report.sites[0].upload.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["/upload"]);
}

#[test]
fn a_misspelled_member_is_a_problem_that_names_what_was_meant() {
    let mut v = valid();
    v["failclosed"] = json!(false);
    v["sites"][0]["sealname"] = json!(true);
    v["keys"][1]["Encrypt"] = json!(true);
    v["comment"] = json!("written by hand");
    let report = check(&v);
    assert!(report.policy.is_none(), "a policy with a typo must not load");
    let text: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    let has = |member: &str, words: &str| {
        assert!(
            text.iter().any(|t| t.starts_with(&format!("{member}: ")) && t.contains(words)),
            "expected {member} to say {words:?}: {text:#?}"
        );
    };
    has("failclosed", "did you mean \"failClosed\"?");
    has("sites[0].sealname", "did you mean \"sealNames\"?");
    has("keys[1] \"2026-q3\".Encrypt", "did you mean \"encrypt\"?");
    has("comment", "is not a policy member (members here: \"keys\", \"sites\", \"failClosed\"); remove it");
    assert_eq!(text.len(), 4, "{text:#?}");
    // The sites it names stay known, to be blocked while the policy is invalid.
    assert_eq!(report.sites.len(), 1);
}

#[test]
fn a_padded_or_standard_base64_secret_says_how_to_fix_it() {
    let good = secret();
    let problem = |s: String| {
        let mut v = valid();
        v["keys"][0]["secret"] = json!(s);
        let text: Vec<String> = check(&v).problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 1, "{text:#?}");
        assert!(!text[0].contains(&s), "the message must not repeat the secret: {}", text[0]);
        text[0].clone()
    };
    assert!(problem(format!("{good}=")).contains("remove the trailing '='"));
    let standard = format!("{}+{}", &good[..10], &good[11..]);
    assert!(problem(standard).contains("write it as base64url, with '-' for '+' and '_' for '/'"));
    assert!(problem(good[..42].to_string()).contains("must be 43 characters"));
}
