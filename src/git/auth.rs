//! Credentials: a token from the environment sent as an HTTP header (never in a URL), the ssh
//! agent, and redaction of both from every message.

use std::cell::{Cell, RefCell};

use super::url::RemoteUrl;
use anyhow::Result;
use base64::Engine;
use git2::{Cred, CredentialType, RemoteRedirect};

/// Calls of the credentials callback before giving up (libgit2 calls it again on failure).
pub(crate) const MAX_CREDENTIAL_CALLS: u32 = 3;

// ---------------------------------------------------------------------------------------------
// Credentials

/// The token for an http(s) remote, if any.
pub(crate) struct Auth {
    /// (environment variable it came from, token)
    pub(crate) token: Option<(&'static str, String)>,
}

impl Auth {
    /// `PROTOSYNC_GIT_TOKEN` for any http(s) remote; else `GITHUB_TOKEN`, but only for the
    /// GitHub host (the host of `$GITHUB_SERVER_URL`, else github.com): an ambient CI token is
    /// not handed to whatever server a spec names.
    pub(crate) fn from_env(url: &RemoteUrl) -> Auth {
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
    pub(crate) fn redirects(&self) -> RemoteRedirect {
        if self.token.is_some() {
            RemoteRedirect::None
        } else {
            RemoteRedirect::Initial
        }
    }

    /// The `Authorization` header carrying the token.
    pub(crate) fn header(&self) -> Option<String> {
        self.token.as_ref().map(|(_, t)| {
            format!(
                "Authorization: Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{t}"))
            )
        })
    }

    /// `text` with the token (and its base64 forms) replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
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

/// Credentials for a remote: the ssh agent for ssh, a user name when asked; an http token is
/// sent as a header, never through this callback.
pub(crate) fn credentials(
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

pub(crate) fn http_auth_reason(auth: &Auth) -> String {
    match &auth.token {
        Some((var, _)) => format!(
            "the server refused the token from {var} (check that it is valid and can read this repository)"
        ),
        None => "the server requires authentication: set PROTOSYNC_GIT_TOKEN to a token that can read \
                 this repository (GITHUB_TOKEN is used for GitHub hosts)"
            .to_owned(),
    }
}
