//! Accounts as data: roles, addresses, the person, what coordinators see of one, an
//! invitation, and who is asking ([`Actor`]). No IO; `people.rs` holds the use cases.

use crate::error::NodeError;
use credreg_model::{looks_like_email, normalize_email, Errors, Validate};
use serde::{Deserialize, Serialize};

/// What a person may do here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    /// Earns badges: submits evidence, requests pre-approval, reads their own feedback.
    Teacher,
    /// Scores evidence assigned to them against the rubric.
    Reviewer,
    /// Runs the program: invites people, decides pre-approvals, reads the outbox and every
    /// submission, publishes statistics.
    Coordinator,
    /// On a state or consortium node: curates the shared repository.
    Curator,
}

/// One of a person's e-mail addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEmail {
    /// The address, normalized (trimmed, lowercase).
    pub address: String,
    /// Whether its owner followed the verification link (or a coordinator invited it).
    pub verified: bool,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// `p_` and 16 hex digits.
    pub id: String,
    /// Display name.
    pub name: String,
    /// School (for the "not the same school" conflict rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    /// Roles.
    pub roles: Vec<PersonRole>,
    /// Addresses; awards go to the first verified one and match any verified one.
    pub emails: Vec<PersonEmail>,
    /// Definitions this reviewer is calibrated for (scored the calibration set within its
    /// agreement threshold, as a coordinator recorded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibrated: Vec<String>,
    /// argon2id hash in PHC form, when the person chose a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// When invited (RFC 3339).
    pub created_at: String,
}

impl Person {
    /// Whether the person has `role`.
    pub fn has(&self, role: PersonRole) -> bool {
        self.roles.contains(&role)
    }

    /// The address awards are issued to: the first verified one.
    pub fn award_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.verified)
            .map(|e| e.address.as_str())
    }

    /// Whether `address` is one of this person's verified addresses.
    pub fn owns(&self, address: &str) -> bool {
        let address = normalize_email(address);
        self.emails
            .iter()
            .any(|e| e.verified && e.address == address)
    }
}

/// A person as shown to coordinators (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// School.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    /// Roles.
    pub roles: Vec<PersonRole>,
    /// Addresses.
    pub emails: Vec<PersonEmail>,
    /// Calibrated for.
    pub calibrated: Vec<String>,
    /// Whether a password is set.
    pub has_password: bool,
}

impl From<&Person> for PersonView {
    fn from(p: &Person) -> Self {
        PersonView {
            id: p.id.clone(),
            name: p.name.clone(),
            school: p.school.clone(),
            roles: p.roles.clone(),
            emails: p.emails.clone(),
            calibrated: p.calibrated.clone(),
            has_password: p.password_hash.is_some(),
        }
    }
}

/// An invitation: who to add, with which roles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Their district address.
    #[serde(default)]
    pub email: String,
    /// School.
    #[serde(default)]
    pub school: Option<String>,
    /// Roles (at least one).
    #[serde(default)]
    pub roles: Vec<PersonRole>,
}

impl Validate for NewPerson {
    fn validate(&self, e: &mut Errors) {
        e.text("name", &self.name, 200);
        if !looks_like_email(&self.email) {
            e.add("email", "must be an e-mail address");
        }
        if let Some(s) = &self.school {
            e.text("school", s, 200);
        }
        if self.roles.is_empty() {
            e.add("roles", "give at least one role");
        }
    }
}

/// Who is asking: the operator (the admin token, which acts as a coordinator) or a signed-in
/// person with their roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The node's operator (admin token).
    Operator,
    /// A signed-in person.
    Person {
        /// Their id.
        id: String,
        /// Their roles now.
        roles: Vec<PersonRole>,
    },
}

impl Actor {
    /// Whether the actor may run the program (operator or coordinator).
    pub fn is_coordinator(&self) -> bool {
        match self {
            Actor::Operator => true,
            Actor::Person { roles, .. } => roles.contains(&PersonRole::Coordinator),
        }
    }

    /// The person, if a person is asking.
    pub fn person(&self) -> Option<&str> {
        match self {
            Actor::Operator => None,
            Actor::Person { id, .. } => Some(id),
        }
    }

    /// Whether the actor has `role` (the operator has every coordinator power, no other).
    pub fn has(&self, role: PersonRole) -> bool {
        match self {
            Actor::Operator => role == PersonRole::Coordinator,
            Actor::Person { roles, .. } => roles.contains(&role),
        }
    }

    /// The actor's name in a submission's history.
    pub(crate) fn label(&self) -> String {
        match self {
            Actor::Operator => "operator".to_owned(),
            Actor::Person { id, .. } => id.clone(),
        }
    }

    pub(crate) fn require_coordinator(&self) -> Result<(), NodeError> {
        if self.is_coordinator() {
            Ok(())
        } else {
            Err(NodeError::Forbidden(
                "Only a coordinator can do this.".to_owned(),
            ))
        }
    }
}
