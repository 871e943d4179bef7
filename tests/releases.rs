//! `breaking --against '.git#tag=v*'`: the input checked against every matching release of a
//! real repository (lightweight and annotated tags, identical trees under two tags, versions
//! that sort differently as text), each finding once with the releases it breaks, in every
//! format.

#[path = "support/common.rs"]
mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{assert_code, git, stderr, stdout, write};
use tempfile::TempDir;

const FILE: &str = "proto/acme/billing/v1/invoice.proto";

fn invoice(fields: &[&str]) -> String {
    let mut s =
        String::from("syntax = \"proto3\";\npackage acme.billing.v1;\n\nmessage Invoice {\n");
    for f in fields {
        s.push_str(&format!("  {f}\n"));
    }
    s.push_str("}\n");
    s
}

fn commit(dir: &Path, text: &str, msg: &str) {
    write(dir, FILE, text);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

/// Releases v1.0.0 (lightweight), v1.1.0 (annotated) and v1.1.1 (lightweight, the same tree),
/// v1.9.0, v1.10.0 (annotated; after v1.9.0 as a version, before it as text), a tag `nightly`
/// the pattern does not match; the working tree holds the proposal.
struct Repo {
    _tmp: TempDir,
    dir: PathBuf,
}

fn repo() -> Repo {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("contracts");
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    write(&dir, "README.md", "contracts\n");
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "before any proto"]);
    git(&dir, &["tag", "v0.0.1"]);
    commit(&dir, &invoice(&["string id = 1;"]), "first");
    git(&dir, &["tag", "v1.0.0"]);
    commit(
        &dir,
        &invoice(&["string id = 1;", "bool memo = 2;"]),
        "memo",
    );
    git(&dir, &["tag", "-a", "v1.1.0", "-m", "v1.1.0"]);
    git(&dir, &["tag", "v1.1.1"]);
    let three = ["string id = 1;", "bool memo = 2;", "int64 total = 3;"];
    commit(&dir, &invoice(&three), "total");
    git(&dir, &["tag", "v1.9.0"]);
    let four = [
        "string id = 1;",
        "bool memo = 2;",
        "int64 total = 3;",
        "string currency = 4;",
    ];
    commit(&dir, &invoice(&four), "currency");
    git(&dir, &["tag", "-a", "v1.10.0", "-m", "v1.10.0"]);
    git(&dir, &["tag", "nightly"]);
    // The proposal: `memo` dropped, `id` retyped, `total` and `currency` kept.
    write(
        &dir,
        FILE,
        &invoice(&["int64 id = 1;", "int64 total = 3;", "string currency = 4;"]),
    );
    Repo { _tmp: tmp, dir }
}

fn breaking(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .arg("breaking")
        .args(args)
        .output()
        .unwrap()
}

const AGAINST: &str = ".git#tag=v1.*,subdir=proto";

#[test]
fn each_finding_once_with_the_releases_it_breaks() {
    let r = repo();
    let out = breaking(&r.dir, &["proto", "--against", AGAINST]);
    assert_code(&out, 1);
    let text = stdout(&out);
    // `memo` exists from v1.1.0 (v1.1.1 is the same tree) to v1.10.0: one line, not four.
    assert_eq!(text.matches("\"memo\"").count(), 1, "{text}");
    assert!(
        text.contains("was deleted. (breaks v1.1.0 to v1.10.0)"),
        "{text}"
    );
    // v1.9.0 sorts before v1.10.0: every release has `id` as a string.
    assert!(text.contains("(breaks v1.0.0 to v1.10.0)"), "{text}");
    insta::assert_snapshot!("text", text);
}

#[test]
fn every_format_carries_the_releases() {
    let r = repo();
    for format in ["json", "sarif", "junit", "github", "gitlab", "markdown"] {
        let out = breaking(&r.dir, &["proto", "--against", AGAINST, "--format", format]);
        assert_code(&out, 1);
        insta::assert_snapshot!(format, stdout(&out));
    }
    let out = breaking(&r.dir, &["proto", "--against", AGAINST, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["releases"],
        serde_json::json!(["v1.0.0", "v1.1.0", "v1.1.1", "v1.9.0", "v1.10.0"])
    );
    let memo = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["element"] == "acme.billing.v1.Invoice.memo")
        .unwrap();
    assert_eq!(
        memo["releases"],
        serde_json::json!(["v1.1.0", "v1.1.1", "v1.9.0", "v1.10.0"])
    );
}

#[test]
fn a_compatible_proposal_exits_0() {
    let r = repo();
    let five = [
        "string id = 1;",
        "bool memo = 2;",
        "int64 total = 3;",
        "string currency = 4;",
        "bool paid = 5;",
    ];
    write(&r.dir, FILE, &invoice(&five));
    let out = breaking(&r.dir, &["proto", "--against", AGAINST]);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_finding_against_some_releases_names_only_those() {
    let r = repo();
    // Only `currency` (new in v1.10.0) is dropped.
    let three = ["string id = 1;", "bool memo = 2;", "int64 total = 3;"];
    write(&r.dir, FILE, &invoice(&three));
    let out = breaking(&r.dir, &["proto", "--against", AGAINST]);
    assert_code(&out, 1);
    assert_eq!(
        stdout(&out),
        "proto/acme/billing/v1/invoice.proto:4:1: FIELD_NO_DELETE Previously present field \"4\" \
         with name \"currency\" on message \"Invoice\" was deleted. (breaks v1.10.0)\n"
    );
}

#[test]
fn no_matching_tag_names_the_pattern_and_the_tags() {
    let r = repo();
    let out = breaking(
        &r.dir,
        &["proto", "--against", ".git#tag=release-*,subdir=proto"],
    );
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("no tag matches \"release-*\""), "{err}");
    assert!(err.contains("it has: nightly, v0.0.1, v1.0.0"), "{err}");
    let out = breaking(
        &r.dir,
        &["proto", "--against", ".git#tag=v1.0*,subdir=proto"],
    );
    assert_code(&out, 1);
    let out = breaking(
        &r.dir,
        &["proto", "--against", ".git#tag=nightlx*,subdir=proto"],
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("closest: nightly"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_release_without_the_subdir_is_an_error_naming_it() {
    let r = repo();
    let out = breaking(&r.dir, &["proto", "--against", ".git#tag=v*,subdir=proto"]);
    assert_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("subdir \"proto\" does not exist in") && err.contains("@v0.0.1 ("),
        "{err}"
    );
}

#[test]
fn a_pattern_elsewhere_is_refused() {
    let r = repo();
    let out = Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(&r.dir)
        .args(["diff", "proto", "--against", AGAINST])
        .output()
        .unwrap();
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("tag \"v1.*\" is a pattern naming several releases"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_releases_are_read_from_objects_not_the_checkout() {
    let r = repo();
    // A checkout of an old release leaves the releases as they are.
    git(&r.dir, &["stash", "-q"]);
    git(&r.dir, &["checkout", "-q", "v1.0.0"]);
    write(
        &r.dir,
        FILE,
        &invoice(&["int64 id = 1;", "int64 total = 3;", "string currency = 4;"]),
    );
    let out = breaking(&r.dir, &["proto", "--against", AGAINST]);
    assert_code(&out, 1);
    assert!(
        stdout(&out).contains("(breaks v1.1.0 to v1.10.0)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        git(&r.dir, &["status", "--porcelain"]),
        " M proto/acme/billing/v1/invoice.proto\n"
    );
}
