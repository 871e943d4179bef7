//! `impact --transitive`'s summary: which pinned contract commits the proposal breaks and which
//! services pin them, then every finding once with the pins it breaks. Printed before the
//! per-service report (text, markdown) or beside it (`"transitive"` in JSON).

use serde_json::{json, Value};

use super::short;
use crate::fleet::transitive::{Pin, Transitive};

fn verdict(p: &Pin) -> String {
    match (&p.error, p.findings) {
        (Some(e), _) => format!("unknown: {e}"),
        (None, 0) => "compatible".to_owned(),
        (None, n) => format!("breaking ({})", super::plural(n, "finding", "findings")),
    }
}

pub fn text(t: &Transitive) -> String {
    let mut out = format!(
        "transitive: the proposal against {}\n",
        super::plural(
            t.pins.len(),
            "pinned contract commit",
            "pinned contract commits"
        )
    );
    for p in &t.pins {
        out.push_str(&format!(
            "  {}  {}  pinned by {}\n",
            short(&p.commit),
            verdict(p),
            p.services.join(", ")
        ));
    }
    for line in super::render(&t.report, super::Format::Text).lines() {
        out.push_str(&format!("    {line}\n"));
    }
    let broken = t.pins.iter().filter(|p| p.findings > 0).count();
    out.push_str(&format!(
        "{broken} of {} pinned commits break\n\n",
        t.pins.len()
    ));
    out
}

pub fn json(t: &Transitive) -> Value {
    json!({
        "pins": t.pins,
        "breaking": super::json_value(&t.report),
    })
}

pub fn markdown(t: &Transitive) -> String {
    let broken = t.pins.iter().filter(|p| p.findings > 0).count();
    let mut out = format!(
        "### Against every pinned contract commit\n\n{} of {} pinned commits break.\n\n",
        broken,
        t.pins.len()
    );
    out.push_str("| pinned | verdict | pinned by |\n|---|---|---|\n");
    for p in &t.pins {
        let icon = match (&p.error, p.findings) {
            (Some(_), _) => "⚪",
            (None, 0) => "🟢",
            _ => "🔴",
        };
        out.push_str(&format!(
            "| `{}` | {icon} {} | {} |\n",
            short(&p.commit),
            verdict(p).replace('|', "\\|"),
            p.services
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !t.report.findings.is_empty() {
        out.push_str("\n| location | rule | message |\n|---|---|---|\n");
        for f in &t.report.findings {
            let at = match (&f.path, f.span) {
                (Some(p), Some(s)) => format!("{p}:{}:{}", s.start_line, s.start_column),
                (Some(p), None) => p.clone(),
                (None, _) => "<contract>".to_owned(),
            };
            out.push_str(&format!(
                "| `{at}` | `{}` | {} |\n",
                f.rule,
                f.shown_message().replace('|', "\\|").replace('\n', " ")
            ));
        }
    }
    out.push('\n');
    out
}
