//! GitHub REST v3 (github.com and Enterprise Server): pull requests, labels, reviewers,
//! comments. Every call is an operation of GitHub's published REST description (the tests
//! check each request against it: docs/FORGES.md).

use anyhow::Result;
use serde_json::{json, Value};

use super::http::{self, encode, str_field, u64_field, Api, Method};
use super::{Forge, ForgeKind, NewPullRequest, PullRequest, RepoRef};

#[derive(Debug)]
pub struct GitHub {
    api: Api,
    owner: String,
    repo: String,
}

impl GitHub {
    /// The client of `repo` through `api` (built with [`super::http::ApiConfig::for_forge`]).
    pub fn new(repo: &RepoRef, api: Api) -> GitHub {
        GitHub {
            api,
            owner: super::flat_owner(repo),
            repo: repo.name.clone(),
        }
    }

    fn repo_path(&self) -> String {
        format!("/repos/{}/{}", encode(&self.owner), encode(&self.repo))
    }

    fn add_labels(&self, number: u64, labels: &[String]) -> Result<()> {
        let labels = super::missing_labels(labels, &[]);
        if labels.is_empty() {
            return Ok(());
        }
        // Adds to the existing labels; labels that do not exist yet are created by GitHub.
        let path = format!("{}/issues/{number}/labels", self.repo_path());
        self.api
            .call(Method::Post, &path, Some(&json!({ "labels": labels })))?;
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

    fn open(&self, pr: &NewPullRequest, draft: bool) -> Result<Value> {
        let body = json!({
            "title": pr.title,
            "head": pr.head,
            "base": pr.base,
            "body": pr.body,
            "draft": draft,
        });
        self.api.call(
            Method::Post,
            &format!("{}/pulls", self.repo_path()),
            Some(&body),
        )
    }
}

fn to_pull_request(v: &Value) -> Result<PullRequest> {
    Ok(PullRequest {
        number: u64_field(v, "number", "GitHub API")?,
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
        title: str_field(v, "title").to_owned(),
        body: str_field(v, "body").to_owned(),
        draft: v.get("draft").and_then(Value::as_bool).unwrap_or(false),
    })
}

impl Forge for GitHub {
    fn kind(&self) -> ForgeKind {
        ForgeKind::Github
    }

    fn find_open(&self, head: &str, base: &str) -> Result<Option<PullRequest>> {
        let path = format!(
            "{}/pulls?state=open&head={}&base={}",
            self.repo_path(),
            encode(&format!("{}:{head}", self.owner)),
            encode(base)
        );
        let list = self.api.get(&path)?;
        for item in list.as_array().into_iter().flatten() {
            let pr = to_pull_request(item)?;
            let same_repo = item
                .pointer("/head/repo/full_name")
                .and_then(Value::as_str)
                .is_none_or(|n| n.eq_ignore_ascii_case(&format!("{}/{}", self.owner, self.repo)));
            if pr.head == head && pr.base == base && same_repo {
                return Ok(Some(pr));
            }
        }
        Ok(None)
    }

    fn create(&self, pr: &NewPullRequest) -> Result<PullRequest> {
        let created = match self.open(pr, pr.draft) {
            Ok(v) => v,
            // Draft PRs are not available on every plan: open a ready one instead.
            Err(e)
                if pr.draft
                    && http::status_of(&e) == Some(422)
                    && http::api_message_of(&e)
                        .to_ascii_lowercase()
                        .contains("draft") =>
            {
                self.open(pr, false)?
            }
            Err(e)
                if http::status_of(&e) == Some(422)
                    && http::api_message_of(&e).contains("already exists") =>
            {
                // Another run opened it meanwhile: update that one.
                return super::adopt_open(self, pr, e);
            }
            Err(e) => return Err(e),
        };
        let created = to_pull_request(&created)?;
        self.add_labels(created.number, &pr.labels)
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
        let updated = self.api.call(
            Method::Patch,
            &path,
            Some(&json!({ "title": title, "body": body })),
        )?;
        let updated = to_pull_request(&updated)?;
        self.add_labels(number, labels)?;
        Ok(updated)
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
