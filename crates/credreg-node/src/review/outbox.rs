//! The mail outbox: every message the node sends is stored first, then delivered by the
//! binary's mailer (SMTP), which marks it sent or failed. A failed message is retried with a
//! growing delay (by default 1, 2, 4 ... minutes, at most an hour), so nothing is lost while the mail
//! server is down, and a message marked sent is never sent again. With no mail server
//! configured, coordinators read the outbox.

use super::people::Actor;
use crate::error::{internal, NodeError};
use crate::node::Node;
use credreg_store::Family;
use serde::{Deserialize, Serialize};

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    /// `m_` and 16 hex digits, in queueing order.
    pub id: String,
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Queued at (RFC 3339).
    pub queued_at: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not before (Unix seconds).
    pub next_attempt: i64,
    /// The last failure, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Delivered at (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
}

/// Longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;

impl Node {
    /// Queues a message.
    pub(crate) fn queue_mail(&self, to: &str, subject: &str, body: &str) -> Result<(), NodeError> {
        // Ids sort in queueing order: the time, then randomness for messages of one second.
        let id = format!(
            "m_{:012x}{}",
            self.now().unix_timestamp(),
            self.settings().env.hex(4)
        );
        let mail = Mail {
            id: id.clone(),
            to: to.to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            queued_at: self.now_rfc3339(),
            attempts: 0,
            next_attempt: 0,
            last_error: None,
            sent_at: None,
        };
        let bytes = serde_json::to_vec(&mail).map_err(internal)?;
        self.store.put_document(Family::Outbox, &id, &bytes)?;
        // The message id only: an address is personal data, and logs travel further than the
        // outbox (a coordinator reads who was mailed in `GET /api/v1/outbox`).
        tracing::info!(id = %id, "mail queued");
        Ok(())
    }

    pub(crate) fn all_mail(&self) -> Result<Vec<Mail>, NodeError> {
        self.store
            .documents(Family::Outbox)?
            .into_iter()
            .map(|(_, b)| serde_json::from_slice(&b).map_err(|e| internal(format!("outbox: {e}"))))
            .collect()
    }

    /// The outbox, oldest first (coordinators: with no mail server this is how sign-in codes
    /// reach people).
    pub fn outbox(&self, actor: &Actor) -> Result<Vec<Mail>, NodeError> {
        actor.require_coordinator()?;
        self.all_mail()
    }

    /// Messages due for delivery now, oldest first.
    pub fn mail_due(&self) -> Result<Vec<Mail>, NodeError> {
        let now = self.now().unix_timestamp();
        Ok(self
            .all_mail()?
            .into_iter()
            .filter(|m| m.sent_at.is_none() && m.next_attempt <= now)
            .collect())
    }

    /// Records a delivery.
    pub fn mail_sent(&self, id: &str) -> Result<(), NodeError> {
        self.update_mail(id, |m, now, _| {
            m.attempts += 1;
            m.sent_at = Some(now);
            m.last_error = None;
        })
    }

    /// Records a failed attempt; the next waits `base_secs`, then twice as long each time (at
    /// most an hour).
    pub fn mail_failed(&self, id: &str, why: &str, base_secs: u64) -> Result<(), NodeError> {
        self.update_mail(id, |m, _, unix| {
            m.attempts += 1;
            let base = i64::try_from(base_secs.max(1)).unwrap_or(60);
            let wait = (base << m.attempts.saturating_sub(1).min(12)).min(MAX_BACKOFF_SECS);
            m.next_attempt = unix + wait;
            m.last_error = Some(why.chars().take(500).collect());
        })
    }

    fn update_mail(
        &self,
        id: &str,
        change: impl FnOnce(&mut Mail, String, i64),
    ) -> Result<(), NodeError> {
        let bytes =
            self.store
                .document(Family::Outbox, id)?
                .ok_or_else(|| NodeError::NotFound {
                    what: "message",
                    id: id.to_owned(),
                })?;
        let mut mail: Mail =
            serde_json::from_slice(&bytes).map_err(|e| internal(format!("outbox: {e}")))?;
        if mail.sent_at.is_some() {
            return Ok(()); // delivered once: never again
        }
        change(&mut mail, self.now_rfc3339(), self.now().unix_timestamp());
        let bytes = serde_json::to_vec(&mail).map_err(internal)?;
        self.store.put_document(Family::Outbox, id, &bytes)?;
        Ok(())
    }
}
