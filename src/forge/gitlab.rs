//! GitLab REST v4 merge requests (gitlab.com and self-managed). The project is addressed by
//! its URL-encoded path (`group%2Fsubgroup%2Fname`); drafts are marked with a "Draft: " title
//! prefix; reviewers are user ids, looked up by username (a group is refused: merge request
//! reviewers are users).

use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value};

use super::http::{self, encode, str_field, u64_field, Api, Method};
use super::{split_draft, Forge, ForgeKind, NewPullRequest, PullRequest, RepoRef};

/// Title prefixes GitLab reads as "draft" (case-insensitive); the first is the one written.
const DRAFT_PREFIXES: &[&str] = &["Draft:", "[Draft]", "(Draft)", "WIP:", "[WIP]"];

#[derive(Debug)]
pub struct GitLab {
    api: Api,
    /// `group/subgroup/name`.
    project: String,
}

impl GitLab {
    /// The client of `repo` through `api` (built with [`super::http::ApiConfig::for_forge`]).
    pub fn new(repo: &RepoRef, api: Api) -> GitLab {
        GitLab {
            api,
            project: repo.full_name(),
        }
    }

    fn mrs(&self) -> String {
        format!("/projects/{}/merge_requests", encode(&self.project))
    }

    /// The user id of each username, in order; an unknown one is an error, and so is a group
    /// (`org/team`): GitLab merge request reviewers are users (docs/FORGES.md).
    fn user_ids(&self, usernames: &[String]) -> Result<Vec<u64>> {
        let names: Vec<&str> = usernames
            .iter()
            .map(|n| n.trim().trim_start_matches('@'))
            .filter(|n| !n.is_empty())
            .collect();
        // A username has no '/' (letters, digits, '_', '-', '.'): this names a group or subgroup.
        if let Some(group) = names.iter().find(|n| n.contains('/')) {
            bail!(
                "GitLab: reviewer {group:?} is a group, but GitLab merge request reviewers must be \
                 users: name the users who should review instead"
            );
        }
        let mut ids = Vec::new();
        for name in names {
            let found = self.api.get(&format!("/users?username={}", encode(name)))?;
            let id = found
                .as_array()
                .into_iter()
                .flatten()
                .find(|u| str_field(u, "username").eq_ignore_ascii_case(name))
                .and_then(|u| u.get("id").and_then(Value::as_u64))
                .ok_or_else(|| anyhow!("GitLab API: no user named {name:?} (reviewer)"))?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

fn to_pull_request(v: &Value) -> Result<PullRequest> {
    let (title, marked) = split_draft(str_field(v, "title"), DRAFT_PREFIXES);
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(PullRequest {
        number: u64_field(v, "iid", "GitLab API")?,
        url: str_field(v, "web_url").to_owned(),
        head: str_field(v, "source_branch").to_owned(),
        base: str_field(v, "target_branch").to_owned(),
        title,
        body: str_field(v, "description").to_owned(),
        draft: flag("draft") || flag("work_in_progress") || marked,
    })
}

fn labels_param(labels: &[String]) -> Option<String> {
    let labels = super::missing_labels(labels, &[]);
    // GitLab takes a comma-separated list: a comma inside a name cannot be sent.
    let labels: Vec<String> = labels.into_iter().map(|l| l.replace(',', " ")).collect();
    (!labels.is_empty()).then(|| labels.join(","))
}

impl Forge for GitLab {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Gitlab
    }

    fn find_open(&self, head: &str, base: &str) -> Result<Option<PullRequest>> {
        let path = format!(
            "{}?state=opened&source_branch={}&target_branch={}",
            self.mrs(),
            encode(head),
            encode(base)
        );
        let list = self.api.get(&path)?;
        for item in list.as_array().into_iter().flatten() {
            let pr = to_pull_request(item)?;
            let source = item.get("source_project_id").and_then(Value::as_u64);
            let target = item.get("target_project_id").and_then(Value::as_u64);
            let same_project = match (source, target) {
                (Some(s), Some(t)) => s == t,
                _ => true,
            };
            if pr.head == head && pr.base == base && same_project {
                return Ok(Some(pr));
            }
        }
        Ok(None)
    }

    fn create(&self, pr: &NewPullRequest) -> Result<PullRequest> {
        // Reviewers are resolved first: an unknown one fails before anything is opened.
        let reviewer_ids = self.user_ids(&pr.reviewers)?;
        let title = if pr.draft {
            format!("{} {}", DRAFT_PREFIXES[0], pr.title)
        } else {
            pr.title.clone()
        };
        let mut body = Map::new();
        body.insert("source_branch".into(), json!(pr.head));
        body.insert("target_branch".into(), json!(pr.base));
        body.insert("title".into(), json!(title));
        body.insert("description".into(), json!(pr.body));
        if let Some(labels) = labels_param(&pr.labels) {
            body.insert("labels".into(), json!(labels));
        }
        if !reviewer_ids.is_empty() {
            body.insert("reviewer_ids".into(), json!(reviewer_ids));
        }
        match self
            .api
            .call(Method::Post, &self.mrs(), Some(&Value::Object(body)))
        {
            Ok(created) => to_pull_request(&created),
            // "Another open merge request already exists for this source branch": a race.
            Err(e) if http::status_of(&e) == Some(409) => super::adopt_open(self, pr, e),
            Err(e) => Err(e),
        }
    }

    fn update(
        &self,
        number: u64,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<PullRequest> {
        let path = format!("{}/{number}", self.mrs());
        // A draft keeps its marker: the new title gets it too.
        let current = to_pull_request(&self.api.get(&path)?)?;
        let title = if current.draft {
            format!("{} {title}", DRAFT_PREFIXES[0])
        } else {
            title.to_owned()
        };
        let mut change = Map::new();
        change.insert("title".into(), json!(title));
        change.insert("description".into(), json!(body));
        if let Some(labels) = labels_param(labels) {
            change.insert("add_labels".into(), json!(labels));
        }
        let updated = self
            .api
            .call(Method::Put, &path, Some(&Value::Object(change)))?;
        to_pull_request(&updated)
    }

    fn close(&self, number: u64, comment: &str) -> Result<()> {
        let path = format!("{}/{number}", self.mrs());
        self.api.call(
            Method::Post,
            &format!("{path}/notes"),
            Some(&json!({ "body": comment })),
        )?;
        self.api
            .call(Method::Put, &path, Some(&json!({ "state_event": "close" })))?;
        Ok(())
    }
}
