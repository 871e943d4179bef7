//! Printers for `status`, `sync`/`init` and `check`: text for people, JSON for scripts, GitHub
//! workflow commands for `check` in Actions.

use serde_json::{json, Value};

use super::github::{data, prop};
use super::{plural, short};
use crate::breaking::report::Report;
use crate::sync::check::CheckReport;
use crate::sync::plan::{Action, FileState};
use crate::sync::run::{Outcome, SyncReport};
use crate::sync::status::{FileStatus, StatusReport};
use crate::sync::workspace::ContractInfo;

/// `repo (ref R): LOCK → NOW (N commits)`.
fn contract_line(c: &ContractInfo) -> String {
    let mut s = format!("contract {} ({})", c.repo, c.ref_);
    match (&c.locked_commit, &c.commit) {
        (Some(l), Some(n)) if l == n => s.push_str(&format!(": at {}", short(n))),
        (Some(l), Some(n)) => {
            s.push_str(&format!(": {} → {}", short(l), short(n)));
            match c.behind_commits {
                Some(k) => s.push_str(&format!(" ({})", plural(k, "commit", "commits"))),
                None => s.push_str(
                    " (commit count unknown: the lock's commit is not in the fetched history)",
                ),
            }
        }
        (None, Some(n)) => s.push_str(&format!(": {} (no lock yet)", short(n))),
        (Some(l), None) => s.push_str(&format!(": lock at {}", short(l))),
        (None, None) => {}
    }
    s
}

fn findings_text(b: &Report, indent: &str) -> String {
    super::text::render(b)
        .lines()
        .map(|l| format!("{indent}{l}\n"))
        .collect()
}

pub fn status_text(r: &StatusReport) -> String {
    let mut out = contract_line(&r.contract);
    out.push('\n');
    if !r.has_lock {
        out.push_str("no protosync.lock yet: run `protosync sync` to vendor the contract\n");
    }
    for m in &r.mappings {
        out.push_str(&format!("\n{} <- {}: {}\n", m.to, m.from, m.state.label()));
        let mut in_sync = 0;
        for f in &m.files {
            if f.state == FileState::InSync {
                in_sync += 1;
                continue;
            }
            out.push_str(&format!("  {:<9} {}", f.state.label(), f.path));
            if let Some(d) = f.detail {
                out.push_str(&format!(" ({d})"));
            }
            out.push('\n');
        }
        if in_sync > 0 {
            out.push_str(&format!("  {} in sync\n", plural(in_sync, "file", "files")));
        }
    }
    if !r.unmapped.is_empty() {
        out.push_str("\nin protosync.lock but under no [[vendor]] mapping:\n");
        for f in &r.unmapped {
            out.push_str(&format!("  {:<9} {}\n", f.state.label(), f.path));
        }
    }
    let behind = r
        .mappings
        .iter()
        .any(|m| matches!(m.state, FileState::Behind | FileState::Diverged));
    if behind {
        let edited = r.mappings.iter().any(|m| {
            m.files
                .iter()
                .any(|f| matches!(f.state, FileState::Edited | FileState::Diverged))
        });
        if r.breaking.findings.is_empty() && edited {
            out.push_str("\nthe update is not breaking for this copy; `protosync sync` applies it once the local edits are resolved (or with --force, which discards them)\n");
        } else if r.breaking.findings.is_empty() {
            out.push_str(
                "\nthe update is not breaking for this copy; `protosync sync` applies it\n",
            );
        } else {
            out.push_str(&format!(
                "\nthe update is BREAKING for this copy ({}):\n",
                plural(r.breaking.findings.len(), "finding", "findings")
            ));
            out.push_str(&findings_text(&r.breaking, "  "));
        }
        if r.breaking.allowed > 0 {
            out.push_str(&format!(
                "({} allowed by [[breaking.allow]] in protosync.toml)\n",
                plural(r.breaking.allowed, "breaking change", "breaking changes")
            ));
        }
    }
    out
}

pub fn status_json(r: &StatusReport) -> String {
    let mut doc = serde_json::to_value(r).expect("plain values");
    doc["breaking"] = super::json_value(&r.breaking);
    pretty(&doc)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("plain values");
    s.push('\n');
    s
}

/// Colours a unified diff for a terminal.
fn colour_diff(diff: &str) -> String {
    use anstyle::{AnsiColor, Style};
    let mut out = String::with_capacity(diff.len() + 64);
    for line in diff.split_inclusive('\n') {
        let style = if line.starts_with("+++") || line.starts_with("---") {
            Style::new().bold()
        } else if line.starts_with('+') {
            AnsiColor::Green.on_default()
        } else if line.starts_with('-') {
            AnsiColor::Red.on_default()
        } else if line.starts_with("@@") {
            AnsiColor::Cyan.on_default()
        } else {
            Style::new()
        };
        if style == Style::new() {
            out.push_str(line);
        } else {
            let body = line.strip_suffix('\n').unwrap_or(line);
            out.push_str(&format!("{style}{body}{style:#}"));
            if line.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// `diffs`: print each file's unified diff before the summary (`init` prints the summary only).
// long: the sections of the report in the order they print (contract line, diffs, files,
// kept, extra, conflicts, verdict), each a few lines.
pub fn sync_text(r: &SyncReport, colour: bool, diffs: bool) -> String {
    let mut out = contract_line(&r.contract);
    out.push('\n');
    for c in r.plan.changes.iter().filter(|_| diffs) {
        out.push('\n');
        if colour {
            out.push_str(&colour_diff(&c.diff));
        } else {
            out.push_str(&c.diff);
        }
    }
    if !r.plan.changes.is_empty() {
        out.push('\n');
        for c in &r.plan.changes {
            let mark = match c.action {
                Action::Add => "A",
                Action::Change => "M",
                Action::Delete => "D",
                Action::Unchanged | Action::Leave => " ",
            };
            out.push_str(&format!(
                "{mark} {} (+{} -{})\n",
                c.path, c.added_lines, c.removed_lines
            ));
        }
    }
    if !r.plan.kept.is_empty() {
        out.push_str(&format!(
            "\nadopted the existing copy; {} differ from the contract and were kept (`protosync status` shows them as edited, `protosync sync --force` replaces them):\n",
            plural(r.plan.kept.len(), "file", "files")
        ));
        for k in &r.plan.kept {
            out.push_str(&format!("  {k}\n"));
        }
    }
    if !r.plan.extra.is_empty() {
        out.push_str(&format!(
            "\n{} under mapped directories not from the contract (left alone):\n",
            plural(r.plan.extra.len(), "file", "files")
        ));
        for e in &r.plan.extra {
            out.push_str(&format!("  {e}\n"));
        }
    }
    if !r.breaking.findings.is_empty() {
        out.push_str(&format!(
            "\nbreaking changes for this copy ({}):\n",
            plural(r.breaking.findings.len(), "finding", "findings")
        ));
        out.push_str(&findings_text(&r.breaking, "  "));
    }
    if r.breaking.allowed > 0 {
        out.push_str(&format!(
            "\n{} allowed by [[breaking.allow]] in protosync.toml\n",
            plural(r.breaking.allowed, "breaking change", "breaking changes")
        ));
    }
    if !r.plan.conflicts.is_empty() {
        out.push_str(&format!(
            "\nlocal edits in vendored files ({}):\n",
            r.plan.conflicts.len()
        ));
        for c in &r.plan.conflicts {
            out.push_str(&format!("  {}: {}\n", c.path, c.reason));
        }
    }
    let files = plural(r.plan.changes.len(), "file", "files");
    let at = r.contract.commit.as_deref().map(short).unwrap_or("?");
    out.push('\n');
    out.push_str(&match r.outcome {
        Outcome::UpToDate => format!(
            "already in sync with {} at {at}; nothing to do\n",
            r.contract.ref_
        ),
        Outcome::LockUpdated => format!(
            "no vendored file changed; protosync.lock now records {at}\n"
        ),
        Outcome::Updated => format!("updated {files}; protosync.lock now records {at}\n"),
        Outcome::DryRun => format!("dry run: would update {files} and protosync.lock; nothing written\n"),
        Outcome::RefusedBreaking => format!(
            "refused: the update is breaking for this copy; nothing written{}. Re-run with --allow-breaking to accept it.\n",
            if r.dry_run { " (dry run)" } else { "" }
        ),
        Outcome::RefusedLocalEdits => "refused: the sync would overwrite local edits; nothing written. Move the edits to the contract repository, or re-run with --force to discard them.\n".to_owned(),
    });
    out
}

pub fn sync_json(r: &SyncReport) -> String {
    pretty(&sync_value(r))
}

/// The document `sync --format json` prints (fan-out embeds it per service).
pub fn sync_value(r: &SyncReport) -> Value {
    let mut doc = serde_json::to_value(r).expect("plain values");
    doc["breaking"] = super::json_value(&r.breaking);
    doc["exit_code"] = json!(r.exit_code());
    doc
}

/// `lock`: the path of protosync.lock as the report names it.
fn drift_message(f: &FileStatus, lock: &str) -> &'static str {
    if f.path == lock && f.from.is_none() {
        return "no lock: run `protosync sync` to vendor the contract and write it";
    }
    match f.state {
        FileState::Edited | FileState::Diverged => {
            "vendored file differs from protosync.lock (edited by hand?); change the contract instead, or run `protosync sync --force` to restore it"
        }
        FileState::Missing => "listed in protosync.lock but missing; run `protosync sync` to restore it",
        FileState::Extra => {
            "not in protosync.lock: a file under a vendored directory that does not come from the contract"
        }
        FileState::InSync | FileState::Behind => "",
    }
}

fn behind_line(r: &CheckReport) -> Option<String> {
    let b = r.behind.as_ref().filter(|_| r.is_behind())?;
    let c = &b.contract;
    let commits = c
        .behind_commits
        .map(|k| format!(", {}", plural(k, "commit", "commits")))
        .unwrap_or_default();
    Some(format!(
        "the contract moved on: {} behind {} at {}{commits}; run `protosync sync`",
        plural(b.files.len(), "vendored file is", "vendored files are"),
        c.ref_,
        c.commit.as_deref().map(short).unwrap_or("?")
    ))
}

/// `check`'s report in `format`, paths under the service root (the directory of protosync.toml).
pub fn check_render(r: &CheckReport, format: super::Format) -> String {
    check_render_at(r, format, "")
}

/// `check`'s report in `format`, every path (drift, breaking findings, protosync.lock) as
/// reached from the working directory: `root`, the service root as [`service_root`] names it,
/// in front.
pub fn check_render_at(r: &CheckReport, format: super::Format, root: &str) -> String {
    use super::Format;
    let lock = format!("{root}{}", crate::sync::lock::LOCK_FILE);
    let rooted;
    let r = if root.is_empty() {
        r
    } else {
        rooted = under(r, root);
        &rooted
    };
    match format {
        Format::Text => check_text(r, &lock),
        Format::Json => check_json(r),
        Format::Github => check_github(r, &lock),
        Format::Sarif => check_sarif(r, &lock),
        Format::Junit => check_junit(r, &lock, false),
        Format::JunitStrict => check_junit(r, &lock, true),
        Format::Gitlab => check_gitlab(r, &lock),
        Format::Markdown => check_markdown(r, &lock),
    }
}

/// `r` with `root` in front of every path it names.
fn under(r: &CheckReport, root: &str) -> CheckReport {
    let mut r = r.clone();
    let join = |p: &mut String| *p = format!("{root}{p}");
    r.drift.iter_mut().for_each(|f| join(&mut f.path));
    if let Some(b) = &mut r.behind {
        b.files.iter_mut().for_each(|f| join(&mut f.path));
    }
    if let Some(b) = &mut r.breaking {
        for f in &mut b.findings {
            f.path.as_mut().map(join);
            f.against_path.as_mut().map(join);
        }
    }
    r
}

/// The directory of `config` (a protosync.toml) as reached from the working directory, with a
/// trailing `/`: `""` when it is the working directory, `services/billing/` below it, `../`
/// above it; absolute when there is no relative way (another drive).
pub fn service_root(config: &std::path::Path) -> String {
    use std::path::{Component, Path};
    let dir = config.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let (Ok(dir), Ok(cwd)) = (
        std::fs::canonicalize(dir),
        std::env::current_dir().and_then(std::fs::canonicalize),
    ) else {
        return String::new();
    };
    let common = dir
        .components()
        .zip(cwd.components())
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return format!("{}/", dir.to_string_lossy().replace('\\', "/"));
    }
    let mut out = String::new();
    for c in cwd.components().skip(common) {
        if matches!(c, Component::Normal(_)) {
            out.push_str("../");
        }
    }
    for c in dir.components().skip(common) {
        out.push_str(&c.as_os_str().to_string_lossy());
        out.push('/');
    }
    out
}

fn check_text(r: &CheckReport, lock: &str) -> String {
    let mut out = String::new();
    for f in &r.drift {
        out.push_str(&format!(
            "{}: {}: {}\n",
            f.path,
            f.state.label(),
            drift_message(f, lock)
        ));
    }
    if let Some(b) = &r.breaking {
        out.push_str(&super::text::render(b));
    }
    let quiet = crate::trace::quiet();
    if let Some(line) = behind_line(r).filter(|_| r.fail_behind || !quiet) {
        let kind = if r.fail_behind { "error" } else { "warning" };
        out.push_str(&format!("{kind}: {line}\n"));
        if let Some(b) = &r.behind {
            for f in &b.files {
                out.push_str(&format!("  {} ({})\n", f.path, f.detail.unwrap_or("")));
            }
        }
    }
    let breaking = r.breaking.as_ref().map(|b| b.findings.len()).unwrap_or(0);
    if quiet {
        return out;
    }
    out.push_str(&match (r.drift.len(), breaking, r.exit_code()) {
        (0, 0, 0) => "check passed\n".to_owned(),
        (d, b, _) => format!(
            "check failed: {}, {}{}\n",
            plural(d, "drifted vendored file", "drifted vendored files"),
            plural(b, "breaking change", "breaking changes"),
            if r.fail_behind && r.is_behind() {
                ", behind the contract"
            } else {
                ""
            }
        ),
    });
    out
}

fn check_json(r: &CheckReport) -> String {
    let mut doc = serde_json::to_value(r).expect("plain values");
    doc["breaking"] = r
        .breaking
        .as_ref()
        .map(super::json_value)
        .unwrap_or(Value::Null);
    doc["exit_code"] = json!(r.exit_code());
    pretty(&doc)
}

/// Most important first, since a step shows only its first 10 error annotations: breaking
/// changes, then drifted files, then the contract being behind (an error with --fail-behind,
/// else a warning).
fn check_github(r: &CheckReport, lock: &str) -> String {
    let mut out = String::new();
    if let Some(b) = &r.breaking {
        out.push_str(&super::github::render(b));
    }
    for f in &r.drift {
        out.push_str(&format!(
            "::error file={},title={}::{}\n",
            prop(&f.path),
            prop(&format!("protosync: vendored file {}", f.state.label())),
            data(drift_message(f, lock))
        ));
    }
    if let Some(line) = behind_line(r) {
        let kind = if r.fail_behind { "error" } else { "warning" };
        out.push_str(&format!(
            "::{kind} file={},title={}::{}\n",
            prop(lock),
            prop("protosync: behind the contract"),
            data(&line)
        ));
    }
    out
}

/// What `sync --commit/--push/--pr` did, after the sync's own report.
pub fn publish_text(p: &crate::sync::publish::PublishReport) -> String {
    use crate::sync::publish::Outcome;
    let mut out = String::new();
    let commit = p.commit.as_deref().map(short).unwrap_or("");
    match p.outcome {
        Outcome::Created | Outcome::Updated | Outcome::Unchanged | Outcome::Closed
            if p.pull_request.is_some() =>
        {
            let pr = p.pull_request.as_ref().expect("checked");
            let what = match p.outcome {
                Outcome::Created => "opened",
                Outcome::Updated => "updated",
                Outcome::Closed => "closed",
                _ => "unchanged",
            };
            if !commit.is_empty() {
                out.push_str(&format!(
                    "branch {} at {commit} (on {}){}\n",
                    p.branch,
                    p.base,
                    if p.pushed { ", pushed" } else { "" }
                ));
            }
            out.push_str(&format!("pull request #{} {what}: {}\n", pr.number, pr.url));
        }
        Outcome::Skipped => {
            out.push_str(&format!(
                "skipped: {}\n",
                p.note.as_deref().unwrap_or("left alone")
            ));
        }
        _ if commit.is_empty() => {
            out.push_str(&format!(
                "nothing to commit: {}\n",
                p.note.as_deref().unwrap_or("the base already matches")
            ));
        }
        _ => {
            out.push_str(&format!(
                "committed {commit} on branch {} (on {}){}\n",
                p.branch,
                p.base,
                if p.pushed {
                    ", pushed"
                } else if p.outcome == Outcome::Unchanged {
                    ", already up to date"
                } else {
                    ""
                }
            ));
        }
    }
    if p.branch_deleted {
        out.push_str(&format!("deleted branch {} on the remote\n", p.branch));
    }
    out
}

/// The sync's JSON document with a `publish` member.
pub fn sync_json_with(
    r: &SyncReport,
    publish: Option<&crate::sync::publish::PublishReport>,
) -> String {
    let mut doc = sync_value(r);
    doc["publish"] = serde_json::to_value(publish).expect("plain values");
    pretty(&doc)
}

// ---------------------------------------------------------------------------------------------
// `check` in the CI formats: the breaking findings (as `breaking --format X` prints them) plus
// one entry per drifted vendored file (`PROTOSYNC_DRIFT`, an error) and, when the contract
// moved on, one for that (`PROTOSYNC_BEHIND`, a warning, an error with --fail-behind).

/// Pseudo-rule ids of check's own results.
pub const DRIFT_ID: &str = "PROTOSYNC_DRIFT";
pub const BEHIND_ID: &str = "PROTOSYNC_BEHIND";

fn empty_breaking(r: &CheckReport) -> Report {
    r.breaking
        .clone()
        .unwrap_or_else(|| Report::empty(crate::breaking::Version::V2))
}

/// (path, id, message, is_error) of check's own results: the drifted files, then the contract
/// being behind, which points at protosync.lock (`lock`).
fn own_results(r: &CheckReport, lock: &str) -> Vec<(String, &'static str, String, bool)> {
    let mut out: Vec<(String, &'static str, String, bool)> = r
        .drift
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                DRIFT_ID,
                format!("{}: {}", f.state.label(), drift_message(f, lock)),
                true,
            )
        })
        .collect();
    if let Some(line) = behind_line(r) {
        out.push((lock.to_owned(), BEHIND_ID, line, r.fail_behind));
    }
    out
}

/// The reporting descriptors of check's own results, with the `help` code scanning shows.
fn own_rules() -> [Value; 2] {
    [
        json!({
            "id": DRIFT_ID,
            "name": "VendoredFileDrift",
            "shortDescription": {"text": "A vendored contract file differs from protosync.lock."},
            "fullDescription": {"text": "A vendored file was edited, deleted or added by hand; the copy no longer matches the contract commit the lock records."},
            "help": {
                "text": "A vendored file was edited, deleted or added by hand; the copy no longer matches the contract commit protosync.lock records.\n\nMake the change in the contract repository instead, or run `protosync sync --force` to restore the vendored copy (`protosync status` shows each file's state).",
                "markdown": "**PROTOSYNC_DRIFT**: a vendored file was edited, deleted or added by hand; the copy no longer matches the contract commit `protosync.lock` records.\n\nMake the change in the contract repository instead, or run `protosync sync --force` to restore the vendored copy (`protosync status` shows each file's state).",
            },
            "defaultConfiguration": {"level": "error"},
        }),
        json!({
            "id": BEHIND_ID,
            "name": "ContractBehind",
            "shortDescription": {"text": "The contract has changes the vendored copy lacks."},
            "fullDescription": {"text": "The contract's ref moved on and changed vendored files; run protosync sync."},
            "help": {
                "text": "The contract's ref moved on and changed files this repository vendors; protosync.lock still records the older commit.\n\nRun `protosync sync` to update the copy (it refuses a breaking update unless --allow-breaking).",
                "markdown": "**PROTOSYNC_BEHIND**: the contract's ref moved on and changed files this repository vendors; `protosync.lock` still records the older commit.\n\nRun `protosync sync` to update the copy (it refuses a breaking update unless `--allow-breaking`).",
            },
            "defaultConfiguration": {"level": "warning"},
        }),
    ]
}

/// The breaking findings as `breaking --format sarif` prints them, then check's own results;
/// every result has a location (code scanning rejects a log with one that has none).
fn check_sarif(r: &CheckReport, lock: &str) -> String {
    let mut doc = super::sarif::value(&empty_breaking(r));
    let run = &mut doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array_mut()
        .expect("rules array");
    let base = rules.len();
    rules.extend(own_rules());
    let results = run["results"].as_array_mut().expect("results array");
    for (path, id, message, error) in own_results(r, lock) {
        let fingerprint = crate::hash::sha256_hex(format!("{id}\0{path}").as_bytes());
        results.push(json!({
            "ruleId": id,
            "ruleIndex": if id == DRIFT_ID { base } else { base + 1 },
            "level": if error { "error" } else { "warning" },
            "message": {"text": message},
            "locations": [{
                "physicalLocation": {"artifactLocation": {
                    "uri": super::sarif::uri(&path),
                    "uriBaseId": "%SRCROOT%",
                }}
            }],
            "partialFingerprints": {super::sarif::FINGERPRINT_KEY: fingerprint},
        }));
    }
    pretty(&doc)
}

fn check_gitlab(r: &CheckReport, lock: &str) -> String {
    let mut list = super::gitlab::issues(&empty_breaking(r));
    for (path, id, message, error) in own_results(r, lock) {
        list.push(json!({
            "description": format!("{id}: {message}"),
            "check_name": id,
            "fingerprint": crate::hash::sha256_hex(format!("{id}\0{path}\0{message}").as_bytes()),
            "severity": if error { "major" } else { "minor" },
            "location": {"path": path, "lines": {"begin": 1}},
        }));
    }
    pretty(&Value::Array(list))
}

fn xml(s: &str) -> String {
    super::junit::escape(s, true)
}

fn check_junit(r: &CheckReport, lock: &str, strict: bool) -> String {
    let breaking = empty_breaking(r);
    let own = own_results(r, lock);
    let failing_own = own.iter().filter(|o| o.3).count();
    // The breaking suites exactly as `breaking --format junit` prints them.
    let inner = super::junit::suites(&breaking, strict);
    let n_break = breaking.findings.len();
    // The vendored-files suite: one case per drifted file (and the behind check), or one
    // passing case when the copy matches its lock.
    let mut suite = String::new();
    let cases = own.len().max(1);
    suite.push_str(&format!(
        "  <testsuite name=\"vendored files\" tests=\"{cases}\" failures=\"{failing_own}\" errors=\"0\" skipped=\"0\">\n"
    ));
    if own.is_empty() {
        suite.push_str("    <testcase classname=\"PROTOSYNC_DRIFT\" name=\"vendored files match protosync.lock\"/>\n");
    }
    for (path, id, message, error) in &own {
        // The behind check is named for what it checks; it points at protosync.lock.
        let name = if *id == BEHIND_ID { "contract" } else { path };
        let at = if strict {
            String::new()
        } else {
            format!(" file=\"{}\" line=\"1\"", xml(path))
        };
        if *error {
            suite.push_str(&format!(
                "    <testcase classname=\"{id}\" name=\"{}\"{at}><failure message=\"{}\" type=\"{id}\">{}</failure></testcase>\n",
                xml(name),
                xml(message),
                xml(message)
            ));
        } else {
            suite.push_str(&format!(
                "    <testcase classname=\"{id}\" name=\"{}\"{at}><system-out>{}</system-out></testcase>\n",
                xml(name),
                xml(message)
            ));
        }
    }
    suite.push_str("  </testsuite>\n");
    let tests = n_break + cases;
    let failures = n_break + failing_own;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"protosync check\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n{suite}{inner}</testsuites>\n"
    )
}

fn check_markdown(r: &CheckReport, lock: &str) -> String {
    let mut out = String::from("## protosync check\n\n");
    let own = own_results(r, lock);
    if r.drift.is_empty() {
        out.push_str("Vendored files match `protosync.lock`.\n");
    } else {
        out.push_str(&format!(
            "{} differ from `protosync.lock`:\n\n| file | state |\n|---|---|\n",
            plural(r.drift.len(), "vendored file", "vendored files")
        ));
        for f in &r.drift {
            out.push_str(&format!("| `{}` | {} |\n", f.path, f.state.label()));
        }
    }
    for (_, id, message, _) in own.iter().filter(|o| o.1 == BEHIND_ID) {
        out.push_str(&format!("\n**{id}**: {}\n", message.replace('|', "\\|")));
    }
    if let Some(b) = &r.breaking {
        let md = super::render(b, super::Format::Markdown);
        // Demote the breaking report's heading under ours.
        out.push('\n');
        out.push_str(&md.replacen("## ", "### ", 1));
    }
    out
}
