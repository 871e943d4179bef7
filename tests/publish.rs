//! Publishing syncs: `sync --commit/--push/--pr` in a service repository and `fanout` from the
//! contract repository. Real git repositories in temp dirs, real pushes to bare repositories,
//! and the pull-request API served by the loopback forge server (tests/support), which checks
//! every GitHub request against GitHub's published REST description.

#[path = "support/forge_server/mod.rs"]
mod forge_server;
#[path = "support/git_http.rs"]
mod git_http;

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Output};

use assert_cmd::Command;
use forge_server::ForgeServer;
use protosync::forge::ForgeKind;
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::{assert_code, git, stderr, stdout, write};

const TOKEN: &str = "ghp_protosyncTESTtoken0123456789";

fn billing(extra: &str) -> String {
    format!(
        "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {{\n  string id = 1;\n  string legacy_id = 3;{extra}\n}}\n"
    )
}

const MONEY: &str =
    "syntax = \"proto3\";\n\npackage acme.common.v1;\n\nmessage Money {\n  int64 units = 1;\n}\n";

/// A contract repository, bare "forge" repositories for services and their working clones.
struct Fleet {
    tmp: TempDir,
    contracts: PathBuf,
    server: ForgeServer,
}

impl Fleet {
    fn new() -> Fleet {
        let tmp = TempDir::new().unwrap();
        let contracts = tmp.path().join("contracts");
        std::fs::create_dir_all(&contracts).unwrap();
        git(&contracts, &["init", "-q", "-b", "main"]);
        write(
            &contracts,
            "proto/acme/billing/v1/billing.proto",
            &billing(""),
        );
        write(&contracts, "proto/acme/common/v1/money.proto", MONEY);
        git(&contracts, &["add", "-A"]);
        git(&contracts, &["commit", "-q", "-m", "first"]);
        Fleet {
            tmp,
            contracts,
            server: ForgeServer::start(ForgeKind::Github, TOKEN),
        }
    }

    fn contract_url(&self) -> String {
        format!("file://{}", self.contracts.display())
    }

    fn bare(&self, name: &str) -> PathBuf {
        self.tmp.path().join(format!("forge/acme/{name}.git"))
    }

    /// A service: a bare repository on the "forge" and a working clone that vendors
    /// `acme/billing/v1` (and `acme/common/v1` when `common`), synced and pushed on main.
    fn service(&self, name: &str, common: bool) -> PathBuf {
        let bare = self.bare(name);
        std::fs::create_dir_all(&bare).unwrap();
        git(&bare, &["init", "-q", "--bare", "-b", "main"]);
        let work = self.tmp.path().join(name);
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
        let url = self.contract_url();
        let mut args = vec![
            "init",
            "--contract",
            url.as_str(),
            "--root",
            "proto",
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
        ];
        if common {
            args.extend([
                "--from",
                "acme/common/v1",
                "--to",
                "third_party/proto/acme/common/v1",
            ]);
        }
        assert_code(&self.run(&work, &args), 0);
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "vendor contracts"]);
        git(&work, &["push", "-q", "origin", "main"]);
        work
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        Command::cargo_bin("protosync")
            .unwrap()
            .current_dir(dir)
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env("GITHUB_TOKEN", TOKEN)
            .env("PROTOSYNC_GIT_AUTHOR", "protosync bot <bot@example.com>")
            .env("PROTOSYNC_HTTP_RETRY_BASE_MS", "1")
            .env_remove("PROTOSYNC_TOKEN")
            .env_remove("GITHUB_API_URL")
            .env_remove("PROTOSYNC_API_URL")
            .args(args)
            .output()
            .unwrap()
    }

    /// `sync --pr` in a service working copy against the loopback forge.
    fn sync_pr(&self, work: &Path, extra: &[&str]) -> Output {
        let api = self.server.url();
        let mut args = vec![
            "sync",
            "--pr",
            "--forge",
            "github",
            "--api-url",
            api.as_str(),
        ];
        args.extend(extra);
        let o = self.run(work, &args);
        for text in [stdout(&o), stderr(&o)] {
            assert!(!text.contains(TOKEN), "the token leaked: {text}");
        }
        o
    }

    fn change_contract(&self, rel: &str, text: &str, msg: &str) {
        write(&self.contracts, rel, text);
        git(&self.contracts, &["add", "-A"]);
        git(&self.contracts, &["commit", "-q", "-m", msg]);
    }

    /// `refs/heads/<branch>` of a bare repository, if any.
    fn tip(&self, name: &str, branch: &str) -> Option<String> {
        let out = Std::new("git")
            .current_dir(self.bare(name))
            .args([
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn refs(&self, name: &str) -> String {
        git(&self.bare(name), &["for-each-ref"])
    }
}

const BRANCH: &str = "protosync/contracts";

#[test]
fn a_pull_request_is_created_once_then_updated_and_a_human_commit_is_left_alone() {
    let f = Fleet::new();
    let work = f.service("billing", true);
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
        "note",
    );
    write(
        &work,
        "notes.txt",
        "uncommitted work, not for the sync commit\n",
    );

    // First run: a commit on the sync branch, pushed, and a pull request.
    let o = f.sync_pr(&work, &[]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("pull request #1 opened: http://127.0.0.1:"),
        "{}",
        stdout(&o)
    );
    let prs = f.server.prs("acme", "billing");
    assert_eq!(prs.len(), 1);
    let pr = &prs[0];
    assert_eq!((pr.head.as_str(), pr.base.as_str()), (BRANCH, "main"));
    assert_eq!(pr.state, "open");
    assert!(
        pr.title.starts_with("protosync: sync contracts to "),
        "{}",
        pr.title
    );
    assert!(
        pr.body
            .contains("| `third_party/proto/acme/billing/v1/billing.proto` | modified | 1 | 0 |"),
        "{}",
        pr.body
    );
    assert!(pr.body.contains("No breaking changes."), "{}", pr.body);
    // The changelog: every change, impact-classified, at the service's path.
    assert!(
        pr.body.contains("### Schema changes\n\nSemver: **minor** (1 change; 0 breaking, 1 compatible, 0 cosmetic)."),
        "{}",
        pr.body
    );
    assert!(
        pr.body.contains("| field_added | `acme.billing.v1.Invoice.note` | `third_party/proto/acme/billing/v1/billing.proto:8:3` |"),
        "{}",
        pr.body
    );
    assert!(
        !pr.body.contains("<details>"),
        "short: not folded\n{}",
        pr.body
    );
    let tip = f.tip("billing", BRANCH).expect("the branch was pushed");
    let bare = f.bare("billing");
    // The commit holds exactly the vendored file and the lock, on top of main.
    let files = git(
        &bare,
        &["diff-tree", "--no-commit-id", "--name-only", "-r", &tip],
    );
    assert_eq!(
        files,
        "protosync.lock\nthird_party/proto/acme/billing/v1/billing.proto\n"
    );
    assert_eq!(
        git(&bare, &["rev-parse", &format!("{tip}^")]),
        git(&bare, &["rev-parse", "main"])
    );
    let message = git(&bare, &["log", "-1", "--format=%B%n%an <%ae>", &tip]);
    assert!(message.contains("Protosync-Contract: file://"), "{message}");
    assert!(
        message.contains("protosync bot <bot@example.com>"),
        "{message}"
    );
    // The service's own working tree: current branch, index and other files untouched.
    assert_eq!(
        git(&work, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "main"
    );
    assert_eq!(git(&work, &["diff", "--cached", "--name-only"]), "");
    assert!(git(&work, &["status", "--porcelain"]).contains("?? notes.txt"));

    // Second run, nothing new: no second pull request, no push.
    let o = f.sync_pr(&work, &[]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("pull request #1 unchanged"),
        "{}",
        stdout(&o)
    );
    assert_eq!(f.server.prs("acme", "billing").len(), 1);
    assert_eq!(f.tip("billing", BRANCH).as_deref(), Some(tip.as_str()));

    // The contract moves on: the same branch and pull request are updated.
    f.change_contract(
        "proto/acme/common/v1/money.proto",
        &MONEY.replace("units = 1;", "units = 1;\n  int32 nanos = 2;"),
        "nanos",
    );
    let o = f.sync_pr(&work, &["--label", "contracts"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("pull request #1 updated"),
        "{}",
        stdout(&o)
    );
    let prs = f.server.prs("acme", "billing");
    assert_eq!(prs.len(), 1, "never a second pull request");
    assert!(
        prs[0].body.contains("money.proto` | modified | 1 | 0 |"),
        "{}",
        prs[0].body
    );
    assert!(prs[0].labels.contains(&"contracts".to_owned()));
    let tip2 = f.tip("billing", BRANCH).unwrap();
    assert_ne!(tip2, tip);
    assert_eq!(
        git(&bare, &["rev-list", "--count", &format!("main..{tip2}")]).trim(),
        "1",
        "the branch is rebuilt on main, not stacked"
    );

    // Someone pushes a commit to the sync branch: protosync leaves the branch alone.
    let other = f.tmp.path().join("human");
    git(
        f.tmp.path(),
        &[
            "clone",
            "-q",
            "-b",
            BRANCH,
            bare.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    write(
        &other,
        "src/fix.rs",
        "// adapt the code to the new contract\n",
    );
    git(&other, &["add", "-A"]);
    git(&other, &["commit", "-q", "-m", "Adapt the client"]);
    git(&other, &["push", "-q", "origin", BRANCH]);
    let human_tip = f.tip("billing", BRANCH).unwrap();
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;\n  string po = 5;"),
        "po",
    );
    let o = f.sync_pr(&work, &[]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains(
            "skipped: branch protosync/contracts has a commit protosync did not make on the remote"
        ),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("Adapt the client"), "{}", stdout(&o));
    assert_eq!(
        f.tip("billing", BRANCH).as_deref(),
        Some(human_tip.as_str())
    );
    f.server.assert_no_invalid_requests();
}

#[test]
fn a_breaking_update_is_refused_unless_allowed_and_then_listed_in_the_body() {
    let f = Fleet::new();
    let work = f.service("billing", false);
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("").replace("\n  string legacy_id = 3;", ""),
        "drop legacy_id",
    );
    let o = f.sync_pr(&work, &[]);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains("refused: the update is breaking"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("nothing committed: the sync did not complete"));
    assert_eq!(f.tip("billing", BRANCH), None, "nothing pushed");
    assert!(f.server.prs("acme", "billing").is_empty());

    let o = f.sync_pr(
        &work,
        &["--allow-breaking", "--draft", "--reviewer", "octocat"],
    );
    assert_code(&o, 0);
    let prs = f.server.prs("acme", "billing");
    assert_eq!(prs.len(), 1);
    let pr = &prs[0];
    assert!(pr.title.ends_with("(breaking)"), "{}", pr.title);
    assert!(
        pr.body.contains("| field_deleted | `acme.billing.v1.Invoice.legacy_id` | `third_party/proto/acme/billing/v1/billing.proto:7:3` | FIELD_NO_DELETE |"),
        "{}",
        pr.body
    );
    assert!(pr.draft);
    assert_eq!(pr.reviewers, ["octocat"]);
    assert!(
        pr.body.contains("| `third_party/proto/acme/billing/v1/billing.proto:5:1` | `FIELD_NO_DELETE` | Previously present field \"3\" with name \"legacy_id\" on message \"Invoice\" was deleted. |"),
        "{}",
        pr.body
    );
    f.server.assert_no_invalid_requests();
}

#[test]
fn the_pull_request_changelog_lists_every_change_and_folds_a_long_one() {
    let f = Fleet::new();
    let work = f.service("billing", false);
    let added: String = (0..22)
        .map(|i| format!("\n  string extra_{i} = {};", 10 + i))
        .collect();
    let text = billing(&added).replace("\n  string legacy_id = 3;", "");
    f.change_contract("proto/acme/billing/v1/billing.proto", &text, "many");
    assert_code(&f.sync_pr(&work, &["--allow-breaking"]), 0);
    let prs = f.server.prs("acme", "billing");
    let body = &prs[0].body;
    assert!(
        body.contains("Semver: **major** (23 changes; 1 breaking, 22 compatible, 0 cosmetic)."),
        "{body}"
    );
    assert!(
        body.contains(
            "<details><summary>23 changes (1 breaking, 22 compatible, 0 cosmetic)</summary>"
        ),
        "{body}"
    );
    assert!(
        body.contains("| field_deleted | `acme.billing.v1.Invoice.legacy_id` |"),
        "{body}"
    );
    for i in 0..22 {
        assert!(
            body.contains(&format!(
                "| field_added | `acme.billing.v1.Invoice.extra_{i}` |"
            )),
            "extra_{i} missing:\n{body}"
        );
    }
    assert!(
        body.contains("stable package with 1 breaking change: they call for a new major version, acme.billing.v2"),
        "{body}"
    );
    let (open, close) = (
        body.find("<details>").unwrap(),
        body.find("</details>").unwrap(),
    );
    assert!(open < body.find("extra_0").unwrap() && body.find("extra_21").unwrap() < close);
    f.server.assert_no_invalid_requests();
}

#[test]
fn an_update_that_turns_out_empty_closes_the_pull_request() {
    let f = Fleet::new();
    let work = f.service("billing", false);
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
        "note",
    );
    assert_code(&f.sync_pr(&work, &[]), 0);
    assert_eq!(f.server.open_prs("acme", "billing").len(), 1);
    // The service takes the update on main another way (here: commits the synced files).
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "take the contract update"]);
    git(&work, &["push", "-q", "origin", "main"]);
    let o = f.sync_pr(&work, &[]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("pull request #1 closed"),
        "{}",
        stdout(&o)
    );
    let prs = f.server.prs("acme", "billing");
    assert_eq!(prs[0].state, "closed");
    assert_eq!(prs[0].comments.len(), 1);
    assert!(
        prs[0].comments[0].contains("already matches"),
        "{:?}",
        prs[0].comments
    );
    f.server.assert_no_invalid_requests();
}

#[test]
fn commit_alone_builds_the_branch_from_objects_and_refuses_the_sync_branch_itself() {
    let f = Fleet::new();
    let work = f.service("billing", false);
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
        "note",
    );
    write(&work, "src/main.rs", "fn main() { println!(\"wip\"); }\n");
    git(&work, &["add", "src/main.rs"]);
    let o = f.run(&work, &["sync", "--commit"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains(&format!("on branch {BRANCH} (on main)")),
        "{}",
        stdout(&o)
    );
    let files = git(
        &work,
        &["diff-tree", "--no-commit-id", "--name-only", "-r", BRANCH],
    );
    assert_eq!(
        files,
        "protosync.lock\nthird_party/proto/acme/billing/v1/billing.proto\n"
    );
    // The staged change is still staged and not in the sync commit; nothing was pushed.
    assert_eq!(
        git(&work, &["diff", "--cached", "--name-only"]),
        "src/main.rs\n"
    );
    assert_eq!(f.tip("billing", BRANCH), None);
    // On the sync branch itself, protosync refuses.
    git(&work, &["stash", "-q"]);
    git(&work, &["checkout", "-q", BRANCH]);
    let o = f.run(&work, &["sync", "--commit"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("the current branch is the sync branch"),
        "{}",
        stderr(&o)
    );
    // A remote that does not exist is refused before anything is written.
    git(&work, &["checkout", "-q", "main"]);
    let before = git(&work, &["status", "--porcelain"]);
    f.change_contract(
        "proto/acme/common/v1/money.proto",
        &MONEY.replace("units = 1;", "units = 1;\n  int32 nanos = 2;"),
        "nanos",
    );
    let o = f.run(&work, &["sync", "--push", "--remote", "nowhere"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("no git remote named \"nowhere\""),
        "{}",
        stderr(&o)
    );
    assert_eq!(git(&work, &["status", "--porcelain"]), before);
}

/// Writes the contract repository's `[[service]]` list.
fn services_toml(f: &Fleet, names: &[(&str, String)]) {
    let mut text = String::new();
    for (name, repo) in names {
        text.push_str(&format!(
            "[[service]]\nname = \"{name}\"\nrepo = \"{repo}\"\nbranch = \"main\"\nforge = \"github\"\n\n"
        ));
    }
    write(&f.contracts, "protosync.toml", &text);
    git(&f.contracts, &["add", "-A"]);
    git(&f.contracts, &["commit", "-q", "-m", "services"]);
}

#[test]
fn fanout_opens_one_pull_request_per_service_and_one_failure_stops_nothing() {
    let f = Fleet::new();
    f.service("billing", true);
    f.service("orders", false);
    let url = |name: &str| format!("file://{}", f.bare(name).display());
    services_toml(
        &f,
        &[
            ("billing", url("billing")),
            (
                "broken",
                format!("file://{}/forge/acme/broken.git", f.tmp.path().display()),
            ),
            ("orders", url("orders")),
        ],
    );
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
        "note",
    );
    let api = f.server.url();
    let refs_before = (f.refs("billing"), f.refs("orders"));

    // --dry-run: every diff and verdict, nothing pushed or opened anywhere.
    let o = f.run(&f.contracts, &["fanout", "--dry-run", "--api-url", &api]);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("==> billing"), "{out}");
    assert!(
        out.contains("+++ b/third_party/proto/acme/billing/v1/billing.proto"),
        "{out}"
    );
    assert!(out.contains("3 services: 0 created, 0 updated, 0 unchanged, 0 closed, 2 skipped, 1 failed (dry run: nothing pushed or opened)"), "{out}");
    assert_eq!((f.refs("billing"), f.refs("orders")), refs_before);
    assert_eq!(f.server.request_count(), 0);

    // The matrix names the affected services.
    let o = f.run(
        &f.contracts,
        &[
            "fanout",
            "--format",
            "github-matrix",
            "--service",
            "billing",
            "--service",
            "orders",
        ],
    );
    assert_code(&o, 0);
    let matrix: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let names: Vec<&str> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["billing", "orders"]);

    // The real run: two pull requests, one failure reported, exit 1.
    let o = f.run(&f.contracts, &["fanout", "--jobs", "3", "--api-url", &api]);
    assert_code(&o, 1);
    let out = stdout(&o);
    for text in [&out, &stderr(&o)] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
    assert!(
        out.starts_with("created (2)\n  billing  http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("failed (1)\n  broken   "), "{out}");
    assert!(
        out.contains(
            "3 services: 2 created, 0 updated, 0 unchanged, 0 closed, 0 skipped, 1 failed"
        ),
        "{out}"
    );
    assert_eq!(f.server.prs("acme", "billing").len(), 1);
    assert_eq!(f.server.prs("acme", "orders").len(), 1);
    assert!(f.tip("billing", BRANCH).is_some() && f.tip("orders", BRANCH).is_some());
    // Each fan-out pull request carries its service's changelog.
    let body = &f.server.prs("acme", "billing")[0].body;
    assert!(body.contains("### Schema changes\n\nSemver: **"), "{body}");

    // Again: nothing new, nothing duplicated; JSON for CI.
    let o = f.run(
        &f.contracts,
        &[
            "fanout",
            "--api-url",
            &api,
            "--format",
            "json",
            "--service",
            "billing",
            "--service",
            "orders",
        ],
    );
    assert_code(&o, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["summary"]["unchanged"], 2, "{doc:#}");
    assert_eq!(doc["services"][0]["verdict"], "unchanged");
    assert_eq!(f.server.prs("acme", "billing").len(), 1);
    let o = f.run(&f.contracts, &["fanout", "--service", "nope"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("--service \"nope\": no such [[service]]"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("known: billing, broken, orders"),
        "{}",
        stderr(&o)
    );
    f.server.assert_no_invalid_requests();
}

#[test]
fn the_sync_branch_is_pushed_over_smart_http_with_the_token_and_a_pull_request_opened() {
    let f = Fleet::new();
    let work = f.service("billing", false);
    // The same bare repository, served by `git http-backend` behind a token.
    let git_token = "protosync-git-SECRET-4711";
    let server = git_http::Server::start(&f.tmp.path().join("forge"), Some(git_token));
    let url = server.url("acme/billing.git");
    git(&work, &["remote", "set-url", "origin", &url]);
    f.change_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
        "note",
    );
    // Without the token the push is refused, with a message naming the variable to set.
    let o = f.run(&work, &["sync", "--push"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("PROTOSYNC_GIT_TOKEN"), "{}", stderr(&o));
    assert_eq!(f.tip("billing", BRANCH), None);

    let api = f.server.url();
    let o = Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(&work)
        .env("PROTOSYNC_CACHE_DIR", f.tmp.path().join("cache"))
        .env("GITHUB_TOKEN", TOKEN)
        .env("PROTOSYNC_GIT_TOKEN", git_token)
        .env("PROTOSYNC_GIT_AUTHOR", "protosync bot <bot@example.com>")
        .args(["sync", "--pr", "--forge", "github", "--api-url", &api])
        .output()
        .unwrap();
    assert_code(&o, 0);
    for text in [stdout(&o), stderr(&o)] {
        assert!(
            !text.contains(git_token) && !text.contains(TOKEN),
            "a token leaked: {text}"
        );
    }
    let tip = f.tip("billing", BRANCH).expect("pushed over http");
    assert!(git(&f.bare("billing"), &["log", "-1", "--format=%B", &tip])
        .contains("Protosync-Contract:"));
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.contains("git-receive-pack")),
        "{:?}",
        server.requests()
    );
    let prs = f.server.prs("acme", "billing");
    assert_eq!(prs.len(), 1);
    assert_eq!(prs[0].head, BRANCH);
    // The token is not stored in the repository's config or refs.
    let config = std::fs::read_to_string(work.join(".git/config")).unwrap();
    assert!(!config.contains(git_token));
    f.server.assert_no_invalid_requests();
}
