//! The GitHub Action (action.yml, scripts/action/*.sh, docs/ACTION.md): its shell steps run
//! here against a fake GitHub environment — `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`,
//! `GITHUB_PATH`, a pull_request event in `GITHUB_EVENT_PATH`, `GITHUB_API_URL` pointing at the
//! loopback forge server (which validates every request against GitHub's REST description),
//! real git repositories in temp dirs, and release assets served over loopback HTTP.
//!
//! What cannot run here (a real runner: `uses:` steps such as actions/cache, the expression
//! engine, the upload of annotations) is listed in docs/ACTION.md. actionlint checks the example
//! workflows when it is installed (scripts/install-test-tools.sh; required under CI=true).

#[path = "support/forge_server.rs"]
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
            ("GIT_AUTHOR_NAME", "Dev".into()),
            ("GIT_AUTHOR_EMAIL", "dev@example.com".into()),
            ("GIT_COMMITTER_NAME", "Dev".into()),
            ("GIT_COMMITTER_EMAIL", "dev@example.com".into()),
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
            (
                "PROTOSYNC_GIT_AUTHOR",
                "protosync bot <bot@example.com>".into(),
            ),
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
        report.starts_with("::error file=acme/billing/v1/billing.proto"),
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
        summary.contains("| `acme/billing/v1/billing.proto:5:1` | `FIELD_NO_DELETE` |"),
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
fn sync_with_pr_sets_the_pull_request_url() {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(false));
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "billing"]);
    let bare = tmp.path().join("forge/acme/billing.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let work = tmp.path().join("billing");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    git(&work, &["checkout", "-q", "-b", "main"]);
    let o = Command::new(bin())
        .current_dir(&work)
        .env("PROTOSYNC_CACHE_DIR", tmp.path().join("cache"))
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
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "vendor"]);
    git(&work, &["push", "-q", "origin", "main"]);
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    git(&contracts, &["commit", "-q", "-am", "memo"]);

    let server = ForgeServer::start(ForgeKind::Github, TOKEN);
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "sync")
        .set("INPUT_ARGS", "--pr --forge github --label contracts")
        .set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_API_URL", server.url())
        .set("GITHUB_EVENT_NAME", "workflow_dispatch");
    let o = gh.script("run.sh", &work);
    assert_code(&o, 0);
    let (out, err) = text(&o);
    assert!(
        out.contains("sync: updated, 1 files changed, pull request created: http://127.0.0.1:"),
        "{out}\n{err}"
    );
    let outputs = gh.outputs();
    let prs = server.prs("acme", "billing");
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[0].labels, ["contracts"]);
    assert_eq!(
        outputs["pull-request-url"],
        format!("{}/acme/billing/pull/1", server.web_url())
    );
    assert_eq!(outputs["findings"], "0");
    assert_eq!(outputs["breaking"], "false");
    let summary = gh.summary();
    assert!(summary.contains("### protosync sync"), "{summary}");
    assert!(
        summary.contains("Pull request [#1](http://127.0.0.1:"),
        "{summary}"
    );
    assert!(
        summary.contains("| `third_party/proto/acme/billing/v1/billing.proto` |"),
        "{summary}"
    );
    server.assert_no_invalid_requests();

    // sync prints JSON only: another format is refused before anything runs.
    gh.set("INPUT_FORMAT", "text");
    assert_code(&gh.script("run.sh", &work), 2);
}

#[test]
fn fanout_failures_become_annotations_and_a_summary_table() {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    write(&contracts, "acme/billing/v1/billing.proto", &billing(true));
    write(
        &contracts,
        "protosync.toml",
        &format!(
            "[[service]]\nname = \"broken\"\nrepo = \"file://{}\"\nforge = \"github\"\n",
            tmp.path().join("missing/acme/broken.git").display()
        ),
    );
    git(&contracts, &["init", "-q", "-b", "main"]);
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "contracts"]);
    let mut gh = Runner::new();
    gh.set("INPUT_COMMAND", "fanout")
        .set("INPUT_TOKEN", TOKEN)
        .set("GITHUB_EVENT_NAME", "push");
    let o = gh.script("run.sh", &contracts);
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains("::error title=protosync fanout: broken::"),
        "{out}"
    );
    assert!(
        out.contains(
            "1 services: 0 created, 0 updated, 0 unchanged, 0 closed, 0 skipped, 1 failed"
        ),
        "{out}"
    );
    let summary = gh.summary();
    assert!(
        summary.contains("| Service | Outcome | Pull request | Detail |"),
        "{summary}"
    );
    assert!(summary.contains("| `broken` | failed |"), "{summary}");
    assert_eq!(gh.outputs()["exit-code"], "1");
}

// ---------------------------------------------------------------------------------------------
// Installation

/// A loopback HTTP server for release assets: path → (status, body); records the paths asked.
struct AssetServer {
    port: u16,
    asked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl AssetServer {
    fn start(files: BTreeMap<String, Vec<u8>>) -> AssetServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (asked.clone(), stop.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.by_ref().take(8192).read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap_or("").to_owned();
                a.lock().unwrap().push(path.clone());
                let (status, body) = match files.get(&path) {
                    Some(b) => ("200 OK", b.clone()),
                    None => ("404 Not Found", b"Not Found".to_vec()),
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        AssetServer { port, asked, stop }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/releases/download", self.port)
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl Drop for AssetServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

const TARGET: &str = "x86_64-unknown-linux-gnu";

/// `protosync-<target>.tar.gz` holding the test binary (in a directory, as release archives
/// often do) and its sha256 file.
fn release_asset(dir: &Path) -> (Vec<u8>, String) {
    let stage = dir.join("stage/protosync-v9.9.9");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(bin(), stage.join("protosync")).unwrap();
    let tgz = dir.join("asset.tar.gz");
    let o = Command::new("tar")
        .current_dir(dir.join("stage"))
        .args(["-czf", tgz.to_str().unwrap(), "protosync-v9.9.9"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let bytes = std::fs::read(&tgz).unwrap();
    let o = Command::new("sha256sum").arg(&tgz).output().unwrap();
    let sum = text(&o).0.split_whitespace().next().unwrap().to_owned();
    (bytes, sum)
}

fn install_runner(assets: &AssetServer) -> Runner {
    let mut gh = Runner::new();
    gh.set("PROTOSYNC_RELEASE_BASE_URL", assets.url())
        .set("ACTION_REPOSITORY", "acme/protosync")
        .set("ACTION_REF", "v9.9.9")
        .set("GITHUB_ACTION_PATH", ROOT)
        .set("INPUT_VERSION", "");
    gh
}

#[test]
fn install_takes_a_verified_release_asset() {
    let tmp = TempDir::new().unwrap();
    let (tgz, sum) = release_asset(tmp.path());
    let asset = format!("/releases/download/v9.9.9/protosync-{TARGET}.tar.gz");
    let files = BTreeMap::from([
        (asset.clone(), tgz),
        (
            format!("{asset}.sha256"),
            format!("{sum}  protosync-{TARGET}.tar.gz\n").into_bytes(),
        ),
    ]);
    let assets = AssetServer::start(files);
    let gh = install_runner(&assets);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(out.contains(&format!("sha256 {sum} verified")), "{out}");
    let outputs = gh.outputs();
    assert_eq!(outputs["method"], "release");
    assert_eq!(outputs["version"], "v9.9.9");
    assert_eq!(outputs["target"], TARGET);
    let bin_dir = PathBuf::from(&outputs["bin-dir"]);
    assert!(
        bin_dir.starts_with(gh.dir().join("tool-cache")),
        "{bin_dir:?}"
    );
    assert_eq!(gh.path_file().trim(), bin_dir.display().to_string());
    let v = Command::new(bin_dir.join("protosync"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(text(&v).0.starts_with("protosync "), "{:?}", v);
    assert_eq!(assets.asked(), [asset.clone(), format!("{asset}.sha256")]);
}

#[test]
fn install_refuses_a_tampered_or_unverifiable_asset() {
    let tmp = TempDir::new().unwrap();
    let (mut tgz, sum) = release_asset(tmp.path());
    let asset = format!("/releases/download/v9.9.9/protosync-{TARGET}.tar.gz");
    let n = tgz.len();
    tgz[n / 2] ^= 0xff;
    let tampered = AssetServer::start(BTreeMap::from([
        (asset.clone(), tgz.clone()),
        (
            format!("{asset}.sha256"),
            format!("{sum}  protosync-{TARGET}.tar.gz\n").into_bytes(),
        ),
    ]));
    let gh = install_runner(&tampered);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!("::error title=protosync::checksum mismatch for protosync-{TARGET}.tar.gz of v9.9.9: expected {sum}, downloaded ")),
        "{out}"
    );
    let outputs = gh.outputs();
    assert!(!outputs.contains_key("method"), "{outputs:?}");
    assert!(gh.path_file().is_empty());
    assert!(!gh.dir().join("tool-cache/protosync").exists());

    // An asset without its checksum file is not installed either.
    let unverifiable = AssetServer::start(BTreeMap::from([(asset.clone(), tgz)]));
    let gh = install_runner(&unverifiable);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 1);
    assert!(
        text(&o).0.contains("has no checksum file"),
        "{}",
        text(&o).0
    );
    assert!(gh.path_file().is_empty());
}

#[test]
fn without_a_release_asset_protosync_is_built_with_cargo_and_cached() {
    let tmp = TempDir::new().unwrap();
    let assets = AssetServer::start(BTreeMap::new());
    let gh = install_runner(&assets);
    let o = gh.script("install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(text(&o).0.contains("no release asset"), "{}", text(&o).0);
    let outputs = gh.outputs();
    assert_eq!(outputs["method"], "cargo");
    // Building the action's own ref: from the files the runner downloaded, keyed by their hash.
    assert_eq!(outputs["source"], "path");
    let key = outputs["cache-key"].clone();
    let digest = key
        .strip_prefix(&format!("protosync-{TARGET}-src-"))
        .unwrap_or_else(|| panic!("{key}"));
    assert!(
        digest.len() == 32 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    let root = PathBuf::from(&outputs["cargo-root"]);
    assert_eq!(root, gh.dir().join("tool-cache/protosync").join(&key));
    assert!(gh.path_file().is_empty());

    // The cargo step, with the test binary standing in for the build (PROTOSYNC_BIN).
    let mut cargo = Runner::new();
    cargo
        .set("CARGO_ROOT", root.display().to_string())
        .set("SOURCE", "path")
        .set("GIT_URL", outputs["git-url"].clone())
        .set("REV", outputs["rev"].clone())
        .set("GITHUB_ACTION_PATH", ROOT)
        .set("PROTOSYNC_BIN", bin().display().to_string());
    let o = cargo.script("cargo-install.sh", tmp.path());
    assert_code(&o, 0);
    let (out, _) = text(&o);
    assert!(
        out.contains(&format!(
            "copying it instead of running: cargo install --locked --root {} --path {ROOT}",
            root.display()
        )),
        "{out}"
    );
    assert!(root.join("bin/protosync").is_file());
    assert_eq!(
        cargo.path_file().trim(),
        root.join("bin").display().to_string()
    );
    // The next run finds it (what a cache hit of actions/cache restores).
    cargo.unset("PROTOSYNC_BIN");
    let o = cargo.script("cargo-install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(
        text(&o).0.contains("using the cached build: protosync "),
        "{}",
        text(&o).0
    );

    // Another version than the action's ref: built from git at that version.
    let mut gh = install_runner(&assets);
    gh.set("INPUT_VERSION", "v0.0.1");
    assert_code(&gh.script("install.sh", tmp.path()), 0);
    let outputs = gh.outputs();
    assert_eq!(outputs["source"], "git");
    assert_eq!(outputs["rev"], "v0.0.1");
    assert_eq!(outputs["git-url"], "https://github.com/acme/protosync");
    assert_eq!(outputs["cache-key"], format!("protosync-{TARGET}-v0.0.1"));
    let mut cargo = Runner::new();
    cargo
        .set("CARGO_ROOT", outputs["cargo-root"].clone())
        .set("SOURCE", "git")
        .set("GIT_URL", outputs["git-url"].clone())
        .set("REV", "v0.0.1")
        .set("PROTOSYNC_BIN", bin().display().to_string());
    let o = cargo.script("cargo-install.sh", tmp.path());
    assert_code(&o, 0);
    assert!(
        text(&o).0.contains("cargo install --locked --root ")
            && text(&o)
                .0
                .contains(" --git https://github.com/acme/protosync --rev v0.0.1 protosync"),
        "{}",
        text(&o).0
    );

    // The runner left github.action_* empty: they come from where it put the action.
    let action_dir = tmp.path().join("_work/_actions/acme/protosync/v2.0.0");
    std::fs::create_dir_all(&action_dir).unwrap();
    let mut gh = install_runner(&assets);
    gh.unset("ACTION_REPOSITORY")
        .unset("ACTION_REF")
        .set("GITHUB_ACTION_PATH", action_dir.display().to_string());
    assert_code(&gh.script("install.sh", tmp.path()), 0);
    let outputs = gh.outputs();
    assert_eq!(outputs["version"], "v2.0.0");
    assert_eq!(outputs["git-url"], "https://github.com/acme/protosync");
    assert_eq!(outputs["source"], "git");
    assert!(assets.asked().contains(&format!(
        "/releases/download/v2.0.0/protosync-{TARGET}.tar.gz"
    )));
}

// ---------------------------------------------------------------------------------------------
// action.yml and the workflows

fn yaml(path: &Path) -> serde_norway::Value {
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `${{ … }}` expression of a YAML text.
fn expressions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        let after = &rest[i + 3..];
        let end = after.find("}}").expect("closed expression");
        out.push(after[..end].trim().to_owned());
        rest = &after[end + 2..];
    }
    out
}

/// `prefix.NAME` references in `expr` (NAME: letters, digits, - and _).
fn refs(expr: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find(prefix) {
        let before_ok = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
        let name: String = rest[i + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if before_ok && !name.is_empty() {
            out.push(name);
        }
        rest = &rest[i + prefix.len()..];
    }
    out
}

#[test]
fn action_yml_declares_what_it_uses_and_its_steps_are_scripts_that_exist() {
    let path = Path::new(ROOT).join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = yaml(&path);
    assert_eq!(doc["runs"]["using"].as_str(), Some("composite"));
    let inputs = doc["inputs"].as_mapping().expect("inputs");
    let declared: Vec<String> = inputs
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    for want in [
        "version",
        "command",
        "input",
        "against",
        "format",
        "token",
        "skip-label",
        "comment",
        "working-directory",
        "args",
    ] {
        assert!(declared.iter().any(|d| d == want), "input {want} missing");
    }
    assert_eq!(
        doc["inputs"]["skip-label"]["default"].as_str(),
        Some("protosync skip breaking")
    );
    assert_eq!(
        doc["inputs"]["token"]["default"].as_str(),
        Some("${{ github.token }}")
    );
    for (k, v) in inputs {
        assert!(
            v["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{k:?} has no description"
        );
    }

    // Every inputs.X used is declared, every declared input is used.
    let used: Vec<String> = expressions(&text)
        .iter()
        .flat_map(|e| refs(e, "inputs."))
        .collect();
    for u in &used {
        assert!(declared.contains(u), "inputs.{u} is used but not declared");
    }
    for d in &declared {
        assert!(used.contains(d), "input {d} is declared but never used");
    }

    let steps = doc["runs"]["steps"].as_sequence().expect("steps");
    let ids: Vec<String> = steps
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    // Which script each step with an id runs, and the env it hands it.
    let mut scripts: BTreeMap<String, String> = BTreeMap::new();
    for step in steps {
        if let Some(uses) = step["uses"].as_str() {
            assert!(uses.contains('@'), "{uses} is not pinned to a version");
            continue;
        }
        assert_eq!(step["shell"].as_str(), Some("bash"), "{step:?}");
        let run = step["run"].as_str().expect("run");
        let script = run
            .split_whitespace()
            .find_map(|w| w.trim_matches('"').split("}/").nth(1).map(str::to_owned))
            .unwrap_or_else(|| panic!("step runs no script: {run}"));
        assert!(script.starts_with("scripts/action/"), "{run}");
        let source = std::fs::read_to_string(Path::new(ROOT).join(&script))
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        // Every INPUT_* variable the script reads is handed to it, and every env var given is read.
        let env: Vec<String> = step["env"]
            .as_mapping()
            .map(|m| m.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
        for var in refs(&source, "INPUT_") {
            // Environment variable names end where `${VAR-default}` begins.
            let var = format!("INPUT_{}", var.split('-').next().unwrap());
            assert!(
                env.contains(&var),
                "{script} reads {var}, which the step does not set"
            );
        }
        for var in &env {
            assert!(source.contains(var.as_str()), "{script} never reads {var}");
        }
        if let Some(id) = step["id"].as_str() {
            scripts.insert(id.to_owned(), source);
        }
    }

    // Every steps.X.outputs.Y is a step with that id whose script writes Y.
    for e in expressions(&text) {
        for step_ref in refs(&e, "steps.") {
            assert!(ids.contains(&step_ref), "steps.{step_ref} is no step id");
            let outputs_of = format!("steps.{step_ref}.outputs.");
            for name in refs(&e, &outputs_of) {
                let source = &scripts[&step_ref];
                assert!(
                    source.contains(&format!("gh_output {name} ")),
                    "steps.{step_ref}.outputs.{name}: the script never writes it"
                );
            }
        }
    }
    let outputs = doc["outputs"].as_mapping().expect("outputs");
    for want in ["findings", "breaking", "pull-request-url"] {
        assert!(
            outputs.keys().any(|k| k.as_str() == Some(want)),
            "output {want}"
        );
    }
}

/// actionlint (and shellcheck, which actionlint runs on `run:` scripts when it finds it): the
/// binary from `ACTIONLINT`, PATH, or the tools virtualenv of scripts/install-test-tools.sh.
fn find_tool(name: &str, var: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("protosync/tools-venv/bin").join(name));
    let candidates = [
        std::env::var_os(var).map(PathBuf::from),
        Some(PathBuf::from(name)),
        venv,
    ];
    candidates.into_iter().flatten().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn required_or_skip(tool: &str) {
    // CI installs the tools (scripts/install-test-tools.sh): there the test must run.
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is not installed; run scripts/install-test-tools.sh"
    );
    eprintln!("skipped: {tool} not installed (scripts/install-test-tools.sh installs it)");
}

fn example_workflows() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("docs/ci");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files
}

#[test]
fn the_example_workflows_use_only_declared_inputs() {
    let action = yaml(&Path::new(ROOT).join("action.yml"));
    let mut used = 0;
    for f in example_workflows() {
        let doc = yaml(&f);
        for (_, job) in doc["jobs"].as_mapping().unwrap() {
            for step in job["steps"].as_sequence().into_iter().flatten() {
                if !step["uses"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("acme/protosync@")
                {
                    continue;
                }
                used += 1;
                for (k, _) in step["with"].as_mapping().into_iter().flatten() {
                    let k = k.as_str().unwrap();
                    assert!(
                        !action["inputs"][k].is_null(),
                        "{}: input {k} is not declared in action.yml",
                        f.display()
                    );
                }
            }
        }
    }
    assert!(used >= 4, "{used}");
}

/// actionlint on the example workflows, with `uses: acme/protosync@v1` pointed at this
/// checkout's action.yml (`uses: ./` in a project holding a copy of it): actionlint then also
/// checks every `with:` input and `steps.<id>.outputs.<name>` against the action's metadata,
/// and shellcheck checks the `run:` scripts.
#[test]
fn the_example_workflows_pass_actionlint() {
    let Some(actionlint) = find_tool("actionlint", "ACTIONLINT") else {
        return required_or_skip("actionlint");
    };
    let project = TempDir::new().unwrap();
    let workflows = project.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    git(project.path(), &["init", "-q"]);
    std::fs::copy(
        Path::new(ROOT).join("action.yml"),
        project.path().join("action.yml"),
    )
    .unwrap();
    for f in example_workflows() {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.contains("uses: acme/protosync@v1"), "{}", f.display());
        let local = text.replace("uses: acme/protosync@v1", "uses: ./");
        std::fs::write(workflows.join(f.file_name().unwrap()), local).unwrap();
    }
    let mut cmd = Command::new(&actionlint);
    cmd.arg("-no-color").current_dir(project.path());
    match find_tool("shellcheck", "SHELLCHECK") {
        Some(sc) => cmd.arg("-shellcheck").arg(sc),
        None => cmd.arg("-shellcheck="),
    };
    let o = cmd.output().unwrap();
    assert_code(&o, 0);

    // And it does catch a mistake against the action's metadata.
    let broken = std::fs::read_to_string(workflows.join("service-check.yml"))
        .unwrap()
        .replace("comment: true", "comments: true")
        .replace("outputs.breaking", "outputs.breaking-changes");
    std::fs::write(workflows.join("service-check.yml"), broken).unwrap();
    let o = Command::new(&actionlint)
        .args(["-no-color", "-oneline", "-shellcheck="])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert_code(&o, 1);
    let (out, _) = text(&o);
    assert!(
        out.contains("input \"comments\" is not defined in action"),
        "{out}"
    );
    assert!(
        out.contains("property \"breaking-changes\" is not defined"),
        "{out}"
    );
}

#[test]
fn the_action_scripts_pass_shellcheck() {
    let Some(shellcheck) = find_tool("shellcheck", "SHELLCHECK") else {
        return required_or_skip("shellcheck");
    };
    let dir = Path::new(ROOT).join("scripts/action");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    files.sort();
    let o = Command::new(shellcheck)
        .args([
            "--shell=bash",
            "--external-sources",
            "--source-path=SCRIPTDIR",
        ])
        .args(&files)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_code(&o, 0);
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
