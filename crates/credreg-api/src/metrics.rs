//! Prometheus metrics (`GET /metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of `credreg_http_requests`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method.
    pub method: String,
    /// Route template (never the raw path, so ids do not explode cardinality).
    pub route: String,
    /// Status code.
    pub status: u16,
}

/// Labels of `credreg_verifications`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabels {
    /// `valid`, `revoked`, `expired`, `could_not_check` or `invalid`.
    pub verdict: String,
}

/// Labels of `credreg_federation_refused`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// `untrusted`, `forged`, `replayed`, `oversized` or `malformed`.
    pub reason: String,
}

/// The node's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Requests by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Awards issued since start.
    pub awards_issued: Counter,
    /// Awards revoked since start.
    pub awards_revoked: Counter,
    /// Credentials verified since start, by verdict.
    pub verifications: Family<VerdictLabels, Counter>,
    /// Definitions in the catalog.
    pub catalog_definitions: Gauge,
    /// Awards stored.
    pub awards_stored: Gauge,
    /// Gossip messages and peer data refused since start, by reason (mirrors the driver's
    /// counters at scrape time).
    pub federation_refused: Family<ReasonLabels, Gauge>,
    /// Gossip messages accepted since start.
    pub federation_accepted: Gauge,
    /// Entries appended to replicas since start.
    pub federation_entries_replicated: Gauge,
    /// Equivocation evidence found or learned since start.
    pub federation_equivocations: Gauge,
    /// Peers connected now.
    pub federation_peers: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("credreg");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let awards_issued = Counter::default();
        registry.register(
            "awards_issued",
            "Awards issued since start",
            awards_issued.clone(),
        );
        let awards_revoked = Counter::default();
        registry.register(
            "awards_revoked",
            "Awards revoked since start",
            awards_revoked.clone(),
        );
        let verifications = Family::<VerdictLabels, Counter>::default();
        registry.register(
            "verifications",
            "Credentials verified since start, by verdict",
            verifications.clone(),
        );
        let catalog_definitions = Gauge::default();
        registry.register(
            "catalog_definitions",
            "Credential definitions in the catalog",
            catalog_definitions.clone(),
        );
        let awards_stored = Gauge::default();
        registry.register(
            "awards_stored",
            "Awards stored on this node",
            awards_stored.clone(),
        );
        let federation_refused = Family::<ReasonLabels, Gauge>::default();
        registry.register(
            "federation_refused",
            "Gossip messages and peer data refused since start, by reason",
            federation_refused.clone(),
        );
        let federation_accepted = Gauge::default();
        registry.register(
            "federation_accepted",
            "Gossip messages accepted (verified, stored, forwarded) since start",
            federation_accepted.clone(),
        );
        let federation_entries_replicated = Gauge::default();
        registry.register(
            "federation_entries_replicated",
            "Log entries appended to replicas since start",
            federation_entries_replicated.clone(),
        );
        let federation_equivocations = Gauge::default();
        registry.register(
            "federation_equivocations",
            "Equivocation evidence found or learned since start",
            federation_equivocations.clone(),
        );
        let federation_peers = Gauge::default();
        registry.register(
            "federation_peers",
            "Peers connected now",
            federation_peers.clone(),
        );
        Self {
            registry,
            federation_refused,
            federation_accepted,
            federation_entries_replicated,
            federation_equivocations,
            federation_peers,
            requests,
            awards_issued,
            awards_revoked,
            verifications,
            catalog_definitions,
            awards_stored,
        }
    }
}

impl Metrics {
    /// Counts every credential of a verification report by verdict.
    pub fn count_verifications(&self, report: &credreg_node::VerifyReport) {
        for c in &report.credentials {
            self.verifications
                .get_or_create(&VerdictLabels {
                    verdict: c.verdict.as_str().to_owned(),
                })
                .inc();
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
