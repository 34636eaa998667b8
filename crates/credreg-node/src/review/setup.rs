//! First run: a node with no one on it yet answers `/` with a setup form. Whoever holds the
//! one-time code the node printed when it started (only the operator sees its output) becomes
//! the first coordinator and is signed in at once. The code lives in memory, hashed; a restart
//! prints a new one, and it stops working as soon as anyone has an account.

use super::people::{fresh_token, token_hash, Session};
use super::person::{NewPerson, Person, PersonEmail, PersonRole};
use crate::error::NodeError;
use crate::node::Node;
use credreg_model::{normalize_email, Errors, Validate};

impl Node {
    /// Whether the node still waits for its first coordinator.
    pub fn needs_setup(&self) -> Result<bool, NodeError> {
        Ok(self.review.book()?.people.is_empty())
    }

    /// A fresh one-time setup code while the node has no one (`None` once it has): the
    /// binary prints it at start. Each call replaces the code before it.
    pub fn new_setup_code(&self) -> Result<Option<String>, NodeError> {
        if !self.needs_setup()? {
            return Ok(None);
        }
        let code = fresh_token("crsetup_");
        *self.review.setup_code.lock().map_err(|_| poisoned())? = Some(token_hash(&code));
        Ok(Some(code))
    }

    /// Makes the holder of the setup code the first coordinator and opens their session.
    pub fn complete_setup(
        &self,
        code: &str,
        name: &str,
        email: &str,
    ) -> Result<(String, Session), NodeError> {
        let new = NewPerson {
            name: name.to_owned(),
            email: email.to_owned(),
            school: None,
            roles: vec![PersonRole::Coordinator],
        };
        let mut errors = Errors::default();
        new.validate(&mut errors);
        errors.finish()?;
        let mut held = self.review.setup_code.lock().map_err(|_| poisoned())?;
        let expected = held.as_deref().unwrap_or_default();
        let given = token_hash(code.trim());
        let same = crate::auth::same_secret(expected, &given);
        let mut book = self.review.book_mut()?;
        if !book.people.is_empty() {
            return Err(NodeError::Conflict(
                "This node is already set up: sign in instead.".to_owned(),
            ));
        }
        if !same {
            tracing::warn!(target: "credreg::audit", event = "setup_refused");
            return Err(NodeError::Forbidden(
                "That setup code is not the one this node printed when it started.".to_owned(),
            ));
        }
        let person = Person {
            id: format!("p_{}", self.settings().env.hex(8)),
            name: new.name.trim().to_owned(),
            school: None,
            roles: new.roles,
            emails: vec![PersonEmail {
                address: normalize_email(email),
                verified: true,
            }],
            calibrated: Vec::new(),
            password_hash: None,
            created_at: self.now_rfc3339(),
        };
        self.save_person(&mut book, person.clone())?;
        drop(book);
        tracing::info!(target: "credreg::audit", event = "setup", person = %person.id);
        *held = None;
        self.open_session(&person.id, "setup")
    }
}

fn poisoned() -> NodeError {
    crate::error::internal("setup code lock poisoned")
}
