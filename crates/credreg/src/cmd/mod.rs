//! The subcommands, one module each; `main.rs` parses the command line and calls them.

pub mod backup;
pub mod contexts_fetch;
pub mod demo;
pub mod fetching;
pub mod import;
pub mod mailer;
pub mod serve;
pub mod transfer_report;
pub mod verify;
