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

/// Whether two secrets (CSRF tokens, hashes of codes) are equal, in time that depends on
/// their lengths only, never on where they first differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A new random token (`crt_` + 43 base64url characters).
pub fn generate_token() -> String {
    format!("crt_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// Where a token came from. A token from `CREDREG_ADMIN_TOKEN` is retired when the variable
/// changes, so rotating it is one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// `CREDREG_ADMIN_TOKEN`.
    Environment,
    /// Generated at init or by `credreg token create`, or registered by a program.
    Created,
    /// Stored by an earlier version, which kept only the role.
    Legacy,
}

/// What is stored for a token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StoredToken {
    role: String,
    source: TokenSource,
    /// Unix seconds.
    created: i64,
    /// Unix seconds; `None` never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires: Option<i64>,
}

impl StoredToken {
    fn decode(bytes: &[u8]) -> Option<StoredToken> {
        if bytes.first() == Some(&b'{') {
            return serde_json::from_slice(bytes).ok();
        }
        // Before token descriptions, the value was the role name alone.
        let role = std::str::from_utf8(bytes).ok()?;
        Role::parse(role)?;
        Some(StoredToken {
            role: role.to_owned(),
            source: TokenSource::Legacy,
            created: 0,
            expires: None,
        })
    }
}

/// A token as `credreg token list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenEntry {
    /// The first 12 hex digits of the token's hash: enough to name it for revocation, useless
    /// for signing in.
    pub id: String,
    /// `admin` or `reviewer`.
    pub role: String,
    /// Where it came from.
    pub source: TokenSource,
    /// When it was registered (RFC 3339), if known.
    pub created: Option<String>,
    /// When it stops working (RFC 3339), if ever.
    pub expires: Option<String>,
    /// Whether it has expired.
    pub expired: bool,
}

/// How to register a token.
#[derive(Debug, Clone, Copy)]
pub struct TokenOptions {
    /// Its role.
    pub role: Role,
    /// Where it came from.
    pub source: TokenSource,
    /// When it stops working.
    pub expires: Option<time::OffsetDateTime>,
}

fn rfc3339(unix: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn invalid_token(message: &str) -> NodeError {
    NodeError::Invalid(credreg_model::Invalid(vec![credreg_model::FieldError {
        field: "token".into(),
        message: message.into(),
    }]))
}

/// Registers `token` with `role` in `store` (durably), with no expiry. A free function
/// because `credreg init` registers the admin token before a [`Node`] exists (it needs the
/// bound address first).
pub fn register_token(store: &Store, token: &str, role: Role) -> Result<(), NodeError> {
    register_token_with(
        store,
        token,
        TokenOptions {
            role,
            source: TokenSource::Created,
            expires: None,
        },
    )
}

/// Registers `token` as `options` say (durably). Registering an environment token retires
/// every other environment token: the variable names one token at a time.
pub fn register_token_with(
    store: &Store,
    token: &str,
    options: TokenOptions,
) -> Result<(), NodeError> {
    if token.len() < 16 {
        return Err(invalid_token("must be at least 16 characters"));
    }
    if token.len() > 256 {
        return Err(invalid_token("must be at most 256 characters"));
    }
    let hash = token_hash(token);
    if options.source == TokenSource::Environment {
        for (other, bytes) in store.tokens()? {
            let from_env =
                StoredToken::decode(&bytes).is_some_and(|t| t.source == TokenSource::Environment);
            if other != hash && from_env {
                store.delete_token(&other)?;
            }
        }
        let same = store
            .token(&hash)?
            .and_then(|b| StoredToken::decode(&b))
            .is_some_and(|t| {
                t.source == TokenSource::Environment && t.role == options.role.as_str()
            });
        if same {
            return Ok(());
        }
    }
    let stored = StoredToken {
        role: options.role.as_str().to_owned(),
        source: options.source,
        created: time::OffsetDateTime::now_utc().unix_timestamp(),
        expires: options.expires.map(|e| e.unix_timestamp()),
    };
    let bytes = serde_json::to_vec(&stored).map_err(|e| invalid_token(&e.to_string()))?;
    store.put_token(&hash, &bytes)?;
    // The id is a prefix of the token's hash: it names the token without revealing it.
    tracing::info!(target: "credreg::audit", event = "token_created", id = %&hex::encode(hash)[..12], role = options.role.as_str());
    Ok(())
}

/// Whether `store` holds an admin token that still works (init creates one).
pub fn has_admin_token(store: &Store) -> Result<bool, NodeError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Ok(store.tokens()?.iter().any(|(_, b)| {
        StoredToken::decode(b)
            .is_some_and(|t| t.role == Role::Admin.as_str() && t.expires.is_none_or(|e| e > now))
    }))
}

/// Every token, oldest first.
pub fn list_tokens(store: &Store) -> Result<Vec<TokenEntry>, NodeError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut out: Vec<(i64, TokenEntry)> = store
        .tokens()?
        .into_iter()
        .filter_map(|(hash, bytes)| {
            let t = StoredToken::decode(&bytes)?;
            Some((
                t.created,
                TokenEntry {
                    id: hex::encode(&hash[..6]),
                    role: t.role,
                    source: t.source,
                    created: (t.created > 0).then(|| rfc3339(t.created)).flatten(),
                    expires: t.expires.and_then(rfc3339),
                    expired: t.expires.is_some_and(|e| e <= now),
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    Ok(out.into_iter().map(|(_, e)| e).collect())
}

/// Revokes the token whose id (see [`TokenEntry::id`]) starts with `id` (at least 6 hex
/// digits, and only one token may match).
pub fn revoke_token(store: &Store, id: &str) -> Result<TokenEntry, NodeError> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid_token(
            "name the token by at least 6 hex digits of its id (see `credreg token list`)",
        ));
    }
    let matches: Vec<[u8; 32]> = store
        .tokens()?
        .into_iter()
        .map(|(h, _)| h)
        .filter(|h| hex::encode(h).starts_with(&id))
        .collect();
    let hash = match matches.as_slice() {
        [one] => *one,
        [] => return Err(NodeError::NotFound { what: "token", id }),
        _ => {
            return Err(NodeError::Conflict(format!(
                "{} tokens have ids starting with {id}; give more digits",
                matches.len()
            )))
        }
    };
    let entry = list_tokens(store)?
        .into_iter()
        .find(|e| hex::encode(hash).starts_with(&e.id))
        .ok_or_else(|| NodeError::NotFound {
            what: "token",
            id: id.clone(),
        })?;
    store.delete_token(&hash)?;
    tracing::info!(target: "credreg::audit", event = "token_revoked", id = %entry.id);
    Ok(entry)
}

impl Node {
    /// The role of `token`, if it is one of this node's tokens and has not expired.
    pub fn role_for_token(&self, token: &str) -> Result<Option<Role>, NodeError> {
        if token.is_empty() || token.len() > 256 {
            return Ok(None);
        }
        let Some(stored) = self
            .store
            .token(&token_hash(token))?
            .and_then(|b| StoredToken::decode(&b))
        else {
            return Ok(None);
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if stored.expires.is_some_and(|e| e <= now) {
            return Ok(None);
        }
        Ok(Role::parse(&stored.role))
    }

    /// Registers `token` with `role` (durably).
    pub fn add_token(&self, token: &str, role: Role) -> Result<(), NodeError> {
        register_token(&self.store, token, role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("crcsrf_abc", "crcsrf_abc"));
        assert!(!same_secret("crcsrf_abc", "crcsrf_abd"));
        assert!(!same_secret("crcsrf_abc", "crcsrf_ab"));
        assert!(!same_secret("", "x"));
    }

    #[test]
    fn tokens_expire_rotate_list_and_revoke() {
        let store = Store::temporary().expect("store");
        let first = "env-token-one-0123456789";
        let second = "env-token-two-0123456789";
        let env = |t: &str| {
            register_token_with(
                &store,
                t,
                TokenOptions {
                    role: Role::Admin,
                    source: TokenSource::Environment,
                    expires: None,
                },
            )
        };
        env(first).expect("first");
        register_token(&store, "made-by-token-create-01", Role::Reviewer).expect("created");
        let expired = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        register_token_with(
            &store,
            "an-expired-token-0123456",
            TokenOptions {
                role: Role::Admin,
                source: TokenSource::Created,
                expires: Some(expired),
            },
        )
        .expect("expired");
        env(second).expect("second");
        let list = list_tokens(&store).expect("list");
        assert_eq!(list.len(), 3, "{list:?}");
        assert_eq!(
            list.iter()
                .filter(|t| t.source == TokenSource::Environment)
                .count(),
            1
        );
        assert_eq!(list.iter().filter(|t| t.expired).count(), 1);
        let hash = |t: &str| hex::encode(token_hash(t));
        assert!(store.token(&token_hash(first)).expect("read").is_none());
        assert!(store.token(&token_hash(second)).expect("read").is_some());
        let revoked = revoke_token(&store, &hash("made-by-token-create-01")[..8]).expect("revoke");
        assert_eq!(revoked.role, "reviewer");
        assert!(matches!(
            revoke_token(&store, &hash("made-by-token-create-01")[..8]),
            Err(NodeError::NotFound { .. })
        ));
        assert!(revoke_token(&store, "zz").is_err());
        // Legacy values (the role alone) still read.
        store
            .put_token(&token_hash("legacy-token-0123456789"), b"admin")
            .expect("put");
        assert!(list_tokens(&store)
            .expect("list")
            .iter()
            .any(|t| t.source == TokenSource::Legacy));
    }
}
