//! The sync commands: `status`, `sync`, `init` and `check`. Each returns a report (printing is
//! `report::sync`'s job); nothing here prints except a note while waiting for another sync.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use super::config::{self, SyncConfig, CONFIG_FILE};
use super::contract::{Contract, Protos};
use super::fsafe::{self, Change};
use super::lock::{sha256_hex, Lock, LockedContract, LockedFile, LOCK_FILE};
use super::plan::{self, Action, FileState, FileView, Target};
use crate::breaking::report::Report as BreakingReport;
use crate::config::rules::Overrides;
use crate::input::LoadOptions;
use crate::pipeline::{self, BreakingOptions, TargetTree};

/// A service repository: its configuration and lock.
pub struct Workspace {
    pub cfg: SyncConfig,
    /// The `[breaking]` configuration of the service (rules for judging an update).
    pub layout: crate::config::Layout,
    pub lock: Option<Lock>,
    pub lock_path: PathBuf,
}

/// The `protosync.toml` to use: `explicit`, else the one found walking up from the working
/// directory.
pub fn config_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if !p.is_file() {
            bail!("--config {}: no such file", p.display());
        }
        return Ok(p.to_path_buf());
    }
    let cwd = std::env::current_dir()?;
    config::find_config(&cwd).ok_or_else(|| {
        anyhow!(
            "no {CONFIG_FILE} in {} or above (up to the repository root); run `protosync init` to create one",
            cwd.display()
        )
    })
}

impl Workspace {
    pub fn load(config_path: &Path) -> Result<Workspace> {
        let text = std::fs::read_to_string(config_path)
            .map_err(|e| anyhow!("cannot read {}: {e}", config_path.display()))?;
        let ws = Workspace::from_text(config_path, &text)?;
        if let Some(secs) = ws.layout.git_timeout {
            crate::input::remote::set_configured_timeout(secs);
        }
        Ok(ws)
    }

    /// A workspace whose `protosync.toml` (at `config_path`, maybe not written yet) is `text`.
    pub fn from_text(config_path: &Path, text: &str) -> Result<Workspace> {
        let lock_path = config_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(LOCK_FILE);
        let lock = Lock::load(&lock_path)?;
        Workspace::from_parts(config_path, text, lock)
    }

    /// A workspace from a configuration text and a lock already read (fan-out reads both from
    /// a commit). `config_path` names the configuration in messages and places the repository
    /// root; nothing is read from it.
    pub fn from_parts(config_path: &Path, text: &str, lock: Option<Lock>) -> Result<Workspace> {
        // Parsed once; the sync sections and the breaking configuration are validated from it.
        let name = config_path.display().to_string();
        let doc =
            crate::config::schema::parse(text).map_err(|e| super::toml_error(&name, text, &e))?;
        let cfg = config::validate(config_path, text, &doc)?;
        let layout = crate::config::layout_of(config_path, text, &doc)?;
        let lock_path = cfg.repo_root().join(LOCK_FILE);
        if let Some(lock) = &lock {
            plan::check_lock_scope(&cfg, lock, &lock_path)?;
        }
        Ok(Workspace {
            cfg,
            layout,
            lock,
            lock_path,
        })
    }

    fn root(&self) -> &Path {
        self.cfg.repo_root()
    }
}

/// The contract at the followed ref, and what the mappings select from it.
pub struct Upstream {
    pub contract: Contract,
    pub protos: Protos,
    pub targets: Vec<Target>,
}

fn upstream(ws: &Workspace, ref_: &str, opts: &LoadOptions) -> Result<Upstream> {
    let contract = Contract::open(&ws.cfg, ref_, opts)?;
    let protos = contract.protos(contract.commit, &ws.cfg.contract.root, &opts.blobs)?;
    let at = format!(
        "contract {}@{} ({})",
        contract.display,
        ref_,
        crate::input::short(&contract.commit)
    );
    let targets = plan::select(&ws.cfg, &protos, &at)?;
    Ok(Upstream {
        contract,
        protos,
        targets,
    })
}

/// The lock's commit, when the lock is for this contract repository.
fn locked_commit(ws: &Workspace) -> Option<&str> {
    ws.lock
        .as_ref()
        .filter(|l| l.contract.repo == ws.cfg.contract.repo)
        .map(|l| l.contract.commit.as_str())
}

/// The commit distance from the lock to the contract, when both are known.
fn behind_commits(ws: &Workspace, up: &Upstream) -> Option<usize> {
    let oid = git2::Oid::from_str(locked_commit(ws)?).ok()?;
    up.contract.behind(oid)
}

/// Breaking changes of the pinned copy (the contract at the locked commit; the files on disk
/// when that commit is not at hand or a file is not in the lock) → the contract's new files,
/// under the service's `[breaking]` configuration. Paths in the findings are the service's.
fn judge(
    ws: &Workspace,
    up: &Upstream,
    views: &[FileView],
    opts: &LoadOptions,
) -> Result<BreakingReport> {
    let layout = &ws.layout;
    // The pinned version: the contract at the locked commit, when it is at hand.
    let pinned = locked_commit(ws)
        .and_then(|c| up.contract.find_commit(c))
        .and_then(|c| {
            up.contract
                .protos(c, &ws.cfg.contract.root, &opts.blobs)
                .ok()
        });
    // The old copy, at its contract paths: what the lock pinned (local edits are not the
    // contract's change; they are refused separately), else what is on disk.
    let mut prev = crate::compile::SourceTree {
        files: pinned.clone().unwrap_or_else(|| up.protos.clone()),
        includes: Vec::new(),
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
        return Ok(BreakingReport {
            files: up.targets.len(),
            ..BreakingReport::empty(layout.version)
        });
    }
    for t in &up.targets {
        service_path.insert((true, t.rel.clone()), t.path.clone());
    }
    let cur = crate::compile::SourceTree {
        files: up.protos.clone(),
        includes: Vec::new(),
    };
    let mut report = pipeline::compare_targets(
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
    Ok(report)
}

/// The contract as one report line sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ContractInfo {
    pub repo: String,
    #[serde(rename = "ref")]
    pub ref_: String,
    /// The commit in the lock.
    pub locked_commit: Option<String>,
    /// The commit the ref resolves to now (`None` when the contract was not read).
    pub commit: Option<String>,
    /// Commits between the two (`None` when unknown: no lock, or a shallow cache).
    pub behind_commits: Option<usize>,
}

/// One file in `status` and `check`.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    pub path: String,
    pub from: Option<String>,
    pub state: FileState,
    /// For `behind`: what changed upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
}

/// One mapping in `status`.
#[derive(Debug, Clone, Serialize)]
pub struct MappingStatus {
    pub from: String,
    pub to: String,
    /// `in_sync`, `behind`, `edited` or `diverged`.
    pub state: FileState,
    pub files: Vec<FileStatus>,
}

/// What `status` found.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub contract: ContractInfo,
    pub mappings: Vec<MappingStatus>,
    /// Files in the lock under no mapping any more.
    pub unmapped: Vec<FileStatus>,
    pub has_lock: bool,
    /// Breaking changes the update would bring to this copy.
    #[serde(skip)]
    pub breaking: BreakingReport,
}

fn file_status(v: &FileView, contract_known: bool) -> FileStatus {
    let state = v.state(contract_known);
    FileStatus {
        path: v.path.clone(),
        from: v.from.clone(),
        state,
        detail: (state == FileState::Behind || state == FileState::Diverged).then(|| v.upstream()),
    }
}

fn mapping_state(files: &[FileStatus]) -> FileState {
    let local = files.iter().any(|f| f.state.is_drift());
    let behind = files
        .iter()
        .any(|f| matches!(f.state, FileState::Behind | FileState::Diverged));
    match (local, behind) {
        (true, true) => FileState::Diverged,
        (true, false) => FileState::Edited,
        (false, true) => FileState::Behind,
        (false, false) => FileState::InSync,
    }
}

pub fn status(config_path: &Path, opts: &LoadOptions) -> Result<StatusReport> {
    let ws = Workspace::load(config_path)?;
    let ref_ = ws.cfg.contract.ref_.clone();
    let up = upstream(&ws, &ref_, opts)?;
    let disk = plan::scan(&ws.cfg, ws.lock.as_ref())?;
    let views = plan::views(&ws.cfg, ws.lock.as_ref(), disk, Some(&up.targets));
    let changes = views
        .iter()
        .any(|v| !matches!(v.action().0, Action::Unchanged | Action::Leave));
    let breaking = if changes {
        judge(&ws, &up, &views, opts)?
    } else {
        BreakingReport::empty(ws.layout.version)
    };
    let mut mappings: Vec<MappingStatus> = ws
        .cfg
        .vendors
        .iter()
        .map(|v| MappingStatus {
            from: v.from.clone(),
            to: v.to.clone(),
            state: FileState::InSync,
            files: Vec::new(),
        })
        .collect();
    let mut unmapped = Vec::new();
    for v in &views {
        let fs = file_status(v, true);
        match v.mapping {
            Some(m) => mappings[m].files.push(fs),
            None => unmapped.push(fs),
        }
    }
    for m in &mut mappings {
        m.state = mapping_state(&m.files);
    }
    Ok(StatusReport {
        contract: ContractInfo {
            repo: ws.cfg.contract.repo.clone(),
            ref_,
            locked_commit: ws.lock.as_ref().map(|l| l.contract.commit.clone()),
            commit: Some(up.contract.commit.to_string()),
            behind_commits: behind_commits(&ws, &up),
        },
        mappings,
        unmapped,
        has_lock: ws.lock.is_some(),
        breaking,
    })
}

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

/// What `sync` did (or would do).
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub outcome: Outcome,
    pub contract: ContractInfo,
    pub changes: Vec<FileChange>,
    /// Local edits in the way (overwritten with `--force`).
    pub conflicts: Vec<Conflict>,
    /// Files under mapped directories that protosync does not own: left alone.
    pub extra: Vec<String>,
    /// `init` adopting an existing copy: files that differ from the contract, kept as they are
    /// (`status` shows them as edited).
    pub kept: Vec<String>,
    pub dry_run: bool,
    pub forced: bool,
    pub allowed_breaking: bool,
    #[serde(skip)]
    pub breaking: BreakingReport,
    /// The file changes (written unless refused or dry) and the new lock's bytes.
    #[serde(skip)]
    pub writes: Vec<Change>,
    #[serde(skip)]
    pub lock_bytes: String,
}

impl SyncReport {
    pub fn exit_code(&self) -> i32 {
        if !self.conflicts.is_empty() && !self.forced {
            2
        } else if !self.breaking.findings.is_empty() && !self.allowed_breaking {
            1
        } else {
            0
        }
    }
}

/// How long `sync` waits for another sync of the same repository.
const REPO_LOCK_WAIT: Duration = Duration::from_secs(120);

/// Takes the per-repository sync lock: an OS file lock on `.git/protosync-sync.lock` (or, outside
/// git, a file in the temp directory named after the repository path). Released on drop, also
/// when the process dies.
fn lock_repo(root: &Path) -> Result<File> {
    let git_dir = root.join(".git");
    let path = if git_dir.is_dir() {
        git_dir.join("protosync-sync.lock")
    } else {
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let key = sha256_hex(canonical.to_string_lossy().as_bytes());
        std::env::temp_dir().join(format!("protosync-sync-{}.lock", &key[..16]))
    };
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the sync lock {}", path.display()))?;
    let start = Instant::now();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) => {
                if start.elapsed() >= REPO_LOCK_WAIT {
                    bail!(
                        "another protosync sync of {} has held {} for {} s; try again later",
                        root.display(),
                        path.display(),
                        REPO_LOCK_WAIT.as_secs()
                    );
                }
                if !said && !crate::trace::quiet() {
                    eprintln!("waiting for another protosync sync of this repository to finish");
                    said = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(TryLockError::Error(e)) => {
                return Err(anyhow!(e).context(format!("cannot lock {}", path.display())))
            }
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
    let up = upstream(ws, &ref_, &opts.load)?;
    let views = plan::views(&ws.cfg, ws.lock.as_ref(), disk, Some(&up.targets));

    let mut changes = Vec::new();
    let mut writes = Vec::new();
    let mut conflicts = Vec::new();
    let mut extra = Vec::new();
    let mut kept = Vec::new();
    for v in &views {
        let (action, conflict) = v.action();
        match action {
            Action::Leave => {
                extra.push(v.path.clone());
                continue;
            }
            Action::Unchanged => continue,
            _ => {}
        }
        if let Some(reason) = conflict {
            if adopt {
                kept.push(v.path.clone());
                continue;
            }
            conflicts.push(Conflict {
                path: v.path.clone(),
                reason,
            });
        }
        let (diff, added, removed) =
            plan::unified_diff(&v.path, v.disk.as_deref(), v.new.as_deref());
        changes.push(FileChange {
            path: v.path.clone(),
            from: v.from.clone(),
            action,
            added_lines: added,
            removed_lines: removed,
            diff,
        });
        writes.push(Change {
            path: v.path.clone(),
            new: v.new.as_ref().map(|t| t.as_bytes().to_vec()),
        });
    }
    let breaking = if changes.is_empty() || adopt {
        BreakingReport::empty(ws.layout.version)
    } else {
        judge(ws, &up, &views, &opts.load)?
    };
    let new_lock = Lock {
        contract: LockedContract {
            repo: ws.cfg.contract.repo.clone(),
            ref_: ref_.clone(),
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
                        from: ws.cfg.contract.repo_path(&t.rel),
                    },
                )
            })
            .collect(),
        places: Default::default(),
    };
    let lock_bytes = new_lock.to_toml();
    let lock_same = std::fs::read(&ws.lock_path).ok().as_deref() == Some(lock_bytes.as_bytes());
    let mut report = SyncReport {
        outcome: Outcome::UpToDate,
        contract: ContractInfo {
            repo: ws.cfg.contract.repo.clone(),
            ref_,
            locked_commit: ws.lock.as_ref().map(|l| l.contract.commit.clone()),
            commit: Some(up.contract.commit.to_string()),
            behind_commits: behind_commits(ws, &up),
        },
        changes,
        conflicts,
        extra,
        kept,
        dry_run: opts.dry_run,
        forced: opts.force,
        allowed_breaking: opts.allow_breaking,
        breaking,
        writes: Vec::new(),
        lock_bytes: String::new(),
    };
    report.outcome = if !report.conflicts.is_empty() && !opts.force {
        Outcome::RefusedLocalEdits
    } else if !report.breaking.findings.is_empty() && !opts.allow_breaking {
        Outcome::RefusedBreaking
    } else if report.changes.is_empty() && lock_same && then.is_none() {
        Outcome::UpToDate
    } else if opts.dry_run {
        Outcome::DryRun
    } else if report.changes.is_empty() {
        Outcome::LockUpdated
    } else {
        Outcome::Updated
    };
    if matches!(report.outcome, Outcome::LockUpdated | Outcome::Updated) {
        // The last line of defence of the vendored set: whatever the lock, the contract and
        // the disk say, a sync writes and deletes only .proto files under a mapping's `to`.
        let vendored = plan::VendoredSet::new(&ws.cfg);
        if let Some(bad) = writes.iter().find(|c| !vendored.contains(&c.path)) {
            bail!(
                "refusing to {} {:?}: it is not a .proto file under a [[vendor]] mapping's `to` (nothing was written)",
                if bad.new.is_some() { "write" } else { "delete" },
                bad.path
            );
        }
        if report.changes.is_empty() && lock_same {
            // init on a copy that already matches: only the configuration is new.
        } else {
            fsafe::apply(
                ws.root(),
                &writes,
                &ws.lock_path,
                lock_bytes.as_bytes(),
                None,
            )?;
        }
        if let Some((path, text)) = then {
            fsafe::write_atomic(path, text.as_bytes())?;
        }
    }
    report.writes = writes;
    report.lock_bytes = lock_bytes;
    Ok(report)
}

/// Options of `init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The directory to write `protosync.toml` in (the service repository root).
    pub dir: PathBuf,
    pub contract: String,
    pub ref_: Option<String>,
    pub root: Option<String>,
    /// `(from, to)` pairs.
    pub mappings: Vec<(String, String)>,
    pub dry_run: bool,
    pub load: LoadOptions,
}

/// The `protosync.toml` text `init` writes.
pub fn init_config_text(opts: &InitOptions) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = String::from(
        "# protosync.toml: which contract this service vendors, and where to.\n\
         # See `protosync sync --help` and docs/CONFIG.md.\n\n[contract]\n",
    );
    out.push_str(&format!("repo = {}\n", q(&opts.contract)));
    out.push_str(&format!(
        "ref = {}\n",
        q(opts.ref_.as_deref().unwrap_or(config::DEFAULT_REF))
    ));
    if let Some(root) = &opts.root {
        out.push_str(&format!("root = {}\n", q(root)));
    }
    for (from, to) in &opts.mappings {
        out.push_str(&format!(
            "\n[[vendor]]\nfrom = {}\nto = {}\n",
            q(from),
            q(to)
        ));
    }
    out
}

/// `protosync init`: writes `protosync.toml` and does a first sync that adopts an existing
/// copy (files that differ from the contract are kept and recorded against the contract, so
/// `status` shows them as edited). The files and the lock are written first, the
/// configuration last; on any error nothing is written.
pub fn init(opts: &InitOptions) -> Result<SyncReport> {
    let path = opts.dir.join(CONFIG_FILE);
    if path.exists() {
        bail!(
            "{} already exists; edit it, or run `protosync sync`",
            path.display()
        );
    }
    if opts.mappings.is_empty() {
        bail!("init needs at least one --from/--to pair");
    }
    if config::is_url(&opts.contract) && crate::forge::has_credentials(&opts.contract) {
        bail!(
            "--contract {}: the URL carries credentials, and protosync.toml is committed; pass the \
             URL without them and put the token in the environment (PROTOSYNC_GIT_TOKEN)",
            crate::forge::display_url(&opts.contract)
        );
    }
    let text = init_config_text(opts);
    config::parse(&path, &text)
        .map_err(|e| anyhow!("the options do not make a valid {CONFIG_FILE}: {e:#}"))?;
    let _guard = if opts.dry_run {
        None
    } else {
        Some(lock_repo(&opts.dir)?)
    };
    let ws = Workspace::from_text(&path, &text)?;
    let sync_opts = SyncOptions {
        ref_: None,
        dry_run: opts.dry_run,
        allow_breaking: true,
        force: false,
        load: opts.load.clone(),
    };
    run_sync(&ws, &sync_opts, true, Some((&path, &text)))
}

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

/// The checks of `check` on `files` (the vendored files and lock-listed paths, as
/// [`plan::scan`] returns them); `breaking` runs last.
fn check_files(
    ws: &Workspace,
    files: std::collections::BTreeMap<String, Vec<u8>>,
    opts: &CheckOptions,
    breaking: impl FnOnce() -> Result<Option<BreakingReport>>,
) -> Result<CheckReport> {
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

    let (behind, behind_unknown) = if ws.lock.is_none() {
        (None, Some("no protosync.lock".to_owned()))
    } else {
        let mut load = opts.load.clone();
        if !opts.fail_behind {
            load.offline = true;
        }
        let ref_ = ws.cfg.contract.ref_.clone();
        match upstream(ws, &ref_, &load) {
            Ok(up) => {
                let views = plan::views(&ws.cfg, ws.lock.as_ref(), files, Some(&up.targets));
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
    own_breaking_of(
        ws,
        ws.root().display().to_string(),
        &ws.cfg.path,
        against,
        load,
    )
}

/// [`own_breaking`] with `input` (a spec) in place of the working tree, laid out (both sides)
/// by the configuration file at `config`.
fn own_breaking_of(
    ws: &Workspace,
    input: String,
    config: &Path,
    against: &str,
    load: &LoadOptions,
) -> Result<BreakingReport> {
    let mut report = pipeline::run_breaking(&BreakingOptions {
        input,
        against: against.to_owned(),
        config: Some(config.to_path_buf()),
        against_config: Some(config.to_path_buf()),
        overrides: Overrides::default(),
        includes: Vec::new(),
        load: load.clone(),
    })?;
    let vendored = |p: &str| {
        ws.layout.modules.iter().any(|m| {
            let root = m.root.to_string_lossy().replace('\\', "/");
            let full = if root.is_empty() {
                p.to_owned()
            } else {
                format!("{root}/{p}")
            };
            ws.cfg
                .vendors
                .iter()
                .any(|v| full.starts_with(&format!("{}/", v.to)))
        })
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
    let blob = |path: &str| staged_blob(&repo, &tree, path);
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
    let files = staged_files(&repo, &tree, &ws, &in_repo)?;
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
        let subdir = if prefix.is_empty() {
            String::new()
        } else {
            format!(",subdir={prefix}")
        };
        let input = format!("{}#format=git,commit={commit}{subdir}", workdir.display());
        // Both sides are laid out by the staged configuration: the file itself when the
        // working tree's is the same, else a copy of the staged text.
        if disk_text.as_deref() == Some(text.as_str()) {
            return Ok(Some(own_breaking_of(
                &ws,
                input,
                config_path,
                against,
                &opts.load,
            )?));
        }
        let dir = std::env::temp_dir().join(format!(
            "protosync-staged-{}-{}",
            std::process::id(),
            &commit.to_string()[..12]
        ));
        std::fs::create_dir_all(&dir)?;
        let staged_config = dir.join(CONFIG_FILE);
        let result = std::fs::write(&staged_config, &text)
            .map_err(anyhow::Error::from)
            .and_then(|()| own_breaking_of(&ws, input, &staged_config, against, &opts.load));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(Some(result?))
    })
}

/// The bytes of the blob at `path` in `tree`; `None` when there is none (or it is a symlink
/// or a submodule).
fn staged_blob(repo: &git2::Repository, tree: &git2::Tree, path: &str) -> Result<Option<Vec<u8>>> {
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(None);
    };
    if entry.kind() != Some(git2::ObjectType::Blob) || entry.filemode() == 0o120000 {
        return Ok(None);
    }
    Ok(Some(repo.find_blob(entry.id())?.content().to_vec()))
}

/// The staged counterpart of [`plan::scan`]: the .proto files under every mapping's `to`
/// directory and every path the lock lists, from `tree`. `in_repo` turns a service path into a
/// path in the repository.
fn staged_files(
    repo: &git2::Repository,
    tree: &git2::Tree,
    ws: &Workspace,
    in_repo: &dyn Fn(&str) -> String,
) -> Result<std::collections::BTreeMap<String, Vec<u8>>> {
    let mut out = std::collections::BTreeMap::new();
    for v in &ws.cfg.vendors {
        let Ok(entry) = tree.get_path(Path::new(&in_repo(&v.to))) else {
            continue;
        };
        if entry.kind() != Some(git2::ObjectType::Tree) {
            bail!(
                "{}: vendor.to {:?} is not a directory (staged)",
                v.place,
                v.to
            );
        }
        let sub = repo.find_tree(entry.id())?;
        let mut found = Vec::new();
        sub.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(git2::ObjectType::Blob) && e.filemode() != 0o120000 {
                if let Ok(name) = e.name() {
                    if name.ends_with(".proto") {
                        found.push((format!("{}/{dir}{name}", v.to), e.id()));
                    }
                }
            }
            git2::TreeWalkResult::Ok
        })?;
        for (path, id) in found {
            out.insert(path, repo.find_blob(id)?.content().to_vec());
        }
    }
    if let Some(lock) = &ws.lock {
        for path in lock.files.keys() {
            if !out.contains_key(path) {
                if let Some(bytes) = staged_blob(repo, tree, &in_repo(path))? {
                    out.insert(path.clone(), bytes);
                }
            }
        }
    }
    Ok(out)
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
