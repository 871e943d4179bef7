//! GitLab REST v4 merge requests as the loopback server answers them, and the description
//! its requests are checked against.
//!
//! GitLab's own description (`doc/api/openapi/openapi_v2.yaml` in its repository) is published
//! in no package registry the tests can fetch from, so the operations protosync calls are
//! transcribed here from GitLab's REST documentation (merge_requests.md, notes.md, users.md),
//! in the same Swagger 2 form and with the same operationIds, and checked by the same
//! validation as the published descriptions.

use std::sync::OnceLock;

use protosync::forge::ForgeKind;
use serde_json::{json, Value};

use super::openapi::Description;
use super::{draft_from_title, reply, Call, PrState, Reply, Route, State};

/// The operations the server implements.
#[rustfmt::skip]
pub(super) const ROUTES: &[Route] = &[
    Route { method: "GET", template: "/users", id: "getApiV4Users" },
    Route { method: "GET", template: "/projects/{id}/merge_requests", id: "getApiV4ProjectsIdMergeRequests" },
    Route { method: "POST", template: "/projects/{id}/merge_requests", id: "postApiV4ProjectsIdMergeRequests" },
    Route { method: "GET", template: "/projects/{id}/merge_requests/{merge_request_iid}", id: "getApiV4ProjectsIdMergeRequestsMergeRequestIid" },
    Route { method: "PUT", template: "/projects/{id}/merge_requests/{merge_request_iid}", id: "putApiV4ProjectsIdMergeRequestsMergeRequestIid" },
    Route { method: "POST", template: "/projects/{id}/merge_requests/{noteable_id}/notes", id: "postApiV4ProjectsIdMergeRequestsNoteableIdNotes" },
];

/// The GitLab operations protosync calls, as a Swagger 2 description (see the module doc).
pub(super) fn description() -> &'static Description {
    static DESCRIPTION: OnceLock<Description> = OnceLock::new();
    DESCRIPTION.get_or_init(|| {
        let s = json!({"type": "string"});
        let b = json!({"type": "boolean"});
        let i = json!({"type": "integer"});
        let ids = json!({"type": "array", "items": {"type": "integer"}});
        let path = |name: &str| json!({"in": "path", "name": name, "type": "string", "required": true});
        let iid = |name: &str| json!({"in": "path", "name": name, "type": "integer", "required": true});
        let query = |name: &str, ty: &str| json!({"in": "query", "name": name, "type": ty});
        let body = |name: &str| json!({"in": "body", "name": name, "required": true, "schema": {"$ref": format!("#/definitions/{name}")}});
        let answer = |status: &str, what: &str| json!({status: {"description": what, "schema": {"$ref": format!("#/definitions/{what}")}}});
        let list = |what: &str| json!({"200": {"description": what, "schema": {"type": "array", "items": {"$ref": format!("#/definitions/{what}")}}}});
        let doc = json!({
            "swagger": "2.0",
            "info": {"title": "GitLab API (the operations protosync calls)", "version": "v4"},
            "basePath": "/api/v4",
            "paths": {
                "/users": {"get": {
                    "operationId": "getApiV4Users",
                    "parameters": [query("username", "string"), query("search", "string"),
                        query("active", "boolean"), query("page", "integer"), query("per_page", "integer")],
                    "responses": list("API_Entities_UserBasic"),
                }},
                "/projects/{id}/merge_requests": {
                    "get": {
                        "operationId": "getApiV4ProjectsIdMergeRequests",
                        "parameters": [path("id"),
                            {"in": "query", "name": "state", "type": "string",
                             "enum": ["opened", "closed", "locked", "merged", "all"]},
                            query("source_branch", "string"), query("target_branch", "string"),
                            query("order_by", "string"), query("sort", "string"),
                            query("page", "integer"), query("per_page", "integer")],
                        "responses": list("API_Entities_MergeRequestBasic"),
                    },
                    "post": {
                        "operationId": "postApiV4ProjectsIdMergeRequests",
                        "parameters": [path("id"), body("postApiV4ProjectsIdMergeRequests")],
                        "responses": answer("201", "API_Entities_MergeRequest"),
                    },
                },
                "/projects/{id}/merge_requests/{merge_request_iid}": {
                    "get": {
                        "operationId": "getApiV4ProjectsIdMergeRequestsMergeRequestIid",
                        "parameters": [path("id"), iid("merge_request_iid")],
                        "responses": answer("200", "API_Entities_MergeRequest"),
                    },
                    "put": {
                        "operationId": "putApiV4ProjectsIdMergeRequestsMergeRequestIid",
                        "parameters": [path("id"), iid("merge_request_iid"),
                            body("putApiV4ProjectsIdMergeRequestsMergeRequestIid")],
                        "responses": answer("200", "API_Entities_MergeRequest"),
                    },
                },
                "/projects/{id}/merge_requests/{noteable_id}/notes": {"post": {
                    "operationId": "postApiV4ProjectsIdMergeRequestsNoteableIdNotes",
                    "parameters": [path("id"), iid("noteable_id"),
                        body("postApiV4ProjectsIdMergeRequestsNoteableIdNotes")],
                    "responses": answer("201", "API_Entities_Note"),
                }},
            },
            "definitions": {
                "postApiV4ProjectsIdMergeRequests": {
                    "type": "object",
                    "required": ["source_branch", "target_branch", "title"],
                    "properties": {
                        "source_branch": s, "target_branch": s, "title": s, "description": s,
                        "labels": s, "assignee_id": i, "assignee_ids": ids, "reviewer_ids": ids,
                        "milestone_id": i, "remove_source_branch": b, "squash": b,
                        "allow_collaboration": b, "target_project_id": i,
                    },
                },
                "putApiV4ProjectsIdMergeRequestsMergeRequestIid": {
                    "type": "object",
                    "properties": {
                        "title": s, "description": s, "target_branch": s,
                        "state_event": {"type": "string", "enum": ["close", "reopen"]},
                        "labels": s, "add_labels": s, "remove_labels": s,
                        "assignee_id": i, "assignee_ids": ids, "reviewer_ids": ids,
                        "milestone_id": i, "remove_source_branch": b, "squash": b,
                        "discussion_locked": b, "allow_collaboration": b,
                    },
                },
                "postApiV4ProjectsIdMergeRequestsNoteableIdNotes": {
                    "type": "object",
                    "required": ["body"],
                    "properties": {"body": s, "created_at": s, "internal": b},
                },
                "API_Entities_UserBasic": {
                    "type": "object",
                    "required": ["id", "username", "name", "state", "web_url"],
                    "properties": {"id": i, "username": s, "name": s, "state": s, "web_url": s},
                },
                "API_Entities_MergeRequestBasic": {
                    "type": "object",
                    "required": ["id", "iid", "project_id", "title", "state", "source_branch",
                        "target_branch", "source_project_id", "target_project_id", "author",
                        "labels", "draft", "web_url"],
                    "properties": {
                        "id": i, "iid": i, "project_id": i, "title": s,
                        "description": {"type": "string", "x-nullable": true},
                        "state": {"type": "string", "enum": ["opened", "closed", "locked", "merged"]},
                        "source_branch": s, "target_branch": s,
                        "source_project_id": i, "target_project_id": i,
                        "author": {"$ref": "#/definitions/API_Entities_UserBasic"},
                        "reviewers": {"type": "array", "items": {"$ref": "#/definitions/API_Entities_UserBasic"}},
                        "labels": {"type": "array", "items": s},
                        "draft": b, "work_in_progress": b, "user_notes_count": i, "web_url": s,
                        "references": {"type": "object", "properties": {"short": s, "full": s}},
                    },
                },
                "API_Entities_MergeRequest": {
                    "allOf": [{"$ref": "#/definitions/API_Entities_MergeRequestBasic"}],
                },
                "API_Entities_Note": {
                    "type": "object",
                    "required": ["id", "body", "author", "system", "noteable_type"],
                    "properties": {
                        "id": i, "type": {"type": "string", "x-nullable": true}, "body": s,
                        "author": {"$ref": "#/definitions/API_Entities_UserBasic"},
                        "system": b, "noteable_id": i, "noteable_type": s, "noteable_iid": i,
                    },
                },
            },
        });
        Description::new("gitlab", "GitLab REST v4 merge requests, notes, users (transcribed in tests/support/forge_server/gitlab.rs)".to_owned(), doc)
    })
}

/// What the description cannot say: a project is addressed by its URL-encoded path here, and
/// an update changes something.
pub(super) fn check(id: &str, call: &Call) -> Vec<String> {
    let mut errors = Vec::new();
    let project = call.p("id");
    if call.params.contains_key("id") && !project.contains('/') {
        errors.push(format!("project id {project:?} is not a URL-encoded path"));
    }
    if id == "putApiV4ProjectsIdMergeRequestsMergeRequestIid"
        && call
            .body
            .as_ref()
            .and_then(Value::as_object)
            .is_none_or(|o| o.is_empty())
    {
        errors.push("at least one parameter must be given".into());
    }
    errors
}

fn state_of(p: &PrState) -> &'static str {
    if p.state == "open" {
        "opened"
    } else {
        "closed"
    }
}

pub(super) fn handle(st: &mut State, id: &str, call: &Call) -> Reply {
    let project = call.p("id");
    let (owner, name) = project.rsplit_once('/').unwrap_or(("", ""));
    let (owner, name) = (owner.to_owned(), name.to_owned());
    let iid = call.n(if call.params.contains_key("noteable_id") {
        "noteable_id"
    } else {
        "merge_request_iid"
    });
    match id {
        "getApiV4Users" => {
            let name = call.q("username").unwrap_or("").to_owned();
            if name.is_empty() || !st.user_exists(&name) {
                return reply(200, json!([]));
            }
            reply(200, json!([user(st, &name)]))
        }
        "getApiV4ProjectsIdMergeRequests" => {
            let state = call.q("state").unwrap_or("all").to_owned();
            let source = call.q("source_branch").map(str::to_owned);
            let target = call.q("target_branch").map(str::to_owned);
            let numbers: Vec<u64> = st
                .repo(&owner, &name)
                .prs
                .values()
                .filter(|p| state == "all" || state_of(p) == state)
                .filter(|p| source.as_ref().is_none_or(|s| &p.head == s))
                .filter(|p| target.as_ref().is_none_or(|t| &p.base == t))
                .map(|p| p.number)
                .rev()
                .collect();
            let items = numbers
                .into_iter()
                .map(|n| merge_request(st, &owner, &name, n))
                .collect();
            reply(200, Value::Array(items))
        }
        "getApiV4ProjectsIdMergeRequestsMergeRequestIid" => {
            match st.repo(&owner, &name).prs.contains_key(&iid) {
                true => reply(200, merge_request(st, &owner, &name, iid)),
                false => reply(404, json!({"message": "404 Not found"})),
            }
        }
        "postApiV4ProjectsIdMergeRequests" => create(st, &owner, &name, call),
        "putApiV4ProjectsIdMergeRequestsMergeRequestIid" => update(st, &owner, &name, iid, call),
        "postApiV4ProjectsIdMergeRequestsNoteableIdNotes" => {
            let Some(pr) = st.repo(&owner, &name).prs.get_mut(&iid) else {
                return reply(404, json!({"message": "404 Not found"}));
            };
            let body = call.s("body").unwrap_or_default();
            pr.comments.push(body.clone());
            st.next_id += 1;
            let id = st.next_id;
            let author = user(st, "protosync-bot");
            reply(
                201,
                json!({"id": id, "type": null, "body": body, "author": author, "system": false, "noteable_id": iid, "noteable_type": "MergeRequest", "noteable_iid": iid}),
            )
        }
        other => unreachable!("no handler for {other}"),
    }
}

fn user(st: &mut State, name: &str) -> Value {
    let id = st.user_id(name);
    let web = st.web();
    json!({"id": id, "username": name, "name": name, "state": "active", "web_url": format!("{web}/{name}")})
}

fn merge_request(st: &mut State, owner: &str, name: &str, iid: u64) -> Value {
    let project_id = st.repo(owner, name).id;
    let pr = st.repo(owner, name).prs[&iid].clone();
    let web = st.web();
    let author = user(st, &pr.author);
    let reviewers: Vec<Value> = pr.reviewers.iter().map(|r| user(st, r)).collect();
    json!({
        "id": 200_000 + iid,
        "iid": iid,
        "project_id": project_id,
        "title": pr.title,
        "description": if pr.body.is_empty() { Value::Null } else { json!(pr.body) },
        "state": state_of(&pr),
        "source_branch": pr.head,
        "target_branch": pr.base,
        "source_project_id": project_id,
        "target_project_id": project_id,
        "author": author,
        "labels": pr.labels,
        "draft": pr.draft,
        "work_in_progress": pr.draft,
        "reviewers": reviewers,
        "user_notes_count": pr.comments.len(),
        "web_url": format!("{web}/{owner}/{name}/-/merge_requests/{iid}"),
        "references": {"short": format!("!{iid}"), "full": format!("{owner}/{name}!{iid}")},
    })
}

fn reviewers(st: &mut State, call: &Call) -> Result<Vec<String>, Reply> {
    let mut names = Vec::new();
    for id in call.ids("reviewer_ids") {
        match st.users.iter().find(|(_, v)| **v == id) {
            Some((n, _)) => names.push(n.clone()),
            None => {
                st.invalid
                    .push(format!("GitLab reviewer id {id} is no user's"));
                return Err(reply(
                    422,
                    json!({"message": format!("reviewer id {id} is not a user")}),
                ));
            }
        }
    }
    Ok(names)
}

fn create(st: &mut State, owner: &str, name: &str, call: &Call) -> Reply {
    let head = call.s("source_branch").unwrap_or_default();
    let base = call.s("target_branch").unwrap_or_default();
    let title = call.s("title").unwrap_or_default();
    if let Some(p) = st
        .repo(owner, name)
        .prs
        .values()
        .find(|p| p.state == "open" && p.head == head && p.base == base)
    {
        let msg = format!(
            "Another open merge request already exists for this source branch: !{}",
            p.number
        );
        return reply(409, json!({ "message": [msg] }));
    }
    if head == base {
        return reply(
            422,
            json!({"message": ["You can't use same project/branch for source and target"]}),
        );
    }
    let reviewers = match reviewers(st, call) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let labels: Vec<String> = call
        .s("labels")
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let draft = draft_from_title(ForgeKind::Gitlab, &title);
    let body = call.s("description").unwrap_or_default();
    let mut pr = PrState::open(head, base, title, body, "protosync-bot");
    pr.draft = draft;
    pr.labels = labels;
    pr.reviewers = reviewers;
    let iid = st.add_pr(owner, name, pr);
    reply(201, merge_request(st, owner, name, iid))
}

fn update(st: &mut State, owner: &str, name: &str, iid: u64, call: &Call) -> Reply {
    let Some(mut pr) = st.repo(owner, name).prs.get(&iid).cloned() else {
        return reply(404, json!({"message": "404 Not found"}));
    };
    pr.edit(ForgeKind::Gitlab, call);
    let split = |s: String| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if let Some(l) = call.s("labels") {
        pr.labels = split(l);
    }
    if let Some(l) = call.s("add_labels") {
        for l in split(l) {
            if !pr.labels.contains(&l) {
                pr.labels.push(l);
            }
        }
    }
    if call
        .body
        .as_ref()
        .is_some_and(|b| b.get("reviewer_ids").is_some())
    {
        match reviewers(st, call) {
            Ok(r) => pr.reviewers = r,
            Err(r) => return r,
        }
    }
    match call.s("state_event").as_deref() {
        Some("close") => pr.state = "closed".into(),
        Some("reopen") => pr.state = "open".into(),
        _ => {}
    }
    st.repo(owner, name).prs.insert(iid, pr);
    reply(200, merge_request(st, owner, name, iid))
}
