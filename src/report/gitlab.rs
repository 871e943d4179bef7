//! GitLab Code Quality (`artifacts: reports: codequality`): a JSON array of Code Climate issues,
//! one per finding, severity `major`, with a fingerprint that stays the same across runs
//! (docs/OUTPUT.md).
//!
//! `location.path` is the finding's path as text output prints it; a finding without a file (a
//! deleted file or package) names the file it came from in the previous version, line 1, since
//! GitLab needs a path for every issue.

use serde_json::{json, Value};

use crate::breaking::report::Report;
use crate::breaking::Finding;
use crate::hash::sha256_hex;
use crate::model::Span;

pub fn render(report: &Report) -> String {
    let issues = issues(report);
    let mut s = serde_json::to_string_pretty(&issues).expect("JSON of plain values");
    s.push('\n');
    s
}

/// One Code Quality issue per finding (`check --format gitlab` appends its own).
pub(crate) fn issues(report: &Report) -> Vec<Value> {
    report.findings.iter().map(issue).collect()
}

fn path(f: &Finding) -> &str {
    f.path
        .as_deref()
        .or(f.against_path.as_deref())
        .unwrap_or("")
}

/// `sha256(rule NUL path NUL element NUL message)` in lowercase hex: no line or column, so an
/// issue keeps its fingerprint when code above it moves.
pub(crate) fn fingerprint(f: &Finding) -> String {
    sha256_hex(
        format!(
            "{}\0{}\0{}\0{}",
            f.rule.as_str(),
            path(f),
            f.element,
            f.message
        )
        .as_bytes(),
    )
}

fn issue(f: &Finding) -> Value {
    // Positions only for a real place in a file; 1 otherwise.
    let s = match (&f.path, f.span) {
        (Some(_), Some(s)) => s,
        _ => Span::UNKNOWN,
    };
    json!({
        "type": "issue",
        "check_name": f.rule.as_str(),
        "description": format!("{}: {}", f.rule, f.shown_message()),
        "categories": ["Compatibility"],
        "severity": "major",
        "fingerprint": fingerprint(f),
        "location": {
            "path": path(f),
            "lines": {"begin": s.start_line, "end": s.end_line},
        },
    })
}
