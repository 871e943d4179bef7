//! Gitea and Forgejo (Codeberg) API v1 pull requests. Gitea has no head filter on the list
//! endpoint (open PRs are paged through and matched), takes label ids (names are looked up,
//! missing labels created), and marks drafts with a "WIP: " title prefix.

use std::fmt;

use anyhow::Result;
use serde_json::{json, Map, Value};

use super::http::{self, encode, str_field, u64_field, Api, ApiConfig, Method, Retry, Secret};
use super::{split_draft, Forge, ForgeKind, NewPullRequest, PullRequest, RepoRef};

/// Gitea's default `WORK_IN_PROGRESS_PREFIXES`; the first is the one written.
const DRAFT_PREFIXES: &[&str] = &["WIP:", "[WIP]"];
/// Page size for lists (Gitea's usual maximum is 50).
const PAGE: usize = 50;
/// At most this many pages are read (1,000 open PRs or labels).
const MAX_PAGES: usize = 20;
/// Colour of labels protosync has to create.
const NEW_LABEL_COLOR: &str = "#ededed";

pub struct Gitea {
    api: Api,
    owner: String,
    repo: String,
}

impl fmt::Debug for Gitea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gitea")
            .field("repo", &format!("{}/{}", self.owner, self.repo))
            .field("api", &self.api)
            .finish()
    }
}

impl Gitea {
    pub fn new(repo: &RepoRef, api_base: &str, token: Secret, retry: Retry) -> Result<Gitea> {
        // Gitea has no nested owners: a path before owner/name (a sub-path install) is not
        // part of the name.
        let owner = repo
            .owner
            .rsplit('/')
            .next()
            .unwrap_or(&repo.owner)
            .to_owned();
        let api = Api::new(ApiConfig {
            base: api_base.to_owned(),
            label: "Gitea API",
            accept: "application/json",
            extra_headers: Vec::new(),
            auth_header: ("Authorization", format!("token {}", token.expose())),
            secret: token,
            retry,
            github_rate_limits: false,
        })?;
        Ok(Gitea {
            api,
            owner,
            repo: repo.name.clone(),
        })
    }

    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", encode(&self.owner), encode(&self.repo))
    }

    /// Every item of a paged list (`path` has no query yet).
    fn all_pages(&self, path: &str, query: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let sep = if query.is_empty() { "" } else { "&" };
            let list = self
                .api
                .get(&format!("{path}?{query}{sep}page={page}&limit={PAGE}"))?;
            let items = list.as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < PAGE {
                break;
            }
        }
        Ok(out)
    }

    /// The ids of labels named `names` (case-insensitive), creating the missing ones.
    fn label_ids(&self, names: &[String]) -> Result<Vec<u64>> {
        let names = super::missing_labels(names, &[]);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let path = format!("{}/labels", self.repo_path());
        let existing = self.all_pages(&path, "")?;
        let mut ids = Vec::new();
        for name in &names {
            let found = existing
                .iter()
                .find(|l| str_field(l, "name").eq_ignore_ascii_case(name))
                .and_then(|l| l.get("id").and_then(Value::as_u64));
            let id = match found {
                Some(id) => id,
                None => {
                    let created = self.api.call(
                        Method::Post,
                        &path,
                        Some(&json!({ "name": name, "color": NEW_LABEL_COLOR })),
                    )?;
                    u64_field(&created, "id", "Gitea API")?
                }
            };
            ids.push(id);
        }
        Ok(ids)
    }

    fn add_labels(&self, number: u64, names: &[String], have: &[String]) -> Result<()> {
        let missing = super::missing_labels(names, have);
        let ids = self.label_ids(&missing)?;
        if ids.is_empty() {
            return Ok(());
        }
        let path = format!("{}/issues/{number}/labels", self.repo_path());
        self.api
            .call(Method::Post, &path, Some(&json!({ "labels": ids })))?;
        Ok(())
    }

    fn request_reviewers(&self, number: u64, reviewers: &[String]) -> Result<()> {
        let mut users = Vec::new();
        let mut teams = Vec::new();
        for r in reviewers.iter().map(|r| r.trim().trim_start_matches('@')) {
            match r.split_once('/') {
                Some((_, team)) if !team.is_empty() => teams.push(team.to_owned()),
                _ if !r.is_empty() => users.push(r.to_owned()),
                _ => {}
            }
        }
        if users.is_empty() && teams.is_empty() {
            return Ok(());
        }
        let mut body = Map::new();
        if !users.is_empty() {
            body.insert("reviewers".into(), json!(users));
        }
        if !teams.is_empty() {
            body.insert("team_reviewers".into(), json!(teams));
        }
        let path = format!("{}/pulls/{number}/requested_reviewers", self.repo_path());
        self.api
            .call(Method::Post, &path, Some(&Value::Object(body)))?;
        Ok(())
    }
}

fn to_pull_request(v: &Value) -> Result<PullRequest> {
    let (title, marked) = split_draft(str_field(v, "title"), DRAFT_PREFIXES);
    Ok(PullRequest {
        number: u64_field(v, "number", "Gitea API")?,
        url: str_field(v, "html_url").to_owned(),
        head: v
            .get("head")
            .map(|h| str_field(h, "ref"))
            .unwrap_or("")
            .to_owned(),
        base: v
            .get("base")
            .map(|b| str_field(b, "ref"))
            .unwrap_or("")
            .to_owned(),
        title,
        body: str_field(v, "body").to_owned(),
        draft: v.get("draft").and_then(Value::as_bool).unwrap_or(false) || marked,
    })
}

fn label_names(v: &Value) -> Vec<String> {
    v.get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| str_field(l, "name").to_owned())
        .collect()
}

impl Forge for Gitea {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitea
    }

    fn find_open(&self, head: &str, base: &str) -> Result<Option<PullRequest>> {
        let path = format!("{}/pulls", self.repo_path());
        for item in self.all_pages(&path, "state=open")? {
            let pr = to_pull_request(&item)?;
            let head_repo = item.pointer("/head/repo_id").and_then(Value::as_u64);
            let base_repo = item.pointer("/base/repo_id").and_then(Value::as_u64);
            let same_repo = match (head_repo, base_repo) {
                (Some(h), Some(b)) => h == b,
                _ => true,
            };
            if pr.head == head && pr.base == base && same_repo {
                return Ok(Some(pr));
            }
        }
        Ok(None)
    }

    fn create(&self, pr: &NewPullRequest) -> Result<PullRequest> {
        let label_ids = self.label_ids(&pr.labels)?;
        let title = if pr.draft {
            format!("{} {}", DRAFT_PREFIXES[0], pr.title)
        } else {
            pr.title.clone()
        };
        let mut body = Map::new();
        body.insert("head".into(), json!(pr.head));
        body.insert("base".into(), json!(pr.base));
        body.insert("title".into(), json!(title));
        body.insert("body".into(), json!(pr.body));
        if !label_ids.is_empty() {
            body.insert("labels".into(), json!(label_ids));
        }
        let path = format!("{}/pulls", self.repo_path());
        let created = match self
            .api
            .call(Method::Post, &path, Some(&Value::Object(body)))
        {
            Ok(v) => to_pull_request(&v)?,
            // "pull request already exists for these targets": a race with another run.
            Err(e) if http::status_of(&e) == Some(409) => {
                let Some(existing) = self.find_open(&pr.head, &pr.base)? else {
                    return Err(e);
                };
                return self.update(existing.number, &pr.title, &pr.body, &pr.labels);
            }
            Err(e) => return Err(e),
        };
        self.request_reviewers(created.number, &pr.reviewers)
            .map_err(|e| super::after_open(created.number, "requesting reviewers", e))?;
        Ok(created)
    }

    fn update(
        &self,
        number: u64,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<PullRequest> {
        let path = format!("{}/pulls/{number}", self.repo_path());
        let current = self.api.get(&path)?;
        let draft = to_pull_request(&current)?.draft;
        let title = if draft {
            format!("{} {title}", DRAFT_PREFIXES[0])
        } else {
            title.to_owned()
        };
        let updated = self.api.call(
            Method::Patch,
            &path,
            Some(&json!({ "title": title, "body": body })),
        )?;
        self.add_labels(number, labels, &label_names(&current))?;
        to_pull_request(&updated)
    }

    fn close(&self, number: u64, comment: &str) -> Result<()> {
        let path = format!("{}/issues/{number}/comments", self.repo_path());
        self.api
            .call(Method::Post, &path, Some(&json!({ "body": comment })))?;
        let path = format!("{}/pulls/{number}", self.repo_path());
        self.api
            .call(Method::Patch, &path, Some(&json!({ "state": "closed" })))?;
        Ok(())
    }
}
