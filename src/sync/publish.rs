//! Publishing a sync: one commit on a stable branch, pushed with a lease, and one pull request
//! kept up to date (`sync --commit --push --pr`, and `fanout` for every service).
//!
//! * **The commit** holds exactly the vendored files and `protosync.lock` as they are on disk
//!   after the sync, on top of the base branch's tip; it is built from objects, so the index,
//!   the current branch and every other file of the working tree are left alone. Its message
//!   carries `Protosync-Contract:` and `Protosync-Commit:` trailers, which is how protosync
//!   recognises its own commits later.
//! * **The branch** (`protosync/<contract-name>` unless `--branch`) is rebuilt from the base each
//!   time (one commit on top of the base), so re-running updates it instead of stacking commits.
//!   If the branch holds a commit without protosync's trailers (someone pushed to it), it is left
//!   alone and the outcome says so.
//! * **The push** is a forced update of that branch, made only after the lease check above
//!   against the remote's current tip (fetched first). An identical commit (same parent, same
//!   tree) is not pushed again.
//! * **The pull request** is found by head branch and base; it is created once and updated after
//!   that, never duplicated. When the base already matches the contract (the update is empty),
//!   an open one is closed with a comment.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use git2::{Oid, Repository, Signature};
use serde::Serialize;

use super::config::SyncConfig;
use super::lock::{Lock, LOCK_FILE};
use super::plan::unified_diff;
use super::run::{CommittedFile, SyncReport};
use crate::forge::{self, ForgeKind, NewPullRequest, PullRequest};
use crate::input::remote::Link;
use crate::report::pull_request;
use crate::report::short;

/// The trailer that marks protosync's commits.
pub const TRAILER: &str = "Protosync-Contract:";

#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// Branch to commit to; default `protosync/<contract-name>`.
    pub branch: Option<String>,
    /// Base branch the sync branch starts from and the PR targets; default the current branch.
    pub base: Option<String>,
    pub push: bool,
    /// Remote name (`origin`) or URL to push to.
    pub remote: String,
    pub pr: bool,
    pub draft: bool,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub forge: Option<ForgeKind>,
    /// API base URL, overriding the forge's default and environment.
    pub api_url: Option<String>,
    /// The pull request's title instead of `protosync: sync <contract> to <commit>`.
    pub title: Option<String>,
    /// The pull request's body instead of protosync's (its hidden marker line is kept).
    pub body: Option<String>,
    /// When the update turns out empty, also delete the sync branch on the remote (after
    /// closing its pull request), unless it holds commits protosync did not make.
    pub delete_branch: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A pull request was opened.
    Created,
    /// The branch or the open pull request was updated.
    Updated,
    /// Nothing to do: the branch (and pull request) already carry this update, or the base is
    /// in sync and no pull request is open.
    Unchanged,
    /// The update turned out empty; the open pull request was closed.
    Closed,
    /// Left alone (see `note`): the branch has commits protosync did not make.
    Skipped,
    /// Committed on the branch, not pushed (`--commit` alone).
    Committed,
    /// Committed and pushed, no pull request asked for.
    Pushed,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    pub outcome: Outcome,
    pub branch: String,
    pub base: String,
    /// The sync branch's commit (new or reused).
    pub commit: Option<String>,
    pub files: Vec<CommittedFile>,
    pub pushed: bool,
    pub pull_request: Option<PullRequest>,
    /// The sync branch was deleted on the remote (`--delete-branch`, empty update).
    pub branch_deleted: bool,
    pub note: Option<String>,
}

impl PublishReport {
    /// Nothing done yet on `branch` (proposed against `base`) for a commit of `files`.
    fn unchanged(branch: &str, base: &str, files: Vec<CommittedFile>) -> PublishReport {
        PublishReport {
            outcome: Outcome::Unchanged,
            branch: branch.to_owned(),
            base: base.to_owned(),
            commit: None,
            files,
            pushed: false,
            pull_request: None,
            branch_deleted: false,
            note: None,
        }
    }
}

/// `contracts` for `https://github.com/acme/contracts.git` or `../contracts`.
pub fn contract_name(repo: &str) -> String {
    let trimmed = repo.trim_end_matches('/');
    let last = trimmed.rsplit(['/', ':', '\\']).next().unwrap_or(trimmed);
    let name = last.strip_suffix(".git").unwrap_or(last);
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.is_empty() || clean.starts_with('.') {
        "contract".to_owned()
    } else {
        clean
    }
}

/// The identity GitHub's own automation commits as (actions/checkout docs, create-pull-request).
pub const GITHUB_ACTIONS_BOT: (&str, &str) = (
    "github-actions[bot]",
    "41898282+github-actions[bot]@users.noreply.github.com",
);

/// A `Name <email>` pair.
pub type Identity = (String, String);

fn parse_identity(var: &str, spec: &str) -> Result<Identity> {
    let spec = spec.trim();
    spec.rsplit_once('<')
        .and_then(|(n, e)| e.strip_suffix('>').map(|e| (n.trim(), e.trim())))
        .filter(|(n, e)| !n.is_empty() && !e.is_empty())
        .map(|(n, e)| (n.to_owned(), e.to_owned()))
        .ok_or_else(|| anyhow!("{var}={spec:?}: expected \"Name <email>\""))
}

/// Who authors and who commits a sync commit, in this order:
/// `PROTOSYNC_GIT_AUTHOR` / `PROTOSYNC_GIT_COMMITTER` ("Name <email>"; the author also commits
/// unless a committer is given), else git's `user.name`/`user.email` (`configured`), else the
/// CI's own identity: `github-actions[bot]` under GitHub Actions (`GITHUB_ACTIONS=true`), the
/// user who started the pipeline under GitLab CI (`GITLAB_USER_NAME`/`GITLAB_USER_EMAIL`).
/// Anywhere else, no identity is an error saying how to set one.
pub fn commit_identity(
    env: &dyn Fn(&str) -> Option<String>,
    configured: Option<Identity>,
) -> Result<(Identity, Identity)> {
    let set = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let author = set("PROTOSYNC_GIT_AUTHOR")
        .map(|s| parse_identity("PROTOSYNC_GIT_AUTHOR", &s))
        .transpose()?;
    let committer = set("PROTOSYNC_GIT_COMMITTER")
        .map(|s| parse_identity("PROTOSYNC_GIT_COMMITTER", &s))
        .transpose()?;
    let fallback = || -> Option<Identity> {
        if let Some(c) = configured.clone() {
            return Some(c);
        }
        if set("GITHUB_ACTIONS").as_deref() == Some("true") {
            let (n, e) = GITHUB_ACTIONS_BOT;
            return Some((n.to_owned(), e.to_owned()));
        }
        if set("GITLAB_CI").as_deref() == Some("true") {
            if let (Some(n), Some(e)) = (set("GITLAB_USER_NAME"), set("GITLAB_USER_EMAIL")) {
                return Some((n.trim().to_owned(), e.trim().to_owned()));
            }
        }
        None
    };
    let author = match author.or_else(fallback) {
        Some(a) => a,
        None => bail!(
            "no commit author: set user.name and user.email in git config, or PROTOSYNC_GIT_AUTHOR=\"Name <email>\""
        ),
    };
    let committer = committer.unwrap_or_else(|| author.clone());
    Ok((author, committer))
}

fn signatures(repo: &Repository) -> Result<(Signature<'static>, Signature<'static>)> {
    let configured = repo
        .signature()
        .ok()
        .and_then(|s| Some((s.name().ok()?.to_owned(), s.email().ok()?.to_owned())));
    let ((an, ae), (cn, ce)) = commit_identity(&|k| std::env::var(k).ok(), configured)?;
    let sig = |n: &str, e: &str| {
        Signature::now(n, e).map_err(|err| anyhow!("commit identity {n} <{e}>: {}", err.message()))
    };
    Ok((sig(&an, &ae)?, sig(&cn, &ce)?))
}

/// Whether every commit on `tip` that is not on `base` was made by protosync.
fn foreign_commit(repo: &Repository, tip: Oid, base: Oid) -> Result<Option<String>> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    if let Ok(mb) = repo.merge_base(tip, base) {
        walk.hide(mb)?;
    }
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let ours = commit
            .message()
            .is_ok_and(|m| m.lines().any(|l| l.starts_with(TRAILER)));
        if !ours {
            return Ok(Some(format!(
                "{} by {}: \"{}\"",
                &commit.id().to_string()[..7],
                commit.author().name().unwrap_or("?"),
                commit.summary().ok().flatten().unwrap_or("").trim()
            )));
        }
    }
    Ok(None)
}

/// The new tree: `base`'s tree with the vendored files and the lock as they are on disk.
/// `prefix` is the service root inside the repository ("" at the top).
/// Where the synced files' new bytes come from.
#[derive(Clone, Copy)]
pub enum Contents<'a> {
    /// The service directory on disk, after the sync applied (`sync --commit`): every path the
    /// new or the old lock lists, and the lock.
    Disk(&'a Path),
    /// A sync planned in memory (fan-out): its file changes and the new lock's bytes.
    Planned(&'a [super::fsafe::Change], &'a [u8]),
}

/// The files a sync commit writes, as (path, new bytes or deletion): from the working tree
/// (what the lock lists now and listed before, and the lock) or from a planned sync.
fn planned_files(
    contents: Contents<'_>,
    old_lock: Option<&Lock>,
) -> Result<Vec<(String, Option<Vec<u8>>)>> {
    let mut planned: Vec<(String, Option<Vec<u8>>)> = Vec::new();
    match contents {
        Contents::Disk(root) => {
            let lock_path = root.join(LOCK_FILE);
            let new_lock = Lock::load(&lock_path)?
                .ok_or_else(|| anyhow!("{}: missing after the sync", lock_path.display()))?;
            let mut paths: std::collections::BTreeSet<String> =
                new_lock.files.keys().cloned().collect();
            if let Some(old) = old_lock {
                paths.extend(old.files.keys().cloned());
            }
            paths.insert(LOCK_FILE.to_owned());
            for path in paths {
                let new = if path == LOCK_FILE || new_lock.files.contains_key(&path) {
                    Some(
                        std::fs::read(root.join(&path))
                            .with_context(|| format!("cannot read {path} to commit it"))?,
                    )
                } else {
                    None
                };
                planned.push((path, new));
            }
        }
        Contents::Planned(changes, lock) => {
            planned.extend(changes.iter().map(|c| (c.path.clone(), c.new.clone())));
            planned.push((LOCK_FILE.to_owned(), Some(lock.to_vec())));
        }
    }
    Ok(planned)
}

fn build_tree(
    repo: &Repository,
    base_tree: &git2::Tree<'_>,
    contents: Contents<'_>,
    prefix: &str,
) -> Result<(Oid, Vec<CommittedFile>, Option<String>)> {
    let in_repo = |p: &str| {
        if prefix.is_empty() {
            p.to_owned()
        } else {
            format!("{prefix}/{p}")
        }
    };
    let blob_text = |path: &str| -> Option<Vec<u8>> {
        let entry = base_tree.get_path(Path::new(path)).ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        Some(blob.content().to_vec())
    };
    let old_lock = blob_text(&in_repo(LOCK_FILE))
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| Lock::parse(Path::new(LOCK_FILE), &t).ok());
    let planned = planned_files(contents, old_lock.as_ref())?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut files = Vec::new();
    for (path, new) in planned {
        let full = in_repo(&path);
        let old = blob_text(&full);
        if old == new {
            continue;
        }
        match &new {
            Some(bytes) => {
                let oid = repo.blob(bytes)?;
                update.upsert(&full, oid, git2::FileMode::Blob);
            }
            None => {
                update.remove(&full);
            }
        }
        if path != LOCK_FILE {
            let text = new.as_deref().map(String::from_utf8_lossy);
            let (_, added, removed) = unified_diff(&path, old.as_deref(), text.as_deref());
            files.push(CommittedFile {
                change: match (&old, &new) {
                    (None, _) => "added",
                    (_, None) => "deleted",
                    _ => "modified",
                },
                path,
                added_lines: added,
                removed_lines: removed,
            });
        }
    }
    let tree = update.create_updated(repo, base_tree)?;
    Ok((tree, files, old_lock.map(|l| l.contract.commit)))
}

/// The URL to push to: `remote` as a URL, a path, or the URL of the git remote of that name.
/// Local paths (relative ones are relative to the working tree, as git reads them) become
/// `file://` URLs.
fn remote_url(repo: &Repository, remote: &str) -> Result<String> {
    let url = if crate::sync::config::is_url(remote) || remote.contains('/') {
        remote.to_owned()
    } else {
        let r = repo.find_remote(remote).map_err(|_| {
            anyhow!(
                "no git remote named {remote:?} in {} (use --remote NAME|URL)",
                repo.path().display()
            )
        })?;
        r.url()
            .map(str::to_owned)
            .map_err(|_| anyhow!("git remote {remote:?} has no URL"))?
    };
    if crate::sync::config::is_url(&url) {
        return Ok(url);
    }
    let base = repo.workdir().unwrap_or_else(|| repo.path());
    let path = base.join(&url);
    let path = path
        .canonicalize()
        .map_err(|_| anyhow!("remote {remote:?}: {} does not exist", path.display()))?;
    Ok(format!("file://{}", path.display()))
}

fn discover(root: &Path) -> Result<Repository> {
    Repository::discover(root).map_err(|e| {
        anyhow!(
            "{} is not in a git repository: {}",
            root.display(),
            e.message()
        )
    })
}

/// The pull-request API client for the repository at `url`: `--forge`, else guessed from the
/// host.
fn forge_client(url: &str, opts: &PublishOptions) -> Result<Box<dyn forge::Forge>> {
    let kind = opts.forge.or_else(|| forge::detect(url)).ok_or_else(|| {
        anyhow!(
            "cannot tell which forge hosts {}; name it with --forge github|gitlab|gitea",
            forge::display_url(url)
        )
    })?;
    let repo_ref = forge::RepoRef::from_remote_url(url)?;
    forge::client(kind, &repo_ref, opts.api_url.as_deref())
}

/// Checks, before anything is written, that a publish can start: a repository, a base
/// branch, a remote to push to and a forge client when asked for.
pub fn preflight(cfg: &SyncConfig, opts: &PublishOptions) -> Result<()> {
    let root = cfg.repo_root();
    let repo = discover(root)?;
    if opts.push || opts.pr {
        let url = remote_url(&repo, &opts.remote)?;
        Link::new(&url)?;
        if opts.pr {
            forge_client(&url, opts)?;
        }
    }
    Ok(())
}

/// `protosync sync [--commit|--push|--pr]`: syncs the repository of `config_path` and, when
/// `publishing` is given and the sync completed (updated, lock updated or already up to
/// date), commits, pushes and proposes it. Publishing is checked before anything is written
/// (the repository, the remote, the forge and its token), and nothing is published after a
/// dry run or a refused sync.
pub fn sync_and_publish(
    config_path: &std::path::Path,
    opts: &super::run::SyncOptions,
    publishing: Option<&PublishOptions>,
) -> Result<(SyncReport, Option<PublishReport>)> {
    let publishing = publishing.filter(|_| !opts.dry_run);
    let (ws, report) = super::run::sync_in(config_path, opts, |ws| match publishing {
        Some(p) => preflight(&ws.cfg, p),
        None => Ok(()),
    })?;
    let published = match publishing {
        Some(p) if report.outcome.completed() => Some(publish(&ws.cfg, &report, p)?),
        _ => None,
    };
    Ok((report, published))
}

/// Commits (and pushes, and opens or updates a pull request for) a sync that was applied in
/// the working tree of `cfg`'s repository.
pub fn publish(
    cfg: &SyncConfig,
    sync: &SyncReport,
    opts: &PublishOptions,
) -> Result<PublishReport> {
    let root = cfg.repo_root();
    let repo = discover(root)?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("{} is a bare repository", repo.path().display()))?
        .canonicalize()?;
    let prefix = root
        .canonicalize()?
        .strip_prefix(&workdir)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let branch = sync_branch(cfg, opts)?;
    let head = repo.head().ok();
    let current = head
        .as_ref()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_owned));
    if current.as_deref() == Some(branch.as_str()) {
        bail!(
            "the current branch is the sync branch {branch:?}; switch to the base branch (e.g. `git switch main`) and run again"
        );
    }
    let base = match (&opts.base, &current) {
        (Some(b), _) => b.clone(),
        (None, Some(c)) => c.clone(),
        (None, None) => bail!("HEAD is detached: name the base branch with --base"),
    };
    let base_commit = repo
        .revparse_single(&base)
        .and_then(|o| o.peel_to_commit())
        .or_else(|_| {
            repo.revparse_single(&format!("origin/{base}"))
                .and_then(|o| o.peel_to_commit())
        })
        .map_err(|_| anyhow!("base branch {base:?} not found"))?
        .id();
    publish_in(
        &repo,
        &prefix,
        (&base, base_commit),
        Contents::Disk(root),
        cfg,
        sync,
        opts,
    )
}

fn sync_branch(cfg: &SyncConfig, opts: &PublishOptions) -> Result<String> {
    let branch = opts
        .branch
        .clone()
        .unwrap_or_else(|| format!("protosync/{}", contract_name(&cfg.contract.repo)));
    if git2::Branch::name_is_valid(&branch).ok() != Some(true) {
        bail!("--branch {branch:?} is not a valid branch name");
    }
    Ok(branch)
}

/// Publishes a sync into `repo`, where the service directory is `prefix` and the base branch
/// is `base` (its name, its commit); the new bytes come from `contents`.
pub fn publish_in(
    repo: &Repository,
    prefix: &str,
    (base, base_commit): (&str, Oid),
    contents: Contents<'_>,
    cfg: &SyncConfig,
    sync: &SyncReport,
    opts: &PublishOptions,
) -> Result<PublishReport> {
    let branch = sync_branch(cfg, opts)?;
    let base = base.to_owned();
    let base_commit = repo.find_commit(base_commit)?;
    let base_tree = base_commit.tree()?;
    let (tree_id, files, base_lock_commit) = build_tree(repo, &base_tree, contents, prefix)?;

    let (link, forge) = connect(repo, opts)?;
    let mut report = PublishReport::unchanged(&branch, &base, files.clone());
    let remote = Remote {
        link: link.as_ref(),
        forge: forge.as_deref(),
    };
    if tree_id == base_tree.id() {
        // The base branch already matches the contract: nothing to propose.
        retire(repo, &base_commit, cfg, sync, opts, remote, &mut report)?;
        return Ok(report);
    }
    let Some(reuse) = commit(
        repo,
        &base_commit,
        tree_id,
        cfg,
        sync,
        link.as_ref(),
        &mut report,
    )?
    else {
        return Ok(report);
    };
    if let Some(link) = &link {
        if !reuse {
            link.push(repo, &format!("+refs/heads/{branch}:refs/heads/{branch}"))?;
            report.pushed = true;
            report.outcome = Outcome::Pushed;
        }
    }
    if let Some(forge) = forge.as_deref() {
        let name = contract_name(&cfg.contract.repo);
        let title = opts
            .title
            .clone()
            .unwrap_or_else(|| pull_request::title(sync, &name));
        let body = match &opts.body {
            Some(text) => pull_request::custom_body(text, sync),
            None => pull_request::body(sync, &files, base_lock_commit.as_deref()),
        };
        propose(
            forge,
            reuse,
            NewPullRequest {
                head: branch,
                base,
                title,
                body,
                draft: opts.draft,
                labels: opts.labels.clone(),
                reviewers: opts.reviewers.clone(),
            },
            &mut report,
        )?;
    }
    Ok(report)
}

/// A forge client for the remote's host.
type ForgeClient = Box<dyn forge::Forge>;

/// The remote to push to (with `--push`) and the forge of its pull request (with `--pr`).
fn connect(
    repo: &Repository,
    opts: &PublishOptions,
) -> Result<(Option<Link>, Option<ForgeClient>)> {
    if !(opts.push || opts.pr) {
        return Ok((None, None));
    }
    let url = remote_url(repo, &opts.remote)?;
    let link = Link::new(&url)?;
    let forge = if opts.pr {
        Some(forge_client(&url, opts)?)
    } else {
        None
    };
    Ok((Some(link), forge))
}

/// Where a sync is published: the remote pushed to and the forge its pull request is on.
#[derive(Clone, Copy)]
struct Remote<'a> {
    link: Option<&'a Link>,
    forge: Option<&'a dyn forge::Forge>,
}

/// The base branch already matches the contract: closes the open pull request of the sync
/// branch (with a comment) and, with `--delete-branch`, deletes the branch on the remote
/// unless it holds someone else's commit.
fn retire(
    repo: &Repository,
    base_commit: &git2::Commit<'_>,
    cfg: &SyncConfig,
    sync: &SyncReport,
    opts: &PublishOptions,
    remote: Remote<'_>,
    report: &mut PublishReport,
) -> Result<()> {
    let (branch, base) = (report.branch.clone(), report.base.clone());
    report.note = Some(format!("{base} already matches the contract"));
    if let Some(forge) = remote.forge {
        if let Some(pr) = forge.find_open(&branch, &base)? {
            forge.close(
                pr.number,
                &format!(
                    "Closed by protosync: `{base}` already matches `{}` at `{}`, so this update is no longer needed.",
                    cfg.contract.repo,
                    sync.contract.commit.as_deref().map(short).unwrap_or("?")
                ),
            )?;
            report.outcome = Outcome::Closed;
            report.pull_request = Some(pr);
        }
    }
    if let (true, Some(link)) = (opts.delete_branch, remote.link) {
        let remote_ref = format!("refs/protosync/remote/{branch}");
        if let Some(tip) = link.fetch_branch(repo, &branch, &remote_ref)? {
            if let Some(foreign) = foreign_commit(repo, tip, base_commit.id())? {
                report.note = Some(format!(
                    "{base} already matches the contract; branch {branch} has a commit protosync did not make ({foreign}): not deleted"
                ));
            } else {
                link.push(repo, &format!(":refs/heads/{branch}"))?;
                report.branch_deleted = true;
            }
        }
    }
    Ok(())
}

/// Puts the sync commit (tree `tree_id` on `base_commit`) on the sync branch: the branch's
/// commit when it already is that commit (locally or on the remote), else a new one. Returns
/// whether the commit was reused, or `None` when the branch holds a commit protosync did not
/// make (someone's work: left alone, `report` says so).
fn commit(
    repo: &Repository,
    base_commit: &git2::Commit<'_>,
    tree_id: Oid,
    cfg: &SyncConfig,
    sync: &SyncReport,
    link: Option<&Link>,
    report: &mut PublishReport,
) -> Result<Option<bool>> {
    let branch = report.branch.clone();
    // Where the branch is now: locally, and on the remote when pushing.
    let local = repo.refname_to_id(&format!("refs/heads/{branch}")).ok();
    let remote_ref = format!("refs/protosync/remote/{branch}");
    let existing = match link {
        Some(link) => link.fetch_branch(repo, &branch, &remote_ref)?,
        None => local,
    };
    for (tip, place) in [(local, "locally"), (existing, "on the remote")] {
        let Some(tip) = tip else { continue };
        if let Some(foreign) = foreign_commit(repo, tip, base_commit.id())? {
            report.outcome = Outcome::Skipped;
            report.note = Some(format!(
                "branch {branch} has a commit protosync did not make {place} ({foreign}); left alone"
            ));
            return Ok(None);
        }
    }
    let reuse = existing.filter(|tip| {
        repo.find_commit(*tip).is_ok_and(|c| {
            c.tree_id() == tree_id && c.parent_ids().collect::<Vec<_>>() == [base_commit.id()]
        })
    });
    let commit_id = match reuse {
        Some(tip) => tip,
        None => {
            let (author, committer) = signatures(repo)?;
            let tree = repo.find_tree(tree_id)?;
            let to = sync.contract.commit.clone().unwrap_or_default();
            let message = format!(
                "protosync: sync {} to {}\n\nUpdates the vendored copy of {} (ref {}) to {to}.\n\n{TRAILER} {}\nProtosync-Commit: {to}\n",
                contract_name(&cfg.contract.repo),
                short(&to),
                cfg.contract.repo,
                sync.contract.ref_,
                cfg.contract.repo,
            );
            repo.commit(None, &author, &committer, &message, &tree, &[base_commit])?
        }
    };
    repo.reference(
        &format!("refs/heads/{branch}"),
        commit_id,
        true,
        "protosync: sync branch",
    )?;
    report.commit = Some(commit_id.to_string());
    report.outcome = if reuse.is_some() {
        Outcome::Unchanged
    } else {
        Outcome::Committed
    };
    Ok(Some(reuse.is_some()))
}

/// Opens the pull request `new` describes, or updates the open one of its branch (left as it
/// is when the branch already carried this update and it says the same).
fn propose(
    forge: &dyn forge::Forge,
    reused: bool,
    new: NewPullRequest,
    report: &mut PublishReport,
) -> Result<()> {
    match forge.find_open(&new.head, &new.base)? {
        // The branch already carries this update: the pull request describes it.
        Some(pr) if reused || (pr.title == new.title && pr.body == new.body) => {
            report.outcome = if report.pushed {
                Outcome::Updated
            } else {
                Outcome::Unchanged
            };
            report.pull_request = Some(pr);
        }
        Some(pr) => {
            let pr = forge.update(pr.number, &new.title, &new.body, &new.labels)?;
            report.outcome = Outcome::Updated;
            report.pull_request = Some(pr);
        }
        None => {
            let pr = forge.create(&new)?;
            report.outcome = Outcome::Created;
            report.pull_request = Some(pr);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{commit_identity, contract_name, Identity};

    fn who(
        env: &[(&str, &str)],
        configured: Option<(&str, &str)>,
    ) -> Result<(Identity, Identity), String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        commit_identity(
            &|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            configured.map(|(n, e)| (n.to_owned(), e.to_owned())),
        )
        .map_err(|e| e.to_string())
    }

    fn id(n: &str, e: &str) -> Identity {
        (n.to_owned(), e.to_owned())
    }

    #[test]
    fn commit_identities_from_settings_git_config_and_the_ci() {
        let dev = id("Dev", "dev@example.com");
        let bot = id(
            "github-actions[bot]",
            "41898282+github-actions[bot]@users.noreply.github.com",
        );
        // Nothing anywhere: the error says how to set one.
        let err = who(&[], None).unwrap_err();
        assert_eq!(err, "no commit author: set user.name and user.email in git config, or PROTOSYNC_GIT_AUTHOR=\"Name <email>\"");
        // Neither CI variable alone is enough where its value is not "true".
        assert!(who(&[("GITHUB_ACTIONS", "false")], None).is_err());
        assert!(who(&[("GITLAB_CI", "true"), ("GITLAB_USER_NAME", "Ann")], None).is_err());
        // git config wins over the CI's identity.
        let configured = who(
            &[("GITHUB_ACTIONS", "true")],
            Some(("Dev", "dev@example.com")),
        );
        assert_eq!(configured, Ok((dev.clone(), dev.clone())));
        // GitHub Actions without any identity: the bot, as author and committer.
        assert_eq!(
            who(&[("GITHUB_ACTIONS", "true")], None),
            Ok((bot.clone(), bot.clone()))
        );
        // GitLab CI: the user who started the pipeline.
        let ann = id("Ann Lee", "ann@example.com");
        assert_eq!(
            who(
                &[
                    ("GITLAB_CI", "true"),
                    ("GITLAB_USER_NAME", "Ann Lee"),
                    ("GITLAB_USER_EMAIL", "ann@example.com")
                ],
                None
            ),
            Ok((ann.clone(), ann.clone()))
        );
        // PROTOSYNC_GIT_AUTHOR / _COMMITTER win over everything, each on its own.
        assert_eq!(
            who(
                &[
                    ("GITHUB_ACTIONS", "true"),
                    ("PROTOSYNC_GIT_AUTHOR", " Ann Lee <ann@example.com> ")
                ],
                Some(("Dev", "dev@example.com"))
            ),
            Ok((ann.clone(), ann.clone()))
        );
        assert_eq!(
            who(
                &[
                    ("GITHUB_ACTIONS", "true"),
                    ("PROTOSYNC_GIT_COMMITTER", "Dev <dev@example.com>")
                ],
                None
            ),
            Ok((bot.clone(), dev.clone()))
        );
        // Empty settings count as unset (an action input left empty).
        assert_eq!(
            who(
                &[
                    ("GITHUB_ACTIONS", "true"),
                    ("PROTOSYNC_GIT_AUTHOR", ""),
                    ("PROTOSYNC_GIT_COMMITTER", " ")
                ],
                None
            ),
            Ok((bot.clone(), bot))
        );
        // A malformed setting names the variable.
        assert_eq!(
            who(
                &[("PROTOSYNC_GIT_COMMITTER", "no email")],
                Some(("Dev", "dev@example.com"))
            )
            .unwrap_err(),
            "PROTOSYNC_GIT_COMMITTER=\"no email\": expected \"Name <email>\""
        );
    }

    #[test]
    fn contract_names_from_urls_and_paths() {
        assert_eq!(
            contract_name("https://github.com/acme/contracts.git"),
            "contracts"
        );
        assert_eq!(
            contract_name("git@github.com:acme/api-contracts.git"),
            "api-contracts"
        );
        assert_eq!(contract_name("../contracts/"), "contracts");
        assert_eq!(
            contract_name("file:///srv/git/Proto Defs.git"),
            "Proto-Defs"
        );
        assert_eq!(contract_name("."), "contract");
    }
}
