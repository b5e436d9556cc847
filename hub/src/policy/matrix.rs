//! The access matrix printed by `cordon-hub policy check`: for each operation, what each
//! node may read and publish, as a plain-text table.

use std::fmt::Write as _;

use cordon_common::msg::MessageKind;

use super::model::{kinds_granted, OperationInfo};
use super::subject::Subject;
use super::Policy;

const HEADERS: [&str; 6] = ["node", "role", "country", "channel", "read", "may publish"];

impl Policy {
    /// A human table of what each of `subjects` may do at `now_ms`: per operation, one row
    /// per node and channel with `read` yes/no and the kinds it may publish, plus a row for
    /// the kinds it may send directly to named participants.
    pub fn access_matrix(&self, subjects: &[Subject], now_ms: u64) -> String {
        let mut out = String::new();
        if self.operations.is_empty() {
            out.push_str("The policy defines no operation: every publish and read is refused.\n");
            return out;
        }
        for op in &self.operations {
            operation_header(&mut out, op, now_ms);
            let rows = rows(op, subjects, now_ms);
            write_table(&mut out, &rows);
            out.push('\n');
        }
        out.push_str(
            "Besides: every participant may reply to the sender of a message it could read with \
             a receipt, feedback or\ntracking-update (only receipts once the operation is \
             closed), and a node always reads its own direct channel node/<ID>.\n",
        );
        out
    }
}

fn operation_header(out: &mut String, op: &OperationInfo, now_ms: u64) {
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "operation {}{}",
        op.name,
        if op.title.is_empty() {
            String::new()
        } else {
            format!(" — {}", op.title)
        }
    );
    let _ = writeln!(
        out,
        "  phase {}, {}; messages kept {} days after it closes",
        op.phase,
        op.state(now_ms),
        op.retention_days
    );
    let _ = writeln!(out, "  participants: {}\n", op.participants);
}

fn kinds_text(kinds: &[MessageKind]) -> String {
    if kinds.is_empty() {
        "-".to_owned()
    } else {
        kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn rows(op: &OperationInfo, subjects: &[Subject], now_ms: u64) -> Vec<[String; 6]> {
    let open = !op.is_closed(now_ms);
    let mut rows = Vec::new();
    for s in subjects {
        let ident = [
            s.node_id.to_string(),
            s.role.to_string(),
            s.country.clone().unwrap_or_else(|| "-".to_owned()),
        ];
        let participant = op.is_participant(s);
        let mut lines: Vec<[String; 3]> = Vec::new();
        if !participant {
            lines.push([
                "(not a participant)".to_owned(),
                "no".to_owned(),
                "-".to_owned(),
            ]);
        } else {
            for ch in &op.channels {
                let read = ch.read.as_ref().is_some_and(|sel| sel.matches(s, true));
                let publish = if open {
                    kinds_granted(&ch.publish, s, true)
                } else {
                    Vec::new()
                };
                lines.push([
                    ch.name.to_string(),
                    if read { "yes" } else { "no" }.to_owned(),
                    kinds_text(&publish),
                ]);
            }
            let direct = if open {
                kinds_granted(&op.direct, s, true)
            } else {
                Vec::new()
            };
            lines.push([
                "direct (node/<ID>)".to_owned(),
                "-".to_owned(),
                kinds_text(&direct),
            ]);
        }
        for (i, [channel, read, publish]) in lines.into_iter().enumerate() {
            let [a, b, c] = if i == 0 {
                ident.clone()
            } else {
                [String::new(), String::new(), String::new()]
            };
            rows.push([a, b, c, channel, read, publish]);
        }
    }
    rows
}

fn write_table(out: &mut String, rows: &[[String; 6]]) {
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: [&str; 6]| {
        let mut text = String::from("  ");
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                let pad = w - cell.chars().count() + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(out, HEADERS);
    let rules = widths.map(|w| "-".repeat(w));
    line(out, rules.each_ref().map(String::as_str));
    for row in rows {
        line(out, row.each_ref().map(String::as_str));
    }
}
