//! The teacher's consent to show evidence: an award lists its evidence behind private links;
//! whoever follows one (a hiring principal) asks, the teacher grants or declines, and a grant
//! mails a share link that works for that item for [`SHARE_SECS`].

use super::people::{fresh_token, token_hash, Actor};
use super::submission::{AccessRequest, EvidenceItem};
use crate::error::NodeError;
use crate::node::Node;
use credreg_model::{looks_like_email, normalize_email, Errors};

/// How long a granted share link works (seven days).
pub const SHARE_SECS: i64 = 7 * 86_400;
/// Most open requests one submission holds (a flood of requests cannot grow it unbounded).
const MAX_OPEN_REQUESTS: usize = 50;

impl Node {
    /// Asks the teacher to show evidence item `item` of submission `id` (anyone; the teacher
    /// is mailed, and nothing is shown until they grant it).
    pub fn request_evidence_access(
        &self,
        id: &str,
        item: usize,
        name: &str,
        email: &str,
        reason: &str,
    ) -> Result<(), NodeError> {
        let mut e = Errors::default();
        e.text("name", name, 200);
        if !looks_like_email(email) {
            e.add("email", "must be an e-mail address");
        }
        e.text("reason", reason, 1_000);
        e.finish()?;
        let mut book = self.review.book_mut()?;
        let mut s = book.submission(id)?.clone();
        if item >= s.items.len() {
            return Err(NodeError::NotFound {
                what: "evidence item",
                id: item.to_string(),
            });
        }
        if s.access.iter().filter(|a| a.granted.is_none()).count() >= MAX_OPEN_REQUESTS {
            return Err(NodeError::Conflict(
                "The teacher has many requests waiting; try again later.".to_owned(),
            ));
        }
        let request = AccessRequest {
            id: format!("x_{}", self.settings().env.hex(8)),
            item,
            name: name.trim().to_owned(),
            email: normalize_email(email),
            reason: reason.trim().to_owned(),
            requested_at: self.now_rfc3339(),
            granted: None,
            token_hash: None,
            expires: None,
        };
        let teacher = book.person(&s.teacher)?.clone();
        s.access.push(request.clone());
        self.save_submission(&mut book, s)?;
        drop(book);
        if let Some(to) = teacher.award_email() {
            self.queue_mail(
                to,
                "Someone asks to see your evidence",
                &format!(
                    "{} <{}> asks to see evidence item {} of your submission {id}: \"{}\".\n\nGrant or decline request {} from your submissions.\n",
                    request.name,
                    request.email,
                    item + 1,
                    request.reason,
                    request.id
                ),
            )?;
        }
        Ok(())
    }

    /// The teacher grants or declines an access request; a grant mails the asker a share link.
    pub fn decide_evidence_access(
        &self,
        actor: &Actor,
        id: &str,
        request: &str,
        grant: bool,
    ) -> Result<AccessRequest, NodeError> {
        let mut book = self.review.book_mut()?;
        let (_, mut s) = super::workflow::teachers_own(&book, actor, id)?;
        let now = self.now().unix_timestamp();
        let r = s
            .access
            .iter_mut()
            .find(|a| a.id == request)
            .ok_or_else(|| NodeError::NotFound {
                what: "access request",
                id: request.to_owned(),
            })?;
        if r.granted.is_some() {
            return Err(NodeError::Conflict(
                "This request is already answered.".to_owned(),
            ));
        }
        r.granted = Some(grant);
        let token = grant.then(|| fresh_token("crx_"));
        if let Some(t) = &token {
            r.token_hash = Some(token_hash(t));
            r.expires = Some(now + SHARE_SECS);
        }
        let answered = r.clone();
        self.save_submission(&mut book, s)?;
        drop(book);
        let body = match &token {
            Some(t) => format!(
                "The teacher shares the evidence you asked for, for seven days:\n\n    {}/api/v1/submissions/{id}/evidence/{}?share={t}\n",
                self.settings().public_url,
                answered.item
            ),
            None => "The teacher declined to share the evidence you asked for.\n".to_owned(),
        };
        self.queue_mail(&answered.email, "Your request to see evidence", &body)?;
        Ok(answered)
    }

    /// The access requests on a submission (its teacher or a coordinator).
    pub fn evidence_access_requests(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Vec<AccessRequest>, NodeError> {
        let book = self.review.book()?;
        let s = book.submission(id)?;
        if !actor.is_coordinator() && actor.person() != Some(s.teacher.as_str()) {
            return Err(NodeError::Forbidden(
                "This is not your submission.".to_owned(),
            ));
        }
        Ok(s.access
            .iter()
            .map(|a| AccessRequest {
                token_hash: None,
                ..a.clone()
            })
            .collect())
    }

    /// Evidence item `item` of submission `id` through a share link the teacher granted.
    pub fn shared_evidence(
        &self,
        id: &str,
        item: usize,
        token: &str,
    ) -> Result<EvidenceItem, NodeError> {
        let refused = || {
            NodeError::Forbidden(
                "This evidence is private: the link is not one its teacher shared, or it has expired."
                    .to_owned(),
            )
        };
        let book = self.review.book()?;
        let s = book.submission(id).map_err(|_| refused())?;
        let hash = token_hash(token);
        let now = self.now().unix_timestamp();
        let ok = s.access.iter().any(|a| {
            a.item == item
                && a.granted == Some(true)
                && a.token_hash.as_deref() == Some(hash.as_str())
                && a.expires.is_some_and(|e| e > now)
        });
        if !ok {
            return Err(refused());
        }
        s.items.get(item).cloned().ok_or_else(refused)
    }
}
