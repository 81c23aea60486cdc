//! `cargo xtask demo [--browser chromium|firefox] [--headless]`: the vendor
//! site on 127.0.0.1, a demo policy with a fresh org key, and Chromium (or
//! Firefox ESR) with the extension and that policy. The policy is mounted on
//! /etc/chromium (Firefox: its distribution folder, as policies.json) inside a
//! private mount namespace, so the host's files are never touched. With no
//! display, the same round trip runs headless and the demo prints what
//! happened.

use crate::vendor::start_vendor;
use crate::{build, root, setup};
use anyhow::{Context, Result, bail};
use orgseal_core::OrgKey;
use orgseal_core::policy::{KeyEntry, PolicyDocument, SiteEntry};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// The demo site's account.
const DEMO_USER: &str = "demo";

/// Adds the demo user with a fresh random password, which is returned.
fn add_demo_user(data: &Path) -> Result<String> {
    use std::io::Write as _;
    let mut b = [0u8; 9];
    getrandom::fill(&mut b).context("system randomness")?;
    let password = hex::encode(b);
    let mut child = Command::new(root().join("target/debug/orgseal-vendor"))
        .args(["user", "add", DEMO_USER, "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("running orgseal-vendor user add")?;
    child.stdin.take().expect("piped").write_all(format!("{password}\n").as_bytes())?;
    if !child.wait()?.success() {
        bail!("orgseal-vendor user add failed");
    }
    Ok(password)
}

/// The demo policy: one fresh key, the demo site's endpoints.
fn demo_policy(origin: &str) -> PolicyDocument {
    let key = OrgKey::generate("demo");
    println!("demo org key: label \"demo\", key id {}", key.id());
    PolicyDocument {
        keys: vec![KeyEntry::new(&key, true)],
        sites: vec![SiteEntry {
            origin: origin.to_string(),
            upload: vec!["/upload".into(), "/api/files".into()],
            download: vec!["/api/files/*/content".into()],
            seal_names: false,
        }],
        fail_closed: true,
    }
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Chromium's id for the extension: the first 32 hex digits of SHA-256 over the
/// manifest's public key (DER), written with the letters a-p.
fn extension_id(root: &Path) -> Result<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json"))?)?;
    let key = manifest["key"].as_str().context("manifest.json has no key")?;
    let der = base64::engine::general_purpose::STANDARD.decode(key).context("manifest key is not base64")?;
    let digest = hex::encode(sha2::Sha256::digest(&der));
    Ok(digest[..32].chars().map(|c| (b'a' + c.to_digit(16).expect("hex") as u8) as char).collect())
}

pub fn run(args: &[String]) -> Result<()> {
    let headless = args.iter().any(|a| a == "--headless")
        || (std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none());
    let firefox = match args.iter().position(|a| a == "--browser").map(|i| args.get(i + 1).map(String::as_str)) {
        None | Some(Some("chromium")) => false,
        Some(Some("firefox")) => true,
        Some(other) => bail!("--browser takes chromium or firefox, not {}", other.unwrap_or("nothing")),
    };
    setup::all()?;
    let extension = build::extension()?;
    crate::run("cargo", &["build", "--package", "orgseal-vendor", "--package", "orgseal-cli"])?;
    let root = root();
    let work = std::env::temp_dir().join(format!("orgseal-demo-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let data = work.join("vendor-data");
    let password = add_demo_user(&data)?;
    let (_vendor, origin) = start_vendor(&root.join("target/debug/orgseal-vendor"), &data, &[], &[])?;
    let policy = demo_policy(&origin);
    let policy_file = work.join("policy.json");
    write_private(&policy_file, &serde_json::to_string_pretty(&policy)?)?;
    // What a person can go and look at, only when it stays there to look at:
    // a headless run removes the site, its files and the policy when it ends.
    if !headless {
        println!("vendor site: {origin}/ (stores files in {})", data.display());
        println!("sign in as user \"{DEMO_USER}\" with password {password} (made for this demo run)");
        println!("demo policy: {} (mode 0600; it holds the org key)", policy_file.display());
    }

    let result = if headless || firefox {
        if headless {
            println!(
                "no display: running the round trip headless, on a site, user and policy made for this run and removed \
                 when it ends"
            );
        }
        // Firefox loads the extension through geckodriver, as about:debugging
        // does, with the policy as policies.json (tests/e2e/firefox.mjs).
        let status = Command::new("node")
            .arg("tests/e2e/demo.mjs")
            .env("ORGSEAL_DEMO_BROWSER", if firefox { "firefox" } else { "chromium" })
            .env("ORGSEAL_DEMO_WINDOW", if headless { "0" } else { "1" })
            .env("ORGSEAL_DEMO_ORIGIN", &origin)
            .env("ORGSEAL_DEMO_DATA", &data)
            .env("ORGSEAL_DEMO_POLICY", &policy_file)
            .env("ORGSEAL_DEMO_USER", DEMO_USER)
            .env("ORGSEAL_DEMO_PASSWORD", &password)
            .current_dir(&root)
            .status()?;
        if headless {
            let _ = std::fs::remove_dir_all(&work);
            println!(
                "done: the demo site, its stored files and the policy are removed. To try it yourself in a window, \
                 run `cargo xtask demo` (Chromium) or `cargo xtask demo --browser firefox` in a desktop session: \
                 the browser opens on the site and stays open until you close it."
            );
        }
        if status.success() { Ok(()) } else { Err(anyhow::anyhow!("the headless demo failed ({status})")) }
    } else {
        let etc = work.join("etc-chromium");
        std::fs::create_dir_all(etc.join("policies/managed"))?;
        let id = extension_id(&root)?;
        // The file IT deploys, written by the one renderer: `orgseal policy render`.
        let managed = etc.join("policies/managed/orgseal.json");
        let orgseal = root.join("target/debug/orgseal");
        let status = Command::new(&orgseal)
            .args(["policy", "render"])
            .arg(&policy_file)
            .args(["--browser", "chromium", "--os", "linux", "--extension-id", &id, "--output"])
            .arg(&managed)
            .status()?;
        if !status.success() {
            bail!("`orgseal policy render` refused the demo policy ({status})");
        }
        println!(
            "Try it: pick a file in either upload control, then click Download; the site only ever holds sealed bytes."
        );
        println!("Look at the stored blobs in {}/blobs; close Chromium to end the demo.", data.display());
        let profile = work.join("profile");
        let mut chromium = vec![
            "/usr/lib/chromium/chromium".to_string(),
            format!("--user-data-dir={}", profile.display()),
            format!("--disable-extensions-except={}", extension.display()),
            format!("--load-extension={}", extension.display()),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            format!("{origin}/"),
        ];
        if running_as_root() {
            chromium.insert(1, "--no-sandbox".into());
        }
        let log = work.join("chromium.log");
        println!("(Chromium's own messages go to {})", log.display());
        let script = "mount --bind \"$0\" /etc/chromium && exec \"$@\"";
        let log_file = std::fs::File::create(&log)?;
        let status = Command::new("unshare")
            .args(["-Urm", "sh", "-c", script])
            .arg(&etc)
            .args(&chromium)
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .status()
            .context("starting Chromium in its own mount namespace")?;
        if status.success() { Ok(()) } else { Err(anyhow::anyhow!("Chromium exited with {status}")) }
    };
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn running_as_root() -> bool {
    crate::output("id", &["-u"]).is_some_and(|u| u.trim() == "0")
}

#[cfg(test)]
mod tests {
    #[test]
    fn extension_id_matches_the_readme() {
        let id = super::extension_id(&crate::root()).unwrap();
        let readme = std::fs::read_to_string(crate::root().join("README.md")).unwrap();
        assert_eq!(id.len(), 32);
        assert!(readme.contains(&id), "README should name the extension id {id}");
    }
}
