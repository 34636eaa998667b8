//! The offline bundle format (`GET /api/v1/awards/{id}/bundle`): an award with everything needed
//! to check it with no node and no network. Its fields are documented in `credreg-node`'s
//! bundle module, which builds and verifies it.

/// The `type` of an offline bundle.
pub const BUNDLE_TYPE: &str = "CredregOfflineBundle";
