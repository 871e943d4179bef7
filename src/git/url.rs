//! Remote repository URLs: the schemes protosync fetches from, normalised (userinfo
//! stripped, scheme and host lower-cased) and keyed for the cache.

use anyhow::{anyhow, bail, Result};

// ---------------------------------------------------------------------------------------------
// URLs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
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
pub(crate) struct RemoteUrl {
    /// What libgit2 connects to: the location as written.
    pub(crate) connect: String,
    /// For messages: `normal`, with the ssh user kept (`git@github.com:o/r.git`).
    pub(crate) display: String,
    /// For `url.txt` and the cache key: userinfo stripped, scheme and host lower-cased, no
    /// trailing `/`.
    pub(crate) normal: String,
    pub(crate) scheme: Scheme,
    /// The host name alone (no port, no brackets).
    pub(crate) host: String,
    /// The user name in the URL (`git` in `git@github.com:o/r.git`).
    pub(crate) user: Option<String>,
}

impl RemoteUrl {
    pub(crate) fn parse(location: &str) -> Result<RemoteUrl> {
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
    pub(crate) fn key(&self) -> String {
        let mut hex = crate::hash::sha256_hex(self.normal.as_bytes());
        hex.truncate(32);
        hex
    }

    pub(crate) fn is_http(&self) -> bool {
        matches!(self.scheme, Scheme::Http | Scheme::Https)
    }
}
