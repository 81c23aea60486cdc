//! `orgseal-vendor`: the reference vendor file store. It stores and returns
//! whatever bytes it is given and knows nothing of keys or of OrgSeal.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use orgseal_vendor::{Config, serve};
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
        /// Folder for stored files.
        #[arg(long)]
        data: PathBuf,
        /// Content-Security-Policy header of every response, or `off`.
        #[arg(long, default_value = "default-src 'self'")]
        csp: String,
        /// Largest accepted upload in bytes.
        #[arg(long, default_value_t = 4 << 30)]
        max_upload: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve { listen, data, csp, max_upload } => {
            let listener =
                tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("cannot listen on {listen}"))?;
            let csp = (csp != "off").then_some(csp);
            let config = Config { data, csp, max_upload };
            println!("orgseal-vendor listening on http://{}", listener.local_addr()?);
            serve(listener, config).await
        }
    }
}
