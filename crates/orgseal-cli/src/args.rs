//! The command line: every subcommand, argument and value parser (clap),
//! kept apart from what the commands do (`policy_cmd`, `file_cmd`).

use crate::{pins, render};
use clap::{ArgGroup, Parser, Subcommand};
use std::path::PathBuf;

pub(crate) const AFTER_HELP: &str = "Exit codes: 0 success; 1 a file or policy was refused (damaged, wrong key, invalid), \
or an extension does not match its pins; 2 usage or I/O error.";

pub(crate) const PINS_AFTER_HELP: &str =
    "Pinned: every file under DIR except a top-level _metadata/ folder and any META-INF/ \
folder (browsers write those); the build hash is the SHA-256 of the sha256sum-style lines \
\"<sha256>  <path>\" of all files, sorted by path.

Exit codes: 0 written; 2 usage or I/O error (no manifest.json, a symbolic link, an existing output file).";

pub(crate) const AUDIT_AFTER_HELP: &str = "Exit codes: 0 the package matches the pins exactly (same files, same hashes, same \
version); 1 it does not: each file changed, missing or extra is listed; 2 usage or I/O error (unreadable \
pins, not a CRX, no installed copy found).";

#[derive(Parser, Debug)]
#[command(name = "orgseal", version, about = "OrgSeal for IT and for opening files outside the browser", after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
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
        /// A new policy only: the site to protect, as its origin
        /// (`https://files.example.com`), with its --upload and --download paths.
        #[arg(long, value_name = "ORIGIN", conflicts_with = "policy", requires_all = ["upload", "download"])]
        site: Option<String>,
        /// With --site: a path pattern of the site's upload endpoints (`*`
        /// matches one path segment); repeat for more.
        #[arg(long, value_name = "PATH", requires = "site")]
        upload: Vec<String>,
        /// With --site: a path pattern of the site's download endpoints,
        /// e.g. `/api/files/*/content`; repeat for more.
        #[arg(long, value_name = "PATH", requires = "site")]
        download: Vec<String>,
        /// With --site: also hide file names from the site.
        #[arg(long, requires = "site")]
        seal_names: bool,
    },
    /// Break-glass recovery of org keys: split into shares, combine, passphrase escrow (docs/RECOVERY.md).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
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
pub(crate) enum KeyCommand {
    /// Split a key of a policy into N shares of which any K rebuild it
    /// (Shamir's scheme over GF(256)): a sheet to print and a QR code per share.
    Split {
        /// The policy holding the key.
        #[arg(long, value_name = "POLICY")]
        policy: PathBuf,
        /// The key's label (default: the key that seals new files).
        #[arg(long)]
        label: Option<String>,
        /// How many shares to make (2 to 255).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(2..))]
        shares: u8,
        /// How many shares rebuild the key (2 to N).
        #[arg(long, value_name = "K", value_parser = clap::value_parser!(u8).range(2..))]
        threshold: u8,
        /// A new (or empty) folder for share-I-of-N.txt and share-I-of-N.svg (mode 0600).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
    /// Rebuild a key from K shares into a new policy file; nothing is written
    /// unless the rebuilt key has the key id the shares record.
    Combine {
        /// Files holding share lines (a share sheet, or lines typed from one);
        /// none or - reads them from standard input.
        shares: Vec<PathBuf>,
        /// The policy file to write (mode 0600), holding the rebuilt key.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Write a policy's keys (or one key) to an age file wrapped under a
    /// passphrase (scrypt), which `age -d` opens too. The passphrase is typed
    /// twice at the terminal, or taken from ORGSEAL_PASSPHRASE.
    Export {
        /// The policy.
        #[arg(long, value_name = "POLICY")]
        policy: PathBuf,
        /// Only this key (default: the whole policy).
        #[arg(long)]
        label: Option<String>,
        /// Protect the file with a passphrase (the only way there is).
        #[arg(long, required = true)]
        passphrase: bool,
        /// The escrow file to write (ASCII-armored age, mode 0600).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Read the policy back out of an escrow file (the passphrase is typed at
    /// the terminal, or taken from ORGSEAL_PASSPHRASE).
    Import {
        /// The escrow file from `orgseal key export`.
        file: PathBuf,
        /// The policy file to write (mode 0600).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Overwrite an existing output file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCommand {
    /// Exit 0 when the policy is valid, else print every problem, one per line.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Render the file IT deploys for one browser and OS (it holds the secrets).
    #[command(
        override_usage = "orgseal policy render --browser <BROWSER> --os <OS> --extension-id <ID> [OPTIONS] <FILE>\n       \
                                orgseal policy render --browser <BROWSER> --os <OS> --pin <PINS> --update-url <URL> [OPTIONS] <FILE>"
    )]
    Render(RenderArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct RenderArgs {
    /// The policy file (checked first).
    pub(crate) file: PathBuf,
    /// Which browser.
    #[arg(long, value_enum, help_heading = "Required")]
    pub(crate) browser: render::Browser,
    /// Which operating system.
    #[arg(long, value_enum, help_heading = "Required")]
    pub(crate) os: render::Os,
    /// The extension's id (Chrome-style id, or the Firefox add-on id).
    /// Required, except with --pin for Chrome, Chromium and Edge, which take
    /// the pins' crxId.
    #[arg(long, value_name = "ID", required_unless_present = "pin", help_heading = "Required")]
    pub(crate) extension_id: Option<String>,
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
    pub(crate) pin: Option<PathBuf>,
    /// With --pin: the update manifest's address, http or https, ending in
    /// its file name, e.g. `https://it.example/orgseal/updates.xml`. The
    /// package is hosted in the same folder, as orgseal-VERSION.crx
    /// (Firefox: orgseal-VERSION.xpi).
    #[arg(long, value_name = "URL", requires = "pin", value_parser = render::parse_update_url)]
    pub(crate) update_url: Option<url::Url>,
    /// With --pin, for Chrome, Chromium and Edge (required there): write the
    /// update manifest to FILE; it offers only the pinned version, from
    /// the --update-url's folder as orgseal-VERSION.crx. Host it at
    /// --update-url.
    #[arg(long, value_name = "FILE", requires = "pin")]
    pub(crate) update_manifest: Option<PathBuf>,
    /// Firefox with --pin, for tests only: also lock the preference
    /// xpinstall.signatures.required to false, so an unsigned XPI installs
    /// (Firefox ESR only). Never deploy it: it lets any unsigned add-on
    /// install.
    #[arg(long, requires = "pin")]
    pub(crate) allow_unsigned_xpi: bool,
    /// Where to write (mode 0600); without it the file goes to standard
    /// output, which must not be a terminal unless --show-secret is given.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Chrome, Chromium and Edge: leave Incognito (InPrivate), Guest windows
    /// and new profiles open. By default the rendered file closes them, since
    /// OrgSeal does not run there and a protected site opened in one would
    /// get files unsealed.
    #[arg(long)]
    pub(crate) private_windows_open: bool,
    /// Allow printing the rendered file, secrets included, to a terminal.
    #[arg(long)]
    pub(crate) show_secret: bool,
    /// Overwrite existing output files (the rendered file and the update
    /// manifest).
    #[arg(long)]
    pub(crate) force: bool,
}

pub(crate) fn parse_crx_id(text: &str) -> Result<String, String> {
    pins::check_crx_id(text).map(|()| text.to_string())
}

pub(crate) fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = text.split_once('-').ok_or("write the range as START-END, e.g. 0-1023")?;
    let a: u64 = a.trim().parse().map_err(|_| format!("{a:?} is not a byte offset"))?;
    let b: u64 = b.trim().parse().map_err(|_| format!("{b:?} is not a byte offset"))?;
    if b < a {
        return Err(format!("the range ends ({b}) before it starts ({a})"));
    }
    Ok((a, b))
}
