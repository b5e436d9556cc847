//! Which roles may send which kinds: the one rule that both the hub's policy loader and
//! every recipient apply, so that a policy can never grant what recipients refuse.

use crate::ids::Role;

use super::MessageKind;

/// The roles that may send `kind`, or `None` when every role may.
///
/// A recipient refuses a message of a restricted kind signed by any other role
/// (`forbidden-sender`), whatever the hub let through; the hub refuses a policy that
/// grants such a kind to a selector that could match another role.
pub fn allowed_sender_roles(kind: MessageKind) -> Option<&'static [Role]> {
    match kind {
        MessageKind::Notice => Some(&[Role::Ocu]),
        MessageKind::Tasking => Some(&[Role::Ocu, Role::Rilo]),
        _ => None,
    }
}

/// A message of a kind its signer's role may not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} may only be sent by role {}, but {sender} has role {}", roles_text(.allowed), .role.as_str())]
pub struct ForbiddenSender {
    /// The kind.
    pub kind: MessageKind,
    /// The roles that may send it.
    pub allowed: &'static [Role],
    /// Who sent it (a node id, or a description such as "its signer HU-NCP").
    pub sender: String,
    /// The sender's role.
    pub role: Role,
}

/// Whether `role` may send `kind`; `sender` names the sender in the error.
pub fn check_sender_role(
    kind: MessageKind,
    role: Role,
    sender: impl FnOnce() -> String,
) -> Result<(), ForbiddenSender> {
    match allowed_sender_roles(kind) {
        Some(allowed) if !allowed.contains(&role) => Err(ForbiddenSender {
            kind,
            allowed,
            sender: sender(),
            role,
        }),
        _ => Ok(()),
    }
}

/// `ocu`, `ocu or rilo`.
pub fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_notice_and_tasking_are_restricted() {
        for kind in MessageKind::ALL {
            let open = !matches!(kind, MessageKind::Notice | MessageKind::Tasking);
            assert_eq!(allowed_sender_roles(kind).is_none(), open, "{kind}");
        }
        let e =
            check_sender_role(MessageKind::Tasking, Role::Member, || "HU-NCP".into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a tasking may only be sent by role ocu or rilo, but HU-NCP has role member"
        );
        assert!(check_sender_role(MessageKind::Notice, Role::Ocu, String::new).is_ok());
    }
}
