//! A loopback forge API server for tests: GitHub, GitLab or Gitea, with state.
//!
//! Use from a test file with
//! `#[path = "support/forge_server.rs"] mod forge_server;`.
//!
//! It is a real HTTP/1.1 server on 127.0.0.1 (one thread per connection, `Connection: close`)
//! that keeps repositories (created on first use) with pull/merge requests by number: head,
//! base, title, body, state, labels, reviewers, comments. Every request must carry the token in
//! the forge's auth header (401 otherwise). Requests are checked:
//!
//! * GitHub: against GitHub's published REST description, the subset protosync uses
//!   (fixtures/forge/github-openapi-subset.json, from npm `@octokit/openapi`): the path and
//!   method are one of its operations, required path/query parameters are present and typed,
//!   no unknown query parameter, the JSON body matches the request body schema (unknown
//!   properties refused), `Accept` and `X-GitHub-Api-Version` are sent. Answers are generated
//!   from the response schemas (every required field present) and checked against them too.
//! * GitLab and Gitea: against small schemas transcribed here from their API documentation
//!   (they publish no npm package to take them from).
//!
//! An invalid request is answered 422 with a message naming what was wrong and recorded in
//! [`ForgeServer::invalid`] (a test asserts it is empty). Failures can be injected
//! ([`ForgeServer::fail_next`]), and every request is recorded ([`ForgeServer::requests`]).
//! The server stops when dropped (and by itself after five minutes).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use protosync::forge::ForgeKind;
use serde_json::{json, Map, Value};

/// The server stops by itself after this long, even if the test forgets it.
const SERVER_LIFETIME: Duration = Duration::from_secs(300);
/// Socket reads and writes give up after this long.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Larger request bodies are refused.
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Most connections served at once; more get a 503.
const MAX_CONNECTIONS: usize = 32;

/// GitHub's REST description, the operations protosync uses (see the module doc).
pub fn github_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/forge/github-openapi-subset.json"
        )))
        .expect("fixtures/forge/github-openapi-subset.json is JSON")
    })
}

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

/// A parsed request.
struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
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
                                let _ = serve(stream, &state);
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

    /// The pull requests of `owner/repo`, by number.
    pub fn prs(&self, owner: &str, repo: &str) -> Vec<PrState> {
        let st = self.lock();
        st.repos
            .get(&(owner.to_owned(), repo.to_owned()))
            .map(|r| r.prs.values().cloned().collect())
            .unwrap_or_default()
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
        let kind = st.kind;
        let r = st.repo(owner, repo);
        r.next_number += 1;
        let number = r.next_number;
        r.prs.insert(
            number,
            PrState {
                number,
                head: head.to_owned(),
                base: base.to_owned(),
                title: title.to_owned(),
                body: body.to_owned(),
                state: "open".to_owned(),
                draft: draft_from_title(kind, title),
                labels: Vec::new(),
                reviewers: Vec::new(),
                team_reviewers: Vec::new(),
                comments: Vec::new(),
                author: "someone".to_owned(),
            },
        );
        number
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
        let st = self.lock();
        st.repos
            .get(&(owner.to_owned(), repo.to_owned()))
            .map(|r| r.labels.keys().cloned().collect())
            .unwrap_or_default()
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

// ---------------------------------------------------------------------------------------------
// HTTP/1.1

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let request = match read_request(&mut reader) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(()),
        Err(e) => {
            let mut out = stream;
            let body = json!({ "message": format!("bad request: {e}") }).to_string();
            write!(
                out,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            return Ok(());
        }
    };
    let reply = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        st.handle(&request)
    };
    let body = if reply.body.is_null() && reply.status == 204 {
        String::new()
    } else {
        reply.body.to_string()
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reason(reply.status),
        body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = stream;
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    r.take(16 * 1024).read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn read_request(r: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    let line = read_line(r)?;
    if line.is_empty() {
        return Ok(None);
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad("not HTTP/1.x"));
    }
    let mut headers = Vec::new();
    loop {
        let h = read_line(r)?;
        if h.is_empty() {
            break;
        }
        if headers.len() > 100 {
            return Err(bad("too many headers"));
        }
        let (k, v) = h.split_once(':').ok_or_else(|| bad("malformed header"))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let size = read_line(r)?;
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if body.len() + size > MAX_BODY {
                return Err(bad("body too large"));
            }
            if size == 0 {
                while !read_line(r)?.is_empty() {}
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..])?;
            read_line(r)?;
        }
    } else if let Some(len) = get("content-length") {
        let len: usize = len.parse().map_err(|_| bad("bad content-length"))?;
        if len > MAX_BODY {
            return Err(bad("body too large"));
        }
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    }
    Ok(Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                match (
                    bytes.get(i + 1).and_then(|b| hex(*b)),
                    bytes.get(i + 2).and_then(|b| hex(*b)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dispatch

/// What a route handler gets.
struct Call<'a> {
    method: &'a str,
    /// Decoded path segments after the API prefix.
    segs: Vec<String>,
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

    fn s(&self, key: &str) -> Option<String> {
        self.body
            .as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
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

impl State {
    fn repo(&mut self, owner: &str, name: &str) -> &mut Repo {
        if !self
            .repos
            .contains_key(&(owner.to_owned(), name.to_owned()))
        {
            self.next_id += 1;
            let id = self.next_id;
            self.repos.insert(
                (owner.to_owned(), name.to_owned()),
                Repo {
                    id,
                    ..Repo::default()
                },
            );
        }
        self.repos
            .get_mut(&(owner.to_owned(), name.to_owned()))
            .unwrap()
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

    fn answer(&mut self, req: &Request) -> Reply {
        if let Some(inj) = self.inject.pop_front() {
            let mut r = reply(inj.status, self.error_body(&inj.message));
            r.headers = inj.headers;
            return r;
        }
        let authorized = match self.kind {
            ForgeKind::Github => {
                req.header("authorization") == Some(&format!("Bearer {}", self.token))
            }
            ForgeKind::Gitlab => req.header("private-token") == Some(self.token.as_str()),
            ForgeKind::Gitea => {
                req.header("authorization") == Some(&format!("token {}", self.token))
            }
        };
        if !authorized {
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
        let segs: Vec<String> = rest
            .split('/')
            .skip(1)
            .map(|s| percent_decode(s, false))
            .collect();
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
        let call = Call {
            method: &req.method,
            segs,
            query: parse_query(query),
            body,
        };
        match self.kind {
            ForgeKind::Github => self.github(req, &call),
            ForgeKind::Gitlab => self.gitlab(req, &call),
            ForgeKind::Gitea => self.gitea(req, &call),
        }
    }

    /// Records an invalid request and answers it (422 unless the request could not even be
    /// routed).
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

    // -----------------------------------------------------------------------------------------
    // GitHub

    fn github(&mut self, req: &Request, call: &Call) -> Reply {
        let spec = github_spec();
        let method = call.method.to_ascii_lowercase();
        // Find the operation.
        let mut matched: Option<(&Value, BTreeMap<String, String>)> = None;
        let mut path_known = false;
        for (template, ops) in spec["paths"].as_object().unwrap() {
            let Some(bound) = match_template(template, &call.segs) else {
                continue;
            };
            path_known = true;
            if let Some(op) = ops.get(&method) {
                matched = Some((op, bound));
                break;
            }
        }
        let Some((op, bound)) = matched else {
            let why = if path_known {
                format!(
                    "{} is not an operation of this path in the GitHub REST description",
                    req.method
                )
            } else {
                "no such path in the GitHub REST description (subset used by protosync)".to_owned()
            };
            return self.invalid_request(req, vec![why], 404);
        };
        let mut errors = Vec::new();
        // Headers protosync promises to send.
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
        // Parameters.
        let mut known_query = BTreeSet::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(spec, p);
            let name = p["name"].as_str().unwrap_or("");
            let required = p["required"].as_bool().unwrap_or(false);
            let value = match p["in"].as_str() {
                Some("path") => bound.get(name).cloned(),
                Some("query") => {
                    known_query.insert(name.to_owned());
                    call.q(name).map(str::to_owned)
                }
                _ => continue,
            };
            match value {
                None if required => errors.push(format!("missing required parameter {name:?}")),
                None => {}
                Some(v) => {
                    let typed = param_value(&p["schema"], &v);
                    validate(
                        spec,
                        &p["schema"],
                        &typed,
                        &format!("parameter {name}"),
                        true,
                        &mut errors,
                    );
                }
            }
        }
        for (k, _) in &call.query {
            if !known_query.contains(k) {
                errors.push(format!("unknown query parameter {k:?}"));
            }
        }
        // Body.
        match (&op.get("requestBody"), &call.body) {
            (Some(rb), None) => {
                if rb["required"].as_bool().unwrap_or(false) {
                    errors.push("missing required JSON body".to_owned());
                }
            }
            (Some(rb), Some(body)) => {
                let rb = resolve(spec, rb);
                match rb.pointer("/content/application~1json/schema") {
                    Some(schema) => validate(spec, schema, body, "body", true, &mut errors),
                    None => errors.push("operation takes no JSON body".to_owned()),
                }
            }
            (None, Some(_)) => errors.push("operation takes no body".to_owned()),
            (None, None) => {}
        }
        if !errors.is_empty() {
            return self.invalid_request(req, errors, 422);
        }
        let owner = bound.get("owner").cloned().unwrap_or_default();
        let repo = bound.get("repo").cloned().unwrap_or_default();
        let number = bound
            .get("pull_number")
            .or_else(|| bound.get("issue_number"))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        let op_id = op["operationId"].as_str().unwrap_or("");
        let reply = match op_id {
            "pulls/list" => self.gh_list(&owner, &repo, call),
            "pulls/create" => self.gh_create(&owner, &repo, call),
            "pulls/update" => self.gh_update(&owner, &repo, number, call),
            "issues/add-labels" => self.gh_add_labels(&owner, &repo, number, call),
            "pulls/request-reviewers" => self.gh_request_reviewers(&owner, &repo, number, call),
            "issues/create-comment" => self.gh_comment(&owner, &repo, number, call),
            "issues/list-comments" => self.gh_list_comments(&owner, &repo, number, call),
            "issues/update-comment" => {
                let id = bound
                    .get("comment_id")
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
                self.gh_update_comment(&owner, &repo, id, call)
            }
            other => reply(
                500,
                self.error_body(&format!("operation {other} not implemented")),
            ),
        };
        // The answer must match the description too.
        if let Some(schema) = response_schema(spec, op, reply.status) {
            let mut errs = Vec::new();
            validate(spec, schema, &reply.body, "answer", false, &mut errs);
            if !errs.is_empty() {
                self.invalid.push(format!(
                    "server answer to {} {}: {}",
                    req.method,
                    req.target,
                    errs.join("; ")
                ));
            }
        }
        reply
    }

    fn gh_user(&mut self, login: &str) -> Value {
        let id = self.user_id(login);
        let web = self.web();
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

    fn gh_repo(&mut self, owner: &str, name: &str) -> Value {
        let id = self.repo(owner, name).id;
        let web = self.web();
        let owner_json = self.gh_user(owner);
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

    fn gh_label(&mut self, owner: &str, repo: &str, name: &str) -> Value {
        let id = self.label_id(owner, repo, name);
        let web = self.web();
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
    fn gh_pr(&mut self, owner: &str, repo: &str, number: u64, schema: &str) -> Value {
        let pr = self.repo(owner, repo).prs[&number].clone();
        let web = self.web();
        let repo_json = self.gh_repo(owner, repo);
        let author = self.gh_user(&pr.author);
        let owner_json = self.gh_user(owner);
        let labels: Vec<Value> = pr
            .labels
            .iter()
            .map(|l| self.gh_label(owner, repo, l))
            .collect();
        let reviewers: Vec<Value> = pr.reviewers.iter().map(|r| self.gh_user(r)).collect();
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

    fn gh_validation_failed(&self, message: &str) -> Reply {
        reply(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "PullRequest", "code": "custom", "message": message}],
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
            }),
        )
    }

    fn gh_not_found(&self) -> Reply {
        reply(
            404,
            json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
        )
    }

    fn gh_list(&mut self, owner: &str, repo: &str, call: &Call) -> Reply {
        let state = call.q("state").unwrap_or("open").to_owned();
        let head = call.q("head").map(|h| match h.split_once(':') {
            Some((o, b)) => (Some(o.to_owned()), b.to_owned()),
            None => (None, h.to_owned()),
        });
        let base = call.q("base").map(str::to_owned);
        let numbers: Vec<u64> = self
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
            .map(|n| self.gh_pr(owner, repo, n, "pull-request-simple"))
            .collect();
        reply(200, Value::Array(items))
    }

    fn gh_create(&mut self, owner: &str, repo: &str, call: &Call) -> Reply {
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
            return self.gh_validation_failed(&format!("No commits between {base} and {head}"));
        }
        if self
            .repo(owner, repo)
            .prs
            .values()
            .any(|p| p.state == "open" && p.head == head && p.base == base)
        {
            return self.gh_validation_failed(&format!(
                "A pull request already exists for {owner}:{head}."
            ));
        }
        let draft = call
            .body
            .as_ref()
            .and_then(|b| b["draft"].as_bool())
            .unwrap_or(false);
        let r = self.repo(owner, repo);
        r.next_number += 1;
        let number = r.next_number;
        r.prs.insert(
            number,
            PrState {
                number,
                head,
                base,
                title,
                body: call.s("body").unwrap_or_default(),
                state: "open".into(),
                draft,
                labels: Vec::new(),
                reviewers: Vec::new(),
                team_reviewers: Vec::new(),
                comments: Vec::new(),
                author: "protosync-bot".into(),
            },
        );
        let mut out = reply(201, self.gh_pr(owner, repo, number, "pull-request"));
        out.headers.push((
            "Location".into(),
            format!("{}/repos/{owner}/{repo}/pulls/{number}", self.web()),
        ));
        out
    }

    fn gh_update(&mut self, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
        let Some(pr) = self.repo(owner, repo).prs.get(&number).cloned() else {
            return self.gh_not_found();
        };
        let mut pr = pr;
        if let Some(t) = call.s("title") {
            pr.title = t;
        }
        if let Some(b) = call.s("body") {
            pr.body = b;
        }
        if let Some(b) = call.s("base") {
            pr.base = b;
        }
        if let Some(s) = call.s("state") {
            if s == "open"
                && pr.state != "open"
                && self
                    .repo(owner, repo)
                    .prs
                    .values()
                    .any(|p| p.state == "open" && p.head == pr.head && p.base == pr.base)
            {
                return self.gh_validation_failed("A pull request already exists for this branch.");
            }
            pr.state = s;
        }
        self.repo(owner, repo).prs.insert(number, pr);
        reply(200, self.gh_pr(owner, repo, number, "pull-request"))
    }

    fn gh_add_labels(&mut self, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
        if !self.repo(owner, repo).prs.contains_key(&number) {
            return self.gh_not_found();
        }
        let wanted = call.strings("labels");
        for l in &wanted {
            self.label_id(owner, repo, l);
        }
        let pr = self.repo(owner, repo).prs.get_mut(&number).unwrap();
        for l in wanted {
            if !pr.labels.iter().any(|h| h.eq_ignore_ascii_case(&l)) {
                pr.labels.push(l);
            }
        }
        let names = pr.labels.clone();
        let labels: Vec<Value> = names
            .iter()
            .map(|l| self.gh_label(owner, repo, l))
            .collect();
        reply(200, Value::Array(labels))
    }

    fn gh_request_reviewers(&mut self, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
        if !self.repo(owner, repo).prs.contains_key(&number) {
            return self.gh_not_found();
        }
        let users = call.strings("reviewers");
        let teams = call.strings("team_reviewers");
        if users.iter().any(|u| !self.user_exists(u)) {
            return reply(
                422,
                json!({
                    "message": format!("Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {owner}/{repo} repository."),
                    "documentation_url": "https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request",
                }),
            );
        }
        let pr = self.repo(owner, repo).prs.get_mut(&number).unwrap();
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
        reply(201, self.gh_pr(owner, repo, number, "pull-request-simple"))
    }

    fn gh_comment(&mut self, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
        let Some(pr) = self.repo(owner, repo).prs.get_mut(&number) else {
            return self.gh_not_found();
        };
        let body = call.s("body").unwrap_or_default();
        pr.comments.push(body);
        let index = pr.comments.len() - 1;
        self.next_id += 1;
        let id = self.next_id;
        self.repo(owner, repo)
            .comment_ids
            .insert(id, (number, index, "protosync-bot".into()));
        reply(201, self.gh_comment_json(owner, repo, id))
    }

    /// An issue comment as GitHub answers it.
    fn gh_comment_json(&mut self, owner: &str, repo: &str, id: u64) -> Value {
        let (number, index, author) = self.repo(owner, repo).comment_ids[&id].clone();
        let body = self.repo(owner, repo).prs[&number].comments[index].clone();
        let web = self.web();
        let user = self.gh_user(&author);
        merge(
            example_of("issue-comment"),
            json!({
                "id": id,
                "node_id": format!("IC_{id}"),
                "body": body,
                "user": user,
                "url": format!("{web}/repos/{owner}/{repo}/issues/comments/{id}"),
                "html_url": format!("{web}/{owner}/{repo}/pull/{number}#issuecomment-{id}"),
                "issue_url": format!("{web}/repos/{owner}/{repo}/issues/{number}"),
            }),
        )
    }

    /// `GET /repos/{owner}/{repo}/issues/{number}/comments`: oldest first, `per_page`
    /// (default 30, at most 100) and `page` (from 1) as GitHub pages them.
    fn gh_list_comments(&mut self, owner: &str, repo: &str, number: u64, call: &Call) -> Reply {
        if !self.repo(owner, repo).prs.contains_key(&number) {
            return self.gh_not_found();
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
        let ids: Vec<u64> = self
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
            .map(|id| self.gh_comment_json(owner, repo, id))
            .collect();
        reply(200, Value::Array(items))
    }

    /// `PATCH /repos/{owner}/{repo}/issues/comments/{id}` `{body}`.
    fn gh_update_comment(&mut self, owner: &str, repo: &str, id: u64, call: &Call) -> Reply {
        let Some((number, index, _)) = self.repo(owner, repo).comment_ids.get(&id).cloned() else {
            return self.gh_not_found();
        };
        let body = call.s("body").unwrap_or_default();
        if let Some(pr) = self.repo(owner, repo).prs.get_mut(&number) {
            pr.comments[index] = body;
        }
        reply(200, self.gh_comment_json(owner, repo, id))
    }

    // -----------------------------------------------------------------------------------------
    // GitLab (v4)

    fn gitlab(&mut self, req: &Request, call: &Call) -> Reply {
        let segs: Vec<&str> = call.segs.iter().map(String::as_str).collect();
        let route = match (call.method, segs.as_slice()) {
            ("GET", ["users"]) => "users",
            ("GET", ["projects", _, "merge_requests"]) => "list",
            ("POST", ["projects", _, "merge_requests"]) => "create",
            ("GET", ["projects", _, "merge_requests", _]) => "get",
            ("PUT", ["projects", _, "merge_requests", _]) => "update",
            ("POST", ["projects", _, "merge_requests", _, "notes"]) => "note",
            _ => {
                return self.invalid_request(req, vec!["no such GitLab API route".into()], 404);
            }
        };
        let (query_params, body_schema) = gitlab_schema(route);
        let mut errors = check_query(call, query_params);
        match (&body_schema, &call.body) {
            (Some(schema), Some(body)) => {
                validate(&Value::Null, schema, body, "body", true, &mut errors)
            }
            (Some(schema), None) if !schema["required"].as_array().is_none_or(|r| r.is_empty()) => {
                errors.push("missing JSON body".into())
            }
            (None, Some(_)) => errors.push("route takes no body".into()),
            _ => {}
        }
        if route == "update"
            && call
                .body
                .as_ref()
                .and_then(Value::as_object)
                .is_none_or(|o| o.is_empty())
        {
            errors.push("at least one parameter must be given".into());
        }
        let iid = segs.get(3).and_then(|n| n.parse::<u64>().ok());
        if segs.len() > 3 && iid.is_none() {
            errors.push(format!("merge request iid {:?} is not a number", segs[3]));
        }
        let project = segs.get(1).map(|s| s.to_string()).unwrap_or_default();
        let (owner, name) = match project.rsplit_once('/') {
            Some((o, n)) => (o.to_owned(), n.to_owned()),
            None if route != "users" => {
                errors.push(format!("project id {project:?} is not a URL-encoded path"));
                (String::new(), String::new())
            }
            None => (String::new(), String::new()),
        };
        if !errors.is_empty() {
            return self.invalid_request(req, errors, 422);
        }
        let iid = iid.unwrap_or(0);
        match route {
            "users" => {
                let name = call.q("username").unwrap_or("").to_owned();
                if name.is_empty() || !self.user_exists(&name) {
                    return reply(200, json!([]));
                }
                let id = self.user_id(&name);
                let web = self.web();
                reply(
                    200,
                    json!([{"id": id, "username": name, "name": name, "state": "active", "web_url": format!("{web}/{name}")}]),
                )
            }
            "list" => {
                let state = call.q("state").unwrap_or("all").to_owned();
                let source = call.q("source_branch").map(str::to_owned);
                let target = call.q("target_branch").map(str::to_owned);
                let numbers: Vec<u64> = self
                    .repo(&owner, &name)
                    .prs
                    .values()
                    .filter(|p| state == "all" || gl_state(p) == state)
                    .filter(|p| source.as_ref().is_none_or(|s| &p.head == s))
                    .filter(|p| target.as_ref().is_none_or(|t| &p.base == t))
                    .map(|p| p.number)
                    .rev()
                    .collect();
                let items = numbers
                    .into_iter()
                    .map(|n| self.gl_mr(&owner, &name, n))
                    .collect();
                reply(200, Value::Array(items))
            }
            "get" => match self.repo(&owner, &name).prs.contains_key(&iid) {
                true => reply(200, self.gl_mr(&owner, &name, iid)),
                false => reply(404, json!({"message": "404 Not found"})),
            },
            "create" => self.gl_create(&owner, &name, call),
            "update" => self.gl_update(&owner, &name, iid, call),
            "note" => {
                let Some(pr) = self.repo(&owner, &name).prs.get_mut(&iid) else {
                    return reply(404, json!({"message": "404 Not found"}));
                };
                let body = call.s("body").unwrap_or_default();
                pr.comments.push(body.clone());
                self.next_id += 1;
                let id = self.next_id;
                let author = self.gl_user_json("protosync-bot");
                reply(
                    201,
                    json!({"id": id, "type": null, "body": body, "author": author, "system": false, "noteable_id": iid, "noteable_type": "MergeRequest", "noteable_iid": iid}),
                )
            }
            _ => unreachable!(),
        }
    }

    fn gl_user_json(&mut self, name: &str) -> Value {
        let id = self.user_id(name);
        let web = self.web();
        json!({"id": id, "username": name, "name": name, "state": "active", "web_url": format!("{web}/{name}")})
    }

    fn gl_mr(&mut self, owner: &str, name: &str, iid: u64) -> Value {
        let project_id = self.repo(owner, name).id;
        let pr = self.repo(owner, name).prs[&iid].clone();
        let web = self.web();
        let author = self.gl_user_json(&pr.author);
        let reviewers: Vec<Value> = pr.reviewers.iter().map(|r| self.gl_user_json(r)).collect();
        json!({
            "id": 200_000 + iid,
            "iid": iid,
            "project_id": project_id,
            "title": pr.title,
            "description": if pr.body.is_empty() { Value::Null } else { json!(pr.body) },
            "state": gl_state(&pr),
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

    fn gl_reviewers(&mut self, call: &Call) -> Result<Vec<String>, Reply> {
        let mut names = Vec::new();
        for id in call.ids("reviewer_ids") {
            match self.users.iter().find(|(_, v)| **v == id) {
                Some((n, _)) => names.push(n.clone()),
                None => {
                    self.invalid
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

    fn gl_create(&mut self, owner: &str, name: &str, call: &Call) -> Reply {
        let head = call.s("source_branch").unwrap_or_default();
        let base = call.s("target_branch").unwrap_or_default();
        let title = call.s("title").unwrap_or_default();
        if let Some(p) = self
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
        let reviewers = match self.gl_reviewers(call) {
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
        let r = self.repo(owner, name);
        r.next_number += 1;
        let iid = r.next_number;
        r.prs.insert(
            iid,
            PrState {
                number: iid,
                head,
                base,
                draft: draft_from_title(ForgeKind::Gitlab, &title),
                title,
                body: call.s("description").unwrap_or_default(),
                state: "open".into(),
                labels,
                reviewers,
                team_reviewers: Vec::new(),
                comments: Vec::new(),
                author: "protosync-bot".into(),
            },
        );
        reply(201, self.gl_mr(owner, name, iid))
    }

    fn gl_update(&mut self, owner: &str, name: &str, iid: u64, call: &Call) -> Reply {
        let Some(mut pr) = self.repo(owner, name).prs.get(&iid).cloned() else {
            return reply(404, json!({"message": "404 Not found"}));
        };
        if let Some(t) = call.s("title") {
            pr.draft = draft_from_title(ForgeKind::Gitlab, &t);
            pr.title = t;
        }
        if let Some(d) = call.s("description") {
            pr.body = d;
        }
        if let Some(t) = call.s("target_branch") {
            pr.base = t;
        }
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
            match self.gl_reviewers(call) {
                Ok(r) => pr.reviewers = r,
                Err(r) => return r,
            }
        }
        match call.s("state_event").as_deref() {
            Some("close") => pr.state = "closed".into(),
            Some("reopen") => pr.state = "open".into(),
            _ => {}
        }
        self.repo(owner, name).prs.insert(iid, pr);
        reply(200, self.gl_mr(owner, name, iid))
    }

    // -----------------------------------------------------------------------------------------
    // Gitea (v1)

    fn gitea(&mut self, req: &Request, call: &Call) -> Reply {
        let segs: Vec<&str> = call.segs.iter().map(String::as_str).collect();
        let route = match (call.method, segs.as_slice()) {
            ("GET", ["repos", _, _, "pulls"]) => "list",
            ("POST", ["repos", _, _, "pulls"]) => "create",
            ("GET", ["repos", _, _, "pulls", _]) => "get",
            ("PATCH", ["repos", _, _, "pulls", _]) => "edit",
            ("GET", ["repos", _, _, "labels"]) => "labels",
            ("POST", ["repos", _, _, "labels"]) => "create-label",
            ("POST", ["repos", _, _, "issues", _, "labels"]) => "add-labels",
            ("POST", ["repos", _, _, "pulls", _, "requested_reviewers"]) => "reviewers",
            ("POST", ["repos", _, _, "issues", _, "comments"]) => "comment",
            _ => return self.invalid_request(req, vec!["no such Gitea API route".into()], 404),
        };
        let (query_params, body_schema) = gitea_schema(route);
        let mut errors = check_query(call, query_params);
        match (&body_schema, &call.body) {
            (Some(schema), Some(body)) => {
                validate(&Value::Null, schema, body, "body", true, &mut errors)
            }
            (Some(_), None) => errors.push("missing JSON body".into()),
            (None, Some(_)) => errors.push("route takes no body".into()),
            _ => {}
        }
        let index = segs.get(4).and_then(|n| n.parse::<u64>().ok());
        if segs.len() > 4 && index.is_none() {
            errors.push(format!("index {:?} is not a number", segs[4]));
        }
        if route == "create-label" {
            let color = call.s("color").unwrap_or_default();
            let hex = color.trim_start_matches('#');
            if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                errors.push(format!("color {color:?} is not #rrggbb"));
            }
        }
        if !errors.is_empty() {
            return self.invalid_request(req, errors, 422);
        }
        let (owner, name) = (segs[1].to_owned(), segs[2].to_owned());
        let index = index.unwrap_or(0);
        let not_found = || {
            reply(
                404,
                json!({"message": "The target couldn't be found.", "errors": []}),
            )
        };
        match route {
            "list" => {
                let state = call.q("state").unwrap_or("open").to_owned();
                let page: usize = call
                    .q("page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let limit: usize = call
                    .q("limit")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(30)
                    .clamp(1, 50);
                let numbers: Vec<u64> = self
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
                    .map(|n| self.gt_pr(&owner, &name, n))
                    .collect();
                reply(200, Value::Array(items))
            }
            "get" => match self.repo(&owner, &name).prs.contains_key(&index) {
                true => reply(200, self.gt_pr(&owner, &name, index)),
                false => not_found(),
            },
            "create" => self.gt_create(&owner, &name, call),
            "edit" => {
                let Some(mut pr) = self.repo(&owner, &name).prs.get(&index).cloned() else {
                    return not_found();
                };
                if let Some(t) = call.s("title") {
                    pr.draft = draft_from_title(ForgeKind::Gitea, &t);
                    pr.title = t;
                }
                if let Some(b) = call.s("body") {
                    pr.body = b;
                }
                if let Some(b) = call.s("base") {
                    pr.base = b;
                }
                if let Some(s) = call.s("state") {
                    pr.state = s;
                }
                if call
                    .body
                    .as_ref()
                    .is_some_and(|b| b.get("labels").is_some())
                {
                    match self.gt_label_names(&owner, &name, &call.ids("labels")) {
                        Ok(l) => pr.labels = l,
                        Err(r) => return r,
                    }
                }
                self.repo(&owner, &name).prs.insert(index, pr);
                // Gitea answers an edit with 201.
                reply(201, self.gt_pr(&owner, &name, index))
            }
            "labels" => {
                let page: usize = call
                    .q("page")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let limit: usize = call
                    .q("limit")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(30)
                    .clamp(1, 50);
                let labels: Vec<(String, u64)> = self
                    .repo(&owner, &name)
                    .labels
                    .iter()
                    .map(|(n, i)| (n.clone(), *i))
                    .skip((page - 1) * limit)
                    .take(limit)
                    .collect();
                let items = labels
                    .iter()
                    .map(|(n, i)| self.gt_label(&owner, &name, n, *i))
                    .collect();
                reply(200, Value::Array(items))
            }
            "create-label" => {
                let label = call.s("name").unwrap_or_default();
                self.next_id += 1;
                let id = self.next_id;
                self.repo(&owner, &name).labels.insert(label.clone(), id);
                reply(201, self.gt_label(&owner, &name, &label, id))
            }
            "add-labels" => {
                let names = match self.gt_label_names(&owner, &name, &call.ids("labels")) {
                    Ok(n) => n,
                    Err(r) => return r,
                };
                let Some(pr) = self.repo(&owner, &name).prs.get_mut(&index) else {
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
                        let id = self.repo(&owner, &name).labels[l];
                        self.gt_label(&owner, &name, l, id)
                    })
                    .collect();
                reply(200, Value::Array(items))
            }
            "reviewers" => {
                if !self.repo(&owner, &name).prs.contains_key(&index) {
                    return not_found();
                }
                let users = call.strings("reviewers");
                if let Some(u) = users.iter().find(|u| !self.user_exists(u)) {
                    return reply(
                        422,
                        json!({"message": format!("user does not exist [uid: 0, name: {u}]")}),
                    );
                }
                let teams = call.strings("team_reviewers");
                let pr = self.repo(&owner, &name).prs.get_mut(&index).unwrap();
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
                        let user = self.gt_user(u);
                        self.next_id += 1;
                        json!({"id": self.next_id, "user": user, "state": "REQUEST_REVIEW", "body": "", "official": false, "stale": false, "dismissed": false})
                    })
                    .collect();
                reply(201, Value::Array(reviews))
            }
            "comment" => {
                let Some(pr) = self.repo(&owner, &name).prs.get_mut(&index) else {
                    return not_found();
                };
                let body = call.s("body").unwrap_or_default();
                pr.comments.push(body.clone());
                self.next_id += 1;
                let id = self.next_id;
                let web = self.web();
                let user = self.gt_user("protosync-bot");
                reply(
                    201,
                    json!({"id": id, "body": body, "user": user, "html_url": format!("{web}/{owner}/{name}/pulls/{index}#issuecomment-{id}"), "issue_url": format!("{web}/{owner}/{name}/issues/{index}"), "pull_request_url": format!("{web}/{owner}/{name}/pulls/{index}")}),
                )
            }
            _ => unreachable!(),
        }
    }

    fn gt_user(&mut self, login: &str) -> Value {
        let id = self.user_id(login);
        let web = self.web();
        json!({"id": id, "login": login, "username": login, "full_name": "", "html_url": format!("{web}/{login}")})
    }

    fn gt_label(&mut self, owner: &str, repo: &str, name: &str, id: u64) -> Value {
        let web = self.web();
        json!({"id": id, "name": name, "color": "ededed", "description": "", "exclusive": false, "is_archived": false, "url": format!("{web}/api/v1/repos/{owner}/{repo}/labels/{id}")})
    }

    fn gt_label_names(
        &mut self,
        owner: &str,
        repo: &str,
        ids: &[u64],
    ) -> Result<Vec<String>, Reply> {
        let mut names = Vec::new();
        for id in ids {
            match self.repo(owner, repo).labels.iter().find(|(_, v)| *v == id) {
                Some((n, _)) => names.push(n.clone()),
                None => {
                    self.invalid.push(format!(
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

    fn gt_pr(&mut self, owner: &str, repo: &str, number: u64) -> Value {
        let r = self.repo(owner, repo);
        let repo_id = r.id;
        let pr = r.prs[&number].clone();
        let web = self.web();
        let author = self.gt_user(&pr.author);
        let owner_json = self.gt_user(owner);
        let labels: Vec<Value> = pr
            .labels
            .iter()
            .map(|l| {
                let id = self.label_id(owner, repo, l);
                self.gt_label(owner, repo, l, id)
            })
            .collect();
        let reviewers: Vec<Value> = pr.reviewers.iter().map(|u| self.gt_user(u)).collect();
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

    fn gt_create(&mut self, owner: &str, name: &str, call: &Call) -> Reply {
        let head = call.s("head").unwrap_or_default();
        let base = call.s("base").unwrap_or_default();
        let title = call.s("title").unwrap_or_default();
        if let Some(p) = self
            .repo(owner, name)
            .prs
            .values()
            .find(|p| p.state == "open" && p.head == head && p.base == base)
        {
            let n = p.number;
            return reply(
                409,
                json!({"message": format!("pull request already exists for these targets [id: {n}, issue_id: {n}, head_repo_id: 0, base_repo_id: 0, head_branch: {head}, base_branch: {base}]"), "url": format!("{}/api/swagger", self.web())}),
            );
        }
        if title.is_empty() {
            return reply(422, json!({"message": "[Title]: Required"}));
        }
        let labels = match self.gt_label_names(owner, name, &call.ids("labels")) {
            Ok(l) => l,
            Err(r) => return r,
        };
        let reviewers = call.strings("reviewers");
        let r = self.repo(owner, name);
        r.next_number += 1;
        let number = r.next_number;
        r.prs.insert(
            number,
            PrState {
                number,
                head,
                base,
                draft: draft_from_title(ForgeKind::Gitea, &title),
                title,
                body: call.s("body").unwrap_or_default(),
                state: "open".into(),
                labels,
                reviewers,
                team_reviewers: call.strings("team_reviewers"),
                comments: Vec::new(),
                author: "protosync-bot".into(),
            },
        );
        reply(201, self.gt_pr(owner, name, number))
    }
}

fn gl_state(p: &PrState) -> &'static str {
    if p.state == "open" {
        "opened"
    } else {
        "closed"
    }
}

/// Query parameters a route accepts (name, JSON type) and its body schema, from GitLab's
/// REST documentation (merge requests, notes, users).
fn gitlab_schema(route: &str) -> (&'static [(&'static str, &'static str)], Option<Value>) {
    let s = json!({"type": "string"});
    let b = json!({"type": "boolean"});
    let i = json!({"type": "integer"});
    let ids = json!({"type": "array", "items": {"type": "integer"}});
    match route {
        "users" => (
            &[
                ("username", "string"),
                ("page", "integer"),
                ("per_page", "integer"),
            ],
            None,
        ),
        "list" => (
            &[
                ("state", "opened|closed|locked|merged|all"),
                ("source_branch", "string"),
                ("target_branch", "string"),
                ("page", "integer"),
                ("per_page", "integer"),
                ("order_by", "string"),
                ("sort", "string"),
            ],
            None,
        ),
        "get" => (&[], None),
        "create" => (
            &[],
            Some(json!({
                "type": "object",
                "required": ["source_branch", "target_branch", "title"],
                "properties": {
                    "source_branch": s, "target_branch": s, "title": s, "description": s,
                    "labels": s, "assignee_id": i, "assignee_ids": ids, "reviewer_ids": ids,
                    "milestone_id": i, "remove_source_branch": b, "squash": b,
                    "allow_collaboration": b, "target_project_id": i,
                },
            })),
        ),
        "update" => (
            &[],
            Some(json!({
                "type": "object",
                "properties": {
                    "title": s, "description": s, "target_branch": s,
                    "state_event": {"type": "string", "enum": ["close", "reopen"]},
                    "labels": s, "add_labels": s, "remove_labels": s,
                    "assignee_id": i, "assignee_ids": ids, "reviewer_ids": ids, "milestone_id": i,
                    "remove_source_branch": b, "squash": b, "discussion_locked": b,
                    "allow_collaboration": b,
                },
            })),
        ),
        "note" => (
            &[],
            Some(json!({
                "type": "object",
                "required": ["body"],
                "properties": {"body": s, "created_at": s, "internal": b},
            })),
        ),
        _ => (&[], None),
    }
}

/// As [`gitlab_schema`], from Gitea's swagger (CreatePullRequestOption, EditPullRequestOption,
/// CreateLabelOption, IssueLabelsOption, PullReviewRequestOptions, CreateIssueCommentOption).
fn gitea_schema(route: &str) -> (&'static [(&'static str, &'static str)], Option<Value>) {
    let s = json!({"type": "string"});
    let b = json!({"type": "boolean"});
    let i = json!({"type": "integer"});
    let strs = json!({"type": "array", "items": {"type": "string"}});
    let ids = json!({"type": "array", "items": {"type": "integer"}});
    match route {
        "list" => (
            &[
                ("state", "open|closed|all"),
                ("sort", "string"),
                ("milestone", "integer"),
                ("page", "integer"),
                ("limit", "integer"),
            ],
            None,
        ),
        "labels" => (&[("page", "integer"), ("limit", "integer")], None),
        "get" => (&[], None),
        "create" => (
            &[],
            Some(json!({
                "type": "object",
                "required": ["head", "base", "title"],
                "properties": {
                    "head": s, "base": s, "title": s, "body": s, "assignee": s, "assignees": strs,
                    "labels": ids, "milestone": i, "due_date": s, "reviewers": strs,
                    "team_reviewers": strs,
                },
            })),
        ),
        "edit" => (
            &[],
            Some(json!({
                "type": "object",
                "properties": {
                    "title": s, "body": s, "base": s, "assignee": s, "assignees": strs,
                    "labels": ids, "milestone": i, "due_date": s, "unset_due_date": b,
                    "allow_maintainer_edit": b,
                    "state": {"type": "string", "enum": ["open", "closed"]},
                },
            })),
        ),
        "create-label" => (
            &[],
            Some(json!({
                "type": "object",
                "required": ["name", "color"],
                "properties": {"name": s, "color": s, "description": s, "exclusive": b, "is_archived": b},
            })),
        ),
        "add-labels" => (
            &[],
            Some(json!({
                "type": "object",
                "properties": {"labels": ids},
            })),
        ),
        "reviewers" => (
            &[],
            Some(json!({
                "type": "object",
                "properties": {"reviewers": strs, "team_reviewers": strs},
            })),
        ),
        "comment" => (
            &[],
            Some(json!({
                "type": "object",
                "required": ["body"],
                "properties": {"body": s},
            })),
        ),
        _ => (&[], None),
    }
}

/// Checks query parameters against (name, "string" | "integer" | "a|b|c") pairs.
fn check_query(call: &Call, allowed: &[(&str, &str)]) -> Vec<String> {
    let mut errors = Vec::new();
    for (k, v) in &call.query {
        match allowed.iter().find(|(n, _)| n == k) {
            None => errors.push(format!("unknown query parameter {k:?}")),
            Some((_, "string")) => {}
            Some((_, "integer")) => {
                if v.parse::<i64>().is_err() {
                    errors.push(format!("query parameter {k}={v:?} is not an integer"));
                }
            }
            Some((_, choices)) => {
                if !choices.split('|').any(|c| c == v) {
                    errors.push(format!("query parameter {k}={v:?} is not one of {choices}"));
                }
            }
        }
    }
    errors
}

// ---------------------------------------------------------------------------------------------
// OpenAPI: matching, validation, examples

/// Binds `{name}` segments of `template` to `segs`, if it matches.
fn match_template(template: &str, segs: &[String]) -> Option<BTreeMap<String, String>> {
    let parts: Vec<&str> = template.split('/').skip(1).collect();
    if parts.len() != segs.len() {
        return None;
    }
    let mut bound = BTreeMap::new();
    for (p, s) in parts.iter().zip(segs) {
        if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if s.is_empty() {
                return None;
            }
            bound.insert(name.to_owned(), s.clone());
        } else if p != s {
            return None;
        }
    }
    Some(bound)
}

/// Follows `$ref`s (within `spec`).
fn resolve<'a>(spec: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => match spec.pointer(r.trim_start_matches('#')) {
                Some(target) => v = target,
                None => return &Value::Null,
            },
            None => return v,
        }
    }
    v
}

/// A path or query parameter's text as the JSON value its schema expects.
fn param_value(schema: &Value, text: &str) -> Value {
    match schema["type"].as_str() {
        Some("integer") => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(text)),
        Some("number") => text
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| json!(text)),
        Some("boolean") => match text {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(text),
        },
        _ => json!(text),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Validates `value` against the subset of JSON Schema the descriptions use: `$ref`, `type`,
/// `nullable`, `enum`, `properties`, `required`, `additionalProperties`, `items`, `minItems`,
/// `oneOf`, `anyOf`, `allOf`. With `strict`, object properties not in `properties` are errors
/// (request bodies); answers are checked without it.
fn validate(
    spec: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    strict: bool,
    errors: &mut Vec<String>,
) {
    let schema = resolve(spec, schema);
    if !schema.is_object() {
        return;
    }
    if value.is_null() {
        let nullable = schema["nullable"].as_bool().unwrap_or(false)
            || schema["type"].as_str() == Some("null")
            || (schema.get("type").is_none()
                && schema.get("oneOf").is_none()
                && schema.get("anyOf").is_none()
                && schema.get("properties").is_none());
        if !nullable {
            errors.push(format!("{at}: null is not allowed"));
        }
        return;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema[key].as_array() {
            let mut branch_errors = Vec::new();
            let mut ok = 0;
            for alt in alts {
                let mut e = Vec::new();
                validate(spec, alt, value, at, strict, &mut e);
                if e.is_empty() {
                    ok += 1;
                } else {
                    branch_errors.extend(e);
                }
            }
            let fine = if key == "oneOf" { ok == 1 } else { ok >= 1 };
            if !fine {
                if ok == 0 {
                    errors.push(format!(
                        "{at}: matches none of the {key} alternatives ({})",
                        branch_errors.join("; ")
                    ));
                } else {
                    errors.push(format!("{at}: matches {ok} of the oneOf alternatives"));
                }
            }
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            validate(spec, s, value, at, strict, errors);
        }
    }
    if let Some(choices) = schema["enum"].as_array() {
        if !choices.contains(value) {
            errors.push(format!(
                "{at}: {value} is not one of {}",
                Value::Array(choices.clone())
            ));
        }
    }
    let ty = schema["type"]
        .as_str()
        .or_else(|| schema.get("properties").map(|_| "object"));
    if let Some(ty) = ty {
        let actual = type_name(value);
        let fits = ty == actual || (ty == "number" && actual == "integer");
        if !fits {
            errors.push(format!("{at}: expected {ty}, got {actual}"));
            return;
        }
    }
    if let Value::Object(map) = value {
        for r in schema["required"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str() {
                if !map.contains_key(r) {
                    errors.push(format!("{at}: missing required property {r:?}"));
                }
            }
        }
        let props = schema["properties"].as_object();
        let additional = schema.get("additionalProperties");
        for (k, v) in map {
            let child = format!("{at}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(spec, s, v, &child, strict, errors),
                None => match additional {
                    Some(Value::Bool(false)) => errors.push(format!("{child}: unknown property")),
                    Some(s @ Value::Object(_)) => validate(spec, s, v, &child, strict, errors),
                    _ if strict && props.is_some() => {
                        errors.push(format!("{child}: unknown property"))
                    }
                    _ => {}
                },
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(min) = schema["minItems"].as_u64() {
            if (items.len() as u64) < min {
                errors.push(format!("{at}: fewer than {min} items"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (n, item) in items.iter().enumerate() {
                validate(
                    spec,
                    item_schema,
                    item,
                    &format!("{at}[{n}]"),
                    strict,
                    errors,
                );
            }
        }
    }
}

/// The JSON schema of the answer `status` of an operation, if the description has one.
fn response_schema<'a>(spec: &'a Value, op: &'a Value, status: u16) -> Option<&'a Value> {
    let r = op["responses"].get(status.to_string())?;
    resolve(spec, r).pointer("/content/application~1json/schema")
}

/// A minimal value of `schema`: every required property, with the first enum value, the
/// default, an empty array, null where nullable, a placeholder string by format.
fn example(spec: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(spec, schema);
    if depth > 16 || !schema.is_object() {
        return Value::Null;
    }
    if schema["nullable"].as_bool() == Some(true) {
        return Value::Null;
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(d) = schema.get("default") {
        return d.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|a| a.first()) {
            return example(spec, first, depth + 1);
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all
            .iter()
            .fold(json!({}), |acc, s| merge(acc, example(spec, s, depth + 1)));
    }
    let ty = schema["type"]
        .as_str()
        .or_else(|| schema.get("properties").map(|_| "object"));
    match ty {
        Some("object") => {
            let mut out = Map::new();
            for r in schema["required"].as_array().into_iter().flatten() {
                let Some(r) = r.as_str() else { continue };
                let v = schema["properties"]
                    .get(r)
                    .map(|p| example(spec, p, depth + 1))
                    .unwrap_or(Value::Null);
                out.insert(r.to_owned(), v);
            }
            Value::Object(out)
        }
        Some("array") => json!([]),
        Some("string") => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("uri") | Some("url") => json!("https://example.invalid/"),
            Some("email") => json!("someone@example.invalid"),
            _ => json!(""),
        },
        Some("integer") | Some("number") => json!(0),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}

/// A minimal value of the GitHub component schema `name`.
fn example_of(name: &str) -> Value {
    let spec = github_spec();
    example(
        spec,
        &json!({ "$ref": format!("#/components/schemas/{name}") }),
        0,
    )
}

/// `over` laid over `base`: objects merged key by key, anything else replaced.
fn merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, o) => o,
    }
}

/// Problems with the server itself: the minimal examples it builds answers from must match
/// the description (a test calls this).
pub fn self_check() -> Vec<String> {
    let spec = github_spec();
    let mut errors = Vec::new();
    for name in [
        "pull-request",
        "pull-request-simple",
        "label",
        "issue-comment",
        "simple-user",
        "repository",
    ] {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        validate(spec, &schema, &example_of(name), name, false, &mut errors);
    }
    for (text, plus, want) in [
        ("acme%2Fbilling", false, "acme/billing"),
        ("a+b%3Ac", true, "a b:c"),
        ("100%", false, "100%"),
        ("%zz%C3%A9", false, "%zzé"),
    ] {
        let got = percent_decode(text, plus);
        if got != want {
            errors.push(format!("percent_decode({text:?}) = {got:?}, not {want:?}"));
        }
    }
    errors
}
