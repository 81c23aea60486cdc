#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod args;
mod audit;
mod failure;
mod file_cmd;
mod files;
mod pins;
mod policy_cmd;
mod recovery;
mod render;

use args::{Cli, Command, KeyCommand, PolicyCommand};
use clap::Parser;
pub(crate) use failure::Failure;
use file_cmd::{decrypt, decrypt_range, encrypt, inspect};
use policy_cmd::{NewSite, check, keygen, render_policy, rotate, write_pins};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (code, message) = failure.report();
            if let Some(message) = message {
                eprintln!("orgseal: {message}");
            }
            ExitCode::from(code)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Keygen { label, policy: Some(path), .. } => rotate(&label, &path),
        Command::Keygen { label, policy: None, output, show_secret, force, site, upload, download, seal_names } => {
            let site = site.map(|origin| NewSite { origin, upload, download, seal_names });
            keygen(&label, site, output.as_deref(), show_secret, force)
        }
        Command::Policy { command: PolicyCommand::Check { file } } => check(&file),
        Command::Key { command: KeyCommand::Split { policy, label, shares, threshold, output } } => {
            recovery::split_cmd(&policy, label.as_deref(), shares, threshold, &output)
        }
        Command::Key { command: KeyCommand::Combine { shares, output, force } } => {
            recovery::combine_cmd(&shares, &output, force)
        }
        Command::Key { command: KeyCommand::Export { policy, label, passphrase: _, output, force } } => {
            recovery::export_cmd(&policy, label.as_deref(), &output, force)
        }
        Command::Key { command: KeyCommand::Import { file, output, force } } => {
            recovery::import_cmd(&file, &output, force)
        }
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
