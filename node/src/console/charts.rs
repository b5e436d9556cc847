//! Charts as SVG made on the server (no script, no library): horizontal bars, and
//! columns stacked per day. Labels are escaped by maud like any other text.

use maud::{html, Markup};

/// Colours for series, in order (readable on white, distinct in grey scale too).
const PALETTE: &[&str] = &[
    "#1f5fa8", "#c0392b", "#27864a", "#b7791f", "#6b3fa0", "#2c7a7b", "#9b2c6f", "#4a5568",
];

/// One horizontal bar per entry.
pub fn bars(label: &str, data: &[(String, u64)]) -> Markup {
    let max = data.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let row = 22;
    let height = (data.len() * row + 10).max(30);
    html! {
        svg.chart role="img" aria-label=(label) viewBox={ "0 0 600 " (height) } width="600" height=(height) {
            title { (label) }
            @for (i, (name, v)) in data.iter().enumerate() {
                @let y = i * row + 5;
                @let w = (*v as f64 / max as f64 * 380.0).max(1.0);
                text x="0" y=(y + 15) font-size="12" { (name) }
                rect x="150" y=(y) width=(format!("{w:.1}")) height="16" fill=(PALETTE[0]) {}
                text x=(format!("{:.1}", 155.0 + w)) y=(y + 13) font-size="12" { (v) }
            }
        }
    }
}

/// Columns per day, stacked by series; a legend below.
pub fn stacked(label: &str, days: &[String], series: &[(String, Vec<u64>)]) -> Markup {
    let totals: Vec<u64> = (0..days.len())
        .map(|d| {
            series
                .iter()
                .map(|(_, v)| v.get(d).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let plot_h = 200.0;
    let col_w = (560.0 / days.len().max(1) as f64).min(40.0);
    let legend_y = 240;
    let height = legend_y + 20 * series.len().div_ceil(4) + 10;
    html! {
        svg.chart role="img" aria-label=(label) viewBox={ "0 0 600 " (height) } width="600" height=(height) {
            title { (label) }
            text x="0" y="12" font-size="11" { (max) }
            line x1="30" y1="210" x2="600" y2="210" stroke="#888" {}
            @for (d, day) in days.iter().enumerate() {
                @let x = 30.0 + d as f64 * col_w;
                @let mut y = 210.0;
                @for (s, (_, values)) in series.iter().enumerate() {
                    @let v = values.get(d).copied().unwrap_or(0);
                    @if v > 0 {
                        @let h = v as f64 / max as f64 * plot_h;
                        @let top = y - h;
                        rect x=(format!("{:.1}", x + 2.0)) y=(format!("{top:.1}")) width=(format!("{:.1}", col_w - 4.0)) height=(format!("{h:.1}")) fill=(PALETTE[s % PALETTE.len()]) {
                            title { (day) ": " (v) }
                        }
                        @let () = y = top;
                    }
                }
                @if d % ((days.len() / 8).max(1)) == 0 {
                    text x=(format!("{x:.1}")) y="225" font-size="10" { (day.get(5..).unwrap_or(day)) }
                }
            }
            @for (s, (name, _)) in series.iter().enumerate() {
                @let x = (s % 4) * 150;
                @let y = legend_y + (s / 4) * 20;
                rect x=(x) y=(y) width="12" height="12" fill=(PALETTE[s % PALETTE.len()]) {}
                text x=(x + 16) y=(y + 11) font-size="12" { (name) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale() {
        let svg = bars("t", &[("<script>".into(), 10), ("b".into(), 5)]).into_string();
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("width=\"380.0\""), "{svg}");
        assert!(svg.contains("width=\"190.0\""), "{svg}");
    }

    #[test]
    fn stacked_columns_add_up() {
        let days = vec!["2026-12-01".to_owned(), "2026-12-02".to_owned()];
        let svg = stacked(
            "t",
            &days,
            &[("alert".into(), vec![1, 2]), ("notice".into(), vec![1, 0])],
        )
        .into_string();
        // Day 2 holds the maximum (2): its one column is the full 200 px high.
        assert!(svg.contains("height=\"200.0\""), "{svg}");
        assert!(svg.contains(">alert<") && svg.contains(">notice<"));
    }
}
