//! `orgseal policy render`: the file IT deploys for each browser and OS.
//!
//! | browser | Linux | Windows | macOS |
//! |---|---|---|---|
//! | Chrome, Chromium, Edge | managed JSON, `3rdparty.extensions.<id>` | `.reg` under `…\3rdparty\extensions\<id>\policy` | `.mobileconfig`, payload `<bundle>.extensions.<id>` |
//! | Firefox | `policies.json`, `3rdparty.Extensions.<id>` | the same `policies.json` | the same `policies.json` |

use clap::ValueEnum;
use serde_json::{Value, json};

/// A browser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Browser {
    /// Google Chrome.
    Chrome,
    /// Chromium.
    Chromium,
    /// Microsoft Edge.
    Edge,
    /// Mozilla Firefox (ESR).
    Firefox,
}

/// An operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Os {
    /// Linux.
    Linux,
    /// Windows.
    Windows,
    /// macOS.
    Macos,
}

/// A rendered policy file and where it goes.
#[derive(Debug)]
pub struct Rendered {
    /// The file's text.
    pub text: String,
    /// Where the browser reads it (or how it is deployed).
    pub destination: &'static str,
}

/// Renders `policy` (the checked policy object) for one browser and OS.
pub fn render(policy: &Value, browser: Browser, os: Os, extension_id: &str) -> Rendered {
    match (browser, os) {
        (Browser::Firefox, os) => Rendered {
            text: pretty(&json!({ "policies": { "3rdparty": { "Extensions": { extension_id: policy } } } })),
            destination: match os {
                Os::Linux => {
                    "/etc/firefox/policies/policies.json (Debian's ESR also reads /usr/lib/firefox-esr/distribution/policies.json)"
                }
                Os::Windows => "C:\\Program Files\\Mozilla Firefox\\distribution\\policies.json",
                Os::Macos => "/Applications/Firefox.app/Contents/Resources/distribution/policies.json",
            },
        },
        (b, Os::Linux) => Rendered {
            text: pretty(&json!({ "3rdparty": { "extensions": { extension_id: policy } } })),
            destination: match b {
                Browser::Chrome => "/etc/opt/chrome/policies/managed/orgseal.json",
                Browser::Chromium => "/etc/chromium/policies/managed/orgseal.json",
                _ => "/etc/opt/edge/policies/managed/orgseal.json",
            },
        },
        (b, Os::Windows) => {
            Rendered { text: reg(policy, b, extension_id), destination: "import with: reg import orgseal.reg" }
        }
        (b, Os::Macos) => Rendered {
            text: mobileconfig(policy, b, extension_id),
            destination: "install as a configuration profile (MDM or System Settings)",
        },
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON value serializes");
    s.push('\n');
    s
}

/// The registry key under HKLM that holds an extension's policy.
pub fn registry_key(browser: Browser, extension_id: &str) -> String {
    let vendor = match browser {
        Browser::Chrome => "Google\\Chrome",
        Browser::Chromium => "Chromium",
        Browser::Edge => "Microsoft\\Edge",
        Browser::Firefox => "Mozilla\\Firefox",
    };
    format!("HKEY_LOCAL_MACHINE\\Software\\Policies\\{vendor}\\3rdparty\\extensions\\{extension_id}\\policy")
}

/// Windows `.reg`: booleans as REG_DWORD, strings as REG_SZ, arrays and
/// objects as REG_SZ holding JSON (how Chrome reads complex policy values).
fn reg(policy: &Value, browser: Browser, extension_id: &str) -> String {
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    out.push_str(&format!("[{}]\r\n", registry_key(browser, extension_id)));
    if let Some(obj) = policy.as_object() {
        for (name, value) in obj {
            let data = match value {
                Value::Bool(b) => format!("dword:{:08x}", u32::from(*b)),
                Value::String(s) => format!("\"{}\"", reg_escape(s)),
                other => format!("\"{}\"", reg_escape(&other.to_string())),
            };
            out.push_str(&format!("\"{}\"={data}\r\n", reg_escape(name)));
        }
    }
    out
}

fn reg_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// macOS configuration profile: one payload for the extension's managed domain.
fn mobileconfig(policy: &Value, browser: Browser, extension_id: &str) -> String {
    let bundle = match browser {
        Browser::Chrome => "com.google.Chrome",
        Browser::Chromium => "org.chromium.Chromium",
        _ => "com.microsoft.Edge",
    };
    let domain = format!("{bundle}.extensions.{extension_id}");
    let mut body = String::new();
    if let Some(map) = policy.as_object() {
        plist_members(map, 3, &mut body);
    }
    let uuid = |n: u8| {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).expect("system randomness");
        b[0] = n;
        let h = hex::encode(b).to_uppercase();
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>PayloadType</key>
      <string>{domain}</string>
      <key>PayloadIdentifier</key>
      <string>{domain}.orgseal</string>
      <key>PayloadUUID</key>
      <string>{u1}</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
      <key>PayloadDisplayName</key>
      <string>OrgSeal policy</string>
{body}    </dict>
  </array>
  <key>PayloadDisplayName</key>
  <string>OrgSeal</string>
  <key>PayloadIdentifier</key>
  <string>org.orgseal.policy</string>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadUUID</key>
  <string>{u2}</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
  <key>PayloadScope</key>
  <string>System</string>
</dict>
</plist>
"#,
        u1 = uuid(1),
        u2 = uuid(2),
    )
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Writes an object's members as `<key>`/value pairs.
fn plist_members(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    for (k, val) in map {
        out.push_str(&format!("{pad}<key>{}</key>\n", xml_escape(k)));
        plist_value(val, indent, out);
    }
}

/// Writes one value as plist XML.
fn plist_value(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(map) => {
            out.push_str(&format!("{pad}<dict>\n"));
            plist_members(map, indent + 1, out);
            out.push_str(&format!("{pad}</dict>\n"));
        }
        Value::Array(items) => {
            out.push_str(&format!("{pad}<array>\n"));
            for item in items {
                plist_value(item, indent + 1, out);
            }
            out.push_str(&format!("{pad}</array>\n"));
        }
        Value::Bool(b) => out.push_str(&format!("{pad}<{b}/>\n")),
        Value::Number(n) if n.is_i64() || n.is_u64() => out.push_str(&format!("{pad}<integer>{n}</integer>\n")),
        Value::Number(n) => out.push_str(&format!("{pad}<real>{n}</real>\n")),
        Value::String(s) => out.push_str(&format!("{pad}<string>{}</string>\n", xml_escape(s))),
        Value::Null => out.push_str(&format!("{pad}<string></string>\n")),
    }
}
