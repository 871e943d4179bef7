//! The cache of remote repositories: `<cache>/git/<key>/` per URL, locked while fetching, and
//! resolving a wanted revision in a cached repository.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use git2::{Oid, Repository};

use super::resolve::resolve;
use super::url::RemoteUrl;
use crate::input::spec::GitWant;
use crate::trace::{note as trace, since as trace_since};

/// How long to wait for another process that holds the lock of a cache entry.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// The cache

/// The cache root: `--cache-dir` / `$PROTOSYNC_CACHE_DIR`, else the user cache directory.
pub(crate) fn cache_root(cache_dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = cache_dir {
        return Ok(dir.to_path_buf());
    }
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(xdg) = env_dir("XDG_CACHE_HOME") {
        return Ok(xdg.join("protosync"));
    }
    if cfg!(windows) {
        if let Some(local) = env_dir("LOCALAPPDATA") {
            return Ok(local.join("protosync"));
        }
    }
    if let Some(home) = env_dir("HOME") {
        return Ok(home.join(".cache").join("protosync"));
    }
    bail!("no cache directory for remote repositories: set PROTOSYNC_CACHE_DIR or pass --cache-dir")
}

/// One URL's cache entry.
pub(crate) struct Entry {
    pub(crate) dir: PathBuf,
    /// Whether the repository existed before this run's fetch (for hints in errors).
    pub(crate) existed: bool,
}

impl Entry {
    pub(crate) fn new(root: &Path, url: &RemoteUrl) -> Entry {
        let dir = root.join("git").join(url.key());
        let existed = dir.join("repo").join("HEAD").is_file();
        Entry { dir, existed }
    }

    pub(crate) fn repo_path(&self) -> PathBuf {
        self.dir.join("repo")
    }

    /// The cached repository, if there is one. Safe without the lock: fetches only add
    /// objects and replace refs atomically.
    pub(crate) fn open(&self) -> Option<Repository> {
        Repository::open_bare(self.repo_path()).ok()
    }

    /// Takes the entry's exclusive lock, waiting up to [`LOCK_WAIT`] for another process.
    /// The operating system releases it when the holder exits, so a crashed process leaves
    /// no stale lock behind.
    pub(crate) fn lock(&self, url: &RemoteUrl) -> Result<File> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the cache directory {}", self.dir.display()))?;
        let path = self.dir.join("lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the cache lock {}", path.display()))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    if said {
                        trace_since(
                            &format!("waited for the cache lock of {}", url.display),
                            start,
                        );
                    }
                    return Ok(file);
                }
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= LOCK_WAIT {
                        bail!(
                            "another protosync process has been fetching {} for {} s (lock {}); try again later",
                            url.display,
                            LOCK_WAIT.as_secs(),
                            path.display()
                        );
                    }
                    if !said {
                        trace(&format!(
                            "waiting for another process fetching {}",
                            url.display
                        ));
                        said = true;
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(TryLockError::Error(e)) => {
                    bail!("cannot lock the cache entry {}: {e}", path.display())
                }
            }
        }
    }

    /// Opens the cached repository, creating it if needed (then `true`). Call with the lock
    /// held. A new repository is made under a temporary name and renamed into place, so
    /// readers never see half of one.
    pub(crate) fn open_or_create(&self, url: &RemoteUrl) -> Result<(Repository, bool)> {
        let url_txt = self.dir.join("url.txt");
        if !url_txt.is_file() {
            let tmp = self.dir.join("url.txt.tmp");
            fs::write(&tmp, format!("{}\n", url.normal))
                .and_then(|()| fs::rename(&tmp, &url_txt))
                .with_context(|| format!("cannot write {}", url_txt.display()))?;
        }
        let path = self.repo_path();
        if let Ok(repo) = Repository::open_bare(&path) {
            return Ok((repo, false));
        }
        if path.exists() {
            // Not a repository (a damaged entry): start again.
            fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove the damaged cache {}", path.display()))?;
        }
        let tmp = self.dir.join("repo.tmp");
        if tmp.exists() {
            fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
        }
        Repository::init_bare(&tmp).map_err(|e| {
            anyhow!(
                "cannot create a cache repository in {}: {}",
                tmp.display(),
                e.message()
            )
        })?;
        fs::rename(&tmp, &path)
            .with_context(|| format!("cannot move the new cache into {}", path.display()))?;
        let repo = Repository::open_bare(&path).map_err(|e| {
            anyhow!(
                "cannot open the cache repository {}: {}",
                path.display(),
                e.message()
            )
        })?;
        Ok((repo, true))
    }

    /// Removes the repository if it holds no refs (call with the lock held).
    pub(crate) fn discard_if_empty(&self) {
        let empty = Repository::open_bare(self.repo_path())
            .and_then(|repo| Ok(repo.references()?.next().is_none()))
            .unwrap_or(false);
        if empty {
            let _ = fs::remove_dir_all(self.repo_path());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Resolving in the cache

/// The leading ref part of a revision expression (`HEAD` in `HEAD~2`, `v1` in `v1^{tree}`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Base<'a> {
    Head,
    Sha(&'a str),
    Name(&'a str),
}

/// Splits a revision expression into its base and the rest (`~2`, `^`, `@{...}`, ...).
pub(crate) fn split_expr(expr: &str) -> (&str, &str) {
    let cut = expr.find(['~', '^', ':', '@']).unwrap_or(expr.len());
    // A lone `@` means HEAD (`@~1`); `name@{...}` keeps `name`.
    (&expr[..cut], &expr[cut..])
}

pub(crate) fn expr_base(expr: &str) -> Base<'_> {
    let (base, _) = split_expr(expr);
    if base.is_empty() || base == "HEAD" {
        Base::Head
    } else if (4..=40).contains(&base.len()) && base.chars().all(|c| c.is_ascii_hexdigit()) {
        Base::Sha(base)
    } else {
        Base::Name(base)
    }
}

/// A branch name without a `refs/heads/`, `refs/remotes/origin/` or `origin/` prefix.
/// The commit `refs/heads/<branch>` names in the repository of a `file://` URL.
pub(crate) fn local_branch_tip(connect: &str, branch: &str) -> Option<Oid> {
    let path = connect.strip_prefix("file://")?;
    let repo = Repository::open_bare(path)
        .or_else(|_| Repository::open(path))
        .ok()?;
    repo.refname_to_id(&format!("refs/heads/{branch}")).ok()
}

pub(crate) fn branch_name(name: &str) -> &str {
    match strip_ref_prefix(name) {
        (b, Some("branch")) => b,
        _ => name,
    }
}

/// A ref-name base without a `refs/heads/`, `refs/remotes/origin/`, `origin/` or
/// `refs/tags/` prefix, and which kind it names if the prefix said so (`origin/main` is how
/// CI checkouts often spell the branch).
pub(crate) fn strip_ref_prefix(name: &str) -> (&str, Option<&'static str>) {
    if let Some(b) = ["refs/heads/", "refs/remotes/origin/", "origin/"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
    {
        (b, Some("branch"))
    } else if let Some(t) = name.strip_prefix("refs/tags/") {
        (t, Some("tag"))
    } else {
        (name, None)
    }
}

/// Resolves a want against what the cache already holds (no network).
pub(crate) fn resolve_cached(repo: &Repository, want: &GitWant) -> Result<Oid> {
    match want {
        GitWant::Head => resolve(
            repo,
            &GitWant::Ref {
                expr: "refs/remotes/origin/HEAD".into(),
                branch: None,
            },
        ),
        GitWant::Ref { expr, branch: None } => {
            let (base, rest) = split_expr(expr);
            let expr = match expr_base(expr) {
                Base::Head if base.is_empty() => {
                    format!(
                        "refs/remotes/origin/HEAD{}",
                        rest.strip_prefix('@').unwrap_or(rest)
                    )
                }
                Base::Head => format!("refs/remotes/origin/HEAD{rest}"),
                Base::Sha(_) => expr.clone(),
                Base::Name(_) => {
                    let (name, kind) = strip_ref_prefix(base);
                    let tag = format!("refs/tags/{name}");
                    let branch = format!("refs/remotes/origin/{name}");
                    let has = |r: &str| repo.find_reference(r).is_ok();
                    let full = match kind {
                        Some("tag") => tag,
                        Some(_) => branch,
                        None if has(&tag) => tag,
                        None => branch,
                    };
                    format!("{full}{rest}")
                }
            };
            resolve(repo, &GitWant::Ref { expr, branch: None })
        }
        other => resolve(repo, other),
    }
}
