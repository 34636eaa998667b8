//! # credreg-web: the pages
//!
//! Server-rendered HTML for the people a registry serves, beside the JSON API: the home page,
//! catalog search, credential pages, public award pages and the verify page. Templates are
//! compiled and auto-escaping (askama); the stylesheet is embedded in the binary; pages work
//! without JavaScript. Handlers call the node's use cases directly, on the blocking pool.
//!
//! Forms carry a CSRF token bound to a `SameSite=Strict; HttpOnly` cookie (double submit);
//! every page is sent with a Content-Security-Policy that allows no script.
#![deny(missing_docs)]

mod pages;

pub use pages::router;
