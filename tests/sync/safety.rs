//! Sync and check on hostile and concurrent ground: upstream deletions and pinned refs, paths
//! that escape the repository, located config and lock errors, crashes mid-write, concurrent
//! syncs, the service's own breaking check, `behind`, and a remote contract fetched once.

use super::*;

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
    // The file as it is in the repository (under the [build] root), like the drift paths.
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
