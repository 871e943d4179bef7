//! Fetching into the cache: refspecs, shallow depth and its fallbacks, and the errors for
//! refs a remote does not have.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Result};
use git2::{
    AutotagOption, Cred, CredentialType, FetchOptions, Oid, ProxyOptions, RemoteCallbacks,
    Repository,
};

use super::auth::{credentials, Auth};
use super::cache::{expr_base, resolve_cached, strip_ref_prefix, Base};
use super::timeout::{apply_timeouts, redirect_refusal, timeout_hint};
use super::url::{RemoteUrl, Scheme};
use crate::input::spec::GitWant;
use crate::trace::{note as trace, since as trace_since};

/// Default fetch depth for `branch=`, `tag=`, `commit=` and HEAD.
pub(crate) const DEPTH_REF: i32 = 1;
/// Default fetch depth for `ref=` expressions (`HEAD~3` needs history).
pub(crate) const DEPTH_EXPR: i32 = 50;
/// libgit2's depth for "the whole history" (no shallow boundary, no change to an existing one).
pub(crate) const DEPTH_FULL: i32 = 0;
/// libgit2's `GIT_FETCH_DEPTH_UNSHALLOW`: turn a shallow repository into a complete one.
pub(crate) const DEPTH_UNSHALLOW: i32 = i32::MAX;

// ---------------------------------------------------------------------------------------------
// Fetching

/// What the remote advertised on the last connection.
pub(crate) struct Advertised {
    pub(crate) names: Vec<String>,
}

impl Advertised {
    pub(crate) fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    pub(crate) fn branches(&self) -> Vec<&str> {
        self.names
            .iter()
            .filter_map(|n| n.strip_prefix("refs/heads/"))
            .collect()
    }

    pub(crate) fn tags(&self) -> Vec<&str> {
        self.names
            .iter()
            .filter_map(|n| n.strip_prefix("refs/tags/"))
            .filter(|t| !t.ends_with("^{}"))
            .collect()
    }
}

pub(crate) struct Fetcher<'a> {
    /// The cached repository, opened again after every fetch: a `Repository` keeps the
    /// shallow boundary it read when opened, so after a deepening fetch a stale one would
    /// still hide the new history.
    pub(crate) repo: RefCell<Repository>,
    pub(crate) path: PathBuf,
    pub(crate) url: &'a RemoteUrl,
    pub(crate) auth: Auth,
    pub(crate) had_cache: bool,
}

impl Fetcher<'_> {
    pub(crate) fn repo(&self) -> std::cell::Ref<'_, Repository> {
        self.repo.borrow()
    }

    /// Fetches what `want` needs and resolves it.
    pub(crate) fn fetch_want(&self, want: &GitWant, depth: Option<i32>) -> Result<Oid> {
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
    pub(crate) fn fetch_commit(
        &self,
        sha: &str,
        want: &GitWant,
        depth: Option<i32>,
    ) -> Result<Oid> {
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
    pub(crate) fn fetch_new(&self, refspec: &str, depth: i32) -> Result<Advertised> {
        self.fetch(&[refspec.to_owned()], self.first_depth(&[refspec], depth))
    }

    /// Whether a shallow fetch may be used: never on `file://` (libgit2's local transport
    /// cannot), never into a cache that already holds complete history (a shallow fetch would
    /// cut it), so only into a new cache or one that is shallow already.
    pub(crate) fn may_shallow(&self) -> bool {
        if self.url.scheme == Scheme::File {
            return false;
        }
        self.repo().is_shallow() || self.repo().is_empty().unwrap_or(false)
    }

    /// The depth of the first fetch: a ref the cache already has is updated incrementally
    /// (full depth: the server sends only what is new, nothing if it has not moved); a new ref
    /// is fetched `depth` deep where that is allowed.
    pub(crate) fn first_depth(&self, refspecs: &[&str], depth: i32) -> i32 {
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
    pub(crate) fn deepest(&self) -> i32 {
        if self.repo().is_shallow() {
            DEPTH_UNSHALLOW
        } else {
            DEPTH_FULL
        }
    }

    /// Resolves an expression, deepening a shallow cache when the expression reaches past
    /// its history: first to `depth` (at least [`DEPTH_EXPR`]), then to the whole history.
    pub(crate) fn resolve_deepening(
        &self,
        refspecs: &[String],
        depth: i32,
        want: &GitWant,
    ) -> Result<Oid> {
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

    pub(crate) fn resolve(&self, want: &GitWant) -> Result<Oid> {
        resolve_cached(&self.repo(), want)
            .map_err(|e| anyhow!("{want} in {}: {e:#}", self.url.display))
    }

    /// The error for a ref the remote does not advertise, with the closest names it does.
    pub(crate) fn missing(&self, kind: &str, name: &str, adv: &Advertised) -> anyhow::Error {
        let hint = crate::suggest::ref_hint(kind, name, &adv.branches(), &adv.tags(), "remote");
        anyhow!(
            "{kind} {name:?} not found in remote repository {}{hint}",
            self.url.display
        )
    }

    /// One fetch (one connection) of `refspecs` at `depth`; returns what the remote
    /// advertised. A shallow fetch the transport refuses is retried in full.
    pub(crate) fn fetch(&self, refspecs: &[String], depth: i32) -> Result<Advertised> {
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

    pub(crate) fn fetch_once(
        &self,
        refspecs: &[String],
        depth: i32,
    ) -> Result<Advertised, FetchError> {
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

    pub(crate) fn fetch_with(
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
                None => anyhow!(
                    "cannot fetch {}: {message}{}",
                    self.url.display,
                    self.failure_hint(&message)
                ),
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
            self.trace_fetch(&remote, refspecs, depth, start);
        }
        Ok(Advertised { names })
    }

    /// What to try after a failed fetch, from libgit2's message (`""` when nothing applies).
    fn failure_hint(&self, message: &str) -> String {
        let mut hint = String::new();
        if message.contains("404") || message.contains("403") {
            hint.push_str(match &self.auth.token {
                Some(_) => "; check the URL, and that the token can read the repository",
                None => "; check the URL (a private repository needs PROTOSYNC_GIT_TOKEN)",
            });
        }
        if message.contains("hostkey") {
            hint.push_str(&format!(
                "; is {} in ~/.ssh/known_hosts? (add it with ssh-keyscan)",
                self.url.host
            ));
        }
        hint.push_str(&timeout_hint(message));
        if self.had_cache {
            hint.push_str("; the cache holds an earlier fetch: add --offline to use it");
        }
        hint
    }

    /// Traces what a fetch received.
    fn trace_fetch(&self, remote: &git2::Remote, refspecs: &[String], depth: i32, start: Instant) {
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

    /// The credentials callback: the ssh agent for ssh (user from the URL, else `git`); for
    /// http(s) the token went out as a header already, so being asked means it was missing or
    /// refused. Gives up after [`MAX_CREDENTIAL_CALLS`] calls (libgit2 asks again on failure).
    pub(crate) fn credentials(
        &self,
        allowed: CredentialType,
        calls: &Cell<u32>,
        failure: &RefCell<Option<String>>,
    ) -> Result<Cred, git2::Error> {
        credentials(self.url, &self.auth, allowed, calls, failure)
    }
}

pub(crate) struct FetchError {
    pub(crate) error: anyhow::Error,
    pub(crate) shallow_refused: bool,
}

pub(crate) fn branch_refspec(b: &str) -> String {
    format!("+refs/heads/{b}:refs/remotes/origin/{b}")
}

pub(crate) fn tag_refspec(t: &str) -> String {
    format!("+refs/tags/{t}:refs/tags/{t}")
}

pub(crate) fn head_refspec() -> String {
    "+HEAD:refs/remotes/origin/HEAD".to_owned()
}
