//! A loopback smart-HTTP git server for tests: git's own `git http-backend` run as CGI
//! behind a small server that can require a token (`Authorization: Basic
//! base64("x-access-token:<token>")`, what protosync sends). With a token, pushes are accepted
//! too (the CGI runs with `REMOTE_USER` set, which enables `receive-pack`).
//!
//! Use from a test file with `#[path = "support/git_http.rs"] mod git_http;`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Standard base64 (RFC 4648) for the expected `Authorization` header.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Most connections served at once; more get a 503.
const MAX_CONNECTIONS: usize = 16;
/// The server stops by itself after this long, even if the test forgets it.
const SERVER_LIFETIME: Duration = Duration::from_secs(300);
/// Socket reads/writes and CGI runs give up after this long.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    /// `Authorization` values that were refused (to check a token was or was not offered).
    pub refused: Arc<Mutex<Vec<Option<String>>>>,
    /// Every request line received, in order (recorded before it is answered).
    requests: Arc<Mutex<Vec<String>>>,
    /// The `Authorization` header of every request (`None` when it had none), in order.
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    host: String,
}

impl Server {
    /// Serves the repositories under `root`; with `token`, every request must carry
    /// `Authorization: Basic base64("x-access-token:<token>")`.
    pub fn start(root: &Path, token: Option<&str>) -> Server {
        Server::start_on("127.0.0.1", root, token)
    }

    /// [`Server::start`] listening on another loopback address (`127.0.0.2`: another host to
    /// a client, on the same machine).
    pub fn start_on(host: &str, root: &Path, token: Option<&str>) -> Server {
        let listener = TcpListener::bind((host, 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let expected =
            token.map(|t| format!("Basic {}", b64(format!("x-access-token:{t}").as_bytes())));
        let stop = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let active = Arc::new(AtomicUsize::new(0));
        let root = root.to_path_buf();
        let accept = {
            let (stop, refused, requests) = (stop.clone(), refused.clone(), requests.clone());
            let authorizations = authorizations.clone();
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
                            let (root, expected, active, refused, requests) = (
                                root.clone(),
                                expected.clone(),
                                active.clone(),
                                refused.clone(),
                                requests.clone(),
                            );
                            let authorizations = authorizations.clone();
                            thread::spawn(move || {
                                let _ = serve(
                                    stream,
                                    &root,
                                    expected.as_deref(),
                                    &refused,
                                    &requests,
                                    &authorizations,
                                );
                                active.fetch_sub(1, Ordering::SeqCst);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Server {
            port,
            stop,
            accept: Some(accept),
            refused,
            requests,
            authorizations,
            host: host.to_owned(),
        }
    }

    /// The request lines received so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// The `Authorization` header of every request received so far (`None`: it had none).
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://{}:{}/{name}", self.host, self.port)
    }

    /// `http://host:port` without a path.
    pub fn base(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Reads a line of at most 8 KiB.
fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    r.take(8192).read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// A chunked request body (bounded to 64 MiB).
fn read_chunked(r: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    for _ in 0..100_000 {
        let size_line = read_line(r)?;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
            .map_err(|e| std::io::Error::other(format!("bad chunk size {size_line:?}: {e}")))?;
        if size == 0 {
            // Trailers, then the empty line.
            for _ in 0..100 {
                if read_line(r)?.is_empty() {
                    break;
                }
            }
            return Ok(body);
        }
        if body.len() + size > 64 << 20 {
            return Err(std::io::Error::other("request body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        read_line(r)?;
    }
    Err(std::io::Error::other("too many chunks"))
}

/// Serves one request (`Connection: close`): checks the token, runs `git http-backend` as
/// CGI and relays its answer.
fn serve(
    stream: TcpStream,
    root: &Path,
    expected: Option<&str>,
    refused: &Mutex<Vec<Option<String>>>,
    requests: &Mutex<Vec<String>>,
    authorizations: &Mutex<Vec<Option<String>>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let request = read_line(&mut reader)?;
    requests.lock().unwrap().push(request.clone());
    let mut parts = request.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("/").to_owned(),
    );
    let mut headers: Vec<(String, String)> = Vec::new();
    for _ in 0..100 {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    authorizations.lock().unwrap().push(header("authorization"));
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(&mut reader)?
    } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        let mut body = vec![0; len.min(64 << 20)];
        reader.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    if let Some(expected) = expected {
        let got = header("authorization");
        if got.as_deref() != Some(expected) {
            refused.lock().unwrap().push(got);
            out.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = StdCommand::new("git");
    cgi.arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REQUEST_METHOD", &method)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        // An authenticated user may push (http-backend enables receive-pack for REMOTE_USER).
        .env(
            "REMOTE_USER",
            if expected.is_some() { "tester" } else { "" },
        )
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(enc) = header("content-encoding") {
        cgi.env("HTTP_CONTENT_ENCODING", enc);
    }
    if let Some(proto) = header("git-protocol") {
        cgi.env("HTTP_GIT_PROTOCOL", proto);
    }
    let mut child = cgi.spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let child = Arc::new(Mutex::new(child));
    let done = Arc::new(AtomicBool::new(false));
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let watchdog = {
        let (child, done) = (child.clone(), done.clone());
        thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::SeqCst) {
                if start.elapsed() > IO_TIMEOUT {
                    let _ = child.lock().unwrap().kill();
                    return;
                }
                thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let mut output = Vec::new();
    let read = stdout.read_to_end(&mut output);
    let _ = writer.join();
    let _ = child.lock().unwrap().wait();
    done.store(true, Ordering::SeqCst);
    let _ = watchdog.join();
    read?;
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            output
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })
        .unwrap_or((0, 0));
    let head = String::from_utf8_lossy(&output[..split.0]).to_string();
    let mut status = "200 OK".to_owned();
    let mut response = String::new();
    for line in head.lines() {
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_owned(),
            Some(_) => response.push_str(&format!("{line}\r\n")),
            None => {}
        }
    }
    let body = &output[split.1..];
    out.write_all(
        format!(
            "HTTP/1.1 {status}\r\n{response}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    out.write_all(body)?;
    out.flush()
}

/// A loopback HTTP server that answers every request with `302 Found` to the same path and
/// query on `target` (`http://127.0.0.2:PORT`), and records the `Authorization` header of each
/// request. For checking what a client sends where after a redirect.
pub struct Redirector {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
}

impl Redirector {
    pub fn start(target: &str) -> Redirector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let target = target.trim_end_matches('/').to_owned();
        let accept = {
            let (stop, authorizations) = (stop.clone(), authorizations.clone());
            thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::SeqCst) && started.elapsed() < SERVER_LIFETIME {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let _ = redirect(stream, &target, &authorizations);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Redirector {
            port,
            stop,
            accept: Some(accept),
            authorizations,
        }
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `Authorization` header of every request received so far.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.authorizations.lock().unwrap().clone()
    }
}

impl Drop for Redirector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn redirect(
    stream: TcpStream,
    target: &str,
    authorizations: &Mutex<Vec<Option<String>>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let request = read_line(&mut reader)?;
    let target_path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut auth = None;
    let mut length = 0usize;
    for _ in 0..100 {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "authorization" {
                auth = Some(v.trim().to_owned());
            } else if k == "content-length" {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    authorizations.lock().unwrap().push(auth);
    let mut body = vec![0; length.min(1 << 20)];
    let _ = reader.read_exact(&mut body);
    out.write_all(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: {target}{target_path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )?;
    out.flush()
}

/// A loopback TCP server that accepts every connection and never sends a byte (until it is
/// dropped): a remote that hangs.
pub struct Silent {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Silent {
    pub fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = stop.clone();
            thread::spawn(move || {
                let started = Instant::now();
                let mut held = Vec::new();
                while !stop.load(Ordering::SeqCst) && started.elapsed() < SERVER_LIFETIME {
                    match listener.accept() {
                        Ok((stream, _)) => held.push(stream),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Silent {
            port,
            stop,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}
