//! `protosync check`: drift against the lock, breaking changes against `--against`, and
//! whether the contract moved on; also on what is staged for commit (`--staged`).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::config::CONFIG_FILE;
use super::lock::{Lock, LOCK_FILE};
use super::plan::{self, FileState};
use super::roots::Hint;
use super::status::{file_status, FileStatus};
use super::workspace::{behind_commits, locked_commit, upstream, ContractInfo, Workspace};
use crate::breaking::report::Report as BreakingReport;
use crate::input::{self, LoadOptions};
use crate::pipeline::{self, BreakingOptions, Paths};

/// Options of `check`.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Compare the repository's protos with this input (`.git#branch=main`).
    pub against: Option<String>,
    /// Fail when the contract has changes the copy does not have (fetches the contract).
    pub fail_behind: bool,
    pub load: LoadOptions,
}

/// The contract being ahead of the lock, as `check` sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Behind {
    pub contract: ContractInfo,
    /// Vendored files the contract changed, added or deleted.
    pub files: Vec<FileStatus>,
}

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// Vendored files that differ from the lock (edited, missing, extra; `protosync.lock`
    /// itself when it is missing).
    pub drift: Vec<FileStatus>,
    /// `None` when the contract was not consulted (not available offline).
    pub behind: Option<Behind>,
    /// Why the contract was not consulted.
    pub behind_unknown: Option<String>,
    pub fail_behind: bool,
    #[serde(skip)]
    pub breaking: Option<BreakingReport>,
}

impl CheckReport {
    pub fn is_behind(&self) -> bool {
        self.behind.as_ref().is_some_and(|b| !b.files.is_empty())
    }

    pub fn exit_code(&self) -> i32 {
        let breaking = self
            .breaking
            .as_ref()
            .is_some_and(|b| !b.findings.is_empty());
        if !self.drift.is_empty() || breaking || (self.fail_behind && self.is_behind()) {
            1
        } else {
            0
        }
    }
}

/// `protosync check`: drift against the lock (no network), breaking changes against
/// `--against`, and whether the contract moved on (from a local contract or the cache; with
/// `--fail-behind`, fetched).
pub fn check(config_path: &Path, opts: &CheckOptions) -> Result<CheckReport> {
    let ws = Workspace::load(config_path)?;
    let disk = plan::scan(&ws.cfg, ws.lock.as_ref())?;
    check_files(&ws, disk, opts, || match &opts.against {
        None => Ok(None),
        Some(against) => Ok(Some(own_breaking(&ws, against, &opts.load)?)),
    })
}

/// The lock (when missing) and the files that differ from it.
fn drift_of(
    ws: &Workspace,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
) -> Vec<FileStatus> {
    let mut drift = Vec::new();
    if ws.lock.is_none() {
        drift.push(FileStatus {
            path: LOCK_FILE.into(),
            from: None,
            state: FileState::Missing,
            detail: None,
        });
    }
    let views = plan::views(&ws.cfg, ws.lock.as_ref(), files.clone(), None);
    for v in &views {
        let fs = file_status(v, false);
        if fs.state.is_drift() {
            drift.push(fs);
        }
    }
    drift
}

/// The checks of `check` on `files` (the vendored files and lock-listed paths, as
/// [`plan::scan`] returns them); `breaking` runs last.
fn check_files(
    ws: &Workspace,
    files: std::collections::BTreeMap<String, Vec<u8>>,
    opts: &CheckOptions,
    breaking: impl FnOnce() -> Result<Option<BreakingReport>>,
) -> Result<CheckReport> {
    let drift = drift_of(ws, &files);

    let (behind, behind_unknown) = if ws.lock.is_none() {
        (None, Some("no protosync.lock".to_owned()))
    } else {
        let mut load = opts.load.clone();
        if !opts.fail_behind {
            load.offline = true;
        }
        let ref_ = ws.cfg.contract.ref_.clone();
        match upstream(ws, &ref_, &load, Hint::Config) {
            Ok(up) => {
                let views = plan::views(&up.cfg, ws.lock.as_ref(), files, Some(&up.targets));
                let files = views
                    .iter()
                    .filter(|v| v.locked_sha.is_some() || v.disk.is_none())
                    .map(|v| {
                        // Behind is judged against the lock, whatever the disk holds.
                        let state = if v.new_sha != v.locked_sha {
                            FileState::Behind
                        } else {
                            FileState::InSync
                        };
                        FileStatus {
                            path: v.path.clone(),
                            from: v.from.clone(),
                            state,
                            detail: Some(v.upstream()),
                        }
                    })
                    .filter(|f| f.state == FileState::Behind)
                    .collect();
                (
                    Some(Behind {
                        contract: ContractInfo {
                            repo: ws.cfg.contract.repo.clone(),
                            ref_,
                            locked_commit: locked_commit(ws).map(str::to_owned),
                            commit: Some(up.contract.commit.to_string()),
                            behind_commits: behind_commits(ws, &up),
                        },
                        files,
                    }),
                    None,
                )
            }
            Err(e) if !opts.fail_behind => (None, Some(format!("{e:#}"))),
            Err(e) => return Err(e),
        }
    };

    let breaking = breaking()?;
    Ok(CheckReport {
        drift,
        behind,
        behind_unknown,
        fail_behind: opts.fail_behind,
        breaking,
    })
}

/// The breaking check of `check --against`: the repository against `against`, laid out by
/// `[build] roots`, without the vendored copy (its changes are the contract's: judged by
/// `sync`, guarded by the lock).
fn own_breaking(ws: &Workspace, against: &str, load: &LoadOptions) -> Result<BreakingReport> {
    let input = input::Spec::dir(ws.root());
    own_breaking_of(ws, &input, against, load)
}

/// [`own_breaking`] with `input` in place of the working tree; both sides are laid out by the
/// workspace's configuration (as parsed, also when it came from the index).
fn own_breaking_of(
    ws: &Workspace,
    input: &input::Spec,
    against: &str,
    load: &LoadOptions,
) -> Result<BreakingReport> {
    let against = input::spec::parse(against).map_err(|e| anyhow!("--against: {e}"))?;
    let opts = BreakingOptions {
        load: load.clone(),
        ..BreakingOptions::default()
    };
    let mut report =
        pipeline::compare_inputs(input, &against, Some(&ws.layout), &opts, Paths::UnderRoot)?;
    // Paths are under the service root (module directory included), like `to`.
    let vendored = |p: &str| {
        ws.cfg
            .vendors
            .iter()
            .any(|v| p.starts_with(&format!("{}/", v.to)))
    };
    report
        .findings
        .retain(|f| match (&f.path, &f.against_path) {
            (Some(p), _) => !vendored(p),
            (None, Some(p)) => !vendored(p),
            (None, None) => true,
        });
    Ok(report)
}

// ---- check --staged (what a commit would hold: the index, not the working tree) ----

/// `protosync check --staged`: the checks of [`check`] on what is staged for commit (the
/// index; `$GIT_INDEX_FILE` when git set it for a hook). Drift: the vendored files and the lock
/// as staged, under `protosync.toml` as staged (the working tree's when it is not in the
/// index). `--against`: the index written as a tree object and read like a commit, laid out by
/// `[build] roots`, against that input (with `--against` on `HEAD` of a repository that has no
/// commit yet, there is nothing to compare and the breaking check is left out, with a note).
/// Changes that are not staged play no part.
pub fn check_staged(config_path: &Path, opts: &CheckOptions) -> Result<CheckReport> {
    let root = match config_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let root = root
        .canonicalize()
        .map_err(|e| anyhow!("cannot open {}: {e}", root.display()))?;
    let repo = git2::Repository::discover(&root).map_err(|e| {
        anyhow!(
            "--staged: {} is not in a git repository ({})",
            root.display(),
            e.message()
        )
    })?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("--staged: {} is a bare repository", repo.path().display()))?
        .canonicalize()?;
    let prefix = root
        .strip_prefix(&workdir)
        .map_err(|_| {
            anyhow!(
                "--staged: {} is outside the working tree {}",
                root.display(),
                workdir.display()
            )
        })?
        .to_string_lossy()
        .replace('\\', "/");
    let in_repo = |rel: &str| {
        if prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{prefix}/{rel}")
        }
    };
    let tree_id = crate::input::git::write_index_tree(&repo)?;
    let tree = repo.find_tree(tree_id)?;
    let blob = |path: &str| plan::tree_blob(&repo, &tree, path);
    let utf8 = |bytes: Vec<u8>, what: &str| {
        String::from_utf8(bytes).map_err(|_| anyhow!("{what} (staged): not valid UTF-8"))
    };
    let disk_text = std::fs::read_to_string(config_path).ok();
    let text = match blob(&in_repo(CONFIG_FILE))? {
        Some(bytes) => utf8(bytes, CONFIG_FILE)?,
        None => disk_text.clone().ok_or_else(|| {
            anyhow!(
                "cannot read {} (it is not staged either)",
                config_path.display()
            )
        })?,
    };
    let lock_path = config_path.with_file_name(LOCK_FILE);
    let lock = match blob(&in_repo(LOCK_FILE))? {
        Some(bytes) => Some(Lock::parse(&lock_path, &utf8(bytes, LOCK_FILE)?)?),
        None => None,
    };
    let ws = Workspace::from_parts(config_path, &text, lock)?;
    let files = plan::scan_tree(&repo, &tree, &ws.cfg, ws.lock.as_ref(), &in_repo, "staged")?;
    check_files(&ws, files, opts, || {
        let Some(against) = &opts.against else {
            return Ok(None);
        };
        if unborn_head(against) {
            if !crate::trace::quiet() {
                eprintln!(
                    "note: {against} has no commit yet; the breaking check has nothing to compare against"
                );
            }
            return Ok(None);
        }
        let commit = crate::input::git::tree_commit(&repo, tree_id)?;
        let input = input::Spec::git_commit(&workdir, &commit.to_string(), &prefix);
        Ok(Some(own_breaking_of(&ws, &input, against, &opts.load)?))
    })
}

/// Whether `against` names `HEAD` of a local repository that has no commit yet (a first
/// commit: nothing to compare with).
fn unborn_head(against: &str) -> bool {
    use crate::input::{Format, GitWant};
    let Ok(spec) = crate::input::spec::parse(against) else {
        return false;
    };
    let head = match &spec.want {
        GitWant::Head => true,
        GitWant::Ref { expr, branch: None } => expr == "HEAD" || expr == "@",
        _ => false,
    };
    head && spec.format == Format::Git
        && !spec.is_remote()
        && git2::Repository::open(&spec.location).is_ok_and(|r| {
            r.head()
                .is_err_and(|e| e.code() == git2::ErrorCode::UnbornBranch)
        })
}
