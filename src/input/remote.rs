//! Remote git repositories (`https://`, `http://`, `ssh://`, `git://`, `file://` and scp-like
//! `git@host:path`), fetched into a local cache and read from there.
//!
//! Owns the cache (location, layout, locking), fetching (refspecs, shallow depth and its
//! fallbacks), credentials (a token sent as an HTTP header, the ssh agent), `--offline`, and
//! the errors for refs a remote does not have. Reading a tree out of the cached repository is
//! [`super::git`]'s job.
//!
//! Cache layout: `<cache>/git/<key>/` per URL, where `<key>` is the first 32 hex digits of the
//! SHA-256 of the normalised URL (userinfo stripped, scheme and host lower-cased, trailing `/`
//! dropped). It holds `repo/` (a bare repository: branches under `refs/remotes/origin/*`, tags
//! under `refs/tags/*`, the remote's HEAD as `refs/remotes/origin/HEAD`), `url.txt` (the
//! normalised URL) and `lock` (locked with `File::try_lock` by whoever fetches). The cache
//! root is `--cache-dir` / `$PROTOSYNC_CACHE_DIR`, else `$XDG_CACHE_HOME/protosync`, else
//! `~/.cache/protosync` (`%LOCALAPPDATA%\protosync` on Windows).
//!
//! Tokens never reach the URL, the cached repository (no remote is configured in it,
//! FETCH_HEAD is not written, reflogs are off in bare repositories), `url.txt`, or any message.

use std::cell::RefCell;
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use git2::Oid;

use super::{GitWant, LoadOptions, Spec};
use crate::git::auth::Auth;
use crate::git::cache::{
    branch_name, cache_root, expr_base, local_branch_tip, resolve_cached, Base, Entry,
};
use crate::git::fetch::Fetcher;
pub use crate::git::push::Link;
pub use crate::git::timeout::{parse_timeout, set_configured_timeout, TIMEOUT_VAR};
use crate::git::url::{RemoteUrl, Scheme};
use crate::trace::note as trace;

/// A fetched revision: the cached repository and the commit the spec resolved to.
pub struct Fetched {
    pub path: PathBuf,
    pub commit: git2::Oid,
}

/// Fetches what `spec` wants from its remote into the cache (or, with `opts.offline`, only
/// looks in the cache) and resolves it to a commit.
pub fn fetch(spec: &Spec, opts: &LoadOptions) -> Result<Fetched> {
    let url = RemoteUrl::parse(&spec.location)?;
    let want = normalise_want(&spec.want);
    let entry = Entry::new(&cache_root(opts.cache_dir.as_deref())?, &url);
    // One run sees one state of each remote: a ref fetched earlier in this process (by another
    // service of a fan-out, say) is not fetched again.
    let memo_key = (entry.repo_path(), want.to_string(), spec.depth);
    // Threads of this process wanting the same ref wait for the first one here (not on the
    // cache's file lock, which is polled), then find its result in the memo.
    let flight = {
        let mut flights = in_flight().lock().expect("fetch flights");
        flights.entry(memo_key.clone()).or_default().clone()
    };
    let _flight = flight.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(commit) = fetched_this_run()
        .lock()
        .expect("fetch memo")
        .get(&memo_key)
    {
        trace(&format!(
            "{} {want}: fetched earlier in this run",
            url.display
        ));
        return Ok(Fetched {
            path: entry.repo_path(),
            commit: *commit,
        });
    }
    let fetched = fetch_uncached(spec, opts, &url, &want, &entry)?;
    if !opts.offline {
        fetched_this_run()
            .lock()
            .expect("fetch memo")
            .insert(memo_key, fetched.commit);
    }
    Ok(fetched)
}

type FetchMemo = std::sync::Mutex<std::collections::HashMap<FetchKey, Oid>>;

type FetchKey = (PathBuf, String, Option<u32>);
type Flights =
    std::sync::Mutex<std::collections::HashMap<FetchKey, std::sync::Arc<std::sync::Mutex<()>>>>;

/// One mutex per ref being fetched by this process.
fn in_flight() -> &'static Flights {
    static FLIGHTS: std::sync::OnceLock<Flights> = std::sync::OnceLock::new();
    FLIGHTS.get_or_init(Default::default)
}

/// Refs fetched by this process: (cache entry, want, depth) → commit.
fn fetched_this_run() -> &'static FetchMemo {
    static MEMO: std::sync::OnceLock<FetchMemo> = std::sync::OnceLock::new();
    MEMO.get_or_init(Default::default)
}

fn fetch_uncached(
    spec: &Spec,
    opts: &LoadOptions,
    url: &RemoteUrl,
    want: &GitWant,
    entry: &Entry,
) -> Result<Fetched> {
    let (url, want) = (url.clone(), want.clone());
    let cached = entry.open();

    // A commit already in the cache never changes: no network, no lock.
    if let Some(repo) = &cached {
        if is_immutable(&want) {
            if let Ok(commit) = resolve_cached(repo, &want) {
                trace(&format!("{} {want}: cached, no fetch", url.display));
                return Ok(Fetched {
                    path: entry.repo_path(),
                    commit,
                });
            }
        }
    }
    // A local (`file://`) remote is read directly: when its branch is the commit the cache
    // already has, there is nothing to fetch. (libgit2's local transport does not negotiate:
    // a fetch would copy every object again.)
    if let (Some(repo), Scheme::File, GitWant::Branch(b)) = (&cached, url.scheme, &want) {
        if let Some(tip) = local_branch_tip(&url.connect, b) {
            let cached_tip = repo.refname_to_id(&format!("refs/remotes/origin/{b}")).ok();
            if cached_tip == Some(tip) {
                trace(&format!(
                    "{} {want}: cache is current, no fetch",
                    url.display
                ));
                return Ok(Fetched {
                    path: entry.repo_path(),
                    commit: tip,
                });
            }
        }
    }
    if opts.offline {
        let commit = cached
            .as_ref()
            .and_then(|repo| resolve_cached(repo, &want).ok())
            .ok_or_else(|| {
                anyhow!(
                    "{want} is not in the cache of {} and --offline forbids fetching; run once without --offline",
                    url.display
                )
            })?;
        return Ok(Fetched {
            path: entry.repo_path(),
            commit,
        });
    }
    drop(cached);

    let _lock = entry.lock(&url)?;
    let (repo, created) = entry.open_or_create(&url)?;
    let fetcher = Fetcher {
        repo: RefCell::new(repo),
        path: entry.repo_path(),
        url: &url,
        auth: Auth::from_env(&url),
        had_cache: entry.existed,
    };
    let depth = spec.depth.map(|d| d.min(i32::MAX as u32 - 1) as i32);
    let result = fetcher.fetch_want(&want, depth);
    drop(fetcher);
    if result.is_err() && created {
        // A URL that never answered leaves no empty repository behind.
        entry.discard_if_empty();
    }
    let commit = result?;
    Ok(Fetched {
        path: entry.repo_path(),
        commit,
    })
}

/// The want with `refs/heads/` and `refs/tags/` prefixes of branch and tag names dropped
/// (the cache keeps branches under `refs/remotes/origin/`).
fn normalise_want(want: &GitWant) -> GitWant {
    match want {
        GitWant::Branch(b) => GitWant::Branch(branch_name(b).to_owned()),
        GitWant::Tag(t) => GitWant::Tag(t.strip_prefix("refs/tags/").unwrap_or(t).to_owned()),
        GitWant::Ref {
            expr,
            branch: Some(b),
        } => GitWant::Ref {
            expr: expr.clone(),
            branch: Some(branch_name(b).to_owned()),
        },
        other => other.clone(),
    }
}

/// Whether a want names a fixed commit (a cache hit needs no fetch).
fn is_immutable(want: &GitWant) -> bool {
    match want {
        GitWant::Commit(_) => true,
        GitWant::Ref { expr, branch: None } => matches!(expr_base(expr), Base::Sha(_)),
        _ => false,
    }
}
