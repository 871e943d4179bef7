//! The contract repository as the sync commands see it: a commit, the .proto files under
//! `contract.root` at that commit, and how far a locked commit is behind it.
//!
//! A local contract (`repo = "../contracts"`) is read straight from its git objects; a URL is
//! fetched into the cache of remote repositories ([`crate::input::remote`]). Either way nothing
//! is checked out.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use git2::{Oid, Repository};

use super::config::{ContractRepo, SyncConfig};
use crate::input::{self, git, GitWant, LoadOptions};

/// A contract repository opened at a commit.
pub struct Contract {
    /// The repository (a local contract, or the cache entry of a remote one), opened once.
    repo: Repository,
    /// The ref that was followed (`main`, `v3`, a commit).
    pub ref_: String,
    /// The commit it resolved to.
    pub commit: Oid,
    /// `repo` as configured, for messages and the lock.
    pub display: String,
}

/// The .proto files under the contract root at one commit, keyed by their path under the root
/// (which is also their import path).
pub type Protos = BTreeMap<String, Arc<str>>;

impl Contract {
    /// Resolves `ref_` (the configured `contract.ref` unless overridden) in the contract
    /// repository, fetching a remote one unless `opts.offline`.
    pub fn open(cfg: &SyncConfig, ref_: &str, opts: &LoadOptions) -> Result<Contract> {
        let display = cfg.contract.repo.clone();
        let want = GitWant::Ref {
            expr: ref_.to_owned(),
            branch: None,
        };
        match cfg.contract.location(cfg.repo_root()) {
            ContractRepo::Url(url) => {
                let spec = input::Spec::git(&url, want);
                let fetched = input::remote::fetch(&spec, opts)
                    .map_err(|e| anyhow!("contract {display}: {e:#}"))?;
                let repo = Repository::open(&fetched.path).map_err(|e| {
                    anyhow!(
                        "contract {display}: cannot open {}: {}",
                        fetched.path.display(),
                        e.message()
                    )
                })?;
                Ok(Contract {
                    repo,
                    ref_: ref_.to_owned(),
                    commit: fetched.commit,
                    display,
                })
            }
            ContractRepo::Path(path) => {
                let repo = open_local(&path, &display)?;
                // A name is tried as a revision first, then as a branch that may exist only
                // as `origin/<name>` (a fresh clone of the contract repository).
                let commit = git::resolve(&repo, &want)
                    .or_else(|e| {
                        git::resolve(&repo, &GitWant::Branch(ref_.to_owned())).map_err(|_| e)
                    })
                    .map_err(|e| anyhow!("contract {display}: {e:#}"))?;
                Ok(Contract {
                    repo,
                    ref_: ref_.to_owned(),
                    commit,
                    display,
                })
            }
        }
    }

    /// The .proto files under `root` at `commit`.
    pub fn protos(&self, commit: Oid, root: &str, blobs: &git::BlobCache) -> Result<Protos> {
        let label = format!("contract {}@{}", self.display, input::short(&commit));
        let subdir = (!root.is_empty()).then_some(root);
        let files = git::read_commit(&self.repo, commit, subdir, &label, blobs)?;
        Ok(files
            .files
            .into_iter()
            .filter(|(path, _)| path.ends_with(".proto"))
            .collect())
    }

    /// The repository, for readers of its tree beyond the .proto files ([`super::roots`]).
    pub(super) fn repo(&self) -> &Repository {
        &self.repo
    }

    /// The commit named by a lock, if this repository has it (a shallow cache may not).
    pub fn find_commit(&self, hex: &str) -> Option<Oid> {
        let oid = Oid::from_str(hex).ok()?;
        self.repo.find_commit(oid).ok().map(|c| c.id())
    }

    /// How many commits `self.commit` has that `locked` does not: the distance a lock is
    /// behind. `None` when the locked commit is not in the repository (a shallow cache).
    pub fn behind(&self, locked: Oid) -> Option<usize> {
        if locked == self.commit {
            return Some(0);
        }
        self.repo.find_commit(locked).ok()?;
        self.repo
            .graph_ahead_behind(self.commit, locked)
            .ok()
            .map(|(ahead, _)| ahead)
    }
}

fn open_local(path: &Path, display: &str) -> Result<Repository> {
    if !path.exists() {
        return Err(anyhow!(
            "contract.repo {display:?}: {} does not exist",
            path.display()
        ));
    }
    Repository::open(path).map_err(|e| {
        anyhow!(
            "contract.repo {display:?}: {} is not a git repository ({})",
            path.display(),
            e.message()
        )
    })
}
