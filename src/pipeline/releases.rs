//! `breaking --against '.git#tag=v*'`: the input checked against every release a tag pattern
//! names, each finding reported once with the releases it breaks.
//!
//! The input is compiled once. The releases are read from git objects one after the other
//! (newest first, blobs shared through the run's `BlobCache`), tags with identical trees are one
//! version, and each version is compiled incrementally against the one read before it
//! (`compile::series`): only what changed between neighbouring releases is parsed and linked,
//! and unchanged files share one model. Comparing and filtering a version runs on a second
//! thread while the next one compiles.

use std::collections::HashMap;
use std::sync::mpsc;

use anyhow::{anyhow, bail, Result};
use git2::Repository;

use super::{
    dependency_files, input_files, load_side, read_side, shown_path, BreakingOptions,
    BreakingReport, Paths,
};
use crate::breaking::{self, Finding, Release};
use crate::compile::series::Series;
use crate::config::{self, Layout};
use crate::input::{self, releases, short, Files};
use crate::model::{self, Schema};
use crate::trace::since as trace;

/// One release compiled: its schema and how its files map to modules.
struct Compiled {
    release: releases::Release,
    schema: std::sync::Arc<Schema>,
    module_of: HashMap<String, usize>,
    layout: Layout,
}

/// Checks `input_spec` against every release `pattern` names in `against_spec`'s repository.
/// `layout`, when given, lays out every side and its rules judge (as in `compare_inputs`).
pub(super) fn compare_releases(
    input_spec: &input::Spec,
    against_spec: &input::Spec,
    pattern: &str,
    given: Option<&Layout>,
    opts: &BreakingOptions,
    paths: Paths,
) -> Result<BreakingReport> {
    if against_spec.is_remote() {
        return Err(anyhow!(
            "against {:?}: tag patterns read the tags of a local repository; clone or fetch \
             the repository with its tags and name its path (`../contracts#format=git,tag=v*`)",
            against_spec.raw
        ));
    }
    let repo = open(against_spec)?;
    let found = releases::expand(&repo, pattern, against_spec.subdir.as_deref())
        .map_err(|e| anyhow!("against {:?}: {e}", against_spec.raw))?;
    compare_commits(input_spec, against_spec, found, given, opts, paths)
}

fn open(against_spec: &input::Spec) -> Result<Repository> {
    Repository::open(&against_spec.location).map_err(|e| {
        anyhow!(
            "against {:?}: {} is not a git repository ({})",
            against_spec.raw,
            against_spec.location,
            e.message()
        )
    })
}

/// Checks `input_spec` against each of `found`, commits of the local repository
/// `against_spec` names (its location and `subdir`; its revision is not used), in that order:
/// what [`compare_releases`] does after matching the tags, and `impact --transitive` with the
/// commits services pinned. Each finding's `releases` are the names of the versions it breaks.
// long: the steps of the run in order (the input, the compile thread feeding the compare
// loop, the merge); the two halves share the input's schema and layout by reference.
pub fn compare_commits(
    input_spec: &input::Spec,
    against_spec: &input::Spec,
    found: Vec<releases::Release>,
    given: Option<&Layout>,
    opts: &BreakingOptions,
    paths: Paths,
) -> Result<BreakingReport> {
    let t = std::time::Instant::now();
    let repo = open(against_spec)?;
    let subdir = against_spec.subdir.as_deref();
    let mut names: Vec<String> = Vec::new();
    for r in &found {
        for (n, i) in r.names.iter().zip(&r.indexes) {
            if names.len() <= *i {
                names.resize(*i + 1, String::new());
            }
            names[*i] = n.clone();
        }
    }
    if input_spec.format == input::Format::ProtoFile {
        bail!(
            "input {:?}: a single .proto file cannot be checked against a tag pattern; give its \
             module directory as the input and the file with --path",
            input_spec.raw
        );
    }
    let (cur_side, layout) = load_side(input_spec, opts, "input", true, given, None)?;
    let rules = config::rules::resolve(&layout, &opts.overrides)?;
    let mut series = Series::new();
    let cur = match cur_side.source {
        Ok(tree) => {
            let inc = series.next(tree, "input").map_err(|e| anyhow!(e))?;
            model::build(&inc.compiled)
        }
        Err(image) => model::build(&image),
    };
    trace("input", t);
    let enabled = rules.enabled();
    let structural = rules.modules.iter().any(|m| m.structural);
    let mut merged = Merged::default();
    let (tx, rx) = mpsc::sync_channel::<Compiled>(1);
    let cur_ref = &cur;
    let compiled: Result<()> = std::thread::scope(|s| {
        let producer = s.spawn(move || -> Result<()> {
            let mut base: Option<std::sync::Arc<Schema>> = None;
            // Newest first: neighbouring releases share the most.
            for release in found.into_iter().rev() {
                let name = &release.names[0];
                let label = format!(
                    "{}@{name} ({})",
                    against_spec.location,
                    short(&release.commit)
                );
                let files = input::git::read_commit(
                    &repo,
                    release.commit,
                    subdir,
                    &label,
                    &opts.load.blobs,
                )
                .map_err(|e| anyhow!("against {:?}: {e}", against_spec.raw))?;
                let layout = match (given, &opts.against_config) {
                    (Some(l), _) => l.clone(),
                    (None, Some(path)) => config::load(&files as &dyn Files, Some(path))?,
                    (None, None) => config::load_layout_only(&files as &dyn Files)?,
                };
                let side = read_side(&files, &layout, &opts.includes, &label, None)?;
                let mut tree = side
                    .source
                    .map_err(|_| anyhow!("{label}: not a source tree"))?;
                // Each release's own buf.yaml/buf.lock dependencies, as for one `--against`.
                tree.imports = dependency_files(&layout.deps, &opts.load, &label)?.0;
                let inc = series.next(tree, &label).map_err(|e| anyhow!(e))?;
                let schema = std::sync::Arc::new(match &base {
                    Some(b) => model::build_incremental(&inc.compiled, &inc.unchanged, b),
                    None => model::build_incremental(&inc.compiled, &inc.unchanged, cur_ref),
                });
                std::thread::spawn(move || drop(inc));
                let next = Compiled {
                    release,
                    schema: schema.clone(),
                    module_of: side.module_of,
                    layout,
                };
                base = Some(schema);
                if tx.send(next).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for c in rx {
            let findings = breaking::compare_with(
                &c.schema,
                &cur,
                &enabled,
                breaking::CompareOptions { structural },
            );
            let mut kept = rules.filter(
                findings,
                (&cur_side.module_of, &c.module_of),
                &cur,
                &c.schema,
            );
            crate::diff::renames::hint(&c.schema, &cur, &mut kept.findings);
            if paths != Paths::Module {
                let cur_info = (input_spec, &layout, &cur_side.module_of);
                let prev_info = (against_spec, &c.layout, &c.module_of);
                for f in kept
                    .findings
                    .iter_mut()
                    .chain(kept.allowed_findings.iter_mut())
                {
                    f.path = f.path.take().map(|p| shown_path(&p, cur_info, paths));
                    f.against_path = f
                        .against_path
                        .take()
                        .map(|p| shown_path(&p, prev_info, paths));
                }
            }
            merged.add(&c.release, kept, c.schema.files.len());
        }
        producer.join().expect("release compiler")
    });
    compiled?;
    trace("releases", t);
    let mut report = merged.finish(layout.version, cur.files.len(), names);
    if !opts.targets.is_empty() {
        let side = (input_spec, &layout, &cur_side.module_of);
        let files = input_files(&cur, side, paths);
        opts.targets.apply(&mut report.findings, &files)?;
    }
    std::thread::spawn(move || drop(cur));
    Ok(report)
}

/// What a finding is, whichever release it was found against: where it points, its rule and
/// its message.
type Key = (
    Option<String>,
    Option<crate::model::Span>,
    &'static str,
    String,
);

fn key(f: &Finding) -> Key {
    (f.path.clone(), f.span, f.rule.as_str(), f.message.clone())
}

/// The findings of every release so far, each once.
#[derive(Default)]
struct Merged {
    findings: Vec<Finding>,
    at: HashMap<Key, usize>,
    allowed: std::collections::HashSet<Key>,
    /// Allowances unused so far (by place), and the latest states of expiring ones.
    unused: Option<Vec<breaking::report::Allowance>>,
    expired: Vec<breaking::report::Allowance>,
    expiring: Vec<breaking::report::Allowance>,
    against_files: usize,
}

impl Merged {
    fn add(&mut self, release: &releases::Release, kept: breaking::report::Filtered, files: usize) {
        let names: Vec<Release> = release
            .names
            .iter()
            .zip(&release.indexes)
            .map(|(name, &index)| Release {
                name: name.clone(),
                index,
            })
            .collect();
        for f in kept.findings {
            let k = key(&f);
            match self.at.get(&k) {
                Some(&i) => {
                    // The hint is the newest release's (the first seen): what the proposal
                    // looks like next to an older release may not hold for the latest.
                    self.findings[i].releases.extend(names.iter().cloned());
                }
                None => {
                    self.at.insert(k, self.findings.len());
                    let mut f = f;
                    f.releases = names.clone();
                    self.findings.push(f);
                }
            }
        }
        self.allowed.extend(kept.allowed_findings.iter().map(key));
        // An allowance is unused when no release's comparison used it.
        self.unused = Some(match self.unused.take() {
            None => kept.unused_allowances,
            Some(before) => before
                .into_iter()
                .filter(|a| kept.unused_allowances.iter().any(|u| u.place == a.place))
                .collect(),
        });
        self.expired = kept.expired_allowances;
        self.expiring = kept.expiring_allowances;
        self.against_files = self.against_files.max(files);
    }

    fn finish(
        mut self,
        version: breaking::Version,
        files: usize,
        releases: Vec<String>,
    ) -> BreakingReport {
        for f in &mut self.findings {
            f.releases.sort_by_key(|r| r.index);
        }
        breaking::sort_findings(&mut self.findings);
        let mut report = BreakingReport::new(
            version,
            breaking::report::Filtered {
                findings: self.findings,
                unused_allowances: self.unused.unwrap_or_default(),
                expired_allowances: self.expired,
                expiring_allowances: self.expiring,
                allowed: self.allowed.len(),
                allowed_findings: Vec::new(),
            },
            files,
            self.against_files,
        );
        report.releases = releases;
        report
    }
}
