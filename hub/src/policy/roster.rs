//! The policy's read rules as a signed operation roster (`cordon_common::roster`), and the
//! check that a roster says the same as the policy in force. The hub names readers from
//! the policy; senders accept only readers the roster names; so the two must agree, and
//! the hub refuses a policy whose readers differ from its signed roster.

use cordon_common::roster::{Roster, RosterChannel, RosterOperation, Selector as RosterSelector};

use super::model::Selector;
use super::Policy;

fn selector(s: &Selector) -> RosterSelector {
    RosterSelector {
        nodes: s.nodes.clone(),
        roles: s.roles.clone(),
        countries: s.countries.clone(),
        participants: s.participants,
    }
}

impl Policy {
    /// Who reads what, in the roster's form, operation by operation in file order.
    pub fn roster_operations(&self) -> Vec<RosterOperation> {
        self.operations()
            .map(|op| RosterOperation {
                name: op.name.clone(),
                participants: selector(&op.participants),
                channels: op
                    .channels
                    .iter()
                    .map(|c| RosterChannel {
                        channel: c.name.clone(),
                        read: c.read.as_ref().map(selector).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The roster of this policy at `version`, made at `issued_at` (ms since the epoch),
    /// ready for the CA to sign.
    pub fn roster(&self, version: u64, issued_at: u64) -> Roster {
        Roster {
            version,
            issued_at,
            operations: self.roster_operations(),
        }
    }

    /// Whether `roster` names exactly the readers and participants this policy does.
    /// `Err` lists each operation or channel that differs, for the operator.
    pub fn check_roster(&self, roster: &Roster) -> Result<(), Vec<String>> {
        let mine = self.roster_operations();
        let mut diffs = Vec::new();
        for op in &mine {
            match roster.operations.iter().find(|o| o.name == op.name) {
                None => diffs.push(format!("operation {} is not in the roster", op.name)),
                Some(theirs) => {
                    if theirs.participants != op.participants {
                        diffs.push(format!("operation {}: participants differ", op.name));
                    }
                    for c in &op.channels {
                        match theirs.channels.iter().find(|t| t.channel == c.channel) {
                            None => {
                                diffs.push(format!("channel {} is not in the roster", c.channel))
                            }
                            Some(t) if t.read != c.read => {
                                diffs.push(format!("channel {}: readers differ", c.channel))
                            }
                            Some(_) => {}
                        }
                    }
                    for t in &theirs.channels {
                        if !op.channels.iter().any(|c| c.channel == t.channel) {
                            diffs.push(format!("channel {} is in the roster only", t.channel));
                        }
                    }
                }
            }
        }
        for theirs in &roster.operations {
            if !mine.iter().any(|o| o.name == theirs.name) {
                diffs.push(format!("operation {} is in the roster only", theirs.name));
            }
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(diffs)
        }
    }
}
