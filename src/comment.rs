//! `protosync comment`: posts one pull-request comment, or updates the one posted before,
//! found again by a hidden marker (`<!-- protosync:comment -->`). GitHub only: the
//! GitHub Action (action.yml, docs/ACTION.md) uses it to keep a single findings comment per
//! pull request up to date instead of adding one per push.
//!
//! The [`crate::forge::Forge`] trait knows pull requests, not their comments, so this module
//! talks to GitHub's REST API itself, through the shared HTTP layer ([`crate::forge::http`]:
//! retries, API error messages, token redaction), with exactly three operations of GitHub's
//! published REST description (which the loopback test server validates them against):
//!
//! | step | call |
//! |---|---|
//! | find | `GET /repos/{owner}/{repo}/issues/{number}/comments?per_page=100&page=N` |
//! | update | `PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}` `{body}` |
//! | create | `POST /repos/{owner}/{repo}/issues/{number}/comments` `{body}` |

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::forge::http::{self, encode, str_field, Api, ApiConfig, Method, Retry};
use crate::forge::{ForgeKind, RepoRef};

/// The marker `protosync comment` and the GitHub Action use unless told otherwise.
pub const DEFAULT_MARKER: &str = "<!-- protosync:comment -->";

/// GitHub refuses comment bodies longer than this many characters.
const MAX_BODY_CHARS: usize = 65_536;

/// Comments are listed 100 a page, at most this many pages (10,000 comments).
const MAX_PAGES: u64 = 100;

/// What `protosync comment` posts where.
#[derive(Debug, Clone, Default)]
pub struct CommentOptions {
    /// The hidden HTML comment the comment is found again by.
    pub marker: String,
    /// The repository, owner/name [default: GITHUB_REPOSITORY]
    pub repo: Option<String>,
    /// The pull request's number [default: the pull request of the event in GITHUB_EVENT_PATH]
    pub pr: Option<u64>,
    /// GitHub's API base URL [default: GITHUB_API_URL, else https://api.github.com]
    pub api_url: Option<String>,
    /// Update the comment if there is one; post none if there is not.
    pub update_only: bool,
}

/// What `comment` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created {
        id: u64,
        url: String,
    },
    Updated {
        id: u64,
        url: String,
    },
    /// The comment already had this body: nothing was sent.
    Unchanged {
        id: u64,
        url: String,
    },
    /// `--update-only` and no comment with the marker.
    NoneToUpdate,
}

impl Outcome {
    /// One line for stdout: `comment created: URL`, `comment updated: URL`,
    /// `comment unchanged: URL`, or `no comment to update`.
    pub fn line(&self) -> String {
        match self {
            Outcome::Created { url, .. } => format!("comment created: {url}"),
            Outcome::Updated { url, .. } => format!("comment updated: {url}"),
            Outcome::Unchanged { url, .. } => format!("comment unchanged: {url}"),
            Outcome::NoneToUpdate => "no comment to update".to_owned(),
        }
    }
}

/// Posts or updates the comment with `body`, reading `GITHUB_REPOSITORY`, `GITHUB_EVENT_PATH`,
/// `GITHUB_API_URL`, `GITHUB_TOKEN`/`PROTOSYNC_TOKEN` and the retry test hooks through `env`
/// where `args` leaves them out.
pub fn post(
    args: &CommentOptions,
    body: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Outcome> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    check_marker(&args.marker)?;
    let full_name = match &args.repo {
        Some(r) => r.clone(),
        None => env("GITHUB_REPOSITORY").ok_or_else(|| {
            anyhow!("no repository: pass --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
        })?,
    };
    let (owner, name) = split_repo(&full_name)?;
    let number = match args.pr {
        Some(n) => n,
        None => pr_from_event(env("GITHUB_EVENT_PATH").as_deref())?,
    };
    let repo = RepoRef {
        host: "github.com".to_owned(),
        owner: owner.clone(),
        name: name.clone(),
    };
    let base = crate::forge::api_base(ForgeKind::Github, &repo, args.api_url.as_deref(), &env)?;
    let (_, token) = crate::forge::token(ForgeKind::Github, &env)?;
    let retry = Retry::from_env(&env);
    let api = Api::new(ApiConfig::for_forge(ForgeKind::Github, &base, token, retry))?;
    let body = compose(&args.marker, body);
    let repo_path = format!("/repos/{}/{}", encode(&owner), encode(&name));
    let found = find(&api, &repo_path, number, &args.marker).map_err(permission_hint)?;
    let outcome = match found {
        Some(c) if c.body == body => Outcome::Unchanged {
            id: c.id,
            url: c.url,
        },
        Some(c) => {
            let path = format!("{repo_path}/issues/comments/{}", c.id);
            let answer = api
                .call(Method::Patch, &path, Some(&json!({ "body": body })))
                .map_err(permission_hint)?;
            Outcome::Updated {
                id: c.id,
                url: url_of(&answer, &c.url),
            }
        }
        None if args.update_only => Outcome::NoneToUpdate,
        None => {
            let path = format!("{repo_path}/issues/{number}/comments");
            let answer = api
                .call(Method::Post, &path, Some(&json!({ "body": body })))
                .map_err(permission_hint)?;
            Outcome::Created {
                id: http::u64_field(&answer, "id", "GitHub API: create comment")?,
                url: url_of(&answer, ""),
            }
        }
    };
    Ok(outcome)
}

/// A comment as listed.
#[derive(Debug, Clone)]
struct Existing {
    id: u64,
    body: String,
    url: String,
}

/// The first (oldest) comment of the pull request whose body contains `marker`.
fn find(api: &Api, repo_path: &str, number: u64, marker: &str) -> Result<Option<Existing>> {
    for page in 1..=MAX_PAGES {
        let path = format!("{repo_path}/issues/{number}/comments?per_page=100&page={page}");
        let answer = api.get(&path)?;
        let items = answer
            .as_array()
            .ok_or_else(|| anyhow!("GitHub API: listing comments: the answer is not a list"))?;
        for c in items {
            if str_field(c, "body").contains(marker) {
                return Ok(Some(Existing {
                    id: http::u64_field(c, "id", "GitHub API: list comments")?,
                    body: str_field(c, "body").to_owned(),
                    url: url_of(c, ""),
                }));
            }
        }
        if items.len() < 100 {
            break;
        }
    }
    Ok(None)
}

fn url_of(comment: &Value, fallback: &str) -> String {
    match str_field(comment, "html_url") {
        "" => fallback.to_owned(),
        url => url.to_owned(),
    }
}

/// A 403/404 on a comment call most often means the token may not write pull requests: say so.
fn permission_hint(err: anyhow::Error) -> anyhow::Error {
    match http::status_of(&err) {
        Some(403) | Some(404) => err.context(
            "the token cannot comment on this pull request: it needs `pull-requests: write` \
             (in a workflow: `permissions: pull-requests: write`); a pull request from a fork \
             gets a read-only GITHUB_TOKEN",
        ),
        _ => err,
    }
}

/// The marker must be a hidden HTML comment, so that it never shows.
pub fn check_marker(marker: &str) -> Result<()> {
    let inner = marker
        .strip_prefix("<!--")
        .and_then(|m| m.strip_suffix("-->"))
        .filter(|m| !m.trim().is_empty());
    match inner {
        Some(inner) if !inner.contains("--") && !marker.contains('\n') => Ok(()),
        _ => bail!(
            "--marker {marker:?} is not a hidden HTML comment on one line, like {DEFAULT_MARKER:?}"
        ),
    }
}

/// The body as posted: the marker on the first line (unless the text has it already), line
/// endings as LF, and cut to fit GitHub's limit at a line boundary, saying so.
pub fn compose(marker: &str, text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let text = text.trim_end_matches('\n');
    let mut body = if text.contains(marker) {
        text.to_owned()
    } else {
        format!("{marker}\n{text}")
    };
    if body.chars().count() > MAX_BODY_CHARS {
        let note =
            "\n\n… (cut: the comment was longer than GitHub allows; the job summary has all of it)";
        let keep = MAX_BODY_CHARS - note.chars().count();
        let cut: String = body.chars().take(keep).collect();
        let cut = match cut.rfind('\n') {
            Some(i) if i > marker.len() => cut[..i].to_owned(),
            _ => cut,
        };
        body = format!("{cut}{note}");
    }
    body.push('\n');
    body
}

/// `owner/name` → (owner, name).
pub fn split_repo(full_name: &str) -> Result<(String, String)> {
    let full_name = full_name.trim();
    match full_name.split_once('/') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() && !n.contains('/') => {
            Ok((o.to_owned(), n.trim_end_matches(".git").to_owned()))
        }
        _ => bail!("repository {full_name:?} is not OWNER/NAME"),
    }
}

/// The pull request number of the webhook event at `path`: `pull_request.number`
/// (pull_request, pull_request_target, pull_request_review events), else `issue.number` when
/// the issue is a pull request (issue_comment), else `number`.
pub fn pr_from_event(path: Option<&str>) -> Result<u64> {
    let Some(path) = path else {
        bail!("no pull request: pass --pr N (GITHUB_EVENT_PATH is not set)");
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the event {path}"))?;
    let event: Value =
        serde_json::from_str(&text).with_context(|| format!("the event {path} is not JSON"))?;
    pr_number(&event).ok_or_else(|| {
        anyhow!("no pull request: the event in {path} is not about a pull request; pass --pr N")
    })
}

/// See [`pr_from_event`].
pub fn pr_number(event: &Value) -> Option<u64> {
    if let Some(n) = event
        .pointer("/pull_request/number")
        .and_then(Value::as_u64)
    {
        return Some(n);
    }
    if event.pointer("/issue/pull_request").is_some() {
        if let Some(n) = event.pointer("/issue/number").and_then(Value::as_u64) {
            return Some(n);
        }
    }
    if event.get("issue").is_none() {
        return event.get("number").and_then(Value::as_u64);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_must_be_hidden_comments() {
        assert!(check_marker(DEFAULT_MARKER).is_ok());
        assert!(check_marker("<!--x-->").is_ok());
        for bad in [
            "protosync",
            "<!-- -->",
            "<!-- a -- b -->",
            "<!-- a",
            "<!-- a\nb -->",
        ] {
            assert!(check_marker(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_marker_goes_first_once() {
        assert_eq!(
            compose(DEFAULT_MARKER, "### hi\r\n\r\ntext\n\n"),
            "<!-- protosync:comment -->\n### hi\n\ntext\n"
        );
        let already = format!("x\n{DEFAULT_MARKER}\ny");
        assert_eq!(compose(DEFAULT_MARKER, &already), format!("{already}\n"));
    }

    #[test]
    fn long_bodies_are_cut_at_a_line() {
        let line = "| `a.proto:1:1` | `RULE` | é message |\n";
        let text = line.repeat(5000);
        let body = compose(DEFAULT_MARKER, &text);
        assert!(body.chars().count() <= MAX_BODY_CHARS + 1);
        assert!(body.starts_with(DEFAULT_MARKER));
        assert!(
            body.contains("|\n\n… (cut:"),
            "{}",
            &body[body.len() - 200..]
        );
    }

    #[test]
    fn repositories_and_events() {
        assert_eq!(
            split_repo("acme/billing").unwrap(),
            ("acme".to_owned(), "billing".to_owned())
        );
        assert!(split_repo("acme").is_err());
        assert!(split_repo("a/b/c").is_err());
        let pr = json!({"action": "opened", "number": 7, "pull_request": {"number": 7}});
        assert_eq!(pr_number(&pr), Some(7));
        let comment_on_pr = json!({"issue": {"number": 9, "pull_request": {}}});
        assert_eq!(pr_number(&comment_on_pr), Some(9));
        let comment_on_issue = json!({"issue": {"number": 9}});
        assert_eq!(pr_number(&comment_on_issue), None);
        let push = json!({"ref": "refs/heads/main"});
        assert_eq!(pr_number(&push), None);
    }
}
