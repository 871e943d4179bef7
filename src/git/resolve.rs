//! Resolving what an input wants (HEAD, a branch, a tag, a commit, a revision expression) to a
//! commit of a repository, with a "closest" hint when a name is not there.

use anyhow::{anyhow, bail, Result};
use git2::{Oid, Repository};

use crate::input::spec::GitWant;

fn peel_commit(repo: &Repository, spec: &str) -> Option<Oid> {
    repo.revparse_single(spec)
        .ok()?
        .peel_to_commit()
        .ok()
        .map(|c| c.id())
}

/// The full ref name a branch resolves to: a local branch first, else `origin/<name>`, else
/// any remote's branch of that name.
fn branch_ref(repo: &Repository, branch: &str) -> Option<String> {
    let mut candidates = vec![
        format!("refs/heads/{branch}"),
        format!("refs/remotes/origin/{branch}"),
    ];
    if let Ok(remotes) = repo.remotes() {
        for r in remotes.iter().flatten().flatten() {
            candidates.push(format!("refs/remotes/{r}/{branch}"));
        }
    }
    if branch.starts_with("refs/") {
        candidates.insert(0, branch.to_owned());
    }
    candidates
        .into_iter()
        .find(|name| repo.find_reference(name).is_ok())
}

/// Branch and tag names of a repository, for suggestions.
fn ref_names(repo: &Repository) -> (Vec<String>, Vec<String>) {
    let mut branches = Vec::new();
    let mut tags = Vec::new();
    if let Ok(refs) = repo.references() {
        for r in refs.flatten() {
            let Ok(name) = r.name() else { continue };
            if let Some(b) = name.strip_prefix("refs/heads/") {
                branches.push(b.to_owned());
            } else if let Some(b) = name.strip_prefix("refs/remotes/") {
                if let Some((_, b)) = b.split_once('/') {
                    if b != "HEAD" {
                        branches.push(b.to_owned());
                    }
                }
            } else if let Some(t) = name.strip_prefix("refs/tags/") {
                tags.push(t.to_owned());
            }
        }
    }
    branches.sort();
    branches.dedup();
    tags.sort();
    (branches, tags)
}

fn not_found(repo: &Repository, kind: &str, name: &str) -> anyhow::Error {
    let (branches, tags) = ref_names(repo);
    let repo_name = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .display()
        .to_string();
    let branches: Vec<&str> = branches.iter().map(String::as_str).collect();
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
    let hint = crate::suggest::ref_hint(kind, name, &branches, &tags, "repository");
    anyhow!("{kind} {name:?} not found in repository {repo_name}{hint}")
}

/// Resolves what a spec wants to a commit.
pub fn resolve(repo: &Repository, want: &GitWant) -> Result<Oid> {
    match want {
        GitWant::Head => repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id())
            .ok_or_else(|| anyhow!("the repository has no HEAD commit")),
        GitWant::Branch(b) => branch_ref(repo, b)
            .and_then(|r| peel_commit(repo, &r))
            .ok_or_else(|| not_found(repo, "branch", b)),
        GitWant::Tag(t) if crate::input::releases::is_pattern(t) => bail!(
            "tag {t:?} is a pattern naming several releases; only `breaking --against` checks \
             against every matching tag"
        ),
        GitWant::Tag(t) => {
            peel_commit(repo, &format!("refs/tags/{t}")).ok_or_else(|| not_found(repo, "tag", t))
        }
        GitWant::Commit(c) => {
            if c.len() < 4 || !c.chars().all(|ch| ch.is_ascii_hexdigit()) {
                bail!("commit {c:?} is not a commit id (4 to 40 hex digits)");
            }
            peel_commit(repo, c)
                .ok_or_else(|| anyhow!("commit {c:?} not found (or ambiguous) in repository"))
        }
        GitWant::Ref { expr, branch } => {
            let expr = match branch {
                Some(b) => {
                    let r = branch_ref(repo, b).ok_or_else(|| not_found(repo, "branch", b))?;
                    match expr.strip_prefix("HEAD") {
                        Some(rest) => format!("{r}{rest}"),
                        None => expr.clone(),
                    }
                }
                None => expr.clone(),
            };
            peel_commit(repo, &expr).ok_or_else(|| not_found(repo, "ref", &expr))
        }
    }
}
