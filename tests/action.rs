//! The GitHub Action (action.yml, scripts/action/*.sh, docs/ACTION.md): its shell steps run
//! here against a fake GitHub environment — `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`,
//! `GITHUB_PATH`, a pull_request event in `GITHUB_EVENT_PATH`, `GITHUB_API_URL` pointing at the
//! loopback forge server (which validates every request against GitHub's REST description),
//! real git repositories in temp dirs, and release assets served over loopback HTTP.
//!
//! What cannot run here (a real runner: `uses:` steps such as actions/cache, the expression
//! engine, the upload of annotations) is listed in docs/ACTION.md. actionlint checks the example
//! workflows when it is installed (scripts/install-test-tools.sh; required under CI=true).

#[path = "support/forge_server/mod.rs"]
mod forge_server;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use forge_server::ForgeServer;
use protosync::forge::ForgeKind;
use serde_json::{json, Value};
use tempfile::TempDir;

const TOKEN: &str = "ghp_protosyncACTIONtoken0123456789";
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_protosync"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_code(o: &Output, code: i32) {
    let (out, err) = text(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{out}\nstderr:\n{err}"
    );
}

fn billing(memo: bool) -> String {
    format!(
        "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {{\n  string id = 1;\n  int64 total_cents = 2;{}\n}}\n",
        if memo { "\n  string memo = 4;" } else { "" }
    )
}

/// A fake runner: the files GitHub hands a step, a home, a temp dir, and the environment.
/// Like a fresh GitHub-hosted runner, it has no git identity: an empty HOME, no system or
/// global git configuration, no `GIT_AUTHOR_*`/`GIT_COMMITTER_*`, no `PROTOSYNC_GIT_AUTHOR`.
struct Runner {
    tmp: TempDir,
    env: BTreeMap<String, String>,
}

impl Runner {
    fn new() -> Runner {
        let tmp = TempDir::new().unwrap();
        for d in ["home", "runner-temp", "tool-cache", "cache"] {
            std::fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        let p = |rel: &str| tmp.path().join(rel).display().to_string();
        let bin_dir = bin().parent().unwrap().display().to_string();
        let path = format!("{bin_dir}:{}", std::env::var("PATH").unwrap_or_default());
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("PATH", path),
            ("HOME", p("home")),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
            ("NO_COLOR", "1".into()),
            ("CI", "true".into()),
            ("GITHUB_ACTIONS", "true".into()),
            ("GITHUB_OUTPUT", p("output")),
            ("GITHUB_STEP_SUMMARY", p("summary.md")),
            ("GITHUB_PATH", p("path")),
            ("GITHUB_SERVER_URL", "https://github.com".into()),
            ("GITHUB_REPOSITORY", "acme/contracts".into()),
            ("GITHUB_RUN_ID", "1001".into()),
            ("RUNNER_OS", "Linux".into()),
            ("RUNNER_ARCH", "X64".into()),
            ("RUNNER_TEMP", p("runner-temp")),
            ("RUNNER_TOOL_CACHE", p("tool-cache")),
            ("PROTOSYNC_CACHE_DIR", p("cache")),
            ("PROTOSYNC_HTTP_RETRY_BASE_MS", "1".into()),
        ] {
            env.insert(k.to_owned(), v);
        }
        for f in ["output", "summary.md", "path"] {
            std::fs::write(tmp.path().join(f), "").unwrap();
        }
        Runner { tmp, env }
    }

    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn set(&mut self, k: &str, v: impl Into<String>) -> &mut Runner {
        self.env.insert(k.to_owned(), v.into());
        self
    }

    fn unset(&mut self, k: &str) -> &mut Runner {
        self.env.remove(k);
        self
    }

    /// A pull_request event for PR `number` from `head` into `base` with `labels`.
    fn pull_request(&mut self, number: u64, base: &str, labels: &[&str]) -> &mut Runner {
        let event = json!({
            "action": "synchronize",
            "number": number,
            "pull_request": {
                "number": number,
                "head": {"ref": "feature"},
                "base": {"ref": base},
                "labels": labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
            },
            "repository": {"full_name": "acme/contracts"},
        });
        let path = self.dir().join("event.json");
        std::fs::write(&path, event.to_string()).unwrap();
        self.set("GITHUB_EVENT_NAME", "pull_request");
        self.set("GITHUB_EVENT_PATH", path.display().to_string());
        self.set("GITHUB_BASE_REF", base);
        self
    }

    /// Runs `scripts/action/NAME` in `dir` with this environment only.
    fn script(&self, name: &str, dir: &Path) -> Output {
        for f in ["output", "summary.md", "path"] {
            std::fs::write(self.dir().join(f), "").unwrap();
        }
        Command::new("bash")
            .arg(Path::new(ROOT).join("scripts/action").join(name))
            .current_dir(dir)
            .env_clear()
            .envs(&self.env)
            .output()
            .expect("bash runs")
    }

    /// The step outputs written to GITHUB_OUTPUT (the last value of each name).
    fn outputs(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.dir().join("output")).unwrap();
        let mut out = BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some((name, delim)) = line.split_once("<<") {
                let mut value = Vec::new();
                for l in lines.by_ref() {
                    if l == delim {
                        break;
                    }
                    value.push(l);
                }
                out.insert(name.to_owned(), value.join("\n"));
            } else if let Some((k, v)) = line.split_once('=') {
                out.insert(k.to_owned(), v.to_owned());
            }
        }
        out
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir().join("summary.md")).unwrap()
    }

    fn path_file(&self) -> String {
        std::fs::read_to_string(self.dir().join("path")).unwrap()
    }
}

/// A contract-style repository on a "forge" (a bare origin) with `main` and a `feature` branch
/// that deletes a field, and the runner's checkout of `feature`: shallow, single branch, as
/// actions/checkout leaves it (the base branch is not there).
struct Repo {
    origin: PathBuf,
    checkout: PathBuf,
}

fn repo(under: &Path) -> Repo {
    let origin = under.join("forge/acme/contracts.git");
    std::fs::create_dir_all(&origin).unwrap();
    git(&origin, &["init", "-q", "--bare", "-b", "main"]);
    let dev = under.join("dev");
    std::fs::create_dir_all(&dev).unwrap();
    git(&dev, &["init", "-q", "-b", "main"]);
    write(&dev, "proto/acme/billing/v1/billing.proto", &billing(true));
    write(&dev, "README.md", "contracts\n");
    git(&dev, &["add", "-A"]);
    git(&dev, &["commit", "-q", "-m", "billing"]);
    git(&dev, &["remote", "add", "origin", origin.to_str().unwrap()]);
    git(&dev, &["push", "-q", "origin", "main"]);
    git(&dev, &["checkout", "-q", "-b", "feature"]);
    write(&dev, "proto/acme/billing/v1/billing.proto", &billing(false));
    git(&dev, &["commit", "-q", "-am", "drop memo"]);
    git(&dev, &["push", "-q", "origin", "feature"]);
    let checkout = under.join("workspace");
    git(
        under,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            "--branch",
            "feature",
            &format!("file://{}", origin.display()),
            checkout.to_str().unwrap(),
        ],
    );
    Repo { origin, checkout }
}

fn breaking_runner(r: &Repo) -> Runner {
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "breaking")
        .set("INPUT_INPUT", "proto")
        .set("INPUT_SKIP_LABEL", "protosync skip breaking")
        .set("INPUT_COMMENT", "false")
        .set("INPUT_WORKING_DIRECTORY", ".")
        .set("GITHUB_WORKSPACE", r.checkout.display().to_string())
        .pull_request(7, "main", &[]);
    gh
}

#[test]
fn breaking_on_a_pull_request_fails_with_annotations_summary_and_outputs() {
    let tmp = TempDir::new().unwrap();
    let r = repo(tmp.path());
    let gh = breaking_runner(&r);
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 1);
    let (out, _) = text(&o);
    // The shallow single-branch checkout had no main: it was fetched.
    assert!(out.contains("fetching the base branch main"), "{out}");
    assert!(
        out.contains("against: .git#branch=main,subdir=proto"),
        "{out}"
    );
    // Annotations point at the file from the repository root, not from the input.
    assert!(
        out.contains("::error file=proto/acme/billing/v1/billing.proto,line=5,col=1,"),
        "{out}"
    );
    assert!(out.contains(",title=FIELD_NO_DELETE::"), "{out}");
    let outputs = gh.outputs();
    assert_eq!(outputs["findings"], "1", "{outputs:?}");
    assert_eq!(outputs["breaking"], "true");
    assert_eq!(outputs["skipped"], "false");
    assert_eq!(outputs["exit-code"], "1");
    let report = std::fs::read_to_string(&outputs["report"]).unwrap();
    assert!(
        report.starts_with("::error file=proto/acme/billing/v1/billing.proto"),
        "{report}"
    );
    let summary = gh.summary();
    assert!(
        summary.contains("### protosync: breaking changes"),
        "{summary}"
    );
    assert!(
        summary.contains("**1 breaking change** in 1 file."),
        "{summary}"
    );
    assert!(
        summary.contains("| Location | Rule | Message |"),
        "{summary}"
    );
    assert!(
        summary.contains("| `proto/acme/billing/v1/billing.proto:5:1` | `FIELD_NO_DELETE` |"),
        "{summary}"
    );
    // The origin is untouched and main is now in the checkout as origin/main.
    assert!(git(&r.checkout, &["branch", "-r"]).contains("origin/main"));
    assert!(r.origin.exists());
}

#[test]
fn the_skip_label_lets_breaking_changes_pass_as_warnings() {
    let tmp = TempDir::new().unwrap();
    let r = repo(tmp.path());
    let mut gh = breaking_runner(&r);
    // Labels compare without case, as GitHub's do.
    gh.pull_request(7, "main", &["contracts", "Protosync Skip Breaking"]);
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(
        out.contains("::warning file=proto/acme/billing/v1/billing.proto,line=5"),
        "{out}"
    );
    assert!(!out.contains("::error file="), "{out}");
    assert!(
        out.contains("::notice title=protosync::1 breaking change(s) found, not failing"),
        "{out}"
    );
    let outputs = gh.outputs();
    assert_eq!(outputs["findings"], "1");
    assert_eq!(outputs["breaking"], "true");
    assert_eq!(outputs["skipped"], "true");
    assert_eq!(outputs["exit-code"], "0");
    assert!(gh
        .summary()
        .contains("the pull request has the label `protosync skip breaking`"));

    assert!(
        !gh.summary().contains("applied by"),
        "a push event names no applier"
    );

    // The label's own `labeled` event: its sender applied it, and the summary says so.
    let event = json!({
        "action": "labeled",
        "number": 7,
        "label": {"name": "Protosync Skip Breaking"},
        "sender": {"login": "octocat"},
        "pull_request": {
            "number": 7,
            "head": {"ref": "feature"},
            "base": {"ref": "main"},
            "labels": [{"name": "Protosync Skip Breaking"}],
        },
        "repository": {"full_name": "acme/contracts"},
    });
    std::fs::write(gh.dir().join("event.json"), event.to_string()).unwrap();
    assert_code(&gh.script("run.sh", &r.checkout), 0);
    assert!(
        gh.summary()
            .contains("> The label was applied by @octocat."),
        "{}",
        gh.summary()
    );

    // Another label, or no skip label configured: the job fails.
    gh.pull_request(7, "main", &["protosync skip"]);
    assert_code(&gh.script("run.sh", &r.checkout), 1);
    gh.pull_request(7, "main", &["protosync skip breaking"])
        .set("INPUT_SKIP_LABEL", "");
    assert_code(&gh.script("run.sh", &r.checkout), 1);
}

#[test]
fn the_comment_is_created_once_updated_and_says_clean_when_fixed() {
    let tmp = TempDir::new().unwrap();
    let r = repo(tmp.path());
    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let number = server.open_pr("acme", "contracts", "feature", "main", "Drop memo", "");
    server.add_comment("acme", "contracts", number, "reviewer", "Looks fine to me.");
    let mut gh = breaking_runner(&r);
    gh.pull_request(number, "main", &[])
        .set("INPUT_COMMENT", "true")
        .set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_API_URL", server.url());
    let comments = || server.prs("acme", "contracts")[0].comments.clone();

    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 1);
    let (out, err) = text(&o);
    assert!(
        out.contains("comment created: http://127.0.0.1:"),
        "{out}\n{err}"
    );
    let c = comments();
    assert_eq!(c.len(), 2, "{c:#?}");
    assert_eq!(c[0], "Looks fine to me.");
    assert!(
        c[1].starts_with("<!-- protosync:comment:breaking -->\n### protosync: breaking changes"),
        "{}",
        c[1]
    );
    assert!(c[1].contains("`FIELD_NO_DELETE`"), "{}", c[1]);
    assert!(
        c[1].contains("/acme/contracts/actions/runs/1001)"),
        "{}",
        c[1]
    );
    let url = gh.outputs()["comment-url"].clone();
    assert!(
        url.contains("/acme/contracts/pull/1#issuecomment-"),
        "{url}"
    );

    // A second run (a new push) edits the same comment; none is added.
    gh.set("GITHUB_RUN_ID", "1002");
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 1);
    assert!(text(&o).0.contains("comment updated: "), "{}", text(&o).0);
    let c = comments();
    assert_eq!(c.len(), 2, "{c:#?}");
    assert!(c[1].contains("/actions/runs/1002)"), "{}", c[1]);
    // The same report again: nothing to send.
    let o = gh.script("run.sh", &r.checkout);
    assert!(text(&o).0.contains("comment unchanged: "), "{}", text(&o).0);

    // Fixed: the comment says so, the job passes.
    write(
        &r.checkout,
        "proto/acme/billing/v1/billing.proto",
        &billing(true),
    );
    gh.set("GITHUB_RUN_ID", "1003");
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 0);
    let c = comments();
    assert_eq!(c.len(), 2, "{c:#?}");
    assert!(
        c[1].contains("No breaking changes: 1 file checked against 1."),
        "{}",
        c[1]
    );
    assert!(!c[1].contains("FIELD_NO_DELETE"), "{}", c[1]);
    assert_eq!(c[0], "Looks fine to me.");

    // A clean pull request without a comment gets none.
    let other = server.open_pr("acme", "contracts", "other", "main", "Other", "");
    gh.pull_request(other, "main", &[]);
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 0);
    assert!(
        text(&o).0.contains("no comment to update"),
        "{}",
        text(&o).0
    );
    assert!(server.prs("acme", "contracts")[1].comments.is_empty());

    server.assert_no_invalid_requests();
    let lines: Vec<String> = server.requests().iter().map(|r| r.line()).collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("POST ")).count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("PATCH /repos/acme/contracts/issues/comments/"))
            .count(),
        2,
        "{lines:#?}"
    );
    for req in server.requests() {
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    for text in [out, err] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
}

#[test]
fn a_comment_that_cannot_be_posted_is_a_warning_not_a_failure() {
    let tmp = TempDir::new().unwrap();
    let r = repo(tmp.path());
    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let number = server.open_pr("acme", "contracts", "feature", "main", "Drop memo", "");
    let mut gh = breaking_runner(&r);
    gh.pull_request(number, "main", &["protosync skip breaking"])
        .set("INPUT_COMMENT", "true")
        .set("INPUT_TOKEN", "not-the-token")
        .set("GITHUB_API_URL", server.url());
    let o = gh.script("run.sh", &r.checkout);
    // The label still decides the outcome; the comment's failure is reported.
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(
        out.contains("::warning title=protosync::could not post the pull-request comment: error: GitHub API: GET /repos/acme/contracts/issues/1/comments: 401"),
        "{out}"
    );
    assert!(server.prs("acme", "contracts")[0].comments.is_empty());

    // Not a pull request: a notice, no API call.
    let before = server.request_count();
    gh.set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_EVENT_NAME", "workflow_dispatch")
        .unset("GITHUB_BASE_REF")
        .set("INPUT_AGAINST", ".git#ref=HEAD,subdir=proto");
    let event = tmp.path().join("dispatch.json");
    std::fs::write(&event, "{}").unwrap();
    gh.set("GITHUB_EVENT_PATH", event.display().to_string());
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 0);
    assert!(
        text(&o)
            .0
            .contains("comment: this run is not for a pull request"),
        "{}",
        text(&o).0
    );
    assert_eq!(server.request_count(), before);
}

/// A service in a monorepo (`services/orders`) vendoring the billing contract, with its own
/// `orders.proto`.
fn monorepo(under: &Path) -> PathBuf {
    let contracts = under.join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "billing"]);
    let mono = under.join("mono");
    let svc = mono.join("services/orders");
    std::fs::create_dir_all(&svc).unwrap();
    git(&mono, &["init", "-q", "-b", "main"]);
    write(
        &svc,
        "proto/acme/orders/v1/orders.proto",
        "syntax = \"proto3\";\n\npackage acme.orders.v1;\n\nmessage Order {\n  string id = 1;\n  int64 total = 2;\n}\n",
    );
    let o = Command::new(bin())
        .current_dir(&svc)
        .env("PROTOSYNC_CACHE_DIR", under.join("cache"))
        .args([
            "init",
            "--contract",
            &format!("file://{}", contracts.display()),
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
        ])
        .output()
        .unwrap();
    assert_code(&o, 0);
    git(&mono, &["add", "-A"]);
    git(&mono, &["commit", "-q", "-m", "orders"]);
    git(&mono, &["checkout", "-q", "-b", "feature"]);
    mono
}

#[test]
fn check_in_a_monorepo_service_reports_drift_and_breaking_changes_from_the_repository_root() {
    let tmp = TempDir::new().unwrap();
    let mono = monorepo(tmp.path());
    let svc = mono.join("services/orders");
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "check")
        .set("INPUT_WORKING_DIRECTORY", "services/orders")
        .set("INPUT_SKIP_LABEL", "protosync skip breaking")
        .set("GITHUB_WORKSPACE", mono.display().to_string())
        .pull_request(3, "main", &[]);

    // Clean.
    let o = gh.script("run.sh", &mono);
    assert_code(&o, 0);
    assert!(
        text(&o)
            .0
            .contains("against: ../../.git#branch=main,subdir=services/orders"),
        "{}",
        text(&o).0
    );
    assert_eq!(gh.outputs()["findings"], "0");
    assert_eq!(gh.outputs()["breaking"], "false");
    let summary = gh.summary();
    assert!(summary.contains("## protosync check"), "{summary}");
    assert!(summary.contains("No breaking changes"), "{summary}");

    // A breaking change of the service's own proto and a hand edit of the vendored copy.
    let orders = svc.join("proto/acme/orders/v1/orders.proto");
    let s = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(&orders, s.replace("int64 total", "string total")).unwrap();
    let vendored = svc.join("third_party/proto/acme/billing/v1/billing.proto");
    let mut s = std::fs::read_to_string(&vendored).unwrap();
    s.push_str("// edited\n");
    std::fs::write(&vendored, s).unwrap();
    let o = gh.script("run.sh", &mono);
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains("::error file=services/orders/third_party/proto/acme/billing/v1/billing.proto,title=protosync%3A vendored file edited::"),
        "{out}"
    );
    assert!(
        out.contains(
            "::error file=services/orders/proto/acme/orders/v1/orders.proto,line=7,col=3,"
        ),
        "{out}"
    );
    let outputs = gh.outputs();
    assert_eq!(outputs["findings"], "2");
    assert_eq!(outputs["breaking"], "true");
    let summary = gh.summary();
    assert!(
        summary.contains("| `third_party/proto/acme/billing/v1/billing.proto` | edited |"),
        "{summary}"
    );
    assert!(summary.contains("`FIELD_SAME_TYPE`"), "{summary}");

    // The skip label forgives breaking changes, not a hand-edited copy.
    gh.pull_request(3, "main", &["protosync skip breaking"]);
    let o = gh.script("run.sh", &mono);
    assert_code(&o, 1);
    assert_eq!(gh.outputs()["skipped"], "false");
    git(&svc, &["checkout", "-q", "--", "third_party"]);
    let o = gh.script("run.sh", &mono);
    assert_code(&o, 0);
    assert_eq!(gh.outputs()["skipped"], "true");
    assert_eq!(gh.outputs()["findings"], "1");

    // Other formats: printed as they are and kept in the report output.
    gh.set("INPUT_FORMAT", "sarif");
    let o = gh.script("run.sh", &mono);
    assert_code(&o, 0);
    let report = gh.outputs()["report"].clone();
    assert!(report.ends_with(".sarif"), "{report}");
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    gh.set("INPUT_FORMAT", "yaml");
    let o = gh.script("run.sh", &mono);
    assert_code(&o, 2);
    assert!(
        text(&o).0.contains("::error title=protosync::format yaml:"),
        "{}",
        text(&o).0
    );
}

#[test]
fn breaking_on_a_push_compares_with_the_commit_before_it() {
    let tmp = TempDir::new().unwrap();
    let r = repo(tmp.path());
    let main = git(&r.origin, &["rev-parse", "main"]).trim().to_owned();
    let mut gh = breaking_runner(&r);
    let event = tmp.path().join("push.json");
    std::fs::write(&event, json!({"before": main, "after": "x"}).to_string()).unwrap();
    gh.set("GITHUB_EVENT_NAME", "push")
        .set("GITHUB_EVENT_PATH", event.display().to_string())
        .unset("GITHUB_BASE_REF");
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(out.contains(&format!("fetching {main}")), "{out}");
    assert!(
        out.contains(&format!("against: .git#commit={main},subdir=proto")),
        "{out}"
    );

    // No event to take a default from: breaking says what to set.
    std::fs::write(&event, "{}").unwrap();
    gh.set("GITHUB_EVENT_NAME", "workflow_dispatch");
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 2);
    assert!(
        text(&o)
            .0
            .contains("breaking needs something to compare with: set against"),
        "{}",
        text(&o).0
    );
    // Extra arguments are passed through, quotes respected.
    gh.set(
        "INPUT_ARGS",
        "--against '.git#ref=HEAD,subdir=proto' --except \"FIELD_NO_DELETE\"",
    );
    let o = gh.script("run.sh", &r.checkout);
    assert_code(&o, 0);
    assert!(text(&o).0.contains("protosync breaking proto --against .git#ref=HEAD,subdir=proto --except FIELD_NO_DELETE --format github"), "{}", text(&o).0);
}

#[test]
fn comment_needs_a_pull_request_a_token_and_a_hidden_marker() {
    let tmp = TempDir::new().unwrap();
    let body = tmp.path().join("body.md");
    std::fs::write(&body, "hello\n").unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        Command::new(bin())
            .arg("comment")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let body_arg = body.to_str().unwrap();
    let o = run(&["--body-file", body_arg, "--repo", "acme/x"], &[]);
    assert_code(&o, 2);
    assert!(
        text(&o).1.contains("no pull request: pass --pr N"),
        "{}",
        text(&o).1
    );
    let o = run(
        &["--body-file", body_arg, "--repo", "acme/x", "--pr", "1"],
        &[],
    );
    assert_code(&o, 2);
    assert!(
        text(&o).1.contains("no GitHub token: set GITHUB_TOKEN"),
        "{}",
        text(&o).1
    );
    let o = run(
        &[
            "--body-file",
            body_arg,
            "--pr",
            "1",
            "--marker",
            "protosync",
        ],
        &[("GITHUB_REPOSITORY", "acme/x"), ("GITHUB_TOKEN", TOKEN)],
    );
    assert_code(&o, 2);
    assert!(
        text(&o).1.contains("is not a hidden HTML comment"),
        "{}",
        text(&o).1
    );

    // Against the server: the PR number comes from the event, the body from stdin.
    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let n = server.open_pr("acme", "x", "feature", "main", "t", "");
    let event = tmp.path().join("event.json");
    std::fs::write(&event, json!({"pull_request": {"number": n}}).to_string()).unwrap();
    let mut child = Command::new(bin())
        .args(["comment", "--body-file", "-", "--marker", "<!-- mine -->"])
        .env_clear()
        .env("GITHUB_REPOSITORY", "acme/x")
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server.url())
        .env("GITHUB_EVENT_PATH", &event)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 0);
    assert_eq!(
        server.prs("acme", "x")[0].comments,
        ["<!-- mine -->\nfrom stdin\n"]
    );
    server.assert_no_invalid_requests();
}

#[test]
fn comments_are_found_past_the_first_page() {
    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let n = server.open_pr("acme", "busy", "feature", "main", "t", "");
    for i in 0..130 {
        server.add_comment("acme", "busy", n, "someone", &format!("comment {i}"));
    }
    let tmp = TempDir::new().unwrap();
    let body = tmp.path().join("body.md");
    let post = |text: &str| {
        std::fs::write(&body, text).unwrap();
        let n = n.to_string();
        Command::new(bin())
            .args(["comment", "--repo", "acme/busy", "--pr", &n, "--body-file"])
            .arg(&body)
            .env_clear()
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", server.url())
            .output()
            .unwrap()
    };
    assert_code(&post("first"), 0);
    let o = post("second");
    assert_code(&o, 0);
    assert!(
        text(&o).0.starts_with("comment updated: "),
        "{}",
        text(&o).0
    );
    let comments = &server.prs("acme", "busy")[0].comments;
    assert_eq!(comments.len(), 131);
    assert_eq!(comments[130], "<!-- protosync:comment -->\nsecond\n");
    let pages: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.target.split_once('?').unwrap().1.to_owned())
        .collect();
    assert_eq!(
        pages,
        [
            "per_page=100&page=1",
            "per_page=100&page=2",
            "per_page=100&page=1",
            "per_page=100&page=2"
        ]
    );
    server.assert_no_invalid_requests();
}

#[path = "action/install.rs"]
mod install;
#[path = "action/lint.rs"]
mod lint;
#[path = "action/publish.rs"]
mod publish;
