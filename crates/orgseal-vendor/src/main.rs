//! `orgseal-vendor`: the reference vendor file store. It stores and returns
//! whatever bytes it is given and knows nothing of keys or of OrgSeal.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use orgseal_vendor::{Config, add_user, open};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "orgseal-vendor", version, about = "Reference file-store site (knows nothing of keys)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the site.
    Serve {
        /// Address to listen on; port 0 picks a free port (the address is printed).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Folder for the database (vendor.db) and, by default, the blobs.
        #[arg(long)]
        data: PathBuf,
        /// Where blobs go: s3://BUCKET[/PREFIX] (endpoint and credentials from
        /// AWS_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
        /// AWS_ALLOW_HTTP) or file:///FOLDER. Default: DATA/blobs.
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Content-Security-Policy header of every response, or `off`.
        #[arg(long, default_value = "default-src 'self'")]
        csp: String,
        /// Largest accepted upload request, in bytes (larger ones get 413).
        #[arg(long, default_value_t = 4 << 30)]
        max_upload: u64,
        /// Refuse (422) any upload whose bytes do not start with the OrgSeal header.
        #[arg(long)]
        require_sealed: bool,
        /// Browsers reach the site over https (through a TLS proxy): cookies get Secure.
        #[arg(long)]
        https: bool,
        /// MiB of upload part buffers shared by all uploads; uploads beyond it
        /// are spooled to DATA/spool until a share is free.
        #[arg(long, default_value_t = orgseal_vendor::store::DEFAULT_BUDGET >> 20)]
        upload_memory_mib: usize,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user; the password is read from standard input (one line).
    Add {
        /// The user name.
        name: String,
        /// The site's data folder.
        #[arg(long)]
        data: PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse().command).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orgseal-vendor: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { listen, data, store, csp, max_upload, require_sealed, https, upload_memory_mib } => {
            let listener =
                tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            let csp = (csp != "off").then_some(csp);
            let upload_memory = upload_memory_mib << 20;
            let config = Config { data, store, csp, max_upload, require_sealed, https, upload_memory };
            // Announce the address only once start-up (database, orphan cleanup) is done.
            let site = open(config).await?;
            println!("orgseal-vendor listening on http://{}", listener.local_addr()?);
            site.serve(listener).await
        }
        Command::User { command: UserCommand::Add { name, data } } => {
            if std::io::stdin().is_terminal() {
                eprintln!("password for {name} (the input is shown; pipe it in to hide it):");
            }
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            add_user(&data, &name, password).await?;
            println!("added user {name}");
            Ok(())
        }
    }
}
