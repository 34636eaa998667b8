//! The replica's state.

/// The replica's state: one page is stored at a time (pages of one issuer must land in order,
/// and the overlay check reads the stored tree).
#[derive(Debug, Default)]
pub(crate) struct ReplicaState {
    pub(super) storing: std::sync::Mutex<()>,
}
