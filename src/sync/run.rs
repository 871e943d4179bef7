//! `protosync sync`: plan (what the contract's files mean for each vendored file), decide
//! (refused for local edits or breaking changes, dry, up to date, or applied) and apply (files
//! first, the lock last). The [`Plan`] is what dry runs, text and JSON all show.

use std::path::Path;

use anyhow::{bail, Result};
use serde::Serialize;

use super::fsafe::{self, Change};
use super::judge::judge;
use super::lock::{sha256_hex, Lock, LockedContract, LockedFile};
use super::plan::{self, Action, FileView};
use super::roots::Hint;
use super::workspace::{behind_commits, lock_repo, upstream, ContractInfo, Upstream, Workspace};
use crate::breaking::report::Report as BreakingReport;
use crate::input::LoadOptions;

/// Options of `sync` (and of the first sync `init` does).
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Follow this ref instead of `contract.ref`.
    pub ref_: Option<String>,
    pub dry_run: bool,
    pub allow_breaking: bool,
    pub force: bool,
    pub load: LoadOptions,
}

/// One file a sync adds, changes or deletes.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    pub from: Option<String>,
    pub action: Action,
    pub added_lines: usize,
    pub removed_lines: usize,
    /// Unified diff, `a/PATH` → `b/PATH`.
    pub diff: String,
}

/// A changed file in the commit, for the pull request's table.
#[derive(Debug, Clone, Serialize)]
pub struct CommittedFile {
    pub path: String,
    /// `added`, `modified`, `deleted`.
    pub change: &'static str,
    pub added_lines: usize,
    pub removed_lines: usize,
}

/// A local edit a sync would overwrite or delete.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub path: String,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Files and lock already match the contract: nothing written.
    UpToDate,
    /// No vendored file changed; the lock moved to the new commit.
    LockUpdated,
    /// Files and lock written.
    Updated,
    /// `--dry-run`: what would be written was shown, nothing was.
    DryRun,
    /// Breaking changes and no `--allow-breaking`: nothing written.
    RefusedBreaking,
    /// Local edits and no `--force`: nothing written.
    RefusedLocalEdits,
}

impl Outcome {
    /// The copy now matches the contract (written, or already there): what may be published.
    pub fn completed(self) -> bool {
        matches!(
            self,
            Outcome::Updated | Outcome::LockUpdated | Outcome::UpToDate
        )
    }
}

/// What a sync would change, before anything is decided or written: the file changes with
/// their diffs, the local edits in their way, what is left alone, and the new lock.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    /// Local edits in the way (overwritten with `--force`).
    pub conflicts: Vec<Conflict>,
    /// Files under mapped directories that protosync does not own: left alone.
    pub extra: Vec<String>,
    /// `init` adopting an existing copy: files that differ from the contract, kept as they are
    /// (`status` shows them as edited).
    pub kept: Vec<String>,
    /// The file changes (written unless refused or dry) and the new lock's bytes.
    #[serde(skip)]
    pub writes: Vec<Change>,
    #[serde(skip)]
    pub lock_bytes: String,
    /// The lock on disk already has these bytes.
    #[serde(skip)]
    pub lock_same: bool,
}

/// What `sync` did (or would do).
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub outcome: Outcome,
    pub contract: ContractInfo,
    #[serde(flatten)]
    pub plan: Plan,
    pub dry_run: bool,
    pub forced: bool,
    pub allowed_breaking: bool,
    #[serde(skip)]
    pub breaking: BreakingReport,
    /// Every change of the vendored files' schema (the pull request's changelog); none when
    /// nothing was compared.
    #[serde(skip)]
    pub changes: Option<crate::diff::DiffReport>,
}

impl SyncReport {
    pub fn exit_code(&self) -> i32 {
        if !self.plan.conflicts.is_empty() && !self.forced {
            2
        } else if !self.breaking.findings.is_empty() && !self.allowed_breaking {
            1
        } else {
            0
        }
    }
}

/// `protosync sync`.
pub fn sync(config_path: &Path, opts: &SyncOptions) -> Result<SyncReport> {
    Ok(sync_in(config_path, opts, |_| Ok(()))?.1)
}

/// Loads the workspace of `config_path`, runs `before` on it, then syncs it, holding the
/// repository's sync lock (unless dry); returns the workspace with the report.
pub fn sync_in(
    config_path: &Path,
    opts: &SyncOptions,
    before: impl FnOnce(&Workspace) -> Result<()>,
) -> Result<(Workspace, SyncReport)> {
    let root = config_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let _guard = if opts.dry_run {
        None
    } else {
        Some(lock_repo(root)?)
    };
    let ws = Workspace::load(config_path)?;
    before(&ws)?;
    let report = run_sync(&ws, opts, false, None)?;
    Ok((ws, report))
}

/// Plans and (unless refused or dry) applies a sync. `adopt` (init): local files that differ
/// are kept and recorded against the contract's bytes instead of being a conflict.
/// `then`: a file written after the lock (init's `protosync.toml`).
pub fn run_sync(
    ws: &Workspace,
    opts: &SyncOptions,
    adopt: bool,
    then: Option<(&Path, &str)>,
) -> Result<SyncReport> {
    let disk = plan::scan(&ws.cfg, ws.lock.as_ref())?;
    run_sync_on(ws, opts, adopt, then, disk)
}

/// Plans (and unless refused or dry, applies) a sync whose current files are `disk` (the
/// vendored files and lock-listed paths, as [`plan::scan`] returns them; fan-out reads them
/// from a commit instead).
pub fn run_sync_on(
    ws: &Workspace,
    opts: &SyncOptions,
    adopt: bool,
    then: Option<(&Path, &str)>,
    disk: std::collections::BTreeMap<String, Vec<u8>>,
) -> Result<SyncReport> {
    let ref_ = opts
        .ref_
        .clone()
        .unwrap_or_else(|| ws.cfg.contract.ref_.clone());
    let hint = if adopt { Hint::Flag } else { Hint::Config };
    let up = upstream(ws, &ref_, &opts.load, hint)?;
    let views = plan::views(&up.cfg, ws.lock.as_ref(), disk, Some(&up.targets));
    let planned = plan_sync(ws, &up, &ref_, &views, adopt);
    let (breaking, changes) = if planned.changes.is_empty() || adopt {
        (BreakingReport::empty(ws.layout.version), None)
    } else {
        judge(ws, &up, &views, &opts.load)?
    };
    let outcome = decide(&planned, &breaking, opts, then.is_some());
    if matches!(outcome, Outcome::LockUpdated | Outcome::Updated) {
        apply(ws, &planned, then)?;
    }
    Ok(SyncReport {
        outcome,
        contract: ContractInfo {
            repo: ws.cfg.contract.repo.clone(),
            ref_,
            locked_commit: ws.lock.as_ref().map(|l| l.contract.commit.clone()),
            commit: Some(up.contract.commit.to_string()),
            behind_commits: behind_commits(ws, &up),
        },
        plan: planned,
        dry_run: opts.dry_run,
        forced: opts.force,
        allowed_breaking: opts.allow_breaking,
        breaking,
        changes,
    })
}

/// What syncing the files `views` describe to the contract at `up` (followed as `ref_`) would
/// change. `adopt`: local files that differ are kept instead of being a conflict.
fn plan_sync(ws: &Workspace, up: &Upstream, ref_: &str, views: &[FileView], adopt: bool) -> Plan {
    let mut out = Plan {
        changes: Vec::new(),
        conflicts: Vec::new(),
        extra: Vec::new(),
        kept: Vec::new(),
        writes: Vec::new(),
        lock_bytes: String::new(),
        lock_same: false,
    };
    for v in views {
        let (action, conflict) = v.action();
        match action {
            Action::Leave => {
                out.extra.push(v.path.clone());
                continue;
            }
            Action::Unchanged => continue,
            _ => {}
        }
        if let Some(reason) = conflict {
            if adopt {
                out.kept.push(v.path.clone());
                continue;
            }
            out.conflicts.push(Conflict {
                path: v.path.clone(),
                reason,
            });
        }
        let (diff, added, removed) =
            plan::unified_diff(&v.path, v.disk.as_deref(), v.new.as_deref());
        out.changes.push(FileChange {
            path: v.path.clone(),
            from: v.from.clone(),
            action,
            added_lines: added,
            removed_lines: removed,
            diff,
        });
        out.writes.push(Change {
            path: v.path.clone(),
            new: v.new.as_ref().map(|t| t.as_bytes().to_vec()),
        });
    }
    let new_lock = Lock {
        contract: LockedContract {
            repo: ws.cfg.contract.repo.clone(),
            ref_: ref_.to_owned(),
            commit: up.contract.commit.to_string(),
        },
        files: up
            .targets
            .iter()
            .map(|t| {
                (
                    t.path.clone(),
                    LockedFile {
                        sha256: sha256_hex(t.text.as_bytes()),
                        from: up.cfg.contract.repo_path(&t.rel),
                    },
                )
            })
            .collect(),
        places: Default::default(),
    };
    out.lock_bytes = new_lock.to_toml();
    out.lock_same = std::fs::read(&ws.lock_path).ok().as_deref() == Some(out.lock_bytes.as_bytes());
    out
}

/// What happens to `plan`: refused (local edits without `--force`, breaking changes without
/// `--allow-breaking`), nothing to do, a dry run, or written. `then`: a file is written after
/// the lock (init's configuration), so there is something to do.
fn decide(plan: &Plan, breaking: &BreakingReport, opts: &SyncOptions, then: bool) -> Outcome {
    if !plan.conflicts.is_empty() && !opts.force {
        Outcome::RefusedLocalEdits
    } else if !breaking.findings.is_empty() && !opts.allow_breaking {
        Outcome::RefusedBreaking
    } else if plan.changes.is_empty() && plan.lock_same && !then {
        Outcome::UpToDate
    } else if opts.dry_run {
        Outcome::DryRun
    } else if plan.changes.is_empty() {
        Outcome::LockUpdated
    } else {
        Outcome::Updated
    }
}

/// Writes `plan`: the files (each atomically), then the lock, then `then`.
fn apply(ws: &Workspace, plan: &Plan, then: Option<(&Path, &str)>) -> Result<()> {
    // The last line of defence of the vendored set: whatever the lock, the contract and the
    // disk say, a sync writes and deletes only .proto files under a mapping's `to`.
    let vendored = plan::VendoredSet::new(&ws.cfg);
    if let Some(bad) = plan.writes.iter().find(|c| !vendored.contains(&c.path)) {
        bail!(
            "refusing to {} {:?}: it is not a .proto file under a [[vendor]] mapping's `to` (nothing was written)",
            if bad.new.is_some() { "write" } else { "delete" },
            bad.path
        );
    }
    // init on a copy that already matches: only the configuration is new.
    if !(plan.changes.is_empty() && plan.lock_same) {
        fsafe::apply(
            ws.root(),
            &plan.writes,
            &ws.lock_path,
            plan.lock_bytes.as_bytes(),
            None,
        )?;
    }
    if let Some((path, text)) = then {
        fsafe::write_atomic(path, text.as_bytes())?;
    }
    Ok(())
}
