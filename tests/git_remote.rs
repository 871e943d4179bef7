//! Remote repositories through the real binary: a `file://` remote fetched into the cache and
//! reused (also `--offline` once the origin is gone), a smart-HTTP remote (git's own
//! `git http-backend` behind a small loopback server) that requires a token, shallow fetches
//! and their deepening, commits by sha, bad refs, and two processes on one cold cache.
//!
//! Every network action stays on 127.0.0.1; every loop and wait is bounded.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use tempfile::TempDir;

const BEFORE: &str = "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n  int64 total = 2;\n}\n";
const AFTER: &str = "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n  string total = 2;\n}\n";
const FINDING: &str = "acme/v1/invoice.proto:6:3: FIELD_SAME_TYPE Field \"2\" with name \"total\" on message \"Invoice\" changed type from \"int64\" to \"string\".\n";
const PROTO: &str = "proto/acme/v1/invoice.proto";

// ---------------------------------------------------------------------------------------------
// Repositories

/// Runs `git` hermetically (no user or system configuration, fixed identity).
fn git(dir: &Path, args: &[&str]) -> String {
    let out = StdCommand::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A work repository with one commit per entry of `versions` (the contents of
/// `proto/acme/v1/invoice.proto`) on `main`, and an annotated tag `v1` on the first commit,
/// cloned bare to `<root>/contracts.git`. Returns the bare repository and the commit ids,
/// oldest first.
fn contracts(root: &Path, versions: &[&str]) -> (PathBuf, Vec<String>) {
    let work = root.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    let mut ids = Vec::new();
    for (i, text) in versions.iter().enumerate() {
        write(&work, PROTO, text);
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", &format!("version {i}")]);
        ids.push(git(&work, &["rev-parse", "HEAD"]));
        if i == 0 {
            git(&work, &["tag", "-a", "v1", "-m", "v1"]);
        }
    }
    git(&work, &["branch", "-q", "release"]);
    let bare = root.join("contracts.git");
    git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    (bare, ids)
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The four versions of the shallow tests: HEAD~3 and HEAD~2 hold the old contract,
/// HEAD~1 and HEAD the new one.
fn four_versions() -> Vec<String> {
    vec![
        BEFORE.to_owned(),
        format!("// Invoices.\n{BEFORE}"),
        AFTER.to_owned(),
        format!("{AFTER}\nmessage Refund {{\n  string id = 1;\n}}\n"),
    ]
}

// ---------------------------------------------------------------------------------------------
// The binary

/// `protosync` with a hermetic environment: the given cache, no tokens, no proxies, no user
/// configuration.
fn protosync_std(cache: &Path, home: &Path) -> StdCommand {
    let mut c = StdCommand::new(assert_cmd::cargo::cargo_bin("protosync"));
    c.env("PROTOSYNC_CACHE_DIR", cache)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("NO_PROXY", "127.0.0.1,localhost");
    for var in [
        "PROTOSYNC_GIT_TOKEN",
        "GITHUB_TOKEN",
        "GITHUB_SERVER_URL",
        "PROTOSYNC_TRACE",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "SSH_AUTH_SOCK",
    ] {
        c.env_remove(var);
    }
    c
}

fn protosync(cache: &Path, home: &Path) -> Command {
    let mut c = Command::from_std(protosync_std(cache, home));
    c.timeout(Duration::from_secs(120));
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command, args: &[&str]) -> Run {
    let out = cmd.args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn breaking(cmd: &mut Command, input: &str, against: &str, extra: &[&str]) -> Run {
    let mut args = vec!["breaking", input, "--against", against];
    args.extend_from_slice(extra);
    run(cmd, &args)
}

/// The cache entries (one directory per URL) under `<cache>/git`.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(cache.join("git")) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// The only cache entry's bare repository.
fn cached_repo(cache: &Path) -> git2::Repository {
    let e = entries(cache);
    assert_eq!(e.len(), 1, "{e:?}");
    git2::Repository::open_bare(e[0].join("repo")).unwrap()
}

/// Every file under `dir`, recursively (bounded depth).
fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = stack.pop() {
        assert!(depth < 32, "cache nests too deep: {}", d.display());
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push((p, depth + 1));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn commits_on(repo: &git2::Repository, refname: &str) -> usize {
    let mut walk = repo.revwalk().unwrap();
    walk.push(repo.refname_to_id(refname).unwrap()).unwrap();
    walk.take(1000).count()
}

#[path = "support/git_http.rs"]
mod git_http;
use git_http::{b64, Server};

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn file_remote_is_cached_reused_and_read_offline() {
    let t = TempDir::new().unwrap();
    let (bare, _) = contracts(t.path(), &[BEFORE, AFTER]);
    let cache = t.path().join("cache");
    let url = file_url(&bare);
    let input = format!("{url}#branch=main,subdir=proto");
    let against = format!("{url}#tag=v1,subdir=proto");

    let cold = breaking(&mut protosync(&cache, t.path()), &input, &against, &[]);
    assert_eq!(cold.code, Some(1), "{}", cold.stderr);
    assert_eq!(cold.stdout, FINDING);
    let e = entries(&cache);
    assert_eq!(e.len(), 1, "one entry per URL: {e:?}");
    assert_eq!(
        std::fs::read_to_string(e[0].join("url.txt")).unwrap(),
        format!("{url}\n")
    );
    let name = e[0].file_name().unwrap().to_str().unwrap();
    assert!(
        name.len() == 32 && name.chars().all(|c| c.is_ascii_hexdigit()),
        "{name}"
    );

    let warm = breaking(&mut protosync(&cache, t.path()), &input, &against, &[]);
    assert_eq!((warm.code, warm.stdout.as_str()), (Some(1), FINDING));
    assert_eq!(entries(&cache), e, "the second run reuses the entry");

    // The origin goes away: --offline still answers from the cache ...
    std::fs::rename(&bare, t.path().join("moved.git")).unwrap();
    let offline = breaking(
        &mut protosync(&cache, t.path()),
        &input,
        &against,
        &["--offline"],
    );
    assert_eq!(offline.code, Some(1), "{}", offline.stderr);
    assert_eq!(offline.stdout, FINDING);
    // ... HEAD was never fetched, so it is not in the cache ...
    let head = breaking(
        &mut protosync(&cache, t.path()),
        &format!("{url}#subdir=proto"),
        &against,
        &["--offline"],
    );
    assert_eq!(head.code, Some(2));
    assert!(
        head.stderr.contains(&format!(
            "HEAD is not in the cache of {url} and --offline forbids fetching; run once without --offline"
        )),
        "{}",
        head.stderr
    );
    // ... and without --offline the missing origin is named, with the way out.
    let gone = breaking(&mut protosync(&cache, t.path()), &input, &against, &[]);
    assert_eq!(gone.code, Some(2));
    assert!(gone.stdout.is_empty());
    assert!(
        gone.stderr.contains(&format!("cannot fetch {url}"))
            && gone.stderr.contains("add --offline to use it"),
        "{}",
        gone.stderr
    );
}

#[test]
fn http_remote_requires_the_token_and_never_stores_or_prints_it() {
    const TOKEN: &str = "pst_Zq8w1-fake-token-7c41d2";
    let t = TempDir::new().unwrap();
    let (bare, _) = contracts(t.path(), &[BEFORE, AFTER]);
    let server = Server::start(bare.parent().unwrap(), Some(TOKEN));
    let cache = t.path().join("cache");
    let url = server.url("contracts.git");
    let input = format!("{url}#branch=main,subdir=proto");
    let against = format!("{url}#tag=v1,subdir=proto");
    let mut outputs = Vec::new();

    let none = breaking(&mut protosync(&cache, t.path()), &input, &against, &[]);
    assert_eq!(none.code, Some(2), "{}", none.stderr);
    assert!(
        none.stderr.contains(&format!("cannot fetch {url}"))
            && none.stderr.contains("requires authentication")
            && none.stderr.contains("PROTOSYNC_GIT_TOKEN"),
        "{}",
        none.stderr
    );
    outputs.push(none);

    let wrong = breaking(
        protosync(&cache, t.path()).env("PROTOSYNC_GIT_TOKEN", "wrong-token-0000"),
        &input,
        &against,
        &[],
    );
    assert_eq!(wrong.code, Some(2));
    assert!(
        wrong
            .stderr
            .contains("the server refused the token from PROTOSYNC_GIT_TOKEN"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.stderr.contains("wrong-token-0000"));

    // GITHUB_TOKEN is an ambient CI credential: it goes to GitHub hosts only.
    let ambient = breaking(
        protosync(&cache, t.path()).env("GITHUB_TOKEN", TOKEN),
        &input,
        &against,
        &[],
    );
    assert_eq!(ambient.code, Some(2));
    assert!(
        ambient.stderr.contains("requires authentication"),
        "{}",
        ambient.stderr
    );
    outputs.push(ambient);
    assert!(
        server.refused.lock().unwrap().iter().all(|h| h
            .as_deref()
            .is_none_or(|h| !h.contains(&b64(format!("x-access-token:{TOKEN}").as_bytes())))),
        "the token was offered to a host it does not belong to"
    );

    let ok = breaking(
        protosync(&cache, t.path())
            .env("PROTOSYNC_GIT_TOKEN", TOKEN)
            .env("PROTOSYNC_TRACE", "1"),
        &input,
        &against,
        &[],
    );
    assert_eq!(ok.code, Some(1), "{}", ok.stderr);
    assert_eq!(ok.stdout, FINDING);
    outputs.push(ok);
    // A warm cache costs one request per ref: the ref advertisement, and no pack when
    // nothing moved.
    let before = server.requests().len();
    let warm = breaking(
        protosync(&cache, t.path()).env("PROTOSYNC_GIT_TOKEN", TOKEN),
        &input,
        &against,
        &[],
    );
    assert_eq!((warm.code, warm.stdout.as_str()), (Some(1), FINDING));
    assert_eq!(
        server.requests()[before..],
        [
            "GET /contracts.git/info/refs?service=git-upload-pack HTTP/1.1",
            "GET /contracts.git/info/refs?service=git-upload-pack HTTP/1.1"
        ],
    );
    outputs.push(warm);

    let encoded = b64(format!("x-access-token:{TOKEN}").as_bytes());
    for o in &outputs {
        for text in [&o.stdout, &o.stderr] {
            assert!(
                !text.contains(TOKEN) && !text.contains(&encoded),
                "token in output: {text}"
            );
        }
    }
    let files = all_files(&cache);
    assert!(
        files.iter().any(|f| f.ends_with("repo/config")),
        "{files:?}"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(TOKEN) && !text.contains(&encoded),
            "token stored in {}",
            f.display()
        );
    }
    let repo = cached_repo(&cache);
    let config = std::fs::read_to_string(repo.path().join("config")).unwrap();
    assert!(!config.contains("[remote"), "{config}");
}

#[test]
fn branch_fetches_are_shallow_and_ref_expressions_deepen() {
    let t = TempDir::new().unwrap();
    let versions = four_versions();
    let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
    let (bare, ids) = contracts(t.path(), &versions);
    let server = Server::start(bare.parent().unwrap(), None);
    let url = server.url("contracts.git");
    let main = format!("{url}#branch=main,subdir=proto");

    // A CI-like run: the branch alone, one commit deep.
    let cache = t.path().join("cache-a");
    let same = breaking(&mut protosync(&cache, t.path()), &main, &main, &[]);
    assert_eq!(same.code, Some(0), "{}", same.stderr);
    {
        let repo = cached_repo(&cache);
        assert!(repo.is_shallow(), "branch=main fetches depth 1");
        assert_eq!(commits_on(&repo, "refs/remotes/origin/main"), 1);
    }
    // HEAD~2 needs history: fetched 50 deep, which is all of it here.
    let back = breaking(
        protosync(&cache, t.path()).env("PROTOSYNC_TRACE", "1"),
        &main,
        &format!("{url}#ref=HEAD~2,subdir=proto"),
        &[],
    );
    assert_eq!(back.code, Some(1), "{}", back.stderr);
    assert_eq!(back.stdout, FINDING);
    assert_eq!(
        commits_on(&cached_repo(&cache), "refs/remotes/origin/HEAD"),
        4
    );

    // An explicit depth too small for the expression: fetched again deeper.
    let cache = t.path().join("cache-b");
    let deepened = breaking(
        protosync(&cache, t.path()).env("PROTOSYNC_TRACE", "1"),
        &main,
        &format!("{url}#ref=HEAD~2,depth=1,subdir=proto"),
        &[],
    );
    assert_eq!(deepened.code, Some(1), "{}", deepened.stderr);
    assert_eq!(deepened.stdout, FINDING);
    assert!(deepened.stderr.contains("deepening"), "{}", deepened.stderr);
    // `branch=...,ref=HEAD~N` counts back from that branch.
    let on_branch = breaking(
        &mut protosync(&cache, t.path()),
        &main,
        &format!("{url}#branch=release,ref=HEAD~3,subdir=proto"),
        &[],
    );
    assert_eq!(
        (on_branch.code, on_branch.stdout.as_str()),
        (Some(1), FINDING)
    );

    // Commits by sha, full and abbreviated, on a cold cache. The server allows fetching a
    // reachable commit by id (as GitHub does), so the full sha comes alone, one commit deep.
    git(
        &bare,
        &["config", "uploadpack.allowReachableSHA1InWant", "true"],
    );
    let cache = t.path().join("cache-c");
    let full = breaking(
        &mut protosync(&cache, t.path()),
        &main,
        &format!("{url}#commit={},subdir=proto", ids[1]),
        &[],
    );
    assert_eq!(
        (full.code, full.stdout.as_str()),
        (Some(1), FINDING),
        "{}",
        full.stderr
    );
    {
        let repo = cached_repo(&cache);
        let by_id = format!("refs/protosync/commits/{}", ids[1]);
        assert_eq!(repo.refname_to_id(&by_id).unwrap().to_string(), ids[1]);
        assert!(repo.is_shallow());
        assert_eq!(commits_on(&repo, &by_id), 1);
    }
    let short = breaking(
        &mut protosync(&cache, t.path()),
        &main,
        &format!("{url}#commit={},subdir=proto", &ids[0][..8]),
        &[],
    );
    assert_eq!(
        (short.code, short.stdout.as_str()),
        (Some(1), FINDING),
        "{}",
        short.stderr
    );
    // A cached commit needs no network at all: the server is gone and this still works.
    drop(server);
    let cached = breaking(
        &mut protosync(&cache, t.path()),
        &format!("{url}#commit={},subdir=proto", ids[3]),
        &format!("{url}#commit={},subdir=proto", &ids[0][..8]),
        &[],
    );
    assert_eq!(
        (cached.code, cached.stdout.as_str()),
        (Some(1), FINDING),
        "{}",
        cached.stderr
    );
}

#[test]
fn refs_the_remote_lacks_and_an_empty_offline_cache_are_clear_errors() {
    let t = TempDir::new().unwrap();
    let (bare, _) = contracts(t.path(), &[BEFORE, AFTER]);
    let url = file_url(&bare);
    let cache = t.path().join("cache");
    let good = format!("{url}#branch=main,subdir=proto");

    let branch = breaking(
        &mut protosync(&cache, t.path()),
        &format!("{url}#branch=mian,subdir=proto"),
        &good,
        &[],
    );
    assert_eq!(branch.code, Some(2));
    assert!(
        branch.stderr.contains(&format!(
            "branch \"mian\" not found in remote repository {url}; closest: main"
        )),
        "{}",
        branch.stderr
    );

    let tag = breaking(
        &mut protosync(&cache, t.path()),
        &good,
        &format!("{url}#tag=v2,subdir=proto"),
        &[],
    );
    assert_eq!(tag.code, Some(2));
    assert!(
        tag.stderr.contains(&format!(
            "tag \"v2\" not found in remote repository {url}; closest: v1"
        )),
        "{}",
        tag.stderr
    );

    let empty = t.path().join("empty-cache");
    let offline = breaking(
        &mut protosync(&empty, t.path()),
        &good,
        &good,
        &["--offline"],
    );
    assert_eq!(offline.code, Some(2));
    assert!(
        offline.stderr.contains(&format!(
            "branch main is not in the cache of {url} and --offline forbids fetching; run once without --offline"
        )),
        "{}",
        offline.stderr
    );
    assert!(entries(&empty).is_empty(), "--offline writes nothing");

    // A token in the URL is refused, and not echoed.
    let secret = breaking(
        &mut protosync(&cache, t.path()),
        "https://bot:hunter2-secret@127.0.0.1:9/contracts.git#branch=main",
        &good,
        &[],
    );
    assert_eq!(secret.code, Some(2));
    assert!(
        secret.stderr.contains("PROTOSYNC_GIT_TOKEN") && !secret.stderr.contains("hunter2"),
        "{}",
        secret.stderr
    );
}

#[test]
fn two_processes_share_one_cold_cache() {
    let t = TempDir::new().unwrap();
    let (bare, _) = contracts(t.path(), &[BEFORE, AFTER]);
    let server = Server::start(bare.parent().unwrap(), None);
    let url = server.url("contracts.git");
    let cache = t.path().join("cache");
    let input = format!("{url}#branch=main,subdir=proto");
    let against = format!("{url}#tag=v1,subdir=proto");

    let children: Vec<_> = (0..2)
        .map(|_| {
            protosync_std(&cache, t.path())
                .args(["breaking", &input, "--against", &against])
                .env("PROTOSYNC_TRACE", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut outputs = Vec::new();
    for mut child in children {
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a protosync process hung");
            thread::sleep(Duration::from_millis(20));
        }
        outputs.push(child.wait_with_output().unwrap());
    }
    for o in &outputs {
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&o.stdout), FINDING);
    }
    let e = entries(&cache);
    assert_eq!(e.len(), 1, "{e:?}");
    let mut names: Vec<String> = std::fs::read_dir(&e[0])
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["lock", "repo", "url.txt"]);
    let repo = cached_repo(&cache);
    assert!(repo.find_reference("refs/remotes/origin/main").is_ok());
    assert!(repo.find_reference("refs/tags/v1").is_ok());
    git(&e[0].join("repo"), &["fsck", "--no-progress"]);
}

/// A child process killed when the test ends.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} never came up"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// ssh against a real sshd on 127.0.0.1 (where OpenSSH's server is installed): the agent's
/// key gets in; a key the server refuses ends in a message, not in libgit2 asking forever;
/// no agent and an unknown host key are explained.
#[test]
fn ssh_remote_uses_the_agent_and_gives_up_on_a_refused_key() {
    let sshd = Path::new("/usr/sbin/sshd");
    let have = |tool: &str| {
        StdCommand::new(tool)
            .arg("-h")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    if !sshd.exists() || !have("ssh-agent") || !have("ssh-keygen") || !have("ssh-add") {
        // CI installs OpenSSH (scripts/install-test-tools.sh): there the test must run.
        assert!(
            std::env::var_os("CI").is_none(),
            "OpenSSH server or client tools missing: run scripts/install-test-tools.sh"
        );
        eprintln!("skipped: OpenSSH server or client tools not installed");
        return;
    }
    let t = TempDir::new().unwrap();
    let (bare, _) = contracts(t.path(), &[BEFORE, AFTER]);
    let s = t.path().join("ssh");
    let home = t.path().join("home");
    std::fs::create_dir_all(&s).unwrap();
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    for key in ["hostkey", "good", "bad"] {
        let status = StdCommand::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(s.join(key))
            .status()
            .unwrap();
        assert!(status.success());
    }
    std::fs::copy(s.join("good.pub"), s.join("authorized_keys")).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = s.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {host}\nAuthorizedKeysFile {keys}\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile {pid}\n",
            host = s.join("hostkey").display(),
            keys = s.join("authorized_keys").display(),
            pid = s.join("sshd.pid").display(),
        ),
    )
    .unwrap();
    // sshd insists on its privilege-separation directory when it runs as root.
    let _ = std::fs::create_dir_all("/run/sshd");
    let _sshd = Daemon(
        StdCommand::new(sshd)
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(s.join("sshd.log"))
            .spawn()
            .unwrap(),
    );
    wait_for("sshd", || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let host_pub = std::fs::read_to_string(s.join("hostkey.pub")).unwrap();
    let host_key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
    std::fs::write(
        home.join(".ssh/known_hosts"),
        format!("[127.0.0.1]:{port} {}\n", host_key.join(" ")),
    )
    .unwrap();
    let agent = |name: &str, key: &str| {
        let sock = s.join(format!("{name}.sock"));
        let daemon = Daemon(
            StdCommand::new("ssh-agent")
                .arg("-D")
                .arg("-a")
                .arg(&sock)
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_for("ssh-agent", || sock.exists());
        let status = StdCommand::new("ssh-add")
            .arg("-q")
            .arg(s.join(key))
            .env("SSH_AUTH_SOCK", &sock)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        (daemon, sock)
    };
    let (_good_agent, good_sock) = agent("good-agent", "good");
    let (_bad_agent, bad_sock) = agent("bad-agent", "bad");
    let user = String::from_utf8(StdCommand::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned();
    let url = format!("ssh://{user}@127.0.0.1:{port}{}", bare.display());
    let input = format!("{url}#branch=main,subdir=proto");
    let against = format!("{url}#tag=v1,subdir=proto");

    let ok = breaking(
        protosync(&t.path().join("cache-ok"), &home).env("SSH_AUTH_SOCK", &good_sock),
        &input,
        &against,
        &[],
    );
    assert_eq!(ok.code, Some(1), "{}", ok.stderr);
    assert_eq!(ok.stdout, FINDING);

    let started = Instant::now();
    let refused = breaking(
        protosync(&t.path().join("cache-bad"), &home).env("SSH_AUTH_SOCK", &bad_sock),
        &input,
        &against,
        &[],
    );
    assert_eq!(refused.code, Some(2));
    assert!(
        refused.stderr.contains(&format!(
            "cannot fetch {url}: ssh authentication as \"{user}\" failed: no key offered by the ssh agent was accepted"
        )),
        "{}",
        refused.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    let no_agent = breaking(
        &mut protosync(&t.path().join("cache-none"), &home),
        &input,
        &against,
        &[],
    );
    assert_eq!(no_agent.code, Some(2));
    assert!(
        no_agent.stderr.contains("SSH_AUTH_SOCK is not set"),
        "{}",
        no_agent.stderr
    );

    let stranger = t.path().join("stranger");
    std::fs::create_dir_all(&stranger).unwrap();
    let unknown = breaking(
        protosync(&t.path().join("cache-unknown"), &stranger).env("SSH_AUTH_SOCK", &good_sock),
        &input,
        &against,
        &[],
    );
    assert_eq!(unknown.code, Some(2));
    assert!(unknown.stderr.contains("known_hosts"), "{}", unknown.stderr);
}
