//! `orgseal policy render`: the file IT deploys for each browser and OS.
//!
//! | browser | Linux | Windows | macOS |
//! |---|---|---|---|
//! | Chrome, Chromium, Edge | managed JSON, `3rdparty.extensions.<id>` | `.reg` under `…\3rdparty\extensions\<id>\policy` | `.mobileconfig`, payload `<bundle>.extensions.<id>` |
//! | Firefox | `policies.json`, `3rdparty.Extensions.<id>` | the same `policies.json` | the same `policies.json` |
//!
//! With `--pin` ([`Pinning`]) the same file also carries the browser's own
//! `ExtensionSettings` policy, which force-installs the pinned build:
//!
//! | browser | Linux | Windows | macOS |
//! |---|---|---|---|
//! | Chrome, Chromium, Edge | top-level `ExtensionSettings` beside `3rdparty` | `REG_SZ` `ExtensionSettings` holding the JSON, under `…\Policies\<vendor>` | a second payload of type `<bundle>` holding `ExtensionSettings` |
//! | Firefox | `policies.ExtensionSettings` beside `3rdparty` | the same | the same |
//!
//! Chrome has no exact-version pin: the update manifest ([`update_manifest`])
//! offers only the pinned version, and `minimum_version_required` refuses
//! anything older.
//!
//! Every rendering also carries the browser's own policies that close what
//! no extension sees ([`lockdown`]): for the protected origins, the async
//! clipboard and the File System Access pickers (Chrome family); and the
//! windows where OrgSeal does not run: Chrome and Edge close Incognito /
//! InPrivate, Guest mode and new profiles (an extension cannot be let into
//! them by policy), Firefox lets OrgSeal into private windows
//! (`ExtensionSettings.<id>.private_browsing`).

use clap::ValueEnum;
use serde_json::{Map, Value, json};
use url::Url;

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
    /// Where the browser reads it (or how it is deployed); `{file}` stands
    /// for the rendered file's name.
    pub destination: &'static str,
    /// The name `{file}` takes when the file went to standard output.
    pub default_name: &'static str,
}

/// What `--pin` adds: force-install one pinned version from a self-hosted
/// update URL.
#[derive(Debug, Clone)]
pub struct Pinning {
    /// The pinned version (the pins' `version`).
    pub version: String,
    /// The update manifest's address (checked by [`parse_update_url`]).
    pub update_url: Url,
    /// Firefox only, for tests: lock `xpinstall.signatures.required` to false.
    pub allow_unsigned_xpi: bool,
}

impl Browser {
    /// Chrome, Chromium or Edge.
    pub fn is_chrome_family(self) -> bool {
        !matches!(self, Browser::Firefox)
    }
}

/// Checks an update URL: http or https, ending in a file name (the package
/// is hosted in the same folder), no query, fragment or credentials.
pub fn parse_update_url(text: &str) -> Result<Url, String> {
    let example = "e.g. https://it.example/orgseal/updates.xml";
    let url = Url::parse(text)
        .map_err(|e| format!("{text:?} is not a URL ({e}): give the update manifest's full address, {example}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{text:?} uses the {}: scheme: browsers fetch the update manifest and the package over http or https; \
             host them on a web server and give its https:// address, {example}",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{text:?} holds a user name or password: the URL is written into the policy every browser reads; \
             host the files where the browsers can fetch them without credentials"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?} has a query or a fragment: the package's address is made from the URL's folder, \
             so give a plain file address, {example}"
        ));
    }
    if url.path_segments().and_then(|mut s| s.next_back()).is_none_or(str::is_empty) {
        let base = url.as_str().trim_end_matches('/');
        return Err(format!(
            "{text:?} ends in a folder, not a file name: give the update manifest's address, e.g. \
             {base}/updates.xml; the package is hosted in the same folder"
        ));
    }
    Ok(url)
}

/// Checks a version as Chrome writes it: 1 to 4 numbers (0 to 65535) split by dots.
pub fn check_version(version: &str) -> Result<(), String> {
    let parts: Vec<&str> = version.split('.').collect();
    let number = |p: &&str| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= 65535)
    };
    if parts.len() <= 4 && parts.iter().all(number) {
        Ok(())
    } else {
        Err(format!(
            "the pinned version {version:?} is not a browser extension version (1 to 4 numbers from 0 to 65535, \
             split by dots); pin a build whose manifest.json has such a version"
        ))
    }
}

/// The address of the package for `browser`: the update URL's folder, then
/// `orgseal-<version>.crx` (Firefox: `.xpi`).
pub fn package_url(pin: &Pinning, browser: Browser) -> Url {
    let ext = if browser.is_chrome_family() { "crx" } else { "xpi" };
    pin.update_url.join(&format!("orgseal-{}.{ext}", pin.version)).expect("a checked http(s) URL joins a file name")
}

/// The `ExtensionSettings` policy value that force-installs the pinned build.
pub fn extension_settings(pin: &Pinning, browser: Browser, extension_id: &str) -> Value {
    let settings = match browser {
        Browser::Firefox => json!({
            "installation_mode": "force_installed",
            "install_url": package_url(pin, browser).as_str(),
        }),
        b => {
            let mut s = json!({
                "installation_mode": "force_installed",
                "update_url": pin.update_url.as_str(),
                "minimum_version_required": pin.version,
            });
            if b == Browser::Edge {
                s["toolbar_state"] = "force_shown".into();
            } else {
                s["toolbar_pin"] = "force_pinned".into();
            }
            s
        }
    };
    json!({ extension_id: settings })
}

/// `ExtensionSettings` that only keep the extension's icon on the toolbar.
fn toolbar_only(browser: Browser, extension_id: &str) -> Value {
    let (name, value) =
        if browser == Browser::Edge { ("toolbar_state", "force_shown") } else { ("toolbar_pin", "force_pinned") };
    json!({ extension_id: { name: value } })
}

/// The Chrome-family policies, beside the extension's own, that close for
/// the policy's sites the routes to a file no extension sees, and (unless
/// `private_windows_open`) the windows where OrgSeal cannot run:
///
/// | policy | what it closes |
/// |---|---|
/// | `ClipboardBlockedForUrls` | `navigator.clipboard.read()` (no paste event: OrgSeal never sees it) |
/// | `FileSystemReadBlockedForUrls`, `FileSystemWriteBlockedForUrls` | `showOpenFilePicker()`, `showSaveFilePicker()` (the file the person picks, read without an event) |
/// | `IncognitoModeAvailability` 1 (Edge: `InPrivateModeAvailability` 1) | private windows, where Chrome runs no extension unless the person allows it |
/// | `BrowserGuestModeEnabled` false, `BrowserAddPersonEnabled` false | Guest windows and new profiles, which have no policy for the extension |
///
/// Firefox has neither API; its private windows get OrgSeal through
/// `ExtensionSettings` (see [`render`]).
pub fn lockdown(policy: &Value, browser: Browser, private_windows_open: bool) -> Map<String, Value> {
    let mut out = Map::new();
    if !browser.is_chrome_family() {
        return out;
    }
    let origins: Vec<Value> = policy["sites"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["origin"].as_str())
        .map(|o| Value::String(o.to_string()))
        .collect();
    if !origins.is_empty() {
        for name in ["ClipboardBlockedForUrls", "FileSystemReadBlockedForUrls", "FileSystemWriteBlockedForUrls"] {
            out.insert(name.into(), Value::Array(origins.clone()));
        }
    }
    if !private_windows_open {
        let private = if browser == Browser::Edge { "InPrivateModeAvailability" } else { "IncognitoModeAvailability" };
        out.insert(private.into(), json!(1));
        out.insert("BrowserGuestModeEnabled".into(), json!(false));
        out.insert("BrowserAddPersonEnabled".into(), json!(false));
    }
    out
}

/// The self-hosted update manifest (gupdate protocol 2.0) that offers only
/// the pinned version.
pub fn update_manifest(pin: &Pinning, crx_id: &str) -> String {
    let attr = |s: &str| xml_escape(s).replace('\'', "&apos;").replace('"', "&quot;");
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n\
         <gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n  \
         <app appid='{}'>\n    \
         <updatecheck codebase='{}' version='{}' />\n  \
         </app>\n\
         </gupdate>\n",
        attr(crx_id),
        attr(package_url(pin, Browser::Chrome).as_str()),
        attr(&pin.version),
    )
}

/// Renders `policy` (the checked policy object) for one browser and OS;
/// with `pin`, the browser's `ExtensionSettings` too; always the browser's
/// own policies of [`lockdown`] (Firefox: OrgSeal let into private windows).
pub fn render(
    policy: &Value,
    browser: Browser,
    os: Os,
    extension_id: &str,
    pin: Option<&Pinning>,
    private_windows_open: bool,
) -> Rendered {
    let settings = pin.map(|p| extension_settings(p, browser, extension_id));
    // The browser's own policies, beside the extension's (Chrome family).
    let mut own = lockdown(policy, browser, private_windows_open);
    if browser.is_chrome_family() {
        // Without --pin too: the icon (and its badge, the sign the page
        // cannot fake) on the toolbar, not in the puzzle-piece menu.
        own.insert("ExtensionSettings".into(), settings.clone().unwrap_or_else(|| toolbar_only(browser, extension_id)));
    }
    match (browser, os) {
        (Browser::Firefox, os) => Rendered {
            text: {
                let mut policies = Map::new();
                policies.insert("3rdparty".into(), json!({ "Extensions": { extension_id: policy } }));
                let mut settings = settings.unwrap_or_else(|| json!({ extension_id: {} }));
                settings[extension_id]["private_browsing"] = true.into();
                // The button on the toolbar, not in the extensions menu (Firefox 113 and later).
                settings[extension_id]["default_area"] = "navbar".into();
                policies.insert("ExtensionSettings".into(), settings);
                if pin.is_some_and(|p| p.allow_unsigned_xpi) {
                    policies.insert(
                        "Preferences".into(),
                        json!({ "xpinstall.signatures.required": { "Value": false, "Status": "locked" } }),
                    );
                }
                pretty(&json!({ "policies": policies }))
            },
            destination: match os {
                Os::Linux => {
                    "copy {file} to /etc/firefox/policies/policies.json (Debian's ESR also reads \
                     /usr/lib/firefox-esr/distribution/policies.json)"
                }
                Os::Windows => "copy {file} to C:\\Program Files\\Mozilla Firefox\\distribution\\policies.json",
                Os::Macos => "copy {file} to /Applications/Firefox.app/Contents/Resources/distribution/policies.json",
            },
            default_name: "policies.json",
        },
        (b, Os::Linux) => Rendered {
            text: {
                let mut top = Map::new();
                top.insert("3rdparty".into(), json!({ "extensions": { extension_id: policy } }));
                top.extend(own);
                pretty(&Value::Object(top))
            },
            destination: match b {
                Browser::Chrome => "copy {file} to /etc/opt/chrome/policies/managed/orgseal.json",
                Browser::Chromium => "copy {file} to /etc/chromium/policies/managed/orgseal.json",
                _ => "copy {file} to /etc/opt/edge/policies/managed/orgseal.json",
            },
            default_name: "orgseal.json",
        },
        (b, Os::Windows) => Rendered {
            text: reg(policy, b, extension_id, &own),
            destination: "import with: reg import {file} (or through Group Policy Preferences)",
            default_name: "orgseal.reg",
        },
        (b, Os::Macos) => Rendered {
            text: mobileconfig(policy, b, extension_id, &own),
            destination: "install {file} as a configuration profile (MDM or System Settings)",
            default_name: "orgseal.mobileconfig",
        },
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON value serializes");
    s.push('\n');
    s
}

/// The registry key under HKLM that holds the browser's own policies.
pub fn browser_registry_key(browser: Browser) -> String {
    let vendor = match browser {
        Browser::Chrome => "Google\\Chrome",
        Browser::Chromium => "Chromium",
        Browser::Edge => "Microsoft\\Edge",
        Browser::Firefox => "Mozilla\\Firefox",
    };
    format!("HKEY_LOCAL_MACHINE\\Software\\Policies\\{vendor}")
}

/// The registry key under HKLM that holds an extension's policy.
pub fn registry_key(browser: Browser, extension_id: &str) -> String {
    format!("{}\\3rdparty\\extensions\\{extension_id}\\policy", browser_registry_key(browser))
}

/// Windows `.reg`: booleans and integers as REG_DWORD, strings as REG_SZ,
/// objects as REG_SZ holding JSON (how Chrome reads complex policy values).
/// `own`, the browser's own policies, goes to the browser's key the same
/// way, except lists, which Chrome reads from a subkey of the list's name
/// holding the values "1", "2", ... .
fn reg(policy: &Value, browser: Browser, extension_id: &str, own: &Map<String, Value>) -> String {
    let mut out = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    out.push_str(&format!("[{}]\r\n", registry_key(browser, extension_id)));
    let data = |value: &Value| match value {
        Value::Bool(b) => format!("dword:{:08x}", u32::from(*b)),
        Value::Number(n) if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => {
            format!("dword:{:08x}", n.as_u64().unwrap_or_default())
        }
        Value::String(s) => format!("\"{}\"", reg_escape(s)),
        other => format!("\"{}\"", reg_escape(&other.to_string())),
    };
    for (name, value) in policy.as_object().into_iter().flatten() {
        out.push_str(&format!("\"{}\"={}\r\n", reg_escape(name), data(value)));
    }
    let browser_key = browser_registry_key(browser);
    let (lists, values): (Vec<_>, Vec<_>) = own.iter().partition(|(_, v)| v.is_array());
    if !values.is_empty() {
        out.push_str(&format!("\r\n[{browser_key}]\r\n"));
        for (name, value) in values {
            out.push_str(&format!("\"{}\"={}\r\n", reg_escape(name), data(value)));
        }
    }
    for (name, list) in lists {
        out.push_str(&format!("\r\n[{browser_key}\\{name}]\r\n"));
        for (i, item) in list.as_array().into_iter().flatten().enumerate() {
            out.push_str(&format!("\"{}\"={}\r\n", i + 1, data(item)));
        }
    }
    out
}

fn reg_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// macOS configuration profile: one payload for the extension's managed
/// domain; when `own` has members (the browser's own policies), a second one
/// for the browser's domain holding them.
fn mobileconfig(policy: &Value, browser: Browser, extension_id: &str, own: &Map<String, Value>) -> String {
    let bundle = match browser {
        Browser::Chrome => "com.google.Chrome",
        Browser::Chromium => "org.chromium.Chromium",
        _ => "com.microsoft.Edge",
    };
    let uuid = |n: u8| {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).expect("system randomness");
        b[0] = n;
        let h = hex::encode(b).to_uppercase();
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    };
    let payload = |domain: &str, display: &str, n: u8, members: &Map<String, Value>| {
        let mut body = String::new();
        plist_members(members, 3, &mut body);
        format!(
            r#"    <dict>
      <key>PayloadType</key>
      <string>{domain}</string>
      <key>PayloadIdentifier</key>
      <string>{domain}.orgseal</string>
      <key>PayloadUUID</key>
      <string>{u}</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
      <key>PayloadDisplayName</key>
      <string>{display}</string>
{body}    </dict>
"#,
            domain = xml_escape(domain),
            u = uuid(n),
        )
    };
    let empty = Map::new();
    let mut payloads = payload(
        &format!("{bundle}.extensions.{extension_id}"),
        "OrgSeal policy",
        1,
        policy.as_object().unwrap_or(&empty),
    );
    if !own.is_empty() {
        payloads.push_str(&payload(bundle, "OrgSeal: browser settings", 3, own));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
{payloads}  </array>
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
