//! The promises of docs/SECURITY.md, each checked end to end with real components: git
//! repositories in temp dirs, `git http-backend` behind a loopback HTTP server, a redirecting
//! server on 127.0.0.1 pointing at a second host on 127.0.0.2 (both loopback), a server that
//! accepts connections and never answers, and the real binary with a hermetic environment (no
//! tokens, no git identity, no proxies unless a test sets them).

#[path = "support/common.rs"]
mod common;
#[path = "support/git_http.rs"]
mod git_http;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{assert_code, git, read, stderr, stdout, write};
use git_http::{b64, Redirector, Server, Silent};
use tempfile::TempDir;

const BEFORE: &str =
    "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {\n  string id = 1;\n  string legacy_id = 3;\n}\n";
const AFTER: &str =
    "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {\n  string id = 1;\n}\n";

/// `protosync` with a hermetic environment: its own cache and home, no tokens, no proxies, no
/// git identity, no ssh agent.
fn protosync(tmp: &Path) -> Command {
    let mut c = Command::cargo_bin("protosync").unwrap();
    let home = tmp.join("home");
    std::fs::create_dir_all(&home).unwrap();
    c.env("PROTOSYNC_CACHE_DIR", tmp.join("cache"))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("PROTOSYNC_HTTP_RETRY_BASE_MS", "1")
        .env("no_proxy", "127.0.0.1,127.0.0.2,localhost")
        .env("NO_PROXY", "127.0.0.1,127.0.0.2,localhost");
    for var in [
        "PROTOSYNC_GIT_TOKEN",
        "PROTOSYNC_TOKEN",
        "PROTOSYNC_GIT_TIMEOUT",
        "GITHUB_TOKEN",
        "GITLAB_TOKEN",
        "GITEA_TOKEN",
        "GITHUB_SERVER_URL",
        "GITHUB_API_URL",
        "CI_SERVER_URL",
        "PROTOSYNC_TRACE",
        "PROTOSYNC_API_URL",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
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
    c.timeout(Duration::from_secs(120));
    c
}

/// A bare contract repository `<tmp>/srv/contracts.git` with `proto/acme/billing/v1/billing.proto`
/// at tag v1 (BEFORE) and main (AFTER).
fn contracts(tmp: &Path) -> PathBuf {
    let work = tmp.join("contracts-work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(&work, "proto/acme/billing/v1/billing.proto", BEFORE);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "v1"]);
    git(&work, &["tag", "v1"]);
    write(&work, "proto/acme/billing/v1/billing.proto", AFTER);
    git(&work, &["commit", "-q", "-am", "v2"]);
    let bare = tmp.join("srv/contracts.git");
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    git(
        tmp,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    bare
}

fn outputs(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

// ---------------------------------------------------------------------------------------------
// Where tokens go

/// A git remote on 127.0.0.1 that redirects to 127.0.0.2: the token (PROTOSYNC_GIT_TOKEN, or
/// GITHUB_TOKEN for the host of GITHUB_SERVER_URL) never reaches the second host; the fetch
/// fails naming both hosts. Without a token the redirect is followed as git follows it.
#[test]
fn a_git_token_never_follows_a_redirect_to_another_host() {
    const TOKEN: &str = "pst_redirect-SECRET-0042";
    let t = TempDir::new().unwrap();
    let bare = contracts(t.path());
    let second = Server::start_on("127.0.0.2", bare.parent().unwrap(), None);
    let first = Redirector::start(&second.base());
    let url = first.url("contracts.git");
    let input = format!("{url}#branch=main,subdir=proto");
    let against = format!("{url}#tag=v1,subdir=proto");
    let encoded = b64(format!("x-access-token:{TOKEN}").as_bytes());

    for (var, extra) in [
        ("PROTOSYNC_GIT_TOKEN", None),
        ("GITHUB_TOKEN", Some(first.base())),
    ] {
        let mut cmd = protosync(t.path());
        cmd.env(var, TOKEN);
        if let Some(server) = &extra {
            cmd.env("GITHUB_SERVER_URL", server);
        }
        let o = cmd
            .args(["breaking", &input, "--against", &against])
            .output()
            .unwrap();
        assert_code(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains("127.0.0.1")
                && err.contains("127.0.0.2")
                && err.contains("redirect")
                && err.contains(var),
            "{var}: {err}"
        );
        assert!(!outputs(&o).contains(TOKEN) && !outputs(&o).contains(&encoded));
        // The first host got the token (it is the one the user named); the second got nothing.
        assert!(
            first
                .authorizations()
                .iter()
                .any(|a| a.as_deref() == Some(&format!("Basic {encoded}"))),
            "{var}: {:?}",
            first.authorizations()
        );
        assert!(
            second.authorizations().iter().all(Option::is_none),
            "{var}: the second host received credentials: {:?}",
            second.authorizations()
        );
    }

    // No token: nothing to protect, the redirect is followed (git's behaviour) and the
    // comparison runs.
    let o = protosync(t.path())
        .args(["breaking", &input, "--against", &against])
        .output()
        .unwrap();
    assert_code(&o, 1);
    assert!(stdout(&o).contains("FIELD_NO_DELETE"), "{}", outputs(&o));
    assert!(second.authorizations().iter().all(Option::is_none));
    assert!(!second.requests().is_empty());
}

/// `sync --push` to a remote that redirects to another host: the push token stays home.
#[test]
fn a_push_token_never_follows_a_redirect_to_another_host() {
    const TOKEN: &str = "pst_push-SECRET-0043";
    let t = TempDir::new().unwrap();
    let bare = contracts(t.path());
    let svc_bare = t.path().join("srv/acme/billing.git");
    std::fs::create_dir_all(&svc_bare).unwrap();
    git(&svc_bare, &["init", "-q", "--bare", "-b", "main"]);
    let second = Server::start_on("127.0.0.2", &t.path().join("srv"), Some(TOKEN));
    let first = Redirector::start(&second.base());
    let svc = t.path().join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    git(&svc, &["init", "-q", "-b", "main"]);
    write(&svc, "src/main.rs", "fn main() {}\n");
    write(
        &svc,
        "protosync.toml",
        &format!(
            "[contract]\nrepo = \"file://{}\"\nref = \"v1\"\nroot = \"proto\"\n\n[[vendor]]\nfrom = \"acme/billing/v1\"\nto = \"third_party/proto/acme/billing/v1\"\n",
            bare.display()
        ),
    );
    assert_code(
        &protosync(t.path())
            .current_dir(&svc)
            .arg("sync")
            .output()
            .unwrap(),
        0,
    );
    git(&svc, &["add", "-A"]);
    git(&svc, &["commit", "-q", "-m", "vendor"]);
    git(
        &svc,
        &["remote", "add", "origin", &first.url("acme/billing.git")],
    );
    let o = protosync(t.path())
        .current_dir(&svc)
        .env("PROTOSYNC_GIT_TOKEN", TOKEN)
        .env("PROTOSYNC_GIT_AUTHOR", "protosync bot <bot@example.com>")
        .args(["sync", "--ref", "main", "--allow-breaking", "--push"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("127.0.0.2") && err.contains("redirect"),
        "{err}"
    );
    assert!(!outputs(&o).contains(TOKEN));
    assert!(
        second.authorizations().iter().all(Option::is_none),
        "the second host received credentials: {:?}",
        second.authorizations()
    );
}

/// The forge API client never follows a redirect: a 302 to another host is an error that says
/// where the API moved, and the second host receives nothing at all.
#[test]
fn a_forge_token_never_follows_a_redirect_to_another_host() {
    const TOKEN: &str = "ghp_forge-SECRET-0044";
    let t = TempDir::new().unwrap();
    let second = Server::start_on("127.0.0.2", t.path(), None);
    let first = Redirector::start(&second.base());
    let repo =
        protosync::forge::RepoRef::from_remote_url("https://github.com/acme/billing.git").unwrap();
    let env = |name: &str| match name {
        "GITHUB_TOKEN" => Some(TOKEN.to_owned()),
        "PROTOSYNC_HTTP_RETRY_BASE_MS" => Some("1".to_owned()),
        _ => None,
    };
    let forge = protosync::forge::client_with_env(
        protosync::forge::ForgeKind::Github,
        &repo,
        Some(&first.base()),
        &env,
    )
    .unwrap();
    let err = forge.find_open("protosync/contracts", "main").unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("302") && text.contains("127.0.0.2"), "{text}");
    assert!(!text.contains(TOKEN), "{text}");
    assert_eq!(first.authorizations().len(), 1);
    assert!(second.requests().is_empty(), "{:?}", second.requests());
}

/// A host is a forge by exact name, never because its name contains "github".
#[test]
fn forges_are_detected_by_exact_host() {
    use protosync::forge::{detect_with_env, ForgeKind};
    let none = |_: &str| None;
    assert_eq!(
        detect_with_env("https://github.com/acme/billing.git", &none),
        Some(ForgeKind::Github)
    );
    for url in [
        "https://github.attacker.example/acme/billing.git",
        "https://github.com.attacker.example/acme/billing.git",
        "https://mygithub.example/acme/billing.git",
        "https://gitlab.attacker.example/acme/billing.git",
        "https://gitea.attacker.example/acme/billing.git",
    ] {
        assert_eq!(detect_with_env(url, &none), None, "{url}");
    }
    let ghes =
        |name: &str| (name == "GITHUB_SERVER_URL").then(|| "https://ghe.acme.corp".to_owned());
    assert_eq!(
        detect_with_env("https://ghe.acme.corp/acme/billing.git", &ghes),
        Some(ForgeKind::Github)
    );
    assert_eq!(
        detect_with_env("https://ghe.acme.corp.attacker.example/a/b.git", &ghes),
        None
    );
}

// ---------------------------------------------------------------------------------------------
// Credentials in URLs

const SECRET: &str = "hunter2-SECRET-url";

/// A URL with credentials in protosync.toml, on the command line or in a [[service]] is never
/// printed with them: init/status/sync/check errors, fanout/fleet/impact text and JSON, the
/// fleet HTML; a warning says once that credentials belong in the environment.
#[test]
fn credentials_in_urls_are_never_shown() {
    let t = TempDir::new().unwrap();
    // Port 1 on loopback: refused at once.
    let url = format!("https://bob:{SECRET}@127.0.0.1:1/acme/contracts.git");
    let svc = t.path().join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    git(&svc, &["init", "-q", "-b", "main"]);

    let o = protosync(t.path())
        .current_dir(&svc)
        .args(["init", "--contract", &url, "--root", "proto"])
        .args(["--from", "acme/billing/v1", "--to", "third_party/acme"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(!outputs(&o).contains(SECRET), "{}", outputs(&o));
    assert!(stderr(&o).contains("credentials"), "{}", stderr(&o));
    assert!(!svc.join("protosync.toml").exists());

    write(
        &svc,
        "protosync.toml",
        &format!("[contract]\nrepo = \"{url}\"\nroot = \"proto\"\n\n[[vendor]]\nfrom = \"acme/billing/v1\"\nto = \"third_party/acme\"\n"),
    );
    write(
        &svc,
        "protosync.lock",
        "version = 1\n\n[contract]\nrepo = \"https://127.0.0.1:1/acme/contracts.git\"\nref = \"main\"\ncommit = \"0123456789abcdef0123456789abcdef01234567\"\n",
    );
    for args in [
        &["status"][..],
        &["status", "--format", "json"],
        &["sync"],
        &["sync", "--format", "json"],
        &["check", "--fail-behind"],
        &["check", "--fail-behind", "--format", "json"],
    ] {
        let o = protosync(t.path())
            .current_dir(&svc)
            .args(args)
            .output()
            .unwrap();
        assert_code(&o, 2);
        let text = outputs(&o);
        assert!(!text.contains(SECRET), "{args:?}: {text}");
        assert!(
            text.contains("127.0.0.1:1/acme/contracts.git"),
            "{args:?}: {text}"
        );
        assert_eq!(
            stderr(&o)
                .matches("credentials belong in the environment")
                .count(),
            1,
            "{args:?}: {text}"
        );
    }

    // The contract repository's [[service]] list.
    let contracts = t.path().join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "proto/acme/billing/v1/billing.proto", BEFORE);
    write(
        &contracts,
        "protosync.toml",
        &format!(
            "[[service]]\nname = \"billing\"\nrepo = \"https://x-access-token:{SECRET}@127.0.0.1:1/acme/billing.git\"\nforge = \"github\"\n"
        ),
    );
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "first"]);
    let html = t.path().join("fleet.html");
    let html_arg = html.display().to_string();
    for args in [
        &["fanout", "--dry-run"][..],
        &["fanout", "--dry-run", "--format", "json"],
        &["fleet"],
        &["fleet", "--format", "json"],
        &["fleet", "--format", "html", "--output", &html_arg],
        &["impact"],
        &["impact", "--format", "json"],
    ] {
        let o = protosync(t.path())
            .current_dir(&contracts)
            .args(args)
            .output()
            .unwrap();
        let text = outputs(&o);
        assert!(!text.contains(SECRET), "{args:?}: {text}");
        assert!(
            text.contains("127.0.0.1:1/acme/billing.git") || args.contains(&"html"),
            "{args:?}: {text}"
        );
        assert!(
            text.contains("credentials belong in the environment"),
            "{args:?}: {text}"
        );
    }
    let page = read(t.path(), "fleet.html");
    assert!(!page.contains(SECRET), "{page}");
    assert!(
        page.contains("href=\"https://127.0.0.1:1/acme/billing.git\""),
        "{page}"
    );
}

// ---------------------------------------------------------------------------------------------
// What a lock can make protosync do

/// A service repository synced from a local contract, with files of its own.
fn service(t: &Path) -> PathBuf {
    let bare = contracts(t);
    let svc = t.join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    git(&svc, &["init", "-q", "-b", "main"]);
    write(&svc, "src/main.rs", "fn main() {}\n");
    write(&svc, "src/keep.txt", "keep\n");
    write(
        &svc,
        "protosync.toml",
        &format!(
            "[contract]\nrepo = \"{}\"\nref = \"v1\"\nroot = \"proto\"\n\n[[vendor]]\nfrom = \"acme/billing/v1\"\nto = \"third_party/proto/acme/billing/v1\"\n",
            bare.display()
        ),
    );
    assert_code(
        &protosync(t).current_dir(&svc).arg("sync").output().unwrap(),
        0,
    );
    git(&svc, &["add", "-A"]);
    git(&svc, &["commit", "-q", "-m", "vendor"]);
    svc
}

/// sha256 through the library's own helper (the one the lock uses).
fn sha256(bytes: &[u8]) -> String {
    protosync::sync::lock::sha256_hex(bytes)
}

/// A `[[file]]` entry outside every mapping, or not a .proto, is an error naming its line;
/// nothing is deleted or written, with `--force` too.
#[test]
fn a_lock_entry_outside_the_vendored_set_is_refused_and_nothing_is_written() {
    let t = TempDir::new().unwrap();
    let svc = service(t.path());
    let lock = read(&svc, "protosync.lock");
    let main_sha = sha256(read(&svc, "src/main.rs").as_bytes());
    let cases = [
        ("src/main.rs", main_sha.clone(), "is not a .proto file"),
        ("protosync.toml", "0".repeat(64), "is not a .proto file"),
        (
            "third_party/proto/acme/billing/v1/notes.txt",
            "0".repeat(64),
            "is not a .proto file",
        ),
        (
            "src/evil.proto",
            "0".repeat(64),
            "is under no [[vendor]] mapping",
        ),
    ];
    for (path, sha, why) in cases {
        let hostile = format!(
            "{lock}\n[[file]]\npath = \"{path}\"\nsha256 = \"{sha}\"\nfrom = \"proto/acme/billing/v1/x.proto\"\n"
        );
        let line = hostile
            .lines()
            .position(|l| l.contains(&format!("path = \"{path}\"")))
            .unwrap()
            + 1;
        write(&svc, "protosync.lock", &hostile);
        for args in [
            &["sync", "--ref", "main", "--allow-breaking"][..],
            &["sync", "--ref", "main", "--allow-breaking", "--force"],
            &["status"],
            &["check"],
        ] {
            let o = protosync(t.path())
                .current_dir(&svc)
                .args(args)
                .output()
                .unwrap();
            assert_code(&o, 2);
            let err = stderr(&o);
            assert!(
                err.contains(&format!("protosync.lock:{line}:"))
                    && err.contains(why)
                    && err.contains(path),
                "{path} {args:?}: {err}"
            );
        }
        assert_eq!(
            read(&svc, "protosync.lock"),
            hostile,
            "the lock was rewritten"
        );
        assert_eq!(read(&svc, "src/main.rs"), "fn main() {}\n");
        assert_eq!(read(&svc, "src/keep.txt"), "keep\n");
        assert!(svc.join("protosync.toml").is_file());
        assert_eq!(
            read(&svc, "third_party/proto/acme/billing/v1/billing.proto"),
            BEFORE,
            "a vendored file was written"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Git timeouts

/// A remote that accepts the connection and never answers fails after PROTOSYNC_GIT_TIMEOUT
/// (http, ssh and git:// alike), naming the remote; `[git] timeout` in protosync.toml does the
/// same for the sync commands.
#[test]
fn a_remote_that_never_answers_times_out_naming_it() {
    let t = TempDir::new().unwrap();
    let silent = Silent::start();
    let port = silent.port();
    for url in [
        format!("http://127.0.0.1:{port}/acme/contracts.git"),
        format!("git://127.0.0.1:{port}/acme/contracts.git"),
        format!("ssh://git@127.0.0.1:{port}/acme/contracts.git"),
    ] {
        let started = Instant::now();
        let o = protosync(t.path())
            .env("PROTOSYNC_GIT_TIMEOUT", "2")
            .args([
                "breaking",
                &format!("{url}#branch=main"),
                "--against",
                &format!("{url}#branch=main"),
            ])
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let took = started.elapsed();
        assert_code(&o, 2);
        let err = stderr(&o);
        assert!(
            err.contains(&url) && err.to_ascii_lowercase().contains("timed out"),
            "{url}: {err}"
        );
        assert!(took < Duration::from_secs(30), "{url}: took {took:?}");
    }

    // The configuration key, for the sync commands.
    let svc = t.path().join("svc");
    std::fs::create_dir_all(&svc).unwrap();
    git(&svc, &["init", "-q", "-b", "main"]);
    let url = format!("http://127.0.0.1:{port}/acme/contracts.git");
    write(
        &svc,
        "protosync.toml",
        &format!("[git]\ntimeout = 2\n\n[contract]\nrepo = \"{url}\"\n\n[[vendor]]\nfrom = \"acme\"\nto = \"third_party/acme\"\n"),
    );
    let started = Instant::now();
    let o = protosync(t.path())
        .current_dir(&svc)
        .arg("status")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains(&url) && stderr(&o).contains("timed out"),
        "{}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    write(
        &svc,
        "protosync.toml",
        &format!("[git]\ntimeout = 0\n\n[contract]\nrepo = \"{url}\"\n\n[[vendor]]\nfrom = \"acme\"\nto = \"third_party/acme\"\n"),
    );
    let o = protosync(t.path())
        .current_dir(&svc)
        .arg("status")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("protosync.toml:2:11: git.timeout"),
        "{}",
        stderr(&o)
    );
    let o = protosync(t.path())
        .env("PROTOSYNC_GIT_TIMEOUT", "soon")
        .args([
            "breaking",
            &format!("{url}#branch=main"),
            "--against",
            &format!("{url}#branch=main"),
        ])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("PROTOSYNC_GIT_TIMEOUT"),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// What a contract repository (or an input) can make protosync read

/// An input directory whose buf.yaml points outside it (v2 module path, v1beta1 build root,
/// an absolute root) is refused naming the key; the outside file is never read or printed.
#[test]
fn buf_yaml_roots_outside_the_input_are_refused() {
    let t = TempDir::new().unwrap();
    write(
        t.path(),
        "outside/secret.proto",
        "OUTSIDE-FILE-CONTENT must never be printed\n",
    );
    let input = t.path().join("input");
    write(
        &input,
        "a/a.proto",
        "syntax = \"proto3\";\npackage a;\nmessage A {}\n",
    );
    let abs = t.path().join("outside").display().to_string();
    for (yaml, key) in [
        (
            "version: v2\nmodules:\n  - path: ../outside\n".to_owned(),
            "modules[0].path",
        ),
        (
            "version: v2\nmodules:\n  - path: a\n  - path: a/../../outside\n".to_owned(),
            "modules[1].path",
        ),
        (
            "version: v1beta1\nbuild:\n  roots: [../outside]\n".to_owned(),
            "build.roots[0]",
        ),
        (
            format!("version: v1beta1\nbuild:\n  roots:\n    - {abs}\n"),
            "build.roots[0]",
        ),
        (
            format!("version: v2\nmodules:\n  - path: {abs}\n"),
            "modules[0].path",
        ),
    ] {
        write(&input, "buf.yaml", &yaml);
        let dir = input.display().to_string();
        let o = protosync(t.path())
            .args(["breaking", &dir, "--against", &dir])
            .output()
            .unwrap();
        assert_code(&o, 2);
        let text = outputs(&o);
        assert!(
            text.contains(key) && text.contains("buf.yaml:"),
            "{yaml}: {text}"
        );
        assert!(!text.contains("OUTSIDE-FILE-CONTENT"), "{yaml}: {text}");
    }
}

/// A contract tree with an entry git would never write (`/abs.proto`, `.`) is refused by
/// `init` exactly as by `sync`.
#[test]
fn init_refuses_a_crafted_contract_tree_as_sync_does() {
    let t = TempDir::new().unwrap();
    let repo = t.path().join("contracts");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for (n, name) in ["/abs.proto", "."].iter().enumerate() {
        // A tree object written byte by byte: acme/billing/v1/<name> plus a good file.
        let hash = |kind: &str, bytes: &[u8]| -> Vec<u8> {
            let mut child = std::process::Command::new("git")
                .current_dir(&repo)
                .args(["hash-object", "-w", "--literally", "-t", kind, "--stdin"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(bytes).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success());
            let hex = String::from_utf8(out.stdout).unwrap();
            (0..40)
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex.trim()[i..i + 2], 16).unwrap())
                .collect()
        };
        let hex = |raw: &[u8]| raw.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let blob = hash("blob", BEFORE.as_bytes());
        let entry = |mode: &str, name: &str, id: &[u8]| {
            let mut e = format!("{mode} {name}\0").into_bytes();
            e.extend_from_slice(id);
            e
        };
        // Entries sorted as git sorts them (both names sort before "billing.proto"); `.` is
        // a directory holding a .proto, `/abs.proto` a file.
        let mut v1 = if *name == "." {
            let inner = hash("tree", &entry("100644", "dot.proto", &blob));
            entry("40000", name, &inner)
        } else {
            entry("100644", name, &blob)
        };
        v1.extend(entry("100644", "billing.proto", &blob));
        let v1 = hash("tree", &v1);
        let billing = hash("tree", &entry("40000", "v1", &v1));
        let acme = hash("tree", &entry("40000", "billing", &billing));
        let proto = hash("tree", &entry("40000", "acme", &acme));
        let root = hash("tree", &entry("40000", "proto", &proto));
        let commit = git(&repo, &["commit-tree", &hex(&root), "-m", "crafted"]);
        git(&repo, &["update-ref", "refs/heads/main", commit.trim()]);

        let svc = t.path().join(format!("svc{n}"));
        std::fs::create_dir_all(&svc).unwrap();
        git(&svc, &["init", "-q", "-b", "main"]);
        let contract = repo.display().to_string();
        let to = "third_party/proto/acme/billing/v1";
        let o = protosync(t.path())
            .current_dir(&svc)
            .args(["init", "--contract", &contract, "--root", "proto"])
            .args(["--from", "acme/billing/v1", "--to", to])
            .output()
            .unwrap();
        assert_code(&o, 2);
        let init_err = stderr(&o);
        assert!(
            init_err.contains("refusing the contract tree"),
            "{name}: {init_err}"
        );
        assert!(!svc.join("protosync.toml").exists() && !svc.join("third_party").exists());

        write(
            &svc,
            "protosync.toml",
            &format!("[contract]\nrepo = \"{contract}\"\nroot = \"proto\"\n\n[[vendor]]\nfrom = \"acme/billing/v1\"\nto = \"{to}\"\n"),
        );
        let o = protosync(t.path())
            .current_dir(&svc)
            .arg("sync")
            .output()
            .unwrap();
        assert_code(&o, 2);
        assert_eq!(stderr(&o), init_err, "{name}: init and sync refuse alike");
        assert!(!svc.join("third_party").exists());
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration validation

/// A service repository with a local contract and one config file to vary.
fn validation_world(t: &Path) -> PathBuf {
    service(t)
}

fn config_with(svc: &Path, extra: &str) {
    let text = read(svc, "protosync.toml");
    let base = text.split("\n[breaking]").next().unwrap().to_owned();
    write(svc, "protosync.toml", &format!("{base}{extra}"));
}

/// Bad configuration is refused at load, in every command that reads it, naming the key and
/// the line: not later, once the contract moves.
#[test]
fn bad_configuration_fails_at_load_in_every_command() {
    let t = TempDir::new().unwrap();
    let svc = validation_world(t.path());
    for (extra, want) in [
        ("\n[breaking]\nuse = [\"FILEE\"]\n", "breaking.use"),
        (
            "\n[breaking]\nexcept = [\"FIELD_NO_DELETEE\"]\n",
            "breaking.except",
        ),
        ("\n[breaking]\nignore = [\"[[\"]\n", "breaking.ignore[1]"),
    ] {
        config_with(&svc, extra);
        let line = read(&svc, "protosync.toml").lines().count();
        for args in [&["check"][..], &["status"], &["sync", "--dry-run"]] {
            let o = protosync(t.path())
                .current_dir(&svc)
                .args(args)
                .output()
                .unwrap();
            assert_code(&o, 2);
            let err = stderr(&o);
            assert!(
                err.contains(want) && err.contains(&format!("protosync.toml:{line}:")),
                "{extra} {args:?}: {err}"
            );
        }
    }
    config_with(&svc, "");

    // A newline in vendor.to (it would corrupt diff headers) and in a lock path.
    let good = read(&svc, "protosync.toml");
    write(
        &svc,
        "protosync.toml",
        &good.replace(
            "to = \"third_party/proto/acme/billing/v1\"",
            "to = \"third_party/proto\\nx\"",
        ),
    );
    let o = protosync(t.path())
        .current_dir(&svc)
        .arg("status")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("vendor[1].to") && stderr(&o).contains("control character"),
        "{}",
        stderr(&o)
    );
    write(&svc, "protosync.toml", &good);
    let lock = read(&svc, "protosync.lock");
    write(
        &svc,
        "protosync.lock",
        &lock.replace(
            "billing/v1/billing.proto\"",
            "billing/v1/bil\\nling.proto\"",
        ),
    );
    let o = protosync(t.path())
        .current_dir(&svc)
        .arg("check")
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("protosync.lock:")
            && stderr(&o).contains("file[1].path")
            && stderr(&o).contains("control character"),
        "{}",
        stderr(&o)
    );
    write(&svc, "protosync.lock", &lock);
    assert_code(
        &protosync(t.path())
            .current_dir(&svc)
            .arg("check")
            .output()
            .unwrap(),
        0,
    );
}

/// buf.yaml is read as strictly as buf 1.75 reads it: unknown keys, a list at the top, a
/// version that is a number, rule ids and path patterns are errors at load naming the key.
#[test]
fn bad_buf_yaml_is_refused_like_buf_refuses_it() {
    let t = TempDir::new().unwrap();
    let input = t.path().join("input");
    write(
        &input,
        "a/a.proto",
        "syntax = \"proto3\";\npackage a;\nmessage A {}\n",
    );
    let dir = input.display().to_string();
    for (yaml, want) in [
        (
            "version: v2\nbreakng:\n  use: [FILE]\n",
            "buf.yaml:2: breakng: unknown key (did you mean breaking?)",
        ),
        (
            "version: v1\nbuild:\n  excludes: []\n  rots: [a]\n",
            "buf.yaml:4: build.rots: unknown key",
        ),
        (
            "version: v2\nmodules:\n  - path: a\n    breakng: {}\n",
            "modules[0].breakng: unknown key",
        ),
        ("- version: v2\n", "buf.yaml:1: the document is a list"),
        (
            "version: 1\n",
            "buf.yaml:1: version: unknown buf.yaml version 1",
        ),
        (
            "version: v1\nbuild:\n  roots: [a]\n",
            "build.roots: cannot be set on version v1",
        ),
        (
            "version: v2\nbreaking:\n  use: [FILEE]\n",
            "buf.yaml:3 (breaking.use): unknown rule or category \"FILEE\"",
        ),
        (
            "version: v2\nbreaking:\n  ignore: [\"[[\"]\n",
            "buf.yaml:3: breaking.ignore[0]: invalid path pattern",
        ),
    ] {
        write(&input, "buf.yaml", yaml);
        let o = protosync(t.path())
            .args(["breaking", &dir, "--against", &dir])
            .output()
            .unwrap();
        assert_code(&o, 2);
        assert!(stderr(&o).contains(want), "{yaml}: {}", stderr(&o));
    }
}

/// A JSON image with an enum value descriptor.proto does not have is an error, not a field
/// of no type.
#[test]
fn a_json_image_with_an_unknown_enum_value_is_refused() {
    let t = TempDir::new().unwrap();
    let image = r#"{"file":[{"name":"a.proto","package":"a","syntax":"proto3","messageType":[{"name":"A","field":[{"name":"x","number":1,"label":"LABEL_OPTIONAL","type":"TYPE_NOPE","jsonName":"x"}]}]}]}"#;
    write(t.path(), "img.json", image);
    let good = image.replace("TYPE_NOPE", "TYPE_STRING");
    write(t.path(), "good.json", &good);
    let img = t.path().join("img.json").display().to_string();
    let good_img = t.path().join("good.json").display().to_string();
    let o = protosync(t.path())
        .args(["breaking", &img, "--against", &good_img])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("file[0].messageType[0].field[0].type")
            && stderr(&o).contains("TYPE_NOPE"),
        "{}",
        stderr(&o)
    );
    let o = protosync(t.path())
        .args(["breaking", &good_img, "--against", &good_img])
        .output()
        .unwrap();
    assert_code(&o, 0);
}
