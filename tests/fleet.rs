//! `protosync fleet`: real git repositories in temp dirs (a contract repository with three
//! commits, service repositories as bare "forge" repositories pinned at different contract
//! commits), the pull-request API served by the loopback forge server (tests/support), and the
//! HTML report rendered by a real headless Chromium (Debian's `chromium`; under `CI` it must be
//! installed: scripts/install-test-tools.sh).

#[path = "support/forge_server/mod.rs"]
mod forge_server;

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use forge_server::ForgeServer;
use protosync::forge::ForgeKind;
use serde_json::Value;
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::{assert_code, stderr, stdout, write};

const TOKEN: &str = "ghp_protosyncFLEETtoken0123456789";
/// "Now" for the reports (`SOURCE_DATE_EPOCH`): 2026-03-11T00:00:00Z.
const NOW: i64 = 1_773_187_200;
/// The contract commits' dates: 2026-03-01, 2026-03-05 and 2026-03-10, at noon UTC.
const DATES: [i64; 3] = [1_772_366_400, 1_772_712_000, 1_773_144_000];
const BRANCH: &str = "protosync/contracts";

fn git_at(dir: &Path, args: &[&str], date: Option<i64>) -> String {
    let mut cmd = Std::new("git");
    cmd.current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    if let Some(d) = date {
        cmd.env("GIT_AUTHOR_DATE", format!("@{d} +0000"))
            .env("GIT_COMMITTER_DATE", format!("@{d} +0000"));
    }
    let out = cmd.output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn git(dir: &Path, args: &[&str]) -> String {
    git_at(dir, args, None)
}

/// The billing contract at each of the three commits: the second drops `legacy_id` (breaking
/// for whoever pinned the first), the third adds `note` (compatible).
fn billing(version: usize) -> String {
    let fields = match version {
        1 => "  string id = 1;\n  string legacy_id = 3;\n",
        2 => "  string id = 1;\n  reserved 3;\n",
        _ => "  string id = 1;\n  reserved 3;\n  string note = 4;\n",
    };
    format!("syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {{\n{fields}}}\n")
}

/// The fleet: a contract repository (its protosync.toml lists the services), five services
/// and the loopback forge.
struct World {
    tmp: TempDir,
    contracts: PathBuf,
    /// The contract commits, oldest first.
    commits: Vec<String>,
    server: ForgeServer,
}

/// Service names, in the order of the [[service]] list.
const SERVICES: [&str; 5] = ["payments", "orders", "billing", "legacy", "broken"];

impl World {
    fn new() -> World {
        let tmp = TempDir::new().unwrap();
        let contracts = tmp.path().join("contracts");
        std::fs::create_dir_all(&contracts).unwrap();
        let mut w = World {
            contracts,
            commits: Vec::new(),
            server: ForgeServer::start(ForgeKind::Github, TOKEN),
            tmp,
        };
        git(&w.contracts, &["init", "-q", "-b", "main"]);
        let mut services = String::from("# The services that vendor these contracts.\n");
        for name in SERVICES {
            let repo = if name == "broken" {
                // Nothing there; the name also checks that reports escape what they show.
                format!(
                    "file://{}/forge/acme/<b>nope</b>.git",
                    w.tmp.path().display()
                )
            } else {
                w.url(name)
            };
            services.push_str(&format!(
                "\n[[service]]\nname = \"{name}\"\nrepo = \"{repo}\"\nbranch = \"main\"\nforge = \"github\"\n"
            ));
        }
        write(&w.contracts, "protosync.toml", &services);
        // Commit 1; payments vendors it.
        w.contract_commit(1);
        w.service("payments");
        // Commit 2 (breaking for a pin at 1); orders vendors it.
        w.contract_commit(2);
        w.service("orders");
        // Commit 3 (compatible); billing and legacy vendor it, legacy then edits its copy.
        w.contract_commit(3);
        w.service("billing");
        let legacy = w.service("legacy");
        write(
            &legacy,
            "third_party/proto/acme/billing/v1/billing.proto",
            &billing(3).replace("string note = 4;", "string note = 4;\n  string hotfix = 9;"),
        );
        git(
            &legacy,
            &["commit", "-q", "-am", "hotfix the vendored contract"],
        );
        git(&legacy, &["push", "-q", "origin", "main"]);
        w
    }

    fn contract_commit(&mut self, version: usize) {
        write(
            &self.contracts,
            "proto/acme/billing/v1/billing.proto",
            &billing(version),
        );
        let date = Some(DATES[version - 1]);
        git_at(&self.contracts, &["add", "-A"], date);
        git_at(
            &self.contracts,
            &["commit", "-q", "-m", &format!("contract v{version}")],
            date,
        );
        self.commits.push(
            git(&self.contracts, &["rev-parse", "HEAD"])
                .trim()
                .to_owned(),
        );
    }

    fn bare(&self, name: &str) -> PathBuf {
        self.tmp.path().join(format!("forge/acme/{name}.git"))
    }

    fn url(&self, name: &str) -> String {
        format!("file://{}", self.bare(name).display())
    }

    /// A service vendoring acme/billing/v1 at the contract's current commit, pushed on main.
    fn service(&self, name: &str) -> PathBuf {
        let bare = self.bare(name);
        std::fs::create_dir_all(&bare).unwrap();
        git(&bare, &["init", "-q", "--bare", "-b", "main"]);
        let work = self.tmp.path().join("work").join(name);
        git(
            self.tmp.path(),
            &[
                "clone",
                "-q",
                bare.to_str().unwrap(),
                work.to_str().unwrap(),
            ],
        );
        git(&work, &["checkout", "-q", "-b", "main"]);
        write(&work, "src/main.rs", "fn main() {}\n");
        let contract = format!("file://{}", self.contracts.display());
        let o = self.run(
            &work,
            &[
                "init",
                "--contract",
                &contract,
                "--root",
                "proto",
                "--from",
                "acme/billing/v1",
                "--to",
                "third_party/proto/acme/billing/v1",
            ],
        );
        assert_code(&o, 0);
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "vendor contracts"]);
        git(&work, &["push", "-q", "origin", "main"]);
        work
    }

    fn cmd(&self, dir: &Path) -> Command {
        let mut c = Command::cargo_bin("protosync").unwrap();
        c.current_dir(dir)
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env("SOURCE_DATE_EPOCH", NOW.to_string())
            .env("PROTOSYNC_HTTP_RETRY_BASE_MS", "1")
            .env_remove("GITHUB_TOKEN")
            .env_remove("PROTOSYNC_TOKEN")
            .env_remove("GITHUB_API_URL")
            .env_remove("PROTOSYNC_API_URL")
            .env_remove("PROTOSYNC_TRACE");
        c
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd(dir).args(args).output().unwrap()
    }

    /// `protosync fleet ARGS` in the contract repository, with the token and the forge.
    fn fleet(&self, args: &[&str]) -> Output {
        let api = self.server.url();
        let o = self
            .cmd(&self.contracts)
            .env("GITHUB_TOKEN", TOKEN)
            .arg("fleet")
            .args(["--api-url", api.as_str()])
            .args(args)
            .output()
            .unwrap();
        for text in [stdout(&o), stderr(&o)] {
            assert!(!text.contains(TOKEN), "the token leaked: {text}");
        }
        o
    }

    /// Commit ids, temp paths and the forge's port made stable for snapshots. Short ids keep
    /// their width (`<c1___>`) so the table stays aligned.
    fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (i, c) in self.commits.iter().enumerate() {
            out = out.replace(c.as_str(), &format!("<c{}>", i + 1));
            out = out.replace(&c[..7], &format!("<c{}___>", i + 1));
        }
        let tmp = self.tmp.path().display().to_string();
        out = out.replace(&tmp, "[TMP]");
        if let Ok(canonical) = self.tmp.path().canonicalize() {
            out = out.replace(&canonical.display().to_string(), "[TMP]");
        }
        out.replace(&self.server.web_url(), "http://[FORGE]")
    }
}

/// The JSON report with every duration set to 0 (`"seconds": 0.0123,` → `"seconds": 0,`).
fn zero_timings(json: &str) -> String {
    let mut out = String::new();
    for line in json.lines() {
        let key = line.trim_start();
        let timed = [
            "\"seconds\": ",
            "\"fetch\": ",
            "\"plan\": ",
            "\"drift\": ",
            "\"forge\": ",
        ]
        .iter()
        .find(|k| key.starts_with(**k));
        match timed {
            Some(k) => {
                let indent = &line[..line.len() - key.len()];
                let comma = if line.ends_with(',') { "," } else { "" };
                out.push_str(&format!("{indent}{k}0{comma}"));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn row<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {doc:#}"))
}

#[test]
fn every_service_is_judged_from_its_pin_and_one_unreachable_service_stops_nothing() {
    let w = World::new();
    // Someone already opened the sync pull request of orders.
    let number = w.server.open_pr(
        "acme",
        "orders",
        BRANCH,
        "main",
        "protosync: sync contracts to 1234567",
        "body",
    );
    let o = w.fleet(&["--format", "json", "--jobs", "3"]);
    assert_code(&o, 1);
    let json = stdout(&o);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let [c1, c2, c3] = [&w.commits[0], &w.commits[1], &w.commits[2]];
    assert_eq!(doc["contract"], "contracts");
    assert_eq!(doc["generated_at"], "2026-03-11T00:00:00Z");
    let names: Vec<&str> = doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, SERVICES, "rows in the order of the [[service]] list");

    // Two commits behind, with a breaking change in between.
    let p = row(&doc, "payments");
    assert_eq!(p["status"], "breaking", "{p:#}");
    assert_eq!(p["colour"], "red");
    assert_eq!(p["pinned"], c1.as_str());
    assert_eq!(p["head"], c3.as_str());
    assert_eq!(p["pinned_at"], "2026-03-01T12:00:00Z");
    assert_eq!(p["pinned_age_seconds"], NOW - DATES[0]);
    assert_eq!(p["behind"], 2);
    assert_eq!(p["changes"], 1);
    assert_eq!(
        (p["breaking"].as_u64(), p["conflicts"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(p["findings"][0]["rule"], "FIELD_NO_DELETE");
    assert_eq!(
        p["findings"][0]["path"],
        "third_party/proto/acme/billing/v1/billing.proto"
    );
    assert_eq!(p["edited"], serde_json::json!([]));
    assert_eq!(p["pull_request"]["state"], "none");
    assert_eq!(p["pull_request"]["branch"], BRANCH);
    assert!(p["error"].is_null());

    // One commit behind, compatible; its pull request is open.
    let o_ = row(&doc, "orders");
    assert_eq!(o_["status"], "behind", "{o_:#}");
    assert_eq!(o_["colour"], "yellow");
    assert_eq!(o_["pinned"], c2.as_str());
    assert_eq!(o_["pinned_at"], "2026-03-05T12:00:00Z");
    assert_eq!(o_["behind"], 1);
    assert_eq!(
        (o_["changes"].as_u64(), o_["breaking"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(o_["pull_request"]["state"], "open");
    assert_eq!(o_["pull_request"]["number"], number);
    assert_eq!(
        o_["pull_request"]["url"],
        format!("{}/acme/orders/pull/{number}", w.server.web_url())
    );

    // At the head.
    let b = row(&doc, "billing");
    assert_eq!(b["status"], "in_sync", "{b:#}");
    assert_eq!(b["colour"], "green");
    assert_eq!(
        (b["pinned"].as_str(), b["head"].as_str()),
        (Some(c3.as_str()), Some(c3.as_str()))
    );
    assert_eq!(b["pinned_age_seconds"], NOW - DATES[2]);
    assert_eq!(b["behind"], 0);
    assert_eq!(
        (b["changes"].as_u64(), b["breaking"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(b["pull_request"]["state"], "none");

    // At the head, with a vendored file edited in the service.
    let l = row(&doc, "legacy");
    assert_eq!(l["status"], "edited", "{l:#}");
    assert_eq!(l["colour"], "red");
    assert_eq!(l["behind"], 0);
    assert_eq!(
        l["edited"],
        serde_json::json!([{"path": "third_party/proto/acme/billing/v1/billing.proto", "state": "edited"}])
    );
    assert_eq!(
        (l["breaking"].as_u64(), l["conflicts"].as_u64()),
        (Some(0), Some(1))
    );

    // Unreachable: a row with the error, the others still judged.
    let x = row(&doc, "broken");
    assert_eq!(x["status"], "unknown", "{x:#}");
    assert_eq!(x["colour"], "grey");
    assert!(x["pinned"].is_null() && x["behind"].is_null());
    assert!(
        x["error"].as_str().unwrap().contains("nope"),
        "{}",
        x["error"]
    );
    assert_eq!(x["pull_request"]["state"], "unknown");

    assert_eq!(
        doc["summary"],
        serde_json::json!({"services": 5, "in_sync": 1, "behind": 1, "unknown": 1, "edited": 1, "breaking": 1})
    );
    assert_eq!(doc["exit_code"], 1);
    // Only the four readable services were asked about, once each, with GETs only.
    let requests = w.server.requests();
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert!(requests.iter().all(|r| r.method == "GET"), "{requests:?}");
    w.server.assert_no_invalid_requests();

    // The snapshot, stable: timings zeroed, ids and paths redacted.
    insta::assert_snapshot!("fleet_json", w.redact(&zero_timings(&json)));

    // The table, and the same judgement whatever the number of workers.
    let o = w.fleet(&["--jobs", "1"]);
    assert_code(&o, 1);
    insta::assert_snapshot!("fleet_text", w.redact(&stdout(&o)));
}

#[test]
fn pull_requests_are_unknown_without_a_token_or_a_forge_and_nothing_else_changes() {
    let w = World::new();
    w.server.open_pr("acme", "orders", BRANCH, "main", "t", "b");
    let api = w.server.url();
    // No token: every pull request is unknown, with why; no request reaches the forge.
    let o = w.run(
        &w.contracts,
        &[
            "fleet",
            "--format",
            "json",
            "--api-url",
            &api,
            "--service",
            "orders",
            "--service",
            "billing",
        ],
    );
    assert_code(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["services"].as_array().unwrap().len(), 2);
    for name in ["orders", "billing"] {
        let r = row(&doc, name);
        assert_eq!(r["pull_request"]["state"], "unknown", "{r:#}");
        let why = r["pull_request"]["why"].as_str().unwrap();
        assert!(why.contains("GITHUB_TOKEN"), "{why}");
    }
    assert_eq!(row(&doc, "orders")["status"], "behind");
    assert_eq!(row(&doc, "billing")["status"], "in_sync");
    assert_eq!(w.server.request_count(), 0);

    // The text report says why once, for both.
    let o = w.run(
        &w.contracts,
        &[
            "fleet",
            "--api-url",
            &api,
            "--service",
            "orders",
            "--service",
            "billing",
        ],
    );
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains(
            "pull requests unknown:\n  orders, billing: no GitHub token: set GITHUB_TOKEN"
        ),
        "{out}"
    );

    // A forge that does not answer: unknown too, and the rows are still judged.
    let o = w
        .cmd(&w.contracts)
        .env("GITHUB_TOKEN", TOKEN)
        .args([
            "fleet",
            "--format",
            "json",
            "--api-url",
            "http://127.0.0.1:9",
        ])
        .args(["--service", "orders", "--service", "payments"])
        .output()
        .unwrap();
    assert_code(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(row(&doc, "payments")["status"], "breaking");
    for name in ["orders", "payments"] {
        let r = row(&doc, name);
        assert_eq!(r["pull_request"]["state"], "unknown", "{r:#}");
        assert!(
            r["pull_request"]["why"]
                .as_str()
                .unwrap()
                .contains("127.0.0.1:9"),
            "{r:#}"
        );
    }

    // --no-forge asks nothing.
    let o = w.fleet(&["--format", "json", "--no-forge", "--service", "orders"]);
    assert_code(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(row(&doc, "orders")["pull_request"]["state"], "unknown");
    assert_eq!(w.server.request_count(), 0);

    // An unknown --service is an error naming the known ones.
    let o = w.fleet(&["--service", "nope"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("known: payments, orders, billing, legacy, broken"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn verbose_says_where_the_time_went_and_output_goes_to_a_file() {
    let w = World::new();
    let out = w.tmp.path().join("reports/fleet.json");
    let o = w.fleet(&["-v", "--format", "json", "--output", out.to_str().unwrap()]);
    assert_code(&o, 1);
    assert_eq!(stdout(&o), "", "the report went to the file");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["services"].as_array().unwrap().len(), 5);
    let err = stderr(&o);
    for name in ["payments", "orders", "billing", "legacy", "broken"] {
        assert!(
            err.contains(&format!("trace: fleet {name}: ")) && err.contains("dry sync"),
            "{err}"
        );
    }
    assert!(err.contains("trace: fleet: 5 services in "), "{err}");
    assert!(
        err.contains("summed over services: fetch and read "),
        "{err}"
    );
    // No temp file left next to the report.
    let names: Vec<String> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["fleet.json"]);
}

#[path = "fleet/html.rs"]
mod html;
