//! Gitea and Forgejo (Codeberg) API v1 pull requests. The open PR of a head and base is asked
//! for directly (`GET …/pulls/{base}/{head}`); labels are added by name (a name the repository
//! has no label for is created); drafts are marked with a "WIP: " title prefix.

use anyhow::Result;
use serde_json::{json, Value};

use super::http::{self, encode, str_field, u64_field, Api, Method};
use super::{split_draft, Forge, ForgeKind, NewPullRequest, PullRequest, RepoRef};

/// Gitea's default `WORK_IN_PROGRESS_PREFIXES`; the first is the one written.
const DRAFT_PREFIXES: &[&str] = &["WIP:", "[WIP]"];
/// Page size for lists (Gitea's usual maximum is 50).
const PAGE: usize = 50;
/// At most this many pages of labels are read (1,000 labels).
const MAX_PAGES: usize = 20;
/// Colour of labels protosync has to create.
const NEW_LABEL_COLOR: &str = "#ededed";

#[derive(Debug)]
pub struct Gitea {
    api: Api,
    owner: String,
    repo: String,
}

impl Gitea {
    /// The client of `repo` through `api` (built with [`super::http::ApiConfig::for_forge`]).
    pub fn new(repo: &RepoRef, api: Api) -> Gitea {
        Gitea {
            api,
            owner: super::flat_owner(repo),
            repo: repo.name.clone(),
        }
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

    /// Adds the labels of `names` not in `have`, by name. Gitea drops names it has no label
    /// for (and compares them exactly): those are then looked up case-insensitively, created
    /// when missing, and added by id.
    fn add_labels(&self, number: u64, names: &[String], have: &[String]) -> Result<()> {
        let missing = super::missing_labels(names, have);
        if missing.is_empty() {
            return Ok(());
        }
        let path = format!("{}/issues/{number}/labels", self.repo_path());
        let now = self
            .api
            .call(Method::Post, &path, Some(&json!({ "labels": missing })))?;
        let ids = self.label_ids(&super::missing_labels(&missing, &label_names(&now)))?;
        if !ids.is_empty() {
            self.api
                .call(Method::Post, &path, Some(&json!({ "labels": ids })))?;
        }
        Ok(())
    }

    fn request_reviewers(&self, number: u64, reviewers: &[String]) -> Result<()> {
        let Some(body) = super::review_request(reviewers) else {
            return Ok(());
        };
        let path = format!("{}/pulls/{number}/requested_reviewers", self.repo_path());
        self.api.call(Method::Post, &path, Some(&body))?;
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

/// The names of a PR's labels (`v` a PR), or of a label list (`v` an array).
fn label_names(v: &Value) -> Vec<String> {
    v.as_array()
        .or_else(|| v.get("labels").and_then(Value::as_array))
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
        // The open PR from `head` of this repository into `base` (an `owner:branch` head would
        // name a fork's branch), or 404.
        let path = format!(
            "{}/pulls/{}/{}",
            self.repo_path(),
            encode(base),
            encode(head)
        );
        let item = match self.api.get(&path) {
            Ok(item) => item,
            Err(e) if http::status_of(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        };
        let pr = to_pull_request(&item)?;
        let open = str_field(&item, "state") == "open";
        let head_repo = item.pointer("/head/repo_id").and_then(Value::as_u64);
        let base_repo = item.pointer("/base/repo_id").and_then(Value::as_u64);
        let same_repo = match (head_repo, base_repo) {
            (Some(h), Some(b)) => h == b,
            _ => true,
        };
        Ok((open && pr.head == head && pr.base == base && same_repo).then_some(pr))
    }

    fn create(&self, pr: &NewPullRequest) -> Result<PullRequest> {
        let title = if pr.draft {
            format!("{} {}", DRAFT_PREFIXES[0], pr.title)
        } else {
            pr.title.clone()
        };
        let body = json!({ "head": pr.head, "base": pr.base, "title": title, "body": pr.body });
        let path = format!("{}/pulls", self.repo_path());
        let created = match self.api.call(Method::Post, &path, Some(&body)) {
            Ok(v) => to_pull_request(&v)?,
            // "pull request already exists for these targets": a race with another run.
            Err(e) if http::status_of(&e) == Some(409) => return super::adopt_open(self, pr, e),
            Err(e) => return Err(e),
        };
        // Labels by name after opening (the create call takes ids only).
        self.add_labels(created.number, &pr.labels, &[])
            .map_err(|e| super::after_open(created.number, "adding labels", e))?;
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
