//! One JSON document: `{"findings": [...], "summary": {...}}`, positions 1-based, `path` null
//! for findings without a file, positions null for findings without a position; checked
//! against several releases, each finding's `releases` and the summary's list of releases.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::breaking::report::Report;
use crate::model::Span;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&value(report)).expect("JSON of plain values");
    s.push('\n');
    s
}

/// The document `render` prints, for embedding in other reports.
pub fn value(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let s = f.span.unwrap_or(Span::UNKNOWN);
            let located = f.path.is_some() && f.span.is_some();
            let mut v = json!({
                "rule": f.rule.as_str(),
                "categories": super::categories(f, report.version).iter().map(|c| c.id()).collect::<Vec<_>>(),
                "message": f.message,
                "path": f.path,
                "start_line": located.then_some(s.start_line),
                "start_column": located.then_some(s.start_column),
                "end_line": located.then_some(s.end_line),
                "end_column": located.then_some(s.end_column),
                "element": f.element,
            });
            if let Some(h) = &f.hint {
                v["hint"] = json!(h);
            }
            if !f.releases.is_empty() {
                v["releases"] = json!(f.releases.iter().map(|r| &r.name).collect::<Vec<_>>());
            }
            v
        })
        .collect();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_rule.entry(f.rule.as_str()).or_default() += 1;
    }
    let unused: Vec<Value> = report
        .unused_allowances
        .iter()
        .map(|a| json!({"rule": a.rule_id, "element": a.element, "reason": a.reason, "place": a.place}))
        .collect();
    let mut summary_extra = serde_json::Map::new();
    if !report.releases.is_empty() {
        summary_extra.insert("releases".to_owned(), json!(report.releases));
    }
    for (key, list) in [
        ("expired_allowances", &report.expired_allowances),
        ("expiring_allowances", &report.expiring_allowances),
    ] {
        if !list.is_empty() {
            let v: Vec<Value> = list.iter().map(|a| json!({"rule": a.rule_id, "element": a.element, "reason": a.reason, "place": a.place, "approved_by": a.approved_by, "expires": a.expires})).collect();
            summary_extra.insert(key.to_owned(), Value::Array(v));
        }
    }
    let mut doc = json!({
        "findings": findings,
        "summary": {
            "findings": report.findings.len(),
            "by_rule": by_rule,
            "files": report.files,
            "against_files": report.against_files,
            "config_version": report.version.as_str(),
            "allowed": report.allowed,
            "unused_allowances": unused,
        }
    });
    doc["summary"]
        .as_object_mut()
        .expect("an object")
        .extend(summary_extra);
    doc
}
