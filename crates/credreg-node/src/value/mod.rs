//! What a badge is worth: quality standards, endorsements and quality profiles, the recognition
//! rules districts publish, and the transfer report that applies them to a teacher's badges.

pub mod quality;
pub mod recognition;
pub mod standards;
pub mod transfer;
