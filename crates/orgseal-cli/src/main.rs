#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod audit;
mod files;
mod pins;
mod render;

use clap::{ArgGroup, Parser, Subcommand};
use orgseal_core::header::Header;
use orgseal_core::io::StreamError;
use orgseal_core::policy::{KeyEntry, PolicyDocument};
use orgseal_core::{Metadata, OrgKey, Policy};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const AFTER_HELP: &str = "Exit codes: 0 success; 1 a file or policy was refused (damaged, wrong key, invalid), \
or an extension does not match its pins; 2 usage or I/O error.";

const PINS_AFTER_HELP: &str = "Pinned: every file under DIR except a top-level _metadata/ folder and any META-INF/ \
folder (browsers write those); the build hash is the SHA-256 of the sha256sum-style lines \
\"<sha256>  <path>\" of all files, sorted by path.

Exit codes: 0 written; 2 usage or I/O error (no manifest.json, a symbolic link, an existing output file).";

const AUDIT_AFTER_HELP: &str = "Exit codes: 0 the package matches the pins exactly (same files, same hashes, same \
version); 1 it does not: each file changed, missing or extra is listed; 2 usage or I/O error (unreadable \
pins, not a CRX, no installed copy found).";

#[derive(Parser, Debug)]
#[command(name = "orgseal", version, about = "OrgSeal for IT and for opening files outside the browser", after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make a new policy with one fresh key, or rotate: add a new sealing key to a policy.
    Keygen {
        /// Label of the new key (1-64 printable characters).
        #[arg(long)]
        label: String,
        /// Rotate this policy: the new key seals new files, the old ones stay for opening.
        #[arg(long, value_name = "POLICY")]
        policy: Option<PathBuf>,
        /// Where to write a new policy (mode 0600).
        #[arg(short, long, value_name = "FILE", conflicts_with = "policy")]
        output: Option<PathBuf>,
        /// Allow printing the policy, secret included, to a terminal.
        #[arg(long)]
        show_secret: bool,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Check or render a policy.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Seal a file with the policy's sealing key.
    Encrypt {
        /// The policy holding the keys.
        #[arg(long, value_name = "POLICY")]
        policy: PathBuf,
        /// The file to seal, or - for standard input.
        input: PathBuf,
        /// Where to write (default: INPUT.orgseal; - for standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The name sealed inside the file (default: the input's file name).
        #[arg(long)]
        name: Option<String>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Open a sealed file; nothing is written unless the whole file verifies.
    Decrypt {
        /// The policy holding the keys.
        #[arg(long, value_name = "POLICY")]
        policy: PathBuf,
        /// The sealed file, or - for standard input.
        input: PathBuf,
        /// Where to write: a file, a folder (the sealed name is used), or - for
        /// standard output (default: the sealed name in the current folder).
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
        /// Only plaintext bytes START to END (inclusive, as in HTTP ranges),
        /// reading only the chunks that hold them; printed to standard output
        /// unless -o says otherwise.
        #[arg(long, value_name = "START-END", value_parser = parse_range)]
        range: Option<(u64, u64)>,
    },
    /// Pin an extension build: its name, version, id and the SHA-256 of every file.
    #[command(after_help = PINS_AFTER_HELP)]
    Pins {
        /// The unpacked extension build: the folder that holds manifest.json.
        dir: PathBuf,
        /// The extension's Chrome id (32 letters a-p), as chrome://extensions shows it.
        #[arg(long, value_name = "ID", value_parser = parse_crx_id)]
        crx_id: String,
        /// Where to write the pins (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Check an extension package, folder or installed copy against pins, file by file.
    #[command(after_help = AUDIT_AFTER_HELP, group(ArgGroup::new("what").required(true).args(["target", "profile"])))]
    Audit {
        /// The pins file, from `orgseal pins`.
        #[arg(long, value_name = "PINS")]
        pins: PathBuf,
        /// A .crx (CRX3), .xpi or .zip file, or an unpacked extension folder.
        target: Option<PathBuf>,
        /// Audit the copy installed in this browser profile instead.
        #[arg(
            long,
            value_name = "DIR",
            help = "Audit the copy installed in this browser profile instead: a Chromium profile folder or user \
                    data folder (Extensions/<crxId>/<version>_*/, every version found), or a Firefox profile \
                    folder (extensions/<gecko id>.xpi with the pinned name)"
        )]
        profile: Option<PathBuf>,
        /// Print JSON: one object (with --profile, an array of one object per
        /// installed copy): target, matches, version and buildHash (pinned,
        /// found), changed (path, pinned, found), missing, extra.
        #[arg(long)]
        json: bool,
    },
    /// Show what a sealed file says about itself.
    Inspect {
        /// The sealed file.
        file: PathBuf,
        /// With the policy: the key label and the sealed metadata too.
        #[arg(long, value_name = "POLICY")]
        policy: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Exit 0 when the policy is valid, else print every problem, one per line.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Render the file IT deploys for one browser and OS (it holds the secrets).
    Render(RenderArgs),
}

#[derive(clap::Args, Debug)]
struct RenderArgs {
    /// The policy file (checked first).
    file: PathBuf,
    /// Which browser.
    #[arg(long, value_enum)]
    browser: render::Browser,
    /// Which operating system.
    #[arg(long, value_enum)]
    os: render::Os,
    /// The extension's id (Chrome-style id, or the Firefox add-on id); with
    /// --pin, Chrome, Chromium and Edge default to the pins' crxId.
    #[arg(long, value_name = "ID", required_unless_present = "pin")]
    extension_id: Option<String>,
    /// Also force-install the pinned build: the pins file from `orgseal
    /// pins` (name, version, crxId). Needs --update-url.
    ///
    /// Chrome, Chromium, Edge: adds the browser's ExtensionSettings policy for
    /// the pins' crxId: installation_mode force_installed, update_url the
    /// --update-url, minimum_version_required the pinned version, and pinned
    /// to the toolbar (Edge: toolbar_state force_shown). Chrome has no
    /// exact-version pin: the exact version comes from the update manifest
    /// (--update-manifest), which offers only the pinned version, and
    /// minimum_version_required refuses anything older.
    ///
    /// Firefox: adds ExtensionSettings for the --extension-id (the gecko id):
    /// force_installed from install_url FOLDER/orgseal-VERSION.xpi, where
    /// FOLDER is the --update-url's folder.
    /// A real deployment needs that XPI signed by Mozilla for
    /// self-distribution (an unlisted add-on); an unsigned XPI installs only
    /// on Firefox ESR with the locked preference
    /// xpinstall.signatures.required=false, which is for tests only (see
    /// --allow-unsigned-xpi).
    #[arg(long, value_name = "PINS", requires = "update_url")]
    pin: Option<PathBuf>,
    /// With --pin: the update manifest's address, http or https, ending in
    /// its file name, e.g. `https://it.example/orgseal/updates.xml`. The
    /// package is hosted in the same folder, as orgseal-VERSION.crx
    /// (Firefox: orgseal-VERSION.xpi).
    #[arg(long, value_name = "URL", requires = "pin", value_parser = render::parse_update_url)]
    update_url: Option<url::Url>,
    /// With --pin, for Chrome, Chromium and Edge (required there): write the
    /// update manifest to FILE; it offers only the pinned version, from
    /// the --update-url's folder as orgseal-VERSION.crx. Host it at
    /// --update-url.
    #[arg(long, value_name = "FILE", requires = "pin")]
    update_manifest: Option<PathBuf>,
    /// Firefox with --pin, for tests only: also lock the preference
    /// xpinstall.signatures.required to false, so an unsigned XPI installs
    /// (Firefox ESR only). Never deploy it: it lets any unsigned add-on
    /// install.
    #[arg(long, requires = "pin")]
    allow_unsigned_xpi: bool,
    /// Where to write (mode 0600); without it the file goes to standard
    /// output, which must not be a terminal unless --show-secret is given.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Allow printing the rendered file, secrets included, to a terminal.
    #[arg(long)]
    show_secret: bool,
    /// Overwrite existing output files (the rendered file and the update
    /// manifest).
    #[arg(long)]
    force: bool,
}

/// A failure, with the exit code it maps to.
#[derive(Debug)]
enum Failure {
    /// Exit 1: a file or policy was refused.
    Refused(String),
    /// Exit 2: usage or I/O.
    Usage(String),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Usage(e.to_string())
    }
}

fn stream_failure(what: &Path, e: StreamError) -> Failure {
    match e {
        StreamError::Refused(e) => Failure::Refused(format!("{}: {e}", what.display())),
        StreamError::Io(e) => Failure::Usage(format!("{}: {e}", what.display())),
        other => Failure::Usage(format!("{}: {other}", what.display())),
    }
}

/// As [`stream_failure`], with the policy at hand: an unknown key is named
/// together with the keys the policy holds, and what IT must do.
fn open_failure(what: &Path, ring: &orgseal_core::KeyRing, e: StreamError) -> Failure {
    match e {
        StreamError::Refused(e) => Failure::Refused(format!("{}: {}", what.display(), ring.explain(&e))),
        StreamError::Io(e) => Failure::Usage(format!("{}: {e}", what.display())),
        other => Failure::Usage(format!("{}: {other}", what.display())),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Refused(msg)) => {
            eprintln!("orgseal: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) if msg.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("orgseal: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Keygen { label, policy: Some(path), .. } => rotate(&label, &path),
        Command::Keygen { label, policy: None, output, show_secret, force } => {
            keygen(&label, output.as_deref(), show_secret, force)
        }
        Command::Policy { command: PolicyCommand::Check { file } } => check(&file),
        Command::Policy { command: PolicyCommand::Render(args) } => render_policy(args),
        Command::Encrypt { policy, input, output, name, force } => {
            encrypt(&policy, &input, output.as_deref(), name, force)
        }
        Command::Decrypt { policy, input, output, force, range: None } => {
            decrypt(&policy, &input, output.as_deref(), force)
        }
        Command::Decrypt { policy, input, output, force, range: Some(range) } => {
            decrypt_range(&policy, &input, output.as_deref(), force, range)
        }
        Command::Inspect { file, policy, json } => inspect(&file, policy.as_deref(), json),
        Command::Pins { dir, crx_id, output, force } => write_pins(&dir, &crx_id, output.as_deref(), force),
        Command::Audit { pins, target, profile, json } => {
            audit::run(&pins, target.as_deref(), profile.as_deref(), json)
        }
    }
}

fn render_policy(args: RenderArgs) -> Result<(), Failure> {
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

    let rendered = render::render(&value, browser, os, &extension_id, pinning.as_ref());
    emit_secret(&rendered.text, output.as_deref(), show_secret, force)?;
    eprintln!("deploy to: {}", rendered.destination);
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

fn browser_name(browser: render::Browser) -> &'static str {
    match browser {
        render::Browser::Chrome => "chrome",
        render::Browser::Chromium => "chromium",
        render::Browser::Edge => "edge",
        render::Browser::Firefox => "firefox",
    }
}

fn parse_crx_id(text: &str) -> Result<String, String> {
    pins::check_crx_id(text).map(|()| text.to_string())
}

fn write_pins(dir: &Path, crx_id: &str, output: Option<&Path>, force: bool) -> Result<(), Failure> {
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

fn read_policy_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}

fn load_policy(path: &Path) -> Result<Policy, Failure> {
    Policy::from_json(&read_policy_text(path)?).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Failure::Refused(format!(
            "{} is not a valid policy (run `orgseal policy check` for details): {}",
            path.display(),
            lines.join("; ")
        ))
    })
}

fn keygen(label: &str, output: Option<&Path>, show_secret: bool, force: bool) -> Result<(), Failure> {
    let key = OrgKey::generate(label);
    let doc = PolicyDocument { keys: vec![KeyEntry::new(&key, true)], sites: vec![], fail_closed: true };
    emit_secret(&policy_json(&doc)?, output, show_secret, force)?;
    eprintln!("key id {} (label \"{}\")", key.id(), key.label());
    Ok(())
}

/// Writes text that holds secrets: to a 0600 file, or to standard output
/// when that is not a terminal (or `--show-secret` says it may be).
fn emit_secret(text: &str, output: Option<&Path>, show_secret: bool, force: bool) -> Result<(), Failure> {
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

fn rotate(label: &str, path: &Path) -> Result<(), Failure> {
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

fn policy_json(doc: &PolicyDocument) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(doc).map_err(|e| Failure::Usage(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

fn check(path: &Path) -> Result<(), Failure> {
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

fn is_dash(p: &Path) -> bool {
    p.as_os_str() == "-"
}

fn encrypt(
    policy: &Path,
    input: &Path,
    output: Option<&Path>,
    name: Option<String>,
    force: bool,
) -> Result<(), Failure> {
    let policy = load_policy(policy)?;
    let key = policy.ring.encrypt_key();
    let (reader, size, modified): (Box<dyn Read>, Option<u64>, Option<i64>) = if is_dash(input) {
        (Box::new(std::io::stdin().lock()), None, None)
    } else {
        let file = std::fs::File::open(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
        let meta = file.metadata()?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        (Box::new(file), meta.is_file().then_some(meta.len()), modified)
    };
    let name = match name {
        Some(n) => n,
        None if is_dash(input) => {
            return Err(Failure::Usage("reading standard input: give the sealed file name with --name".into()));
        }
        None => input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into()),
    };
    let metadata = Metadata { name, mime: String::new(), size, modified };
    let default_out;
    let output = match output {
        Some(o) => o,
        None if is_dash(input) => Path::new("-"),
        None => {
            default_out = PathBuf::from(format!("{}.orgseal", input.display()));
            &default_out
        }
    };
    files::write_atomically(output, force, |w| {
        orgseal_core::io::seal(key, &metadata, reader, w).map(|_| ()).map_err(|e| stream_failure(input, e))
    })?;
    eprintln!("sealed with key \"{}\" ({})", key.label(), key.id());
    Ok(())
}

fn open_input(input: &Path) -> Result<Box<dyn Read>, Failure> {
    if is_dash(input) {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file = std::fs::File::open(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
}

fn decrypt(policy: &Path, input: &Path, output: Option<&Path>, force: bool) -> Result<(), Failure> {
    let policy = load_policy(policy)?;
    let mut reader = open_input(input)?;
    let (start, prefix) =
        orgseal_core::io::read_prefix(&policy.ring, &mut reader).map_err(|e| open_failure(input, &policy.ring, e))?;
    let sealed_name = files::safe_name(&start.metadata.name);
    let target = match output {
        Some(o) if is_dash(o) => PathBuf::from("-"),
        Some(o) if o.is_dir() => o.join(&sealed_name),
        Some(o) => o.to_path_buf(),
        None => PathBuf::from(&sealed_name),
    };
    // Feed the prefix back in front of the rest of the input.
    let whole = std::io::Cursor::new(prefix).chain(reader);
    files::write_atomically(&target, force, |w| {
        orgseal_core::io::open(&policy.ring, whole, w).map(|_| ()).map_err(|e| open_failure(input, &policy.ring, e))
    })?;
    if !is_dash(&target) {
        eprintln!("opened {} (sealed with key \"{}\")", target.display(), start.key_label);
    }
    Ok(())
}

fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = text.split_once('-').ok_or("write the range as START-END, e.g. 0-1023")?;
    let a: u64 = a.trim().parse().map_err(|_| format!("{a:?} is not a byte offset"))?;
    let b: u64 = b.trim().parse().map_err(|_| format!("{b:?} is not a byte offset"))?;
    if b < a {
        return Err(format!("the range ends ({b}) before it starts ({a})"));
    }
    Ok((a, b))
}

fn decrypt_range(
    policy: &Path,
    input: &Path,
    output: Option<&Path>,
    force: bool,
    (first, last): (u64, u64),
) -> Result<(), Failure> {
    use orgseal_core::header::{ContentLayout, open_chunk};
    use std::io::{Seek, SeekFrom};
    let policy = load_policy(policy)?;
    if is_dash(input) {
        return Err(Failure::Usage("--range needs a file it can seek in, not standard input".into()));
    }
    let refused = |e: orgseal_core::Error| Failure::Refused(format!("{}: {e}", input.display()));
    let mut file = std::fs::File::open(input).map_err(|e| Failure::Usage(format!("{}: {e}", input.display())))?;
    let len = file.metadata()?.len();
    let (start, _) =
        orgseal_core::io::read_prefix(&policy.ring, &mut file).map_err(|e| open_failure(input, &policy.ring, e))?;
    let layout = ContentLayout::new(start.content_offset, len).map_err(refused)?;
    if let Some(size) = start.metadata.size
        && size != layout.plaintext_len
    {
        return Err(refused(orgseal_core::Error::SizeMismatch { expected: size, actual: layout.plaintext_len }));
    }
    let mut read_chunk = |k: u64| -> Result<Vec<u8>, Failure> {
        let (offset, chunk_len) = layout.chunk(k);
        let mut sealed = vec![0u8; chunk_len];
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(&mut sealed)?;
        open_chunk(&start.content_key, &layout, k, &sealed).map_err(refused)
    };
    // The final chunk authenticates the length, so a cut file is refused here too.
    read_chunk(layout.chunks - 1)?;
    let end = last.checked_add(1).filter(|&e| e <= layout.plaintext_len).ok_or_else(|| {
        let holds = match layout.plaintext_len {
            0 => "it is empty".to_string(),
            1 => "it holds 1 byte, offset 0".to_string(),
            n => format!("it holds {n} bytes, offsets 0-{}", n - 1),
        };
        Failure::Usage(format!("the range {first}-{last} is outside the file: {holds}"))
    })?;
    let (a, b) = layout.chunks_for(first, end).expect("range checked");
    let target = output.unwrap_or(Path::new("-"));
    files::write_atomically(target, force, |w| {
        for k in a..=b {
            let plain = read_chunk(k)?;
            let chunk_start = k * orgseal_core::primitives::CHUNK_LEN as u64;
            let from = first.saturating_sub(chunk_start) as usize;
            let to = (end - chunk_start).min(plain.len() as u64) as usize;
            w.write_all(&plain[from..to])?;
        }
        Ok(())
    })
}

fn inspect(file: &Path, policy: Option<&Path>, json: bool) -> Result<(), Failure> {
    let len = std::fs::metadata(file).map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?.len();
    let mut reader = open_input(file)?;
    let mut first = [0u8; 28];
    reader.read_exact(&mut first).map_err(|_| {
        Failure::Refused(format!("{}: not an OrgSeal file (shorter than the 28-byte header)", file.display()))
    })?;
    let header = Header::parse(&first).map_err(|e| Failure::Refused(format!("{}: {e}", file.display())))?;
    let content = len.saturating_sub(header.prefix_len() as u64);
    // The same layout rules the readers use; a file without its final chunk says so.
    let layout = orgseal_core::header::ContentLayout::new(header.prefix_len() as u64, len)
        .map_err(|e| Failure::Refused(format!("{}: {e}", file.display())))?;
    let chunks = layout.chunks;
    let mut out = serde_json::json!({
        "version": 1,
        "keyId": header.key_id.to_string(),
        "metaLength": header.meta_len,
        "contentLength": content,
        "chunks": chunks,
        "plaintextLength": layout.plaintext_len,
    });
    if let Some(policy) = policy {
        let policy = load_policy(policy)?;
        let mut whole = std::io::Cursor::new(first.to_vec()).chain(reader);
        let (start, _) =
            orgseal_core::io::read_prefix(&policy.ring, &mut whole).map_err(|e| open_failure(file, &policy.ring, e))?;
        out["keyLabel"] = start.key_label.clone().into();
        out["metadata"] = serde_json::to_value(&start.metadata).map_err(|e| Failure::Usage(e.to_string()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Failure::Usage(e.to_string()))?);
    } else {
        println!("OrgSeal version 1");
        println!("key id          {}", out["keyId"].as_str().unwrap_or_default());
        if let Some(label) = out["keyLabel"].as_str() {
            println!("key label       {label}");
        }
        println!("metadata length {}", header.meta_len);
        let plural = if chunks == 1 { "" } else { "s" };
        println!("content length  {content} ({chunks} chunk{plural}, {} bytes of plaintext)", out["plaintextLength"]);
        if let Some(meta) = out.get("metadata") {
            println!("name            {}", meta["name"].as_str().unwrap_or_default());
            println!("type            {}", meta["type"].as_str().unwrap_or_default());
            if let Some(size) = meta.get("size") {
                println!("size            {size}");
            }
            if let Some(modified) = meta.get("modified") {
                println!("modified (ms)   {modified}");
            }
        }
    }
    Ok(())
}
