//! `credreg init` and `credreg serve`: the zero-config start.

use crate::config::{Config, Overrides};
use anyhow::{Context as _, Result};
use credreg_api::AppState;
use credreg_federation::{Federation, FederationConfig};
use credreg_node::review::files::EvidenceFiles;
use credreg_node::{
    contexts_dir, generate_token, has_admin_token, register_token, FederationSettings, Home, Node,
    NodeSettings, Role,
};
use credreg_store::Store;
use std::path::Path;
use std::sync::Arc;

/// What init did.
pub struct Initialized {
    pub home: Home,
    pub config: Config,
    pub store: Store,
    pub key: credreg_proof::SigningKey,
}

/// Creates the data directory, issuer key, database and config on first use; registers the
/// admin token (from `CREDREG_ADMIN_TOKEN`, or generated and printed once).
pub fn init(data_dir: &Path, overrides: &Overrides) -> Result<Initialized> {
    let home = Home::new(data_dir);
    let (key, created) = home.ensure_key()?;
    let config_path = home.config_file();
    let config = Config::load(&config_path, overrides)?;
    if !config_path.is_file() {
        contexts_dir::write_atomically(&config_path, config.render().as_bytes())?;
    }
    let store = Store::open(&home.db_dir())
        .with_context(|| format!("opening the database in {}", home.db_dir().display()))?;
    home.make_private()
        .context("making the data directory private to its owner")?;
    match std::env::var("CREDREG_ADMIN_TOKEN") {
        // An environment token replaces the previous one: changing the variable retires the
        // old token.
        Ok(token) if !token.is_empty() => credreg_node::register_token_with(
            &store,
            &token,
            credreg_node::TokenOptions {
                role: Role::Admin,
                source: credreg_node::TokenSource::Environment,
                expires: None,
            },
        )
        .context("registering CREDREG_ADMIN_TOKEN")?,
        _ => {
            if !has_admin_token(&store)? {
                let token = generate_token();
                register_token(&store, &token, Role::Admin)?;
                println!("admin token (shown once; only its hash is stored): {token}");
            }
        }
    }
    if created {
        println!(
            "created node in {} (issuer key, database, credreg.toml)",
            home.root().display()
        );
    }
    Ok(Initialized {
        home,
        config,
        store,
        key,
    })
}

/// Opens the node over an initialized data directory.
pub fn open_node(init: Initialized, public_url: String) -> Result<Node> {
    let contexts = contexts_dir::load(init.home.root())?;
    let f = &init.config.federation;
    let settings = NodeSettings {
        credit_unchecked_status: init.config.value.credit_unchecked_status,
        name: init.config.name.clone(),
        public_url,
        kind: init.config.kind.clone(),
        federation: FederationSettings {
            name: f.name.clone(),
            anchors: f.trust_anchors.clone(),
            allow: f.allow.clone(),
            deny: f.deny.clone(),
        },
        peer_id: if f.name.is_empty() {
            None
        } else {
            let seed = init.home.ensure_transport_seed()?;
            Some(credreg_net::NodeKey::from_seed(seed).peer_id().to_string())
        },
        env: Default::default(),
    };
    Ok(Node::open(init.store, init.key, settings, contexts)?)
}

/// The network settings, when a federation is configured (`None` runs a standalone node).
pub fn federation_config(init: &Initialized) -> Result<Option<FederationConfig>> {
    let f = &init.config.federation;
    if f.name.is_empty() {
        return Ok(None);
    }
    let parse = |what: &str, list: &[String]| -> Result<Vec<credreg_net::Address>> {
        list.iter()
            .map(|a| {
                a.parse()
                    .with_context(|| format!("{what} address `{a}` is not a multiaddr"))
            })
            .collect()
    };
    let seed = init.home.ensure_transport_seed()?;
    let mut net = credreg_net::NetConfig::new(credreg_net::NodeKey::from_seed(seed), &f.name);
    net.listen = parse("p2p listen", &f.listen)?;
    net.bootstrap = parse("bootstrap", &f.bootstrap)?;
    net.mdns = f.mdns;
    Ok(Some(FederationConfig {
        net,
        anti_entropy_every: std::time::Duration::from_secs(f.anti_entropy_secs.max(1)),
    }))
}

/// Runs the node until Ctrl-C or SIGTERM.
pub fn serve(data_dir: &Path, overrides: &Overrides) -> Result<()> {
    let init = init(data_dir, overrides)?;
    crate::init_tracing(&init.config.log);
    // JSON-LD processing recurses per nesting level; documents are bounded to 32 levels
    // before it starts, and its threads get an explicit stack well above what that needs.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()?;
    let limits = init.config.limits.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&init.config.http)
            .await
            .with_context(|| format!("listening on {}", init.config.http))?;
        let bound = listener.local_addr()?.to_string();
        let public_url = init.config.public_url(&bound);
        let body_limit = init.config.body_limit_bytes;
        let federation_config = federation_config(&init)?;
        let (mail, review) = (init.config.mail.clone(), init.config.review.clone());
        let fetcher = crate::cmd::fetching::fetcher(&init.config.fetch);
        let evidence_dir = init.home.root().join("evidence");
        let init_root = init.home.root().to_path_buf();
        let node = Arc::new(open_node(init, public_url.clone())?);
        let (upload_mib, upload_secs) = (review.max_upload_mib, review.upload_timeout_secs);
        if !review.first_coordinator.is_empty() {
            first_coordinator(&node, &review.first_coordinator, mail.smtp_host.is_empty())?;
        }
        crate::cmd::mailer::start(node.clone(), mail, review)?;
        for url in node.missing_contexts() {
            tracing::warn!(
                context = %url,
                "the Open Badges context is not installed: the node serves and verifies, but \
                 cannot issue awards until you run `credreg contexts install DIR` (or \
                 `credreg contexts fetch`) and restart"
            );
        }
        let mut state = AppState::new(node.clone());
        state.body_limit = body_limit;
        state.body_deadline = std::time::Duration::from_secs(limits.body_timeout_secs.max(1));
        state.heavy_work = Arc::new(tokio::sync::Semaphore::new(limits.heavy_requests()));
        let evidence = EvidenceFiles::new(evidence_dir, upload_mib.saturating_mul(1024 * 1024));
        state.evidence = Some(evidence.clone());
        state.data_dir = Some(init_root.clone());
        state.fetcher = Some(fetcher.clone());
        state.upload_deadline = std::time::Duration::from_secs(upload_secs.max(1));
        let mut running: Option<Federation> = None;
        if let Some(config) = federation_config {
            let federation = Federation::start(node.clone(), config)
                .await
                .context("starting the federation network")?;
            for addr in federation.listen_addrs().await {
                println!("credreg p2p on {addr}");
            }
            running = Some(federation.clone());
            state.federation = Some(Arc::new(federation));
        }
        let federation = running;
        // The pages beside the API: `/` is the home page.
        let web_federation = state.federation.clone();
        let app = credreg_api::router(state)
            .merge(credreg_web::router(
                node.clone(),
                credreg_web::Options {
                    evidence: Some(evidence),
                    federation: web_federation,
                    fetcher: Some(fetcher),
                },
            ))
            // Per client address, before any handler (the API's and the pages' alike).
            .layer(axum::middleware::from_fn_with_state(
                credreg_api::rate::Limiter::new(limits.rates()),
                credreg_api::rate::limit,
            ));
        let shutdown = shutdown_signal()?;
        // Tests and scripts read this line to find the port when --http uses port 0.
        println!(
            "credreg listening on http://{bound} as {} ({public_url})",
            node.did()
        );
        if let Some(code) = node.new_setup_code()? {
            // Printed, never logged: whoever reads the operator's console sets the node up.
            println!("credreg first run: open {public_url}/setup and enter the setup code {code}");
        }
        tracing::info!(%bound, did = %node.did(), "serving");
        let stopped = credreg_api::serve(listener, app, limits.server(), shutdown).await?;
        if stopped == credreg_api::Stopped::GraceExpired {
            tracing::warn!(
                grace_secs = limits.shutdown_grace_secs,
                "connections still open after the shutdown grace period were dropped"
            );
        }
        if let Some(f) = federation {
            f.shutdown().await;
        }
        // Every acknowledged write was flushed before its response; this flush covers
        // cached status lists written by reads.
        node.store().flush()?;
        tracing::info!("stopped");
        Ok::<(), anyhow::Error>(())
    })?;
    // Work still running on the blocking pool (a slow client's verification) must not keep
    // a stopped node alive: every acknowledged write was flushed before its answer.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(())
}

/// Invites the first coordinator while nobody has an account; without a mail server the
/// sign-in code is printed (the only way it can reach them).
fn first_coordinator(node: &credreg_node::Node, email: &str, print: bool) -> Result<()> {
    use credreg_node::review::{Actor, NewPerson, PersonRole};
    if !node.people(&Actor::Operator)?.is_empty() {
        return Ok(());
    }
    let name = email.split('@').next().unwrap_or(email).to_owned();
    node.invite_person(
        &Actor::Operator,
        NewPerson {
            name,
            email: email.to_owned(),
            school: None,
            roles: vec![PersonRole::Coordinator],
        },
    )
    .with_context(|| format!("inviting the first coordinator {email}"))?;
    if print {
        let code = node
            .outbox(&Actor::Operator)?
            .into_iter()
            .rev()
            .find(|m| m.to.eq_ignore_ascii_case(email))
            .and_then(|m| {
                m.body
                    .split_whitespace()
                    .find(|w| w.starts_with("crl_"))
                    .map(str::to_owned)
            })
            .context("the invitation has no sign-in code")?;
        println!(
            "credreg first coordinator {email}: sign in within 15 minutes with POST /api/v1/sessions {{\"code\": \"{code}\"}}"
        );
    }
    Ok(())
}

/// Stack of the runtime's threads (workers and the blocking pool).
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// Ctrl-C or SIGTERM. The handlers are installed when this is called (before the node says
/// it is listening), not when the future is first polled: a signal sent right after the
/// "listening" line must stop the node cleanly, not kill it with the default action.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}
