//! Configuration: defaults, the data directory's `credreg.toml`, environment and flags.
//! `config/credreg.toml` in the repository documents every key.

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The documented default configuration (also written at init).
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/credreg.toml");

/// The node's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub name: String,
    pub http: String,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub log: String,
    pub kind: String,
    pub limits: LimitsConfig,
    pub federation: FederationSection,
    pub mail: MailConfig,
    pub review: ReviewConfig,
    pub value: ValueConfig,
    pub fetch: FetchConfig,
}

/// `[fetch]`: the one outbound fetcher (status lists of issuers this node does not replicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    pub enabled: bool,
    pub allow_loopback: bool,
    pub timeout_secs: u64,
    pub max_kib: u64,
    pub max_redirects: u32,
    pub per_host_per_minute: u32,
    pub cache_secs: u64,
    pub mirror: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            allow_loopback: false,
            timeout_secs: 5,
            max_kib: 1024,
            max_redirects: 3,
            per_host_per_minute: 30,
            cache_secs: 300,
            mirror: String::new(),
        }
    }
}

impl FetchConfig {
    /// The fetcher's policy.
    pub fn policy(&self) -> credreg_fetch::FetchPolicy {
        credreg_fetch::FetchPolicy {
            enabled: self.enabled,
            allow_loopback: self.allow_loopback,
            timeout: std::time::Duration::from_secs(self.timeout_secs.max(1)),
            max_bytes: self.max_kib.saturating_mul(1024),
            max_redirects: self.max_redirects,
            per_host_per_minute: self.per_host_per_minute,
            cache_ttl: std::time::Duration::from_secs(self.cache_secs),
            mirror: self.mirror.clone(),
        }
    }
}

/// `[value]`: how transfer reports value other districts' badges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValueConfig {
    pub credit_unchecked_status: bool,
}

/// `[mail]`: how the outbox is delivered (off while `smtp_host` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub tls: String,
    pub username: String,
    pub from: String,
    pub poll_secs: u64,
    pub retry_base_secs: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            smtp_host: String::new(),
            smtp_port: 587,
            tls: "starttls".into(),
            username: String::new(),
            from: "credreg@localhost".into(),
            poll_secs: 10,
            retry_base_secs: 60,
        }
    }
}

/// `[review]`: the review workflow's clockwork.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewConfig {
    pub first_coordinator: String,
    pub overdue_check_secs: u64,
    pub max_upload_mib: u64,
    pub upload_timeout_secs: u64,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            first_coordinator: String::new(),
            overdue_check_secs: 300,
            max_upload_mib: 200,
            upload_timeout_secs: 1800,
        }
    }
}

/// `[limits]`: how long and how much one client may hold the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub header_timeout_secs: u64,
    pub body_timeout_secs: u64,
    pub max_connections: usize,
    pub shutdown_grace_secs: u64,
    pub heavy_requests: usize,
    pub token_days: u32,
    /// Writes (POST, PUT, PATCH, DELETE) one client address may make per minute; 0: no limit.
    pub writes_per_minute: u32,
    /// Sign-in and setup attempts one client address may make per minute; 0: no limit.
    pub sign_ins_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            max_connections: 512,
            shutdown_grace_secs: 10,
            heavy_requests: 0,
            token_days: 365,
            writes_per_minute: credreg_api::rate::RateLimits::default().writes_per_minute,
            sign_ins_per_minute: credreg_api::rate::RateLimits::default().sign_ins_per_minute,
        }
    }
}

impl LimitsConfig {
    /// The per-client rate limits.
    pub fn rates(&self) -> credreg_api::rate::RateLimits {
        credreg_api::rate::RateLimits {
            writes_per_minute: self.writes_per_minute,
            sign_ins_per_minute: self.sign_ins_per_minute,
        }
    }

    /// The HTTP server's bounds.
    pub fn server(&self) -> credreg_api::ServerLimits {
        credreg_api::ServerLimits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout_secs.max(1)),
            max_connections: self.max_connections.max(1),
            shutdown_grace: std::time::Duration::from_secs(self.shutdown_grace_secs),
        }
    }

    /// Verification and transfer-report requests processed at once (0: one per core).
    pub fn heavy_requests(&self) -> usize {
        if self.heavy_requests == 0 {
            credreg_api::default_heavy_work()
        } else {
            self.heavy_requests
        }
    }
}

/// `[federation]`: the libp2p network and whom to trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationSection {
    pub name: String,
    pub listen: Vec<String>,
    pub bootstrap: Vec<String>,
    pub trust_anchors: Vec<String>,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
    pub mdns: bool,
    pub anti_entropy_secs: u64,
}

impl Default for FederationSection {
    fn default() -> Self {
        Self {
            name: String::new(),
            listen: vec!["/ip4/127.0.0.1/tcp/4001".into()],
            bootstrap: Vec::new(),
            trust_anchors: Vec::new(),
            allow: Vec::new(),
            deny: Vec::new(),
            mdns: false,
            anti_entropy_secs: 30,
        }
    }
}

impl Default for Config {
    /// The defaults documented in `config/credreg.toml` (a test keeps the two equal).
    fn default() -> Self {
        Self {
            name: "Unnamed District".into(),
            http: "127.0.0.1:8080".into(),
            public_url: String::new(),
            body_limit_bytes: credreg_api::DEFAULT_BODY_LIMIT,
            log: "info,tower_http=info".into(),
            kind: "district".into(),
            limits: LimitsConfig::default(),
            federation: FederationSection::default(),
            mail: MailConfig::default(),
            review: ReviewConfig::default(),
            value: ValueConfig::default(),
            fetch: FetchConfig::default(),
        }
    }
}

/// Values given on the command line or in the environment (clap reads both).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// District name shown in awards.
    #[arg(long, env = "CREDREG_NAME")]
    pub name: Option<String>,
    /// HTTP listen address.
    #[arg(long, env = "CREDREG_HTTP")]
    pub http: Option<String>,
    /// Public base URL of the API.
    #[arg(long, env = "CREDREG_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Issuer kind: district, state, consortium or provider.
    #[arg(long, env = "CREDREG_KIND")]
    pub kind: Option<String>,
    /// Federation name; setting it starts the libp2p network.
    #[arg(long, env = "CREDREG_FEDERATION")]
    pub federation: Option<String>,
    /// libp2p listen address (repeatable), e.g. /ip4/127.0.0.1/tcp/4001.
    #[arg(long = "p2p", env = "CREDREG_P2P", value_delimiter = ',')]
    pub p2p: Vec<String>,
    /// Peer to dial at start (repeatable), e.g. /ip4/127.0.0.1/tcp/4002/p2p/12D3Koo...
    #[arg(long = "bootstrap", env = "CREDREG_BOOTSTRAP", value_delimiter = ',')]
    pub bootstrap: Vec<String>,
    /// DID of a state or consortium node whose memberships to trust (repeatable).
    #[arg(
        long = "trust-anchor",
        env = "CREDREG_TRUST_ANCHORS",
        value_delimiter = ','
    )]
    pub trust_anchors: Vec<String>,
    /// Discover peers on the LAN with mDNS.
    #[arg(long)]
    pub mdns: bool,
    /// E-mail of the first coordinator: invited at start if nobody has an account yet (the
    /// sign-in code is printed when no mail server is configured).
    #[arg(long, env = "CREDREG_FIRST_COORDINATOR")]
    pub first_coordinator: Option<String>,
}

impl Config {
    /// Reads `path` if it exists, then applies `overrides`.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self> {
        let mut config: Config = if path.is_file() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?
        } else {
            Config::default()
        };
        if let Some(n) = &overrides.name {
            config.name = n.clone();
        }
        if let Some(h) = &overrides.http {
            config.http = h.clone();
        }
        if let Some(u) = &overrides.public_url {
            config.public_url = u.clone();
        }
        if let Some(k) = &overrides.kind {
            config.kind = k.clone();
        }
        let f = &mut config.federation;
        if let Some(n) = &overrides.federation {
            f.name = n.clone();
        }
        if !overrides.p2p.is_empty() {
            f.listen = overrides.p2p.clone();
        }
        // Flags add to the file's peers and anchors rather than replace them.
        f.bootstrap.extend(overrides.bootstrap.iter().cloned());
        f.trust_anchors
            .extend(overrides.trust_anchors.iter().cloned());
        f.mdns |= overrides.mdns;
        if let Some(c) = &overrides.first_coordinator {
            config.review.first_coordinator = c.clone();
        }
        if !credreg_model::MEMBER_ROLES.contains(&config.kind.as_str()) {
            anyhow::bail!(
                "kind must be one of {}, not `{}`",
                credreg_model::MEMBER_ROLES.join(", "),
                config.kind
            );
        }
        Ok(config)
    }

    /// The public URL, defaulting to the listen address.
    pub fn public_url(&self, bound: &str) -> String {
        if self.public_url.is_empty() {
            format!("http://{bound}")
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// The documented file with this config's name filled in.
    pub fn render(&self) -> String {
        DEFAULT_CONFIG.replacen(
            "name = \"Unnamed District\"",
            &format!("name = {}", toml_string(&self.name)),
            1,
        )
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_parse_and_render_round_trips() {
        let parsed: Config = toml::from_str(DEFAULT_CONFIG).expect("default config parses");
        let builtin = Config::default();
        assert_eq!(
            (
                &parsed.name,
                &parsed.http,
                &parsed.public_url,
                parsed.body_limit_bytes,
                &parsed.log,
                &parsed.kind,
                &parsed.limits,
                &parsed.federation,
            ),
            (
                &builtin.name,
                &builtin.http,
                &builtin.public_url,
                builtin.body_limit_bytes,
                &builtin.log,
                &builtin.kind,
                &builtin.limits,
                &builtin.federation,
            ),
            "config/credreg.toml must document the built-in defaults"
        );
        let named = Config {
            name: "Kettle Moraine \"KM\" District".into(),
            ..parsed
        };
        let again: Config = toml::from_str(&named.render()).expect("rendered parses");
        assert_eq!(again.name, named.name);
    }
}
