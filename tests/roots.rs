//! The contract root taken from the contract's own buf configuration when `--root` /
//! `contract.root` is not given: `init`, `sync`, `status` and `fanout` on real git
//! repositories in temp dirs, for a v1 `proto/buf.yaml`, a v2 `modules:` list and a v1
//! `buf.work.yaml` with two directories; the errors (a path in two modules, a path in none with
//! a near candidate, an explicit root that misses) as snapshots; an explicit root still wins.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::{assert_code, git, read, stderr, stdout, write};

fn billing(extra: &str) -> String {
    format!(
        "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nmessage Invoice {{\n  string id = 1;{extra}\n}}\n"
    )
}

const MONEY: &str =
    "syntax = \"proto3\";\n\npackage acme.common.v1;\n\nmessage Money {\n  int64 units = 1;\n}\n";

const DATE: &str =
    "syntax = \"proto3\";\n\npackage google.type;\n\nmessage Date {\n  int32 year = 1;\n}\n";

/// A contract repository laid out by `files` and an empty service repository next to it.
struct World {
    tmp: TempDir,
    contracts: PathBuf,
    svc: PathBuf,
}

impl World {
    fn new(files: &[(&str, &str)]) -> World {
        let tmp = TempDir::new().unwrap();
        let contracts = tmp.path().join("contracts");
        let svc = tmp.path().join("svc");
        std::fs::create_dir_all(&contracts).unwrap();
        std::fs::create_dir_all(&svc).unwrap();
        git(&contracts, &["init", "-q", "-b", "main"]);
        for (rel, text) in files {
            write(&contracts, rel, text);
        }
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

    fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        Command::cargo_bin("protosync")
            .unwrap()
            .current_dir(dir)
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("PROTOSYNC_TOKEN")
            .env_remove("GITHUB_TOKEN")
            .args(args)
            .output()
            .unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_in(&self.svc, args)
    }

    /// `init --contract ../contracts` with `extra` (`--from`/`--to` pairs, `--root`).
    fn init(&self, extra: &[&str]) -> Output {
        let mut args = vec!["init", "--contract", "../contracts"];
        args.extend(extra);
        self.run(&args)
    }

    fn commit_contract(&self, rel: &str, text: &str) {
        write(&self.contracts, rel, text);
        git(&self.contracts, &["add", "-A"]);
        git(&self.contracts, &["commit", "-q", "-m", "change"]);
    }

    /// The error text with the temp dir and the contract's commits replaced.
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

const BILLING_FROM: [&str; 4] = [
    "--from",
    "acme/billing/v1",
    "--to",
    "third_party/proto/acme/billing/v1",
];

/// The layout most buf v1 users have: `proto/buf.yaml`, the protos under it.
fn v1_under_proto() -> World {
    World::new(&[
        ("proto/buf.yaml", "version: v1\nbreaking:\n  use: [FILE]\n"),
        ("proto/acme/billing/v1/billing.proto", &billing("")),
        ("proto/acme/common/v1/money.proto", MONEY),
        ("buf.gen.yaml", "version: v1\n"),
        ("README.md", "contracts\n"),
    ])
}

#[test]
fn init_reads_the_root_from_a_v1_buf_yaml_under_proto_and_records_it() {
    let w = v1_under_proto();
    let o = w.init(&BILLING_FROM);
    assert_code(&o, 0);
    let toml = read(&w.svc, "protosync.toml");
    assert!(toml.contains("root = \"proto\"\n"), "{toml}");
    assert_eq!(
        read(&w.svc, "third_party/proto/acme/billing/v1/billing.proto"),
        billing("")
    );
    let lock = read(&w.svc, "protosync.lock");
    assert!(
        lock.contains("from = \"proto/acme/billing/v1/billing.proto\""),
        "{lock}"
    );

    // Later syncs read the recorded root: a contract change arrives.
    git(&w.svc, &["add", "-A"]);
    git(&w.svc, &["commit", "-q", "-m", "vendor"]);
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 2;"),
    );
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert_eq!(
        read(&w.svc, "third_party/proto/acme/billing/v1/billing.proto"),
        billing("\n  string note = 2;")
    );
}

#[test]
fn a_config_without_root_is_synced_from_the_v2_modules_and_status_agrees() {
    let w = World::new(&[
        (
            "buf.yaml",
            "version: v2\nmodules:\n  - path: proto\nbreaking:\n  use: [FILE]\n",
        ),
        ("proto/acme/billing/v1/billing.proto", &billing("")),
    ]);
    // A protosync.toml written by hand (or before roots were read): no contract.root.
    write(
        &w.svc,
        "protosync.toml",
        "[contract]\nrepo = \"../contracts\"\n\n[[vendor]]\nfrom = \"acme/billing/v1\"\nto = \"third_party/proto/acme/billing/v1\"\n",
    );
    let o = w.run(&["sync"]);
    assert_code(&o, 0);
    assert_eq!(
        read(&w.svc, "third_party/proto/acme/billing/v1/billing.proto"),
        billing("")
    );
    let lock = read(&w.svc, "protosync.lock");
    assert!(
        lock.contains("from = \"proto/acme/billing/v1/billing.proto\""),
        "{lock}"
    );
    let o = w.run(&["status"]);
    assert_code(&o, 0);

    // init without --root on the same contract records `proto`.
    let w2 = World::new(&[
        ("buf.yaml", "version: v2\nmodules:\n  - path: proto\n"),
        ("proto/acme/billing/v1/billing.proto", &billing("")),
    ]);
    assert_code(&w2.init(&BILLING_FROM), 0);
    assert!(read(&w2.svc, "protosync.toml").contains("root = \"proto\"\n"));
}

fn workspace() -> World {
    World::new(&[
        (
            "buf.work.yaml",
            "version: v1\ndirectories:\n  - proto\n  - vendor\n",
        ),
        ("proto/buf.yaml", "version: v1\n"),
        ("proto/acme/billing/v1/billing.proto", &billing("")),
        ("proto/acme/common/v1/money.proto", MONEY),
        ("vendor/google/type/date.proto", DATE),
        ("vendor/acme/common/v1/money.proto", MONEY),
    ])
}

#[test]
fn a_buf_work_yaml_directory_is_the_root_that_holds_the_paths() {
    let w = workspace();
    let o = w.init(&[
        "--from",
        "google/type",
        "--to",
        "third_party/proto/google/type",
    ]);
    assert_code(&o, 0);
    assert!(read(&w.svc, "protosync.toml").contains("root = \"vendor\"\n"));
    assert_eq!(
        read(&w.svc, "third_party/proto/google/type/date.proto"),
        DATE
    );

    let w = workspace();
    assert_code(&w.init(&BILLING_FROM), 0);
    assert!(read(&w.svc, "protosync.toml").contains("root = \"proto\"\n"));
}

#[test]
fn a_path_in_two_modules_is_refused_with_both_roots_and_nothing_is_written() {
    let w = workspace();
    let o = w.init(&[
        "--from",
        "acme/common/v1",
        "--to",
        "third_party/proto/acme/common/v1",
    ]);
    assert_code(&o, 2);
    insta::assert_snapshot!("roots_ambiguous_init", w.redact(&stderr(&o)));
    assert!(!w.svc.join("protosync.toml").exists());
    assert!(!w.svc.join("protosync.lock").exists());
    assert!(!w.svc.join("third_party").exists());

    // The same in sync, from a protosync.toml without root: the key to set.
    write(
        &w.svc,
        "protosync.toml",
        "[contract]\nrepo = \"../contracts\"\n\n[[vendor]]\nfrom = \"acme/common/v1\"\nto = \"third_party/proto/acme/common/v1\"\n",
    );
    let o = w.run(&["sync"]);
    assert_code(&o, 2);
    insta::assert_snapshot!("roots_ambiguous_sync", w.redact(&stderr(&o)));

    // Mappings spread over two modules cannot share one root.
    std::fs::remove_file(w.svc.join("protosync.toml")).unwrap();
    let mut args = BILLING_FROM.to_vec();
    args.extend([
        "--from",
        "google/type",
        "--to",
        "third_party/proto/google/type",
    ]);
    let o = w.init(&args);
    assert_code(&o, 2);
    insta::assert_snapshot!("roots_split_init", w.redact(&stderr(&o)));
}

#[test]
fn a_missing_path_names_the_near_candidate_and_its_root() {
    let w = v1_under_proto();
    let o = w.init(&[
        "--from",
        "acme/biling/v1",
        "--to",
        "third_party/proto/acme/billing/v1",
    ]);
    assert_code(&o, 2);
    insta::assert_snapshot!("roots_missing_init", w.redact(&stderr(&o)));
    assert!(!w.svc.join("protosync.toml").exists());
}

#[test]
fn an_explicit_root_wins_and_a_wrong_one_says_where_the_path_is() {
    // The path is at the repository root (an old copy) and in the module: without --root
    // the repository root is kept, as before; --root proto picks the module.
    let w = World::new(&[
        ("buf.yaml", "version: v2\nmodules:\n  - path: proto\n"),
        ("proto/acme/billing/v1/billing.proto", &billing("")),
        (
            "acme/billing/v1/billing.proto",
            &billing("\n  string old = 9;"),
        ),
    ]);
    assert_code(&w.init(&BILLING_FROM), 0);
    assert!(!read(&w.svc, "protosync.toml").contains("root ="));
    assert_eq!(
        read(&w.svc, "third_party/proto/acme/billing/v1/billing.proto"),
        billing("\n  string old = 9;")
    );

    let w = World::new(&[
        ("buf.yaml", "version: v2\nmodules:\n  - path: proto\n"),
        ("proto/acme/billing/v1/billing.proto", &billing("")),
        (
            "acme/billing/v1/billing.proto",
            &billing("\n  string old = 9;"),
        ),
    ]);
    let mut args = vec!["--root", "proto"];
    args.extend(BILLING_FROM);
    assert_code(&w.init(&args), 0);
    assert!(read(&w.svc, "protosync.toml").contains("root = \"proto\"\n"));
    assert_eq!(
        read(&w.svc, "third_party/proto/acme/billing/v1/billing.proto"),
        billing("")
    );

    // A root that does not hold the path: the module that does.
    let w = workspace();
    let mut args = vec!["--root", "vendor"];
    args.extend(BILLING_FROM);
    let o = w.init(&args);
    assert_code(&o, 2);
    insta::assert_snapshot!("roots_explicit_miss_init", w.redact(&stderr(&o)));
}

/// A contract with a v2 module list and one service (a bare repository) that vendors
/// `acme/billing/v1` with a protosync.toml without root, synced and pushed.
fn fleet() -> (World, PathBuf) {
    let w = World::new(&[
        ("buf.yaml", "version: v2\nmodules:\n  - path: proto\n"),
        (
            "proto/acme/billing/v1/billing.proto",
            &billing("\n  string note = 2;"),
        ),
    ]);
    let bare = w.tmp.path().join("forge/billing.git");
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let work = w.tmp.path().join("billing");
    git(
        w.tmp.path(),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    git(&work, &["checkout", "-q", "-b", "main"]);
    let contract_url = format!("file://{}", w.contracts.display());
    write(
        &work,
        "protosync.toml",
        &format!(
            "[contract]\nrepo = \"{contract_url}\"\n\n[[vendor]]\nfrom = \"acme/billing/v1\"\nto = \"third_party/proto/acme/billing/v1\"\n"
        ),
    );
    assert_code(&w.run_in(&work, &["sync"]), 0);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "vendor"]);
    git(&work, &["push", "-q", "origin", "main"]);
    w.commit_contract(
        "protosync.toml",
        &format!(
            "[[service]]\nname = \"billing\"\nrepo = \"file://{}\"\nbranch = \"main\"\n",
            bare.display()
        ),
    );
    (w, bare)
}

#[test]
fn impact_judges_a_service_without_root_under_the_module() {
    let (w, _) = fleet();
    // The proposal in the working tree deletes a field the service vendors.
    write(
        &w.contracts,
        "proto/acme/billing/v1/billing.proto",
        &billing(""),
    );
    let o = w.run_in(&w.contracts, &["impact", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&o), stderr(&o)));
    let row = &doc["services"][0];
    assert_eq!(row["verdict"], "breaking", "{row}");
    assert_eq!(
        row["changed_files"][0], "acme/billing/v1/billing.proto",
        "{row}"
    );
}

#[test]
fn fanout_syncs_a_service_whose_config_has_no_root() {
    let (w, _) = fleet();
    w.commit_contract(
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 2;\n  string memo = 3;"),
    );
    let o = w.run_in(&w.contracts, &["fanout", "--dry-run"]);
    let out = stdout(&o);
    assert!(
        out.contains("+++ b/third_party/proto/acme/billing/v1/billing.proto"),
        "{out}\n{}",
        stderr(&o)
    );
    assert!(out.contains("+  string memo = 3;"), "{out}");
}
