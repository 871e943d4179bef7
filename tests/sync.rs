//! Contract sync end to end: `init`, `status`, `sync` and `check` on real git repositories
//! made in temp dirs (a contract repository and a service repository), run through the real
//! binary. Covers every file state, the refusals (breaking, local edits, path escapes),
//! idempotence, `--dry-run`, a crash in the middle of a sync, and two syncs at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::{assert_code, git, read, stderr, stdout, write};

const MONEY: &str = "syntax = \"proto3\";\n\npackage acme.common.v1;\n\n// An amount of money.\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n";

fn billing(extra: &str) -> String {
    format!(
        "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nimport \"acme/common/v1/money.proto\";\n\nmessage Invoice {{\n  string id = 1;\n  acme.common.v1.Money total = 2;\n  string legacy_id = 3;{extra}\n}}\n\nservice Billing {{\n  rpc GetInvoice(Invoice) returns (Invoice);\n}}\n"
    )
}

const ORDERS: &str =
    "syntax = \"proto3\";\n\npackage acme.orders.v1;\n\nmessage Order {\n  string id = 1;\n}\n";

/// A contract repository and a service repository next to it.
struct World {
    tmp: TempDir,
    contracts: PathBuf,
    svc: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = TempDir::new().unwrap();
        let contracts = tmp.path().join("contracts");
        let svc = tmp.path().join("svc");
        std::fs::create_dir_all(&contracts).unwrap();
        std::fs::create_dir_all(&svc).unwrap();
        git(&contracts, &["init", "-q", "-b", "main"]);
        write(&contracts, "proto/acme/common/v1/money.proto", MONEY);
        write(
            &contracts,
            "proto/acme/billing/v1/billing.proto",
            &billing(""),
        );
        write(&contracts, "proto/acme/orders/v1/orders.proto", ORDERS);
        write(&contracts, "README.md", "contracts\n");
        git(&contracts, &["add", "-A"]);
        git(&contracts, &["commit", "-q", "-m", "first"]);
        git(&svc, &["init", "-q", "-b", "main"]);
        write(&svc, "src/main.rs", "fn main() {}\n");
        git(&svc, &["add", "-A"]);
        git(&svc, &["commit", "-q", "-m", "service"]);
        World {
            tmp,
            contracts,
            svc,
        }
    }

    /// Runs protosync in the service repository.
    fn run(&self, args: &[&str]) -> Output {
        self.run_in(&self.svc, args)
    }

    fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        Command::cargo_bin("protosync")
            .unwrap()
            .current_dir(dir)
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("PROTOSYNC_FAIL_AFTER")
            .args(args)
            .output()
            .unwrap()
    }

    /// `init` with the usual two mappings (billing and common).
    fn init(&self) -> Output {
        self.run(&[
            "init",
            "--contract",
            "../contracts",
            "--root",
            "proto",
            "--from",
            "acme/billing/v1",
            "--to",
            "third_party/proto/acme/billing/v1",
            "--from",
            "acme/common/v1",
            "--to",
            "third_party/proto/acme/common/v1",
        ])
    }

    fn commit_contract(&self, rel: &str, text: Option<&str>, msg: &str) -> String {
        match text {
            Some(t) => write(&self.contracts, rel, t),
            None => std::fs::remove_file(self.contracts.join(rel)).unwrap(),
        }
        git(&self.contracts, &["add", "-A"]);
        git(&self.contracts, &["commit", "-q", "-m", msg]);
        self.contract_head()
    }

    fn contract_head(&self) -> String {
        git(&self.contracts, &["rev-parse", "HEAD"])
            .trim()
            .to_owned()
    }

    fn commit_svc(&self) {
        git(&self.svc, &["add", "-A"]);
        git(&self.svc, &["commit", "-q", "-m", "sync"]);
    }

    /// Every file of the service repository outside `.git`, with its bytes.
    fn tree(&self) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.svc.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let e = e.unwrap();
                let p = e.path();
                if e.file_name() == ".git" {
                    continue;
                }
                if e.file_type().unwrap().is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(&self.svc)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    /// Replaces the contract's commit ids (full and short) with `<commit-N>` (N = 1 for the
    /// first commit) so outputs can be snapshot.
    fn redact(&self, text: &str) -> String {
        let log = git(&self.contracts, &["log", "--reverse", "--format=%H"]);
        let mut out = text.replace(&self.tmp.path().display().to_string(), "<tmp>");
        for (i, c) in log.lines().enumerate() {
            out = out
                .replace(c, &format!("<commit-{}>", i + 1))
                .replace(&c[..7], &format!("<commit-{}>", i + 1));
        }
        out
    }
}

fn lock_commit(w: &World) -> String {
    let lock = read(&w.svc, "protosync.lock");
    let line = lock
        .lines()
        .find(|l| l.starts_with("commit = "))
        .expect("commit line");
    line.trim_start_matches("commit = ")
        .trim_matches('"')
        .to_owned()
}

const BILLING_PATH: &str = "third_party/proto/acme/billing/v1/billing.proto";
const MONEY_PATH: &str = "third_party/proto/acme/common/v1/money.proto";

#[test]
fn init_vendors_the_mappings_and_a_second_run_is_a_no_op() {
    let w = World::new();
    let o = w.init();
    assert_code(&o, 0);
    assert_eq!(read(&w.svc, BILLING_PATH), billing(""));
    assert_eq!(read(&w.svc, MONEY_PATH), MONEY);
    // Only the mapped packages are vendored.
    assert!(!w.svc.join("third_party/proto/acme/orders").exists());
    assert_eq!(lock_commit(&w), w.contract_head());
    let lock = read(&w.svc, "protosync.lock");
    assert!(
        lock.contains(&format!("path = \"{BILLING_PATH}\"")),
        "{lock}"
    );
    assert!(lock.contains("from = \"proto/acme/billing/v1/billing.proto\""));
    let config = read(&w.svc, "protosync.toml");
    assert!(config.contains("repo = \"../contracts\""), "{config}");
    // The written configuration is one the other commands accept.
    let o = w.run(&["status", "--format", "json"]);
    assert_code(&o, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["mappings"][0]["state"], "in_sync");
    assert_eq!(doc["mappings"][1]["state"], "in_sync");
    assert_eq!(doc["contract"]["behind_commits"], 0);

    let before = w.tree();
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("already in sync with main"),
        "{}",
        stdout(&o)
    );
    assert_eq!(w.tree(), before, "a sync with nothing new writes nothing");
    assert_code(&w.run(&["check"]), 0);
    // A second init refuses to overwrite the configuration.
    let o = w.init();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("protosync.toml already exists"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_adopts_an_existing_copy_without_overwriting_it() {
    let w = World::new();
    // The service already has a hand-made copy: money.proto is identical, billing.proto differs.
    write(&w.svc, MONEY_PATH, MONEY);
    let edited = billing("\n  string po_number = 9;");
    write(&w.svc, BILLING_PATH, &edited);
    let o = w.init();
    assert_code(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("adopted the existing copy; 1 file differ"),
        "{out}"
    );
    assert_eq!(
        read(&w.svc, BILLING_PATH),
        edited,
        "the differing file is kept"
    );
    // The lock records the contract's bytes, so the difference shows as an edit.
    let o = w.run(&["status", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let files = &doc["mappings"][0]["files"];
    assert_eq!(files[0]["path"], BILLING_PATH);
    assert_eq!(files[0]["state"], "edited");
    assert_eq!(doc["mappings"][1]["state"], "in_sync");
    let o = w.run(&["check"]);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains(&format!("{BILLING_PATH}: edited")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn init_dry_run_and_bad_options_write_nothing() {
    let w = World::new();
    let before = w.tree();
    let o = w.run(&[
        "init",
        "--contract",
        "../contracts",
        "--root",
        "proto",
        "--from",
        "acme/billing/v1",
        "--to",
        "third_party/billing",
        "--dry-run",
    ]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("A third_party/billing/billing.proto (+15 -0)"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("dry run: would update 1 file"));
    assert_eq!(w.tree(), before);

    // A mapping that selects nothing, a path escape, a contract that is not there.
    for (args, needle) in [
        (
            vec!["--from", "acme/billing/v9", "--to", "third_party/b"],
            "vendor[1].from \"acme/billing/v9\" selects no .proto file under contract.root \"proto\"",
        ),
        (
            vec!["--from", "acme/billing/v1", "--to", "../elsewhere"],
            "vendor[1].to: \"../elsewhere\" contains `..`",
        ),
    ] {
        let mut all = vec!["init", "--contract", "../contracts", "--root", "proto"];
        all.extend(args);
        let o = w.run(&all);
        assert_code(&o, 2);
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
        assert_eq!(w.tree(), before);
    }
    let o = w.run(&[
        "init",
        "--contract",
        "../nowhere",
        "--from",
        "a",
        "--to",
        "b",
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("../nowhere"), "{}", stderr(&o));
    assert_eq!(w.tree(), before);
}

/// Sets up one file in each state and returns the world.
fn every_state() -> World {
    let w = World::new();
    // More files in the billing package so each can be in its own state.
    for name in ["a", "b", "c", "d"] {
        write(
            &w.contracts,
            &format!("proto/acme/billing/v1/{name}.proto"),
            &format!(
                "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage {} {{ string id = 1; }}\n",
                name.to_uppercase()
            ),
        );
    }
    git(&w.contracts, &["add", "-A"]);
    git(&w.contracts, &["commit", "-q", "-m", "more"]);
    assert_code(&w.init(), 0);
    w.commit_svc();
    let dir = "third_party/proto/acme/billing/v1";
    // behind: a.proto changes upstream only. diverged: b.proto changes on both sides.
    // edited: c.proto changes here only. missing: d.proto deleted here. extra: e.proto added
    // here. added upstream: f.proto.
    write(&w.contracts, "proto/acme/billing/v1/a.proto", "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage A { string id = 1; string name = 2; }\n");
    write(&w.contracts, "proto/acme/billing/v1/b.proto", "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage B { string id = 1; int32 n = 2; }\n");
    write(
        &w.contracts,
        "proto/acme/billing/v1/f.proto",
        "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage F {}\n",
    );
    git(&w.contracts, &["add", "-A"]);
    git(&w.contracts, &["commit", "-q", "-m", "upstream changes"]);
    write(&w.svc, &format!("{dir}/b.proto"), "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage B { string id = 1; bool local = 3; }\n");
    write(
        &w.svc,
        &format!("{dir}/c.proto"),
        "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage C { string id = 1; } // local\n",
    );
    std::fs::remove_file(w.svc.join(format!("{dir}/d.proto"))).unwrap();
    write(
        &w.svc,
        &format!("{dir}/e.proto"),
        "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage E {}\n",
    );
    w
}

#[test]
fn status_reports_every_state_per_file_and_per_mapping() {
    let w = every_state();
    let o = w.run(&["status", "--format", "json"]);
    assert_code(&o, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let states: BTreeMap<String, String> = doc["mappings"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = f["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            (name, f["state"].as_str().unwrap().to_owned())
        })
        .collect();
    let want: BTreeMap<String, String> = [
        ("a.proto", "behind"),
        ("b.proto", "diverged"),
        ("billing.proto", "in_sync"),
        ("c.proto", "edited"),
        ("d.proto", "missing"),
        ("e.proto", "extra"),
        ("f.proto", "behind"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(states, want);
    assert_eq!(doc["mappings"][0]["state"], "diverged");
    assert_eq!(doc["mappings"][1]["state"], "in_sync");
    assert_eq!(doc["contract"]["behind_commits"], 1);
    let text = w.redact(&stdout(&w.run(&["status"])));
    insta::assert_snapshot!("status_every_state", text);
    // check fails on the local drift (edited, diverged, missing, extra), not on behind.
    let o = w.run(&["check", "--format", "json"]);
    assert_code(&o, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let drift: Vec<(String, String)> = doc["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned(),
                f["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        drift,
        [
            ("b.proto", "edited"),
            ("c.proto", "edited"),
            ("d.proto", "missing"),
            ("e.proto", "extra")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let behind: Vec<&str> = doc["behind"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(behind, ["a.proto", "b.proto", "f.proto"]);
    let o = w.run(&["check", "--format", "github"]);
    insta::assert_snapshot!("check_github_every_state", w.redact(&stdout(&o)));
}

#[test]
fn sync_refuses_local_edits_and_writes_nothing_unless_forced() {
    let w = every_state();
    let before = w.tree();
    let o = w.run(&["sync"]);
    assert_code(&o, 2);
    let out = stdout(&o);
    assert!(
        out.contains("b.proto: edited locally (differs from protosync.lock)"),
        "{out}"
    );
    assert!(out.contains("refused: the sync would overwrite local edits; nothing written"));
    // c.proto was edited here while the contract kept it: restoring it would lose the edit
    // too. e.proto is not protosync's file: never in the way.
    assert!(
        out.contains("c.proto: edited locally (differs from protosync.lock)"),
        "{out}"
    );
    assert!(!out.contains("e.proto: edited"), "{out}");
    assert_eq!(w.tree(), before, "a refused sync writes nothing");
    // The breaking verdict is about the contract's change (the pinned version → the new one):
    // the local field dropped by --force is not the contract's doing.
    let o = w.run(&["sync", "--dry-run", "--force"]);
    assert_code(&o, 0);
    assert!(!stdout(&o).contains("FIELD_NO_DELETE"), "{}", stdout(&o));
    assert_eq!(w.tree(), before, "--dry-run writes nothing");

    let o = w.run(&["sync", "--force"]);
    assert_code(&o, 0);
    let dir = "third_party/proto/acme/billing/v1";
    for name in ["a", "b", "c", "d", "f"] {
        let rel = format!("{dir}/{name}.proto");
        assert_eq!(
            read(&w.svc, &rel),
            read(&w.contracts, &format!("proto/acme/billing/v1/{name}.proto")),
            "{rel}"
        );
    }
    // The extra file is left alone, and is still reported by check.
    assert!(w.svc.join(format!("{dir}/e.proto")).exists());
    assert_eq!(lock_commit(&w), w.contract_head());
    let o = w.run(&["check"]);
    assert_code(&o, 1);
    assert_eq!(
        stdout(&o).lines().next().unwrap(),
        format!("{dir}/e.proto: extra: not in protosync.lock: a file under a vendored directory that does not come from the contract")
    );
    assert!(stdout(&o).contains("check failed: 1 drifted vendored file, 0 breaking changes"));
}

#[test]
fn sync_shows_the_diff_updates_files_and_lock_and_is_idempotent() {
    let w = World::new();
    assert_code(&w.init(), 0);
    w.commit_svc();
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        Some(&billing("\n  string note = 4;")),
        "add note",
    );
    // Orders is not vendored: its change does not concern this service.
    w.commit_contract(
        "proto/acme/orders/v1/orders.proto",
        Some(&ORDERS.replace("id = 1;", "id = 1;\n  string note = 2;")),
        "orders",
    );
    let o = w.run(&["status"]);
    assert!(
        stdout(&o).contains(
            "behind    third_party/proto/acme/billing/v1/billing.proto (changed upstream)"
        ),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("the update is not breaking for this copy"));

    let before = w.tree();
    let o = w.run(&["sync", "--dry-run"]);
    assert_code(&o, 0);
    assert_eq!(w.tree(), before);
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    insta::assert_snapshot!("sync_update", w.redact(&stdout(&o)));
    assert_eq!(read(&w.svc, BILLING_PATH), billing("\n  string note = 4;"));
    assert_eq!(lock_commit(&w), w.contract_head());
    // git sees exactly the vendored file and the lock changed.
    let changed = git(&w.svc, &["status", "--porcelain"]);
    assert_eq!(changed, format!(" M protosync.lock\n M {BILLING_PATH}\n"));
    let after = w.tree();
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("nothing to do"));
    assert_eq!(w.tree(), after);
    assert_code(&w.run(&["check"]), 0);

    // A contract commit that touches no vendored file moves the lock only.
    w.commit_contract("README.md", Some("contracts v2\n"), "docs");
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("no vendored file changed; protosync.lock now records"),
        "{}",
        stdout(&o)
    );
    assert_eq!(lock_commit(&w), w.contract_head());
}

#[test]
fn a_breaking_update_is_refused_unless_allowed() {
    let w = World::new();
    assert_code(&w.init(), 0);
    w.commit_svc();
    // Deleting legacy_id breaks callers; changing money's units type breaks the wire.
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        Some(&billing("").replace("\n  string legacy_id = 3;", "")),
        "drop legacy_id",
    );
    w.commit_contract(
        "proto/acme/common/v1/money.proto",
        Some(&MONEY.replace("int64 units", "string units")),
        "units as string",
    );
    let o = w.run(&["status", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["breaking"]["summary"]["findings"], 2);

    let before = w.tree();
    let o = w.run(&["sync"]);
    assert_code(&o, 1);
    insta::assert_snapshot!("sync_refused_breaking", w.redact(&stdout(&o)));
    assert_eq!(w.tree(), before, "a refused sync writes nothing");
    let o = w.run(&["sync", "--format", "json"]);
    assert_code(&o, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["outcome"], "refused_breaking");
    assert_eq!(doc["exit_code"], 1);
    let rules: Vec<&str> = doc["breaking"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["FIELD_NO_DELETE", "FIELD_SAME_TYPE"]);
    assert_eq!(doc["breaking"]["findings"][0]["path"], BILLING_PATH);
    assert_eq!(doc["breaking"]["findings"][1]["path"], MONEY_PATH);

    // An allowance in the service's [breaking] config accepts one of them.
    let mut config = read(&w.svc, "protosync.toml");
    config.push_str("\n[[breaking.allow]]\nrule = \"FIELD_NO_DELETE\"\nelement = \"acme.billing.v1.Invoice.legacy_id\"\nreason = \"no client reads it\"\n");
    std::fs::write(w.svc.join("protosync.toml"), &config).unwrap();
    let o = w.run(&["sync", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["breaking"]["summary"]["findings"], 1);
    assert_eq!(doc["breaking"]["summary"]["allowed"], 1);
    let o = w.run(&["sync", "--dry-run"]);
    assert!(
        stdout(&o)
            .contains("\n1 breaking change allowed by [[breaking.allow]] in protosync.toml\n"),
        "{}",
        stdout(&o)
    );

    let o = w.run(&["sync", "--allow-breaking"]);
    assert_code(&o, 0);
    assert!(read(&w.svc, MONEY_PATH).contains("string units"));
    assert_eq!(lock_commit(&w), w.contract_head());
    assert_code(&w.run(&["check"]), 0);
}

#[test]
fn files_deleted_upstream_are_deleted_and_a_ref_can_be_pinned() {
    let w = World::new();
    write(
        &w.contracts,
        "proto/acme/billing/v1/old.proto",
        "syntax = \"proto3\";\npackage acme.billing.v1;\nmessage Old {}\n",
    );
    git(&w.contracts, &["add", "-A"]);
    git(&w.contracts, &["commit", "-q", "-m", "old"]);
    git(&w.contracts, &["tag", "v1"]);
    assert_code(&w.init(), 0);
    w.commit_svc();
    let old = "third_party/proto/acme/billing/v1/old.proto";
    assert!(w.svc.join(old).exists());
    w.commit_contract("proto/acme/billing/v1/old.proto", None, "remove old");
    let o = w.run(&["sync", "--allow-breaking"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains(&format!("D {old}")), "{}", stdout(&o));
    assert!(!w.svc.join(old).exists());
    assert!(!read(&w.svc, "protosync.lock").contains("old.proto"));

    // --ref follows a tag; the lock records it.
    let o = w.run(&["sync", "--ref", "v1"]);
    assert_code(&o, 0);
    assert!(w.svc.join(old).exists());
    let lock = read(&w.svc, "protosync.lock");
    assert!(lock.contains("ref = \"v1\""), "{lock}");
    let o = w.run(&["sync", "--ref", "no-such-ref"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("no-such-ref"), "{}", stderr(&o));
}

#[test]
fn paths_that_escape_the_repository_are_refused() {
    let w = World::new();
    assert_code(&w.init(), 0);
    w.commit_svc();
    let outside = w.tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // A vendored directory replaced by a symlink to a directory outside the repository.
    let dir = w.svc.join("third_party/proto/acme/common/v1");
    std::fs::remove_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, &dir).unwrap();
    w.commit_contract(
        "proto/acme/common/v1/money.proto",
        Some(&MONEY.replace("units = 2;", "units = 2;\n  int32 nanos = 3;")),
        "nanos",
    );
    for cmd in [&["sync"][..], &["status"], &["check"]] {
        let o = w.run(cmd);
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("is a symlink to"),
            "{cmd:?}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("outside the repository"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        0,
        "nothing written outside"
    );

    // Config paths that escape name the key and its place.
    std::fs::remove_file(&dir).unwrap();
    let config = read(&w.svc, "protosync.toml").replace(
        "to = \"third_party/proto/acme/common/v1\"",
        "to = \"/tmp/common\"",
    );
    std::fs::write(w.svc.join("protosync.toml"), config).unwrap();
    let o = w.run(&["sync"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("protosync.toml:15:6: vendor[2].to: \"/tmp/common\" is absolute"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn config_and_lock_errors_name_the_key_and_line() {
    let w = World::new();
    assert_code(&w.init(), 0);
    let good = read(&w.svc, "protosync.toml");
    std::fs::write(
        w.svc.join("protosync.toml"),
        good.replace("[[vendor]]\nfrom", "[[vendor]]\ninto = \"x\"\nfrom"),
    )
    .unwrap();
    for cmd in ["status", "sync", "check"] {
        let o = w.run(&[cmd]);
        assert_code(&o, 2);
        assert!(
            stderr(&o).contains("protosync.toml:10:1: vendor[1].into: unknown field `into`"),
            "{cmd}: {}",
            stderr(&o)
        );
    }
    std::fs::write(w.svc.join("protosync.toml"), &good).unwrap();
    let lock = read(&w.svc, "protosync.lock");
    std::fs::write(
        w.svc.join("protosync.lock"),
        lock.replacen("sha256 = \"", "sha256 = \"zz", 1),
    )
    .unwrap();
    let o = w.run(&["check"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("protosync.lock:12:10: file[1].sha256"),
        "{}",
        stderr(&o)
    );
    // Found by walking up from a subdirectory.
    std::fs::write(w.svc.join("protosync.lock"), &lock).unwrap();
    let o = w.run_in(&w.svc.join("src"), &["check"]);
    assert_code(&o, 0);
    // No configuration at all.
    let o = w.run_in(&w.contracts, &["status"]);
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("no protosync.toml in"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_crash_in_the_middle_leaves_whole_files_and_the_old_lock_and_sync_recovers() {
    let w = World::new();
    let many = |v: &str| -> Vec<(String, String)> {
        (0..24)
            .map(|i| {
                (
                    format!("proto/acme/billing/v1/m{i:02}.proto"),
                    format!("syntax = \"proto3\";\npackage acme.billing.v1;\n// {v}\nmessage M{i} {{ string id = 1; }}\n"),
                )
            })
            .collect()
    };
    for (rel, text) in many("old") {
        write(&w.contracts, &rel, &text);
    }
    git(&w.contracts, &["add", "-A"]);
    git(&w.contracts, &["commit", "-q", "-m", "many"]);
    assert_code(&w.init(), 0);
    w.commit_svc();
    let old_lock = read(&w.svc, "protosync.lock");
    for (rel, text) in many("new") {
        write(&w.contracts, &rel, &text);
    }
    git(&w.contracts, &["add", "-A"]);
    git(&w.contracts, &["commit", "-q", "-m", "many new"]);

    let o = Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(&w.svc)
        .env("PROTOSYNC_FAIL_AFTER", "9")
        .args(["sync"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(o.status.code(), None, "killed by abort, not a clean exit");
    let (mut old, mut new) = (0, 0);
    for (i, (_, text)) in many("old").into_iter().enumerate() {
        let rel = format!("third_party/proto/acme/billing/v1/m{i:02}.proto");
        let on_disk = read(&w.svc, &rel);
        if on_disk == text {
            old += 1;
        } else {
            assert_eq!(on_disk, many("new")[i].1, "{rel} is neither old nor new");
            new += 1;
        }
    }
    assert_eq!((old, new), (15, 9));
    assert_eq!(
        read(&w.svc, "protosync.lock"),
        old_lock,
        "the lock is the old one"
    );
    // The files already replaced differ from the old lock: check fails.
    let o = w.run(&["check"]);
    assert_code(&o, 1);
    assert_eq!(stdout(&o).matches(": edited:").count(), 9, "{}", stdout(&o));
    // Running the sync again completes without --force.
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert_code(&w.run(&["check"]), 0);
    assert_eq!(lock_commit(&w), w.contract_head());
    let leftovers: Vec<String> = w
        .tree()
        .into_keys()
        .filter(|p| p.contains(".protosync-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_second_sync_waits_for_the_first() {
    let w = World::new();
    assert_code(&w.init(), 0);
    w.commit_svc();
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        Some(&billing("\n  string note = 4;")),
        "note",
    );
    // Hold the repository's sync lock as a running sync would.
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(w.svc.join(".git/protosync-sync.lock"))
        .unwrap();
    lock.lock().unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_protosync"))
        .current_dir(&w.svc)
        .arg("sync")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(
        read(&w.svc, BILLING_PATH),
        billing(""),
        "nothing written while another sync holds the lock"
    );
    lock.unlock().unwrap();
    let o = child.wait_with_output().unwrap();
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("waiting for another protosync sync"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(&w.svc, BILLING_PATH), billing("\n  string note = 4;"));

    // Two syncs started together both succeed and leave a consistent tree.
    w.commit_contract(
        "proto/acme/common/v1/money.proto",
        Some(&MONEY.replace("units = 2;", "units = 2;\n  int32 nanos = 3;")),
        "nanos",
    );
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_protosync"))
            .current_dir(&w.svc)
            .arg("sync")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_code(&a, 0);
    assert_code(&b, 0);
    let outs = [stdout(&a), stdout(&b)];
    assert_eq!(
        outs.iter().filter(|o| o.contains("updated 1 file")).count(),
        1,
        "exactly one of them applied the update: {outs:?}"
    );
    assert_eq!(
        outs.iter().filter(|o| o.contains("nothing to do")).count(),
        1
    );
    assert_code(&w.run(&["check"]), 0);
}

#[test]
fn check_reports_breaking_changes_of_the_services_own_protos() {
    let w = World::new();
    assert_code(&w.init(), 0);
    let mut config = read(&w.svc, "protosync.toml");
    config.push_str("\n[build]\nroots = [\"proto\", \"third_party/proto\"]\n");
    std::fs::write(w.svc.join("protosync.toml"), config).unwrap();
    let own = "syntax = \"proto3\";\n\npackage acme.svc.v1;\n\nimport \"acme/billing/v1/billing.proto\";\n\nmessage Request {\n  acme.billing.v1.Invoice invoice = 1;\n  string reason = 2;\n}\n";
    write(&w.svc, "proto/acme/svc/v1/svc.proto", own);
    w.commit_svc();
    assert_code(&w.run(&["check", "--against", ".git#branch=main"]), 0);
    // A breaking contract change taken with --allow-breaking is the contract's: check guards
    // the copy through the lock, and compares only the service's own protos.
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        Some(&billing("").replace("\n  string legacy_id = 3;", "")),
        "drop legacy_id",
    );
    assert_code(&w.run(&["sync", "--allow-breaking"]), 0);
    let o = w.run(&["check", "--against", ".git#branch=main"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "check passed\n");
    write(
        &w.svc,
        "proto/acme/svc/v1/svc.proto",
        &own.replace("string reason = 2;", "int32 reason = 2;"),
    );
    let o = w.run(&["check", "--against", ".git#branch=main"]);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains("acme/svc/v1/svc.proto:9:3: FIELD_SAME_TYPE Field \"2\" with name \"reason\" on message \"Request\" changed type from \"string\" to \"int32\"."),
        "{out}"
    );
    assert!(
        out.contains("check failed: 0 drifted vendored files, 1 breaking change"),
        "{out}"
    );
    let o = w.run(&[
        "check",
        "--against",
        ".git#branch=main",
        "--format",
        "github",
    ]);
    assert_code(&o, 1);
    assert!(
        stdout(&o).starts_with("::error file=proto/acme/svc/v1/svc.proto,line=9,col=3,"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn behind_is_a_warning_unless_fail_behind() {
    let w = World::new();
    assert_code(&w.init(), 0);
    w.commit_svc();
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        Some(&billing("\n  string note = 4;")),
        "note",
    );
    let o = w.run(&["check"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("warning: the contract moved on: 1 vendored file is behind main at"),
        "{}",
        stdout(&o)
    );
    let o = w.run(&["check", "--fail-behind"]);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains("error: the contract moved on"),
        "{}",
        stdout(&o)
    );
    let o = w.run(&["check", "--format", "github"]);
    assert!(
        stdout(&o)
            .starts_with("::warning file=protosync.lock,title=protosync%3A behind the contract::"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_remote_contract_is_fetched_once_and_check_stays_offline() {
    let w = World::new();
    let url = format!("file://{}", w.contracts.display());
    let o = w.run(&[
        "init",
        "--contract",
        &url,
        "--root",
        "proto",
        "--from",
        "acme/common/v1",
        "--to",
        "third_party/proto/acme/common/v1",
    ]);
    assert_code(&o, 0);
    w.commit_svc();
    assert_eq!(lock_commit(&w), w.contract_head());
    w.commit_contract(
        "proto/acme/common/v1/money.proto",
        Some(&MONEY.replace("units = 2;", "units = 2;\n  int32 nanos = 3;")),
        "nanos",
    );
    // check reads the cache only: the cached contract has nothing newer, so nothing is behind.
    let o = w.run(&["check"]);
    assert_code(&o, 0);
    assert!(!stdout(&o).contains("moved on"), "{}", stdout(&o));
    // --offline status uses the cache; plain status fetches and sees the new commit.
    let o = w.run(&["status", "--offline", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["mappings"][0]["state"], "in_sync");
    let o = w.run(&["status", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["mappings"][0]["state"], "behind");
    assert_eq!(doc["contract"]["commit"], w.contract_head());
    // Now the cache knows the new commit: check warns, still without fetching.
    let o = w.run(&["check"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("moved on"), "{}", stdout(&o));
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert!(read(&w.svc, "third_party/proto/acme/common/v1/money.proto").contains("nanos"));
    // --fail-behind fetches; a contract that cannot be fetched is an error then.
    std::fs::rename(&w.contracts, w.tmp.path().join("gone")).unwrap();
    assert_code(&w.run(&["check"]), 0);
    let o = w.run(&["check", "--fail-behind"]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("contract file://"), "{}", stderr(&o));
}

#[test]
fn colour_quiet_and_verbose() {
    let w = World::new();
    assert_code(&w.init(), 0);
    w.commit_svc();
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        Some(&billing("\n  string note = 4;")),
        "note",
    );
    // NO_COLOR is set by `run`; --color always overrides it, --color never and pipes get none.
    let o = w.run(&["sync", "--dry-run", "--color", "always"]);
    assert!(
        stdout(&o).contains("\x1b[32m+  string note = 4;\x1b[0m"),
        "{}",
        stdout(&o)
    );
    let o = w.run(&["sync", "--dry-run"]);
    assert!(!stdout(&o).contains('\x1b'), "{}", stdout(&o));
    // --quiet: warnings (behind) and the summary line are dropped; errors stay.
    let o = w.run(&["check"]);
    assert!(
        stdout(&o).contains("warning: the contract moved on"),
        "{}",
        stdout(&o)
    );
    let o = w.run(&["--quiet", "check"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "");
    let o = w.run(&["--quiet", "check", "--fail-behind"]);
    assert_code(&o, 1);
    assert!(
        stdout(&o).starts_with("error: the contract moved on"),
        "{}",
        stdout(&o)
    );
    assert_code(&w.run(&["sync"]), 0);
    let o = w.run(&["check", "-q"]);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "");
    // --verbose: the phases on stderr.
    let o = w.run(&["check", "--verbose"]);
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("trace: contract ../contracts@"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_in_the_ci_formats_reports_drift_behind_and_breaking() {
    let w = every_state();
    // SARIF: valid against the official schema; one result per drifted file plus behind.
    let o = w.run(&["check", "--format", "sarif"]);
    assert_code(&o, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sarif/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options().build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["PROTOSYNC_DRIFT"; 4]
            .iter()
            .chain(&["PROTOSYNC_BEHIND"])
            .copied()
            .collect::<Vec<_>>()
    );
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    assert_eq!(results[4]["level"], "warning");
    // JUnit: four failing cases for the drift, the behind warning passes.
    let o = w.run(&["check", "--format", "junit"]);
    let xml = stdout(&o);
    assert!(
        xml.contains("<testsuites name=\"protosync check\" tests=\"5\" failures=\"4\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure ").count(), 4, "{xml}");
    // GitLab: one issue each, unique fingerprints.
    let o = w.run(&["check", "--format", "gitlab"]);
    let issues: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut prints: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 5);
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), 5);
    // Markdown: the drift table.
    let o = w.run(&["check", "--format", "markdown"]);
    let md = stdout(&o);
    assert!(
        md.contains("4 vendored files differ from `protosync.lock`:"),
        "{md}"
    );
    assert!(
        md.contains("| `third_party/proto/acme/billing/v1/d.proto` | missing |"),
        "{md}"
    );
    insta::assert_snapshot!("check_markdown_every_state", w.redact(&md));
}
