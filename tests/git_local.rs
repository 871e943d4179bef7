//! Git inputs from local repositories, read straight from objects: branches (and the
//! `origin/<name>` fallback of CI checkouts), tags, commits, revision expressions, subdirs,
//! bare repositories, detached HEADs, shallow clones. Real repositories made in temp dirs.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use tempfile::TempDir;

const V1: &str = "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n  int64 total = 2;\n}\n";
const V2: &str = "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n  string total = 2;\n}\n";
const V3: &str =
    "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n}\n";

// A git input with `subdir=proto` names files from the repository root, as buf does.
const TYPE_CHANGE: &str = "proto/acme/v1/invoice.proto:6:3: FIELD_SAME_TYPE Field \"2\" with name \"total\" on message \"Invoice\" changed type from \"int64\" to \"string\".\n";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Std::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn commit_file(dir: &Path, rel: &str, text: &str, msg: &str) -> String {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// A repository on `main` with three commits of proto/acme/v1/invoice.proto (V1, V2, V3),
/// a lightweight tag `v1` on the first and an annotated tag `v2` on the second.
struct Repo {
    _tmp: TempDir,
    dir: PathBuf,
    commits: Vec<String>,
}

fn repo() -> Repo {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("service");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    let c1 = commit_file(&dir, "proto/acme/v1/invoice.proto", V1, "v1");
    git(&dir, &["tag", "v1"]);
    let c2 = commit_file(&dir, "proto/acme/v1/invoice.proto", V2, "v2");
    // Annotated tag made with git2, the library protosync reads with.
    let r = git2::Repository::open(&dir).unwrap();
    let obj = r.revparse_single("HEAD").unwrap();
    let sig = git2::Signature::now("Dev", "dev@example.com").unwrap();
    r.tag("v2", &obj, &sig, "release v2", false).unwrap();
    let c3 = commit_file(&dir, "proto/acme/v1/invoice.proto", V3, "v3");
    Repo {
        _tmp: tmp,
        dir,
        commits: vec![c1, c2, c3],
    }
}

fn breaking(dir: &Path, input: &str, against: &str) -> std::process::Output {
    Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .args(["breaking", input, "--against", against])
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn tags_lightweight_and_annotated() {
    let r = repo();
    let out = breaking(
        &r.dir,
        ".git#tag=v2,subdir=proto",
        ".git#tag=v1,subdir=proto",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), TYPE_CHANGE);
}

#[test]
fn commits_full_and_abbreviated_and_revision_expressions() {
    let r = repo();
    let full = format!(".git#commit={},subdir=proto", r.commits[1]);
    let short = format!(".git#commit={},subdir=proto", &r.commits[0][..7]);
    let out = breaking(&r.dir, &full, &short);
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
    let out = breaking(
        &r.dir,
        ".git#ref=HEAD~1,subdir=proto",
        ".git#ref=HEAD~2,subdir=proto",
    );
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
    // ref on a branch: main~1 against main~2.
    let out = breaking(
        &r.dir,
        ".git#branch=main,ref=HEAD~1,subdir=proto",
        ".git#ref=v1,subdir=proto",
    );
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
}

#[test]
fn branch_against_working_directory() {
    let r = repo();
    // HEAD (V3) deletes field 2 compared with tag v2.
    let out = breaking(&r.dir, "proto", ".git#tag=v2,subdir=proto");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("FIELD_NO_DELETE"), "{}", stdout(&out));
    let out = breaking(&r.dir, "proto", ".git#branch=main,subdir=proto");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn reading_a_revision_leaves_the_working_tree_and_index_alone() {
    let r = repo();
    // Uncommitted edits and a staged file: the git input must read committed objects only.
    std::fs::write(r.dir.join("proto/acme/v1/invoice.proto"), V1).unwrap();
    std::fs::write(
        r.dir.join("proto/acme/v1/new.proto"),
        "syntax = \"proto3\";\npackage acme.v1;\n",
    )
    .unwrap();
    git(&r.dir, &["add", "proto/acme/v1/new.proto"]);
    let status_before = git(&r.dir, &["status", "--porcelain"]);
    let index_before = std::fs::read(r.dir.join(".git/index")).unwrap();
    let head_before = git(&r.dir, &["rev-parse", "HEAD"]);
    let out = breaking(
        &r.dir,
        ".git#branch=main,subdir=proto",
        ".git#tag=v2,subdir=proto",
    );
    assert!(
        stdout(&out).contains("FIELD_NO_DELETE"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stdout(&out).contains("new.proto"));
    assert_eq!(git(&r.dir, &["status", "--porcelain"]), status_before);
    assert_eq!(
        std::fs::read(r.dir.join(".git/index")).unwrap(),
        index_before
    );
    assert_eq!(git(&r.dir, &["rev-parse", "HEAD"]), head_before);
}

#[test]
fn detached_head() {
    let r = repo();
    git(&r.dir, &["checkout", "-q", "--detach", &r.commits[1]]);
    let out = breaking(&r.dir, ".git#subdir=proto", ".git#tag=v1,subdir=proto");
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
}

#[test]
fn bare_repository_with_and_without_git_suffix() {
    let r = repo();
    let bare = r.dir.parent().unwrap().join("contracts.git");
    git(
        r.dir.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--bare",
            r.dir.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let b = bare.display();
    let out = breaking(
        &r.dir,
        &format!("{b}#tag=v2,subdir=proto"),
        &format!("{b}#tag=v1,subdir=proto"),
    );
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
    let plain = r.dir.parent().unwrap().join("contracts-bare");
    std::fs::rename(&bare, &plain).unwrap();
    let p = plain.display();
    let out = breaking(
        &r.dir,
        &format!("{p}#format=git,tag=v2,subdir=proto"),
        &format!("{p}#format=git,tag=v1,subdir=proto"),
    );
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
    // Another local repository's working copy, by path.
    let d = r.dir.display();
    let out = breaking(
        r.dir.parent().unwrap(),
        &format!("{d}#format=git,tag=v2,subdir=proto"),
        &format!("{d}/.git#tag=v1,subdir=proto"),
    );
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
}

#[test]
fn shallow_ci_checkout_with_only_origin_branch() {
    let r = repo();
    let ci = r.dir.parent().unwrap().join("ci");
    let url = format!("file://{}", r.dir.display());
    git(
        r.dir.parent().unwrap(),
        &["clone", "-q", "--depth", "1", &url, ci.to_str().unwrap()],
    );
    // Like a pull-request checkout: detached HEAD, no local branch, only origin/main.
    git(&ci, &["checkout", "-q", "--detach"]);
    git(&ci, &["branch", "-q", "-D", "main"]);
    assert!(!git(&ci, &["branch", "--list"]).contains("main"));
    assert!(git2::Repository::open(&ci).unwrap().is_shallow());
    std::fs::write(
        ci.join("proto/acme/v1/invoice.proto"),
        V3.replace("string id", "int64 id"),
    )
    .unwrap();
    let out = breaking(&ci, "proto", ".git#branch=main,subdir=proto");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "proto/acme/v1/invoice.proto:5:3: FIELD_SAME_TYPE Field \"1\" with name \"id\" on message \"Invoice\" changed type from \"string\" to \"int64\".\n"
    );
}

#[test]
fn no_git_binary_is_needed() {
    let r = repo();
    let out = Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(&r.dir)
        .env("PATH", "/nonexistent")
        .args([
            "breaking",
            ".git#tag=v2,subdir=proto",
            "--against",
            ".git#tag=v1,subdir=proto",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), TYPE_CHANGE, "{}", stderr(&out));
}

#[test]
fn config_is_read_from_the_revision() {
    let r = repo();
    // A protosync.toml committed in the subdir applies to the git input.
    commit_file(
        &r.dir,
        "proto/protosync.toml",
        "[breaking]\nexcept = [\"FIELD_NO_DELETE\"]\n",
        "config",
    );
    let out = breaking(
        &r.dir,
        ".git#branch=main,subdir=proto",
        ".git#tag=v2,subdir=proto",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn unknown_refs_name_the_repository_and_suggest() {
    let r = repo();
    let cases = [
        (
            ".git#branch=mian",
            "branch \"mian\" not found in repository",
            "closest: main",
        ),
        (
            ".git#tag=v3",
            "tag \"v3\" not found in repository",
            "closest: v1, v2",
        ),
        (".git#commit=deadbeef", "commit \"deadbeef\" not found", ""),
        (".git#commit=xyz", "is not a commit id", ""),
        (".git#ref=HEAD~9", "ref \"HEAD~9\" not found", ""),
    ];
    for (spec, want, hint) in cases {
        let out = breaking(&r.dir, "proto", spec);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = stderr(&out);
        assert!(err.contains(want) && err.contains(hint), "{spec}: {err}");
        assert!(err.contains(spec), "{spec}: {err}");
    }
}

#[test]
fn missing_or_empty_subdir() {
    let r = repo();
    commit_file(&r.dir, "docs/README.md", "docs\n", "docs");
    let out = breaking(&r.dir, "proto", ".git#branch=main,subdir=protos");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("subdir \"protos\" does not exist in .git@branch main"),
        "{}",
        stderr(&out)
    );
    let out = breaking(&r.dir, "proto", ".git#branch=main,subdir=docs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("subdir \"docs\" holds no .proto files"),
        "{}",
        stderr(&out)
    );
    let out = breaking(&r.dir, "proto", "nowhere.git#branch=main");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nowhere.git is not a git repository"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_specs_are_rejected_with_the_part_marked() {
    let r = repo();
    for (spec, marked) in [
        (".git#branch=main,tga=v1", "tga"),
        (".git#branch=main,tag=v1", "tag=v1"),
        (".git#branch=a,branch=b", "branch=b"),
        (".git#branch=", "branch="),
        (".git#subdir=../x", "subdir=../x"),
    ] {
        let out = breaking(&r.dir, "proto", spec);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim() == spec)
            .unwrap_or_else(|| panic!("{err}"));
        let caret = lines[at + 1];
        let col = caret.find('^').unwrap() - (lines[at].len() - spec.len());
        assert_eq!(&spec[col..col + marked.len()], marked, "{err}");
        assert_eq!(caret.trim().len(), marked.chars().count(), "{err}");
    }
}
