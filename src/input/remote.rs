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

use std::cell::{Cell, RefCell};
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use git2::{
    AutotagOption, Cred, CredentialType, FetchOptions, Oid, ProxyOptions, RemoteCallbacks,
    RemoteRedirect, Repository,
};

use super::{git, GitWant, LoadOptions, Spec};
use crate::trace::{note as trace, since as trace_since};

/// A fetched revision: the cached repository and the commit the spec resolved to.
pub struct Fetched {
    pub path: PathBuf,
    pub commit: git2::Oid,
}

/// How long to wait for another process that holds the lock of a cache entry.
const LOCK_WAIT: Duration = Duration::from_secs(60);
/// Default fetch depth for `branch=`, `tag=`, `commit=` and HEAD.
const DEPTH_REF: i32 = 1;
/// Default fetch depth for `ref=` expressions (`HEAD~3` needs history).
const DEPTH_EXPR: i32 = 50;
/// libgit2's depth for "the whole history" (no shallow boundary, no change to an existing one).
const DEPTH_FULL: i32 = 0;
/// libgit2's `GIT_FETCH_DEPTH_UNSHALLOW`: turn a shallow repository into a complete one.
const DEPTH_UNSHALLOW: i32 = i32::MAX;
/// Calls of the credentials callback before giving up (libgit2 calls it again on failure).
const MAX_CREDENTIAL_CALLS: u32 = 3;
/// Default time to wait for a connection to a remote (http, https, ssh, git://).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time to wait for a remote to send anything once connected: a server that accepts
/// the connection and then says nothing fails after this long instead of hanging CI.
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);
/// The environment variable that sets both timeouts, in seconds (it wins over the config).
pub const TIMEOUT_VAR: &str = "PROTOSYNC_GIT_TIMEOUT";

/// `[git] timeout` of the protosync.toml a command read, in seconds (0 = not configured).
static CONFIGURED_TIMEOUT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Sets the git network timeout from a configuration (`[git] timeout`, seconds, both the
/// connect and the idle timeout). `PROTOSYNC_GIT_TIMEOUT` still wins.
pub fn set_configured_timeout(secs: u64) {
    CONFIGURED_TIMEOUT.store(secs, std::sync::atomic::Ordering::Relaxed);
}

/// The git network timeouts: (connect, idle) and where they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timeouts {
    connect: Duration,
    idle: Duration,
    source: &'static str,
}

/// Parses a timeout in whole seconds, 1 to 86400.
pub fn parse_timeout(text: &str) -> std::result::Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=86_400).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a timeout in seconds (a whole number from 1 to 86400)"
        )),
    }
}

fn timeouts() -> Result<Timeouts> {
    if let Some(v) = std::env::var_os(TIMEOUT_VAR) {
        let text = v.to_string_lossy();
        let secs = parse_timeout(&text).map_err(|why| anyhow!("{TIMEOUT_VAR}: {why}"))?;
        let d = Duration::from_secs(secs);
        return Ok(Timeouts {
            connect: d,
            idle: d,
            source: TIMEOUT_VAR,
        });
    }
    match CONFIGURED_TIMEOUT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => Ok(Timeouts {
            connect: DEFAULT_CONNECT_TIMEOUT,
            idle: DEFAULT_IDLE_TIMEOUT,
            source: "default",
        }),
        secs => Ok(Timeouts {
            connect: Duration::from_secs(secs),
            idle: Duration::from_secs(secs),
            source: "[git] timeout",
        }),
    }
}

/// Sets libgit2's connect and idle timeouts (process-wide; every caller sets the same values)
/// before a network operation. They apply to http(s), git:// and ssh alike: libgit2 polls its
/// sockets with them and hands the idle timeout to libssh2.
fn apply_timeouts() -> Result<Timeouts> {
    let t = timeouts()?;
    let ms = |d: Duration| d.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: these only store an int in libgit2's global settings, read when a socket is
    // opened; every thread stores the same values.
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(ms(t.connect))
            .map_err(|e| anyhow!("cannot set the git connect timeout: {}", e.message()))?;
        git2::opts::set_server_timeout_in_milliseconds(ms(t.idle))
            .map_err(|e| anyhow!("cannot set the git timeout: {}", e.message()))?;
    }
    Ok(t)
}

/// A hint for an error message of libgit2 that reports a timeout.
fn timeout_hint(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("timed out") || lower.contains("timeout")) {
        return String::new();
    }
    match timeouts() {
        Ok(t) if t.source == "default" => format!(
            "; no answer within {} s (connect) / {} s (idle): set {TIMEOUT_VAR} or `[git] timeout` (seconds) to wait longer",
            t.connect.as_secs(),
            t.idle.as_secs()
        ),
        Ok(t) => format!(
            "; no answer within {} s ({}): raise it to wait longer",
            t.idle.as_secs(),
            t.source
        ),
        Err(_) => String::new(),
    }
}

/// The message for a redirect to another host that libgit2 refused because a token is held
/// for the original host (`cannot redirect from 'a' to 'b'`), if `message` is one.
fn redirect_refusal(url: &RemoteUrl, auth: &Auth, message: &str) -> Option<String> {
    let rest = message.split("cannot redirect from '").nth(1)?;
    let (from, rest) = rest.split_once('\'')?;
    let to = rest.strip_prefix(" to '")?.split('\'').next()?;
    let var = auth.token.as_ref().map(|(v, _)| *v).unwrap_or("the token");
    Some(format!(
        "{from} redirected to another host, {to}; protosync holds a token ({var}) for {} and never \
         sends it to another host, so it does not follow the redirect: use the repository's new URL \
         (on {to}) instead",
        url.host
    ))
}

/// Fetches what `spec` wants from its remote into the cache (or, with `opts.offline`, only
/// looks in the cache) and resolves it to a commit.
pub fn fetch(spec: &Spec, opts: &LoadOptions) -> Result<Fetched> {
    let url = RemoteUrl::parse(&spec.location)?;
    let want = normalise_want(&spec.want);
    let entry = Entry::new(&cache_root(opts)?, &url);
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

// ---------------------------------------------------------------------------------------------
// URLs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
    Ssh,
    Git,
    File,
}

/// A remote URL in the forms protosync needs. A URL never carries a secret here: passwords
/// are refused, and so is any userinfo in http(s) URLs (`https://<token>@host/...` is a
/// common way to pass a token).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RemoteUrl {
    /// What libgit2 connects to: the location as written.
    connect: String,
    /// For messages: `normal`, with the ssh user kept (`git@github.com:o/r.git`).
    display: String,
    /// For `url.txt` and the cache key: userinfo stripped, scheme and host lower-cased, no
    /// trailing `/`.
    normal: String,
    scheme: Scheme,
    /// The host name alone (no port, no brackets).
    host: String,
    /// The user name in the URL (`git` in `git@github.com:o/r.git`).
    user: Option<String>,
}

impl RemoteUrl {
    fn parse(location: &str) -> Result<RemoteUrl> {
        let trimmed = location.trim_end_matches('/');
        let (scheme, authority, path, scp) = match trimmed.split_once("://") {
            Some((scheme, rest)) => {
                let (authority, path) = match rest.find('/') {
                    Some(i) => (&rest[..i], &rest[i..]),
                    None => (rest, ""),
                };
                (scheme.to_ascii_lowercase(), authority, path, false)
            }
            None => {
                // scp-like `user@host:path`
                let (authority, path) = trimmed
                    .split_once(':')
                    .ok_or_else(|| anyhow!("{location:?} is not a repository URL"))?;
                ("ssh".to_owned(), authority, path, true)
            }
        };
        let scheme_kind = match scheme.as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "ssh" => Scheme::Ssh,
            "git" => Scheme::Git,
            "file" => Scheme::File,
            other => {
                bail!("unsupported URL scheme {other:?} (expected https, http, ssh, git or file)")
            }
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let hostport = hostport.to_ascii_lowercase();
        let normal = if scp {
            format!("{hostport}:{path}")
        } else {
            format!("{scheme}://{hostport}{path}")
        };
        let is_http = matches!(scheme_kind, Scheme::Http | Scheme::Https);
        let user = match userinfo {
            Some(info) if info.contains(':') || (is_http && !info.is_empty()) => bail!(
                "{normal}: the URL carries credentials; remove them from the URL and set \
                 PROTOSYNC_GIT_TOKEN instead (a token in a URL ends up in logs and caches)"
            ),
            Some(info) if !info.is_empty() => Some(info.to_owned()),
            _ => None,
        };
        let display = match (&user, scp) {
            (Some(u), true) => format!("{u}@{normal}"),
            (Some(u), false) => format!("{scheme}://{u}@{hostport}{path}"),
            (None, _) => normal.clone(),
        };
        let host = match hostport.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => hostport.split(':').next().unwrap_or_default(),
        };
        Ok(RemoteUrl {
            connect: location.to_owned(),
            display,
            host: host.to_owned(),
            normal,
            scheme: scheme_kind,
            user,
        })
    }

    /// The cache key: the first 32 hex digits of the SHA-256 of the normal form.
    fn key(&self) -> String {
        let mut hex = crate::hash::sha256_hex(self.normal.as_bytes());
        hex.truncate(32);
        hex
    }

    fn is_http(&self) -> bool {
        matches!(self.scheme, Scheme::Http | Scheme::Https)
    }
}

// ---------------------------------------------------------------------------------------------
// The cache

/// The cache root: `--cache-dir` / `$PROTOSYNC_CACHE_DIR`, else the user cache directory.
fn cache_root(opts: &LoadOptions) -> Result<PathBuf> {
    if let Some(dir) = &opts.cache_dir {
        return Ok(dir.clone());
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
struct Entry {
    dir: PathBuf,
    /// Whether the repository existed before this run's fetch (for hints in errors).
    existed: bool,
}

impl Entry {
    fn new(root: &Path, url: &RemoteUrl) -> Entry {
        let dir = root.join("git").join(url.key());
        let existed = dir.join("repo").join("HEAD").is_file();
        Entry { dir, existed }
    }

    fn repo_path(&self) -> PathBuf {
        self.dir.join("repo")
    }

    /// The cached repository, if there is one. Safe without the lock: fetches only add
    /// objects and replace refs atomically.
    fn open(&self) -> Option<Repository> {
        Repository::open_bare(self.repo_path()).ok()
    }

    /// Takes the entry's exclusive lock, waiting up to [`LOCK_WAIT`] for another process.
    /// The operating system releases it when the holder exits, so a crashed process leaves
    /// no stale lock behind.
    fn lock(&self, url: &RemoteUrl) -> Result<File> {
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
    fn open_or_create(&self, url: &RemoteUrl) -> Result<(Repository, bool)> {
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
    fn discard_if_empty(&self) {
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
enum Base<'a> {
    Head,
    Sha(&'a str),
    Name(&'a str),
}

/// Splits a revision expression into its base and the rest (`~2`, `^`, `@{...}`, ...).
fn split_expr(expr: &str) -> (&str, &str) {
    let cut = expr.find(['~', '^', ':', '@']).unwrap_or(expr.len());
    // A lone `@` means HEAD (`@~1`); `name@{...}` keeps `name`.
    (&expr[..cut], &expr[cut..])
}

fn expr_base(expr: &str) -> Base<'_> {
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
fn local_branch_tip(connect: &str, branch: &str) -> Option<Oid> {
    let path = connect.strip_prefix("file://")?;
    let repo = Repository::open_bare(path)
        .or_else(|_| Repository::open(path))
        .ok()?;
    repo.refname_to_id(&format!("refs/heads/{branch}")).ok()
}

fn branch_name(name: &str) -> &str {
    match strip_ref_prefix(name) {
        (b, Some("branch")) => b,
        _ => name,
    }
}

/// A ref-name base without a `refs/heads/`, `refs/remotes/origin/`, `origin/` or
/// `refs/tags/` prefix, and which kind it names if the prefix said so (`origin/main` is how
/// CI checkouts often spell the branch).
fn strip_ref_prefix(name: &str) -> (&str, Option<&'static str>) {
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
fn resolve_cached(repo: &Repository, want: &GitWant) -> Result<Oid> {
    match want {
        GitWant::Head => git::resolve(
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
            git::resolve(repo, &GitWant::Ref { expr, branch: None })
        }
        other => git::resolve(repo, other),
    }
}

// ---------------------------------------------------------------------------------------------
// Credentials

/// The token for an http(s) remote, if any.
struct Auth {
    /// (environment variable it came from, token)
    token: Option<(&'static str, String)>,
}

impl Auth {
    /// `PROTOSYNC_GIT_TOKEN` for any http(s) remote; else `GITHUB_TOKEN`, but only for the
    /// GitHub host (the host of `$GITHUB_SERVER_URL`, else github.com): an ambient CI token is
    /// not handed to whatever server a spec names.
    fn from_env(url: &RemoteUrl) -> Auth {
        let var = |name: &str| std::env::var(name).ok().filter(|t| !t.trim().is_empty());
        if !url.is_http() {
            return Auth { token: None };
        }
        if let Some(t) = var("PROTOSYNC_GIT_TOKEN") {
            return Auth {
                token: Some(("PROTOSYNC_GIT_TOKEN", t.trim().to_owned())),
            };
        }
        // With `GITHUB_SERVER_URL` (set by GitHub Actions, `https://github.com` or an
        // Enterprise server) that host alone; without it, github.com alone.
        let github_host = match var("GITHUB_SERVER_URL") {
            Some(s) => RemoteUrl::parse(s.trim())
                .ok()
                .filter(RemoteUrl::is_http)
                .map(|u| u.host),
            None => Some("github.com".to_owned()),
        };
        let github = github_host.as_deref() == Some(url.host.as_str());
        let token = if github {
            var("GITHUB_TOKEN").map(|t| ("GITHUB_TOKEN", t.trim().to_owned()))
        } else {
            None
        };
        Auth { token }
    }

    /// Which redirects libgit2 may follow: with a token, none to another host (libgit2 sends
    /// custom headers, the token among them, to wherever it is redirected); without one, the
    /// default (the first request only).
    fn redirects(&self) -> RemoteRedirect {
        if self.token.is_some() {
            RemoteRedirect::None
        } else {
            RemoteRedirect::Initial
        }
    }

    /// The `Authorization` header carrying the token.
    fn header(&self) -> Option<String> {
        self.token.as_ref().map(|(_, t)| {
            format!(
                "Authorization: Basic {}",
                base64(format!("x-access-token:{t}").as_bytes())
            )
        })
    }

    /// `text` with the token (and its base64 forms) replaced by `***`.
    fn redact(&self, text: &str) -> String {
        let Some((_, token)) = &self.token else {
            return text.to_owned();
        };
        let mut out = text.replace(token.as_str(), "***");
        if let Some(h) = self.header() {
            let value = h.trim_start_matches("Authorization: Basic ");
            out = out.replace(value, "***");
        }
        out
    }
}

/// Standard base64 with padding (RFC 4648). Twenty lines here instead of a dependency for one
/// header value.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Fetching

/// What the remote advertised on the last connection.
struct Advertised {
    names: Vec<String>,
}

impl Advertised {
    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    fn branches(&self) -> Vec<&str> {
        self.names
            .iter()
            .filter_map(|n| n.strip_prefix("refs/heads/"))
            .collect()
    }

    fn tags(&self) -> Vec<&str> {
        self.names
            .iter()
            .filter_map(|n| n.strip_prefix("refs/tags/"))
            .filter(|t| !t.ends_with("^{}"))
            .collect()
    }
}

struct Fetcher<'a> {
    /// The cached repository, opened again after every fetch: a `Repository` keeps the
    /// shallow boundary it read when opened, so after a deepening fetch a stale one would
    /// still hide the new history.
    repo: RefCell<Repository>,
    path: PathBuf,
    url: &'a RemoteUrl,
    auth: Auth,
    had_cache: bool,
}

impl Fetcher<'_> {
    fn repo(&self) -> std::cell::Ref<'_, Repository> {
        self.repo.borrow()
    }

    /// Fetches what `want` needs and resolves it.
    fn fetch_want(&self, want: &GitWant, depth: Option<i32>) -> Result<Oid> {
        let want_depth = depth.unwrap_or(match want {
            GitWant::Ref { .. } => DEPTH_EXPR,
            _ => DEPTH_REF,
        });
        match want {
            GitWant::Branch(b) => {
                let spec = branch_refspec(b);
                let adv = self.fetch_new(&spec, want_depth)?;
                if !adv.has(&format!("refs/heads/{b}")) {
                    return Err(self.missing("branch", b, &adv));
                }
                self.resolve(want)
            }
            GitWant::Tag(t) => {
                let spec = tag_refspec(t);
                let adv = self.fetch_new(&spec, want_depth)?;
                if !adv.has(&format!("refs/tags/{t}")) {
                    return Err(self.missing("tag", t, &adv));
                }
                self.resolve(want)
            }
            GitWant::Head => {
                let spec = head_refspec();
                let adv = self.fetch_new(&spec, want_depth)?;
                if !adv.has("HEAD") {
                    bail!(
                        "{} has no HEAD (an empty repository?); name a branch or tag with #branch= or #tag=",
                        self.url.display
                    );
                }
                self.resolve(want)
            }
            GitWant::Commit(c) => self.fetch_commit(c, want, depth),
            GitWant::Ref {
                branch: Some(b), ..
            } => {
                let spec = branch_refspec(b);
                let adv = self.fetch_new(&spec, want_depth)?;
                if !adv.has(&format!("refs/heads/{b}")) {
                    return Err(self.missing("branch", b, &adv));
                }
                self.resolve_deepening(&[spec], want_depth, want)
            }
            GitWant::Ref { expr, branch: None } => match expr_base(expr) {
                Base::Sha(sha) => self.fetch_commit(sha, want, depth),
                Base::Head => {
                    let spec = head_refspec();
                    let adv = self.fetch_new(&spec, want_depth)?;
                    if !adv.has("HEAD") {
                        bail!("{} has no HEAD (an empty repository?)", self.url.display);
                    }
                    self.resolve_deepening(&[spec], want_depth, want)
                }
                Base::Name(name) => {
                    let (name, kind) = strip_ref_prefix(name);
                    let mut specs = Vec::new();
                    if kind != Some("tag") {
                        specs.push(branch_refspec(name));
                    }
                    if kind != Some("branch") {
                        specs.push(tag_refspec(name));
                    }
                    let refs: Vec<&str> = specs.iter().map(String::as_str).collect();
                    let adv = self.fetch(&specs, self.first_depth(&refs, want_depth))?;
                    let found = (kind != Some("tag") && adv.has(&format!("refs/heads/{name}")))
                        || (kind != Some("branch") && adv.has(&format!("refs/tags/{name}")));
                    if !found {
                        return Err(self.missing(kind.unwrap_or("ref"), name, &adv));
                    }
                    self.resolve_deepening(&specs, want_depth, want)
                }
            },
        }
    }

    /// A commit by sha: straight from the server if it allows fetching by id (full shas only),
    /// else from the default branch, else from every branch and tag with full history.
    fn fetch_commit(&self, sha: &str, want: &GitWant, depth: Option<i32>) -> Result<Oid> {
        if sha.len() < 4 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!("commit {sha:?} is not a commit id (4 to 40 hex digits)");
        }
        // Another process may have fetched it while this one waited for the lock.
        if let Ok(oid) = resolve_cached(&self.repo(), want) {
            return Ok(oid);
        }
        let shallow_ok = self.may_shallow();
        if sha.len() == 40 {
            let spec = format!("+{sha}:refs/protosync/commits/{sha}");
            let d = if shallow_ok {
                depth.unwrap_or(DEPTH_REF)
            } else {
                DEPTH_FULL
            };
            match self.fetch(&[spec], d) {
                Ok(_) => {
                    if let Ok(oid) = resolve_cached(&self.repo(), want) {
                        return Ok(oid);
                    }
                }
                Err(e) => trace(&format!("fetching {sha} by id: {e:#}; trying branches")),
            }
        }
        let d = if shallow_ok {
            depth.unwrap_or(DEPTH_EXPR).max(DEPTH_EXPR)
        } else {
            DEPTH_FULL
        };
        self.fetch(&[head_refspec()], d)?;
        if let Ok(oid) = resolve_cached(&self.repo(), want) {
            return Ok(oid);
        }
        let all = [
            "+refs/heads/*:refs/remotes/origin/*".to_owned(),
            "+refs/tags/*:refs/tags/*".to_owned(),
        ];
        self.fetch(&all, self.deepest())?;
        resolve_cached(&self.repo(), want).map_err(|_| {
            anyhow!(
                "commit {sha:?} not found in {} (searched every branch and tag)",
                self.url.display
            )
        })
    }

    /// Fetches one refspec, `depth` deep if the ref is new to the cache.
    fn fetch_new(&self, refspec: &str, depth: i32) -> Result<Advertised> {
        self.fetch(&[refspec.to_owned()], self.first_depth(&[refspec], depth))
    }

    /// Whether a shallow fetch may be used: never on `file://` (libgit2's local transport
    /// cannot), never into a cache that already holds complete history (a shallow fetch would
    /// cut it), so only into a new cache or one that is shallow already.
    fn may_shallow(&self) -> bool {
        if self.url.scheme == Scheme::File {
            return false;
        }
        self.repo().is_shallow() || self.repo().is_empty().unwrap_or(false)
    }

    /// The depth of the first fetch: a ref the cache already has is updated incrementally
    /// (full depth: the server sends only what is new, nothing if it has not moved); a new ref
    /// is fetched `depth` deep where that is allowed.
    fn first_depth(&self, refspecs: &[&str], depth: i32) -> i32 {
        if !self.may_shallow() {
            return DEPTH_FULL;
        }
        // `ref=NAME~1` fetches NAME as a branch and as a tag: one of them existing is enough.
        let known = refspecs.iter().any(|s| {
            s.rsplit_once(':')
                .is_some_and(|(_, dst)| self.repo().find_reference(dst).is_ok())
        });
        if known {
            DEPTH_FULL
        } else {
            depth
        }
    }

    /// The depth that fetches everything: unshallow a shallow cache, else full.
    fn deepest(&self) -> i32 {
        if self.repo().is_shallow() {
            DEPTH_UNSHALLOW
        } else {
            DEPTH_FULL
        }
    }

    /// Resolves an expression, deepening a shallow cache when the expression reaches past
    /// its history: first to `depth` (at least [`DEPTH_EXPR`]), then to the whole history.
    fn resolve_deepening(&self, refspecs: &[String], depth: i32, want: &GitWant) -> Result<Oid> {
        if let Ok(oid) = resolve_cached(&self.repo(), want) {
            return Ok(oid);
        }
        let mut tried = Vec::new();
        for d in [depth.max(DEPTH_EXPR), DEPTH_UNSHALLOW] {
            if !self.repo().is_shallow() || tried.contains(&d) {
                break;
            }
            tried.push(d);
            trace(&format!(
                "{want} is beyond the fetched history of {}; deepening",
                self.url.display
            ));
            self.fetch(refspecs, d)?;
            if let Ok(oid) = resolve_cached(&self.repo(), want) {
                return Ok(oid);
            }
        }
        resolve_cached(&self.repo(), want).map_err(|_| {
            anyhow!(
                "{want} not found in {} (the revision expression names no commit in its history)",
                self.url.display
            )
        })
    }

    fn resolve(&self, want: &GitWant) -> Result<Oid> {
        resolve_cached(&self.repo(), want)
            .map_err(|e| anyhow!("{want} in {}: {e:#}", self.url.display))
    }

    /// The error for a ref the remote does not advertise, with the closest names it does.
    fn missing(&self, kind: &str, name: &str, adv: &Advertised) -> anyhow::Error {
        let branches = adv.branches();
        let tags = adv.tags();
        let pool: Vec<&str> = match kind {
            "branch" => branches,
            "tag" => tags,
            _ => branches.into_iter().chain(tags).collect(),
        };
        let near = crate::suggest::closest(name, pool.iter().copied(), 3);
        let plural = if kind == "tag" { "tags" } else { "branches" };
        let hint = if !near.is_empty() {
            format!("; closest: {}", near.join(", "))
        } else if pool.is_empty() {
            format!("; the remote has no {plural}")
        } else {
            let some: Vec<&str> = pool.iter().take(5).copied().collect();
            format!(
                "; it has: {}{}",
                some.join(", "),
                if pool.len() > 5 { ", …" } else { "" }
            )
        };
        anyhow!(
            "{kind} {name:?} not found in remote repository {}{hint}",
            self.url.display
        )
    }

    /// One fetch (one connection) of `refspecs` at `depth`; returns what the remote
    /// advertised. A shallow fetch the transport refuses is retried in full.
    fn fetch(&self, refspecs: &[String], depth: i32) -> Result<Advertised> {
        match self.fetch_once(refspecs, depth) {
            Err(e) if depth != DEPTH_FULL && depth != DEPTH_UNSHALLOW && e.shallow_refused => {
                trace(&format!(
                    "{} refused a shallow fetch; fetching in full",
                    self.url.display
                ));
                self.fetch_once(refspecs, DEPTH_FULL).map_err(|e| e.error)
            }
            other => other.map_err(|e| e.error),
        }
    }

    fn fetch_once(&self, refspecs: &[String], depth: i32) -> Result<Advertised, FetchError> {
        let result = self.fetch_with(&self.repo(), refspecs, depth);
        let reopened = Repository::open_bare(&self.path).map_err(|e| FetchError {
            error: anyhow!(
                "cannot open the cache repository {}: {}",
                self.path.display(),
                e.message()
            ),
            shallow_refused: false,
        })?;
        *self.repo.borrow_mut() = reopened;
        result
    }

    fn fetch_with(
        &self,
        repo: &Repository,
        refspecs: &[String],
        depth: i32,
    ) -> Result<Advertised, FetchError> {
        let start = Instant::now();
        let calls = Cell::new(0u32);
        let auth_failure: RefCell<Option<String>> = RefCell::new(None);
        let mut remote = repo
            .remote_anonymous(&self.url.connect)
            .map_err(|e| FetchError {
                error: anyhow!("{}: {}", self.url.display, self.auth.redact(e.message())),
                shallow_refused: false,
            })?;
        let header = self.auth.header();
        let headers: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(|_url, _user_from_url, allowed| {
            self.credentials(allowed, &calls, &auth_failure)
        });
        // libgit2 counts received bytes only while a progress callback is installed.
        callbacks.transfer_progress(|_| true);
        let mut proxy = ProxyOptions::new();
        proxy.auto();
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(callbacks)
            .proxy_options(proxy)
            .depth(depth)
            .download_tags(AutotagOption::None)
            .update_fetchhead(false)
            .follow_redirects(self.auth.redirects())
            .custom_headers(&headers);
        let result = match apply_timeouts() {
            Ok(_) => remote.fetch(refspecs, Some(&mut fo), Some("protosync: fetch")),
            Err(e) => {
                return Err(FetchError {
                    error: e,
                    shallow_refused: false,
                })
            }
        };
        drop(fo);
        if let Err(e) = result {
            let message = self.auth.redact(e.message());
            let shallow_refused = message.contains("shallow");
            let error = match auth_failure.into_inner() {
                Some(reason) => anyhow!("cannot fetch {}: {reason}", self.url.display),
                None if redirect_refusal(self.url, &self.auth, &message).is_some() => anyhow!(
                    "cannot fetch {}: {}",
                    self.url.display,
                    redirect_refusal(self.url, &self.auth, &message).unwrap_or_default()
                ),
                None => {
                    let mut hint = String::new();
                    if message.contains("404") || message.contains("403") {
                        hint.push_str(match &self.auth.token {
                            Some(_) => {
                                "; check the URL, and that the token can read the repository"
                            }
                            None => {
                                "; check the URL (a private repository needs PROTOSYNC_GIT_TOKEN)"
                            }
                        });
                    }
                    if message.contains("hostkey") {
                        hint.push_str(&format!(
                            "; is {} in ~/.ssh/known_hosts? (add it with ssh-keyscan)",
                            self.url.host
                        ));
                    }
                    hint.push_str(&timeout_hint(&message));
                    if self.had_cache {
                        hint.push_str(
                            "; the cache holds an earlier fetch: add --offline to use it",
                        );
                    }
                    anyhow!("cannot fetch {}: {message}{hint}", self.url.display)
                }
            };
            return Err(FetchError {
                error,
                shallow_refused,
            });
        }
        let names = remote
            .list()
            .map(|heads| heads.iter().map(|h| h.name().to_owned()).collect())
            .unwrap_or_default();
        if crate::trace::enabled() {
            let stats = remote.stats();
            let depth_text = match depth {
                DEPTH_FULL => "full".to_owned(),
                DEPTH_UNSHALLOW => "unshallow".to_owned(),
                d => d.to_string(),
            };
            trace_since(
                &format!(
                    "fetch {} [{}] depth {depth_text}: {} objects, {} bytes",
                    self.url.display,
                    refspecs.join(" "),
                    stats.received_objects(),
                    stats.received_bytes()
                ),
                start,
            );
        }
        Ok(Advertised { names })
    }

    /// The credentials callback: the ssh agent for ssh (user from the URL, else `git`); for
    /// http(s) the token went out as a header already, so being asked means it was missing or
    /// refused. Gives up after [`MAX_CREDENTIAL_CALLS`] calls (libgit2 asks again on failure).
    fn credentials(
        &self,
        allowed: CredentialType,
        calls: &Cell<u32>,
        failure: &RefCell<Option<String>>,
    ) -> Result<Cred, git2::Error> {
        credentials(self.url, &self.auth, allowed, calls, failure)
    }
}

/// A remote to publish to (`sync --push`, `fanout`): fetch one branch from it, push to it.
/// Same URLs, credentials and token rules as fetching contracts; the token never reaches a
/// URL, a ref, the repository's config or a message.
pub struct Link {
    url: RemoteUrl,
    auth: Auth,
}

impl Link {
    pub fn new(location: &str) -> Result<Link> {
        let url = RemoteUrl::parse(location)?;
        let auth = Auth::from_env(&url);
        Ok(Link { url, auth })
    }

    /// The URL for messages (no credentials).
    pub fn display(&self) -> &str {
        &self.url.display
    }

    /// `text` with the token replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.auth.redact(text)
    }

    fn run<T>(
        &self,
        repo: &Repository,
        what: &str,
        op: impl FnOnce(
            &mut git2::Remote<'_>,
            RemoteCallbacks<'_>,
            ProxyOptions<'_>,
            &[&str],
            RemoteRedirect,
        ) -> Result<T, git2::Error>,
    ) -> Result<T> {
        let calls = Cell::new(0u32);
        let failure: RefCell<Option<String>> = RefCell::new(None);
        let mut remote = repo
            .remote_anonymous(&self.url.connect)
            .map_err(|e| anyhow!("{}: {}", self.url.display, self.auth.redact(e.message())))?;
        let header = self.auth.header();
        let headers: Vec<&str> = header.iter().map(String::as_str).collect();
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(|_url, _user, allowed| {
            credentials(&self.url, &self.auth, allowed, &calls, &failure)
        });
        let mut proxy = ProxyOptions::new();
        proxy.auto();
        apply_timeouts()?;
        let redirects = self.auth.redirects();
        op(&mut remote, callbacks, proxy, &headers, redirects).map_err(|e| {
            match failure.borrow().as_ref() {
                Some(reason) => anyhow!("cannot {what} {}: {reason}", self.url.display),
                None => {
                    let message = self.auth.redact(e.message());
                    match redirect_refusal(&self.url, &self.auth, &message) {
                        Some(why) => anyhow!("cannot {what} {}: {why}", self.url.display),
                        None => anyhow!(
                            "cannot {what} {}: {message}{}",
                            self.url.display,
                            timeout_hint(&message)
                        ),
                    }
                }
            }
        })
    }

    /// Fetches `refs/heads/<branch>` (full history) into `into` (a ref name of `repo`) and
    /// returns its commit, or `None` when the remote has no such branch (`into` is then
    /// deleted).
    pub fn fetch_branch(&self, repo: &Repository, branch: &str, into: &str) -> Result<Option<Oid>> {
        let refspec = format!("+refs/heads/{branch}:{into}");
        let advertised = self.run(
            repo,
            "fetch from",
            |remote, callbacks, proxy, headers, redirects| {
                let mut fo = FetchOptions::new();
                fo.remote_callbacks(callbacks)
                    .proxy_options(proxy)
                    .download_tags(AutotagOption::None)
                    .update_fetchhead(false)
                    .follow_redirects(redirects)
                    .custom_headers(headers);
                remote.fetch(&[refspec.as_str()], Some(&mut fo), Some("protosync: fetch"))?;
                Ok(remote
                    .list()
                    .map(|heads| {
                        heads
                            .iter()
                            .any(|h| h.name() == format!("refs/heads/{branch}"))
                    })
                    .unwrap_or(false))
            },
        )?;
        if !advertised {
            if let Ok(mut r) = repo.find_reference(into) {
                let _ = r.delete();
            }
            return Ok(None);
        }
        Ok(repo.refname_to_id(into).ok())
    }

    /// Pushes `refspec` (`+refs/heads/x:refs/heads/x`). A ref the server rejects is an error
    /// with the server's reason.
    pub fn push(&self, repo: &Repository, refspec: &str) -> Result<()> {
        let rejected: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let sink = rejected.clone();
        self.run(
            repo,
            "push to",
            move |remote, mut callbacks, proxy, headers, redirects| {
                callbacks.push_update_reference(move |name, status| {
                    if let Some(why) = status {
                        sink.lock()
                            .expect("push status")
                            .push(format!("{name}: {why}"));
                    }
                    Ok(())
                });
                let mut po = git2::PushOptions::new();
                po.remote_callbacks(callbacks)
                    .proxy_options(proxy)
                    .follow_redirects(redirects)
                    .custom_headers(headers);
                remote.push(&[refspec], Some(&mut po))
            },
        )?;
        let rejected = rejected.lock().expect("push status").clone();
        if !rejected.is_empty() {
            bail!(
                "{} rejected the push: {}",
                self.url.display,
                self.auth.redact(&rejected.join("; "))
            );
        }
        Ok(())
    }
}

/// Credentials for a remote: the ssh agent for ssh, a user name when asked; an http token is
/// sent as a header, never through this callback.
fn credentials(
    url: &RemoteUrl,
    auth: &Auth,
    allowed: CredentialType,
    calls: &Cell<u32>,
    failure: &RefCell<Option<String>>,
) -> Result<Cred, git2::Error> {
    calls.set(calls.get() + 1);
    let user = url.user.as_deref().unwrap_or("git");
    let reason = if calls.get() > MAX_CREDENTIAL_CALLS {
        if url.is_http() {
            http_auth_reason(auth)
        } else {
            format!(
                "ssh authentication as {user:?} failed: no key offered by the ssh agent was accepted \
                 (check `ssh-add -l` and that the key has access)"
            )
        }
    } else if allowed.contains(CredentialType::USERNAME) {
        return Cred::username(user);
    } else if allowed.contains(CredentialType::SSH_KEY) {
        if std::env::var_os("SSH_AUTH_SOCK").is_none() && cfg!(unix) {
            "ssh authentication needs an ssh agent, and SSH_AUTH_SOCK is not set \
             (start one with `eval $(ssh-agent)` and `ssh-add`)"
                .to_owned()
        } else if calls.get() > 2 {
            format!(
                "ssh authentication as {user:?} failed: no key offered by the ssh agent was accepted \
                 (check `ssh-add -l` and that the key has access)"
            )
        } else {
            return Cred::ssh_key_from_agent(user);
        }
    } else if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        http_auth_reason(auth)
    } else {
        format!("the server asks for credentials protosync cannot provide ({allowed:?})")
    };
    *failure.borrow_mut() = Some(reason.clone());
    Err(git2::Error::from_str(&reason))
}

fn http_auth_reason(auth: &Auth) -> String {
    match &auth.token {
        Some((var, _)) => format!(
            "the server refused the token from {var} (check that it is valid and can read this repository)"
        ),
        None => "the server requires authentication: set PROTOSYNC_GIT_TOKEN to a token that can read \
                 this repository (GITHUB_TOKEN is used for GitHub hosts)"
            .to_owned(),
    }
}

struct FetchError {
    error: anyhow::Error,
    shallow_refused: bool,
}

fn branch_refspec(b: &str) -> String {
    format!("+refs/heads/{b}:refs/remotes/origin/{b}")
}

fn tag_refspec(t: &str) -> String {
    format!("+refs/tags/{t}:refs/tags/{t}")
}

fn head_refspec() -> String {
    "+HEAD:refs/remotes/origin/HEAD".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("x-access-token:abc", "eC1hY2Nlc3MtdG9rZW46YWJj"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn urls_are_normalised_and_keyed() {
        let u = RemoteUrl::parse("https://GitHub.com/acme/contracts.git/").unwrap();
        assert_eq!(u.display, "https://github.com/acme/contracts.git");
        assert_eq!(u.host, "github.com");
        assert_eq!(u.key().len(), 32);
        let ssh = RemoteUrl::parse("ssh://deploy@GitHub.com:22/acme/contracts.git").unwrap();
        assert_eq!(ssh.display, "ssh://deploy@github.com:22/acme/contracts.git");
        assert_eq!(ssh.normal, "ssh://github.com:22/acme/contracts.git");
        assert_eq!(ssh.user.as_deref(), Some("deploy"));
        assert_eq!(
            ssh.key(),
            RemoteUrl::parse("ssh://github.com:22/acme/contracts.git")
                .unwrap()
                .key()
        );
        let scp = RemoteUrl::parse("git@github.com:acme/contracts.git").unwrap();
        assert_eq!(scp.display, "git@github.com:acme/contracts.git");
        assert_eq!(scp.normal, "github.com:acme/contracts.git");
        assert_eq!(scp.scheme, Scheme::Ssh);
        assert_eq!(scp.user.as_deref(), Some("git"));
        let file = RemoteUrl::parse("file:///tmp/x/contracts.git").unwrap();
        assert_eq!(file.display, "file:///tmp/x/contracts.git");
        assert_eq!(file.host, "");
        let port = RemoteUrl::parse("http://127.0.0.1:8080/r.git").unwrap();
        assert_eq!(port.host, "127.0.0.1");
        let v6 = RemoteUrl::parse("https://[::1]:8443/r.git").unwrap();
        assert_eq!(v6.host, "::1");
    }

    #[test]
    fn credentials_in_urls_are_refused_without_echoing_them() {
        for url in [
            "https://x-access-token:s3cret@github.com/o/r.git",
            "https://s3cret@github.com/o/r.git",
            "ssh://git:s3cret@github.com/o/r.git",
        ] {
            let e = RemoteUrl::parse(url).unwrap_err().to_string();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(e.contains("github.com/o/r.git"), "{e}");
            assert!(e.contains("PROTOSYNC_GIT_TOKEN"), "{e}");
        }
    }

    #[test]
    fn expressions_split_into_base_and_rest() {
        assert_eq!(expr_base("HEAD~2"), Base::Head);
        assert_eq!(expr_base("@~1"), Base::Head);
        assert_eq!(expr_base("abc1234^"), Base::Sha("abc1234"));
        assert_eq!(expr_base("v1.2~1"), Base::Name("v1.2"));
        assert_eq!(expr_base("release/1.x"), Base::Name("release/1.x"));
        assert_eq!(split_expr("main@{1}"), ("main", "@{1}"));
        assert_eq!(strip_ref_prefix("origin/main"), ("main", Some("branch")));
        assert_eq!(strip_ref_prefix("refs/tags/v1"), ("v1", Some("tag")));
        assert_eq!(strip_ref_prefix("main"), ("main", None));
    }

    #[test]
    fn redaction_covers_the_token_and_its_header() {
        let auth = Auth {
            token: Some(("PROTOSYNC_GIT_TOKEN", "tok-123".into())),
        };
        let header = auth.header().unwrap();
        let value = header.trim_start_matches("Authorization: Basic ");
        let text = format!("bad header '{value}' for tok-123");
        assert_eq!(auth.redact(&text), "bad header '***' for ***");
    }
}
