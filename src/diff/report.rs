//! The changelog of a comparison already made: the walk's changes with the breaking findings
//! attached, the semver verdict and the package advice. Callers that compare (`diff::run`,
//! `pipeline::compare_targets`) build it here, so this file must not import the pipeline.

use std::collections::HashMap;

use super::changes::{self, Change, Impact, Kind};
use super::semver::{self, PackageAdvice, Semver};
use super::walk;
use crate::breaking::report::Report as BreakingReport;
use crate::breaking::{Finding, Version};
use crate::model::{Schema, Span};

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

/// The changelog of a comparison that has been made: every change from `prev` to `cur`, the
/// breaking report's findings attached, with its verdict and advice (what `diff` prints; the
/// sync pull requests and the `impact` comment carry it too).
pub fn of(prev: &Schema, cur: &Schema, breaking: &BreakingReport) -> DiffReport {
    let changes = diff(prev, cur, &breaking.findings);
    DiffReport {
        version: breaking.version,
        semver: semver::verdict(&changes),
        packages: semver::advice(&changes),
        changes,
        files: breaking.files,
        against_files: breaking.against_files,
    }
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
// long: one matching pass (by name, by parent, by enclosing message) over the findings.
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
