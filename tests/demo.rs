//! `fixtures/demo/run.sh`, the contract-sync demo the README points to, runs to the end with
//! this build of protosync, prints what it documents, and leaves the repositories in the state
//! its last step describes.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
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

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `contract.commit` of a protosync.lock.
fn locked_commit(lock: &str) -> &str {
    lock.lines()
        .find_map(|l| l.strip_prefix("commit = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no contract.commit in\n{lock}"))
}

#[test]
fn the_sync_demo_runs_to_the_end_and_leaves_both_services_at_the_contract_head() {
    let tmp = tempfile::TempDir::new().unwrap();
    let work = tmp.path();
    let out = Command::new("bash")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("fixtures/demo/run.sh")
        .arg(work)
        .env("PROTOSYNC", env!("CARGO_BIN_EXE_protosync"))
        .env_remove("PROTOSYNC_FAIL_AFTER")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "run.sh exited with {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("DEMO FAILED"), "{stderr}");
    let has = |needle: &str| {
        assert!(
            stdout.contains(needle),
            "run.sh output lacks {needle:?}:\n{stdout}"
        )
    };
    has(&format!("Demo work directory: {}", work.display()));
    // The non-breaking update: behind, applied, then nothing to do.
    has("behind    third_party/proto/acme/billing/v1/billing.proto (changed upstream)");
    has("dry run: would update 1 file and protosync.lock; nothing written");
    has("+  string purchase_order = 5;");
    has("; nothing to do");
    // The breaking update is refused, with the finding.
    has("FIELD_NO_DELETE Previously present field \"4\" with name \"memo\" on message \"Invoice\" was deleted.");
    has("refused: the update is breaking for this copy; nothing written.");
    // The hand edit: check names the file, sync refuses to overwrite it.
    has("third_party/proto/acme/billing/v1/billing.proto: edited: vendored file differs from protosync.lock");
    has("check failed: 1 drifted vendored file, 0 breaking changes");
    has("refused: the sync would overwrite local edits; nothing written.");
    has("(exit code 1, as expected)");
    has("(exit code 2, as expected)");
    has("==> Summary");

    // Both services end synced to the contract head, committed, with the same vendored bytes.
    let contracts = work.join("contracts");
    let head = git(&contracts, &["rev-parse", "HEAD"]);
    let head = head.trim();
    assert_eq!(
        git(&contracts, &["rev-list", "--count", "HEAD"]).trim(),
        "3"
    );
    let upstream = read(&contracts.join("proto/acme/billing/v1/billing.proto"));
    assert!(
        upstream.contains("string purchase_order = 5;"),
        "{upstream}"
    );
    assert!(!upstream.contains("memo"), "{upstream}");
    for svc in ["checkout", "billing"] {
        let dir = work.join(svc);
        let lock = read(&dir.join("protosync.lock"));
        assert_eq!(locked_commit(&lock), head, "{svc}/protosync.lock:\n{lock}");
        assert_eq!(
            read(&dir.join("third_party/proto/acme/billing/v1/billing.proto")),
            upstream,
            "{svc}"
        );
        assert_eq!(
            git(&dir, &["status", "--porcelain"]),
            "",
            "{svc} is committed"
        );
    }
    let config = read(&work.join("billing/protosync.toml"));
    assert!(
        config.contains("element = \"acme.billing.v1.Invoice.memo\""),
        "{config}"
    );
}
