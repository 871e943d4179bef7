//! Gitea/Forgejo API v1 as the loopback server answers it: the operations protosync calls, by
//! the operationIds of Forgejo's swagger (from the crate `forgejo-api`).

use protosync::forge::ForgeKind;
use serde_json::{json, Value};

use super::{draft_from_title, reply, Call, PrState, Reply, Route, State};

/// The operations the server implements.
#[rustfmt::skip]
pub(super) const ROUTES: &[Route] = &[
    Route { method: "GET", template: "/repos/{owner}/{repo}/pulls", id: "repoListPullRequests" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/pulls", id: "repoCreatePullRequest" },
    Route { method: "GET", template: "/repos/{owner}/{repo}/pulls/{index}", id: "repoGetPullRequest" },
    Route { method: "PATCH", template: "/repos/{owner}/{repo}/pulls/{index}", id: "repoEditPullRequest" },
    Route { method: "GET", template: "/repos/{owner}/{repo}/pulls/{base}/{head}", id: "repoGetPullRequestByBaseHead" },
    Route { method: "GET", template: "/repos/{owner}/{repo}/labels", id: "issueListLabels" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/labels", id: "issueCreateLabel" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/issues/{index}/labels", id: "issueAddLabel" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/pulls/{index}/requested_reviewers", id: "repoCreatePullReviewRequests" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/issues/{index}/comments", id: "issueCreateComment" },
];

/// What the swagger cannot say: a label's colour is `#rrggbb`; an issue's labels are given by
/// ids or by names, not both (Gitea answers 400 then; the description allows any items).
pub(super) fn check(id: &str, call: &Call) -> Vec<String> {
    let mut errors = Vec::new();
    if id == "issueCreateLabel" {
        let color = call.s("color").unwrap_or_default();
        let hex = color.trim_start_matches('#');
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            errors.push(format!("color {color:?} is not #rrggbb"));
        }
    }
    if id == "issueAddLabel" {
        let items = call.body.as_ref().and_then(|b| b["labels"].as_array());
        let all = |f: fn(&Value) -> bool| items.is_some_and(|a| a.iter().all(f));
        if !(all(Value::is_u64) || all(Value::is_string)) {
            errors.push("labels must be all ids or all names".to_owned());
        }
    }
    errors
}

fn not_found() -> Reply {
    reply(
        404,
        json!({"message": "The target couldn't be found.", "errors": [], "url": ""}),
    )
}

/// `page` (from 1) and `limit` (default 30, at most 50) as Gitea pages lists.
fn page_of(call: &Call) -> (usize, usize) {
    let page = call.q("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let limit = call.q("limit").and_then(|p| p.parse().ok()).unwrap_or(30);
    (usize::max(page, 1), usize::clamp(limit, 1, 50))
}

pub(super) fn handle(st: &mut State, id: &str, call: &Call) -> Reply {
    let (owner, name) = (call.p("owner"), call.p("repo"));
    let index = call.n("index");
    match id {
        "repoListPullRequests" => {
            let state = call.q("state").unwrap_or("open").to_owned();
            let (page, limit) = page_of(call);
            let numbers: Vec<u64> = st
                .repo(&owner, &name)
                .prs
                .values()
                .filter(|p| state == "all" || p.state == state)
                .map(|p| p.number)
                .rev()
                .skip((page - 1) * limit)
                .take(limit)
                .collect();
            let items = numbers
                .into_iter()
                .map(|n| pull_request(st, &owner, &name, n))
                .collect();
            reply(200, Value::Array(items))
        }
        "repoGetPullRequest" => match st.repo(&owner, &name).prs.contains_key(&index) {
            true => reply(200, pull_request(st, &owner, &name, index)),
            false => not_found(),
        },
        "repoGetPullRequestByBaseHead" => {
            // An `owner:branch` head names a fork's branch: this server has no forks.
            let head = call.p("head");
            match st.open_pr_of(&owner, &name, &head, &call.p("base")) {
                Some(n) if !head.contains(':') => reply(200, pull_request(st, &owner, &name, n)),
                _ => not_found(),
            }
        }
        "repoCreatePullRequest" => create(st, &owner, &name, call),
        "repoEditPullRequest" => edit(st, &owner, &name, index, call),
        "issueListLabels" => {
            let (page, limit) = page_of(call);
            let labels: Vec<(String, u64)> = st
                .repo(&owner, &name)
                .labels
                .iter()
                .map(|(n, i)| (n.clone(), *i))
                .skip((page - 1) * limit)
                .take(limit)
                .collect();
            let items = labels
                .iter()
                .map(|(n, i)| label(st, &owner, &name, n, *i))
                .collect();
            reply(200, Value::Array(items))
        }
        "issueCreateLabel" => {
            let label_name = call.s("name").unwrap_or_default();
            st.next_id += 1;
            let id = st.next_id;
            st.repo(&owner, &name).labels.insert(label_name.clone(), id);
            reply(201, label(st, &owner, &name, &label_name, id))
        }
        "issueAddLabel" => add_labels(st, &owner, &name, index, call),
        "repoCreatePullReviewRequests" => request_reviewers(st, &owner, &name, index, call),
        "issueCreateComment" => {
            let Some(pr) = st.repo(&owner, &name).prs.get_mut(&index) else {
                return not_found();
            };
            let body = call.s("body").unwrap_or_default();
            pr.comments.push(body.clone());
            st.next_id += 1;
            let id = st.next_id;
            let web = st.web();
            let user = user(st, "protosync-bot");
            reply(
                201,
                json!({"id": id, "body": body, "user": user, "html_url": format!("{web}/{owner}/{name}/pulls/{index}#issuecomment-{id}"), "issue_url": format!("{web}/{owner}/{name}/issues/{index}"), "pull_request_url": format!("{web}/{owner}/{name}/pulls/{index}")}),
            )
        }
        other => unreachable!("no handler for {other}"),
    }
}

fn edit(st: &mut State, owner: &str, name: &str, index: u64, call: &Call) -> Reply {
    let Some(mut pr) = st.repo(owner, name).prs.get(&index).cloned() else {
        return not_found();
    };
    pr.edit(ForgeKind::Gitea, call);
    if let Some(s) = call.s("state") {
        pr.state = s;
    }
    if call.has("labels") {
        match label_names(st, owner, name, &call.ids("labels")) {
            Ok(l) => pr.labels = l,
            Err(r) => return r,
        }
    }
    st.repo(owner, name).prs.insert(index, pr);
    // Gitea answers an edit with 201.
    reply(201, pull_request(st, owner, name, index))
}

/// `POST …/issues/{index}/labels`: label ids, or names (Gitea 1.19 and later), which are
/// matched exactly, repository labels only here; a name without a label is dropped, as Gitea
/// does. Answers the labels.
fn add_labels(st: &mut State, owner: &str, name: &str, index: u64, call: &Call) -> Reply {
    let names = match label_names(st, owner, name, &call.ids("labels")) {
        Ok(mut by_id) => {
            let known: Vec<String> = st.repo(owner, name).labels.keys().cloned().collect();
            by_id.extend(
                call.strings("labels")
                    .into_iter()
                    .filter(|n| known.contains(n)),
            );
            by_id
        }
        Err(r) => return r,
    };
    let Some(pr) = st.repo(owner, name).prs.get_mut(&index) else {
        return not_found();
    };
    for n in names {
        if !pr.labels.contains(&n) {
            pr.labels.push(n);
        }
    }
    let labels = pr.labels.clone();
    let items = labels
        .iter()
        .map(|l| {
            let id = st.repo(owner, name).labels[l];
            label(st, owner, name, l, id)
        })
        .collect();
    reply(200, Value::Array(items))
}

fn request_reviewers(st: &mut State, owner: &str, name: &str, index: u64, call: &Call) -> Reply {
    if !st.repo(owner, name).prs.contains_key(&index) {
        return not_found();
    }
    let users = call.strings("reviewers");
    if let Some(u) = users.iter().find(|u| !st.user_exists(u)) {
        return reply(
            422,
            json!({"message": format!("user does not exist [uid: 0, name: {u}]"), "url": ""}),
        );
    }
    let teams = call.strings("team_reviewers");
    let pr = st.repo(owner, name).prs.get_mut(&index).unwrap();
    for u in &users {
        if !pr.reviewers.contains(u) {
            pr.reviewers.push(u.clone());
        }
    }
    for t in teams {
        if !pr.team_reviewers.contains(&t) {
            pr.team_reviewers.push(t);
        }
    }
    let reviews: Vec<Value> = users
        .iter()
        .map(|u| {
            let user = user(st, u);
            st.next_id += 1;
            json!({"id": st.next_id, "user": user, "state": "REQUEST_REVIEW", "body": "", "official": false, "stale": false, "dismissed": false})
        })
        .collect();
    reply(201, Value::Array(reviews))
}

fn create(st: &mut State, owner: &str, name: &str, call: &Call) -> Reply {
    let head = call.s("head").unwrap_or_default();
    let base = call.s("base").unwrap_or_default();
    let title = call.s("title").unwrap_or_default();
    if let Some(n) = st.open_pr_of(owner, name, &head, &base) {
        return reply(
            409,
            json!({"message": format!("pull request already exists for these targets [id: {n}, issue_id: {n}, head_repo_id: 0, base_repo_id: 0, head_branch: {head}, base_branch: {base}]"), "url": format!("{}/api/swagger", st.web())}),
        );
    }
    if title.is_empty() {
        return reply(422, json!({"message": "[Title]: Required", "url": ""}));
    }
    let labels = match label_names(st, owner, name, &call.ids("labels")) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let draft = draft_from_title(ForgeKind::Gitea, &title);
    let body = call.s("body").unwrap_or_default();
    let mut pr = PrState::open(head, base, title, body, "protosync-bot");
    pr.draft = draft;
    pr.labels = labels;
    let number = st.add_pr(owner, name, pr);
    reply(201, pull_request(st, owner, name, number))
}

fn user(st: &mut State, login: &str) -> Value {
    let id = st.user_id(login);
    let web = st.web();
    json!({"id": id, "login": login, "username": login, "full_name": "", "html_url": format!("{web}/{login}")})
}

fn label(st: &mut State, owner: &str, repo: &str, name: &str, id: u64) -> Value {
    let web = st.web();
    json!({"id": id, "name": name, "color": "ededed", "description": "", "exclusive": false, "is_archived": false, "url": format!("{web}/api/v1/repos/{owner}/{repo}/labels/{id}")})
}

/// The names of the labels `ids` (an unknown id is an error, as Gitea makes it).
fn label_names(st: &mut State, owner: &str, repo: &str, ids: &[u64]) -> Result<Vec<String>, Reply> {
    let mut names = Vec::new();
    for id in ids {
        match st.repo(owner, repo).labels.iter().find(|(_, v)| *v == id) {
            Some((n, _)) => names.push(n.clone()),
            None => {
                st.invalid.push(format!(
                    "Gitea label id {id} does not exist in {owner}/{repo}"
                ));
                return Err(reply(
                    422,
                    json!({"message": format!("label does not exist [id: {id}]")}),
                ));
            }
        }
    }
    Ok(names)
}

fn pull_request(st: &mut State, owner: &str, repo: &str, number: u64) -> Value {
    let r = st.repo(owner, repo);
    let repo_id = r.id;
    let pr = r.prs[&number].clone();
    let web = st.web();
    let author = user(st, &pr.author);
    let owner_json = user(st, owner);
    let labels: Vec<Value> = pr
        .labels
        .iter()
        .map(|l| {
            let id = st.label_id(owner, repo, l);
            label(st, owner, repo, l, id)
        })
        .collect();
    let reviewers: Vec<Value> = pr.reviewers.iter().map(|u| user(st, u)).collect();
    let repo_json = json!({"id": repo_id, "name": repo, "full_name": format!("{owner}/{repo}"), "owner": owner_json, "html_url": format!("{web}/{owner}/{repo}")});
    let side = |r: &str| json!({"label": r, "ref": r, "sha": "0".repeat(40), "repo_id": repo_id, "repo": repo_json});
    json!({
        "id": 300_000 + number,
        "number": number,
        "title": pr.title,
        "body": pr.body,
        "state": pr.state,
        "draft": pr.draft,
        "is_locked": false,
        "user": author,
        "labels": labels,
        "requested_reviewers": reviewers,
        "head": side(&pr.head),
        "base": side(&pr.base),
        "merged": false,
        "mergeable": true,
        "comments": pr.comments.len(),
        "html_url": format!("{web}/{owner}/{repo}/pulls/{number}"),
        "url": format!("{web}/{owner}/{repo}/pulls/{number}"),
        "diff_url": format!("{web}/{owner}/{repo}/pulls/{number}.diff"),
        "patch_url": format!("{web}/{owner}/{repo}/pulls/{number}.patch"),
    })
}
