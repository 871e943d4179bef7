//! The pull request of a sync (`sync --pr`, fan-out): its title and its Markdown body (the
//! commit range, the changed files, the breaking findings for the service, the changelog of
//! every schema change), with table cells escaped like every Markdown report.

use super::markdown::{cell, code};
use super::short;
use crate::sync::run::{CommittedFile, SyncReport};

/// The pull request's title.
pub fn title(sync: &SyncReport, name: &str) -> String {
    let to = sync.contract.commit.as_deref().map(short).unwrap_or("?");
    let breaking = if sync.breaking.findings.is_empty() {
        ""
    } else {
        " (breaking)"
    };
    format!("protosync: sync {name} to {to}{breaking}")
}

/// The pull request's body, in Markdown: the commit range, a table of changed files, the
/// breaking findings for this service, then every schema change, impact-classified (folded
/// when long).
pub fn body(sync: &SyncReport, files: &[CommittedFile], base_commit: Option<&str>) -> String {
    let c = &sync.contract;
    let to = c.commit.as_deref().unwrap_or("?");
    // The range is from what the base branch's lock records; the commit count is known when
    // that is also where this sync started.
    let from = base_commit.or(c.locked_commit.as_deref());
    let count = c
        .behind_commits
        .filter(|_| base_commit.is_none() || base_commit == c.locked_commit.as_deref());
    let mut out = String::new();
    out.push_str(&format!(
        "This pull request was opened by [protosync]({}). It updates the vendored copy of `{}` (ref `{}`) ",
        env!("CARGO_PKG_HOMEPAGE"),
        c.repo,
        c.ref_
    ));
    match from {
        Some(from) if from != to => {
            out.push_str(&format!("from `{}` to `{}`", short(from), short(to)));
            if let Some(n) = count {
                out.push_str(&format!(" ({n} commit{})", if n == 1 { "" } else { "s" }));
            }
        }
        _ => out.push_str(&format!("to `{}`", short(to))),
    }
    out.push_str(".\n\n");
    if files.is_empty() {
        out.push_str("No vendored file changes; `protosync.lock` records the new commit.\n");
    } else {
        out.push_str("| file | change | + | − |\n|---|---|---:|---:|\n");
        for f in files {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                code(&f.path),
                f.change,
                f.added_lines,
                f.removed_lines
            ));
        }
    }
    out.push_str("\n### Breaking changes for this service\n\n");
    if sync.breaking.findings.is_empty() {
        out.push_str("No breaking changes.\n");
    } else {
        out.push_str(&format!(
            "{} finding{} (accepted with `--allow-breaking`):\n\n",
            sync.breaking.findings.len(),
            if sync.breaking.findings.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
        out.push_str("| location | rule | message |\n|---|---|---|\n");
        for f in &sync.breaking.findings {
            let at = match (&f.path, f.span) {
                (Some(p), Some(s)) => code(&format!("{p}:{}:{}", s.start_line, s.start_column)),
                (Some(p), None) => code(p),
                (None, _) => String::new(),
            };
            out.push_str(&format!("| {at} | `{}` | {} |\n", f.rule, cell(&f.message)));
        }
    }
    if let Some(changes) = &sync.changes {
        out.push('\n');
        out.push_str(super::diff::changelog(changes, "###").trim_end());
        out.push('\n');
    }
    out.push_str(&format!(
        "\n<!-- protosync: contract={} commit={to} -->\n",
        c.repo
    ));
    out
}

/// A body the user wrote (`--body`), with protosync's hidden marker line after it.
pub fn custom_body(text: &str, sync: &SyncReport) -> String {
    let to = sync.contract.commit.as_deref().unwrap_or("?");
    format!(
        "{}\n\n<!-- protosync: contract={} commit={to} -->\n",
        text.trim_end(),
        sync.contract.repo
    )
}
