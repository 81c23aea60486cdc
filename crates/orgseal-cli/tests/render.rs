//! `orgseal policy render`: every browser × OS output parses back to the
//! input; with `--pin`, every output also carries the browser's
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

fn orgseal(dir: &PathBuf, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orgseal")).args(args).current_dir(dir).output().unwrap()
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
                let s = data.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
                let s = s.replace("\\\"", "\"").replace("\\\\", "\\");
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

/// Writes a policy with a site to `p.json` in `d` and returns it.
fn write_policy(d: &Path) -> Value {
    assert!(orgseal(&d.to_path_buf(), &["keygen", "--label", "q\"uote\\label", "-o", "p.json"]).status.success());
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
            // Without --pin, nothing but the extension's policy.
            let back: Value = match (browser, os) {
                ("firefox", _) => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(v["policies"].as_object().unwrap().len(), 1, "{browser}/{os}: {text}");
                    v["policies"]["3rdparty"]["Extensions"][id].clone()
                }
                (_, "linux") => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    assert_eq!(v.as_object().unwrap().len(), 1, "{browser}/{os}: {text}");
                    v["3rdparty"]["extensions"][id].clone()
                }
                (_, "windows") => {
                    let mut sections = parse_reg(&text);
                    assert_eq!(sections.len(), 1, "{browser}/{os}: {text}");
                    let (key, values) = sections.remove(0);
                    assert!(key.starts_with("HKEY_LOCAL_MACHINE\\Software\\Policies\\"), "{key}");
                    assert!(key.ends_with(&format!("\\3rdparty\\extensions\\{id}\\policy")), "{key}");
                    Value::Object(values)
                }
                (_, "macos") => {
                    let mut all = payloads(&text);
                    assert_eq!(all.len(), 1, "{browser}/{os}: {text}");
                    let mut payload = all.remove(0);
                    assert!(payload["PayloadType"].as_str().unwrap().ends_with(&format!(".extensions.{id}")));
                    payload.retain(|k, _| !k.starts_with("Payload"));
                    Value::Object(payload)
                }
                _ => unreachable!(),
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
