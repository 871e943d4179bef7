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

// ---------------------------------------------------------------------------------------------
// The HTML report in a real browser.

/// Debian's headless Chromium, if installed (`$CHROMIUM` overrides). Under `CI` it must be.
fn chromium() -> Option<String> {
    let candidates = [
        std::env::var("CHROMIUM").unwrap_or_default(),
        "chromium".to_owned(),
        "chromium-browser".to_owned(),
    ];
    for c in candidates.iter().filter(|c| !c.is_empty()) {
        let ok = Std::new(c)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(c.clone());
        }
    }
    None
}

/// Runs headless Chromium on `page` with `args`; gives up after a minute.
fn browse(chromium: &str, profile: &Path, args: &[String], page: &Path) -> Output {
    let mut child = Std::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .env("HOME", profile)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_html_report_is_self_contained_and_renders_sorted_and_coloured_in_headless_chromium() {
    let w = World::new();
    w.server.open_pr("acme", "orders", BRANCH, "main", "t", "b");
    let page = w.tmp.path().join("fleet.html");
    let o = w.fleet(&["--format", "html", "--output", page.to_str().unwrap()]);
    assert_code(&o, 1);
    let html = std::fs::read_to_string(&page).unwrap();

    // One file, nothing fetched from elsewhere: no external script, style, image or font.
    for needle in ["<link", " src=", "@import", "url(", "cdn", "<iframe"] {
        assert!(!html.contains(needle), "{needle:?} in the page");
    }
    assert!(html.contains("<style>") && html.contains("<script>") && html.contains("<svg"));
    // Escaped: the broken service's URL holds markup.
    assert!(!html.contains("<b>nope</b>"), "unescaped text in the page");
    assert!(html.contains("&lt;b&gt;nope&lt;/b&gt;"));
    assert!(html.contains(&format!(
        "<a href=\"{}/acme/orders/pull/1\" rel=\"noopener noreferrer\">#1</a>",
        w.server.web_url()
    )));
    // The page lists rows alphabetically; the script sorts them worst first.
    let order = |text: &str| -> Vec<String> {
        text.match_indices("<tr class=\"st-")
            .map(|(i, _)| {
                let rest = &text[i..];
                let start = rest.find("data-name=\"").unwrap() + 11;
                rest[start..start + rest[start..].find('"').unwrap()].to_owned()
            })
            .collect()
    };
    assert_eq!(
        order(&html),
        ["billing", "broken", "legacy", "orders", "payments"]
    );

    let Some(chromium) = chromium() else {
        // CI installs Chromium (scripts/install-test-tools.sh): there the test must run.
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed: run scripts/install-test-tools.sh"
        );
        eprintln!("skipped: chromium not installed (apt-get install chromium)");
        return;
    };
    let profile = w.tmp.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();

    // The DOM after the script ran: marked ready, sorted by status, worst first.
    let o = browse(&chromium, &profile, &["--dump-dom".to_owned()], &page);
    assert!(o.status.success(), "chromium --dump-dom: {}", stderr(&o));
    let dom = stdout(&o);
    assert!(
        dom.contains("data-ready=\"true\""),
        "the script did not run:\n{dom}"
    );
    assert!(dom.contains("data-sorted=\"status desc\""), "{dom}");
    assert!(dom.contains("aria-sort=\"descending\""), "{dom}");
    assert_eq!(
        order(&dom),
        ["payments", "legacy", "broken", "orders", "billing"],
        "rows sorted worst first by the script"
    );

    // The rendered page: a 1200×800 screenshot with the status colours in it.
    let png = w.tmp.path().join("fleet.png");
    let o = browse(
        &chromium,
        &profile,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,800".to_owned(),
        ],
        &page,
    );
    assert!(o.status.success(), "chromium --screenshot: {}", stderr(&o));
    let bytes = std::fs::read(&png).expect("a screenshot");
    let image = png::decode(&bytes);
    assert_eq!((image.width, image.height), (1200, 800));
    let distinct = image.distinct_colours();
    assert!(
        distinct > 100,
        "a near-blank page: {distinct} distinct colours"
    );
    // Row backgrounds (one per status) and the chart's bars, as painted.
    let wanted: [(&str, [u8; 3], usize); 8] = [
        ("in-sync row", [0xe6, 0xf4, 0xea], 2000),
        ("behind row", [0xff, 0xf4, 0xd6], 2000),
        ("breaking row", [0xfd, 0xe2, 0xe1], 2000),
        ("edited row", [0xfd, 0xe9, 0xdf], 2000),
        ("unknown row", [0xee, 0xee, 0xee], 2000),
        ("breaking bar", [0xc6, 0x28, 0x28], 500),
        ("behind bar", [0xf9, 0xa8, 0x25], 500),
        ("white page", [0xff, 0xff, 0xff], 100_000),
    ];
    for (what, rgb, at_least) in wanted {
        let n = image.count_near(rgb, 2);
        assert!(
            n >= at_least,
            "{what} #{:02x}{:02x}{:02x}: {n} pixels (want ≥ {at_least}); keep {} to look at it",
            rgb[0],
            rgb[1],
            rgb[2],
            png.display()
        );
    }
    // The breaking row is painted above the in-sync row (the script sorted them).
    let first = |rgb: [u8; 3]| image.first_row_with(rgb, 2, 200).unwrap();
    assert!(first([0xfd, 0xe2, 0xe1]) < first([0xe6, 0xf4, 0xea]));
    if let Ok(keep) = std::env::var("PROTOSYNC_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}

/// A PNG decoder for the screenshot: 8-bit RGB or RGBA, non-interlaced (what Chromium
/// writes), with the zlib stream inflated here (no image or compression crate needed), its
/// Adler-32 and every chunk's CRC checked.
mod png {
    pub struct Image {
        pub width: usize,
        pub height: usize,
        /// RGB triples, row by row.
        pub rgb: Vec<[u8; 3]>,
    }

    impl Image {
        pub fn distinct_colours(&self) -> usize {
            let mut all: Vec<[u8; 3]> = self.rgb.clone();
            all.sort_unstable();
            all.dedup();
            all.len()
        }

        fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
            a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
        }

        pub fn count_near(&self, rgb: [u8; 3], tolerance: u8) -> usize {
            self.rgb
                .iter()
                .filter(|p| Self::near(**p, rgb, tolerance))
                .count()
        }

        /// The first pixel row holding at least `min` pixels of that colour.
        pub fn first_row_with(&self, rgb: [u8; 3], tolerance: u8, min: usize) -> Option<usize> {
            (0..self.height).find(|y| {
                self.rgb[y * self.width..(y + 1) * self.width]
                    .iter()
                    .filter(|p| Self::near(**p, rgb, tolerance))
                    .count()
                    >= min
            })
        }
    }

    fn be32(b: &[u8]) -> u32 {
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    pub fn decode(bytes: &[u8]) -> Image {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        let (mut pos, mut idat) = (8, Vec::new());
        let (mut width, mut height, mut channels) = (0, 0, 0);
        loop {
            let len = be32(&bytes[pos..]) as usize;
            let kind = &bytes[pos + 4..pos + 8];
            let data = &bytes[pos + 8..pos + 8 + len];
            let crc = be32(&bytes[pos + 8 + len..]);
            assert_eq!(crc, crc32(&bytes[pos + 4..pos + 8 + len]), "bad chunk CRC");
            match kind {
                b"IHDR" => {
                    width = be32(data) as usize;
                    height = be32(&data[4..]) as usize;
                    let (depth, colour, interlace) = (data[8], data[9], data[12]);
                    assert_eq!((depth, interlace), (8, 0), "only 8-bit, non-interlaced");
                    channels = match colour {
                        2 => 3,
                        6 => 4,
                        other => panic!("PNG colour type {other} not handled"),
                    };
                }
                b"IDAT" => idat.extend_from_slice(data),
                b"IEND" => break,
                _ => {}
            }
            pos += 12 + len;
        }
        let raw = zlib(&idat);
        let stride = width * channels;
        assert_eq!(raw.len(), height * (stride + 1), "inflated size");
        let mut pixels = vec![0u8; height * stride];
        for y in 0..height {
            let filter = raw[y * (stride + 1)];
            let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
            for x in 0..stride {
                let a = if x >= channels {
                    pixels[y * stride + x - channels]
                } else {
                    0
                };
                let b = if y > 0 {
                    pixels[(y - 1) * stride + x]
                } else {
                    0
                };
                let c = if y > 0 && x >= channels {
                    pixels[(y - 1) * stride + x - channels]
                } else {
                    0
                };
                let predicted = match filter {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                    4 => {
                        let p = i16::from(a) + i16::from(b) - i16::from(c);
                        let (pa, pb, pc) = (
                            (p - i16::from(a)).abs(),
                            (p - i16::from(b)).abs(),
                            (p - i16::from(c)).abs(),
                        );
                        if pa <= pb && pa <= pc {
                            a
                        } else if pb <= pc {
                            b
                        } else {
                            c
                        }
                    }
                    other => panic!("PNG filter {other}"),
                };
                pixels[y * stride + x] = line[x].wrapping_add(predicted);
            }
        }
        let rgb = pixels
            .chunks_exact(channels)
            .map(|p| [p[0], p[1], p[2]])
            .collect();
        Image { width, height, rgb }
    }

    /// Inflates a zlib stream (RFC 1950/1951) and checks its Adler-32.
    fn zlib(data: &[u8]) -> Vec<u8> {
        assert_eq!(data[0] & 0x0f, 8, "zlib: deflate");
        assert_eq!(
            (u16::from(data[0]) << 8 | u16::from(data[1])) % 31,
            0,
            "zlib header"
        );
        let mut bits = Bits {
            data: &data[2..],
            pos: 0,
            buf: 0,
            count: 0,
        };
        let out = inflate(&mut bits);
        let end = 2 + bits.pos;
        let (mut s1, mut s2) = (1u32, 0u32);
        for &b in &out {
            s1 = (s1 + u32::from(b)) % 65_521;
            s2 = (s2 + s1) % 65_521;
        }
        assert_eq!(be32(&data[end..]), (s2 << 16) | s1, "zlib: Adler-32");
        out
    }

    struct Bits<'a> {
        data: &'a [u8],
        pos: usize,
        buf: u32,
        count: u32,
    }

    impl Bits<'_> {
        fn take(&mut self, n: u32) -> u32 {
            while self.count < n {
                let byte = *self.data.get(self.pos).expect("deflate: out of data");
                self.pos += 1;
                self.buf |= u32::from(byte) << self.count;
                self.count += 8;
            }
            let v = self.buf & ((1u32 << n) - 1);
            self.buf >>= n;
            self.count -= n;
            v
        }

        /// Drops the bits left in the current byte.
        fn align(&mut self) {
            self.buf = 0;
            self.count = 0;
        }
    }

    /// A canonical Huffman code: codes per length and symbols in code order (as zlib's puff).
    struct Huffman {
        counts: [u16; 16],
        symbols: Vec<u16>,
    }

    impl Huffman {
        fn new(lengths: &[u8]) -> Huffman {
            let mut counts = [0u16; 16];
            for &l in lengths {
                counts[l as usize] += 1;
            }
            counts[0] = 0;
            let mut offsets = [0u16; 16];
            for len in 1..15 {
                offsets[len + 1] = offsets[len] + counts[len];
            }
            let mut symbols = vec![0u16; lengths.len()];
            for (sym, &l) in lengths.iter().enumerate() {
                if l != 0 {
                    symbols[offsets[l as usize] as usize] = sym as u16;
                    offsets[l as usize] += 1;
                }
            }
            Huffman { counts, symbols }
        }

        fn decode(&self, bits: &mut Bits<'_>) -> u16 {
            let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
            for len in 1..16 {
                code |= bits.take(1) as i32;
                let count = i32::from(self.counts[len]);
                if code - count < first {
                    return self.symbols[(index + (code - first)) as usize];
                }
                index += count;
                first += count;
                first <<= 1;
                code <<= 1;
            }
            panic!("deflate: bad Huffman code");
        }
    }

    const LEN_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LEN_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DIST_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DIST_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];

    fn inflate(bits: &mut Bits<'_>) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let last = bits.take(1) == 1;
            match bits.take(2) {
                0 => {
                    bits.align();
                    let p = bits.pos;
                    let len = u16::from_le_bytes([bits.data[p], bits.data[p + 1]]) as usize;
                    let nlen = u16::from_le_bytes([bits.data[p + 2], bits.data[p + 3]]);
                    assert_eq!(len as u16, !nlen, "deflate: stored length");
                    out.extend_from_slice(&bits.data[p + 4..p + 4 + len]);
                    bits.pos = p + 4 + len;
                }
                1 => {
                    let mut lengths = [0u8; 288];
                    lengths[..144].fill(8);
                    lengths[144..256].fill(9);
                    lengths[256..280].fill(7);
                    lengths[280..].fill(8);
                    let lit = Huffman::new(&lengths);
                    let dist = Huffman::new(&[5u8; 30]);
                    codes(bits, &mut out, &lit, &dist);
                }
                2 => {
                    let nlen = bits.take(5) as usize + 257;
                    let ndist = bits.take(5) as usize + 1;
                    let ncode = bits.take(4) as usize + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut cl = [0u8; 19];
                    for &i in &ORDER[..ncode] {
                        cl[i] = bits.take(3) as u8;
                    }
                    let clh = Huffman::new(&cl);
                    let mut lengths = vec![0u8; nlen + ndist];
                    let mut i = 0;
                    while i < nlen + ndist {
                        let sym = clh.decode(bits);
                        let (value, repeat) = match sym {
                            0..=15 => (sym as u8, 1),
                            16 => {
                                assert!(i > 0, "deflate: repeat with no length");
                                (lengths[i - 1], 3 + bits.take(2) as usize)
                            }
                            17 => (0, 3 + bits.take(3) as usize),
                            _ => (0, 11 + bits.take(7) as usize),
                        };
                        for _ in 0..repeat {
                            lengths[i] = value;
                            i += 1;
                        }
                    }
                    let lit = Huffman::new(&lengths[..nlen]);
                    let dist = Huffman::new(&lengths[nlen..]);
                    codes(bits, &mut out, &lit, &dist);
                }
                _ => panic!("deflate: bad block type"),
            }
            if last {
                // The Adler-32 starts at the next byte boundary.
                bits.align();
                return out;
            }
        }
    }

    fn codes(bits: &mut Bits<'_>, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) {
        loop {
            let sym = lit.decode(bits) as usize;
            match sym {
                0..=255 => out.push(sym as u8),
                256 => return,
                _ => {
                    let i = sym - 257;
                    let len = LEN_BASE[i] as usize + bits.take(u32::from(LEN_EXTRA[i])) as usize;
                    let d = dist.decode(bits) as usize;
                    let back = DIST_BASE[d] as usize + bits.take(u32::from(DIST_EXTRA[d])) as usize;
                    assert!(back <= out.len(), "deflate: distance too far back");
                    let start = out.len() - back;
                    for k in 0..len {
                        out.push(out[start + k]);
                    }
                }
            }
        }
    }
}
