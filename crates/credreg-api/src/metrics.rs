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
    /// `valid`, `revoked` or `invalid`.
    pub verdict: String,
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
        Self {
            registry,
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
    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
