//! Printers for `fanout`: a summary grouped by outcome (text), one JSON document, or the
//! affected services as a GitHub Actions matrix.

use serde_json::json;

use crate::fleet::fanout::{ServiceResult, Verdict};

const ORDER: [Verdict; 6] = [
    Verdict::Created,
    Verdict::Updated,
    Verdict::Unchanged,
    Verdict::Closed,
    Verdict::Skipped,
    Verdict::Failed,
];

/// The summary: with `--dry-run`, every affected service's diff and verdict first; then one
/// group per outcome (created, updated, unchanged, closed, skipped with why, failed with the
/// error), then the totals.
pub fn text(results: &[ServiceResult], dry_run: bool) -> String {
    let mut out = String::new();
    if dry_run {
        for r in results.iter().filter(|r| r.affected || !r.text.is_empty()) {
            if r.text.is_empty() {
                continue;
            }
            out.push_str(&format!("==> {} ({} {})\n", r.name, r.repo, r.branch));
            out.push_str(&r.text);
            out.push('\n');
        }
    }
    let width = results.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for verdict in ORDER {
        let group: Vec<&ServiceResult> = results.iter().filter(|r| r.verdict == verdict).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("{} ({})\n", verdict.label(), group.len()));
        for r in group {
            let what = match (&r.pull_request, r.detail.is_empty()) {
                (Some(url), true) => url.clone(),
                (Some(url), false) => format!("{url} ({})", r.detail),
                (None, _) => r.detail.clone(),
            };
            out.push_str(&format!("  {:<width$}  {what}\n", r.name));
        }
    }
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    out.push_str(&format!(
        "{} service{}: {} created, {} updated, {} unchanged, {} closed, {} skipped, {} failed{}\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        count(Verdict::Created),
        count(Verdict::Updated),
        count(Verdict::Unchanged),
        count(Verdict::Closed),
        count(Verdict::Skipped),
        count(Verdict::Failed),
        if dry_run {
            " (dry run: nothing pushed or opened)"
        } else {
            ""
        }
    ));
    out
}

pub fn json(results: &[ServiceResult]) -> String {
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let doc = json!({
        "services": results,
        "summary": {
            "services": results.len(),
            "created": count(Verdict::Created),
            "updated": count(Verdict::Updated),
            "unchanged": count(Verdict::Unchanged),
            "closed": count(Verdict::Closed),
            "skipped": count(Verdict::Skipped),
            "failed": count(Verdict::Failed),
        },
        "exit_code": crate::fleet::fanout::exit_code(results),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("plain values");
    s.push('\n');
    s
}

/// `{"include":[{"service":…,"repo":…,"branch":…}]}` for the services a sync would change, on
/// one line (for `echo "matrix=$(protosync fanout --format github-matrix)" >> "$GITHUB_OUTPUT"`).
pub fn github_matrix(results: &[ServiceResult]) -> String {
    let include: Vec<serde_json::Value> = results
        .iter()
        .filter(|r| r.affected)
        .map(|r| json!({"service": r.name, "repo": r.repo, "branch": r.branch}))
        .collect();
    format!("{}\n", json!({ "include": include }))
}
