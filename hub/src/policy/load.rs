//! From policy text to validated operations: TOML syntax, then the schema, then every
//! value and rule, each failure located in the file.

use std::ops::Range;

use cordon_common::ids::{ChannelName, NodeId, OperationName, Role};
use cordon_common::msg::{allowed_sender_roles, MessageKind};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use toml::Spanned;

use super::error::{Location, PolicyError};
use super::model::{Channel, OperationInfo, Phase, Rule, Selector};
use super::raw::{RawChannel, RawOperation, RawPolicy, RawRule, RawSelector};

/// Parses and validates policy text; `origin` names it in errors.
pub(super) fn operations(text: &str, origin: &str) -> Result<Vec<OperationInfo>, PolicyError> {
    let file = File { origin, text };
    // Syntax first, so that a TOML mistake is reported as such and not as a schema error.
    if let Err(e) = toml::from_str::<toml::Table>(text) {
        return Err(PolicyError::Syntax {
            at: file.at_error(&e),
            message: file.with_source_line(&e),
        });
    }
    let raw: RawPolicy = toml::from_str(text).map_err(|e| file.schema_error(&e))?;
    let mut out: Vec<(OperationInfo, usize)> = Vec::with_capacity(raw.operation.len());
    for op in &raw.operation {
        let built = file.operation(op.get_ref())?;
        let line = file.at(op.get_ref().name.span()).line;
        if let Some((_, first_line)) = out.iter().find(|(o, _)| o.name == built.name) {
            return Err(PolicyError::DuplicateOperation {
                at: file.at(op.get_ref().name.span()),
                name: built.name.to_string(),
                first_line: *first_line,
            });
        }
        out.push((built, line));
    }
    Ok(out.into_iter().map(|(o, _)| o).collect())
}

/// The text being loaded and its name, to turn byte spans into locations.
struct File<'a> {
    origin: &'a str,
    text: &'a str,
}

impl File<'_> {
    fn at(&self, span: Range<usize>) -> Location {
        Location::of_offset(self.origin, self.text, span.start)
    }

    fn at_error(&self, e: &toml::de::Error) -> Location {
        self.at(e.span().unwrap_or(0..0))
    }

    fn schema_error(&self, e: &toml::de::Error) -> PolicyError {
        let at = self.at_error(e);
        let message = e.message().trim();
        // serde's `deny_unknown_fields` words its error "unknown field `x`, expected ...".
        if message.starts_with("unknown field") {
            PolicyError::UnknownKey {
                at,
                message: message.to_owned(),
            }
        } else {
            PolicyError::Schema {
                at,
                message: self.with_source_line(e),
            }
        }
    }

    /// The parser's words followed by the line they are about, which they do not quote:
    /// "invalid type: ..., expected u32, in `retention_days = "a year"`".
    fn with_source_line(&self, e: &toml::de::Error) -> String {
        const MAX: usize = 80;
        let message = e.message().trim();
        let start = e.span().map_or(0, |s| s.start).min(self.text.len());
        let before = self.text.get(..start).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = self.text.get(line_start..).unwrap_or("");
        let line = line.lines().next().unwrap_or("").trim();
        if line.is_empty() {
            return message.to_owned();
        }
        let shown: String = line.chars().take(MAX).collect();
        let more = if line.chars().count() > MAX {
            "..."
        } else {
            ""
        };
        format!("{message}, in `{shown}{more}`")
    }

    fn operation(&self, raw: &RawOperation) -> Result<OperationInfo, PolicyError> {
        let name: OperationName =
            raw.name
                .get_ref()
                .parse()
                .map_err(|_| PolicyError::InvalidOperationName {
                    at: self.at(raw.name.span()),
                    value: raw.name.get_ref().clone(),
                })?;
        let phase =
            Phase::from_name(raw.phase.get_ref()).ok_or_else(|| PolicyError::UnknownPhase {
                at: self.at(raw.phase.span()),
                value: raw.phase.get_ref().clone(),
            })?;
        let (ends_ms, ends_text) = self.time(&raw.ends)?;
        let participants = self.selector(&raw.participants)?;
        if let Some(p) = raw.participants.get_ref().participants.as_ref() {
            if *p.get_ref() {
                return Err(PolicyError::SelfReferentialParticipants {
                    at: self.at(p.span()),
                    operation: name.to_string(),
                });
            }
        }
        let mut channels: Vec<(Channel, usize)> = Vec::with_capacity(raw.channel.len());
        for ch in &raw.channel {
            let built = self.channel(&name, ch.get_ref())?;
            let at = self.at(ch.get_ref().name.span());
            if let Some((_, first_line)) = channels.iter().find(|(c, _)| c.name == built.name) {
                return Err(PolicyError::DuplicateChannel {
                    at,
                    operation: name.to_string(),
                    name: built.short_name().to_owned(),
                    first_line: *first_line,
                });
            }
            channels.push((built, at.line));
        }
        let direct = raw
            .direct
            .iter()
            .map(|r| self.rule(&name, "direct messages", r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OperationInfo {
            name,
            title: raw.title.clone(),
            phase,
            ends_ms,
            ends_text,
            retention_days: raw.retention_days,
            participants,
            channels: channels.into_iter().map(|(c, _)| c).collect(),
            direct,
        })
    }

    fn channel(&self, op: &OperationName, raw: &RawChannel) -> Result<Channel, PolicyError> {
        let name = ChannelName::operation(op, raw.name.get_ref()).map_err(|_| {
            PolicyError::InvalidChannelName {
                at: self.at(raw.name.span()),
                value: raw.name.get_ref().clone(),
            }
        })?;
        let read = raw.read.as_ref().map(|s| self.selector(s)).transpose()?;
        let place = format!("channel {}", raw.name.get_ref());
        let publish = raw
            .publish
            .iter()
            .map(|r| self.rule(op, &place, r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Channel {
            name,
            read,
            publish,
        })
    }

    fn rule(
        &self,
        op: &OperationName,
        place: &str,
        raw: &Spanned<RawRule>,
    ) -> Result<Rule, PolicyError> {
        let raw_rule = raw.get_ref();
        let by = self.selector(&raw_rule.by)?;
        if raw_rule.kinds.get_ref().is_empty() {
            return Err(PolicyError::EmptyKinds {
                at: self.at(raw_rule.kinds.span()),
            });
        }
        let mut kinds = Vec::with_capacity(raw_rule.kinds.get_ref().len());
        for k in raw_rule.kinds.get_ref() {
            let at = || self.at(k.span());
            let kind: MessageKind = k.get_ref().parse().map_err(|_| PolicyError::UnknownKind {
                at: at(),
                value: k.get_ref().clone(),
                expected: MessageKind::NAMES.join(", "),
            })?;
            if kind == MessageKind::Receipt {
                return Err(PolicyError::ReceiptGranted {
                    at: at(),
                    operation: op.to_string(),
                    place: place.to_owned(),
                });
            }
            // Recipients refuse this kind from any other role (`forbidden-sender`): a
            // grant that could reach another role would be stored and never delivered.
            if let Some(roles) = allowed_sender_roles(kind) {
                if !by.matches_only_roles(roles) {
                    return Err(PolicyError::SenderRoleNotCertain {
                        at: at(),
                        operation: op.to_string(),
                        place: place.to_owned(),
                        kind,
                        roles,
                    });
                }
            }
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(Rule { kinds, by })
    }

    fn selector(&self, raw: &Spanned<RawSelector>) -> Result<Selector, PolicyError> {
        let r = raw.get_ref();
        let mut sel = Selector::default();
        for n in &r.nodes {
            let id: NodeId = n
                .get_ref()
                .parse()
                .map_err(|_| PolicyError::InvalidNodeId {
                    at: self.at(n.span()),
                    value: n.get_ref().clone(),
                })?;
            sel.nodes.push(id);
        }
        for role in &r.roles {
            // Exactly as written in certificates and this format: lower case.
            let parsed = Role::ALL.into_iter().find(|x| x.as_str() == role.get_ref());
            let parsed = parsed.ok_or_else(|| PolicyError::UnknownRole {
                at: self.at(role.span()),
                value: role.get_ref().clone(),
            })?;
            sel.roles.push(parsed);
        }
        for c in &r.countries {
            let v = c.get_ref();
            if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(PolicyError::InvalidCountry {
                    at: self.at(c.span()),
                    value: v.clone(),
                });
            }
            sel.countries.push(v.clone());
        }
        sel.participants = r.participants.as_ref().is_some_and(|p| *p.get_ref());
        if sel.is_empty() {
            return Err(PolicyError::EmptySelector {
                at: self.at(raw.span()),
            });
        }
        Ok(sel)
    }

    /// An RFC 3339 time as ms since the epoch, and normalised to UTC for display.
    fn time(&self, raw: &Spanned<String>) -> Result<(u64, String), PolicyError> {
        let invalid = |reason: String| PolicyError::InvalidTime {
            at: self.at(raw.span()),
            value: raw.get_ref().clone(),
            reason,
        };
        let t = OffsetDateTime::parse(raw.get_ref(), &Rfc3339)
            .map_err(|e| invalid(e.to_string()))?
            .to_offset(UtcOffset::UTC);
        let ms = u64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| invalid("it is before 1970".to_owned()))?;
        let text = t
            .format(&Rfc3339)
            .map_err(|e| invalid(format!("cannot be shown in UTC: {e}")))?;
        Ok((ms, text))
    }
}
