//! Archive inputs at http(s) URLs, over real loopback sockets: downloaded into the cache (keyed
//! by URL, revalidated with the server's ETag), reused with `--offline`, a token sent to the
//! named host only (never across a redirect), and failures that name the URL. Plain http on
//! loopback takes the same code path as https but for TLS (the token rule included: a token
//! goes over https, or to this machine).

#[path = "support/archives.rs"]
mod archives;
#[path = "support/common.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

use common::{assert_code, stderr, stdout};

/// What a test server answers: (status line, extra headers, body) for a request's path and
/// headers (lower-cased names).
type Handler = dyn Fn(&str, &[(String, String)]) -> (String, Vec<String>, Vec<u8>) + Send + Sync;

/// One request as the server saw it: the path and the headers.
type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

/// A loopback HTTP/1.1 server on `ip`; returns its base URL and what it saw.
fn serve(ip: &str, handler: Box<Handler>) -> (String, Seen) {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.trim_end().split_once(':') {
                    headers.push((k.to_ascii_lowercase(), v.trim().to_owned()));
                }
            }
            let (status, extra, body) = handler(&path, &headers);
            log.lock().unwrap().push((path, headers));
            let mut head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for h in extra {
                head.push_str(&h);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (base, seen)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The current fixture as a .tar.gz, served with an ETag (304 when the client has it).
fn archive_server(ip: &str) -> (String, Seen, Vec<u8>) {
    let files = archives::entries(&archives::fixture().join("current"));
    let body = archives::gzip(&archives::tar(&files));
    let served = body.clone();
    let (base, seen) = serve(
        ip,
        Box::new(move |path, headers| {
            if path != "/contracts/archive/main.tar.gz" {
                return ("404 Not Found".into(), vec![], b"no".to_vec());
            }
            if header(headers, "if-none-match") == Some("\"v1\"") {
                return (
                    "304 Not Modified".into(),
                    vec!["ETag: \"v1\"".into()],
                    vec![],
                );
            }
            ("200 OK".into(), vec!["ETag: \"v1\"".into()], served.clone())
        }),
    );
    (base, seen, body)
}

fn run(dir: &Path, env: &[(&str, &str)], input: &str, extra: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("protosync").unwrap();
    cmd.current_dir(dir)
        .env_remove("PROTOSYNC_GIT_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env("PROTOSYNC_CACHE_DIR", dir.join("cache"))
        .env("PROTOSYNC_GIT_TIMEOUT", "10");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let against = archives::fixture().join("previous/contracts/proto");
    cmd.args(["breaking", input, "--against"])
        .arg(against)
        .args(["--error-format", "msvs"])
        .args(extra)
        .output()
        .unwrap()
}

fn expected() -> String {
    // Against the previous directory, paths of the archive side are named from inside it.
    std::fs::read_to_string(archives::fixture().join("recorded/tgz_vs_dir.out")).unwrap()
}

#[test]
fn a_url_is_downloaded_once_revalidated_and_reused_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (base, seen, body) = archive_server("127.0.0.1");
    let spec = format!("{base}/contracts/archive/main.tar.gz#strip_components=1,subdir=proto");
    let out = run(dir.path(), &[], &spec, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    // The cache holds the bytes as downloaded, under the URL's entry.
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("cache/archives"))
        .unwrap()
        .collect();
    assert_eq!(entries.len(), 1);
    let entry = entries[0].as_ref().unwrap().path();
    assert_eq!(std::fs::read(entry.join("archive")).unwrap(), body);
    assert!(std::fs::read_to_string(entry.join("url.txt"))
        .unwrap()
        .contains("/contracts/archive/main.tar.gz"));

    // Again: the server is asked with the ETag and answers 304.
    let out = run(dir.path(), &[], &spec, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(header(&seen[0].1, "if-none-match"), None);
        assert_eq!(header(&seen[1].1, "if-none-match"), Some("\"v1\""));
    }

    // --offline: no request at all, same findings.
    let out = run(dir.path(), &[], &spec, &["--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn offline_without_a_cached_download_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = "http://127.0.0.1:9/never/fetched.tar.gz";
    let out = run(dir.path(), &[], spec, &["--offline"]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("is not in the cache and --offline forbids downloading"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn http_errors_name_the_url_and_hint_at_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _, _) = archive_server("127.0.0.1");
    let out = run(dir.path(), &[], &format!("{base}/missing.zip"), &[]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(&format!("cannot download {base}/missing.zip: HTTP 404")),
        "{}",
        stderr(&out)
    );
    // A server that fails after one download: the error says the cache can be used.
    let files = archives::entries(&archives::fixture().join("current"));
    let body = archives::gzip(&archives::tar(&files));
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let (flaky, _) = serve(
        "127.0.0.1",
        Box::new(
            move |_, _| match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => ("200 OK".into(), vec![], body.clone()),
                _ => ("503 Service Unavailable".into(), vec![], vec![]),
            },
        ),
    );
    let spec = format!("{flaky}/a.tar.gz#strip_components=1,subdir=proto");
    assert_eq!(run(dir.path(), &[], &spec, &[]).status.code(), Some(1));
    let out = run(dir.path(), &[], &spec, &[]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains(&format!(
            "cannot download {flaky}/a.tar.gz: HTTP 503; the cache holds an earlier download: add --offline to use it"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        run(dir.path(), &[], &spec, &["--offline"]).status.code(),
        Some(1)
    );
}

#[test]
fn a_token_goes_to_the_named_host_and_never_across_a_redirect() {
    let dir = tempfile::tempdir().unwrap();
    let token = "s3cr3t-archive-token";
    let (target, target_seen, _) = archive_server("127.0.0.2");
    let to = format!("{target}/contracts/archive/main.tar.gz");
    let (origin, origin_seen) = serve(
        "127.0.0.1",
        Box::new(move |_, _| ("302 Found".into(), vec![format!("Location: {to}")], vec![])),
    );
    let spec = format!("{origin}/download.tar.gz#strip_components=1,subdir=proto");
    let out = run(dir.path(), &[("PROTOSYNC_GIT_TOKEN", token)], &spec, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), expected());
    let origin_seen = origin_seen.lock().unwrap();
    assert_eq!(
        header(&origin_seen[0].1, "authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    let target_seen = target_seen.lock().unwrap();
    assert_eq!(target_seen.len(), 1);
    assert_eq!(header(&target_seen[0].1, "authorization"), None);

    // A refused token: the message names the variable, never the token.
    let (base, _) = serve(
        "127.0.0.1",
        Box::new(|_, _| ("401 Unauthorized".into(), vec![], vec![])),
    );
    let out = run(
        dir.path(),
        &[("PROTOSYNC_GIT_TOKEN", token)],
        &format!("{base}/x.tar.gz"),
        &[],
    );
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("the token in PROTOSYNC_GIT_TOKEN was refused"),
        "{err}"
    );
    assert!(!err.contains(token), "{err}");
}

#[test]
fn archive_urls_must_be_http_and_carry_no_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], "ssh://host/x.tar.gz", &[]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("an archive is a local file or an http(s) URL"),
        "{}",
        stderr(&out)
    );
    let out = run(dir.path(), &[], "https://tok@127.0.0.1:9/x.zip", &[]);
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("carries credentials"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("tok@"), "{}", stderr(&out));
}
