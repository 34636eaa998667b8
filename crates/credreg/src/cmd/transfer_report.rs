//! `credreg transfer-report FILE... [--email E]`: asks a running node for a transfer report
//! and prints it for the hiring office. The node does the work (it holds the replicated
//! catalogs, logs and rules); this command gathers the badge files and formats the answer.

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to ask for.
pub struct Args<'a> {
    pub files: &'a [PathBuf],
    pub email: Option<&'a str>,
    pub node: &'a str,
    pub district: Option<&'a str>,
    pub html: Option<&'a Path>,
    pub json: bool,
}

/// The badges in the files, in order: each file holds a credential, a bundle, a
/// VerifiablePresentation or `{"credentials": [...]}`.
fn badges(files: &[PathBuf]) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let doc: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not JSON", f.display()))?;
        let listed = doc
            .get("credentials")
            .or_else(|| doc.get("verifiableCredential"))
            .cloned();
        match listed {
            Some(Value::Array(a)) => out.extend(a),
            Some(v @ Value::Object(_)) => out.push(v),
            _ => out.push(doc),
        }
    }
    Ok(out)
}

pub fn run(args: &Args<'_>) -> Result<()> {
    let body = json!({"credentials": badges(args.files)?, "email": args.email});
    let body_bytes = serde_json::to_vec(&body)?;
    let url = format!(
        "{}/api/v1/transfer-reports",
        args.node.trim_end_matches('/')
    );
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let post = |accept: &str| -> Result<String> {
        let mut request = agent.post(&url);
        if let Some(d) = args.district {
            request = request.query("district", d);
        }
        match request
            .set("accept", accept)
            .set("content-type", "application/json")
            .send_bytes(&body_bytes)
        {
            Ok(r) => Ok(r.into_string()?),
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                let detail = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|p| p["detail"].as_str().map(str::to_owned))
                    .unwrap_or(text);
                bail!("the node answered {code}: {detail}")
            }
            Err(e) => Err(e)
                .with_context(|| format!("asking {url} (is the node running? pass --node URL)")),
        }
    };
    let report: Value = serde_json::from_str(&post("application/json")?)?;
    if let Some(path) = args.html {
        std::fs::write(path, post("text/html")?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", text(&report));
    }
    Ok(())
}

/// An amount as the node words it (`$400`, `4 in-service hours`).
fn amount(a: &Value) -> String {
    serde_json::from_value::<credreg_model::LocalValue>(a.clone())
        .map(|v| credreg_node::value::transfer::show_amount(&v))
        .unwrap_or_else(|_| a.to_string())
}

/// The report as text lines.
fn text(r: &Value) -> String {
    let mut out = String::new();
    let district = r["district"]["name"]
        .as_str()
        .or(r["district"]["did"].as_str())
        .unwrap_or("?");
    out.push_str(&format!("Transfer report for {district}\n"));
    for b in r["badges"].as_array().into_iter().flatten() {
        let credit = b
            .get("credit")
            .map(|c| format!(" [{}]", amount(c)))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:>2}. {:<15} {} ({}): {}{credit}\n",
            b["index"].as_u64().unwrap_or(0) + 1,
            b["outcome"].as_str().unwrap_or(""),
            b["name"].as_str().unwrap_or("(unnamed)"),
            b["issuer"]["name"]
                .as_str()
                .or(b["issuer"]["id"].as_str())
                .unwrap_or("?"),
            b["note"].as_str().unwrap_or("")
        ));
    }
    for s in r["stacks"].as_array().into_iter().flatten() {
        let credit = s
            .get("credit")
            .map(|c| format!(": {}", amount(c)))
            .unwrap_or_default();
        out.push_str(&format!(
            "  stack completed ({}): {}{credit}\n",
            s["kind"].as_str().unwrap_or(""),
            s["stack"]["name"].as_str().unwrap_or("")
        ));
    }
    let totals: Vec<String> = r["totals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(amount)
        .collect();
    out.push_str(&format!(
        "Totals: {}\n",
        if totals.is_empty() {
            "no credit".to_owned()
        } else {
            totals.join(", ")
        }
    ));
    out
}
