//! The `credreg` command: run a node, manage its contexts and tokens, import and verify awards.

mod cmd;
mod config;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use cmd::{contexts_fetch, demo, import, serve, transfer_report, verify};
use config::Overrides;
use credreg_node::{contexts_dir, generate_token, Role};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: glibc's allocator was a fifth of the CPU of catching up on a peer's log.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "credreg",
    version,
    about = "A federated registry node for teacher micro-credentials"
)]
struct Cli {
    /// The node's data directory (key, database, config, installed contexts).
    #[arg(
        long,
        global = true,
        default_value = "./data",
        env = "CREDREG_DATA_DIR"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node (creates the data directory on first start). The default command.
    Serve {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Create the data directory, issuer key, database, config and admin token, then exit.
    Init {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Verify credentials with the node's own checks, offline; exit 0 only if every
    /// credential is valid and from a trusted issuer (1 otherwise; 2 for usage errors).
    Verify {
        /// Also load contexts from this manifest directory (`URL -> file` lines).
        #[arg(long)]
        contexts: Option<PathBuf>,
        /// The files are offline bundles (`GET /api/v1/awards/{id}/bundle`): check the award,
        /// its receipt's inclusion in the issuer's signed checkpoint and the signed status
        /// snapshot, all from the bundle, with no node and no network.
        #[arg(long)]
        offline: bool,
        /// With --offline: a trust anchor (DID) whose signed memberships make an issuer trusted
        /// (repeatable).
        #[arg(long = "trust-anchor", requires = "offline")]
        trust_anchors: Vec<String>,
        /// An issuer (DID) to trust for this run (repeatable); badges from anyone else are
        /// reported untrusted and make the exit code non-zero.
        #[arg(long = "trust", conflicts_with = "offline")]
        trust: Vec<String>,
        /// Credential files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// What a transferring teacher's badges are worth here: asks a running node for a transfer
    /// report and prints it (per badge: verdict, rule and credit; totals; stacks completed).
    TransferReport {
        /// Badge files: credentials, presentations, {"credentials": [...]} or offline bundles.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The e-mail the badges should have been issued to.
        #[arg(long)]
        email: Option<String>,
        /// The node's URL (default: the HTTP address in the data directory's config).
        #[arg(long)]
        node: Option<String>,
        /// Apply this district's published rules (DID) instead of the node's own.
        #[arg(long)]
        district: Option<String>,
        /// Also write the printable HTML report to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Print the whole report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage the local JSON-LD context store.
    Contexts {
        #[command(subcommand)]
        command: ContextsCommand,
    },
    /// Issue awards in bulk.
    Awards {
        #[command(subcommand)]
        command: AwardsCommand,
    },
    /// Start a demo federation on loopback in this process: a consortium anchor and three
    /// districts (Kettle Moraine-, Juab- and Lake County-like), with catalogs, memberships,
    /// awards and a revocation; prints the URLs and curl lines to try. Ctrl-C stops it.
    Demo {
        /// Where the demo nodes keep their data.
        #[arg(long, default_value = "./demo-data")]
        dir: PathBuf,
        /// A directory of JSON-LD contexts (`PROVENANCE.txt`/`contexts.txt` manifest) with
        /// the Open Badges 3.0 context, to issue awards. Defaults to
        /// ../shared/conformance/contexts when that exists.
        #[arg(long)]
        contexts: Option<PathBuf>,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write a backup of this node to FILE (a tar.gz of keys, database, contexts and evidence
    /// files). A running node is asked for it over HTTP with an admin token.
    Backup {
        /// Where to write the backup.
        file: PathBuf,
        /// The running node's URL (default: the HTTP address in the data directory's config).
        #[arg(long)]
        node: Option<String>,
        /// An admin token for a running node (default: CREDREG_ADMIN_TOKEN).
        #[arg(long)]
        token: Option<String>,
    },
    /// Restore a backup into DIR (new or empty), verifying every log against its signed
    /// checkpoints before declaring success.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The new data directory.
        dir: PathBuf,
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
    /// Download the Open Badges 3.0.3 contexts from their canonical URLs (once; pinned by
    /// SHA-256 thereafter).
    Fetch {
        /// Fetch these URLs instead of the Open Badges defaults.
        #[arg(long = "url")]
        urls: Vec<String>,
        /// Fetch `MIRROR/<host>/<path>` instead of each canonical URL.
        #[arg(long)]
        mirror: Option<String>,
        /// Replace contexts that are already installed.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum AwardsCommand {
    /// Issue one award per CSV row (columns: email, name, credential_id, evidence_url,
    /// evidence_name, evidence_description). Run it while the node is stopped: the database
    /// is opened directly.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Credential id for rows without a credential_id column.
        #[arg(long)]
        credential: Option<String>,
        /// Write each signed award to DIR/<uuid>.json (to send to teachers).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        /// `admin` or `reviewer` (reviewers may issue awards, nothing else).
        #[arg(long, default_value = "reviewer")]
        role: String,
        /// Days until it stops working (default: `[limits] token_days`; 0: never).
        #[arg(long)]
        days: Option<u32>,
    },
    /// List tokens: id, role, source, created, expiry (never the tokens themselves).
    List,
    /// Revoke a token by its id (or the first digits of it) from `token list`.
    Revoke {
        /// The token's id.
        id: String,
    },
}

fn main() -> ExitCode {
    // The data directory holds teacher names, salted e-mail hashes and token hashes: whatever
    // sled or we create from here on is readable by this user only.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("credreg: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the configured filter.
pub(crate) fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal as _;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cli: Cli) -> Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Serve {
        overrides: Overrides::default(),
    });
    match command {
        Command::Serve { overrides } => {
            serve::serve(&cli.data_dir, &overrides)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { overrides } => {
            let init = serve::init(&cli.data_dir, &overrides)?;
            let did = credreg_proof::keys::did_key(&init.key.verifying_key());
            println!("issuer {did}");
            let missing =
                contexts_dir::load(init.home.root())?.missing(credreg_node::REQUIRED_CONTEXTS);
            for url in missing {
                println!("note: {url} is not installed; run `credreg contexts install DIR` before issuing awards");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            contexts,
            offline,
            trust_anchors,
            trust,
            files,
        } => {
            let mut store = contexts_dir::load(&cli.data_dir)?;
            if let Some(dir) = contexts {
                contexts_dir::add_from_dir(&mut store, &dir)?;
            }
            let verdicts = if offline {
                verify::verify_bundles(store, &trust_anchors, &files)
            } else {
                verify::verify_files(store, &trust, &files)?
            };
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
        Command::TransferReport {
            files,
            email,
            node,
            district,
            html,
            json,
        } => {
            let node = node_url(&cli.data_dir, node)?;
            transfer_report::run(&transfer_report::Args {
                files: &files,
                email: email.as_deref(),
                node: &node,
                district: district.as_deref(),
                html: html.as_deref(),
                json,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Contexts {
            command: ContextsCommand::Install { dir },
        } => {
            let urls = contexts_dir::install(&cli.data_dir, &dir)?;
            for url in &urls {
                println!("installed {url}");
            }
            println!(
                "{} context(s) in {}",
                urls.len(),
                contexts_dir::store_dir(&cli.data_dir).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Contexts {
            command: ContextsCommand::List,
        } => {
            let store = contexts_dir::load(&cli.data_dir)?;
            for c in store.iter() {
                println!("{}  {}  ({})", c.sha256, c.url, c.origin);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Contexts {
            command:
                ContextsCommand::Fetch {
                    urls,
                    mirror,
                    force,
                },
        } => {
            let urls = if urls.is_empty() {
                contexts_fetch::DEFAULT_URLS
                    .iter()
                    .map(|u| u.to_string())
                    .collect()
            } else {
                urls
            };
            for url in contexts_fetch::fetch(&cli.data_dir, &urls, mirror.as_deref(), force)? {
                println!("installed {url}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Awards {
            command:
                AwardsCommand::Import {
                    file,
                    credential,
                    out,
                    overrides,
                },
        } => {
            let rows = import::read_rows(&file, credential.as_deref())?;
            let init = serve::init(&cli.data_dir, &overrides)
                .context("opening the node (is `credreg serve` running on this data directory? stop it first)")?;
            let public_url = init.config.public_url(&init.config.http);
            let node = serve::open_node(init, public_url)?;
            import::import(&node, &rows, out.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { dir, contexts } => {
            let fallback = PathBuf::from("../shared/conformance/contexts");
            let contexts = contexts.or_else(|| fallback.is_dir().then_some(fallback));
            demo::run(&dir, contexts.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { file, node, token } => {
            let node = node_url(&cli.data_dir, node)?;
            cmd::backup::backup(&cli.data_dir, &file, &node, token.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file, dir } => {
            cmd::backup::restore(&file, &dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token { command } => {
            // Only the database is needed: opening the whole node here would re-publish the
            // issuer profile with whatever URL the config names.
            let init = serve::init(&cli.data_dir, &Overrides::default())?;
            match command {
                TokenCommand::Create { role, days } => {
                    let role = Role::parse(&role)
                        .with_context(|| format!("unknown role `{role}`; use admin or reviewer"))?;
                    let days = days.unwrap_or(init.config.limits.token_days);
                    let expires = (days > 0).then(|| {
                        time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days))
                    });
                    let token = generate_token();
                    credreg_node::register_token_with(
                        &init.store,
                        &token,
                        credreg_node::TokenOptions {
                            role,
                            source: credreg_node::TokenSource::Created,
                            expires,
                        },
                    )?;
                    let until = expires
                        .and_then(|e| {
                            e.format(&time::format_description::well_known::Rfc3339)
                                .ok()
                        })
                        .map_or_else(|| "never expires".to_owned(), |e| format!("expires {e}"));
                    println!("{} token (shown once; {until}): {token}", role.as_str());
                }
                TokenCommand::List => {
                    let tokens = credreg_node::list_tokens(&init.store)?;
                    println!(
                        "{:<14}{:<10}{:<13}{:<22}EXPIRES",
                        "ID", "ROLE", "SOURCE", "CREATED"
                    );
                    for t in tokens {
                        let source = match t.source {
                            credreg_node::TokenSource::Environment => "environment",
                            credreg_node::TokenSource::Created => "created",
                            credreg_node::TokenSource::Legacy => "legacy",
                        };
                        let expires = match (&t.expires, t.expired) {
                            (Some(e), true) => format!("{e} (expired)"),
                            (Some(e), false) => e.clone(),
                            (None, _) => "never".to_owned(),
                        };
                        println!(
                            "{:<14}{:<10}{:<13}{:<22}{expires}",
                            t.id,
                            t.role,
                            source,
                            t.created.as_deref().unwrap_or("unknown")
                        );
                    }
                }
                TokenCommand::Revoke { id } => {
                    let t = credreg_node::revoke_token(&init.store, &id)?;
                    println!("revoked {} token {}", t.role, t.id);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The running node's URL: the one given, or the HTTP address in the data directory's config.
fn node_url(data_dir: &std::path::Path, given: Option<String>) -> Result<String> {
    if let Some(n) = given {
        return Ok(n);
    }
    let home = credreg_node::Home::new(data_dir);
    let config = config::Config::load(&home.config_file(), &Overrides::default())?;
    Ok(format!("http://{}", config.http))
}
