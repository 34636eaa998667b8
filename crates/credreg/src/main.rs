//! The `credreg` command.

mod context_dir;
mod verify_cmd;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "credreg",
    version,
    about = "A federated registry node for teacher micro-credentials"
)]
struct Cli {
    /// The node's data directory (keys, database, installed contexts).
    #[arg(
        long,
        global = true,
        default_value = "./data",
        env = "CREDREG_DATA_DIR"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify credentials offline; exit 0 only if every file verifies.
    Verify {
        /// Also load contexts from this manifest directory (`URL -> file` lines).
        #[arg(long)]
        contexts: Option<PathBuf>,
        /// Credential files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Manage the local JSON-LD context store.
    Contexts {
        #[command(subcommand)]
        command: ContextsCommand,
    },
}

#[derive(Subcommand)]
enum ContextsCommand {
    /// Install contexts from a directory holding a `PROVENANCE.txt`/`contexts.txt` manifest.
    Install {
        /// The directory.
        dir: PathBuf,
    },
    /// List installed contexts with their SHA-256.
    List,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("credreg: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Verify { contexts, files } => {
            let mut store = context_dir::load(&cli.data_dir)?;
            if let Some(dir) = contexts {
                context_dir::add_from_dir(&mut store, &dir)?;
            }
            let verdicts = verify_cmd::verify_files(store, &files);
            let all_ok = verdicts.iter().all(|v| v.ok);
            for v in verdicts {
                println!("{}", v.line);
            }
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Contexts {
            command: ContextsCommand::Install { dir },
        } => {
            let urls = context_dir::install(&cli.data_dir, &dir)?;
            for url in &urls {
                println!("installed {url}");
            }
            println!(
                "{} context(s) in {}",
                urls.len(),
                context_dir::store_dir(&cli.data_dir).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Contexts {
            command: ContextsCommand::List,
        } => {
            let store = context_dir::load(&cli.data_dir)?;
            for c in store.iter() {
                println!("{}  {}  ({})", c.sha256, c.url, c.origin);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
