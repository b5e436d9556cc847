//! Every flag of `send` checked on its own before anything is sent, so that an officer
//! sees all the values to correct at once, each named by its flag
//! (`--container CSQU3054384: ISO 6346 check digit is 4, expected 3`); and the fields the
//! daemon names (`body.containers[1]`) translated back to flags.

use cordon_common::ids::{ChannelName, MessageId, OperationName};
use cordon_common::msg::{
    check_quantity, ActionRequested, ContainerNumber, FeedbackOutcome, HsCode, ImoNumber,
    InfoGrade, Locode, Phase, Priority, SourceGrade, Timestamp, Tlp, TrackingEvent,
};

use super::{HeaderArgs, SendKind};

/// The problems found so far, one line each.
#[derive(Debug, Default)]
struct Found(Vec<String>);

impl Found {
    /// Check each of `values` of `flag` with `parse`.
    fn each<'a, T, E: std::fmt::Display>(
        &mut self,
        flag: &str,
        values: impl IntoIterator<Item = &'a String>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) {
        for v in values {
            if let Err(e) = parse(v) {
                self.0.push(format!("--{flag} {v}: {e}"));
            }
        }
    }
}

fn id(s: &str) -> Result<MessageId, String> {
    s.trim()
        .parse()
        .map_err(|_| "not a message id (UUID)".to_owned())
}

fn header(f: &mut Found, h: &HeaderArgs) {
    f.each("to", &h.to, |s| s.parse::<ChannelName>());
    f.each("operation", &h.operation, |s| s.parse::<OperationName>());
    f.each("priority", &h.priority, |s| s.parse::<Priority>());
    f.each("tlp", &h.tlp, |s| s.parse::<Tlp>());
    f.each("expires-at", &h.expires_at, Timestamp::parse_deadline);
    f.each("reply-to", &h.reply_to, id);
    f.each("in-reply-to", &h.in_reply_to, id);
}

fn grades(f: &mut Found, source: &Option<String>, info: Option<i64>) {
    f.each("source-grade", source, |s| s.parse::<SourceGrade>());
    if let Some(i) = info {
        if let Err(e) = InfoGrade::from_value(i) {
            f.0.push(format!("--info-grade {i}: {e}"));
        }
    }
}

/// Every flag value of `kind` that breaks its field's rule, one line each.
pub fn check_flags(kind: &SendKind) -> Vec<String> {
    let mut f = Found::default();
    let container = |s: &str| ContainerNumber::new(s);
    let locode = |s: &str| Locode::new(s);
    match kind {
        SendKind::Alert {
            header: h,
            action,
            container: c,
            route,
            hs_code,
            grading,
            ..
        } => {
            header(&mut f, h);
            f.each("action", action, |s| s.parse::<ActionRequested>());
            f.each("container", c, container);
            f.each("route", route, locode);
            f.each("hs-code", hs_code, HsCode::new);
            grades(&mut f, &grading.source_grade, grading.info_grade);
        }
        SendKind::Feedback {
            header: h,
            alert_id,
            outcome,
            seizure_id,
            ..
        } => {
            header(&mut f, h);
            f.each("alert-id", alert_id, id);
            f.each("outcome", outcome, |s| s.parse::<FeedbackOutcome>());
            f.each("seizure-id", seizure_id, id);
        }
        SendKind::Seizure {
            header: h,
            alert_id,
            seized_at,
            place,
            hs_code,
            quantity,
            container: c,
            grading,
            ..
        } => {
            header(&mut f, h);
            f.each("alert-id", alert_id, id);
            f.each("seized-at", seized_at, |s| s.parse::<Timestamp>());
            f.each("place", place, locode);
            f.each("hs-code", hs_code, HsCode::new);
            if let Some(q) = quantity {
                if let Err(e) = check_quantity(*q) {
                    f.0.push(format!("--quantity {q}: {e}"));
                }
            }
            f.each("container", c, container);
            grades(&mut f, &grading.source_grade, grading.info_grade);
        }
        SendKind::TrackingRequest {
            header: h,
            container: c,
            until,
            vessel,
            route,
            report,
            ..
        } => {
            header(&mut f, h);
            f.each("container", c, container);
            f.each("until", until, Timestamp::parse_deadline);
            f.each("vessel", vessel, ImoNumber::new);
            f.each("route", route, locode);
            f.each("report", report, |s| s.parse::<TrackingEvent>());
        }
        SendKind::TrackingUpdate {
            header: h,
            request_id,
            container: c,
            event,
            place,
            at,
            vessel,
            ..
        } => {
            header(&mut f, h);
            f.each("request-id", request_id, id);
            f.each("container", c, container);
            f.each("event", event, |s| s.parse::<TrackingEvent>());
            f.each("place", place, locode);
            f.each("at", at, |s| s.parse::<Timestamp>());
            f.each("vessel", vessel, ImoNumber::new);
        }
        SendKind::Tasking {
            header: h, due_by, ..
        } => {
            header(&mut f, h);
            f.each("due-by", due_by, Timestamp::parse_deadline);
        }
        SendKind::Notice {
            header: h, phase, ..
        } => {
            header(&mut f, h);
            f.each("phase", phase, |s| s.parse::<Phase>());
        }
    }
    f.0
}

/// The flag that sets the field the daemon names (`body.containers[1]`,
/// `body.grading.source`, `expires_at`), if one does; `flags` are the command's flags.
pub fn flag_for(field: &str, flags: &[String]) -> Option<String> {
    let path: String = {
        let mut out = String::new();
        let mut skip = false;
        for c in field.strip_prefix("body.").unwrap_or(field).chars() {
            match c {
                '[' => skip = true,
                ']' => skip = false,
                c if !skip => out.push(c),
                _ => {}
            }
        }
        out
    };
    let flag = match path.as_str() {
        "containers" => "container",
        "risk_indicators" => "risk",
        "commodity.description" => "commodity",
        "commodity.hs_code" | "goods.commodity.hs_code" => "hs-code",
        "goods.commodity.description" | "goods" => "goods",
        "goods.quantity" => "quantity",
        "goods.unit" => "unit",
        "grading.source" | "grading" => "source-grade",
        "grading.information" => "info-grade",
        "attachments" => "attach",
        p if p.starts_with("attachments.") => "attach",
        p if !p.contains('.') => {
            return Some(format!("--{}", p.replace('_', "-")))
                .filter(|f| flags.iter().any(|x| x == f))
        }
        _ => return None,
    };
    Some(format!("--{flag}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn daemon_fields_map_to_flags() {
        let flags: Vec<String> = ["--title", "--container", "--expires-at", "--to"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (field, flag) in [
            ("body.containers[1]", Some("--container")),
            ("body.title", Some("--title")),
            ("expires_at", Some("--expires-at")),
            ("to[0]", Some("--to")),
            ("body.grading.information", Some("--info-grade")),
            ("body.goods[0].commodity.hs_code", Some("--hs-code")),
            ("body.attachments[0].name", Some("--attach")),
            ("body.parties.consignee.country", None),
            ("body.booking", None),
        ] {
            assert_eq!(flag_for(field, &flags).as_deref(), flag, "{field}");
        }
    }
}
