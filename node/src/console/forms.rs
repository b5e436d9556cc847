//! The compose forms: the fields of each kind an officer writes, how each is typed,
//! checked as typed (the same rules as the command line, from `cordon_common::msg`) and
//! turned into the JSON body of a [`SendRequest`]. Every error names its form field and
//! is said in the officer's language; all errors are found at once.

use cordon_common::msg::{ContainerNumber, HsCode, ImoNumber, Locode as UnLocode, Rule, Timestamp};
use fluent_bundle::FluentValue;
use serde_json::{Map, Value};

use super::http::Form;
use super::i18n::Tr;

/// How a field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Short,
    /// Several lines.
    Text,
    /// One ISO 6346 container number.
    Container,
    /// Container numbers, one per line (or separated by commas).
    Containers,
    /// One UN/LOCODE.
    Locode,
    /// UN/LOCODEs in order.
    Route,
    /// A Harmonized System code.
    Hs,
    /// An IMO ship number.
    Imo,
    /// An ISO 3166 alpha-2 country.
    Country,
    /// One of a code list (its name, its values).
    Choice(&'static str, &'static [&'static str]),
    /// Several of a code list.
    Choices(&'static str, &'static [&'static str]),
    /// A date, or a date and time (UTC).
    DateTime,
    /// A number greater than zero.
    Quantity,
    /// Information grade 1–6.
    Grade,
    /// Yes or no.
    Flag,
    /// A message id (filled from the message answered).
    Reference,
    /// Lines of short text.
    Lines,
}

/// One field of a form: its name in the form is its path in the body (`commodity.hs_code`).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Dotted path in the body.
    pub name: &'static str,
    /// How it is typed.
    pub input: Input,
    /// Whether it must be filled.
    pub required: bool,
}

const fn f(name: &'static str, input: Input, required: bool) -> Field {
    Field {
        name,
        input,
        required,
    }
}

const ACTIONS: &[&str] = &[
    "monitor",
    "inspect",
    "hold",
    "controlled-delivery",
    "report-back",
    "information-only",
];
const SOURCES: &[&str] = &["A", "B", "C", "D", "E", "F"];
const MODES: &[&str] = &["sea", "air", "road", "rail", "postal", "other"];
const OUTCOMES: &[&str] = &[
    "inspected",
    "nothing-found",
    "seized",
    "not-arrived",
    "released",
    "monitored",
    "not-actioned",
];
const EVENTS: &[&str] = &[
    "gate-in",
    "loaded",
    "departed",
    "transhipped",
    "arrived",
    "discharged",
    "gate-out",
    "inspected",
    "seized",
    "released",
    "not-found",
];
const PHASES: &[&str] = &["planning", "interdiction", "follow-up", "reporting"];

/// The kinds an officer writes, in menu order.
pub const KINDS: &[&str] = &[
    "alert",
    "tracking-request",
    "tracking-update",
    "seizure",
    "feedback",
    "tasking",
    "notice",
];

const ALERT_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("title", Short, true),
        f("summary", Text, true),
        f("action", Choice("action", ACTIONS), true),
        f("containers", Containers, false),
        f("conveyance.mode", Choice("mode", MODES), false),
        f("conveyance.vessel_name", Short, false),
        f("conveyance.imo", Imo, false),
        f("conveyance.voyage", Short, false),
        f("route", Route, false),
        f("bill_of_lading", Short, false),
        f("commodity.description", Text, false),
        f("commodity.hs_code", Hs, false),
        f("parties.shipper.name", Short, false),
        f("parties.shipper.country", Country, false),
        f("parties.consignee.name", Short, false),
        f("parties.consignee.country", Country, false),
        f("risk_indicators", Lines, false),
        f("grading.source", Choice("source", SOURCES), true),
        f("grading.information", Grade, true),
        f("free_text", Text, false),
    ]
};

const FEEDBACK_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("alert_id", Reference, true),
        f("outcome", Choice("outcome", OUTCOMES), true),
        f("details", Text, true),
        f("seizure_id", Reference, false),
    ]
};

const SEIZURE_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("alert_id", Reference, false),
        f("seized_at", DateTime, true),
        f("place", Locode, true),
        f("place_detail", Short, false),
        f("goods.description", Text, true),
        f("goods.hs_code", Hs, false),
        f("goods.quantity", Quantity, true),
        f("goods.unit", Short, true),
        f("concealment", Text, false),
        f("containers", Containers, false),
        f("conveyance.mode", Choice("mode", MODES), false),
        f("conveyance.vessel_name", Short, false),
        f("conveyance.imo", Imo, false),
        f("route", Route, false),
        f("grading.source", Choice("source", SOURCES), true),
        f("grading.information", Grade, true),
        f("free_text", Text, false),
    ]
};

const TRACKING_REQUEST_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("containers", Containers, true),
        f("bill_of_lading", Short, false),
        f("booking", Short, false),
        f("vessel", Imo, false),
        f("voyage", Short, false),
        f("route", Route, false),
        f("until", DateTime, true),
        f("report", Choices("event", EVENTS), false),
        f("remarks", Text, false),
    ]
};

const TRACKING_UPDATE_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("request_id", Reference, true),
        f("container", Container, true),
        f("event", Choice("event", EVENTS), true),
        f("place", Locode, true),
        f("at", DateTime, true),
        f("vessel", Imo, false),
        f("remarks", Text, false),
    ]
};

const TASKING_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("title", Short, true),
        f("instructions", Text, true),
        f("due_by", DateTime, false),
        f("ack_required", Flag, false),
    ]
};

const NOTICE_FIELDS: &[Field] = {
    use Input::*;
    &[
        f("title", Short, true),
        f("text", Text, true),
        f("phase", Choice("phase", PHASES), false),
    ]
};

/// The fields of `kind`'s form (empty for a kind officers do not write).
pub fn fields(kind: &str) -> &'static [Field] {
    match kind {
        "alert" => ALERT_FIELDS,
        "feedback" => FEEDBACK_FIELDS,
        "seizure" => SEIZURE_FIELDS,
        "tracking-request" => TRACKING_REQUEST_FIELDS,
        "tracking-update" => TRACKING_UPDATE_FIELDS,
        "tasking" => TASKING_FIELDS,
        "notice" => NOTICE_FIELDS,
        _ => &[],
    }
}

/// Whether `kind` carries attachments.
pub fn has_attachments(kind: &str) -> bool {
    matches!(
        kind,
        "alert" | "feedback" | "seizure" | "tasking" | "notice"
    )
}

/// The field a reply pre-fills with the id of the message answered.
pub fn reference_field(kind: &str) -> Option<&'static str> {
    match kind {
        "feedback" | "seizure" => Some("alert_id"),
        "tracking-update" => Some("request_id"),
        _ => None,
    }
}

/// An error beside a field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The form field (`containers`, or `form` for the whole form).
    pub field: String,
    /// What is wrong, in the officer's language.
    pub message: String,
}

fn split_list(s: &str) -> Vec<&str> {
    s.split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The message for a broken rule, in the officer's language.
pub fn rule_message(tr: &Tr<'_>, rule: &Rule) -> String {
    match rule {
        Rule::Empty | Rule::EmptyList => tr.t("rule-required"),
        Rule::TooLong { max } => tr.ta("rule-too-long", &[("max", FluentValue::from(*max))]),
        Rule::TooMany { max } => tr.ta("rule-too-many", &[("max", FluentValue::from(*max))]),
        Rule::Duplicate => tr.t("rule-duplicate"),
        Rule::ControlCharacter { .. } => tr.t("rule-control"),
        Rule::ContainerFormat(_) => tr.t("rule-container-format"),
        Rule::ContainerCheckDigit { expected, .. } => tr.ta(
            "rule-container-check",
            &[("expected", FluentValue::from(*expected))],
        ),
        Rule::ImoFormat => tr.t("rule-imo-format"),
        Rule::ImoCheckDigit { expected, .. } => tr.ta(
            "rule-imo-check",
            &[("expected", FluentValue::from(*expected))],
        ),
        Rule::LocodeFormat => tr.t("rule-locode"),
        Rule::HsCodeFormat => tr.t("rule-hs"),
        Rule::CountryCode => tr.t("rule-country"),
        Rule::Quantity => tr.t("rule-quantity"),
        Rule::GradingOutOfRange { .. } => tr.t("rule-grade"),
        Rule::AttachmentsTooLarge { max, .. } => {
            tr.ta("rule-attachments-size", &[("max", FluentValue::from(*max))])
        }
        other => tr.ta(
            "rule-other",
            &[("detail", FluentValue::from(other.to_string()))],
        ),
    }
}

/// A date (`2026-12-31`, that day at 00:00 UTC), a date and time from a browser's
/// picker (`2026-12-31T14:30`, UTC) or RFC 3339, as RFC 3339.
pub fn parse_datetime(s: &str) -> Option<String> {
    let s = s.trim();
    let candidate = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else if s.len() == 16 && s.as_bytes().get(10) == Some(&b'T') {
        format!("{s}:00Z")
    } else if s.len() == 19 && s.as_bytes().get(10) == Some(&b'T') {
        format!("{s}Z")
    } else {
        s.to_owned()
    };
    let ts: Timestamp = candidate.parse().ok()?;
    ts.to_rfc3339()
}

/// Checks one field's value and gives its JSON; `Ok(None)` when blank.
fn field_value(tr: &Tr<'_>, field: &Field, form: &Form) -> Result<Option<Value>, String> {
    use Input::*;
    let raw = form.get(field.name);
    let multi = matches!(field.input, Choices(..));
    if raw.is_none() && !multi {
        return if field.required {
            Err(tr.t("rule-required"))
        } else {
            Ok(None)
        };
    }
    let v = raw.unwrap_or_default();
    let rule = |r: Rule| rule_message(tr, &r);
    Ok(Some(match field.input {
        Short | Text => Value::String(v.to_owned()),
        Container => Value::String(ContainerNumber::new(v).map_err(rule)?.to_string()),
        Containers => {
            let mut out = vec![];
            let mut errors = vec![];
            for c in split_list(v) {
                match ContainerNumber::new(c) {
                    Ok(n) => out.push(Value::String(n.to_string())),
                    Err(r) => errors.push(format!("{c}: {}", rule(r))),
                }
            }
            if !errors.is_empty() {
                return Err(errors.join("; "));
            }
            Value::Array(out)
        }
        Locode => Value::String(
            UnLocode::new(&v.replace(' ', "").to_uppercase())
                .map_err(rule)?
                .to_string(),
        ),
        Route => {
            let mut out = vec![];
            for c in split_list(v) {
                let code = UnLocode::new(&c.replace(' ', "").to_uppercase())
                    .map_err(|r| format!("{c}: {}", rule(r)))?;
                out.push(Value::String(code.to_string()));
            }
            Value::Array(out)
        }
        Hs => Value::String(HsCode::new(&v.replace(' ', "")).map_err(rule)?.to_string()),
        Imo => Value::String(
            ImoNumber::new(&v.replace(' ', "").to_uppercase())
                .map_err(rule)?
                .to_string(),
        ),
        Country => {
            let c = v.to_uppercase();
            cordon_common::msg::check_country(&c).map_err(rule)?;
            Value::String(c)
        }
        Choice(list, values) => {
            if !values.contains(&v) {
                return Err(tr.t("rule-choice"));
            }
            let _ = list;
            Value::String(v.to_owned())
        }
        Choices(_, values) => {
            let picked = form.all(field.name);
            if picked.iter().any(|p| !values.contains(p)) {
                return Err(tr.t("rule-choice"));
            }
            if picked.is_empty() {
                return Ok(None);
            }
            Value::Array(
                picked
                    .into_iter()
                    .map(|p| Value::String(p.into()))
                    .collect(),
            )
        }
        DateTime => Value::String(parse_datetime(v).ok_or_else(|| tr.t("rule-date"))?),
        Quantity => {
            let q: f64 = v
                .replace(',', ".")
                .parse()
                .map_err(|_| tr.t("rule-quantity"))?;
            cordon_common::msg::check_quantity(q).map_err(rule)?;
            serde_json::Number::from_f64(q)
                .map(Value::Number)
                .ok_or_else(|| tr.t("rule-quantity"))?
        }
        Grade => {
            let g: i64 = v.parse().map_err(|_| tr.t("rule-grade"))?;
            if !(1..=6).contains(&g) {
                return Err(tr.t("rule-grade"));
            }
            Value::from(g)
        }
        Flag => Value::Bool(matches!(v, "on" | "true" | "1" | "yes")),
        Reference => {
            let id: uuid::Uuid = v.parse().map_err(|_| tr.t("rule-reference"))?;
            Value::String(id.to_string())
        }
        Lines => Value::Array(
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| Value::String(l.into()))
                .collect(),
        ),
    }))
}

fn insert_path(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut map = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            map.insert(part.to_owned(), value);
            return;
        }
        let entry = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        map = next;
    }
}

/// The body of `kind` from `form`, or every field error at once.
pub fn body(tr: &Tr<'_>, kind: &str, form: &Form) -> Result<Value, Vec<FieldError>> {
    let mut body = Map::new();
    let mut errors = vec![];
    for field in fields(kind) {
        match field_value(tr, field, form) {
            Ok(Some(v)) => insert_path(&mut body, field.name, v),
            Ok(None) => {}
            Err(message) => errors.push(FieldError {
                field: field.name.to_owned(),
                message,
            }),
        }
    }
    // A seizure's goods are a list of one entry in this form.
    if let Some(Value::Object(goods)) = body.remove("goods") {
        let mut g = Map::new();
        let mut commodity = Map::new();
        for (k, v) in goods {
            match k.as_str() {
                "description" | "hs_code" => {
                    commodity.insert(k, v);
                }
                _ => {
                    g.insert(k, v);
                }
            }
        }
        g.insert("commodity".into(), Value::Object(commodity));
        body.insert("goods".into(), Value::Array(vec![Value::Object(g)]));
    }
    // A conveyance needs its mode; parties need their name.
    if let Some(Value::Object(c)) = body.get("conveyance") {
        if !c.contains_key("mode") {
            errors.push(FieldError {
                field: "conveyance.mode".into(),
                message: tr.t("rule-mode-needed"),
            });
        }
    }
    if let Some(Value::Object(parties)) = body.get("parties") {
        for (role, p) in parties {
            if p.get("name").is_none() {
                errors.push(FieldError {
                    field: format!("parties.{role}.name"),
                    message: tr.t("rule-required"),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(body))
    } else {
        Err(errors)
    }
}

/// The form field a service error's path names (`body.containers[1]` → `containers`).
pub fn form_field_of(path: &str) -> String {
    let p = path.strip_prefix("body.").unwrap_or(path);
    let mut out = String::new();
    let mut depth = 0;
    for c in p.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace("goods.commodity.", "goods.")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::console::i18n::{Catalog, Lang};

    fn form(s: &str) -> Form {
        Form::parse(s, 100).unwrap()
    }

    #[test]
    fn an_alert_form_becomes_a_body_and_containers_are_normalised() {
        let catalog = Catalog::load().unwrap();
        let tr = Tr::new(&catalog, Lang::En);
        let b = body(
            &tr,
            "alert",
            &form("title=T&summary=S&action=inspect&containers=msku+123456+5%0ACSQU3054383&grading.source=B&grading.information=2&conveyance.mode=sea&conveyance.vessel_name=Ever"),
        )
        .unwrap();
        assert_eq!(b["containers"][0], "MSKU1234565");
        assert_eq!(b["containers"][1], "CSQU3054383");
        assert_eq!(b["grading"]["information"], 2);
        assert_eq!(b["conveyance"]["vessel_name"], "Ever");
    }

    #[test]
    fn every_error_is_found_at_once_and_named_by_field() {
        let catalog = Catalog::load().unwrap();
        let tr = Tr::new(&catalog, Lang::En);
        let errs = body(
            &tr,
            "alert",
            &form("summary=S&action=nope&containers=MSKU1234566&grading.information=9"),
        )
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "action",
                "containers",
                "grading.source",
                "grading.information"
            ]
        );
        let c = &errs[2].message;
        assert!(c.contains('5'), "the expected check digit is named: {c}");
        let fr = Tr::new(&catalog, Lang::Fr);
        let errs_fr = body(&fr, "alert", &form("containers=MSKU1234566")).unwrap_err();
        assert_ne!(errs_fr[0].message, errs[0].message, "said in French");
    }

    #[test]
    fn dates_and_seizure_goods() {
        assert_eq!(
            parse_datetime("2026-12-31").as_deref(),
            Some("2026-12-31T00:00:00Z")
        );
        assert_eq!(
            parse_datetime("2026-12-31T14:30").as_deref(),
            Some("2026-12-31T14:30:00Z")
        );
        assert!(parse_datetime("31/12/2026").is_none());
        let catalog = Catalog::load().unwrap();
        let tr = Tr::new(&catalog, Lang::En);
        let b = body(
            &tr,
            "seizure",
            &form("seized_at=2026-12-01&place=beanr&goods.description=Cocaine&goods.quantity=12,5&goods.unit=kg&goods.hs_code=1211.90&grading.source=A&grading.information=1"),
        );
        let b = b.unwrap();
        assert_eq!(b["place"], "BEANR");
        assert_eq!(b["goods"][0]["commodity"]["description"], "Cocaine");
        assert_eq!(b["goods"][0]["quantity"], 12.5);
    }

    #[test]
    fn service_paths_map_to_form_fields() {
        assert_eq!(form_field_of("body.containers[1]"), "containers");
        assert_eq!(
            form_field_of("body.grading.information"),
            "grading.information"
        );
        assert_eq!(
            form_field_of("body.goods[0].commodity.hs_code"),
            "goods.hs_code"
        );
        assert_eq!(form_field_of("tlp"), "tlp");
    }
}
