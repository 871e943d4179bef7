//! `protosync diff` output: text (one change per line, then the verdict), JSON
//! (`{"changes": […], "semver": …, "package_versions": […]}`, docs/DIFF.md) and Markdown (a
//! changelog for a pull-request comment or CHANGELOG: breaking first, folded when long).

use std::fmt::Write;

use serde_json::{json, Value};

use super::markdown::cell;
use super::plural;
use crate::diff::{Change, DiffReport, Impact, PackageAdvice, Stability};

/// Rows shown per impact before the rest is folded (Markdown).
pub const FOLD_AFTER: usize = 30;

/// The formats `diff` prints in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

pub fn render(report: &DiffReport, format: DiffFormat) -> String {
    match format {
        DiffFormat::Text => text(report),
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&value(report)).expect("JSON of plain values");
            s.push('\n');
            s
        }
        DiffFormat::Markdown => markdown(report),
    }
}

fn location(c: &Change) -> String {
    match (&c.path, c.span) {
        (Some(path), None) => path.clone(),
        (Some(path), Some(s)) => format!("{path}:{}:{}", s.start_line, s.start_column),
        (None, _) => "<input>".to_owned(),
    }
}

/// `from -> to`, `from x`, `to y` (`arrow` between the two sides).
fn sides(c: &Change, arrow: &str) -> String {
    match (&c.from, &c.to) {
        (Some(a), Some(b)) => format!("{a} {arrow} {b}"),
        (Some(a), None) => format!("from {a}"),
        (None, Some(b)) => format!("to {b}"),
        (None, None) => String::new(),
    }
}

fn counts(report: &DiffReport) -> String {
    let n = |i: Impact| report.changes.iter().filter(|c| c.impact == i).count();
    format!(
        "{} breaking, {} compatible, {} cosmetic",
        n(Impact::Breaking),
        n(Impact::Compatible),
        n(Impact::Cosmetic)
    )
}

fn advice_line(a: &PackageAdvice) -> String {
    let n = plural(a.breaking, "breaking change", "breaking changes");
    match (&a.stability, &a.next) {
        (Stability::Stable { .. }, Some(next)) => format!(
            "{}: stable package with {n}: they call for a new major version, {next} (AIP-185)",
            a.package
        ),
        (Stability::Unstable, _) => format!(
            "{}: unstable package with {n}: allowed before it is stable (AIP-185)",
            a.package
        ),
        _ => format!("{}: {n} (the package has no version suffix)", a.package),
    }
}

pub fn text(report: &DiffReport) -> String {
    let mut out = String::new();
    for c in &report.changes {
        let _ = write!(
            out,
            "{}: {} {} {}",
            location(c),
            c.impact,
            c.kind,
            c.element
        );
        let s = sides(c, "->");
        if !s.is_empty() {
            let _ = write!(out, " ({s})");
        }
        if !c.rules.is_empty() {
            let rules: Vec<&str> = c.rules.iter().map(|r| r.as_str()).collect();
            let _ = write!(out, " [{}]", rules.join(", "));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "semver: {} ({}; {})",
        report.semver.as_str(),
        plural(report.changes.len(), "change", "changes"),
        counts(report)
    );
    for a in &report.packages {
        let _ = writeln!(out, "{}", advice_line(a));
    }
    out
}

pub fn value(report: &DiffReport) -> Value {
    let changes: Vec<Value> = report
        .changes
        .iter()
        .map(|c| {
            json!({
                "change": c.kind.as_str(),
                "element": c.element,
                "path": c.path,
                "line": c.span.map(|s| s.start_line),
                "column": c.span.map(|s| s.start_column),
                "impact": c.impact.as_str(),
                "rules": c.rules.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "from": c.from,
                "to": c.to,
            })
        })
        .collect();
    let packages: Vec<Value> = report
        .packages
        .iter()
        .map(|a| {
            json!({
                "package": a.package,
                "stability": a.stability.as_str(),
                "breaking": a.breaking,
                "next": a.next,
            })
        })
        .collect();
    json!({
        "changes": changes,
        "semver": report.semver.as_str(),
        "package_versions": packages,
    })
}

fn code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        cell(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

pub fn markdown(report: &DiffReport) -> String {
    let mut out = String::from("### Schema changes\n\n");
    if report.changes.is_empty() {
        out.push_str("No change. Semver: **none**.\n");
        return out;
    }
    verdict(&mut out, report);
    tables(&mut out, report, "####", Some(FOLD_AFTER));
    out
}

/// Changes past which a pull request's changelog is folded whole.
pub const COLLAPSE_AFTER: usize = 20;

/// The changelog of a pull request or an `impact` comment, under a heading of `level` (`###`):
/// the verdict, then every change by impact; more than [`COLLAPSE_AFTER`] changes are folded
/// into one `<details>` block.
pub fn changelog(report: &DiffReport, level: &str) -> String {
    let mut out = format!("{level} Schema changes\n\n");
    if report.changes.is_empty() {
        out.push_str("No schema change (semver **none**).\n");
        return out;
    }
    verdict(&mut out, report);
    let sub = format!("{level}#");
    if report.changes.len() > COLLAPSE_AFTER {
        let _ = write!(
            out,
            "<details><summary>{} ({})</summary>\n\n",
            plural(report.changes.len(), "change", "changes"),
            counts(report)
        );
        tables(&mut out, report, &sub, None);
        out.push_str("</details>\n");
    } else {
        tables(&mut out, report, &sub, None);
    }
    out
}

fn verdict(out: &mut String, report: &DiffReport) {
    let _ = writeln!(
        out,
        "Semver: **{}** ({}; {}).\n",
        report.semver.as_str(),
        plural(report.changes.len(), "change", "changes"),
        counts(report)
    );
    for a in &report.packages {
        let _ = writeln!(out, "> {}\n", cell(&advice_line(a)));
    }
}

/// One table per impact under a `level` heading; with `fold`, the rows past it are folded.
fn tables(out: &mut String, report: &DiffReport, level: &str, fold: Option<usize>) {
    for impact in [Impact::Breaking, Impact::Compatible, Impact::Cosmetic] {
        let rows: Vec<&Change> = report
            .changes
            .iter()
            .filter(|c| c.impact == impact)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let title = match impact {
            Impact::Breaking => "Breaking",
            Impact::Compatible => "Compatible",
            Impact::Cosmetic => "Cosmetic",
        };
        let _ = writeln!(out, "{level} {title} ({})\n", rows.len());
        let head = "| Change | Element | Location | Details |\n| --- | --- | --- | --- |\n";
        out.push_str(head);
        for (i, c) in rows.iter().enumerate() {
            if Some(i) == fold {
                let _ = write!(
                    out,
                    "\n<details><summary>{} more</summary>\n\n{head}",
                    rows.len() - i
                );
            }
            let mut details = sides(c, "→");
            if !c.rules.is_empty() {
                let rules: Vec<&str> = c.rules.iter().map(|r| r.as_str()).collect();
                if !details.is_empty() {
                    details.push_str("; ");
                }
                details.push_str(&rules.join(", "));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.kind,
                code(&c.element),
                code(&location(c)),
                cell(&details)
            );
        }
        if fold.is_some_and(|f| rows.len() > f) {
            out.push_str("\n</details>\n");
        }
        out.push('\n');
    }
}
