//! `protosync diff`: every semantic change between two versions of a schema, each with its
//! impact (breaking under the configured rules, compatible, or cosmetic), the semver verdict
//! and the package-version advice (docs/DIFF.md).
//!
//! The walk (`walk`) reads only the schema model; which changes are breaking comes from the
//! breaking engine's findings, attached to the changes they are about (`attach`). Renames and
//! moves are recognised by structure (`renames`), which also hints the findings of `breaking`.
//! Structural wire identity of types (`structure`) serves the opt-in structural mode of the
//! WIRE checks. Nothing here prints (report::diff does).

pub mod changes;
pub mod renames;
pub mod semver;
mod walk;

use std::collections::HashMap;

use anyhow::Result;

use crate::breaking::{Finding, Version};
use crate::model::{Schema, Span};
use crate::pipeline::{self, BreakingOptions, Paths};
pub use changes::{Change, Impact, Kind};
pub use semver::{PackageAdvice, Semver, Stability};

/// What `diff` found.
#[derive(Debug, Clone)]
pub struct DiffReport {
    pub version: Version,
    /// Sorted by path (pathless first), line, column, change, element.
    pub changes: Vec<Change>,
    pub semver: Semver,
    /// One entry per package with a breaking change.
    pub packages: Vec<PackageAdvice>,
    pub files: usize,
    pub against_files: usize,
}

impl DiffReport {
    /// Whether a change of this impact or worse exists (`--fail-on`): `Compatible` also
    /// matches breaking changes.
    pub fn has(&self, at_least: Impact) -> bool {
        self.changes.iter().any(|c| c.impact <= at_least)
    }
}

/// Loads, compiles and compares both sides as `breaking` does (same configuration, same
/// findings), then lists every change.
pub fn run(opts: &BreakingOptions) -> Result<DiffReport> {
    let (report, cur, prev) = pipeline::run_breaking_with_schemas(opts, Paths::Module)?;
    let t = std::time::Instant::now();
    let changes = diff(&prev, &cur, &report.findings);
    crate::trace::since("diff", t);
    let out = DiffReport {
        version: report.version,
        semver: semver::verdict(&changes),
        packages: semver::advice(&changes),
        changes,
        files: report.files,
        against_files: report.against_files,
    };
    std::thread::spawn(move || drop((cur, prev)));
    Ok(out)
}

/// Every change from `prev` to `cur`, with the given breaking findings attached.
pub fn diff(prev: &Schema, cur: &Schema, findings: &[Finding]) -> Vec<Change> {
    let mut changes = walk::walk(prev, cur);
    attach(&mut changes, findings, prev, cur);
    sort(&mut changes);
    changes
}

fn sort(changes: &mut [Change]) {
    changes.sort_by(|a, b| {
        let key = |c: &Change| {
            let s = c.span.unwrap_or(Span::UNKNOWN);
            (c.path.clone(), s.start_line, s.start_column)
        };
        key(a)
            .cmp(&key(b))
            .then(a.kind.cmp(&b.kind))
            .then(a.element.cmp(&b.element))
            .then(a.from.cmp(&b.from))
    });
}

/// Marks the changes breaking findings are about: the first change of one of the rule's kinds
/// on the finding's element (or its old name), else on an element inside it; a finding that no
/// change accounts for becomes a `changed` change of its own.
// long: the change index and the matching of each finding share the maps built at the top.
fn attach(changes: &mut Vec<Change>, findings: &[Finding], prev: &Schema, cur: &Schema) {
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_parent: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        let mut names = vec![c.element.clone()];
        names.extend(c.aliases.iter().cloned());
        if matches!(
            c.kind,
            Kind::MessageRenamed
                | Kind::MessageMoved
                | Kind::EnumRenamed
                | Kind::EnumMoved
                | Kind::ServiceRenamed
                | Kind::ServiceMoved
                | Kind::FileRenamed
                | Kind::FieldRenamed
                | Kind::EnumValueRenamed
        ) {
            names.extend(c.from.iter().cloned());
        }
        for n in names {
            if let Some((parent, _)) = n.rsplit_once('.') {
                by_parent.entry(parent.to_owned()).or_default().push(i);
            }
            by_name.entry(n).or_default().push(i);
        }
    }
    let mut extra: Vec<Change> = Vec::new();
    for f in findings {
        let kinds = changes::kinds_of(f.rule);
        // The rule's kinds in their order of preference, then the changes in theirs.
        let pick = |list: Option<&Vec<usize>>, kinds: &[Kind]| {
            let l = list?;
            kinds
                .iter()
                .find_map(|k| l.iter().copied().find(|&i| changes[i].kind == *k))
        };
        // An element inside a deleted, renamed or moved message (buf reports each nested one).
        let enclosing = [
            Kind::MessageDeleted,
            Kind::MessageRenamed,
            Kind::MessageMoved,
        ];
        let ancestors = || {
            let mut name = f.element.as_str();
            std::iter::from_fn(move || {
                let (parent, _) = name.rsplit_once('.')?;
                name = parent;
                Some(parent)
            })
        };
        let found = pick(by_name.get(&f.element), kinds)
            .or_else(|| pick(by_parent.get(&f.element), kinds))
            .or_else(|| ancestors().find_map(|a| pick(by_name.get(a), &enclosing)));
        match found {
            Some(i) => {
                let c = &mut changes[i];
                c.impact = Impact::Breaking;
                if !c.rules.contains(&f.rule) {
                    c.rules.push(f.rule);
                    c.rules.sort();
                }
            }
            None => {
                if let Some(c) = extra
                    .iter_mut()
                    .find(|c| c.element == f.element && c.path == f.path && c.span == f.span)
                {
                    if !c.rules.contains(&f.rule) {
                        c.rules.push(f.rule);
                        c.rules.sort();
                    }
                    continue;
                }
                let mut c = Change::new(Kind::Changed, &f.element);
                c.path = f.path.clone();
                c.span = f.span;
                c.impact = Impact::Breaking;
                c.rules = vec![f.rule];
                c.package = [f.path.as_deref(), f.against_path.as_deref()]
                    .into_iter()
                    .flatten()
                    .find_map(|p| cur.file(p).or_else(|| prev.file(p)))
                    .map(|file| file.package.clone())
                    .unwrap_or_default();
                extra.push(c);
            }
        }
    }
    changes.extend(extra);
}
