//! Bearer tokens and roles. Tokens are random (256 bits), so a fast hash (blake3) is enough to
//! store them: there is nothing to brute-force that a slow hash would protect.

use crate::error::NodeError;
use crate::node::Node;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credreg_store::Store;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything: publish, issue, revoke, manage.
    Admin,
    /// Issue awards after review; nothing else.
    Reviewer,
}

impl Role {
    /// Stable name (`admin`, `reviewer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Role::Admin),
            "reviewer" => Some(Role::Reviewer),
            _ => None,
        }
    }
}

/// A new random token (`crt_` + 43 base64url characters).
pub fn generate_token() -> String {
    format!("crt_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// Registers `token` with `role` in `store` (durably). A free function because `credreg init`
/// registers the admin token before a [`Node`] exists (it needs the bound address first).
pub fn register_token(store: &Store, token: &str, role: Role) -> Result<(), NodeError> {
    if token.len() < 16 {
        return Err(NodeError::Invalid(credreg_model::Invalid(vec![
            credreg_model::FieldError {
                field: "token".into(),
                message: "must be at least 16 characters".into(),
            },
        ])));
    }
    store.put_token(&token_hash(token), role.as_str())?;
    Ok(())
}

/// Whether `store` holds an admin token (init creates one).
pub fn has_admin_token(store: &Store) -> Result<bool, NodeError> {
    Ok(store.has_token_role(Role::Admin.as_str())?)
}

impl Node {
    /// The role of `token`, if it is one of this node's tokens.
    pub fn role_for_token(&self, token: &str) -> Result<Option<Role>, NodeError> {
        if token.is_empty() || token.len() > 256 {
            return Ok(None);
        }
        Ok(self
            .store
            .token_role(&token_hash(token))?
            .as_deref()
            .and_then(Role::parse))
    }

    /// Registers `token` with `role` (durably).
    pub fn add_token(&self, token: &str, role: Role) -> Result<(), NodeError> {
        register_token(&self.store, token, role)
    }
}
