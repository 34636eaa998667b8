//! The outbox's delivery and the review clockwork, as background tasks of `credreg serve`:
//! due messages go out over SMTP (lettre's blocking transport, on the blocking pool) and are
//! marked sent or failed; overdue reviews are reassigned every few minutes.

use crate::config::{MailConfig, ReviewConfig};
use anyhow::{Context as _, Result};
use credreg_node::Node;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use std::sync::Arc;
use std::time::Duration;

/// Builds the SMTP transport `config` describes (`None` when mail is off).
pub fn transport(config: &MailConfig) -> Result<Option<SmtpTransport>> {
    if config.smtp_host.is_empty() {
        return Ok(None);
    }
    let host = config.smtp_host.as_str();
    let builder = match config.tls.as_str() {
        "starttls" => {
            SmtpTransport::starttls_relay(host).with_context(|| format!("SMTP host {host}"))?
        }
        "tls" => SmtpTransport::relay(host).with_context(|| format!("SMTP host {host}"))?,
        "none" => SmtpTransport::builder_dangerous(host),
        other => anyhow::bail!("[mail] tls must be starttls, tls or none, not {other:?}"),
    };
    let mut builder = builder
        .port(config.smtp_port)
        .timeout(Some(Duration::from_secs(10)));
    if !config.username.is_empty() {
        let password = std::env::var("CREDREG_SMTP_PASSWORD").unwrap_or_default();
        builder = builder.credentials(Credentials::new(config.username.clone(), password));
    }
    Ok(Some(builder.build()))
}

/// Delivers every due message once; returns how many went out.
pub fn deliver_due(node: &Node, smtp: &SmtpTransport, config: &MailConfig) -> Result<usize> {
    let from = config
        .from
        .parse()
        .with_context(|| format!("[mail] from {:?} is not an address", config.from))?;
    let mut sent = 0;
    for mail in node.mail_due()? {
        let message = mail
            .to
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))
            .and_then(|to| {
                Message::builder()
                    .from(Clone::clone(&from))
                    .to(to)
                    .subject(mail.subject.clone())
                    .body(mail.body.clone())
                    .map_err(|e| format!("cannot build the message: {e}"))
            });
        let result = message.and_then(|m| smtp.send(&m).map(|_| ()).map_err(|e| e.to_string()));
        match result {
            Ok(()) => {
                node.mail_sent(&mail.id)?;
                sent += 1;
            }
            Err(why) => {
                tracing::warn!(id = %mail.id, "mail not delivered (will retry): {why}");
                node.mail_failed(&mail.id, &why, config.retry_base_secs)?;
            }
        }
    }
    Ok(sent)
}

/// Starts the background tasks on the current runtime.
pub fn start(node: Arc<Node>, mail: MailConfig, review: ReviewConfig) -> Result<()> {
    if let Some(smtp) = transport(&mail)? {
        let node = node.clone();
        let smtp = Arc::new(smtp);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(mail.poll_secs.max(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let (node, smtp, mail) = (node.clone(), smtp.clone(), mail.clone());
                match tokio::task::spawn_blocking(move || deliver_due(&node, &smtp, &mail)).await {
                    Ok(Ok(n)) if n > 0 => tracing::info!(sent = n, "mail delivered"),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!("mail delivery: {e:#}"),
                    Err(e) => tracing::error!("mail delivery task failed: {e}"),
                }
            }
        });
    } else {
        tracing::info!("no [mail] smtp_host: messages wait in the outbox (GET /api/v1/outbox)");
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(review.overdue_check_secs.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let node = node.clone();
            match tokio::task::spawn_blocking(move || node.reassign_overdue()).await {
                Ok(Ok(n)) if n > 0 => tracing::info!(reassigned = n, "overdue reviews reassigned"),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!("reassigning overdue reviews: {e}"),
                Err(e) => tracing::error!("overdue check failed: {e}"),
            }
        }
    });
    Ok(())
}
