//! The policy commands: keygen, rotate, check, render, and the pins.

use crate::args::RenderArgs;
use crate::{Failure, files, pins, render};
use orgseal_core::policy::{KeyEntry, PolicyDocument, SiteEntry};
use orgseal_core::{OrgKey, Policy};
use std::io::{IsTerminal, Write};
use std::path::Path;

pub(crate) fn render_policy(args: RenderArgs) -> Result<(), Failure> {
    let RenderArgs {
        file,
        browser,
        os,
        extension_id,
        pin,
        update_url,
        update_manifest,
        allow_unsigned_xpi,
        output,
        private_windows_open,
        show_secret,
        force,
    } = args;
    let chrome = browser.is_chrome_family();
    // Usage first, before any file is read.
    if pin.is_some() {
        match (chrome, &extension_id, &update_manifest) {
            (true, _, None) => {
                return Err(Failure::Usage(format!(
                    "--pin for {} needs --update-manifest FILE: Chrome has no exact-version pin, so the exact \
                     version comes from the update manifest at --update-url, which offers only the pinned version; \
                     add --update-manifest updates.xml and host that file at the --update-url",
                    browser_name(browser)
                )));
            }
            (false, None, _) => {
                return Err(Failure::Usage(
                    "--pin for firefox needs --extension-id with the Firefox add-on id (the gecko id, e.g. \
                     orgseal@orgseal.example): the pins give only the Chrome id"
                        .into(),
                ));
            }
            (false, _, Some(_)) => {
                return Err(Failure::Usage(
                    "--update-manifest is for chrome, chromium and edge: Firefox installs the XPI from the \
                     install_url orgseal writes into policies.json and needs no update manifest; leave it out"
                        .into(),
                ));
            }
            _ => {}
        }
        if chrome && allow_unsigned_xpi {
            return Err(Failure::Usage(
                "--allow-unsigned-xpi is for --browser firefox only: Chrome, Chromium and Edge install the CRX \
                 from the update manifest; leave it out"
                    .into(),
            ));
        }
    }
    if let (Some(manifest), Some(out)) = (&update_manifest, &output)
        && manifest == out
    {
        return Err(Failure::Usage(format!(
            "--update-manifest and -o are both {}: give the update manifest and the policy different files",
            out.display()
        )));
    }
    if let Some(manifest) = &update_manifest
        && !force
        && manifest.symlink_metadata().is_ok()
    {
        return Err(Failure::Usage(format!("{} exists: pass --force to overwrite it", manifest.display())));
    }

    load_policy(&file)?;
    let value: serde_json::Value = serde_json::from_str(&read_policy_text(&file)?)
        .map_err(|e| Failure::Refused(format!("{}: {e}", file.display())))?;

    let (pins_path, pins) = match &pin {
        Some(path) => (Some(path.as_path()), Some(pins::Pins::read(path)?)),
        None => (None, None),
    };
    let pinning = match (&pins, update_url) {
        (Some(pins), Some(update_url)) => {
            render::check_version(&pins.version).map_err(|why| {
                Failure::Usage(format!("{}: {why}", pins_path.map(Path::display).expect("pins read from a file")))
            })?;
            Some(render::Pinning { version: pins.version.clone(), update_url, allow_unsigned_xpi })
        }
        _ => None,
    };
    let extension_id = match (&pins, extension_id) {
        (Some(pins), Some(id)) if chrome && id != pins.crx_id => {
            return Err(Failure::Usage(format!(
                "--extension-id {id} is not the id the pins give: {} has crxId {}; leave --extension-id out to \
                 use the pins' id, or give the pins of the build whose id is {id}",
                pins_path.map(Path::display).expect("pins read from a file"),
                pins.crx_id
            )));
        }
        (_, Some(id)) => id,
        (Some(pins), None) => pins.crx_id.clone(),
        (None, None) => unreachable!("clap requires --extension-id without --pin"),
    };

    let rendered = render::render(&value, browser, os, &extension_id, pinning.as_ref(), private_windows_open);
    if private_windows_open && chrome {
        eprintln!(
            "warning: --private-windows-open leaves Incognito, Guest windows and new profiles open: OrgSeal does not run \
             there, so a person who opens a protected site in one uploads files unsealed"
        );
    }
    emit_secret(&rendered.text, output.as_deref(), show_secret, force)?;
    let file = output.as_deref().map_or_else(|| rendered.default_name.to_string(), |p| p.display().to_string());
    eprintln!("deploy to: {}", rendered.destination.replace("{file}", &file));
    let (Some(pins), Some(pinning)) = (&pins, &pinning) else { return Ok(()) };
    let package = render::package_url(pinning, browser);
    eprintln!(
        "force-installs {} {} ({extension_id}), build {}",
        pins.name,
        pins.version,
        &pins.build_hash[..16.min(pins.build_hash.len())]
    );
    if let Some(manifest) = &update_manifest {
        files::write_new(manifest, render::update_manifest(pinning, &extension_id).as_bytes(), force, false)?;
        eprintln!("wrote {}: it offers version {} only", manifest.display(), pins.version);
        eprintln!("host {} at {}", manifest.display(), pinning.update_url);
        eprintln!("host the CRX of version {} at {package}", pins.version);
    } else {
        if pinning.allow_unsigned_xpi {
            eprintln!("host the XPI of version {} at {package}", pins.version);
            eprintln!(
                "xpinstall.signatures.required is locked to false: for tests on Firefox ESR only, never deploy this"
            );
        } else {
            eprintln!("host the XPI of version {} at {package}, signed by Mozilla (unlisted)", pins.version);
        }
    }
    Ok(())
}

pub(crate) fn browser_name(browser: render::Browser) -> &'static str {
    match browser {
        render::Browser::Chrome => "chrome",
        render::Browser::Chromium => "chromium",
        render::Browser::Edge => "edge",
        render::Browser::Firefox => "firefox",
    }
}

pub(crate) fn write_pins(dir: &Path, crx_id: &str, output: Option<&Path>, force: bool) -> Result<(), Failure> {
    let package = pins::read_dir(dir)?;
    for folder in &package.left_out {
        eprintln!("left out {}/ (browsers write it; it is never pinned)", dir.join(folder).display());
    }
    let pins = pins::Pins::of(package, dir, crx_id)?;
    let text = pins.to_json();
    match output {
        Some(path) => {
            files::write_new(path, text.as_bytes(), force, false)?;
            eprintln!(
                "wrote {}: {} {}, {} file(s), build {}",
                path.display(),
                pins.name,
                pins.version,
                pins.files.len(),
                &pins.build_hash[..16]
            );
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

pub(crate) fn read_policy_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}

pub(crate) fn load_policy(path: &Path) -> Result<Policy, Failure> {
    Policy::from_json(&read_policy_text(path)?).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Failure::Refused(format!(
            "{} is not a valid policy (run `orgseal policy check` for details): {}",
            path.display(),
            lines.join("; ")
        ))
    })
}

/// A site for a new policy, as `keygen --site` takes it.
pub(crate) struct NewSite {
    pub(crate) origin: String,
    pub(crate) upload: Vec<String>,
    pub(crate) download: Vec<String>,
    pub(crate) seal_names: bool,
}

pub(crate) fn keygen(
    label: &str,
    site: Option<NewSite>,
    output: Option<&Path>,
    show_secret: bool,
    force: bool,
) -> Result<(), Failure> {
    let key = OrgKey::generate(label);
    let sites = site
        .into_iter()
        .map(|s| SiteEntry { origin: s.origin, upload: s.upload, download: s.download, seal_names: s.seal_names })
        .collect();
    let doc = PolicyDocument { keys: vec![KeyEntry::new(&key, true)], sites, fail_closed: true };
    let text = policy_json(&doc)?;
    // What is written must pass `policy check`: a site written wrongly is
    // refused here, before any file exists.
    if let Err(problems) = Policy::from_json(&text) {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Failure::Usage(format!("the new policy would be invalid: {}", lines.join("; "))));
    }
    emit_secret(&text, output, show_secret, force)?;
    eprintln!("key id {} (label \"{}\")", key.id(), key.label());
    if doc.sites.is_empty() {
        eprintln!("{NO_SITES}");
    }
    Ok(())
}

const NO_SITES: &str = "warning: the policy names no site, so OrgSeal seals nothing: add one with `orgseal keygen \
                        --site ORIGIN --upload PATH --download PATH`, or to \"sites\" by hand";

/// Writes text that holds secrets: to a 0600 file, or to standard output
/// when that is not a terminal (or `--show-secret` says it may be).
pub(crate) fn emit_secret(text: &str, output: Option<&Path>, show_secret: bool, force: bool) -> Result<(), Failure> {
    match output {
        Some(path) => {
            files::write_new(path, text.as_bytes(), force, true)?;
            eprintln!("wrote {} (mode 0600; it holds the secret)", path.display());
        }
        None if std::io::stdout().is_terminal() && !show_secret => {
            return Err(Failure::Usage(
                "refusing to print a secret to the terminal: write it with -o FILE, or pass --show-secret".into(),
            ));
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

pub(crate) fn rotate(label: &str, path: &Path) -> Result<(), Failure> {
    let policy = load_policy(path)?;
    let mut doc: PolicyDocument = serde_json::from_str(&read_policy_text(path)?)
        .map_err(|e| Failure::Refused(format!("{}: {e}", path.display())))?;
    let key = OrgKey::generate(label);
    let previous = policy.ring.encrypt_key();
    for entry in &mut doc.keys {
        entry.encrypt = false;
    }
    doc.keys.insert(0, KeyEntry::new(&key, true));
    let text = policy_json(&doc)?;
    if let Err(problems) = Policy::from_json(&text) {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Failure::Refused(format!("the rotated policy would be invalid: {}", lines.join("; "))));
    }
    files::write_new(path, text.as_bytes(), true, true)?;
    println!(
        "key id {} (label \"{}\") now seals new files; \"{}\" ({}) stays for opening",
        key.id(),
        key.label(),
        previous.label(),
        previous.id()
    );
    Ok(())
}

pub(crate) fn policy_json(doc: &PolicyDocument) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(doc).map_err(|e| Failure::Usage(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

pub(crate) fn check(path: &Path) -> Result<(), Failure> {
    match Policy::from_json(&read_policy_text(path)?) {
        Ok(policy) => {
            let key = policy.ring.encrypt_key();
            println!(
                "valid: {} key(s), new files sealed with \"{}\" ({}); {} site(s); failClosed {}",
                policy.ring.keys().len(),
                key.label(),
                key.id(),
                policy.sites.len(),
                policy.fail_closed
            );
            if policy.sites.is_empty() {
                eprintln!("{NO_SITES}");
            }
            Ok(())
        }
        Err(problems) => {
            for p in &problems {
                println!("{p}");
            }
            Err(Failure::Refused(format!("{}: {} problem(s)", path.display(), problems.len())))
        }
    }
}
