//! Trust as data: the federation settings, the book of memberships read from anchors' logs,
//! and the rule that says what an issuer's trust is now. No IO; the subsystem's state.

use crate::error::{poisoned, NodeError};
use credreg_model::Membership;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The federation this node belongs to, as the operator configured it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationSettings {
    /// Federation name (scopes gossip topics and memberships), e.g. `wi-consortium`.
    pub name: String,
    /// DIDs of the state or consortium nodes whose memberships this node accepts.
    pub anchors: Vec<String>,
    /// Issuers trusted regardless of membership.
    pub allow: Vec<String>,
    /// Issuers never trusted (overrides everything else).
    pub deny: Vec<String>,
}

/// What this node thinks of an issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustStatus {
    /// This node itself.
    ThisNode,
    /// A configured trust anchor.
    Anchor,
    /// A current member, vouched for by an anchor.
    Member,
    /// On the operator's allow list.
    Allowed,
    /// On the operator's deny list.
    Denied,
    /// A former member: every membership has ended.
    Expired,
    /// Not known to the federation.
    Unknown,
}

impl TrustStatus {
    /// Whether records of this issuer are replicated and its awards shown as trusted.
    pub fn is_trusted(&self) -> bool {
        matches!(
            self,
            Self::ThisNode | Self::Anchor | Self::Member | Self::Allowed
        )
    }

    /// The name used in reports (`this_node`, `anchor`, `member`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::ThisNode => "this_node",
            Self::Anchor => "anchor",
            Self::Member => "member",
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Unknown => "unknown",
        }
    }
}

/// The trust status of an issuer, with who vouches for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trust {
    /// Status.
    pub status: TrustStatus,
    /// The anchor whose membership record vouches for it (members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// The role that membership gives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Until when the membership is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

impl Trust {
    fn plain(status: TrustStatus) -> Self {
        Self {
            status,
            anchor: None,
            role: None,
            valid_until: None,
        }
    }
}

/// Memberships seen in anchors' logs: member -> anchor -> (issued, membership). The newest
/// record per (anchor, member) wins.
#[derive(Debug, Default)]
pub struct TrustBook {
    memberships: HashMap<String, HashMap<String, (String, Membership)>>,
}

impl TrustBook {
    /// Records a membership published by `anchor` at `issued`. Returns whether it changed
    /// anything. Memberships of other federations are ignored.
    pub fn add(
        &mut self,
        settings: &FederationSettings,
        anchor: &str,
        issued: &str,
        m: Membership,
    ) -> bool {
        if m.federation != settings.name || !settings.anchors.iter().any(|a| a == anchor) {
            return false;
        }
        let by_anchor = self.memberships.entry(m.member.clone()).or_default();
        match by_anchor.get(anchor) {
            Some((seen, _)) if seen.as_str() >= issued => false,
            _ => {
                by_anchor.insert(anchor.to_owned(), (issued.to_owned(), m));
                true
            }
        }
    }

    /// Every issuer some anchor has published a membership for.
    pub fn members(&self) -> impl Iterator<Item = &str> {
        self.memberships.keys().map(String::as_str)
    }

    /// The trust status of `did` at `now`.
    pub fn trust_of(
        &self,
        settings: &FederationSettings,
        this_node: &str,
        did: &str,
        now: OffsetDateTime,
    ) -> Trust {
        if did == this_node {
            return Trust::plain(TrustStatus::ThisNode);
        }
        if settings.deny.iter().any(|d| d == did) {
            return Trust::plain(TrustStatus::Denied);
        }
        if settings.anchors.iter().any(|a| a == did) {
            return Trust::plain(TrustStatus::Anchor);
        }
        let mut expired = false;
        if let Some(by_anchor) = self.memberships.get(did) {
            // Deterministic choice when several anchors vouch: the first anchor in config order.
            for anchor in &settings.anchors {
                let Some((_, m)) = by_anchor.get(anchor) else {
                    continue;
                };
                if current(m, now) {
                    return Trust {
                        status: TrustStatus::Member,
                        anchor: Some(anchor.clone()),
                        role: Some(m.role.clone()),
                        valid_until: m.valid_until.clone(),
                    };
                }
                expired = true;
            }
        }
        if settings.allow.iter().any(|a| a == did) {
            return Trust::plain(TrustStatus::Allowed);
        }
        Trust::plain(if expired {
            TrustStatus::Expired
        } else {
            TrustStatus::Unknown
        })
    }
}

/// Whether `m` is in force at `now` (a start up to 5 minutes ahead is tolerated: clocks
/// drift).
pub(crate) fn current(m: &Membership, now: OffsetDateTime) -> bool {
    let parse = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok();
    let started = parse(&m.valid_from).is_some_and(|f| f <= now + time::Duration::minutes(5));
    let not_ended = m
        .valid_until
        .as_deref()
        .is_none_or(|u| parse(u).is_some_and(|u| now < u));
    started && not_ended
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> FederationSettings {
        FederationSettings {
            name: "wi".into(),
            anchors: vec!["did:state".into()],
            allow: vec!["did:friend".into()],
            deny: vec!["did:bad".into()],
        }
    }

    fn membership(member: &str, federation: &str, until: Option<&str>) -> Membership {
        Membership {
            member: member.into(),
            federation: federation.into(),
            role: "district".into(),
            valid_from: "2026-01-01T00:00:00Z".into(),
            valid_until: until.map(Into::into),
        }
    }

    #[test]
    fn anchors_members_and_overrides() {
        let s = settings();
        let now = OffsetDateTime::parse("2026-11-22T10:00:00Z", &Rfc3339).expect("time");
        let mut book = TrustBook::default();
        let t = |book: &TrustBook, did: &str| book.trust_of(&s, "did:me", did, now).status;
        assert_eq!(t(&book, "did:me"), TrustStatus::ThisNode);
        assert_eq!(t(&book, "did:state"), TrustStatus::Anchor);
        assert_eq!(t(&book, "did:juab"), TrustStatus::Unknown);
        assert_eq!(t(&book, "did:friend"), TrustStatus::Allowed);
        // Not an anchor, or another federation: ignored.
        assert!(!book.add(
            &s,
            "did:juab",
            "2026-02-01T00:00:00Z",
            membership("did:x", "wi", None)
        ));
        assert!(!book.add(
            &s,
            "did:state",
            "2026-02-01T00:00:00Z",
            membership("did:juab", "ut", None)
        ));
        assert_eq!(t(&book, "did:juab"), TrustStatus::Unknown);
        assert!(book.add(
            &s,
            "did:state",
            "2026-02-01T00:00:00Z",
            membership("did:juab", "wi", None)
        ));
        let trust = book.trust_of(&s, "did:me", "did:juab", now);
        assert_eq!(trust.status, TrustStatus::Member);
        assert_eq!(trust.anchor.as_deref(), Some("did:state"));
        // A newer record ending the membership wins; an older one does not undo it.
        assert!(book.add(
            &s,
            "did:state",
            "2026-06-01T00:00:00Z",
            membership("did:juab", "wi", Some("2026-06-01T00:00:00Z"))
        ));
        assert!(!book.add(
            &s,
            "did:state",
            "2026-03-01T00:00:00Z",
            membership("did:juab", "wi", None)
        ));
        assert_eq!(t(&book, "did:juab"), TrustStatus::Expired);
        // Deny overrides membership.
        book.add(
            &s,
            "did:state",
            "2026-02-01T00:00:00Z",
            membership("did:bad", "wi", None),
        );
        assert_eq!(t(&book, "did:bad"), TrustStatus::Denied);
    }
}

/// The trust subsystem's state: the memberships read from anchors' logs.
#[derive(Debug, Default)]
pub(crate) struct TrustState {
    pub(super) book: RwLock<TrustBook>,
}

impl TrustState {
    pub(crate) fn book(&self) -> Result<RwLockReadGuard<'_, TrustBook>, NodeError> {
        self.book.read().map_err(|_| poisoned())
    }

    pub(crate) fn book_mut(&self) -> Result<RwLockWriteGuard<'_, TrustBook>, NodeError> {
        self.book.write().map_err(|_| poisoned())
    }
}
