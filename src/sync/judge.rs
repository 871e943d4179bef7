//! The breaking verdict of a sync: the pinned copy against the contract's new files, under the
//! service's own `[breaking]` rules.

use std::collections::HashMap;

use anyhow::{anyhow, Result};

use super::plan::FileView;
use super::workspace::{locked_commit, Upstream, Workspace};
use crate::breaking::report::Report as BreakingReport;
use crate::config::rules::Overrides;
use crate::diff::DiffReport;
use crate::input::LoadOptions;
use crate::pipeline::{self, TargetTree};

/// Breaking changes of the pinned copy (the contract at the locked commit; the files on disk
/// when that commit is not at hand or a file is not in the lock) → the contract's new files,
/// under the service's `[breaking]` configuration, with the changelog of every change (none
/// when nothing was compared). Paths in the findings and changes are the service's.
pub(super) fn judge(
    ws: &Workspace,
    up: &Upstream,
    views: &[FileView],
    opts: &LoadOptions,
) -> Result<(BreakingReport, Option<DiffReport>)> {
    let layout = &ws.layout;
    // The pinned version: the contract at the locked commit, when it is at hand.
    let pinned = locked_commit(ws)
        .and_then(|c| up.contract.find_commit(c))
        .and_then(|c| {
            up.contract
                .protos(c, &up.cfg.contract.root, &opts.blobs)
                .ok()
        });
    // The old copy, at its contract paths: what the lock pinned (local edits are not the
    // contract's change; they are refused separately), else what is on disk.
    let mut prev = crate::compile::SourceTree {
        files: pinned.clone().unwrap_or_else(|| up.protos.clone()),
        includes: Vec::new(),
        ..Default::default()
    };
    let mut service_path: HashMap<(bool, String), String> = HashMap::new();
    let mut prev_targets = Vec::new();
    for v in views {
        let Some(rel) = v.rel.clone() else { continue };
        let from_pin =
            v.locked_sha.is_some() && pinned.as_ref().is_some_and(|p| p.contains_key(&rel));
        if !from_pin {
            let owned = v.locked_sha.is_some() || v.new.is_some();
            let Some(disk) = v.disk.as_deref().filter(|_| owned) else {
                continue;
            };
            let text =
                std::str::from_utf8(disk).map_err(|_| anyhow!("{}: not valid UTF-8", v.path))?;
            prev.files.insert(rel.clone(), text.into());
        }
        service_path.insert((false, rel.clone()), v.path.clone());
        prev_targets.push(rel);
    }
    if prev_targets.is_empty() {
        let report = BreakingReport {
            files: up.targets.len(),
            ..BreakingReport::empty(layout.version)
        };
        return Ok((report, None));
    }
    for t in &up.targets {
        service_path.insert((true, t.rel.clone()), t.path.clone());
    }
    // The service's `[deps]` (and `--dep`) serve the contract's imports on both sides.
    let (imports, _) = pipeline::dependency_files(&layout.deps, opts, "contract")?;
    prev.imports = imports.clone();
    let cur = crate::compile::SourceTree {
        files: up.protos.clone(),
        includes: Vec::new(),
        imports,
    };
    let (mut report, mut changes) = pipeline::compare_targets(
        TargetTree {
            tree: prev,
            targets: prev_targets,
            label: "vendored copy".into(),
        },
        TargetTree {
            tree: cur,
            targets: up.targets.iter().map(|t| t.rel.clone()).collect(),
            label: format!("contract {}", crate::input::short(&up.contract.commit)),
        },
        layout,
        &Overrides::default(),
    )?;
    to_service_paths(&mut report, &mut changes, &service_path);
    Ok((report, Some(changes)))
}

/// Renames the contract paths of the findings and changes to the service's paths (`true`: the
/// contract's new files, `false`: the pinned copy).
fn to_service_paths(
    report: &mut BreakingReport,
    changes: &mut DiffReport,
    service_path: &HashMap<(bool, String), String>,
) {
    for f in &mut report.findings {
        if let Some(p) = &f.path {
            if let Some(s) = service_path.get(&(true, p.clone())) {
                f.path = Some(s.clone());
            }
        }
        if let Some(p) = &f.against_path {
            if let Some(s) = service_path.get(&(false, p.clone())) {
                f.against_path = Some(s.clone());
            }
        }
    }
    for c in &mut changes.changes {
        if let Some(p) = &c.path {
            let s = service_path
                .get(&(true, p.clone()))
                .or_else(|| service_path.get(&(false, p.clone())));
            if let Some(s) = s {
                c.path = Some(s.clone());
            }
        }
    }
}
