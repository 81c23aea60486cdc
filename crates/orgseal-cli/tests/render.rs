//! `orgseal policy render`: every browser × OS output parses back to the input.

use serde_json::Value;
use std::path::PathBuf;
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

/// Reads back the subset of .reg that render writes.
fn parse_reg(text: &str) -> (String, serde_json::Map<String, Value>) {
    let mut key = String::new();
    let mut values = serde_json::Map::new();
    for line in text.split("\r\n") {
        if let Some(k) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            key = k.to_string();
        } else if let Some(rest) = line.strip_prefix('"') {
            let (name, data) = rest.split_once("\"=").unwrap();
            let value = if let Some(d) = data.strip_prefix("dword:") {
                Value::Bool(u32::from_str_radix(d, 16).unwrap() != 0)
            } else {
                let s = data.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
                let s = s.replace("\\\"", "\"").replace("\\\\", "\\");
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            };
            values.insert(name.to_string(), value);
        }
    }
    (key, values)
}

#[test]
fn every_target_parses_back_to_the_policy() {
    let d = dir();
    assert!(orgseal(&d, &["keygen", "--label", "q\"uote\\label", "-o", "p.json"]).status.success());
    let mut policy: Value = serde_json::from_str(&std::fs::read_to_string(d.join("p.json")).unwrap()).unwrap();
    policy["sites"] = serde_json::json!([{"origin": "https://files.example.com", "upload": ["/api/files"],
        "download": ["/api/files/*/content"], "sealNames": true}]);
    std::fs::write(d.join("p.json"), serde_json::to_string(&policy).unwrap()).unwrap();

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
            let back: Value = match (browser, os) {
                ("firefox", _) => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    v["policies"]["3rdparty"]["Extensions"][id].clone()
                }
                (_, "linux") => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    v["3rdparty"]["extensions"][id].clone()
                }
                (_, "windows") => {
                    let (key, values) = parse_reg(&text);
                    assert!(key.starts_with("HKEY_LOCAL_MACHINE\\Software\\Policies\\"), "{key}");
                    assert!(key.ends_with(&format!("\\3rdparty\\extensions\\{id}\\policy")), "{key}");
                    Value::Object(values)
                }
                (_, "macos") => {
                    let plist: plist::Value = plist::from_bytes(text.as_bytes()).unwrap();
                    let payload = plist.as_dictionary().unwrap()["PayloadContent"].as_array().unwrap()[0]
                        .as_dictionary()
                        .unwrap()
                        .clone();
                    assert!(payload["PayloadType"].as_string().unwrap().ends_with(&format!(".extensions.{id}")));
                    let mut v: Value = serde_json::to_value(&payload).unwrap();
                    let obj = v.as_object_mut().unwrap();
                    obj.retain(|k, _| !k.starts_with("Payload"));
                    v
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
