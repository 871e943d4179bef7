//! `impact --transitive`: the proposed contract judged against every distinct contract commit
//! any service pinned, whole (not only the files each service vendors), so a change that is
//! compatible with the latest pin but breaks an older one is seen before a lagging service
//! syncs. The registries call this BACKWARD_TRANSITIVE.
//!
//! The pins come from the per-service judgement ([`super::impact::run`]: each lock's commit
//! and contract root). The commits are read from the contract repository's objects and compared
//! with the proposal on disk by the same engine as `breaking --against '.git#tag=v*'`
//! ([`crate::pipeline::compare_commits`]), under the configuration found at the contract root
//! (`protosync.toml` or `buf.yaml` there; the default FILE rules otherwise). A pin the
//! repository does not have is listed as unknown, with why.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::impact::{ImpactOptions, ServiceImpact};
use crate::breaking::report::Report;
use crate::input::releases::Release;
use crate::input::{short, Spec};
use crate::pipeline::{compare_commits, BreakingOptions, Paths};

/// One pinned contract commit.
#[derive(Debug, Clone, Serialize)]
pub struct Pin {
    pub commit: String,
    /// The contract root the services read it under.
    pub root: String,
    /// The services whose locks pin it, sorted.
    pub services: Vec<String>,
    /// Findings that break this pin.
    pub findings: usize,
    /// Why it could not be judged.
    pub error: Option<String>,
}

/// The proposal against every pin.
#[derive(Debug, Clone)]
pub struct Transitive {
    /// Oldest commit first.
    pub pins: Vec<Pin>,
    /// Every finding once, its `releases` the pins (short commits) it breaks; paths are
    /// contract-repository paths.
    pub report: Report,
}

impl Transitive {
    pub fn breaking(&self) -> bool {
        !self.report.findings.is_empty()
    }
}

/// Judges the proposal in `opts.contract_dir` against every commit `results` pinned.
// long: group the pins by root, order them, check each is there, compare, count per pin.
pub fn run(results: &[ServiceImpact], opts: &ImpactOptions) -> Result<Transitive> {
    let repo = git2::Repository::discover(&opts.contract_dir).map_err(|e| {
        anyhow!(
            "--transitive reads the pinned commits from the contract repository's history, and {} is not in a git repository ({})",
            opts.contract_dir.display(),
            e.message()
        )
    })?;
    let top = repo
        .workdir()
        .map(|p| p.to_path_buf())
        .unwrap_or_else(|| opts.contract_dir.clone());
    let mut by_pin: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in results {
        if let (Some(commit), Some(root)) = (&r.pinned, &r.contract_root) {
            by_pin
                .entry((root.clone(), commit.clone()))
                .or_default()
                .push(r.name.clone());
        }
    }
    let pins: Vec<(Pin, Option<i64>)> = by_pin
        .into_iter()
        .map(|((root, commit), mut services)| {
            services.sort();
            let found = git2::Oid::from_str(&commit)
                .ok()
                .and_then(|oid| repo.find_commit(oid).ok())
                .map(|c| c.time().seconds());
            let error = found.is_none().then(|| {
                "not in the contract repository (fetch its history: a shallow clone lacks old commits)"
                    .to_owned()
            });
            let pin = Pin {
                commit,
                root,
                services,
                findings: 0,
                error,
            };
            (pin, found)
        })
        .collect();
    // Oldest first: by how many of the other pins are its ancestors (its place in a linear
    // history), then commit time, then id.
    let oids: Vec<Option<git2::Oid>> = pins
        .iter()
        .map(|(p, _)| git2::Oid::from_str(&p.commit).ok())
        .collect();
    let depth = |i: usize| -> usize {
        let Some(me) = oids[i] else { return 0 };
        oids.iter()
            .flatten()
            .filter(|o| **o != me && repo.graph_descendant_of(me, **o).unwrap_or(false))
            .count()
    };
    let mut keyed: Vec<(usize, Option<i64>, String, Pin)> = pins
        .into_iter()
        .enumerate()
        .map(|(i, (p, time))| (depth(i), time, p.commit.clone(), p))
        .collect();
    keyed.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let mut pins: Vec<Pin> = keyed.into_iter().map(|k| k.3).collect();
    let mut report = Report::empty(crate::breaking::Version::V2);
    let mut roots: Vec<String> = pins.iter().map(|p| p.root.clone()).collect();
    roots.dedup();
    roots.sort();
    roots.dedup();
    for root in roots {
        let judged: Vec<usize> = (0..pins.len())
            .filter(|&i| pins[i].root == root && pins[i].error.is_none())
            .collect();
        if judged.is_empty() {
            continue;
        }
        let releases: Vec<Release> = judged
            .iter()
            .enumerate()
            .map(|(index, &i)| Release {
                names: vec![short_of(&pins[i].commit)],
                commit: git2::Oid::from_str(&pins[i].commit).expect("checked above"),
                indexes: vec![index],
            })
            .collect();
        let dir = if root.is_empty() {
            opts.contract_dir.clone()
        } else {
            opts.contract_dir.join(&root)
        };
        let input = Spec::dir(&dir);
        let against = Spec::git_commit(&top, &pins[judged[0]].commit, &root);
        let bopts = BreakingOptions {
            load: opts.load.clone(),
            ..BreakingOptions::default()
        };
        let mut one = compare_commits(&input, &against, releases, None, &bopts, Paths::Module)?;
        for f in &mut one.findings {
            f.path = f.path.take().map(|p| in_root(&root, &p));
            f.against_path = f.against_path.take().map(|p| in_root(&root, &p));
            for r in &f.releases {
                if let Some(&i) = judged.get(r.index) {
                    pins[i].findings += 1;
                }
            }
        }
        report.version = one.version;
        report.files += one.files;
        report.against_files = report.against_files.max(one.against_files);
        report.allowed += one.allowed;
        report.findings.extend(one.findings);
        report.releases.extend(one.releases);
    }
    crate::breaking::sort_findings(&mut report.findings);
    Ok(Transitive { pins, report })
}

fn short_of(commit: &str) -> String {
    git2::Oid::from_str(commit)
        .map(|o| short(&o))
        .unwrap_or_else(|_| commit.to_owned())
}

fn in_root(root: &str, rel: &str) -> String {
    if root.is_empty() {
        rel.to_owned()
    } else {
        format!("{root}/{rel}")
    }
}
