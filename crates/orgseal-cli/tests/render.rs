//! `orgseal policy render`: every browser × OS output parses back to the
//! input and carries the browser's own policies that close what no extension
//! sees (Chrome family: the async clipboard and File System Access pickers
//! on the sites, Incognito, Guest, new profiles; Firefox: OrgSeal let into
//! private windows); with `--pin`, every output also carries the browser's
//! `ExtensionSettings`, and the update manifest offers the pinned version.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROME_ID: &str = "pcakpaomgoembdfponndohplljieiokn";
const GECKO_ID: &str = "orgseal@orgseal.example";

fn dir() -> PathBuf {
    let mut b = [0u8; 6];
    use std::io::Read;
    std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut b).unwrap();
    let p = std::env::temp_dir()
        .join(format!("orgseal-render-{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()));
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn orgseal(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orgseal")).args(args).current_dir(dir).output().unwrap()
}

/// Reads a .reg string value (`"…"`, where `\\` and `\"` are the only
/// escapes and a bare `"` would end the string early).
fn reg_string(data: &str) -> String {
    let body = data.strip_prefix('"').and_then(|d| d.strip_suffix('"')).expect("a quoted .reg string");
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().filter(|n| matches!(n, '\\' | '"')).expect("only \\\\ and \\\" are escapes")),
            '"' => panic!("an unescaped quote inside a .reg string: {data}"),
            c => out.push(c),
        }
    }
    out
}

/// Reads back the subset of .reg that render writes: each key's values, in
/// the order the keys appear.
fn parse_reg(text: &str) -> Vec<(String, serde_json::Map<String, Value>)> {
    let mut sections: Vec<(String, serde_json::Map<String, Value>)> = Vec::new();
    assert!(text.starts_with("Windows Registry Editor Version 5.00\r\n\r\n"));
    for line in text.split("\r\n") {
        if let Some(k) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((k.to_string(), serde_json::Map::new()));
        } else if let Some(rest) = line.strip_prefix('"') {
            let values = &mut sections.last_mut().expect("a value inside a key").1;
            let (name, data) = rest.split_once("\"=").unwrap();
            let value = if let Some(d) = data.strip_prefix("dword:") {
                Value::Bool(u32::from_str_radix(d, 16).unwrap() != 0)
            } else {
                let s = reg_string(data);
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            };
            values.insert(name.to_string(), value);
        } else {
            assert!(line.is_empty() || line.starts_with("Windows Registry"), "unexpected .reg line {line:?}");
        }
    }
    sections
}

/// The payloads of a .mobileconfig, each as JSON.
fn payloads(text: &str) -> Vec<serde_json::Map<String, Value>> {
    let plist: plist::Value = plist::from_bytes(text.as_bytes()).unwrap();
    let top = plist.as_dictionary().unwrap();
    assert_eq!(top["PayloadType"].as_string(), Some("Configuration"));
    top["PayloadContent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| match serde_json::to_value(p.as_dictionary().unwrap()).unwrap() {
            Value::Object(map) => map,
            _ => unreachable!(),
        })
        .collect()
}

/// The browser's own policies of a Chrome-family rendering (the extension's
/// policy taken out), as JSON: Linux's top-level members; the .reg's
/// browser key (DWORDs as numbers) and its list subkeys; the profile's
/// browser payload.
fn browser_members(text: &str, browser: &str, os: &str) -> (Value, serde_json::Map<String, Value>) {
    let id = CHROME_ID;
    match os {
        "linux" => {
            let mut v: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap();
            let ext = v.remove("3rdparty").unwrap()["extensions"][id].clone();
            (ext, v)
        }
        "windows" => {
            let vendor = match browser {
                "chrome" => "Google\\Chrome",
                "chromium" => "Chromium",
                _ => "Microsoft\\Edge",
            };
            let browser_key = format!("HKEY_LOCAL_MACHINE\\Software\\Policies\\{vendor}");
            let mut sections = parse_reg(text);
            let (key, ext) = sections.remove(0);
            assert_eq!(key, format!("{browser_key}\\3rdparty\\extensions\\{id}\\policy"));
            let mut own = serde_json::Map::new();
            for (key, values) in sections {
                if key == browser_key {
                    own.extend(values);
                } else {
                    let name = key
                        .strip_prefix(&format!("{browser_key}\\"))
                        .unwrap_or_else(|| panic!("a key outside the browser's: {key}"));
                    // A list: values "1", "2", ... in order.
                    let items: Vec<Value> = (1..=values.len()).map(|i| values[&i.to_string()].clone()).collect();
                    own.insert(name.to_string(), Value::Array(items));
                }
            }
            (Value::Object(ext), own)
        }
        _ => {
            let mut all = payloads(text);
            assert_eq!(all.len(), 2, "{browser}/{os}: {text}");
            let bundle = match browser {
                "chrome" => "com.google.Chrome",
                "chromium" => "org.chromium.Chromium",
                _ => "com.microsoft.Edge",
            };
            assert_eq!(all[0]["PayloadType"], format!("{bundle}.extensions.{id}"));
            assert_eq!(all[1]["PayloadType"], bundle);
            assert_ne!(all[0]["PayloadUUID"], all[1]["PayloadUUID"]);
            assert_ne!(all[0]["PayloadIdentifier"], all[1]["PayloadIdentifier"]);
            for payload in &mut all {
                payload.retain(|k, _| !k.starts_with("Payload"));
            }
            (Value::Object(all[0].clone()), all[1].clone())
        }
    }
}

/// What every Chrome-family rendering adds for the test policy's site
/// (`.reg` DWORDs read back as booleans, so 1 is `true` there).
fn expected_lockdown(browser: &str, os: &str, id: &str) -> serde_json::Map<String, Value> {
    let sites = json!(["https://files.example.com"]);
    let one = if os == "windows" { json!(true) } else { json!(1) };
    let private = if browser == "edge" { "InPrivateModeAvailability" } else { "IncognitoModeAvailability" };
    let mut m = serde_json::Map::new();
    for name in ["ClipboardBlockedForUrls", "FileSystemReadBlockedForUrls", "FileSystemWriteBlockedForUrls"] {
        m.insert(name.into(), sites.clone());
    }
    m.insert(private.into(), one);
    m.insert("BrowserGuestModeEnabled".into(), json!(false));
    m.insert("BrowserAddPersonEnabled".into(), json!(false));
    // The icon kept on the toolbar.
    let pin = if browser == "edge" {
        json!({ id: { "toolbar_state": "force_shown" } })
    } else {
        json!({ id: { "toolbar_pin": "force_pinned" } })
    };
    m.insert("ExtensionSettings".into(), pin);
    m
}

/// Writes a policy with a site to `p.json` in `d` and returns it.
fn write_policy(d: &Path) -> Value {
    assert!(orgseal(d, &["keygen", "--label", "q\"uote\\label", "-o", "p.json"]).status.success());
    let mut policy: Value = serde_json::from_str(&std::fs::read_to_string(d.join("p.json")).unwrap()).unwrap();
    policy["sites"] = serde_json::json!([{"origin": "https://files.example.com", "upload": ["/api/files"],
        "download": ["/api/files/*/content"], "sealNames": true}]);
    std::fs::write(d.join("p.json"), serde_json::to_string(&policy).unwrap()).unwrap();
    policy
}

#[test]
fn every_target_parses_back_to_the_policy() {
    let d = dir();
    let policy = write_policy(&d);

    for browser in ["chrome", "chromium", "edge", "firefox"] {
        for os in ["linux", "windows", "macos"] {
            let id = if browser == "firefox" { GECKO_ID } else { CHROME_ID };
            let out_name = format!("{browser}-{os}.out");
            let out = orgseal(
                &d,
                &[
                    "policy",
                    "render",
                    "p.json",
                    "--browser",
                    browser,
                    "--os",
                    os,
                    "--extension-id",
                    id,
                    "-o",
                    &out_name,
                ],
            );
            assert!(out.status.success(), "{browser}/{os}: {}", String::from_utf8_lossy(&out.stderr));
            let text = std::fs::read_to_string(d.join(&out_name)).unwrap();
            // Without --pin: the extension's policy, and the browser's own
            // policies that close what no extension sees.
            let back: Value = if browser == "firefox" {
                let v: Value = serde_json::from_str(&text).unwrap();
                let members: Vec<&String> = v["policies"].as_object().unwrap().keys().collect();
                assert_eq!(members, ["3rdparty", "ExtensionSettings"], "{browser}/{os}: {text}");
                assert_eq!(
                    v["policies"]["ExtensionSettings"],
                    json!({ id: { "private_browsing": true, "default_area": "navbar" } })
                );
                v["policies"]["3rdparty"]["Extensions"][id].clone()
            } else {
                let (ext, own) = browser_members(&text, browser, os);
                assert_eq!(own, expected_lockdown(browser, os, id), "{browser}/{os}: {text}");
                ext
            };
            assert_eq!(back, policy, "{browser}/{os} does not read back as the policy");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn render_refuses_an_invalid_policy() {
    let d = dir();
    std::fs::write(d.join("bad.json"), r#"{"keys":[],"sites":[]}"#).unwrap();
    let out = orgseal(
        &d,
        &[
            "policy",
            "render",
            "bad.json",
            "--browser",
            "chrome",
            "--os",
            "linux",
            "--extension-id",
            CHROME_ID,
            "-o",
            "x",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!d.join("x").exists());
    let _ = std::fs::remove_dir_all(&d);
}

const VERSION: &str = "1.2.3";
const PINS: &str = "pins-1.2.3.json";
const UPDATE_URL: &str = "https://it.example/orgseal/updates.xml";

/// Writes a build of `version` and its pins, `pins-<version>.json`, in `d`.
fn write_pins(d: &Path, version: &str) {
    let build = format!("build-{version}");
    std::fs::create_dir_all(d.join(&build).join("extension")).unwrap();
    std::fs::write(
        d.join(&build).join("manifest.json"),
        format!(r#"{{"manifest_version": 3, "name": "OrgSeal", "version": "{version}"}}"#),
    )
    .unwrap();
    std::fs::write(d.join(&build).join("extension/main.js"), "// the build\n").unwrap();
    let out = orgseal(d, &["pins", &build, "--crx-id", CHROME_ID, "-o", &format!("pins-{version}.json")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The `ExtensionSettings` each browser must get for the pins of [`VERSION`].
fn expected_settings(browser: &str) -> Value {
    match browser {
        "firefox" => json!({ GECKO_ID: {
            "installation_mode": "force_installed",
            "install_url": "https://it.example/orgseal/orgseal-1.2.3.xpi",
            "private_browsing": true,
            "default_area": "navbar",
        }}),
        "edge" => json!({ CHROME_ID: {
            "installation_mode": "force_installed",
            "update_url": UPDATE_URL,
            "minimum_version_required": VERSION,
            "toolbar_state": "force_shown",
        }}),
        _ => json!({ CHROME_ID: {
            "installation_mode": "force_installed",
            "update_url": UPDATE_URL,
            "minimum_version_required": VERSION,
            "toolbar_pin": "force_pinned",
        }}),
    }
}

/// Parses XML: every element as its path from the root (`a/b/c`) and its
/// attributes, in document order.
fn xml_elements(text: &str) -> Vec<(String, BTreeMap<String, String>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    loop {
        let (element, empty) = match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                path.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = element.name().as_ref().to_string();
        let attributes = element
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                let value = a.normalized_value(quick_xml::XmlVersion::Explicit1_0).unwrap().into_owned();
                (a.key.as_ref().to_string(), value)
            })
            .collect();
        path.push(name);
        out.push((path.join("/"), attributes));
        if empty {
            path.pop();
        }
    }
    assert!(path.is_empty(), "unclosed elements {path:?}");
    out
}

/// Checks an update manifest: gupdate 2.0, one app, one updatecheck
/// offering `version` from `codebase`.
fn check_update_manifest(text: &str, version: &str, codebase: &str) {
    let elements = xml_elements(text);
    let paths: Vec<&str> = elements.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["gupdate", "gupdate/app", "gupdate/app/updatecheck"], "{text}");
    let gupdate = &elements[0].1;
    assert_eq!(gupdate["protocol"], "2.0");
    assert_eq!(gupdate["xmlns"], "http://www.google.com/update2/response");
    assert_eq!(elements[1].1, BTreeMap::from([("appid".to_string(), CHROME_ID.to_string())]));
    let check =
        BTreeMap::from([("codebase".to_string(), codebase.to_string()), ("version".to_string(), version.to_string())]);
    assert_eq!(elements[2].1, check, "{text}");
}

#[test]
fn pinned_targets_force_install_the_pinned_build() {
    let d = dir();
    let policy = write_policy(&d);
    write_pins(&d, VERSION);
    for browser in ["chrome", "chromium", "edge", "firefox"] {
        for os in ["linux", "windows", "macos"] {
            let chrome = browser != "firefox";
            let id = if chrome { CHROME_ID } else { GECKO_ID };
            let out_name = format!("{browser}-{os}.out");
            let manifest_name = format!("{browser}-{os}.xml");
            let mut args = vec![
                "policy",
                "render",
                "p.json",
                "--browser",
                browser,
                "--os",
                os,
                "--pin",
                PINS,
                "--update-url",
                UPDATE_URL,
                "-o",
                &out_name,
            ];
            if chrome {
                args.extend(["--update-manifest", &manifest_name]);
            } else {
                args.extend(["--extension-id", GECKO_ID]);
            }
            if browser == "chrome" && os == "linux" {
                // The pins' own id, given explicitly, is accepted.
                args.extend(["--extension-id", CHROME_ID]);
            }
            let out = orgseal(&d, &args);
            assert!(out.status.success(), "{browser}/{os}: {}", String::from_utf8_lossy(&out.stderr));
            let text = std::fs::read_to_string(d.join(&out_name)).unwrap();
            let (back, settings) = if browser == "firefox" {
                let v: Value = serde_json::from_str(&text).unwrap();
                let policies = v["policies"].as_object().unwrap();
                let members: Vec<&String> = policies.keys().collect();
                assert_eq!(members, ["3rdparty", "ExtensionSettings"], "{browser}/{os}: no more, no less");
                (policies["3rdparty"]["Extensions"][id].clone(), policies["ExtensionSettings"].clone())
            } else {
                let (ext, mut own) = browser_members(&text, browser, os);
                let settings =
                    own.remove("ExtensionSettings").unwrap_or_else(|| panic!("{browser}/{os}: no ExtensionSettings"));
                let mut expected = expected_lockdown(browser, os, CHROME_ID);
                expected.remove("ExtensionSettings");
                assert_eq!(own, expected, "{browser}/{os}: the browser's own policies");
                (ext, settings)
            };
            assert_eq!(back, policy, "{browser}/{os} does not read back as the policy");
            assert_eq!(settings, expected_settings(browser), "{browser}/{os}: ExtensionSettings");
            if chrome {
                let xml = std::fs::read_to_string(d.join(&manifest_name)).unwrap();
                check_update_manifest(&xml, VERSION, "https://it.example/orgseal/orgseal-1.2.3.crx");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(stderr.contains(&format!("host {manifest_name} at {UPDATE_URL}")), "{stderr}");
            } else {
                assert!(!d.join(&manifest_name).exists());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_package_is_hosted_in_the_update_urls_folder() {
    let d = dir();
    write_policy(&d);
    write_pins(&d, VERSION);
    let url = "http://10.0.0.5:8080/it/ext/orgseal.xml";
    let out = orgseal(
        &d,
        &[
            "policy",
            "render",
            "p.json",
            "--browser",
            "chromium",
            "--os",
            "linux",
            "--pin",
            PINS,
            "--update-url",
            url,
            "--update-manifest",
            "u.xml",
            "-o",
            "out",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(d.join("out")).unwrap()).unwrap();
    assert_eq!(v["ExtensionSettings"][CHROME_ID]["update_url"], url);
    let xml = std::fs::read_to_string(d.join("u.xml")).unwrap();
    check_update_manifest(&xml, VERSION, "http://10.0.0.5:8080/it/ext/orgseal-1.2.3.crx");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn firefox_allows_unsigned_xpis_only_when_asked() {
    let d = dir();
    write_policy(&d);
    write_pins(&d, VERSION);
    for (flag, out_name) in [(None, "signed.json"), (Some("--allow-unsigned-xpi"), "unsigned.json")] {
        let mut args = vec![
            "policy",
            "render",
            "p.json",
            "--browser",
            "firefox",
            "--os",
            "windows",
            "--pin",
            PINS,
            "--update-url",
            UPDATE_URL,
            "--extension-id",
            GECKO_ID,
            "-o",
            out_name,
        ];
        args.extend(flag);
        let out = orgseal(&d, &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_str(&std::fs::read_to_string(d.join(out_name)).unwrap()).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("https://it.example/orgseal/orgseal-1.2.3.xpi"), "{stderr}");
        if flag.is_some() {
            assert_eq!(
                v["policies"]["Preferences"],
                json!({ "xpinstall.signatures.required": { "Value": false, "Status": "locked" } })
            );
            assert!(stderr.contains("for tests on Firefox ESR only"), "{stderr}");
        } else {
            assert!(v["policies"].get("Preferences").is_none(), "{v}");
            assert!(stderr.contains("signed by Mozilla"), "{stderr}");
        }
        assert_eq!(v["policies"]["ExtensionSettings"], expected_settings("firefox"));
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn pin_usage_errors_name_the_problem_and_write_nothing() {
    let d = dir();
    write_policy(&d);
    write_pins(&d, VERSION);
    write_pins(&d, "1.0-beta");
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "chrome",
            &[
                "--pin",
                PINS,
                "--update-url",
                UPDATE_URL,
                "--update-manifest",
                "u.xml",
                "--extension-id",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ],
            &["--extension-id aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa is not the id the pins give", PINS, CHROME_ID],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", UPDATE_URL],
            &["--pin for chrome needs --update-manifest", "exact version"],
        ),
        ("chromium", &["--pin", PINS, "--update-url", UPDATE_URL], &["--pin for chromium needs --update-manifest"]),
        ("edge", &["--pin", PINS, "--update-url", UPDATE_URL], &["--pin for edge needs --update-manifest"]),
        (
            "firefox",
            &["--pin", PINS, "--update-url", UPDATE_URL, "--extension-id", GECKO_ID, "--update-manifest", "u.xml"],
            &["--update-manifest is for chrome, chromium and edge"],
        ),
        (
            "firefox",
            &["--pin", PINS, "--update-url", UPDATE_URL],
            &["--pin for firefox needs --extension-id", "gecko id"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", UPDATE_URL, "--update-manifest", "u.xml", "--allow-unsigned-xpi"],
            &["--allow-unsigned-xpi is for --browser firefox only"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", "ftp://it.example/orgseal/updates.xml", "--update-manifest", "u.xml"],
            &["uses the ftp: scheme", "http or https"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", "https://it.example/orgseal/", "--update-manifest", "u.xml"],
            &["ends in a folder", "https://it.example/orgseal/updates.xml"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", "https://it.example", "--update-manifest", "u.xml"],
            &["ends in a folder", "https://it.example/updates.xml"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", "it.example/updates.xml", "--update-manifest", "u.xml"],
            &["is not a URL", "full address"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", "https://it.example/updates.xml?v=1", "--update-manifest", "u.xml"],
            &["has a query or a fragment"],
        ),
        (
            "chrome",
            &["--pin", PINS, "--update-url", "https://admin:pw@it.example/updates.xml", "--update-manifest", "u.xml"],
            &["holds a user name or password"],
        ),
        ("chrome", &["--pin", PINS, "--update-manifest", "u.xml"], &["--update-url <URL>"]),
        ("chrome", &["--update-url", UPDATE_URL, "--extension-id", CHROME_ID], &["--pin <PINS>"]),
        ("firefox", &["--allow-unsigned-xpi", "--extension-id", GECKO_ID], &["--pin <PINS>"]),
        (
            "chrome",
            &["--pin", "pins-1.0-beta.json", "--update-url", UPDATE_URL, "--update-manifest", "u.xml"],
            &["pins-1.0-beta.json", "\"1.0-beta\" is not a browser extension version"],
        ),
        ("chrome", &["--pin", PINS, "--update-url", UPDATE_URL, "--update-manifest", "out"], &["different files"]),
    ];
    for (browser, extra, expected) in cases {
        let mut args = vec!["policy", "render", "p.json", "--browser", browser, "--os", "linux", "-o", "out"];
        args.extend(*extra);
        let out = orgseal(&d, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for part in *expected {
            assert!(stderr.contains(part), "{args:?}: {part:?} not in {stderr}");
        }
        assert!(!d.join("out").exists() && !d.join("u.xml").exists(), "{args:?} wrote a file");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_existing_update_manifest_is_kept_without_force() {
    let d = dir();
    write_policy(&d);
    write_pins(&d, VERSION);
    let args = |force: bool| {
        let mut a = vec![
            "policy",
            "render",
            "p.json",
            "--browser",
            "edge",
            "--os",
            "macos",
            "--pin",
            PINS,
            "--update-url",
            UPDATE_URL,
            "--update-manifest",
            "u.xml",
            "-o",
            "out",
        ];
        if force {
            a.push("--force");
        }
        a
    };
    std::fs::write(d.join("u.xml"), "old").unwrap();
    let out = orgseal(&d, &args(false));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("u.xml exists: pass --force to overwrite it"));
    assert_eq!(std::fs::read_to_string(d.join("u.xml")).unwrap(), "old");
    assert!(!d.join("out").exists(), "the policy was written although the update manifest was refused");

    // An existing policy output stops the update manifest too.
    std::fs::remove_file(d.join("u.xml")).unwrap();
    std::fs::write(d.join("out"), "old").unwrap();
    let out = orgseal(&d, &args(false));
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.join("u.xml").exists());

    std::fs::write(d.join("u.xml"), "old").unwrap();
    let out = orgseal(&d, &args(true));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    check_update_manifest(
        &std::fs::read_to_string(d.join("u.xml")).unwrap(),
        VERSION,
        "https://it.example/orgseal/orgseal-1.2.3.crx",
    );
    assert_eq!(payloads(&std::fs::read_to_string(d.join("out")).unwrap()).len(), 2);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn private_windows_stay_open_only_when_asked_and_with_a_warning() {
    let d = dir();
    write_policy(&d);
    let out = orgseal(
        &d,
        &[
            "policy",
            "render",
            "p.json",
            "--browser",
            "edge",
            "--os",
            "linux",
            "--extension-id",
            CHROME_ID,
            "--private-windows-open",
            "-o",
            "e.json",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: --private-windows-open leaves Incognito"), "{stderr}");
    let (_, own) = browser_members(&std::fs::read_to_string(d.join("e.json")).unwrap(), "edge", "linux");
    let mut expected = expected_lockdown("edge", "linux", CHROME_ID);
    for name in ["InPrivateModeAvailability", "BrowserGuestModeEnabled", "BrowserAddPersonEnabled"] {
        expected.remove(name);
    }
    assert_eq!(own, expected, "only the site-scoped policies stay");
    let _ = std::fs::remove_dir_all(&d);
}
