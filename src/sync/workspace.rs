//! A service repository as the sync commands see it: its configuration (parsed once), its
//! lock, the contract at the followed ref, and the per-repository sync lock.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use super::config::{self, SyncConfig, CONFIG_FILE};
use super::contract::{Contract, Protos};
use super::lock::{sha256_hex, Lock, LOCK_FILE};
use super::plan::{self, Target};
use super::roots::{self, Hint};
use crate::input::LoadOptions;

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

    pub(super) fn root(&self) -> &Path {
        self.cfg.repo_root()
    }
}

/// The contract at the followed ref, and what the mappings select from it.
pub struct Upstream {
    pub contract: Contract,
    pub protos: Protos,
    pub targets: Vec<Target>,
    /// The workspace's sync configuration with the contract root decided at this commit
    /// (`contract.root`, or [`super::roots`] when it is not set): what paths under the root
    /// are read against.
    pub cfg: SyncConfig,
}

pub(super) fn upstream(
    ws: &Workspace,
    ref_: &str,
    opts: &LoadOptions,
    hint: Hint,
) -> Result<Upstream> {
    let contract = Contract::open(&ws.cfg, ref_, opts)?;
    let at = format!(
        "contract {}@{} ({})",
        contract.display,
        ref_,
        crate::input::short(&contract.commit)
    );
    let (root, protos) =
        roots::rooted(&contract, &ws.cfg, contract.commit, hint, &at, &opts.blobs)?;
    let mut cfg = ws.cfg.clone();
    cfg.contract.root = root;
    let targets = plan::select(&cfg, &protos, &at).map_err(|e| {
        match roots::elsewhere_in(&contract, &cfg, contract.commit, hint, &opts.blobs) {
            Some(hint) => anyhow!("{e:#}; {hint}"),
            None => e,
        }
    })?;
    Ok(Upstream {
        contract,
        protos,
        targets,
        cfg,
    })
}

/// The lock's commit, when the lock is for this contract repository.
pub(super) fn locked_commit(ws: &Workspace) -> Option<&str> {
    ws.lock
        .as_ref()
        .filter(|l| l.contract.repo == ws.cfg.contract.repo)
        .map(|l| l.contract.commit.as_str())
}

/// The commit distance from the lock to the contract, when both are known.
pub(super) fn behind_commits(ws: &Workspace, up: &Upstream) -> Option<usize> {
    let oid = git2::Oid::from_str(locked_commit(ws)?).ok()?;
    up.contract.behind(oid)
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

/// How long `sync` waits for another sync of the same repository.
const REPO_LOCK_WAIT: Duration = Duration::from_secs(120);

/// Takes the per-repository sync lock: an OS file lock on `.git/protosync-sync.lock` (or, outside
/// git, a file in the temp directory named after the repository path). Released on drop, also
/// when the process dies.
pub(super) fn lock_repo(root: &Path) -> Result<File> {
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
