//! People: accounts with roles, several e-mail addresses each (verified by a link), sessions
//! opened by a single-use e-mail link or a password (argon2id), and who is asking ([`Actor`]).

pub use super::person::{Actor, NewPerson, Person, PersonEmail, PersonRole, PersonView};
use super::state::ReviewBook;
use crate::error::{internal, NodeError};
use crate::node::Node;
use credreg_model::{looks_like_email, normalize_email, Errors, Validate};
use credreg_store::Family;
use serde::{Deserialize, Serialize};

/// A session: who it is, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// Short id (12 hex digits of the token hash), for listing and revoking.
    pub id: String,
    /// The person.
    pub person: String,
    /// Opened at (RFC 3339).
    pub created_at: String,
    /// Expires at (Unix seconds).
    pub expires: i64,
    /// How it was opened: `link` or `password`.
    pub how: String,
}

/// A single-use link's purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum LinkPurpose {
    SignIn { person: String },
    VerifyEmail { person: String, address: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    purpose: LinkPurpose,
    expires: i64,
}

/// How long a sign-in or verification link works.
pub const LINK_SECS: i64 = 15 * 60;
/// Sign-in codes mailed to one address in [`LINK_SECS`]: more are not sent (and the answer
/// does not change, so it tells nobody who has an account), so the sign-in page cannot be used
/// to flood someone's mailbox.
pub const SIGN_IN_MAILS_PER_WINDOW: usize = 5;
/// How long a session lasts.
pub const SESSION_SECS: i64 = 12 * 3600;

/// When a message was queued (its id starts with the Unix time in hex, see `outbox.rs`).
fn queued_unix(id: &str) -> i64 {
    id.get(2..14)
        .and_then(|h| i64::from_str_radix(h, 16).ok())
        .unwrap_or(i64::MAX)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(blake3::hash(token.as_bytes()).as_bytes())
}

/// A fresh secret token from the OS generator (never the node's seeded entropy).
pub(crate) fn fresh_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

impl Node {
    /// Invites a person (coordinators): their address counts as verified (the coordinator
    /// vouches for a district address), and a sign-in link is mailed to it.
    pub fn invite_person(&self, actor: &Actor, new: NewPerson) -> Result<PersonView, NodeError> {
        actor.require_coordinator()?;
        let mut errors = Errors::default();
        new.validate(&mut errors);
        errors.finish()?;
        let address = normalize_email(&new.email);
        let mut book = self.review.book_mut()?;
        if book.person_by_email(&address).is_some() {
            return Err(NodeError::Conflict(format!(
                "{address} already belongs to someone here."
            )));
        }
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        let person = Person {
            id: format!("p_{}", self.settings().env.hex(8)),
            name: new.name.trim().to_owned(),
            school: new
                .school
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            roles,
            emails: vec![PersonEmail {
                address: address.clone(),
                verified: true,
            }],
            calibrated: Vec::new(),
            password_hash: None,
            created_at: self.now_rfc3339(),
        };
        self.save_person(&mut book, person.clone())?;
        drop(book);
        let link = self.new_link(LinkPurpose::SignIn {
            person: person.id.clone(),
        })?;
        self.queue_mail(
            &address,
            &format!("You are invited to {}", self.settings().name),
            &format!(
                "Hello {},\n\n{} has added you to its credential registry. Sign in within 15 minutes with this link:\n\n    {}/sign-in?code={link}\n\nor enter this code on the sign-in page:\n\n    {link}\n\nAfter that, ask for a new sign-in code from the sign-in page.\n",
                person.name,
                self.settings().name,
                self.settings().public_url,
            ),
        )?;
        Ok(PersonView::from(&person))
    }

    /// Invites a whole roster at once (coordinators): every row is checked first, and nothing
    /// is stored if any is wrong (errors name the row as `[i].field`); each person is mailed a
    /// sign-in code.
    pub fn invite_roster(
        &self,
        actor: &Actor,
        rows: Vec<NewPerson>,
    ) -> Result<Vec<PersonView>, NodeError> {
        actor.require_coordinator()?;
        let mut errors = Errors::default();
        if rows.is_empty() {
            errors.add("rows", "the roster has no one in it");
        }
        if rows.len() > 5_000 {
            errors.add("rows", "at most 5000 people per roster");
        }
        let mut seen = std::collections::HashSet::new();
        {
            let book = self.review.book()?;
            for (i, row) in rows.iter().enumerate() {
                errors.nested(&format!("[{i}]"), |e| row.validate(e));
                let address = normalize_email(&row.email);
                if book.person_by_email(&address).is_some() {
                    errors.add(
                        &format!("[{i}].email"),
                        format!("{address} already belongs to someone here"),
                    );
                } else if !seen.insert(address.clone()) {
                    errors.add(
                        &format!("[{i}].email"),
                        format!("{address} is in the roster twice"),
                    );
                }
            }
        }
        errors.finish()?;
        rows.into_iter()
            .map(|row| self.invite_person(actor, row))
            .collect()
    }

    /// Everyone (coordinators).
    pub fn people(&self, actor: &Actor) -> Result<Vec<PersonView>, NodeError> {
        actor.require_coordinator()?;
        Ok(self
            .review
            .book()?
            .people
            .values()
            .map(PersonView::from)
            .collect())
    }

    /// One person: coordinators see anyone, a person themself.
    pub fn person(&self, actor: &Actor, id: &str) -> Result<PersonView, NodeError> {
        if !actor.is_coordinator() && actor.person() != Some(id) {
            return Err(NodeError::Forbidden(
                "You can only see your own account.".to_owned(),
            ));
        }
        self.review
            .book()?
            .people
            .get(id)
            .map(PersonView::from)
            .ok_or_else(|| NodeError::NotFound {
                what: "person",
                id: id.to_owned(),
            })
    }

    /// Records that a reviewer is calibrated (or no longer) for a definition (coordinators).
    pub fn set_calibrated(
        &self,
        actor: &Actor,
        person: &str,
        credential_id: &str,
        calibrated: bool,
    ) -> Result<PersonView, NodeError> {
        actor.require_coordinator()?;
        if self.definition(credential_id)?.is_none() {
            return Err(NodeError::NotFound {
                what: "credential",
                id: credential_id.to_owned(),
            });
        }
        let mut book = self.review.book_mut()?;
        let mut p = book.person(person)?.clone();
        p.calibrated.retain(|c| c != credential_id);
        if calibrated {
            p.calibrated.push(credential_id.to_owned());
        }
        self.save_person(&mut book, p.clone())?;
        Ok(PersonView::from(&p))
    }

    /// Adds an address to the signed-in person's account and mails it a verification link;
    /// it counts (for sign-in and award matching) once the link is followed.
    pub fn add_email(&self, actor: &Actor, address: &str) -> Result<(), NodeError> {
        let id = actor.person().ok_or_else(|| {
            NodeError::Forbidden("Only a signed-in person has addresses.".to_owned())
        })?;
        if !looks_like_email(address) {
            let mut e = Errors::default();
            e.add("email", "must be an e-mail address");
            e.finish()?;
        }
        let address = normalize_email(address);
        let mut book = self.review.book_mut()?;
        if let Some(other) = book.person_by_email(&address) {
            if other.id != id {
                return Err(NodeError::Conflict(format!(
                    "{address} already belongs to someone here."
                )));
            }
        }
        let mut p = book.person(id)?.clone();
        if !p.emails.iter().any(|e| e.address == address) {
            p.emails.push(PersonEmail {
                address: address.clone(),
                verified: false,
            });
            self.save_person(&mut book, p)?;
        }
        drop(book);
        let link = self.new_link(LinkPurpose::VerifyEmail {
            person: id.to_owned(),
            address: address.clone(),
        })?;
        self.queue_mail(
            &address,
            "Confirm your e-mail address",
            &format!("Confirm this address for your credential record with this code (valid 15 minutes):\n\n    {link}\n"),
        )
    }

    /// Follows a verification link: the address is verified.
    pub fn verify_email(&self, token: &str) -> Result<PersonView, NodeError> {
        let LinkPurpose::VerifyEmail { person, address } = self.take_link(token)? else {
            return Err(NodeError::Conflict(
                "That code is not an e-mail verification code.".to_owned(),
            ));
        };
        let mut book = self.review.book_mut()?;
        let mut p = book.person(&person)?.clone();
        for e in &mut p.emails {
            if e.address == address {
                e.verified = true;
            }
        }
        self.save_person(&mut book, p.clone())?;
        Ok(PersonView::from(&p))
    }

    /// Mails a single-use sign-in link to `address` if it belongs to someone. Says nothing
    /// either way (the answer must not tell who has an account).
    pub fn request_sign_in(&self, address: &str) -> Result<(), NodeError> {
        let address = normalize_email(address);
        let person = self
            .review
            .book()?
            .person_by_email(&address)
            .filter(|p| p.owns(&address))
            .map(|p| p.id.clone());
        let Some(person) = person else {
            return Ok(());
        };
        let since = self.now().unix_timestamp() - LINK_SECS;
        let subject = format!("Sign in to {}", self.settings().name);
        let recent = self
            .all_mail()?
            .iter()
            .filter(|m| m.to == address && m.subject == subject && queued_unix(&m.id) >= since)
            .count();
        if recent >= SIGN_IN_MAILS_PER_WINDOW {
            tracing::info!("sign-in codes for one address are held back: too many just now");
            return Ok(());
        }
        let link = self.new_link(LinkPurpose::SignIn { person })?;
        self.queue_mail(
            &address,
            &format!("Sign in to {}", self.settings().name),
            &format!(
                "Sign in (valid 15 minutes, once) with this link:\n\n    {}/sign-in?code={link}\n\nor enter this code on the sign-in page:\n\n    {link}\n",
                self.settings().public_url
            ),
        )
    }

    /// Follows a sign-in link: a new session token (shown once).
    pub fn sign_in_with_link(&self, token: &str) -> Result<(String, Session), NodeError> {
        let LinkPurpose::SignIn { person } = self.take_link(token)? else {
            return Err(NodeError::Conflict(
                "That code is not a sign-in code.".to_owned(),
            ));
        };
        self.open_session(&person, "link")
    }

    /// Signs in with a password.
    pub fn sign_in_with_password(
        &self,
        address: &str,
        password: &str,
    ) -> Result<(String, Session), NodeError> {
        let refused = || {
            // Who tried is not logged (the address is personal); that someone did is.
            tracing::warn!(target: "credreg::audit", event = "sign_in_refused", how = "password");
            NodeError::Forbidden("Wrong e-mail address or password.".to_owned())
        };
        let address = normalize_email(address);
        let (id, hash) = {
            let book = self.review.book()?;
            let p = book
                .person_by_email(&address)
                .filter(|p| p.owns(&address))
                .ok_or_else(refused)?;
            (p.id.clone(), p.password_hash.clone().ok_or_else(refused)?)
        };
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let parsed = PasswordHash::new(&hash).map_err(|e| internal(format!("stored hash: {e}")))?;
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .map_err(|_| refused())?;
        self.open_session(&id, "password")
    }

    /// Sets the signed-in person's password (argon2id; at least 12 characters).
    pub fn set_password(&self, actor: &Actor, password: &str) -> Result<(), NodeError> {
        let id = actor.person().ok_or_else(|| {
            NodeError::Forbidden("Only a signed-in person has a password.".to_owned())
        })?;
        if password.chars().count() < 12 || password.len() > 1_000 {
            let mut e = Errors::default();
            e.add("password", "must be 12 to 1000 characters");
            e.finish()?;
        }
        use argon2::password_hash::{PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| internal(format!("argon2: {e}")))?
            .to_string();
        let mut book = self.review.book_mut()?;
        let mut p = book.person(id)?.clone();
        p.password_hash = Some(hash);
        self.save_person(&mut book, p)
    }

    /// Who a session token belongs to, if it is open.
    pub fn session_actor(&self, token: &str) -> Result<Option<Actor>, NodeError> {
        let Some(bytes) = self.store.document(Family::Sessions, &token_hash(token))? else {
            return Ok(None);
        };
        let session: Session =
            serde_json::from_slice(&bytes).map_err(|e| internal(format!("session: {e}")))?;
        if session.expires <= self.now().unix_timestamp() {
            return Ok(None);
        }
        let book = self.review.book()?;
        Ok(book.people.get(&session.person).map(|p| Actor::Person {
            id: p.id.clone(),
            roles: p.roles.clone(),
        }))
    }

    /// The sessions of a person (themself or a coordinator), newest first.
    pub fn sessions(&self, actor: &Actor, person: &str) -> Result<Vec<Session>, NodeError> {
        if !actor.is_coordinator() && actor.person() != Some(person) {
            return Err(NodeError::Forbidden(
                "You can only list your own sessions.".to_owned(),
            ));
        }
        let now = self.now().unix_timestamp();
        let mut out: Vec<Session> = self
            .store
            .documents(Family::Sessions)?
            .into_iter()
            .filter_map(|(_, b)| serde_json::from_slice::<Session>(&b).ok())
            .filter(|s| s.person == person && s.expires > now)
            .collect();
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        Ok(out)
    }

    /// Ends a session by its short id (its owner or a coordinator).
    pub fn revoke_session(&self, actor: &Actor, id: &str) -> Result<bool, NodeError> {
        for (key, bytes) in self.store.documents(Family::Sessions)? {
            let Ok(s) = serde_json::from_slice::<Session>(&bytes) else {
                continue;
            };
            if s.id == id {
                if !actor.is_coordinator() && actor.person() != Some(s.person.as_str()) {
                    return Err(NodeError::Forbidden(
                        "You can only end your own sessions.".to_owned(),
                    ));
                }
                return Ok(self.store.delete_document(Family::Sessions, &key)?);
            }
        }
        Ok(false)
    }

    /// Ends every session of the signed-in person (signing out on every device, after a lost
    /// phone or a shared computer). Returns how many were open.
    pub fn end_all_sessions(&self, actor: &Actor) -> Result<usize, NodeError> {
        let person = actor.person().ok_or_else(|| {
            NodeError::Forbidden("Only a signed-in person has sessions.".to_owned())
        })?;
        let mut ended = 0;
        for (key, bytes) in self.store.documents(Family::Sessions)? {
            let Ok(s) = serde_json::from_slice::<Session>(&bytes) else {
                continue;
            };
            if s.person == person && self.store.delete_document(Family::Sessions, &key)? {
                ended += 1;
            }
        }
        tracing::info!(target: "credreg::audit", event = "sign_out_everywhere", person, ended);
        Ok(ended)
    }

    /// Ends the session a token opened (signing out); an unknown token is already ended.
    pub fn end_session(&self, token: &str) -> Result<(), NodeError> {
        self.store
            .delete_document(Family::Sessions, &token_hash(token))?;
        Ok(())
    }

    pub(crate) fn open_session(
        &self,
        person: &str,
        how: &str,
    ) -> Result<(String, Session), NodeError> {
        let token = fresh_token("crs_");
        let hash = token_hash(&token);
        let session = Session {
            id: hash[..12].to_owned(),
            person: person.to_owned(),
            created_at: self.now_rfc3339(),
            expires: self.now().unix_timestamp() + SESSION_SECS,
            how: how.to_owned(),
        };
        let bytes = serde_json::to_vec(&session).map_err(internal)?;
        self.store.put_document(Family::Sessions, &hash, &bytes)?;
        tracing::info!(target: "credreg::audit", event = "sign_in", person, how, session = %session.id);
        Ok((token, session))
    }

    fn new_link(&self, purpose: LinkPurpose) -> Result<String, NodeError> {
        let token = fresh_token("crl_");
        let link = Link {
            purpose,
            expires: self.now().unix_timestamp() + LINK_SECS,
        };
        let bytes = serde_json::to_vec(&link).map_err(internal)?;
        self.store
            .put_document(Family::Links, &token_hash(&token), &bytes)?;
        Ok(token)
    }

    /// Uses up a link: it works once, and only before it expires.
    fn take_link(&self, token: &str) -> Result<LinkPurpose, NodeError> {
        let gone = || NodeError::Forbidden("That code is unknown, used or expired.".to_owned());
        let key = token_hash(token);
        let bytes = self.store.document(Family::Links, &key)?.ok_or_else(gone)?;
        if !self.store.delete_document(Family::Links, &key)? {
            return Err(gone()); // used meanwhile
        }
        let link: Link =
            serde_json::from_slice(&bytes).map_err(|e| internal(format!("link: {e}")))?;
        if link.expires <= self.now().unix_timestamp() {
            return Err(gone());
        }
        Ok(link.purpose)
    }

    pub(crate) fn save_person(
        &self,
        book: &mut ReviewBook,
        person: Person,
    ) -> Result<(), NodeError> {
        let bytes = serde_json::to_vec(&person).map_err(internal)?;
        self.store
            .put_document(Family::People, &person.id, &bytes)?;
        book.people.insert(person.id.clone(), person);
        Ok(())
    }
}
