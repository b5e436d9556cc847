//! Whether this node may publish a message, by the grants the hub sent in its last
//! `Welcome`: checked when an officer sends, so that a message the hub would deny is
//! refused at once, with what the node may do instead, rather than queued to fail.

use cordon_common::ids::{ChannelName, OperationName};
use cordon_common::msg::MessageKind;
use cordon_common::wire::{DirectGrant, Grant};

/// The grants of one session.
#[derive(Debug, Clone, Copy)]
pub struct Grants<'a> {
    /// Operation channels.
    pub channels: &'a [Grant],
    /// Direct messages, per operation.
    pub direct: &'a [DirectGrant],
}

impl Grants<'_> {
    /// Whether `kind` may go to `to` (one operation channel, or direct channels in
    /// `operation`); when not, why, with what this node may publish.
    pub fn check(
        &self,
        kind: MessageKind,
        to: &[ChannelName],
        operation: &OperationName,
    ) -> Result<(), String> {
        let allowed = match to {
            [one] if one.direct_node().is_none() => self
                .channels
                .iter()
                .any(|g| g.channel == *one && g.publish.contains(&kind)),
            _ => self
                .direct
                .iter()
                .any(|d| d.operation == *operation && d.kinds.contains(&kind)),
        };
        if allowed {
            return Ok(());
        }
        let target = match to {
            [one] if one.direct_node().is_none() => one.to_string(),
            _ => format!("named participants of {operation}"),
        };
        Err(format!(
            "this node may not send a {kind} to {target}; the hub grants it: {}",
            self.describe()
        ))
    }

    /// What this node may publish, for people: `op/cosmo-2/alerts: alert, feedback;
    /// direct in cosmo-2: tasking`, or `nothing`.
    pub fn describe(&self) -> String {
        let kinds = |k: &[MessageKind]| k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
        let mut parts: Vec<String> = self
            .channels
            .iter()
            .filter(|g| !g.publish.is_empty())
            .map(|g| format!("{}: {}", g.channel, kinds(&g.publish)))
            .collect();
        parts.extend(
            self.direct
                .iter()
                .filter(|d| !d.kinds.is_empty())
                .map(|d| format!("direct in {}: {}", d.operation, kinds(&d.kinds))),
        );
        if parts.is_empty() {
            "nothing".into()
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn grants() -> (Vec<Grant>, Vec<DirectGrant>) {
        (
            vec![
                Grant {
                    channel: "op/cosmo-2/alerts".parse().unwrap(),
                    read: true,
                    publish: vec![MessageKind::Alert, MessageKind::Feedback],
                },
                Grant {
                    channel: "op/cosmo-2/notices".parse().unwrap(),
                    read: true,
                    publish: vec![],
                },
            ],
            vec![DirectGrant {
                operation: "cosmo-2".parse().unwrap(),
                kinds: vec![MessageKind::Feedback],
            }],
        )
    }

    #[test]
    fn what_is_granted_passes_and_the_rest_is_refused_with_the_grants() {
        let (channels, direct) = grants();
        let g = Grants {
            channels: &channels,
            direct: &direct,
        };
        let op: OperationName = "cosmo-2".parse().unwrap();
        let alerts: ChannelName = "op/cosmo-2/alerts".parse().unwrap();
        let notices: ChannelName = "op/cosmo-2/notices".parse().unwrap();
        let hu: ChannelName = "node/HU-NCP".parse().unwrap();
        assert_eq!(
            g.check(MessageKind::Alert, std::slice::from_ref(&alerts), &op),
            Ok(())
        );
        assert_eq!(
            g.check(MessageKind::Feedback, std::slice::from_ref(&hu), &op),
            Ok(())
        );
        assert_eq!(
            g.check(MessageKind::Notice, &[notices], &op).unwrap_err(),
            "this node may not send a notice to op/cosmo-2/notices; the hub grants it: \
             op/cosmo-2/alerts: alert, feedback; direct in cosmo-2: feedback"
        );
        assert_eq!(
            g.check(MessageKind::Tasking, &[hu], &op).unwrap_err(),
            "this node may not send a tasking to named participants of cosmo-2; the hub \
             grants it: op/cosmo-2/alerts: alert, feedback; direct in cosmo-2: feedback"
        );
        let other: OperationName = "cosmo-3".parse().unwrap();
        assert!(g
            .check(
                MessageKind::Feedback,
                &["node/HU-NCP".parse().unwrap()],
                &other
            )
            .is_err());
        let none = Grants {
            channels: &[],
            direct: &[],
        };
        assert!(none
            .check(MessageKind::Alert, &[alerts], &op)
            .unwrap_err()
            .ends_with("grants it: nothing"));
    }
}
