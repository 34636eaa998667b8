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
                &parsed.log
            ),
            (
                &builtin.name,
                &builtin.http,
                &builtin.public_url,
                builtin.body_limit_bytes,
                &builtin.log
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
