//! Printers for `impact`: text, JSON, Markdown (one PR comment), GitHub annotations.

use serde_json::json;

use super::github::{data, prop};
use super::short;
use crate::fleet::impact::{ServiceImpact, Verdict};

const ORDER: [Verdict; 4] = [
    Verdict::Breaking,
    Verdict::Unknown,
    Verdict::Compatible,
    Verdict::Unaffected,
];

fn at(f: &crate::fleet::impact::ImpactFinding) -> String {
    match (&f.contract_path, f.line, f.column) {
        (Some(p), Some(l), Some(c)) => format!("{p}:{l}:{c}"),
        (Some(p), _, _) => p.clone(),
        (None, _, _) => "<contract>".to_owned(),
    }
}

pub fn text(results: &[ServiceImpact]) -> String {
    let mut out = String::new();
    let width = results.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for v in ORDER {
        for r in results.iter().filter(|r| r.verdict == v) {
            let pin = r.pinned.as_deref().map(short).unwrap_or("-");
            out.push_str(&format!(
                "{:<width$}  {:<10}  pinned {pin}  {}\n",
                r.name,
                v.label(),
                r.detail
            ));
            for f in &r.findings {
                out.push_str(&format!("    {}: {} {}\n", at(f), f.rule, f.message));
            }
            for u in &r.usages {
                out.push_str(&format!(
                    "    used by {} {} ({}) through {}\n",
                    u.kind, u.element, u.file, u.uses
                ));
            }
        }
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    out.push_str(&format!(
        "{} services: {} breaking, {} compatible, {} unaffected, {} unknown\n",
        results.len(),
        count(Verdict::Breaking),
        count(Verdict::Compatible),
        count(Verdict::Unaffected),
        count(Verdict::Unknown)
    ));
    out
}

pub fn json(results: &[ServiceImpact], exit_code: i32) -> String {
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let doc = json!({
        "services": results,
        "summary": {
            "services": results.len(),
            "breaking": count(Verdict::Breaking),
            "compatible": count(Verdict::Compatible),
            "unaffected": count(Verdict::Unaffected),
            "unknown": count(Verdict::Unknown),
        },
        "exit_code": exit_code,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("plain values");
    s.push('\n');
    s
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// One PR comment: a table of services and verdicts, then per judged service (folded) its
/// findings, the uses in its own protos and the changelog of every change from its pin.
pub fn markdown(results: &[ServiceImpact]) -> String {
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let mut out = String::from("<!-- protosync:impact -->\n## protosync impact\n\n");
    out.push_str(&match count(Verdict::Breaking) {
        0 => format!(
            "No service breaks: {} compatible, {} unaffected{}.\n\n",
            count(Verdict::Compatible),
            count(Verdict::Unaffected),
            match count(Verdict::Unknown) {
                0 => String::new(),
                n => format!(", {n} unknown"),
            }
        ),
        n => format!(
            "**{n} service{} would break** ({} compatible, {} unaffected, {} unknown).\n\n",
            if n == 1 { "" } else { "s" },
            count(Verdict::Compatible),
            count(Verdict::Unaffected),
            count(Verdict::Unknown)
        ),
    });
    out.push_str("| service | verdict | pinned | details |\n|---|---|---|---|\n");
    for v in ORDER {
        for r in results.iter().filter(|r| r.verdict == v) {
            let icon = match v {
                Verdict::Breaking => "🔴",
                Verdict::Unknown => "⚪",
                Verdict::Compatible => "🟢",
                Verdict::Unaffected => "➖",
            };
            out.push_str(&format!(
                "| `{}` | {icon} {} | `{}` | {} |\n",
                r.name,
                v.label(),
                r.pinned.as_deref().map(short).unwrap_or("-"),
                cell(&r.detail)
            ));
        }
    }
    let judged = |r: &&ServiceImpact| matches!(r.verdict, Verdict::Breaking | Verdict::Compatible);
    for r in results.iter().filter(judged) {
        out.push_str(&format!(
            "\n<details>\n<summary><code>{}</code>: {}</summary>\n\n",
            r.name,
            cell(&r.detail)
        ));
        if !r.findings.is_empty() {
            out.push_str("| location | rule | message |\n|---|---|---|\n");
        }
        for f in &r.findings {
            out.push_str(&format!(
                "| `{}` | `{}` | {} |\n",
                at(f),
                f.rule,
                cell(&f.message)
            ));
        }
        if !r.usages.is_empty() {
            out.push_str("\nUsed by the service's own protos:\n\n");
            for u in &r.usages {
                out.push_str(&format!(
                    "- {} `{}` (`{}`) uses `{}`\n",
                    u.kind, u.element, u.file, u.uses
                ));
            }
        }
        if let Some(changes) = &r.changes {
            if !r.findings.is_empty() {
                out.push('\n');
            }
            out.push_str(super::diff::changelog(changes, "####").trim_end());
            out.push('\n');
        }
        out.push_str("\n</details>\n");
    }
    out
}

/// One annotation per finding on the contract file, naming the service.
pub fn github(results: &[ServiceImpact]) -> String {
    let mut out = String::new();
    for r in results {
        match r.verdict {
            Verdict::Breaking => {
                for f in &r.findings {
                    let title = format!("{} breaks {}", f.rule, r.name);
                    let mut props = String::new();
                    if let Some(p) = &f.contract_path {
                        props.push_str(&format!("file={},", prop(p)));
                        if let (Some(l), Some(c)) = (f.line, f.column) {
                            props.push_str(&format!("line={l},col={c},"));
                        }
                    }
                    out.push_str(&format!(
                        "::error {props}title={}::{}\n",
                        prop(&title),
                        data(&format!(
                            "{} (service {} pinned at {})",
                            f.message,
                            r.name,
                            r.pinned.as_deref().map(short).unwrap_or("?")
                        ))
                    ));
                }
            }
            Verdict::Unknown => out.push_str(&format!(
                "::warning title={}::{}\n",
                prop(&format!("impact on {} unknown", r.name)),
                data(&r.detail)
            )),
            _ => {}
        }
    }
    out.push_str(
        &text(results)
            .lines()
            .last()
            .map(|l| format!("{l}\n"))
            .unwrap_or_default(),
    );
    out
}
