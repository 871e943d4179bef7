//! GitHub REST v3 as the loopback server answers it: the operations protosync calls (by the
//! operationIds of GitHub's description), answers built from the description's response
//! schemas (every required field, then the state laid over).

use protosync::forge::ForgeKind;
use serde_json::{json, Value};

use super::http::Request;
use super::openapi::{merge, published, Published};
use super::{reply, Call, PrState, Reply, Route, State};

/// The operations the server implements.
#[rustfmt::skip]
pub(super) const ROUTES: &[Route] = &[
    Route { method: "GET", template: "/repos/{owner}/{repo}/pulls", id: "pulls/list" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/pulls", id: "pulls/create" },
    Route { method: "PATCH", template: "/repos/{owner}/{repo}/pulls/{pull_number}", id: "pulls/update" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/issues/{issue_number}/labels", id: "issues/add-labels" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", id: "pulls/request-reviewers" },
    Route { method: "POST", template: "/repos/{owner}/{repo}/issues/{issue_number}/comments", id: "issues/create-comment" },
    Route { method: "GET", template: "/repos/{owner}/{repo}/issues/{issue_number}/comments", id: "issues/list-comments" },
    Route { method: "PATCH", template: "/repos/{owner}/{repo}/issues/comments/{comment_id}", id: "issues/update-comment" },
];

/// The headers protosync promises to send (the description does not list them).
pub(super) fn check_headers(req: &Request) -> Vec<String> {
    let mut errors = Vec::new();
    if req.header("accept") != Some("application/vnd.github+json") {
        errors.push(format!(
            "Accept is {:?}, not application/vnd.github+json",
            req.header("accept")
        ));
    }
    if req.header("x-github-api-version") != Some("2022-11-28") {
        errors.push(format!(
            "X-GitHub-Api-Version is {:?}, not 2022-11-28",
            req.header("x-github-api-version")
        ));
    }
    errors
}

pub(super) fn handle(st: &mut State, id: &str, call: &Call) -> Reply {
    let (owner, repo) = (call.p("owner"), call.p("repo"));
    let number = call.n(if call.params.contains_key("pull_number") {
        "pull_number"
    } else {
        "issue_number"
    });
    match id {
        "pulls/list" => list(st, &owner, &repo, call),
        "pulls/create" => create(st, &owner, &repo, call),
        "pulls/update" => update(st, &owner, &repo, number, call),
        "issues/add-labels" => add_labels(st, &owner, &repo, number, call),
        "pulls/request-reviewers" => request_reviewers(st, &owner, &repo, number, call),
        "issues/create-comment" => comment(st, &owner, &repo, number, call),
        "issues/list-comments" => list_comments(st, &owner, &repo, number, call),
        "issues/update-comment" => update_comment(st, &owner, &repo, call.n("comment_id"), call),
        other => unreachable!("no handler for {other}"),
    }
}

/// A minimal value of the component schema `name` of GitHub's description (`{}` without it).
fn example_of(name: &str) -> Value {
    match published(Published::Github) {
        Some(d) => d.example(&json!({ "$ref": format!("#/components/schemas/{name}") })),
        None => json!({}),
    }
}

/// Problems with the examples the answers are built from: they must match the description.
pub(super) fn self_check() -> Vec<String> {
    let Some(d) = published(Published::Github) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for name in [
        "pull-request",
        "pull-request-simple",
        "label",
        "issue-comment",
        "simple-user",
        "repository",
    ] {
        let op = json!({"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": format!("#/components/schemas/{name}")}
        }}}}});
        for e in d.check_response(&op, 200, &example_of(name)) {
            errors.push(format!("example {name}: {e}"));
        }
    }
    errors
}

fn user(st: &mut State, login: &str) -> Value {
    let id = st.user_id(login);
    let web = st.web();
    merge(
        example_of("simple-user"),
        json!({
            "login": login,
            "id": id,
            "node_id": format!("U_{id}"),
            "url": format!("{web}/users/{login}"),
            "html_url": format!("{web}/{login}"),
            "type": "User",
        }),
    )
}

fn repository(st: &mut State, owner: &str, name: &str) -> Value {
    let id = st.repo(owner, name).id;
    let web = st.web();
    let owner_json = user(st, owner);
    merge(
        example_of("repository"),
        json!({
            "id": id,
            "node_id": format!("R_{id}"),
            "name": name,
            "full_name": format!("{owner}/{name}"),
            "owner": owner_json,
            "private": false,
            "html_url": format!("{web}/{owner}/{name}"),
            "url": format!("{web}/repos/{owner}/{name}"),
            "default_branch": "main",
        }),
    )
}

fn label(st: &mut State, owner: &str, repo: &str, name: &str) -> Value {
    let id = st.label_id(owner, repo, name);
    let web = st.web();
    merge(
        example_of("label"),
        json!({
            "id": id,
            "node_id": format!("LA_{id}"),
            "url": format!("{web}/repos/{owner}/{repo}/labels/{}", name.replace(' ', "%20")),
            "name": name,
            "color": "ededed",
            "default": false,
            // `label` allows null here, pull-request-simple's labels do not.
            "description": "",
        }),
    )
}

/// A PR as GitHub answers it, shaped by `schema` ("pull-request" or "pull-request-simple").
fn pull_request(st: &mut State, owner: &str, repo: &str, number: u64, schema: &str) -> Value {
    let pr = st.repo(owner, repo).prs[&number].clone();
    let web = st.web();
    let repo_json = repository(st, owner, repo);
    let author = user(st, &pr.author);
    let owner_json = user(st, owner);
    let labels: Vec<Value> = pr
        .labels
        .iter()
        .map(|l| label(st, owner, repo, l))
        .collect();
    let reviewers: Vec<Value> = pr.reviewers.iter().map(|r| user(st, r)).collect();
    let teams: Vec<Value> = pr
        .team_reviewers
        .iter()
        .map(|t| merge(example_of("team"), json!({"name": t, "slug": t})))
        .collect();
    let side = |r: &str| {
        json!({
            "label": format!("{owner}:{r}"),
            "ref": r,
            "sha": "0".repeat(40),
            "repo": repo_json,
            "user": owner_json,
        })
    };
    let api = format!("{web}/repos/{owner}/{repo}");
    merge(
        example_of(schema),
        json!({
            "id": 100_000 + number,
            "node_id": format!("PR_{number}"),
            "number": number,
            "state": pr.state,
            "locked": false,
            "title": pr.title,
            "body": if pr.body.is_empty() { Value::Null } else { json!(pr.body) },
            "draft": pr.draft,
            "user": author,
            "labels": labels,
            "requested_reviewers": reviewers,
            "requested_teams": teams,
            "head": side(&pr.head),
            "base": side(&pr.base),
            "html_url": format!("{web}/{owner}/{repo}/pull/{number}"),
            "url": format!("{api}/pulls/{number}"),
            "issue_url": format!("{api}/issues/{number}"),
            "comments": pr.comments.len(),
        }),
    )
}

fn validation_failed(message: &str) -> Reply {
    reply(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": message}],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        }),
    )
}

fn not_found() -> Reply {
    reply(
        404,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
    )
}

fn list(st: &mut State, owner: &str, repo: &str, call: &Call) -> Reply {
    let state = call.q("state").unwrap_or("open").to_owned();
    let head = call.q("head").map(|h| match h.split_once(':') {
        Some((o, b)) => (Some(o.to_owned()), b.to_owned()),
        None => (None, h.to_owned()),
    });
    let base = call.q("base").map(str::to_owned);
    let numbers: Vec<u64> = st
        .repo(owner, repo)
        .prs
        .values()
        .filter(|p| state == "all" || p.state == state)
        .filter(|p| match &head {
            Some((o, b)) => {
                &p.head == b && o.as_deref().is_none_or(|o| o.eq_ignore_ascii_case(owner))
            }
            None => true,
        })
        .filter(|p| base.as_ref().is_none_or(|b| &p.base == b))
        .map(|p| p.number)
        .rev()
        .collect();
    let items: Vec<Value> = numbers
        .into_iter()
        .map(|n| pull_request(st, owner, repo, n, "pull-request-simple"))
        .collect();
    reply(200, Value::Array(items))
}

fn create(st: &mut State, owner: &str, repo: &str, call: &Call) -> Reply {
    let Some(title) = call.s("title") else {
        return reply(
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "title", "code": "missing_field"}], "documentation_url": "https://docs.github.com/rest"}),
        );
    };
    let head = call.s("head").unwrap_or_default();
    let head = match head.split_once(':') {
        Some((_, b)) => b.to_owned(),
        None => head,
    };
    let base = call.s("base").unwrap_or_default();
    if head == base {
        return validation_failed(&format!("No commits between {base} and {head}"));
    }
    if st.open_pr_of(owner, repo, &head, &base).is_some() {
        return validation_failed(&format!(
            "A pull request already exists for {owner}:{head}."
        ));
    }
    let draft = call
        .body
        .as_ref()
        .and_then(|b| b["draft"].as_bool())
        .unwrap_or(false);
    let body = call.s("body").unwrap_or_default();
    let mut pr = PrState::open(head, base, title, body, "protosync-bot");
    pr.draft = draft;
    let number = st.add_pr(owner, repo, pr);
    let mut out = reply(201, pull_request(st, owner, repo, number, "pull-request"));
    out.headers.push((
        "Location".into(),
        format!("{}/repos/{owner}/{repo}/pulls/{number}", st.web()),
    ));
    out
}

fn update(st: &mut State, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
    let Some(pr) = st.repo(owner, repo).prs.get(&number).cloned() else {
        return not_found();
    };
    let mut pr = pr;
    pr.edit(ForgeKind::Github, call);
    if let Some(s) = call.s("state") {
        if s == "open"
            && pr.state != "open"
            && st
                .repo(owner, repo)
                .prs
                .values()
                .any(|p| p.state == "open" && p.head == pr.head && p.base == pr.base)
        {
            return validation_failed("A pull request already exists for this branch.");
        }
        pr.state = s;
    }
    st.repo(owner, repo).prs.insert(number, pr);
    reply(200, pull_request(st, owner, repo, number, "pull-request"))
}

fn add_labels(st: &mut State, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
    if !st.repo(owner, repo).prs.contains_key(&number) {
        return not_found();
    }
    let wanted = call.strings("labels");
    for l in &wanted {
        st.label_id(owner, repo, l);
    }
    let pr = st.repo(owner, repo).prs.get_mut(&number).unwrap();
    for l in wanted {
        if !pr.labels.iter().any(|h| h.eq_ignore_ascii_case(&l)) {
            pr.labels.push(l);
        }
    }
    let names = pr.labels.clone();
    let labels: Vec<Value> = names.iter().map(|l| label(st, owner, repo, l)).collect();
    reply(200, Value::Array(labels))
}

fn request_reviewers(st: &mut State, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
    if !st.repo(owner, repo).prs.contains_key(&number) {
        return not_found();
    }
    let users = call.strings("reviewers");
    let teams = call.strings("team_reviewers");
    if users.iter().any(|u| !st.user_exists(u)) {
        return reply(
            422,
            json!({
                "message": format!("Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {owner}/{repo} repository."),
                "documentation_url": "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request",
            }),
        );
    }
    let pr = st.repo(owner, repo).prs.get_mut(&number).unwrap();
    for u in users {
        if !pr.reviewers.contains(&u) {
            pr.reviewers.push(u);
        }
    }
    for t in teams {
        if !pr.team_reviewers.contains(&t) {
            pr.team_reviewers.push(t);
        }
    }
    reply(
        201,
        pull_request(st, owner, repo, number, "pull-request-simple"),
    )
}

fn comment(st: &mut State, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
    let Some(pr) = st.repo(owner, repo).prs.get_mut(&number) else {
        return not_found();
    };
    let body = call.s("body").unwrap_or_default();
    pr.comments.push(body);
    let index = pr.comments.len() - 1;
    st.next_id += 1;
    let id = st.next_id;
    st.repo(owner, repo)
        .comment_ids
        .insert(id, (number, index, "protosync-bot".into()));
    reply(201, comment_json(st, owner, repo, id))
}

/// An issue comment as GitHub answers it.
fn comment_json(st: &mut State, owner: &str, repo: &str, id: u64) -> Value {
    let (number, index, author) = st.repo(owner, repo).comment_ids[&id].clone();
    let body = st.repo(owner, repo).prs[&number].comments[index].clone();
    let web = st.web();
    let author = user(st, &author);
    merge(
        example_of("issue-comment"),
        json!({
            "id": id,
            "node_id": format!("IC_{id}"),
            "body": body,
            "user": author,
            "url": format!("{web}/repos/{owner}/{repo}/issues/comments/{id}"),
            "html_url": format!("{web}/{owner}/{repo}/pull/{number}#issuecomment-{id}"),
            "issue_url": format!("{web}/repos/{owner}/{repo}/issues/{number}"),
        }),
    )
}

/// `GET /repos/{owner}/{repo}/issues/{number}/comments`: oldest first, `per_page`
/// (default 30, at most 100) and `page` (from 1) as GitHub pages them.
fn list_comments(st: &mut State, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
    if !st.repo(owner, repo).prs.contains_key(&number) {
        return not_found();
    }
    let per_page = call
        .q("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = call
        .q("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let ids: Vec<u64> = st
        .repo(owner, repo)
        .comment_ids
        .iter()
        .filter(|(_, (n, _, _))| *n == number)
        .map(|(id, _)| *id)
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let items = ids
        .into_iter()
        .map(|id| comment_json(st, owner, repo, id))
        .collect();
    reply(200, Value::Array(items))
}

/// `PATCH /repos/{owner}/{repo}/issues/comments/{id}` `{body}`.
fn update_comment(st: &mut State, owner: &str, repo: &str, id: u64, call: &Call) -> Reply {
    let Some((number, index, _)) = st.repo(owner, repo).comment_ids.get(&id).cloned() else {
        return not_found();
    };
    let body = call.s("body").unwrap_or_default();
    if let Some(pr) = st.repo(owner, repo).prs.get_mut(&number) {
        pr.comments[index] = body;
    }
    reply(200, comment_json(st, owner, repo, id))
}
