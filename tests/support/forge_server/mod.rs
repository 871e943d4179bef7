//! A loopback forge API server for tests: GitHub, GitLab or Gitea, with state. Its modules
//! mirror src/forge: `http` (HTTP/1.1 on a socket), `github`, `gitlab`, `gitea` (each forge's
//! operations and answers), `openapi` (the published API descriptions, and validation against
//! them).
//!
//! Use from a test file with
//! `#[path = "support/forge_server/mod.rs"] mod forge_server;`.
//!
//! It is a real HTTP/1.1 server on 127.0.0.1 (one thread per connection, `Connection: close`)
//! that keeps repositories (created on first use) with pull/merge requests by number: head,
//! base, title, body, state, labels, reviewers, comments. Every request must carry the token in
//! the forge's auth header (401 otherwise). Every request is checked against the forge's whole
//! published API description (GitHub: npm `@octokit/openapi`; Gitea: Forgejo's swagger from the
//! crate `forgejo-api`; GitLab, which publishes none in a package registry: the operations
//! protosync calls, transcribed in `gitlab.rs`): the method and path are an operation of it,
//! path and query parameters match their schemas (no unknown query parameter), the JSON body
//! matches the request body schema (no property it does not name). Every answer the server
//! sends is checked against the response schema too.
//!
//! An invalid request is answered 422 (404 when it names no operation, 501 when it names one
//! the server does not implement) with a message naming what was wrong, and recorded in
//! [`ForgeServer::invalid`] (tests assert it is empty). Failures can be injected
//! ([`ForgeServer::fail_next`]), and every request is recorded ([`ForgeServer::requests`]).
//! The server stops when dropped (and by itself after five minutes).

#![allow(dead_code)]

mod gitea;
mod github;
mod gitlab;
mod http;
pub mod openapi;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use protosync::forge::ForgeKind;
use serde_json::{json, Value};

use http::Request;
use openapi::Description;

/// The server stops by itself after this long, even if the test forgets it.
const SERVER_LIFETIME: Duration = Duration::from_secs(300);
/// Most connections served at once; more get a 503.
const MAX_CONNECTIONS: usize = 32;

/// A pull request (merge request) as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrState {
    pub number: u64,
    pub head: String,
    pub base: String,
    /// As the forge stores it: GitLab and Gitea keep the draft marker ("Draft: ", "WIP: ") in it.
    pub title: String,
    pub body: String,
    /// "open" or "closed".
    pub state: String,
    pub draft: bool,
    pub labels: Vec<String>,
    /// User logins.
    pub reviewers: Vec<String>,
    /// Team slugs.
    pub team_reviewers: Vec<String>,
    /// Comment bodies, in order.
    pub comments: Vec<String>,
    pub author: String,
}

impl PrState {
    /// An open one with no labels, reviewers or comments (its number is given when it is added).
    fn open(head: String, base: String, title: String, body: String, author: &str) -> PrState {
        PrState {
            number: 0,
            head,
            base,
            title,
            body,
            state: "open".to_owned(),
            draft: false,
            labels: Vec::new(),
            reviewers: Vec::new(),
            team_reviewers: Vec::new(),
            comments: Vec::new(),
            author: author.to_owned(),
        }
    }
}

impl PrState {
    /// The fields an edit carries: the title (which marks a draft on GitLab and Gitea), the
    /// body and the base, under the names `kind` gives the last two.
    fn edit(&mut self, kind: ForgeKind, call: &Call) {
        let (body, base) = match kind {
            ForgeKind::Gitlab => ("description", "target_branch"),
            _ => ("body", "base"),
        };
        if let Some(t) = call.s("title") {
            if kind != ForgeKind::Github {
                self.draft = draft_from_title(kind, &t);
            }
            self.title = t;
        }
        if let Some(b) = call.s(body) {
            self.body = b;
        }
        if let Some(b) = call.s(base) {
            self.base = b;
        }
    }
}

/// One request as received, and the status it was answered with.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query as sent (still percent-encoded).
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub status: u16,
}

impl Recorded {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `METHOD /path` (no query).
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path())
    }
}

struct Injected {
    status: u16,
    message: String,
    headers: Vec<(String, String)>,
}

#[derive(Default)]
struct Repo {
    id: u64,
    prs: BTreeMap<u64, PrState>,
    /// Issue/PR numbers (GitLab: MR iids) are handed out from here.
    next_number: u64,
    /// Repository labels: name → id (Gitea needs ids; GitHub creates them on use).
    labels: BTreeMap<String, u64>,
    /// GitHub issue comments by id: (issue/PR number, index in that PR's `comments`, author).
    comment_ids: BTreeMap<u64, (u64, usize, String)>,
}

struct State {
    kind: ForgeKind,
    token: String,
    port: u16,
    repos: BTreeMap<(String, String), Repo>,
    requests: Vec<Recorded>,
    invalid: Vec<String>,
    inject: VecDeque<Injected>,
    users: BTreeMap<String, u64>,
    missing_users: BTreeSet<String>,
    next_id: u64,
}

/// What a handler answers.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body,
    }
}

/// One operation a forge module implements: method, path template (after the API prefix, as
/// the description writes it) and the description's operationId.
struct Route {
    method: &'static str,
    template: &'static str,
    id: &'static str,
}

/// What an operation's handler gets.
struct Call<'a> {
    method: &'a str,
    /// Decoded path segments after the API prefix.
    segs: Vec<String>,
    /// The path parameters of the route's template.
    params: BTreeMap<String, String>,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Call<'_> {
    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A path parameter.
    fn p(&self, name: &str) -> String {
        self.params.get(name).cloned().unwrap_or_default()
    }

    /// A path parameter that is a number (0 when it is not: the description refused it then).
    fn n(&self, name: &str) -> u64 {
        self.params
            .get(name)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    fn s(&self, key: &str) -> Option<String> {
        self.body
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn has(&self, key: &str) -> bool {
        self.body.as_ref().is_some_and(|b| b.get(key).is_some())
    }

    fn strings(&self, key: &str) -> Vec<String> {
        self.body
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) => {
                            o.get("name").and_then(Value::as_str).map(str::to_owned)
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn ids(&self, key: &str) -> Vec<u64> {
        self.body
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    }
}

pub struct ForgeServer {
    kind: ForgeKind,
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl ForgeServer {
    /// Starts a `kind` forge on 127.0.0.1 accepting `token`.
    pub fn start(kind: ForgeKind, token: &str) -> ForgeServer {
        // Loaded before the first request (and a missing one reported here, under CI a panic
        // in the test's own thread).
        description(kind);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            kind,
            token: token.to_owned(),
            port,
            repos: BTreeMap::new(),
            requests: Vec::new(),
            invalid: Vec::new(),
            inject: VecDeque::new(),
            users: BTreeMap::new(),
            missing_users: BTreeSet::new(),
            next_id: 1000,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let active = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (state, stop) = (state.clone(), stop.clone());
            thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::SeqCst) && started.elapsed() < SERVER_LIFETIME {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                                let _ = stream.write_all(
                                    b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                                );
                                continue;
                            }
                            active.fetch_add(1, Ordering::SeqCst);
                            let (state, active) = (state.clone(), active.clone());
                            thread::spawn(move || {
                                let _ = http::serve(stream, &|req| {
                                    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                                    st.handle(req)
                                });
                                active.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(2))
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        ForgeServer {
            kind,
            port,
            state,
            stop,
            accept: Some(accept),
        }
    }

    pub fn kind(&self) -> ForgeKind {
        self.kind
    }

    /// The API base URL to give the client: `http://127.0.0.1:PORT` for GitHub, with
    /// `/api/v4` for GitLab and `/api/v1` for Gitea.
    pub fn url(&self) -> String {
        format!("{}{}", self.web_url(), api_prefix(self.kind))
    }

    /// Where the web pages (`html_url`, `web_url`) point.
    pub fn web_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `f` reads from `owner/repo` (the default when the server has not seen it).
    fn read_repo<T: Default>(&self, owner: &str, repo: &str, f: impl Fn(&Repo) -> T) -> T {
        let st = self.lock();
        st.repos
            .get(&(owner.to_owned(), repo.to_owned()))
            .map(f)
            .unwrap_or_default()
    }

    /// The pull requests of `owner/repo`, by number.
    pub fn prs(&self, owner: &str, repo: &str) -> Vec<PrState> {
        self.read_repo(owner, repo, |r| r.prs.values().cloned().collect())
    }

    /// The open pull requests of `owner/repo`.
    pub fn open_prs(&self, owner: &str, repo: &str) -> Vec<PrState> {
        self.prs(owner, repo)
            .into_iter()
            .filter(|p| p.state == "open")
            .collect()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// What was wrong with each invalid request (and with any answer of the server's own that
    /// did not match the response schema).
    pub fn invalid(&self) -> Vec<String> {
        self.lock().invalid.clone()
    }

    /// Panics listing the invalid requests, if any.
    pub fn assert_no_invalid_requests(&self) {
        let invalid = self.invalid();
        assert!(
            invalid.is_empty(),
            "invalid requests:\n{}",
            invalid.join("\n")
        );
    }

    /// The next `n` requests are answered `status` (before authentication is checked): 429
    /// and 403 come with `Retry-After: 0` (403 as GitHub's secondary rate limit), 5xx with a
    /// server error message, anything else with "injected failure".
    pub fn fail_next(&self, n: usize, status: u16) {
        let (message, headers): (&str, &[(&str, &str)]) = match status {
            429 => ("API rate limit exceeded", &[("Retry-After", "0")]),
            403 => (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                &[("Retry-After", "0")],
            ),
            500..=599 => ("Server Error", &[]),
            _ => ("injected failure", &[]),
        };
        self.fail_next_with(n, status, message, headers);
    }

    /// The next `n` requests are answered `status` with the forge's error body carrying
    /// `message`, and `headers`.
    pub fn fail_next_with(&self, n: usize, status: u16, message: &str, headers: &[(&str, &str)]) {
        let mut st = self.lock();
        for _ in 0..n {
            st.inject.push_back(Injected {
                status,
                message: message.to_owned(),
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            });
        }
    }

    /// `name` is not a user of the forge: reviewer requests and GitLab user look-ups fail.
    pub fn missing_user(&self, name: &str) {
        self.lock().missing_users.insert(name.to_ascii_lowercase());
    }

    /// Opens a pull request as someone else would (not through the API): returns its number.
    pub fn open_pr(
        &self,
        owner: &str,
        repo: &str,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> u64 {
        let mut st = self.lock();
        let mut pr = PrState::open(
            head.to_owned(),
            base.to_owned(),
            title.to_owned(),
            body.to_owned(),
            "someone",
        );
        pr.draft = draft_from_title(st.kind, title);
        st.add_pr(owner, repo, pr)
    }

    /// Posts a comment on pull request `number` as `author` would (not through the API; GitHub
    /// servers give it an id that the comment API lists): returns the id.
    pub fn add_comment(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        author: &str,
        body: &str,
    ) -> u64 {
        let mut st = self.lock();
        st.next_id += 1;
        let id = st.next_id;
        let r = st.repo(owner, repo);
        let pr = r
            .prs
            .get_mut(&number)
            .expect("add_comment: no such pull request");
        pr.comments.push(body.to_owned());
        let index = pr.comments.len() - 1;
        r.comment_ids.insert(id, (number, index, author.to_owned()));
        id
    }

    /// The repository's labels (Gitea: created by the API; GitHub: created on use).
    pub fn repo_labels(&self, owner: &str, repo: &str) -> Vec<String> {
        self.read_repo(owner, repo, |r| r.labels.keys().cloned().collect())
    }
}

impl Drop for ForgeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn api_prefix(kind: ForgeKind) -> &'static str {
    match kind {
        ForgeKind::Github => "",
        ForgeKind::Gitlab => "/api/v4",
        ForgeKind::Gitea => "/api/v1",
    }
}

/// The description `kind`'s requests are checked against (`None`: not downloaded, outside CI).
pub fn description(kind: ForgeKind) -> Option<&'static Description> {
    match kind {
        ForgeKind::Github => openapi::published(openapi::Published::Github),
        ForgeKind::Gitlab => Some(gitlab::description()),
        ForgeKind::Gitea => openapi::published(openapi::Published::Gitea),
    }
}

fn routes(kind: ForgeKind) -> &'static [Route] {
    match kind {
        ForgeKind::Github => github::ROUTES,
        ForgeKind::Gitlab => gitlab::ROUTES,
        ForgeKind::Gitea => gitea::ROUTES,
    }
}

fn draft_from_title(kind: ForgeKind, title: &str) -> bool {
    let t = title.to_ascii_lowercase();
    match kind {
        ForgeKind::Github => false,
        ForgeKind::Gitlab => ["draft:", "[draft]", "(draft)"]
            .iter()
            .any(|p| t.starts_with(p)),
        ForgeKind::Gitea => ["wip:", "[wip]"].iter().any(|p| t.starts_with(p)),
    }
}

impl State {
    fn repo(&mut self, owner: &str, name: &str) -> &mut Repo {
        let key = (owner.to_owned(), name.to_owned());
        if !self.repos.contains_key(&key) {
            self.next_id += 1;
            let id = self.next_id;
            self.repos.insert(
                key.clone(),
                Repo {
                    id,
                    ..Repo::default()
                },
            );
        }
        self.repos.get_mut(&key).unwrap()
    }

    /// Adds `pr` to `owner/name` under the next number, which it returns.
    fn add_pr(&mut self, owner: &str, name: &str, mut pr: PrState) -> u64 {
        let r = self.repo(owner, name);
        r.next_number += 1;
        pr.number = r.next_number;
        r.prs.insert(pr.number, pr);
        r.next_number
    }

    /// The open PR of `owner/name` from `head` into `base`, if any.
    fn open_pr_of(&mut self, owner: &str, name: &str, head: &str, base: &str) -> Option<u64> {
        self.repo(owner, name)
            .prs
            .values()
            .find(|p| p.state == "open" && p.head == head && p.base == base)
            .map(|p| p.number)
    }

    fn user_id(&mut self, login: &str) -> u64 {
        let key = login.to_ascii_lowercase();
        if let Some(id) = self.users.get(&key) {
            return *id;
        }
        self.next_id += 1;
        self.users.insert(key, self.next_id);
        self.next_id
    }

    fn user_exists(&self, login: &str) -> bool {
        !self.missing_users.contains(&login.to_ascii_lowercase())
    }

    fn label_id(&mut self, owner: &str, repo: &str, name: &str) -> u64 {
        if let Some((_, id)) = self
            .repo(owner, repo)
            .labels
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return *id;
        }
        self.next_id += 1;
        let id = self.next_id;
        self.repo(owner, repo).labels.insert(name.to_owned(), id);
        id
    }

    fn web(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn error_body(&self, message: &str) -> Value {
        match self.kind {
            ForgeKind::Github => json!({
                "message": message,
                "documentation_url": "https://docs.github.com/rest",
            }),
            ForgeKind::Gitlab => json!({ "message": message }),
            ForgeKind::Gitea => {
                json!({ "message": message, "url": format!("{}/api/swagger", self.web()) })
            }
        }
    }

    fn handle(&mut self, req: &Request) -> Reply {
        self.requests.push(Recorded {
            method: req.method.clone(),
            target: req.target.clone(),
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            status: 0,
        });
        let reply = self.answer(req);
        if let Some(last) = self.requests.last_mut() {
            last.status = reply.status;
        }
        reply
    }

    fn authorized(&self, req: &Request) -> bool {
        match self.kind {
            ForgeKind::Github => {
                req.header("authorization") == Some(&format!("Bearer {}", self.token))
            }
            ForgeKind::Gitlab => req.header("private-token") == Some(self.token.as_str()),
            ForgeKind::Gitea => {
                req.header("authorization") == Some(&format!("token {}", self.token))
            }
        }
    }

    fn answer(&mut self, req: &Request) -> Reply {
        if let Some(inj) = self.inject.pop_front() {
            let mut r = reply(inj.status, self.error_body(&inj.message));
            r.headers = inj.headers;
            return r;
        }
        if !self.authorized(req) {
            let message = match self.kind {
                ForgeKind::Github => "Bad credentials",
                ForgeKind::Gitlab => "401 Unauthorized",
                ForgeKind::Gitea => "token is required",
            };
            return reply(401, self.error_body(message));
        }
        let (path, query) = req
            .target
            .split_once('?')
            .unwrap_or((req.target.as_str(), ""));
        let prefix = api_prefix(self.kind);
        let Some(rest) = path.strip_prefix(prefix).filter(|r| r.starts_with('/')) else {
            return self.invalid_request(
                req,
                vec![format!("path is not under the API prefix {prefix:?}")],
                404,
            );
        };
        let segs: Vec<String> = rest.split('/').skip(1).map(http::decode_segment).collect();
        let body = if req.body.is_empty() {
            None
        } else {
            match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) => Some(v),
                Err(e) => {
                    return self.invalid_request(req, vec![format!("body is not JSON: {e}")], 400)
                }
            }
        };
        if body.is_some()
            && !req
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/json"))
        {
            return self.invalid_request(
                req,
                vec!["JSON body without Content-Type: application/json".into()],
                415,
            );
        }
        let description = description(self.kind);
        let Some((route, params)) = self.route(&req.method, &segs, description) else {
            return self.unrouted(req, &segs, description);
        };
        let call = Call {
            method: &req.method,
            segs,
            params,
            query: http::parse_query(query),
            body,
        };
        let mut errors = match self.kind {
            ForgeKind::Github => github::check_headers(req),
            _ => Vec::new(),
        };
        let op = description.and_then(|d| d.operation(route.method, route.template));
        if let (Some(d), Some(op)) = (description, op) {
            errors.extend(d.check_request(op, &call.params, &call.query, call.body.as_ref()));
        } else if let Some(d) = description {
            errors.push(format!(
                "{} {} is not an operation of {}",
                route.method, route.template, d.source
            ));
        }
        errors.extend(match self.kind {
            ForgeKind::Github => Vec::new(),
            ForgeKind::Gitlab => gitlab::check(route.id, &call),
            ForgeKind::Gitea => gitea::check(route.id, &call),
        });
        if !errors.is_empty() {
            return self.invalid_request(req, errors, 422);
        }
        let reply = match self.kind {
            ForgeKind::Github => github::handle(self, route.id, &call),
            ForgeKind::Gitlab => gitlab::handle(self, route.id, &call),
            ForgeKind::Gitea => gitea::handle(self, route.id, &call),
        };
        // The answer must match the description too.
        if let (Some(d), Some(op)) = (description, op) {
            let errs = d.check_response(op, reply.status, &reply.body);
            if !errs.is_empty() {
                self.invalid.push(format!(
                    "server answer {} to {} {}: {}",
                    reply.status,
                    req.method,
                    req.target,
                    errs.join("; ")
                ));
            }
        }
        reply
    }

    /// The route of the server's forge for `method` and `segs`: the operation of the
    /// description they name (the template with the most literal segments: `pulls/1/files`
    /// is not `pulls/{base}/{head}`) if the server implements it; without a description, the
    /// server's own route with the most literal segments.
    fn route(
        &self,
        method: &str,
        segs: &[String],
        description: Option<&Description>,
    ) -> Option<(&'static Route, BTreeMap<String, String>)> {
        let mut candidates = routes(self.kind).iter().filter(|r| r.method == method);
        let route = match description {
            Some(d) => match d.find(method, segs)? {
                (template, Some(_)) => candidates.find(|r| r.template == template)?,
                (_, None) => return None,
            },
            None => {
                candidates
                    .filter_map(|r| Some((openapi::template_score(r.template, segs)?, r)))
                    .max_by_key(|(score, _)| *score)?
                    .1
            }
        };
        Some((route, openapi::match_template(route.template, segs)?))
    }

    /// Answers a request no route of the server takes, saying whether the description has it.
    fn unrouted(
        &mut self,
        req: &Request,
        segs: &[String],
        description: Option<&Description>,
    ) -> Reply {
        let (why, status) = match description.and_then(|d| Some((d, d.find(&req.method, segs)?))) {
            Some((d, (template, Some(id)))) => (
                format!(
                    "{} {template} ({id}) is an operation of {} that the loopback server does \
                     not implement",
                    req.method, d.source
                ),
                501,
            ),
            Some((d, (template, None))) => (
                format!(
                    "{} is not an operation of the path {template} in {}",
                    req.method, d.source
                ),
                405,
            ),
            None => match description {
                Some(d) => (format!("no such path in {}", d.source), 404),
                None => (format!("no such {} route", self.kind.display_name()), 404),
            },
        };
        self.invalid_request(req, vec![why], status)
    }

    /// Records an invalid request and answers it.
    fn invalid_request(&mut self, req: &Request, errors: Vec<String>, status: u16) -> Reply {
        let path = req.target.split('?').next().unwrap_or("");
        let line = format!("{} {}: {}", req.method, path, errors.join("; "));
        self.invalid.push(line.clone());
        let body = match self.kind {
            ForgeKind::Github => json!({
                "message": format!("Invalid request: {}", errors.join("; ")),
                "documentation_url": "https://docs.github.com/rest",
                "errors": errors.iter().map(|e| json!({"resource": "Request", "code": "invalid", "message": e})).collect::<Vec<_>>(),
            }),
            _ => self.error_body(&format!("Invalid request: {}", errors.join("; "))),
        };
        reply(status, body)
    }
}

/// Problems with the server itself (a test calls this): every route is an operation of the
/// forge's description, under the same operationId, and the minimal GitHub examples the
/// answers are built from match the description. Empty when a description is not there.
pub fn self_check() -> Vec<String> {
    let mut errors = Vec::new();
    for kind in [ForgeKind::Github, ForgeKind::Gitlab, ForgeKind::Gitea] {
        let Some(d) = description(kind) else {
            continue;
        };
        for r in routes(kind) {
            match d.operation(r.method, r.template) {
                None => errors.push(format!(
                    "{} route {} {} is not in {}",
                    kind.display_name(),
                    r.method,
                    r.template,
                    d.source
                )),
                Some(op) if op["operationId"] != r.id => errors.push(format!(
                    "{} route {} {} is {} in {}, not {}",
                    kind.display_name(),
                    r.method,
                    r.template,
                    op["operationId"],
                    d.source,
                    r.id
                )),
                Some(_) => {}
            }
        }
    }
    errors.extend(github::self_check());
    errors.extend(http::self_check());
    errors
}
