//! `credreg contexts fetch`: download the contexts a node needs from their canonical URLs,
//! once; they are pinned by SHA-256 from then on (a later change upstream is never picked up
//! silently). `--mirror BASE` fetches `BASE/<host>/<path>` instead, for sites that keep a
//! vetted copy (and for tests, which never leave loopback).

use anyhow::{bail, Context as _, Result};
use credreg_node::contexts_dir;
use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

/// What a node needs beyond the built-in W3C contexts.
pub const DEFAULT_URLS: [&str; 2] = [
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
];

/// Largest context accepted (the OB 3.0.3 context is about 20 KB).
const MAX_BYTES: u64 = 1024 * 1024;

/// The address to download `url` from.
pub fn source_for(url: &str, mirror: Option<&str>) -> Result<String> {
    let Some(mirror) = mirror else {
        return Ok(url.to_owned());
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .with_context(|| format!("{url} is not an http(s) URL"))?;
    Ok(format!("{}/{rest}", mirror.trim_end_matches('/')))
}

/// Fetches `urls` (all or nothing) and installs them into `data_dir`.
pub fn fetch(
    data_dir: &Path,
    urls: &[String],
    mirror: Option<&str>,
    force: bool,
) -> Result<Vec<String>> {
    let installed = contexts_dir::load(data_dir)?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .redirects(5)
        .build();
    let mut texts = Vec::new();
    for url in urls {
        if installed.contains(url) && !force {
            println!("already installed (pinned): {url}");
            continue;
        }
        let source = source_for(url, mirror)?;
        let response = agent
            .get(&source)
            .call()
            .with_context(|| format!("fetching {source}"))?;
        let mut text = String::new();
        response
            .into_reader()
            .take(MAX_BYTES + 1)
            .read_to_string(&mut text)
            .with_context(|| format!("reading {source}"))?;
        if text.len() as u64 > MAX_BYTES {
            bail!("{source} is larger than {MAX_BYTES} bytes; not a JSON-LD context");
        }
        texts.push((url.clone(), text, source));
    }
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    Ok(contexts_dir::install_texts(data_dir, &texts)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_addresses() {
        let url = DEFAULT_URLS[0];
        assert_eq!(source_for(url, None).expect("plain"), url);
        assert_eq!(
            source_for(url, Some("http://127.0.0.1:9/m/")).expect("mirror"),
            "http://127.0.0.1:9/m/purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        );
        assert!(source_for("ftp://x/y", Some("http://m")).is_err());
    }
}
