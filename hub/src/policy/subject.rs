//! Who a decision is about: a node as its certificate describes it.

use std::fmt;

use cordon_common::identity::NodeIdentity;
use cordon_common::ids::{NodeId, Role};

/// The facts about a node that the policy decides on: id, role and country, all taken from
/// its certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    /// The node's id.
    pub node_id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its ISO 3166-1 alpha-2 country, where it has one.
    pub country: Option<String>,
}

impl Subject {
    /// A subject from its parts.
    pub fn new(node_id: NodeId, role: Role, country: Option<&str>) -> Self {
        Self {
            node_id,
            role,
            country: country.map(str::to_owned),
        }
    }

    /// Whether the subject's country is `country` (ASCII case-insensitive).
    pub(crate) fn in_country(&self, country: &str) -> bool {
        self.country
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(country))
    }
}

impl From<&NodeIdentity> for Subject {
    fn from(id: &NodeIdentity) -> Self {
        Self {
            node_id: id.node_id.clone(),
            role: id.role,
            country: id.country.clone(),
        }
    }
}

/// `HU-NCP (member, HU)`: how reasons and tables describe a subject.
impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.country {
            Some(c) => write!(f, "{} ({}, {})", self.node_id, self.role, c),
            None => write!(f, "{} ({})", self.node_id, self.role),
        }
    }
}
