//! Pull requests on code forges: GitHub (REST v3), GitLab (v4 merge requests) and
//! Gitea/Forgejo (v1), behind one small [`Forge`] trait. See docs/FORGES.md.
//!
//! A client is built for one repository with [`client`]: the forge comes from the remote URL
//! ([`detect`]) or the caller, the API base URL and the token from the environment (or
//! explicitly). Tokens are sent in a header only; they never appear in URLs, errors or `Debug`
//! output.

use std::fmt;

use anyhow::{anyhow, bail, Result};

pub mod gitea;
pub mod github;
pub mod gitlab;
pub mod http;

use http::{Api, ApiConfig, Retry, Secret};

/// The kinds of forge protosync can open pull requests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    Github,
    Gitlab,
    /// Gitea and Forgejo (Codeberg) share one API.
    Gitea,
}

impl ForgeKind {
    /// The forge's own spelling: "GitHub", "GitLab", "Gitea".
    pub fn display_name(self) -> &'static str {
        match self {
            ForgeKind::Github => "GitHub",
            ForgeKind::Gitlab => "GitLab",
            ForgeKind::Gitea => "Gitea",
        }
    }

    /// The environment variables a token is read from, in order.
    pub fn token_vars(self) -> [&'static str; 2] {
        match self {
            ForgeKind::Github => ["GITHUB_TOKEN", "PROTOSYNC_TOKEN"],
            ForgeKind::Gitlab => ["GITLAB_TOKEN", "PROTOSYNC_TOKEN"],
            ForgeKind::Gitea => ["GITEA_TOKEN", "PROTOSYNC_TOKEN"],
        }
    }

    /// The environment variables an API base URL is read from, in order.
    pub fn api_url_vars(self) -> &'static [&'static str] {
        match self {
            ForgeKind::Github => &["GITHUB_API_URL"],
            ForgeKind::Gitlab => &["GITLAB_API_URL", "CI_API_V4_URL"],
            ForgeKind::Gitea => &["GITEA_API_URL"],
        }
    }
}

impl fmt::Display for ForgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForgeKind::Github => "github",
            ForgeKind::Gitlab => "gitlab",
            ForgeKind::Gitea => "gitea",
        })
    }
}

/// owner/name of a repository on a forge, plus the host it was derived from.
///
/// `owner` may contain '/' for GitLab subgroups (`group/subgroup`). `host` keeps the port of
/// an http(s) remote (`127.0.0.1:8080`), not of an ssh one; it is empty for local remotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    pub host: String,
    pub owner: String,
    pub name: String,
}

impl RepoRef {
    /// From a git remote URL: `https://github.com/acme/billing.git`,
    /// `git@github.com:acme/billing.git`, `ssh://git@host/acme/billing`,
    /// `file:///any/path/acme/billing.git` (owner/name = the last two path components, host =
    /// "" — used by tests and local setups; a plain local path works the same),
    /// `http://127.0.0.1:PORT/acme/billing.git`. Credentials in the URL are ignored.
    pub fn from_remote_url(url: &str) -> Result<RepoRef> {
        let remote = split_remote(url)?;
        let path = remote.path.trim_matches('/');
        let path = path
            .strip_suffix(".git")
            .unwrap_or(path)
            .trim_end_matches('/');
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        if parts.len() < 2 {
            bail!(
                "cannot tell owner/name from the remote URL {}: expected …/OWNER/NAME",
                display_url(url)
            );
        }
        let (owner, name) = if remote.local {
            (
                parts[parts.len() - 2].to_owned(),
                parts[parts.len() - 1].to_owned(),
            )
        } else {
            (
                parts[..parts.len() - 1].join("/"),
                parts[parts.len() - 1].to_owned(),
            )
        };
        if owner
            .split('/')
            .chain([name.as_str()])
            .any(|p| p == "." || p == "..")
        {
            bail!("remote URL {} has a relative path", display_url(url));
        }
        Ok(RepoRef {
            host: remote.host,
            owner,
            name,
        })
    }

    /// `owner/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

impl fmt::Display for RepoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.is_empty() {
            write!(f, "{}/{}", self.owner, self.name)
        } else {
            write!(f, "{}/{}/{}", self.host, self.owner, self.name)
        }
    }
}

/// Which forge a remote URL is on, by exact host (never by a part of its name: a host called
/// `github.attacker.example` is not GitHub, and gets no GitHub token):
/// * GitHub: `github.com`, `ssh.github.com`, `*.ghe.com` (GitHub's own domain for Enterprise
///   Cloud), the host of `$GITHUB_SERVER_URL` (set by GitHub Actions) or of `$GITHUB_API_URL`;
/// * GitLab: `gitlab.com`, the host of `$CI_SERVER_URL` (set by GitLab CI), `$GITLAB_API_URL`
///   or `$CI_API_V4_URL`;
/// * Gitea/Forgejo: `codeberg.org`, the host of `$GITEA_API_URL`;
///
/// else `None`: the caller then needs `--forge` (or `forge =` in a `[[service]]`).
pub fn detect(url: &str) -> Option<ForgeKind> {
    detect_with_env(url, &|name| std::env::var(name).ok())
}

/// [`detect`] reading the environment through `env`.
pub fn detect_with_env(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<ForgeKind> {
    let remote = split_remote(url).ok()?;
    let host = strip_port(&remote.host).to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    let configured = |vars: &[&str]| {
        vars.iter().any(|var| {
            env(var)
                .and_then(|v| split_remote(v.trim()).ok())
                .filter(|r| !r.local)
                .is_some_and(|r| strip_port(&r.host).eq_ignore_ascii_case(&host))
        })
    };
    if host == "github.com"
        || host == "ssh.github.com"
        || host.ends_with(".ghe.com")
        || configured(&["GITHUB_SERVER_URL", "GITHUB_API_URL"])
    {
        Some(ForgeKind::Github)
    } else if host == "gitlab.com"
        || configured(&["CI_SERVER_URL", "GITLAB_API_URL", "CI_API_V4_URL"])
    {
        Some(ForgeKind::Gitlab)
    } else if host == "codeberg.org" || configured(&["GITEA_API_URL"]) {
        Some(ForgeKind::Gitea)
    } else {
        None
    }
}

/// A remote URL fit for messages: any `user:password@` is dropped.
pub fn display_url(url: &str) -> String {
    let url = url.trim();
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        match authority.rfind('@') {
            Some(at) if scheme.starts_with("http") => {
                format!("{scheme}://{}{path}", &authority[at + 1..])
            }
            Some(at) => {
                // ssh://git@host: the user name is not a secret, a password would be.
                let user = &authority[..at];
                match user.split_once(':') {
                    Some((u, _)) => format!("{scheme}://{u}@{}{path}", &authority[at + 1..]),
                    None => url.to_owned(),
                }
            }
            None => url.to_owned(),
        }
    } else {
        // scp-like `user:password@host:path` (not valid for git, but never shown as written).
        match url.split_once('@') {
            Some((user, host)) if !user.contains('/') && user.contains(':') => {
                let u = user.split(':').next().unwrap_or_default();
                format!("{u}@{host}")
            }
            _ => url.to_owned(),
        }
    }
}

/// Whether a URL (or scp-like address) carries a password or, for http(s), any userinfo: a
/// credential that belongs in the environment, not in a URL.
pub fn has_credentials(url: &str) -> bool {
    display_url(url) != url.trim()
}

/// `text` with the credentials of every URL in it removed, as [`display_url`] does for one
/// URL (`https://bob:SECRET@host/x.git` → `https://host/x.git`). The last line of defence for
/// messages that quote a configured value.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The scheme: the letters right before `://`.
        let scheme_start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |j| j + 1);
        let after = &rest[i + 3..];
        let end = after
            .find(|c: char| {
                c == '/' || c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`')
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        out.push_str(&rest[..scheme_start]);
        let scheme = &rest[scheme_start..i];
        match authority.rfind('@') {
            Some(at) => {
                let user = &authority[..at];
                let host = &authority[at + 1..];
                let http = scheme.to_ascii_lowercase().starts_with("http");
                match user.split_once(':') {
                    _ if http => out.push_str(&format!("{scheme}://{host}")),
                    Some((u, _)) => out.push_str(&format!("{scheme}://{u}@{host}")),
                    None => out.push_str(&format!("{scheme}://{authority}")),
                }
            }
            None => out.push_str(&format!("{scheme}://{authority}")),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Warns once per process (on stderr) that a configured URL carries credentials, naming where
/// it was written but never the credentials.
pub fn warn_credentials_in_url(place: &str, url: &str) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if !has_credentials(url) {
        return;
    }
    WARNED.call_once(|| {
        eprintln!(
            "warning: {place}: the URL {} carries credentials; protosync never shows or sends \
             credentials from a URL: credentials belong in the environment (PROTOSYNC_GIT_TOKEN \
             for git, GITHUB_TOKEN / GITLAB_TOKEN / GITEA_TOKEN / PROTOSYNC_TOKEN for forge APIs)",
            display_url(url)
        );
    });
}

/// A pull request (GitLab: merge request) as protosync sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PullRequest {
    /// GitHub/Gitea number, GitLab iid.
    pub number: u64,
    /// The web page (not the API URL).
    pub url: String,
    pub head: String,
    pub base: String,
    /// Without the draft marker GitLab ("Draft: ") and Gitea ("WIP: ") keep in the title.
    pub title: String,
    pub body: String,
    pub draft: bool,
}

/// What to open.
#[derive(Debug, Clone, Default)]
pub struct NewPullRequest {
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: String,
    pub draft: bool,
    pub labels: Vec<String>,
    /// User logins; `org/team` names a team on GitHub and Gitea.
    pub reviewers: Vec<String>,
}

/// The operations protosync needs on one repository's pull requests.
pub trait Forge: Send + Sync + fmt::Debug {
    fn kind(&self) -> ForgeKind;
    /// The open PR/MR whose head branch is `head` (in the same repository) and base is `base`, if any.
    fn find_open(&self, head: &str, base: &str) -> Result<Option<PullRequest>>;
    /// Opens one; then adds labels and requests reviewers (separate calls where the API needs
    /// them). If the forge answers that one is already open for `head` → `base` (a race with
    /// another run), that one is updated and returned instead.
    fn create(&self, pr: &NewPullRequest) -> Result<PullRequest>;
    /// Updates title and body of an open one (labels added if missing; a draft stays a draft).
    fn update(
        &self,
        number: u64,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<PullRequest>;
    /// Posts `comment` on it, then closes it.
    fn close(&self, number: u64, comment: &str) -> Result<()>;
}

/// Builds the client for a repository. `api_url` overrides the API base; otherwise from env:
/// GitHub: `GITHUB_API_URL`, else https://api.github.com for github.com, else
/// https://HOST/api/v3 (Enterprise); GitLab: `GITLAB_API_URL` (or `CI_API_V4_URL`), else
/// https://HOST/api/v4; Gitea: `GITEA_API_URL`, else https://HOST/api/v1.
/// Token: `GITHUB_TOKEN` / `GITLAB_TOKEN` / `GITEA_TOKEN` for the respective kind, else
/// `PROTOSYNC_TOKEN`. A missing token is an error naming the variables to set.
pub fn client(kind: ForgeKind, repo: &RepoRef, api_url: Option<&str>) -> Result<Box<dyn Forge>> {
    client_with_env(kind, repo, api_url, &|name| std::env::var(name).ok())
}

/// [`client`] reading the environment through `env` (tests pass a map; nothing else differs).
/// Besides the variables above, `PROTOSYNC_HTTP_RETRY_BASE_MS` and
/// `PROTOSYNC_HTTP_RETRY_ATTEMPTS` set the retry backoff (test hooks).
pub fn client_with_env(
    kind: ForgeKind,
    repo: &RepoRef,
    api_url: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Box<dyn Forge>> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let base = api_base(kind, repo, api_url, &env)?;
    let (_, token) = token(kind, &env)?;
    let retry = Retry::from_env(&env);
    let api = Api::new(ApiConfig::for_forge(kind, &base, token, retry))?;
    Ok(match kind {
        ForgeKind::Github => Box::new(github::GitHub::new(repo, api)),
        ForgeKind::Gitlab => Box::new(gitlab::GitLab::new(repo, api)),
        ForgeKind::Gitea => Box::new(gitea::Gitea::new(repo, api)),
    })
}

/// The API base URL for `repo` on a `kind` forge: `api_url`, else the kind's variables
/// ([`ForgeKind::api_url_vars`]) read through `env`, else derived from the host.
pub fn api_base(
    kind: ForgeKind,
    repo: &RepoRef,
    api_url: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String> {
    if let Some(url) = api_url.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.trim_end_matches('/').to_owned());
    }
    for var in kind.api_url_vars() {
        if let Some(url) = env(var)
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
        {
            return Ok(url.trim_end_matches('/').to_owned());
        }
    }
    let host = repo.host.to_ascii_lowercase();
    if host.is_empty() {
        bail!(
            "cannot derive the {} API URL for {}: the remote has no host; pass the API URL or set {}",
            kind.display_name(),
            repo.full_name(),
            kind.api_url_vars().join(" or ")
        );
    }
    Ok(match kind {
        ForgeKind::Github if strip_port(&host) == "github.com" => {
            "https://api.github.com".to_owned()
        }
        ForgeKind::Github if host.ends_with(".ghe.com") => format!("https://api.{host}"),
        ForgeKind::Github => format!("https://{host}/api/v3"),
        ForgeKind::Gitlab => format!("https://{host}/api/v4"),
        ForgeKind::Gitea => format!("https://{host}/api/v1"),
    })
}

/// The token for a `kind` forge, read through `env`, with the variable it came from.
pub fn token(
    kind: ForgeKind,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(&'static str, Secret)> {
    for var in kind.token_vars() {
        if let Some(value) = env(var) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if value.chars().any(|c| c.is_control()) {
                bail!("{var} contains control characters; it must hold the token alone");
            }
            return Ok((var, Secret::new(value.to_owned())));
        }
    }
    let [own, shared] = kind.token_vars();
    Err(anyhow!(
        "no {} token: set {own} (or {shared}) to a token that may open pull requests",
        kind.display_name()
    ))
}

/// Removes a draft marker (any of `prefixes`, case-insensitive) from a title.
pub(crate) fn split_draft(title: &str, prefixes: &[&str]) -> (String, bool) {
    for p in prefixes {
        if title.len() >= p.len()
            && title.is_char_boundary(p.len())
            && title[..p.len()].eq_ignore_ascii_case(p)
        {
            return (title[p.len()..].trim_start().to_owned(), true);
        }
    }
    (title.to_owned(), false)
}

/// The owner as GitHub and Gitea know it: they have no nested owners, so a path before
/// owner/name (a sub-path install) is not part of it.
pub(crate) fn flat_owner(repo: &RepoRef) -> String {
    repo.owner
        .rsplit('/')
        .next()
        .unwrap_or(&repo.owner)
        .to_owned()
}

/// The body of a review request on GitHub and Gitea, which take the same one:
/// `{reviewers: [logins], team_reviewers: [slugs]}`, a reviewer written `org/team` naming a
/// team. `None` when there is nobody to ask.
pub(crate) fn review_request(reviewers: &[String]) -> Option<serde_json::Value> {
    let mut users = Vec::new();
    let mut teams = Vec::new();
    for r in reviewers.iter().map(|r| r.trim().trim_start_matches('@')) {
        match r.split_once('/') {
            Some((_, team)) if !team.is_empty() => teams.push(team.to_owned()),
            _ if !r.is_empty() => users.push(r.to_owned()),
            _ => {}
        }
    }
    let mut body = serde_json::Map::new();
    if !users.is_empty() {
        body.insert("reviewers".into(), users.into());
    }
    if !teams.is_empty() {
        body.insert("team_reviewers".into(), teams.into());
    }
    (!body.is_empty()).then_some(serde_json::Value::Object(body))
}

/// After `create` was refused because one is already open for `pr`'s head and base (a race
/// with another run): that one, updated to `pr`. `refusal` is returned when none is found.
pub(crate) fn adopt_open(
    forge: &dyn Forge,
    pr: &NewPullRequest,
    refusal: anyhow::Error,
) -> Result<PullRequest> {
    let Some(existing) = forge.find_open(&pr.head, &pr.base)? else {
        return Err(refusal);
    };
    forge.update(existing.number, &pr.title, &pr.body, &pr.labels)
}

/// An error in a step after a pull request was opened, saying that it was opened.
pub(crate) fn after_open(number: u64, step: &str, err: anyhow::Error) -> anyhow::Error {
    anyhow!("pull request #{number} was opened, but {step} failed: {err}")
}

/// Labels in `wanted` that are not in `have` (case-insensitive, as forges compare them),
/// without duplicates, in order.
pub(crate) fn missing_labels(wanted: &[String], have: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in wanted {
        let w = w.trim();
        if w.is_empty() {
            continue;
        }
        let known = have
            .iter()
            .chain(out.iter())
            .any(|h| h.eq_ignore_ascii_case(w));
        if !known {
            out.push(w.to_owned());
        }
    }
    out
}

struct Remote {
    host: String,
    path: String,
    /// A file:// URL or a plain path: owner/name are the last two components.
    local: bool,
}

fn split_remote(url: &str) -> Result<Remote> {
    let url = url.trim();
    if url.is_empty() {
        bail!("empty remote URL");
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "file" {
            return Ok(Remote {
                host: String::new(),
                path: rest.to_owned(),
                local: true,
            });
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let keep_port = scheme == "http" || scheme == "https";
        let host = if keep_port {
            host_port.to_owned()
        } else {
            strip_port(host_port).to_owned()
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        return Ok(Remote {
            host: host.to_ascii_lowercase(),
            path: path.to_owned(),
            local: false,
        });
    }
    // scp-like `user@host:path` (no slash before the colon; not a Windows drive `C:\`).
    if let Some(colon) = url.find(':') {
        let before = &url[..colon];
        let drive = before.len() == 1 && before.chars().all(|c| c.is_ascii_alphabetic());
        if !before.contains('/') && !before.is_empty() && !drive {
            let host = before.rsplit_once('@').map_or(before, |(_, h)| h);
            return Ok(Remote {
                host: host.to_ascii_lowercase(),
                path: url[colon + 1..].to_owned(),
                local: false,
            });
        }
    }
    Ok(Remote {
        host: String::new(),
        path: url.replace('\\', "/"),
        local: true,
    })
}

/// `host:port` → `host`; `[::1]:8080` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(i) => &host[..=i],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn r(host: &str, owner: &str, name: &str) -> RepoRef {
        RepoRef {
            host: host.into(),
            owner: owner.into(),
            name: name.into(),
        }
    }

    #[test]
    fn repo_refs_from_remote_urls() {
        let cases = [
            (
                "https://github.com/acme/billing.git",
                r("github.com", "acme", "billing"),
            ),
            (
                "https://github.com/acme/billing",
                r("github.com", "acme", "billing"),
            ),
            (
                "https://github.com/acme/billing/",
                r("github.com", "acme", "billing"),
            ),
            (
                "git@github.com:acme/billing.git",
                r("github.com", "acme", "billing"),
            ),
            (
                "ssh://git@host.example/acme/billing",
                r("host.example", "acme", "billing"),
            ),
            (
                "ssh://git@host.example:2222/acme/billing.git",
                r("host.example", "acme", "billing"),
            ),
            (
                "git://host.example/acme/billing.git",
                r("host.example", "acme", "billing"),
            ),
            (
                "file:///any/path/acme/billing.git",
                r("", "acme", "billing"),
            ),
            ("/srv/git/acme/billing.git", r("", "acme", "billing")),
            (
                "http://127.0.0.1:8080/acme/billing.git",
                r("127.0.0.1:8080", "acme", "billing"),
            ),
            (
                "https://x-access-token:ghp_secret@github.com/acme/billing.git",
                r("github.com", "acme", "billing"),
            ),
            (
                "https://gitlab.com/group/subgroup/billing.git",
                r("gitlab.com", "group/subgroup", "billing"),
            ),
            (
                "git@gitlab.example.com:g/s/t/svc.git",
                r("gitlab.example.com", "g/s/t", "svc"),
            ),
            (
                "HTTPS://GitHub.com/Acme/Billing.git",
                r("github.com", "Acme", "Billing"),
            ),
            (
                "https://[::1]:3000/acme/billing.git",
                r("[::1]:3000", "acme", "billing"),
            ),
        ];
        for (url, want) in cases {
            assert_eq!(RepoRef::from_remote_url(url).unwrap(), want, "{url}");
        }
        assert_eq!(
            r("github.com", "acme", "billing").full_name(),
            "acme/billing"
        );
    }

    #[test]
    fn bad_remote_urls_do_not_echo_credentials() {
        for url in [
            "https://github.com/acme",
            "https://user:hunter2@github.com/",
            "",
            "file:///billing.git",
        ] {
            let err = RepoRef::from_remote_url(url).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{err}");
        }
        assert_eq!(
            display_url("https://user:hunter2@github.com/acme/billing.git"),
            "https://github.com/acme/billing.git"
        );
        assert_eq!(
            display_url("ssh://git:pw@host/acme/billing"),
            "ssh://git@host/acme/billing"
        );
        assert_eq!(
            display_url("git@github.com:acme/b.git"),
            "git@github.com:acme/b.git"
        );
    }

    #[test]
    fn credentials_are_scrubbed_from_every_url_in_a_text() {
        let text =
            "contract https://bob:SECRET@host/x.git: cannot fetch https://SECRET@host/x.git \
                    (from ssh://git:SECRET@host/x, file:///tmp/a@b, git@github.com:o/r.git)";
        assert_eq!(
            redact_urls(text),
            "contract https://host/x.git: cannot fetch https://host/x.git \
             (from ssh://git@host/x, file:///tmp/a@b, git@github.com:o/r.git)"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        assert_eq!(
            redact_urls("\"https://u:p@h:8080/a\""),
            "\"https://h:8080/a\""
        );
        assert!(has_credentials("https://bob:SECRET@host/x.git"));
        assert!(has_credentials("https://tok@host/x.git"));
        assert!(has_credentials("ssh://git:pw@host/x"));
        assert!(has_credentials("bob:pw@host:x.git"));
        assert!(!has_credentials("ssh://git@host/x"));
        assert!(!has_credentials("git@github.com:o/r.git"));
        assert!(!has_credentials("https://github.com/o/r.git"));
        assert!(!has_credentials("../contracts"));
    }

    #[test]
    fn forges_detected_from_exact_hosts() {
        let none = env_of(&[]);
        let cases = [
            (
                "https://github.com/acme/billing.git",
                Some(ForgeKind::Github),
            ),
            ("git@github.com:acme/billing.git", Some(ForgeKind::Github)),
            (
                "https://GitHub.com/acme/billing.git",
                Some(ForgeKind::Github),
            ),
            (
                "ssh://git@ssh.github.com:443/acme/billing.git",
                Some(ForgeKind::Github),
            ),
            (
                "https://acme.ghe.com/acme/billing.git",
                Some(ForgeKind::Github),
            ),
            (
                "https://gitlab.com/group/sub/billing.git",
                Some(ForgeKind::Gitlab),
            ),
            (
                "https://codeberg.org/acme/billing.git",
                Some(ForgeKind::Gitea),
            ),
            // A name is not a host: none of these is GitHub, GitLab or Gitea.
            ("https://github.acme.corp/acme/billing.git", None),
            ("https://github.com.attacker.example/acme/billing.git", None),
            ("https://notgithub.com/acme/billing.git", None),
            ("https://attacker.example/github.com/billing.git", None),
            ("https://ghe.com.attacker.example/a/b.git", None),
            ("git@gitlab.acme.corp:group/billing.git", None),
            ("https://gitea.acme.corp/acme/billing.git", None),
            ("https://forgejo.example/acme/billing.git", None),
            ("https://git.acme.corp/acme/billing.git", None),
            ("file:///srv/git/acme/billing.git", None),
            ("/srv/git/github/billing.git", None),
            ("http://127.0.0.1:8080/acme/billing.git", None),
        ];
        for (url, want) in cases {
            assert_eq!(detect_with_env(url, &none), want, "{url}");
        }
        // Hosts the environment names (CI sets these), matched exactly too.
        let ci = env_of(&[
            ("GITHUB_SERVER_URL", "https://github.acme.corp"),
            ("CI_SERVER_URL", "https://gitlab.acme.corp"),
            ("GITEA_API_URL", "https://gitea.acme.corp/api/v1"),
        ]);
        for (url, want) in [
            (
                "https://github.acme.corp/acme/billing.git",
                Some(ForgeKind::Github),
            ),
            (
                "git@gitlab.acme.corp:group/billing.git",
                Some(ForgeKind::Gitlab),
            ),
            (
                "https://gitea.acme.corp/acme/billing.git",
                Some(ForgeKind::Gitea),
            ),
            ("https://github.acme.corp.attacker.example/a/b.git", None),
            ("https://acme.corp/a/b.git", None),
        ] {
            assert_eq!(detect_with_env(url, &ci), want, "{url}");
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    #[test]
    fn api_bases_from_arguments_environment_and_hosts() {
        let gh = r("github.com", "acme", "billing");
        let ghe = r("ghe.acme.corp", "acme", "billing");
        let none = env_of(&[]);
        assert_eq!(
            api_base(ForgeKind::Github, &gh, None, &none).unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            api_base(ForgeKind::Github, &ghe, None, &none).unwrap(),
            "https://ghe.acme.corp/api/v3"
        );
        assert_eq!(
            api_base(ForgeKind::Github, &r("acme.ghe.com", "a", "b"), None, &none).unwrap(),
            "https://api.acme.ghe.com"
        );
        let env = env_of(&[("GITHUB_API_URL", "https://ghe.example/api/v3/")]);
        assert_eq!(
            api_base(ForgeKind::Github, &gh, None, &env).unwrap(),
            "https://ghe.example/api/v3"
        );
        assert_eq!(
            api_base(ForgeKind::Github, &gh, Some("http://127.0.0.1:9/"), &env).unwrap(),
            "http://127.0.0.1:9"
        );
        let gl = r("gitlab.acme.corp", "g/s", "svc");
        assert_eq!(
            api_base(ForgeKind::Gitlab, &gl, None, &none).unwrap(),
            "https://gitlab.acme.corp/api/v4"
        );
        let ci = env_of(&[("CI_API_V4_URL", "https://gl.ci/api/v4")]);
        assert_eq!(
            api_base(ForgeKind::Gitlab, &gl, None, &ci).unwrap(),
            "https://gl.ci/api/v4"
        );
        let both = env_of(&[
            ("CI_API_V4_URL", "https://gl.ci/api/v4"),
            ("GITLAB_API_URL", "https://gl/api/v4"),
        ]);
        assert_eq!(
            api_base(ForgeKind::Gitlab, &gl, None, &both).unwrap(),
            "https://gl/api/v4"
        );
        assert_eq!(
            api_base(ForgeKind::Gitea, &r("codeberg.org", "a", "b"), None, &none).unwrap(),
            "https://codeberg.org/api/v1"
        );
        let err = api_base(ForgeKind::Gitea, &r("", "a", "b"), None, &none).unwrap_err();
        assert!(err.to_string().contains("GITEA_API_URL"), "{err}");
    }

    #[test]
    fn tokens_from_the_environment() {
        let env = env_of(&[("GITHUB_TOKEN", " ghp_1\n"), ("PROTOSYNC_TOKEN", "shared")]);
        let (var, t) = token(ForgeKind::Github, &env).unwrap();
        assert_eq!((var, t.expose()), ("GITHUB_TOKEN", "ghp_1"));
        let (var, t) = token(ForgeKind::Gitlab, &env).unwrap();
        assert_eq!((var, t.expose()), ("PROTOSYNC_TOKEN", "shared"));
        let empty = env_of(&[("GITEA_TOKEN", "  ")]);
        let err = token(ForgeKind::Gitea, &empty).unwrap_err().to_string();
        assert!(
            err.contains("GITEA_TOKEN") && err.contains("PROTOSYNC_TOKEN"),
            "{err}"
        );
        let bad = env_of(&[("GITHUB_TOKEN", "a\nb")]);
        let err = token(ForgeKind::Github, &bad).unwrap_err().to_string();
        assert!(!err.contains("a\nb"), "{err}");
    }

    #[test]
    fn clients_from_an_environment() {
        let repo = r("github.com", "acme", "billing");
        let env = env_of(&[("GITHUB_TOKEN", "ghp_client_secret_1")]);
        let c =
            client_with_env(ForgeKind::Github, &repo, Some("http://127.0.0.1:1"), &env).unwrap();
        assert_eq!(c.kind(), ForgeKind::Github);
        let debug = format!("{c:?}");
        assert!(!debug.contains("ghp_client_secret_1"), "{debug}");
        assert!(debug.contains("acme"), "{debug}");
        let err = client_with_env(ForgeKind::Gitlab, &repo, None, &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("GITLAB_TOKEN"), "{err}");
        let err = client_with_env(ForgeKind::Github, &repo, Some("ftp://x"), &env).unwrap_err();
        assert!(err.to_string().contains("http"), "{err}");
        let err = client_with_env(
            ForgeKind::Github,
            &repo,
            Some("https://u:ghp_client_secret_1@h"),
            &env,
        )
        .unwrap_err();
        assert!(
            !format!("{err:?}").contains("ghp_client_secret_1"),
            "{err:?}"
        );
    }

    #[test]
    fn draft_markers_and_labels() {
        let gl = ["Draft:", "[Draft]", "(Draft)"];
        assert_eq!(split_draft("Draft: sync", &gl), ("sync".to_owned(), true));
        assert_eq!(split_draft("draft:sync", &gl), ("sync".to_owned(), true));
        assert_eq!(split_draft("[Draft] sync", &gl), ("sync".to_owned(), true));
        assert_eq!(split_draft("Drafting", &gl), ("Drafting".to_owned(), false));
        assert_eq!(split_draft("é", &gl), ("é".to_owned(), false));
        let wanted = vec![
            "a".to_owned(),
            "B".to_owned(),
            "b".to_owned(),
            " ".to_owned(),
        ];
        assert_eq!(
            missing_labels(&wanted, &["A".to_owned()]),
            vec!["B".to_owned()]
        );
    }

    #[test]
    fn kinds_parse_and_print() {
        assert_eq!(
            serde_json::to_string(&ForgeKind::Gitlab).unwrap(),
            "\"gitlab\""
        );
        assert_eq!(ForgeKind::Gitea.to_string(), "gitea");
    }
}
