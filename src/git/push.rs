//! A connection to one remote for publishing: fetching a branch tip and pushing with a lease.

use std::cell::{Cell, RefCell};

use super::auth::{credentials, Auth};
use super::timeout::{apply_timeouts, redirect_refusal, timeout_hint};
use super::url::RemoteUrl;
use anyhow::{anyhow, bail, Result};
use git2::{
    AutotagOption, FetchOptions, Oid, ProxyOptions, RemoteCallbacks, RemoteRedirect, Repository,
};

/// A remote to publish to (`sync --push`, `fanout`): fetch one branch from it, push to it.
/// Same URLs, credentials and token rules as fetching contracts; the token never reaches a
/// URL, a ref, the repository's config or a message.
pub struct Link {
    pub(crate) url: RemoteUrl,
    pub(crate) auth: Auth,
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

    pub(crate) fn run<T>(
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
