//! Hashed recipient identities (OB 3.0 `IdentityObject`).
//!
//! An award names its earner as `sha256$<hex SHA-256(identity || salt)>`, so a verifier who is
//! told the e-mail can confirm it while the credential itself does not reveal it.

use sha2::{Digest, Sha256};

/// Canonical form of an e-mail for hashing: trimmed and lowercased (mailbox case is not
/// significant in practice, and a teacher retyping it must match).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `sha256$` + lowercase hex of SHA-256(`identity` || `salt`), the OB 3.0 hashed form.
pub fn hash_identity(identity: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(identity.as_bytes());
    h.update(salt.as_bytes());
    format!("sha256${}", hex::encode(h.finalize()))
}

/// The older Open Badges 2.0 form, `md5$` + hex MD5 of identity and salt: read, never made.
pub fn md5_identity(identity: &str, salt: &str) -> String {
    use md5::Digest as _;
    let mut h = md5::Md5::new();
    h.update(identity.as_bytes());
    h.update(salt.as_bytes());
    format!("md5${}", hex::encode(h.finalize()))
}

/// Whether `email` is plausibly an address (one `@`, non-empty parts, a dot in the domain).
pub fn looks_like_email(email: &str) -> bool {
    let e = email.trim();
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && e.len() <= 254
                && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // printf 'teacher@example.org' 'salt' | sha256sum (concatenated)
        assert_eq!(
            hash_identity("teacher@example.orgsalt", ""),
            hash_identity("teacher@example.org", "salt")
        );
        assert_eq!(
            hash_identity("", ""),
            "sha256$e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            normalize_email("  Ana.Ruiz@Juab.K12.UT.us "),
            "ana.ruiz@juab.k12.ut.us"
        );
    }

    #[test]
    fn email_shape() {
        for ok in ["a@b.org", "first.last@district.k12.wi.us"] {
            assert!(looks_like_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@b", "@b.org", "a@@b.org", "a b@c.org", "a@.org"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
