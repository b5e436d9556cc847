//! The validation walk: field paths, limits and the text rules shared by every message.

use std::cell::RefCell;
use std::fmt::Write as _;

use super::{Limits, Rule, ValidationError};

/// The result of validating one value.
pub(crate) type Outcome = Result<(), ValidationError>;

/// A value that can be validated at a field path.
pub(crate) trait Validate {
    /// Checks `self`, found at path `p`, returning the first broken rule.
    fn validate_at(&self, c: &Checker<'_>, p: &Path<'_>) -> Outcome;
}

/// One step of a field path.
#[derive(Debug, Clone, Copy)]
enum Segment {
    Root,
    Field(&'static str),
    Index(usize),
}

/// A field path, built on the stack while walking and rendered only on error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment,
}

impl<'a> Path<'a> {
    /// The path of the message itself.
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    /// The path of field `name` inside this one.
    pub(crate) fn field(&'a self, name: &'static str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Field(name),
        }
    }

    /// The path of list entry `index` inside this one.
    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    /// Renders as `goods[0].commodity.hs_code`.
    pub(crate) fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut current = Some(self);
        while let Some(p) = current {
            segments.push(p.segment);
            current = p.parent;
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Segment::Root => {}
                Segment::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Segment::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }

    /// An error for this path.
    pub(crate) fn error(&self, rule: Rule) -> ValidationError {
        ValidationError {
            field: self.render(),
            rule,
        }
    }
}

/// Walks a message with its limits, checking fields by kind. It stops at the first
/// broken rule, or, made by [`Checker::run_all`], notes each one and goes on with the
/// next field (a field's own checks still stop at its first broken rule).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checker<'l> {
    limits: &'l Limits,
    noted: Option<&'l RefCell<Vec<ValidationError>>>,
}

impl<'l> Checker<'l> {
    /// A checker applying `limits`.
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            noted: None,
        }
    }

    /// Validates a whole message.
    pub(crate) fn run<T: Validate>(limits: &'l Limits, message: &T) -> Outcome {
        message.validate_at(&Checker::new(limits), &Path::ROOT)
    }

    /// Validates a whole message; every field that breaks a rule, in field order.
    pub(crate) fn run_all<T: Validate>(limits: &Limits, message: &T) -> Vec<ValidationError> {
        let noted = RefCell::new(Vec::new());
        let c = Checker {
            limits,
            noted: Some(&noted),
        };
        let last = message.validate_at(&c, &Path::ROOT);
        let mut all = noted.into_inner();
        if let Err(e) = last {
            all.push(e);
        }
        all
    }

    /// In a [`Checker::run_all`] walk, note a broken rule and go on.
    fn keep(&self, outcome: Outcome) -> Outcome {
        match (outcome, self.noted) {
            (Err(e), Some(noted)) => {
                noted.borrow_mut().push(e);
                Ok(())
            }
            (outcome, _) => outcome,
        }
    }

    /// The limits in force.
    pub(crate) fn limits(&self) -> &Limits {
        self.limits
    }

    /// A required short field (title, name): non-empty, at most `max_short_len`.
    pub(crate) fn short(&self, p: &Path<'_>, name: &'static str, value: &str) -> Outcome {
        self.keep(self.short_at(&p.field(name), value))
    }

    /// An optional short field; when present it must be non-empty.
    pub(crate) fn opt_short(
        &self,
        p: &Path<'_>,
        name: &'static str,
        value: Option<&str>,
    ) -> Outcome {
        value.map_or(Ok(()), |v| self.short(p, name, v))
    }

    /// A required long text field: non-empty, at most `max_text_len`.
    pub(crate) fn text(&self, p: &Path<'_>, name: &'static str, value: &str) -> Outcome {
        let max = self.limits.max_text_len;
        self.keep(text_rule(value, max, true).map_err(|r| p.field(name).error(r)))
    }

    /// An optional long text field; when present it must be non-empty.
    pub(crate) fn opt_text(
        &self,
        p: &Path<'_>,
        name: &'static str,
        value: Option<&str>,
    ) -> Outcome {
        value.map_or(Ok(()), |v| self.text(p, name, v))
    }

    /// A list of short strings.
    pub(crate) fn short_list(
        &self,
        p: &Path<'_>,
        name: &'static str,
        values: &[String],
    ) -> Outcome {
        let f = p.field(name);
        self.keep(self.count(&f, values.len()))?;
        for (i, v) in values.iter().enumerate() {
            self.keep(self.short_at(&f.index(i), v))?;
        }
        Ok(())
    }

    /// A nested value.
    pub(crate) fn nested<T: Validate>(
        &self,
        p: &Path<'_>,
        name: &'static str,
        value: &T,
    ) -> Outcome {
        self.keep(value.validate_at(self, &p.field(name)))
    }

    /// An optional nested value.
    pub(crate) fn opt<T: Validate>(
        &self,
        p: &Path<'_>,
        name: &'static str,
        value: Option<&T>,
    ) -> Outcome {
        value.map_or(Ok(()), |v| self.nested(p, name, v))
    }

    /// A list of at most `max_list_len` values.
    pub(crate) fn list<T: Validate>(
        &self,
        p: &Path<'_>,
        name: &'static str,
        values: &[T],
    ) -> Outcome {
        let f = p.field(name);
        self.keep(self.count(&f, values.len()))?;
        for (i, v) in values.iter().enumerate() {
            self.keep(v.validate_at(self, &f.index(i)))?;
        }
        Ok(())
    }

    /// A list of at least one and at most `max_list_len` values.
    pub(crate) fn non_empty_list<T: Validate>(
        &self,
        p: &Path<'_>,
        name: &'static str,
        values: &[T],
    ) -> Outcome {
        if values.is_empty() {
            return self.keep(Err(p.field(name).error(Rule::EmptyList)));
        }
        self.list(p, name, values)
    }

    /// Field `name` checked by a rule of its own.
    pub(crate) fn rule(
        &self,
        p: &Path<'_>,
        name: &'static str,
        result: Result<(), Rule>,
    ) -> Outcome {
        self.keep(result.map_err(|r| p.field(name).error(r)))
    }

    fn short_at(&self, p: &Path<'_>, value: &str) -> Outcome {
        text_rule(value, self.limits.max_short_len, false).map_err(|r| p.error(r))
    }

    fn count(&self, p: &Path<'_>, len: usize) -> Outcome {
        let max = self.limits.max_list_len;
        if len > max {
            return Err(p.error(Rule::TooMany { max }));
        }
        Ok(())
    }
}

/// Required text: non-empty after trimming, at most `max` characters, and no control
/// characters (except newline, carriage return and tab when `multiline`).
pub(crate) fn text_rule(value: &str, max: usize, multiline: bool) -> Result<(), Rule> {
    if value.trim().is_empty() {
        return Err(Rule::Empty);
    }
    if value.chars().nth(max).is_some() {
        return Err(Rule::TooLong { max });
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    match value.chars().find(|&c| c.is_control() && !allowed(c)) {
        Some(c) => Err(Rule::ControlCharacter {
            found: u32::from(c),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_renders_fields_and_indices() {
        let root = Path::ROOT;
        let goods = root.field("goods");
        let first = goods.index(0);
        let commodity = first.field("commodity");
        assert_eq!(
            commodity.field("hs_code").render(),
            "goods[0].commodity.hs_code"
        );
        assert_eq!(root.field("containers").index(1).render(), "containers[1]");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn text_rule_counts_characters_not_bytes() {
        assert_eq!(text_rule("ééé", 3, false), Ok(()));
        assert_eq!(text_rule("éééé", 3, false), Err(Rule::TooLong { max: 3 }));
    }

    #[test]
    fn text_rule_rejects_blank_and_control_characters() {
        assert_eq!(text_rule(" \n\t", 10, true), Err(Rule::Empty));
        assert_eq!(text_rule("a\nb", 10, true), Ok(()));
        assert_eq!(
            text_rule("a\nb", 10, false),
            Err(Rule::ControlCharacter { found: 0x0A })
        );
        assert_eq!(
            text_rule("red\u{1b}[0m", 20, true),
            Err(Rule::ControlCharacter { found: 0x1B })
        );
    }
}
