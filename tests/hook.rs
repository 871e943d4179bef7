//! Pre-commit integration end to end, on real git repositories made in temp dirs (a contract
//! repository and a service repository set up with `protosync init`), through the real binary:
//!
//! * `check --staged` reads the index, not the working tree: a staged edit fails, the same edit
//!   left unstaged passes, and the other way round; breaking changes of the service's own
//!   protos count only when staged; a lock that is not staged is noticed.
//! * `hook install` / `hook uninstall`, then real `git commit`s through the installed hook (also
//!   `git commit -a`, which gives the hook a temporary index, a worktree, `core.hooksPath`, a
//!   service in a subdirectory and a first commit); a foreign hook is refused without --force.
//! * `.pre-commit-hooks.yaml` through the real pre-commit framework (`pre-commit try-repo`, then
//!   `pre-commit install` and `git commit`), building protosync with cargo from a copy of this
//!   working tree. pre-commit comes from scripts/install-test-tools.sh; under `CI` a missing
//!   pre-commit fails the test, elsewhere it is skipped with a message.

use std::path::{Path, PathBuf};
use std::process::{Command as Std, Output};

use assert_cmd::Command;
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::{assert_code, read, stderr, stdout, write};

/// `git` with a fixed identity and no user or system configuration.
fn git_cmd(dir: &Path) -> Std {
    let mut c = Std::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_DIR");
    c
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Both streams (git prints a hook's output on stderr).
fn all(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

const MONEY: &str = "syntax = \"proto3\";\n\npackage acme.common.v1;\n\n// An amount of money.\nmessage Money {\n  string currency = 1;\n  int64 units = 2;\n}\n";

fn billing(extra: &str) -> String {
    format!(
        "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nimport \"acme/common/v1/money.proto\";\n\nmessage Invoice {{\n  string id = 1;\n  acme.common.v1.Money total = 2;\n  string legacy_id = 3;{extra}\n}}\n\nservice Billing {{\n  rpc GetInvoice(Invoice) returns (Invoice);\n}}\n"
    )
}

/// The service's own proto, which imports the vendored copy.
const OWN: &str = "syntax = \"proto3\";\n\npackage acme.svc.v1;\n\nimport \"acme/billing/v1/billing.proto\";\n\nmessage Request {\n  acme.billing.v1.Invoice invoice = 1;\n  string reason = 2;\n}\n";
const OWN_PATH: &str = "proto/acme/svc/v1/svc.proto";
const BILLING_PATH: &str = "third_party/proto/acme/billing/v1/billing.proto";
const FINDING: &str = "acme/svc/v1/svc.proto:9:3: FIELD_SAME_TYPE Field \"2\" with name \"reason\" on message \"Request\" changed type from \"string\" to \"int32\".";

fn breaking_own() -> String {
    OWN.replace("string reason = 2;", "int32 reason = 2;")
}

fn edited_billing() -> String {
    billing("\n  string po_number = 9;")
}

/// A contract repository and a service repository next to it; the service (in `svc`, which
/// may be a subdirectory of the git repository `repo`) vendors billing and common, has a proto
/// of its own, and `[build] roots` covering both.
struct World {
    tmp: TempDir,
    repo: PathBuf,
    svc: PathBuf,
}

impl World {
    /// A service at the top of its repository, everything committed.
    fn new() -> World {
        let w = World::bare("");
        w.setup();
        git(&w.repo, &["add", "-A"]);
        git(&w.repo, &["commit", "-q", "-m", "vendor the contract"]);
        w
    }

    /// The contract repository, and a service repository with no commit yet whose service
    /// lives in `sub` ("" for the top).
    fn bare(sub: &str) -> World {
        let tmp = TempDir::new().unwrap();
        let contracts = tmp.path().join("contracts");
        let repo = tmp.path().join("svc");
        let svc = if sub.is_empty() {
            repo.clone()
        } else {
            repo.join(sub)
        };
        std::fs::create_dir_all(&contracts).unwrap();
        std::fs::create_dir_all(&svc).unwrap();
        git(&contracts, &["init", "-q", "-b", "main"]);
        write(&contracts, "proto/acme/common/v1/money.proto", MONEY);
        write(
            &contracts,
            "proto/acme/billing/v1/billing.proto",
            &billing(""),
        );
        git(&contracts, &["add", "-A"]);
        git(&contracts, &["commit", "-q", "-m", "first"]);
        git(&repo, &["init", "-q", "-b", "main"]);
        World { tmp, repo, svc }
    }

    /// `protosync init`, `[build] roots` and the service's own proto (nothing staged).
    fn setup(&self) {
        let contract = pathdiff(&self.tmp.path().join("contracts"), &self.svc);
        let o = self.run(&[
            "init",
            "--contract",
            &contract,
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
        ]);
        assert_code(&o, 0);
        let mut config = read(&self.svc, "protosync.toml");
        config.push_str("\n[build]\nroots = [\"proto\", \"third_party/proto\"]\n");
        std::fs::write(self.svc.join("protosync.toml"), config).unwrap();
        write(&self.svc, OWN_PATH, OWN);
    }

    fn protosync(&self, dir: &Path) -> Command {
        let mut c = Command::cargo_bin("protosync").unwrap();
        c.current_dir(dir)
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR");
        c
    }

    /// Runs protosync in the service directory.
    fn run(&self, args: &[&str]) -> Output {
        self.protosync(&self.svc).args(args).output().unwrap()
    }

    /// `git commit` in `dir` with `extra` arguments; the installed hook finds protosync on
    /// `PATH` (the directory of the binary under test comes first).
    fn commit(&self, dir: &Path, extra: &[&str]) -> Output {
        git_cmd(dir)
            .args(["commit", "-q", "-m", "change"])
            .args(extra)
            .env("PATH", path_with_protosync())
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("PROTOSYNC")
            .output()
            .unwrap()
    }

    fn head(&self) -> String {
        git(&self.repo, &["rev-parse", "HEAD"]).trim().to_owned()
    }
}

/// `to` relative to `from` (both absolute; `from` under the common parent of the temp dir).
fn pathdiff(to: &Path, from: &Path) -> String {
    let common = to
        .ancestors()
        .find(|a| from.starts_with(a))
        .expect("a common ancestor");
    let ups = from.strip_prefix(common).unwrap().components().count();
    let mut out = PathBuf::new();
    for _ in 0..ups {
        out.push("..");
    }
    out.push(to.strip_prefix(common).unwrap());
    out.display().to_string()
}

fn protosync_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("protosync")
}

/// `PATH` with the directory of the protosync under test first.
fn path_with_protosync() -> std::ffi::OsString {
    let dir = protosync_bin().parent().unwrap().to_path_buf();
    let mut paths = vec![dir];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).unwrap()
}

const STAGED: &[&str] = &["check", "--staged"];
const STAGED_AGAINST: &[&str] = &["check", "--staged", "--against", ".git#ref=HEAD"];

#[test]
fn check_staged_reads_the_index_not_the_working_tree() {
    let w = World::new();
    let o = w.run(STAGED);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "check passed\n");
    assert_code(&w.run(STAGED_AGAINST), 0);

    // Edited in the working tree only: what would be committed is clean.
    write(&w.svc, BILLING_PATH, &edited_billing());
    assert_code(&w.run(STAGED_AGAINST), 0);
    assert_code(&w.run(&["check"]), 1);

    // Staged: fails, naming the file.
    git(&w.repo, &["add", BILLING_PATH]);
    let o = w.run(STAGED);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(
        out.starts_with(&format!("{BILLING_PATH}: edited: ")),
        "{out}"
    );
    assert!(
        out.ends_with("\ncheck failed: 1 drifted vendored file, 0 breaking changes\n"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    let o = w.run(&["check", "--staged", "--format", "json"]);
    assert_code(&o, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["drift"][0]["path"], BILLING_PATH);
    assert_eq!(doc["drift"][0]["state"], "edited");
    assert_eq!(doc["exit_code"], 1);

    // The other way round: staged edit, working tree put back. Still what is committed.
    write(&w.svc, BILLING_PATH, &billing(""));
    assert_code(&w.run(&["check"]), 0);
    let o = w.run(STAGED_AGAINST);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains(&format!("{BILLING_PATH}: edited")),
        "{}",
        stdout(&o)
    );

    // A vendored file deleted from the index (but still on disk) is missing from the commit.
    git(&w.repo, &["reset", "-q"]);
    git(&w.repo, &["rm", "-q", "--cached", BILLING_PATH]);
    let o = w.run(STAGED);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains(&format!("{BILLING_PATH}: missing")),
        "{}",
        stdout(&o)
    );
    assert_code(&w.run(&["check"]), 0);
}

#[test]
fn check_staged_judges_breaking_changes_of_the_staged_protos_against_head() {
    let w = World::new();
    // A breaking change in the working tree only: not part of the commit.
    write(&w.svc, OWN_PATH, &breaking_own());
    let o = w.run(STAGED_AGAINST);
    assert_code(&o, 0);
    assert_eq!(stdout(&o), "check passed\n");
    assert_code(&w.run(&["check", "--against", ".git#ref=HEAD"]), 1);

    // Staged: the finding, with the service's path and position.
    git(&w.repo, &["add", OWN_PATH]);
    let o = w.run(STAGED_AGAINST);
    assert_code(&o, 1);
    let out = stdout(&o);
    assert!(out.contains(FINDING), "{out}");
    assert!(
        out.contains("check failed: 0 drifted vendored files, 1 breaking change"),
        "{out}"
    );
    // Without --against only the drift is checked.
    assert_code(&w.run(STAGED), 0);

    // Staged breaking change, working tree put back: still fails.
    write(&w.svc, OWN_PATH, OWN);
    assert_code(&w.run(&["check", "--against", ".git#ref=HEAD"]), 0);
    let o = w.run(&[
        "check",
        "--staged",
        "--against",
        ".git#ref=HEAD",
        "--format",
        "github",
    ]);
    assert_code(&o, 1);
    assert!(
        // The file as it is in the repository (under the [build] root).
        stdout(&o).starts_with("::error file=proto/acme/svc/v1/svc.proto,line=9,col=3,"),
        "{}",
        stdout(&o)
    );

    // A change of the configuration that is not staged plays no part either: excluding the
    // service's protos in the working tree's protosync.toml does not hide the staged finding.
    let config = read(&w.svc, "protosync.toml");
    std::fs::write(
        w.svc.join("protosync.toml"),
        config.replace(
            "roots = [\"proto\", \"third_party/proto\"]",
            "roots = [\"third_party/proto\"]",
        ),
    )
    .unwrap();
    let o = w.run(STAGED_AGAINST);
    assert_code(&o, 1);
    assert!(stdout(&o).contains(FINDING), "{}", stdout(&o));
}

#[test]
fn check_staged_notices_a_lock_left_out_of_the_commit() {
    let w = World::new();
    // The contract moves on; the sync rewrites billing.proto and the lock.
    write(
        &w.tmp.path().join("contracts"),
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
    );
    git(&w.tmp.path().join("contracts"), &["commit", "-qam", "note"]);
    assert_code(&w.run(&["sync"]), 0);
    assert_code(&w.run(&["check"]), 0);
    // Nothing staged yet: the commit would hold the old copy and the old lock, which agree.
    assert_code(&w.run(STAGED), 0);
    // The new copy staged without the new lock: drift against the staged lock.
    git(&w.repo, &["add", BILLING_PATH]);
    let o = w.run(STAGED);
    assert_code(&o, 1);
    assert!(
        stdout(&o).contains(&format!("{BILLING_PATH}: edited")),
        "{}",
        stdout(&o)
    );
    git(&w.repo, &["add", "protosync.lock"]);
    let o = w.run(STAGED_AGAINST);
    assert_code(&o, 0);
}

#[test]
fn an_installed_hook_checks_real_commits() {
    let w = World::new();
    let hook = w.repo.join(".git/hooks/pre-commit");
    let o = w.run(&["hook", "install"]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "installed the protosync pre-commit hook in .git/hooks/pre-commit (runs `protosync check --staged --against .git#ref=HEAD`)\n"
    );
    let text = read(&w.repo, ".git/hooks/pre-commit");
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.contains(protosync::hook::MARKER), "{text}");
    assert!(
        text.contains("exec \"$protosync\" check --staged --against '.git#ref=HEAD'\n"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "executable: {mode:o}");
    }
    // Idempotent.
    let o = w.run(&["hook", "install"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("already installed"), "{}", stdout(&o));
    assert_eq!(read(&w.repo, ".git/hooks/pre-commit"), text);

    // A clean commit passes (with an unstaged edit of a vendored file around).
    write(&w.svc, "README.md", "svc\n");
    write(&w.svc, BILLING_PATH, &edited_billing());
    git(&w.repo, &["add", "README.md"]);
    let before = w.head();
    let o = w.commit(&w.repo, &[]);
    assert_code(&o, 0);
    assert_ne!(w.head(), before);

    // `git commit -a` takes the edit in: git hands the hook a temporary index, and the commit
    // is rejected with the finding.
    let before = w.head();
    let o = w.commit(&w.repo, &["-a"]);
    assert_code(&o, 1);
    assert!(
        all(&o).contains(&format!("{BILLING_PATH}: edited: ")),
        "{}",
        all(&o)
    );
    assert_eq!(w.head(), before);

    // Staged, then committed: rejected too.
    git(&w.repo, &["add", BILLING_PATH]);
    let o = w.commit(&w.repo, &[]);
    assert_code(&o, 1);
    assert!(
        all(&o).contains(&format!("{BILLING_PATH}: edited")),
        "{}",
        all(&o)
    );
    assert_eq!(w.head(), before);
    git(&w.repo, &["reset", "-q", "--hard"]);

    // A breaking change of the service's own proto is rejected with the finding.
    write(&w.svc, OWN_PATH, &breaking_own());
    git(&w.repo, &["add", OWN_PATH]);
    let o = w.commit(&w.repo, &[]);
    assert_code(&o, 1);
    assert!(all(&o).contains(FINDING), "{}", all(&o));
    assert_eq!(w.head(), before);
    git(&w.repo, &["reset", "-q", "--hard"]);

    // Worktrees share the hooks: a commit in one is checked as well.
    let wt = w.tmp.path().join("wt");
    git(
        &w.repo,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );
    write(&wt, BILLING_PATH, &edited_billing());
    git(&wt, &["add", BILLING_PATH]);
    let o = w.commit(&wt, &[]);
    assert_code(&o, 1);
    assert!(
        all(&o).contains(&format!("{BILLING_PATH}: edited")),
        "{}",
        all(&o)
    );
    git(&wt, &["reset", "-q", "--hard"]);
    write(&wt, "NOTES.md", "side\n");
    git(&wt, &["add", "NOTES.md"]);
    assert_code(&w.commit(&wt, &[]), 0);

    // Uninstalled: the same commit goes through.
    let o = w.run(&["hook", "uninstall"]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "removed the protosync pre-commit hook .git/hooks/pre-commit\n"
    );
    assert!(!hook.exists());
    write(&w.svc, BILLING_PATH, &edited_billing());
    git(&w.repo, &["add", BILLING_PATH]);
    assert_code(&w.commit(&w.repo, &[]), 0);
    let o = w.run(&["hook", "uninstall"]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "no protosync pre-commit hook in .git/hooks; nothing to remove\n"
    );
}

#[test]
fn a_foreign_hook_is_replaced_only_with_force_and_restored_on_uninstall() {
    let w = World::new();
    let foreign = "#!/bin/sh\necho other hook\nexit 0\n";
    write(&w.repo, ".git/hooks/pre-commit", foreign);
    let o = w.run(&["hook", "install"]);
    assert_code(&o, 2);
    assert_eq!(
        stderr(&o),
        "error: .git/hooks/pre-commit exists and is not protosync's; rerun with --force to replace it (it is kept as pre-commit.protosync-backup and `protosync hook uninstall` puts it back)\n"
    );
    assert_eq!(read(&w.repo, ".git/hooks/pre-commit"), foreign);
    // Uninstall leaves a foreign hook alone.
    let o = w.run(&["hook", "uninstall"]);
    assert_code(&o, 0);
    assert!(
        stdout(&o).contains("is not protosync's; left it alone"),
        "{}",
        stdout(&o)
    );
    assert_eq!(read(&w.repo, ".git/hooks/pre-commit"), foreign);

    let o = w.run(&["hook", "install", "--force"]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "replaced the pre-commit hook in .git/hooks/pre-commit with protosync's (runs `protosync check --staged --against .git#ref=HEAD`); the previous one is kept as .git/hooks/pre-commit.protosync-backup\n"
    );
    assert_eq!(
        read(&w.repo, ".git/hooks/pre-commit.protosync-backup"),
        foreign
    );
    assert!(read(&w.repo, ".git/hooks/pre-commit").contains(protosync::hook::MARKER));
    // Installing again changes nothing (the backup stays).
    let o = w.run(&["hook", "install", "--force"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("already installed"), "{}", stdout(&o));

    let o = w.run(&["hook", "uninstall"]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "removed the protosync pre-commit hook and put back the previous one (pre-commit.protosync-backup → .git/hooks/pre-commit)\n"
    );
    assert_eq!(read(&w.repo, ".git/hooks/pre-commit"), foreign);
    assert!(!w
        .repo
        .join(".git/hooks/pre-commit.protosync-backup")
        .exists());

    // Outside a service (no protosync.toml) there is nothing to install.
    let elsewhere = w.tmp.path().join("plain");
    std::fs::create_dir_all(&elsewhere).unwrap();
    git(&elsewhere, &["init", "-q"]);
    let o = w
        .protosync(&elsewhere)
        .args(["hook", "install"])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains("no protosync.toml in"),
        "{}",
        stderr(&o)
    );
    assert!(!elsewhere.join(".git/hooks/pre-commit").exists());
}

#[test]
fn the_hook_follows_core_hookspath_and_a_service_in_a_subdirectory_from_the_first_commit() {
    let w = World::bare("services/billing");
    w.setup();
    git(&w.repo, &["config", "core.hooksPath", ".githooks"]);
    let o = w.run(&["hook", "install"]);
    assert_code(&o, 0);
    let hook = w.repo.join(".githooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(
        text.contains("exec \"$protosync\" check --staged --config services/billing/protosync.toml --against '.git#ref=HEAD,subdir=services/billing'\n"),
        "{text}"
    );
    assert!(!w.repo.join(".git/hooks/pre-commit").exists());

    // The first commit: HEAD has no commit yet, so there is nothing to judge breaking changes
    // against; the drift check runs.
    git(&w.repo, &["add", "-A"]);
    let o = w.commit(&w.repo, &[]);
    assert_code(&o, 0);
    assert!(
        all(&o).contains("has no commit yet; the breaking check has nothing to compare against"),
        "{}",
        all(&o)
    );

    // Then a breaking change and an edited vendored file in the subdirectory service.
    write(&w.svc, OWN_PATH, &breaking_own());
    write(&w.svc, BILLING_PATH, &edited_billing());
    git(&w.repo, &["add", "-A"]);
    let o = w.commit(&w.repo, &[]);
    assert_code(&o, 1);
    let out = all(&o);
    assert!(out.contains(FINDING), "{out}");
    assert!(out.contains(&format!("{BILLING_PATH}: edited")), "{out}");
    assert!(
        out.contains("check failed: 1 drifted vendored file, 1 breaking change"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// The pre-commit framework

/// pre-commit: `$PRE_COMMIT_BIN`, else on `PATH`, else in the virtualenv
/// scripts/install-test-tools.sh makes.
fn find_pre_commit() -> Option<PathBuf> {
    let works = |p: &Path| {
        Std::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")));
    let candidates = [
        std::env::var_os("PRE_COMMIT_BIN").map(PathBuf::from),
        Some(PathBuf::from("pre-commit")),
        cache.map(|c| c.join("protosync/pre-commit-venv/bin/pre-commit")),
    ];
    candidates.into_iter().flatten().find(|p| works(p))
}

/// This repository as it is on disk (committed or not, without ignored files), committed in a
/// new git repository at `dest`: what pre-commit clones and builds the hooks from.
fn snapshot_of_this_repository(dest: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed = git_cmd(src)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .expect("git runs");
    let files: Vec<String> = if listed.status.success() {
        String::from_utf8(listed.stdout)
            .unwrap()
            .split('\0')
            .map(str::to_owned)
            .collect()
    } else {
        // Not a git checkout (a source archive): every file but build output.
        let mut out = Vec::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                let rel = p.strip_prefix(src).unwrap().to_string_lossy().into_owned();
                if ["target", ".git", "bench/.cache"].contains(&rel.as_str()) {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(rel);
                }
            }
        }
        out
    };
    std::fs::create_dir_all(dest).unwrap();
    for rel in files {
        let from = src.join(&rel);
        if rel.is_empty() || !from.is_file() {
            continue;
        }
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(dest, &["init", "-q", "-b", "main"]);
    git(dest, &["add", "-A"]);
    git(dest, &["commit", "-q", "-m", "snapshot"]);
    git(dest, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// `.pre-commit-hooks.yaml` through the real framework: `pre-commit try-repo` builds protosync
/// with cargo (`language: rust`) from a snapshot of this working tree and runs the hooks on a
/// service repository; then the documented setup (`.pre-commit-config.yaml` with the repo and
/// a rev, `pre-commit install`) checks real `git commit`s. Builds go to one target directory
/// under target/tmp (unoptimised, to keep this test's time down), so only the first run
/// compiles everything.
#[test]
fn pre_commit_framework_runs_the_hooks_from_the_manifest() {
    let Some(pre_commit) = find_pre_commit() else {
        // CI installs pre-commit (scripts/install-test-tools.sh): there the test must run.
        assert!(
            std::env::var_os("CI").is_none(),
            "pre-commit is missing: run scripts/install-test-tools.sh (or set PRE_COMMIT_BIN)"
        );
        eprintln!("skipped: pre-commit not installed (scripts/install-test-tools.sh installs it)");
        return;
    };
    let w = World::new();
    let hooks_repo = w.tmp.path().join("protosync-hooks");
    let rev = snapshot_of_this_repository(&hooks_repo);
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-cargo-target");
    let pc_home = w.tmp.path().join("pre-commit-home");
    let run = |dir: &Path, args: &[&str]| -> Output {
        let mut c = Std::new(&pre_commit);
        c.args(args)
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", &pc_home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_TERM_COLOR", "never")
            .env("PROTOSYNC_CACHE_DIR", w.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_DIR");
        c.output().unwrap()
    };
    let repo_arg = hooks_repo.to_str().unwrap();

    // Clean: both hooks pass on every file.
    let o = run(
        &w.repo,
        &["try-repo", repo_arg, "--ref", &rev, "--all-files"],
    );
    assert_code(&o, 0);
    let out = all(&o);
    assert!(
        out.contains("protosync check (vendored copy vs protosync.lock)")
            && out.contains("protosync breaking (staged protos vs HEAD)"),
        "{out}"
    );
    assert_eq!(out.matches("Passed").count(), 2, "{out}");

    // An edited vendored file, staged: protosync-check fails and prints the finding.
    write(&w.svc, BILLING_PATH, &edited_billing());
    git(&w.repo, &["add", BILLING_PATH]);
    let o = run(
        &w.repo,
        &["try-repo", repo_arg, "protosync-check", "--ref", &rev],
    );
    assert_code(&o, 1);
    let out = all(&o);
    assert!(out.contains("- hook id: protosync-check"), "{out}");
    assert!(out.contains(&format!("{BILLING_PATH}: edited: ")), "{out}");
    git(&w.repo, &["reset", "-q", "--hard"]);

    // The documented setup: the repository and a rev in .pre-commit-config.yaml, hooks
    // installed into git, real commits.
    write(
        &w.repo,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {repo_arg}\n    rev: {rev}\n    hooks:\n      - id: protosync-breaking\n"
        ),
    );
    // With a compatible change of the service's own proto, so the hook has work to do.
    write(
        &w.svc,
        OWN_PATH,
        &OWN.replace(
            "string reason = 2;",
            "string reason = 2;\n  string note = 3;",
        ),
    );
    git(&w.repo, &["add", "-A"]);
    let o = run(&w.repo, &["install"]);
    assert_code(&o, 0);
    let commit = |extra: &[&str]| -> Output {
        git_cmd(&w.repo)
            .args(["commit", "-q", "-m", "change"])
            .args(extra)
            .env("PRE_COMMIT_HOME", &pc_home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("PROTOSYNC_CACHE_DIR", w.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    // A clean commit passes.
    let before = w.head();
    let o = commit(&[]);
    assert_code(&o, 0);
    assert!(all(&o).contains("Passed"), "{}", all(&o));
    assert_ne!(w.head(), before);
    // A breaking change of the service's own proto is rejected with the finding, and so is
    // an edited vendored file.
    write(&w.svc, OWN_PATH, &breaking_own());
    write(&w.svc, BILLING_PATH, &edited_billing());
    git(&w.repo, &["add", "-A"]);
    let before = w.head();
    let o = commit(&[]);
    assert_code(&o, 1);
    let out = all(&o);
    assert!(out.contains("- hook id: protosync-breaking"), "{out}");
    assert!(out.contains(FINDING), "{out}");
    assert!(out.contains(&format!("{BILLING_PATH}: edited")), "{out}");
    assert_eq!(w.head(), before);
    // With the breaking change alone left unstaged, the commit of another proto goes through
    // (pre-commit sets unstaged changes aside; protosync reads the index anyway).
    git(&w.repo, &["reset", "-q"]);
    git(&w.repo, &["checkout", "-q", "--", BILLING_PATH]);
    write(
        &w.svc,
        "proto/acme/svc/v1/extra.proto",
        "syntax = \"proto3\";\n\npackage acme.svc.v1;\n\nmessage Extra {\n  string id = 1;\n}\n",
    );
    git(&w.repo, &["add", "proto/acme/svc/v1/extra.proto"]);
    let o = commit(&[]);
    assert_code(&o, 0);
    assert!(all(&o).contains("Passed"), "{}", all(&o));
    assert_eq!(
        read(&w.svc, OWN_PATH),
        breaking_own(),
        "unstaged work is kept"
    );
}

#[path = "hook/python.rs"]
mod python;
