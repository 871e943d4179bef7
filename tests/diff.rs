//! `protosync diff` over real inputs: the fixture pairs under fixtures/diff/ (text snapshots
//! of each, JSON and Markdown of some), real git repositories in temp dirs (`.git#branch=`
//! inputs), renames and moves, cosmetic-only edits, semver verdicts, the AIP-185 advice, the
//! structural wire mode against the default, and the command's exit codes.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use protosync::diff::{self, Impact, Kind, Semver};
use protosync::pipeline::{run_breaking, BreakingOptions, Paths};
use protosync::report::diff::{render, DiffFormat};
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::copy_dir;

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/diff")
        .join(name)
}

fn opts(name: &str) -> BreakingOptions {
    BreakingOptions {
        input: case(name).join("current").display().to_string(),
        against: case(name).join("previous").display().to_string(),
        ..BreakingOptions::default()
    }
}

fn run(name: &str) -> diff::DiffReport {
    diff::run(&opts(name), Paths::Module).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

fn kinds(r: &diff::DiffReport) -> Vec<(Kind, &str, Impact)> {
    r.changes
        .iter()
        .map(|c| (c.kind, c.element.as_str(), c.impact))
        .collect()
}

#[test]
fn every_fixture_pair_matches_its_text_snapshot() {
    let mut names: Vec<String> = std::fs::read_dir(case(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 8, "fixture pairs went missing: {names:?}");
    for name in names {
        let r = run(&name);
        insta::assert_snapshot!(format!("text_{name}"), render(&r, DiffFormat::Text));
    }
}

#[test]
fn json_and_markdown_of_a_rename() {
    let r = run("rename");
    let json = render(&r, DiffFormat::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The documented shape: exactly these keys on every change.
    for c in v["changes"].as_array().unwrap() {
        let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["change", "column", "element", "from", "impact", "line", "path", "rules", "to"]
        );
    }
    assert_eq!(v["semver"], "major");
    assert_eq!(v["package_versions"][0]["next"], "acme.billing.v2");
    insta::assert_snapshot!("json_rename", json);
    insta::assert_snapshot!("markdown_rename", render(&r, DiffFormat::Markdown));
    insta::assert_snapshot!(
        "markdown_cosmetic",
        render(&run("cosmetic"), DiffFormat::Markdown)
    );
    insta::assert_snapshot!("markdown_same", render(&run("same"), DiffFormat::Markdown));
}

#[test]
fn renames_and_moves_are_recognised() {
    let r = run("rename");
    let renamed = r
        .changes
        .iter()
        .find(|c| c.kind == Kind::MessageRenamed)
        .expect("a rename");
    assert_eq!(renamed.from.as_deref(), Some("acme.billing.v1.Invoice"));
    assert_eq!(renamed.to.as_deref(), Some("acme.billing.v1.Bill"));
    assert_eq!(renamed.impact, Impact::Breaking);
    assert!(!r.changes.iter().any(|c| c.kind == Kind::MessageDeleted));
    let renumbered = r
        .changes
        .iter()
        .find(|c| c.kind == Kind::FieldRenumbered)
        .unwrap();
    assert_eq!(renumbered.from.as_deref(), Some("legacy_code = 3"));
    assert_eq!(renumbered.to.as_deref(), Some("legacy_code = 4"));

    // Across packages: a move with the full names; the field that uses it changes type.
    let r = run("move-package");
    let k = kinds(&r);
    assert!(k.contains(&(Kind::MessageMoved, "acme.common.v1.Money", Impact::Breaking)));
    assert!(k.contains(&(
        Kind::FieldTypeChanged,
        "acme.billing.v1.Order.price",
        Impact::Breaking
    )));

    // Across files of one package: moves with the files.
    let r = run("move-file");
    let moved: Vec<_> = r
        .changes
        .iter()
        .filter(|c| matches!(c.kind, Kind::MessageMoved | Kind::EnumMoved))
        .map(|c| (c.element.as_str(), c.from.as_deref(), c.to.as_deref()))
        .collect();
    assert_eq!(
        moved,
        [
            (
                "acme.billing.v1.Currency",
                Some("acme/billing/v1/billing.proto"),
                Some("acme/billing/v1/money.proto")
            ),
            (
                "acme.billing.v1.Money",
                Some("acme/billing/v1/billing.proto"),
                Some("acme/billing/v1/money.proto")
            ),
        ]
    );

    // A renamed file: one change, no delete + add, and its messages are not "moved".
    let r = run("file-rename");
    assert_eq!(
        kinds(&r),
        [(
            Kind::FileRenamed,
            "acme/shop/v1/basket.proto",
            Impact::Breaking
        )]
    );
}

#[test]
fn breaking_findings_carry_the_rename_hints() {
    let report = run_breaking(&opts("rename")).unwrap();
    let hints: Vec<(&str, Option<&str>)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.hint.as_deref()))
        .collect();
    assert!(hints.contains(&(
        "MESSAGE_NO_DELETE",
        Some("looks renamed to `acme.billing.v1.Bill`: same 7 fields")
    )));
    assert!(hints.contains(&(
        "FIELD_NO_DELETE",
        Some("looks renumbered to `legacy_code` = 4: same type int32")
    )));
    let report = run_breaking(&opts("file-rename")).unwrap();
    assert_eq!(
        report.findings[0].hint.as_deref(),
        Some("looks renamed to `acme/shop/v1/basket.proto`: same package and 2 declarations")
    );
    // Every format shows it.
    for format in [
        protosync::report::Format::Text,
        protosync::report::Format::Json,
        protosync::report::Format::Github,
        protosync::report::Format::Sarif,
        protosync::report::Format::Junit,
        protosync::report::Format::Gitlab,
        protosync::report::Format::Markdown,
    ] {
        let out = protosync::report::render(&report, format);
        assert!(
            out.contains("looks renamed to") && out.contains("basket.proto"),
            "{format:?}: {out}"
        );
    }
}

#[test]
fn cosmetic_edits_are_never_compatible() {
    let r = run("cosmetic");
    assert_eq!(r.semver, Semver::Patch);
    assert!(r.changes.iter().all(|c| c.impact == Impact::Cosmetic));
    let k: Vec<(Kind, &str)> = r
        .changes
        .iter()
        .map(|c| (c.kind, c.element.as_str()))
        .collect();
    assert_eq!(
        k,
        [
            (Kind::CommentChanged, "acme.notes.v1.Note"),
            (Kind::CommentChanged, "acme.notes.v1.Note.id"),
            (Kind::Formatting, "acme/notes/v1/tags.proto"),
        ]
    );
    assert_eq!(run("same").semver, Semver::None);
    assert!(run("same").changes.is_empty());
}

#[test]
fn semver_and_package_advice() {
    let r = run("unstable");
    assert_eq!(r.semver, Semver::Major);
    let advice: Vec<(&str, &str, Option<&str>)> = r
        .packages
        .iter()
        .map(|a| (a.package.as_str(), a.stability.as_str(), a.next.as_deref()))
        .collect();
    assert_eq!(
        advice,
        [
            ("acme.core", "unversioned", None),
            ("acme.labs.v1beta1", "unstable", None)
        ]
    );
    // `deprecated` is compatible (generated code gains an annotation), never cosmetic.
    let deprecated = r
        .changes
        .iter()
        .find(|c| c.to.as_deref() == Some("deprecated = true"))
        .unwrap();
    assert_eq!(
        (deprecated.kind, deprecated.impact),
        (Kind::FieldOptionChanged, Impact::Compatible)
    );
    let r = run("rename");
    assert_eq!(r.packages.len(), 1);
    assert_eq!(r.packages[0].next.as_deref(), Some("acme.billing.v2"));
    assert_eq!(r.packages[0].breaking, 4);
}

#[test]
fn structural_mode_accepts_a_wire_identical_move_and_default_does_not() {
    // Default: as buf, the moved type is a WIRE break.
    let default = run_breaking(&opts("structural")).unwrap();
    let rules: Vec<&str> = default.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["FIELD_WIRE_COMPATIBLE_TYPE"]);
    // --structural: not a break.
    let mut o = opts("structural");
    o.overrides.structural = true;
    assert!(run_breaking(&o).unwrap().findings.is_empty());
    let d = diff::run(&o, Paths::Module).unwrap();
    assert_eq!(d.semver, Semver::Minor);
    // The config key does the same.
    let tmp = TempDir::new().unwrap();
    let cfg = tmp.path().join("protosync.toml");
    std::fs::write(&cfg, "[breaking]\nuse = [\"WIRE\"]\nstructural = true\n").unwrap();
    let mut o = opts("structural");
    o.config = Some(cfg.clone());
    assert!(run_breaking(&o).unwrap().findings.is_empty());
    // A move that changes the wire (a field number) stays a break in structural mode.
    let work = tmp.path().join("work");
    copy_dir(&case("structural"), &work);
    let money = work.join("current/acme/common/v1/money.proto");
    let text = std::fs::read_to_string(&money).unwrap();
    std::fs::write(&money, text.replace("int32 nanos = 3;", "int32 nanos = 4;")).unwrap();
    let o = BreakingOptions {
        input: work.join("current").display().to_string(),
        against: work.join("previous").display().to_string(),
        config: Some(cfg),
        ..BreakingOptions::default()
    };
    let rules: Vec<String> = run_breaking(&o)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.rule.as_str().to_owned())
        .collect();
    assert_eq!(rules, ["FIELD_WIRE_COMPATIBLE_TYPE"]);
    // Under WIRE_JSON a JSON name must agree too.
    let json_cfg = tmp.path().join("json.toml");
    std::fs::write(
        &json_cfg,
        "[breaking]\nuse = [\"WIRE_JSON\"]\nstructural = true\n",
    )
    .unwrap();
    let mut o = opts("structural");
    o.config = Some(json_cfg.clone());
    assert!(run_breaking(&o).unwrap().findings.is_empty());
    std::fs::write(
        &money,
        text.replace("int64 units = 2;", "int64 units = 2 [json_name = \"u\"];"),
    )
    .unwrap();
    let o = BreakingOptions {
        input: work.join("current").display().to_string(),
        against: work.join("previous").display().to_string(),
        config: Some(json_cfg),
        ..BreakingOptions::default()
    };
    let rules: Vec<String> = run_breaking(&o)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.rule.as_str().to_owned())
        .collect();
    assert_eq!(rules, ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"]);
}

#[test]
fn structural_mode_handles_recursive_types() {
    let tmp = TempDir::new().unwrap();
    let write = |side: &str, pkg: &str| {
        let d = tmp.path().join(side);
        std::fs::create_dir_all(d.join("t")).unwrap();
        std::fs::write(d.join("protosync.toml"), "[breaking]\nuse = [\"WIRE\"]\n").unwrap();
        std::fs::write(
            d.join("t/tree.proto"),
            format!(
                "syntax = \"proto3\";\npackage t;\nimport \"t/node.proto\";\nmessage Tree {{\n  {pkg}.Node root = 1;\n}}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("t/node.proto"),
            format!(
                "syntax = \"proto3\";\npackage {pkg};\nmessage Node {{\n  string label = 1;\n  repeated Node children = 2;\n  Node parent = 3;\n}}\n"
            ),
        )
        .unwrap();
    };
    write("previous", "t.a");
    write("current", "t.b");
    let mut o = BreakingOptions {
        input: tmp.path().join("current").display().to_string(),
        against: tmp.path().join("previous").display().to_string(),
        ..BreakingOptions::default()
    };
    let type_findings = |o: &BreakingOptions| {
        run_breaking(o)
            .unwrap()
            .findings
            .iter()
            .filter(|f| f.rule.as_str() == "FIELD_WIRE_COMPATIBLE_TYPE")
            .count()
    };
    assert_eq!(type_findings(&o), 1);
    o.overrides.structural = true;
    assert_eq!(type_findings(&o), 0);
}

fn git(dir: &Path, args: &[&str]) {
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
}

/// A repository whose `main` holds a fixture's previous side and `feature` its current side.
fn repo_of(name: &str) -> TempDir {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    copy_dir(&case(name).join("previous"), &dir.join("proto"));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "previous"]);
    git(dir, &["checkout", "-q", "-b", "feature"]);
    std::fs::remove_dir_all(dir.join("proto")).unwrap();
    copy_dir(&case(name).join("current"), &dir.join("proto"));
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "current"]);
    tmp
}

fn protosync(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn git_branches_give_the_same_changes_as_directories() {
    for name in ["rename", "move-file", "cosmetic", "file-rename"] {
        let tmp = repo_of(name);
        let out = protosync(
            tmp.path(),
            &[
                "diff",
                ".git#branch=feature,subdir=proto",
                "--against",
                ".git#branch=main,subdir=proto",
                "--format",
                "json",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        let from_git: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // The same changes, each file named as buf names it: under the git input's subdir.
        let mut from_dir: serde_json::Value =
            serde_json::from_str(&render(&run(name), DiffFormat::Json)).unwrap();
        for c in from_dir["changes"].as_array_mut().unwrap() {
            if let Some(p) = c["path"].as_str() {
                c["path"] = format!("proto/{p}").into();
            }
        }
        assert_eq!(from_git, from_dir, "{name}: git and directories differ");
    }
}

#[test]
fn exit_codes() {
    let tmp = repo_of("rename");
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "diff",
            ".git#branch=feature,subdir=proto",
            "--against",
            ".git#branch=main,subdir=proto",
        ];
        v.extend_from_slice(extra);
        v
    };
    assert_eq!(protosync(tmp.path(), &args(&[])).status.code(), Some(0));
    assert_eq!(
        protosync(tmp.path(), &args(&["--fail-on", "breaking"]))
            .status
            .code(),
        Some(1)
    );
    let cosmetic = repo_of("cosmetic");
    for (fail_on, code) in [("breaking", 0), ("compatible", 0)] {
        let out = protosync(cosmetic.path(), &args(&["--fail-on", fail_on]));
        assert_eq!(out.status.code(), Some(code), "{fail_on}: {out:?}");
    }
    let compatible = repo_of("structural");
    let out = protosync(
        compatible.path(),
        &args(&["--structural", "--fail-on", "compatible"]),
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = protosync(
        compatible.path(),
        &args(&["--structural", "--fail-on", "breaking"]),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Bad input: exit 2 with the input named, nothing on stdout.
    let out = protosync(
        tmp.path(),
        &[
            "diff",
            ".git#branch=nope,subdir=proto",
            "--against",
            ".git#branch=main,subdir=proto",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    // A .proto that does not compile: file:line:column.
    std::fs::write(
        tmp.path().join("proto/acme/billing/v1/billing.proto"),
        "syntax = \"proto3\";\nmessage {\n",
    )
    .unwrap();
    let out = protosync(
        tmp.path(),
        &[
            "diff",
            "proto",
            "--against",
            ".git#branch=main,subdir=proto",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("billing.proto:2:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn docs_list_every_change_kind() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/DIFF.md"))
        .unwrap();
    for k in Kind::ALL {
        assert!(
            doc.contains(&format!("`{}`", k.as_str())),
            "docs/DIFF.md does not list `{k}`"
        );
    }
}

#[test]
fn map_value_type_changes_are_one_breaking_change() {
    let tmp = TempDir::new().unwrap();
    for (side, value) in [("previous", "int32"), ("current", "int64")] {
        let d = tmp.path().join(side);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("m.proto"),
            format!("syntax = \"proto3\";\npackage m.v1;\nmessage M {{\n  map<string, {value}> counts = 1;\n}}\n"),
        )
        .unwrap();
    }
    let o = BreakingOptions {
        input: tmp.path().join("current").display().to_string(),
        against: tmp.path().join("previous").display().to_string(),
        ..BreakingOptions::default()
    };
    let r = diff::run(&o, Paths::Module).unwrap();
    type Row<'a> = (Kind, &'a str, Option<&'a str>, Option<&'a str>, Impact);
    let got: Vec<Row> = r
        .changes
        .iter()
        .map(|c| {
            (
                c.kind,
                c.element.as_str(),
                c.from.as_deref(),
                c.to.as_deref(),
                c.impact,
            )
        })
        .collect();
    assert_eq!(
        got,
        [(
            Kind::FieldTypeChanged,
            "m.v1.M.counts",
            Some("map<string, int32>"),
            Some("map<string, int64>"),
            Impact::Breaking
        )]
    );
    assert_eq!(r.changes[0].rules.len(), 1);
}

#[test]
fn files_are_named_as_breaking_names_them() {
    // Run from the fixture's directory with relative inputs, as a user does: both commands
    // name files as reached from there (buf's way), the deleted side under `previous/`.
    let dir = case("rename");
    let args = ["current", "--against", "previous", "--format", "json"];
    let diff = protosync(&dir, &[&["diff"][..], &args].concat());
    assert_eq!(diff.status.code(), Some(0), "{diff:?}");
    let diff: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    let paths: Vec<&str> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert!(!paths.is_empty());
    for p in &paths {
        assert!(
            p.starts_with("current/") || p.starts_with("previous/"),
            "{p} is not named from the working directory"
        );
    }
    let breaking = protosync(&dir, &[&["breaking"][..], &args].concat());
    assert_eq!(breaking.status.code(), Some(1), "{breaking:?}");
    let report: serde_json::Value = serde_json::from_slice(&breaking.stdout).unwrap();
    let named = report["findings"][0]["path"].as_str().unwrap();
    assert!(paths.contains(&named), "{named} not among {paths:?}");
}
