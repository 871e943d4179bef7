//! buf's `breaking` flags, differentially against buf 1.75: fixtures/buf-flags/ holds a v2
//! module (`proto/`) before and after three kinds of break and a deleted file, the cases
//! (`cases.txt`: a name and the arguments after `breaking . --against .git#branch=main`), and
//! what buf printed and exited with for each (`recorded/`, by scripts/record-buf-flags.sh). Each
//! case runs the real binary, from the root of a real git repository whose `main` holds
//! `previous/` and whose work tree holds `current/`, and must report the same findings (file,
//! line, column, message), in buf's byte-exact form for `msvs`, with exit 1 where buf exits 100
//! (100 with `--exit-code-compat buf`) and 2 where buf fails (1).

use std::path::{Path, PathBuf};

#[path = "support/common.rs"]
mod common;
use common::{copy_dir, git};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/buf-flags")
}

/// A repository like the one the recording script builds.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&fixture().join("previous"), t.path());
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-qm", "previous"]);
    std::fs::remove_dir_all(t.path().join("proto")).unwrap();
    copy_dir(&fixture().join("current"), t.path());
    t
}

struct Case {
    name: String,
    args: Vec<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixture().join("cases.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, args) = l.split_once('|').unwrap();
            let args = args
                .split_whitespace()
                .map(|a| match a.strip_prefix('@') {
                    Some(file) => std::fs::read_to_string(fixture().join(file)).unwrap(),
                    None => a.to_owned(),
                })
                .collect();
            Case {
                name: name.trim().to_owned(),
                args,
            }
        })
        .collect()
}

fn recorded(name: &str) -> (i32, String) {
    let dir = fixture().join("recorded");
    let code = std::fs::read_to_string(dir.join(format!("{name}.exit"))).unwrap();
    let out = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
    (code.trim().parse().unwrap(), out)
}

fn protosync(dir: &Path, args: &[String]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .env_remove("PROTOSYNC_EXIT_CODE_COMPAT")
        .args(["breaking", ".", "--against", ".git#branch=main"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// (file, line, column, message) of one finding line, from buf's text (`f:l:c:message`),
/// protosync's (`f:l:c: RULE message`) or either's github-actions annotation.
fn finding(line: &str, ours: bool) -> (String, String, String, String) {
    if let Some(rest) = line.strip_prefix("::error ") {
        let (props, message) = rest.split_once("::").unwrap();
        let prop = |k: &str| {
            props
                .split(',')
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .unwrap_or("")
                .to_owned()
        };
        // buf names a finding without a file `<input>`; protosync leaves `file` out.
        let file = match prop("file").as_str() {
            "" => "<input>".to_owned(),
            f => f.to_owned(),
        };
        return (file, prop("line"), prop("col"), message.to_owned());
    }
    let mut parts = line.splitn(4, ':');
    let (f, l, c, rest) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let message = if ours {
        rest.trim_start().split_once(' ').unwrap().1
    } else {
        rest
    };
    let pos = |s: &str| {
        if f == "<input>" {
            String::new()
        } else {
            s.to_owned()
        }
    };
    (f.to_owned(), pos(l), pos(c), message.to_owned())
}

fn findings(text: &str, ours: bool) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = text.lines().map(|l| finding(l, ours)).collect();
    v.sort();
    v
}

#[test]
fn every_recorded_case_agrees_with_buf() {
    let repo = repo();
    let cases = cases();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for case in &cases {
        let (buf_code, buf_out) = recorded(&case.name);
        let (code, out, err) = protosync(repo.path(), &case.args);
        let expected_code = match buf_code {
            0 => 0,
            100 => 1,
            _ => 2,
        };
        assert_eq!(
            code, expected_code,
            "{}: exit code; stderr: {err}",
            case.name
        );
        if case.name == "msvs" {
            assert_eq!(out, buf_out, "{}: msvs is buf's byte for byte", case.name);
        } else {
            assert_eq!(
                findings(&out, true),
                findings(&buf_out, false),
                "{}: findings",
                case.name
            );
        }
        if code == 2 {
            assert!(out.is_empty(), "{}: no output on error", case.name);
            assert!(err.starts_with("error: "), "{}: {err}", case.name);
        }
    }
}

#[test]
fn a_path_that_targets_nothing_names_the_flag_and_a_path_that_would_work() {
    let repo = repo();
    let (code, _, err) = protosync(repo.path(), &["--path".into(), "a".into()]);
    assert_eq!(code, 2);
    assert!(err.contains("--path a"), "{err}");
    assert!(err.contains("proto/a/v1/a.proto"), "{err}");
}

#[test]
fn exit_code_compat_buf_gives_100_for_findings_only() {
    let repo = repo();
    let (code, _, _) = protosync(repo.path(), &["--exit-code-compat".into(), "buf".into()]);
    assert_eq!(code, 100);
    let out = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(repo.path())
        .env("PROTOSYNC_EXIT_CODE_COMPAT", "buf")
        .args(["breaking", ".", "--against", ".git#branch=main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(100), "the environment variable");
    // Clean runs still exit 0, errors still 2.
    let (code, _, _) = protosync(
        repo.path(),
        &[
            "--exit-code-compat".into(),
            "buf".into(),
            "--path".into(),
            "nope".into(),
        ],
    );
    assert_eq!(code, 2);
    let clean = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(repo.path())
        .args([
            "breaking",
            ".",
            "--against",
            ".",
            "--exit-code-compat",
            "buf",
        ])
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
}

/// `--error-format config-ignore-yaml` prints the `ignore_only` that buf accepted (recorded:
/// `inline_ignore_only` exits 0 in buf), and fed back as configuration it silences the run.
#[test]
fn config_ignore_yaml_is_the_ignore_only_buf_accepts() {
    let repo = repo();
    let (code, out, err) = protosync(
        repo.path(),
        &["--error-format".into(), "config-ignore-yaml".into()],
    );
    assert_eq!(code, 1, "{err}");
    let accepted = std::fs::read_to_string(fixture().join("ignore.yaml")).unwrap();
    let without_modules: String = accepted
        .lines()
        .filter(|l| !l.starts_with("modules:") && !l.starts_with("  - path:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(out, without_modules);
    assert_eq!(recorded("inline_ignore_only"), (0, String::new()));
    let with_modules = out.replacen(
        "version: v2\n",
        "version: v2\nmodules:\n  - path: proto\n",
        1,
    );
    let (code, out, err) = protosync(repo.path(), &["--config".into(), with_modules]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

/// `--format allow-toml`: one allowance per rule and element; pasted into protosync.toml with
/// its reasons filled in, nothing is reported any more.
#[test]
fn allow_toml_entries_accept_todays_findings() {
    let repo = repo();
    let (code, out, err) = protosync(repo.path(), &["--format".into(), "allow-toml".into()]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out.matches("[[breaking.allow]]").count(), 4, "{out}");
    assert!(
        out.contains("rule = \"FIELD_NO_DELETE\"\nelement = \"a.v1.A.id\""),
        "{out}"
    );
    assert!(
        out.contains("reason = \"TODO: why this break is accepted\""),
        "{out}"
    );
    let toml = format!("[build]\nroots = [\"proto\"]\n\n[breaking]\nuse = [\"FILE\"]\n\n{out}")
        .replace(
            "TODO: why this break is accepted",
            "reviewed: no client yet",
        );
    std::fs::write(repo.path().join("protosync.toml"), toml).unwrap();
    let (code, out, err) = protosync(repo.path(), &[]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

#[test]
fn registry_inputs_and_flag_are_errors_that_say_how_to_use_git() {
    let repo = repo();
    let out = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(repo.path())
        .args(["breaking", "--against-registry"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Buf Schema Registry") && err.contains(".git#branch=main"),
        "{err}"
    );
    let out = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(repo.path())
        .args(["breaking", ".", "--against", "buf.build/acme/billing:main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("buf.build/acme/billing is a Buf Schema Registry module"),
        "{err}"
    );
    assert!(err.contains("https://github.com/OWNER/REPO.git"), "{err}");
}

#[test]
fn inline_config_errors_name_the_inline_data() {
    let repo = repo();
    let (code, _, err) = protosync(
        repo.path(),
        &["--config".into(), "{\"version\": \"v9\"}".into()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("inline --config"), "{err}");
}

#[test]
fn help_lists_the_buf_flags() {
    let out = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .args(["breaking", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--path",
        "--exclude-path",
        "--limit-to-input-files",
        "--exclude-imports",
        "--error-format",
        "--against-config",
        "--against-registry",
        "--exit-code-compat",
        "config-ignore-yaml",
        "msvs",
        "allow-toml",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}

/// A corpus case's recorded buf findings (path without `strip`, line, column, message), sorted.
fn recorded_findings(dir: &Path, strip: &str) -> Vec<(String, String, String, String)> {
    let jsonl = std::fs::read_to_string(dir.join("buf.jsonl")).unwrap();
    let mut v: Vec<_> = jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let path = v["path"].as_str().unwrap();
            (
                path.strip_prefix(strip).unwrap_or(path).to_owned(),
                v["start_line"].to_string(),
                v["start_column"].to_string(),
                v["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The multi-module and workspace cases of the breaking corpus, run as buf was recorded on them
/// (`breaking current --against previous` from the case directory): the paths are buf's
/// exactly, module directory included (tests/fixtures.rs compares the rest of every case).
#[test]
fn module_and_workspace_paths_are_buf_s_exactly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/breaking");
    for case in ["workspace_v1_directories", "config_v2_modules_per_module"] {
        let dir = corpus.join(case);
        let theirs = recorded_findings(&dir, "");
        assert!(theirs.len() >= 4, "{case}: {theirs:?}");
        let out = assert_cmd::Command::cargo_bin("protosync")
            .unwrap()
            .current_dir(&dir)
            .args(["breaking", "current", "--against", "previous"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{case}: {out:?}");
        let ours = findings(&String::from_utf8(out.stdout).unwrap(), true);
        assert_eq!(ours, theirs, "{case}");
    }
}

/// The same cases read from git revisions (both sides, then the working tree against a branch):
/// the workspace file and each module's own buf.yaml come from the objects too, so the
/// findings are the directories' (buf's recorded ones, without the `current/` prefix).
#[test]
fn module_and_workspace_layouts_are_read_from_git_revisions() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/breaking");
    for case in ["workspace_v1_directories", "config_v2_modules_per_module"] {
        let dir = corpus.join(case);
        let theirs = recorded_findings(&dir, "current/");
        let t = tempfile::tempdir().unwrap();
        copy_dir(&dir.join("previous"), t.path());
        git(t.path(), &["init", "-q", "-b", "main"]);
        git(t.path(), &["add", "-A"]);
        git(t.path(), &["commit", "-qm", "previous"]);
        git(t.path(), &["checkout", "-q", "-b", "feature"]);
        git(t.path(), &["rm", "-rq", "."]);
        copy_dir(&dir.join("current"), t.path());
        git(t.path(), &["add", "-A"]);
        git(t.path(), &["commit", "-qm", "current"]);
        for input in [".git#branch=feature", "."] {
            let out = assert_cmd::Command::cargo_bin("protosync")
                .unwrap()
                .current_dir(t.path())
                .args(["breaking", input, "--against", ".git#branch=main"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{case} {input}: {out:?}");
            let ours = findings(&String::from_utf8(out.stdout).unwrap(), true);
            assert_eq!(ours, theirs, "{case} {input}");
        }
    }
}

#[test]
fn a_workspace_directory_that_does_not_exist_is_named() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(
        t.path().join("buf.work.yaml"),
        "version: v1\ndirectories:\n  - proto\n  - gone\n",
    )
    .unwrap();
    std::fs::create_dir_all(t.path().join("proto/a")).unwrap();
    std::fs::write(
        t.path().join("proto/a/a.proto"),
        "syntax = \"proto3\";\npackage a;\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(t.path())
        .args(["breaking", ".", "--against", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("buf.work.yaml: directories: \"gone\" does not exist"),
        "{err}"
    );
}
