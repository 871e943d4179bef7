//! Single `.proto` file inputs, `include_package_files`, text images (`.txtpb`) and the option
//! combinations buf refuses, differentially against buf 1.75: fixtures/file-inputs/ holds a v1
//! module (`proto/`, whose `acme/v1/a.proto` imports `other/c.proto`), a directory without
//! configuration (`loose/`) and a v2 workspace (`ws/`), before and after a field deletion in
//! every file; the cases (`cases.txt`: a name and the arguments after `breaking`); buf's text
//! and binary images of the previous module; and what buf printed and exited with for each case
//! (`recorded/`, by scripts/record-file-inputs.sh). Each case runs the real binary from the root
//! of a real git repository built as the script builds it and must report the same findings
//! (file, line, column, message), with exit 1 where buf exits 100 and 2 where buf fails.

use std::path::{Path, PathBuf};

#[path = "support/common.rs"]
mod common;
use common::{copy_dir, git, stderr, stdout};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/file-inputs")
}

/// A repository like the one the recording script builds.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&fixture().join("previous"), t.path());
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-qm", "previous"]);
    for dir in ["proto", "loose", "ws"] {
        std::fs::remove_dir_all(t.path().join(dir)).unwrap();
    }
    copy_dir(&fixture().join("current"), t.path());
    copy_dir(&fixture().join("previous"), &t.path().join("base"));
    for image in ["previous.txtpb", "previous.binpb", "previous.protoc.txtpb"] {
        std::fs::copy(fixture().join(image), t.path().join(image)).unwrap();
    }
    t
}

fn cases() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(fixture().join("cases.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, args) = l.split_once('|').unwrap();
            let args = args.split_whitespace().map(str::to_owned).collect();
            (name.trim().to_owned(), args)
        })
        .collect()
}

fn recorded(name: &str) -> (i32, String) {
    let dir = fixture().join("recorded");
    let code = std::fs::read_to_string(dir.join(format!("{name}.exit"))).unwrap();
    let out = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
    (code.trim().parse().unwrap(), out)
}

fn protosync(dir: &Path, args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .env_remove("PROTOSYNC_EXIT_CODE_COMPAT")
        .arg("breaking")
        .args(args)
        .output()
        .unwrap()
}

/// (file, line, column, message) of one finding line, from buf's text (`f:l:c:message`) or
/// protosync's (`f:l:c: RULE message`, perhaps followed by a rename hint in parentheses).
fn finding(line: &str, ours: bool) -> (String, String, String, String) {
    let mut parts = line.splitn(4, ':');
    let mut next = || parts.next().unwrap().to_owned();
    let (f, l, c, rest) = (next(), next(), next(), next());
    let message = if ours {
        let m = rest.trim_start().split_once(' ').unwrap().1;
        m.split(" (looks renamed").next().unwrap().to_owned()
    } else {
        rest
    };
    (f, l, c, message)
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
    assert!(cases.len() >= 18, "{} cases", cases.len());
    for (name, args) in &cases {
        let (buf_code, buf_out) = recorded(name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = protosync(repo.path(), &args);
        let (code, text, err) = (out.status.code().unwrap(), stdout(&out), stderr(&out));
        let expected = match buf_code {
            0 => 0,
            100 => 1,
            _ => 2,
        };
        assert_eq!(code, expected, "{name}: exit code; stderr: {err}");
        assert_eq!(
            findings(&text, true),
            findings(&buf_out, false),
            "{name}: findings"
        );
        if code == 2 {
            assert!(err.starts_with("error: "), "{name}: {err}");
            assert!(!err.contains("panicked"), "{name}: {err}");
        }
    }
}

/// Refusals name the key (or the file) and say what to do instead.
#[test]
fn refused_combinations_name_the_key() {
    let repo = repo();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &[
                "proto/acme/v1/a.proto#include_package_files=yes",
                "--against",
                "base/proto",
            ],
            &["include_package_files must be true or false, not \"yes\""],
        ),
        (
            &["proto#recurse_submodules=true", "--against", "base/proto"],
            &["\"recurse_submodules\" applies to git inputs only", "^^^^"],
        ),
        (
            // buf ignores this one; protosync refuses it rather than ignore a typo'd intent.
            &[
                "proto#include_package_files=true",
                "--against",
                "base/proto",
            ],
            &[
                "\"include_package_files\" applies to .proto file inputs only",
                "--path",
            ],
        ),
        (
            &[
                "previous.txtpb#include_package_files=true",
                "--against",
                "base/proto",
            ],
            &["\"include_package_files\" applies to .proto file inputs only"],
        ),
        (
            &[
                ".git#branch=main,subdir=proto/acme/v1/a.proto",
                "--against",
                "base/proto",
            ],
            &[
                "subdir \"proto/acme/v1/a.proto\" is a file",
                "--path proto/acme/v1/a.proto",
            ],
        ),
        (
            &["proto/acme/v1/zz.proto", "--against", "base/proto"],
            &["\"proto/acme/v1/zz.proto\": no such file"],
        ),
    ];
    for (args, wanted) in cases {
        let out = protosync(repo.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(stdout(&out).is_empty(), "{args:?}");
        for w in *wanted {
            assert!(err.contains(w), "{args:?}: missing {w:?} in {err}");
        }
    }
}

/// A text image and the binary image buf built from the same module give the directory's
/// findings, whichever side they are on.
#[test]
fn txtpb_round_trips_against_binpb() {
    let repo = repo();
    let run = |input: &str, against: &str| {
        let out = protosync(repo.path(), &[input, "--against", against]);
        (out.status.code(), stdout(&out), stderr(&out))
    };
    let dir = run("proto", "base/proto");
    assert_eq!(dir.0, Some(1), "{}", dir.2);
    assert_eq!(dir.1.lines().count(), 3, "{}", dir.1);
    assert_eq!(run("proto", "previous.txtpb"), dir);
    assert_eq!(run("proto", "previous.binpb"), dir);
    // protoc's text format of its own image (`protoc --decode=google.protobuf.FileDescriptorSet`).
    assert_eq!(run("proto", "previous.protoc.txtpb"), dir);
    // Image against image: the same findings, under module paths.
    let images = run("previous.txtpb", "previous.binpb");
    assert_eq!(images.0, Some(0), "{}", images.2);
    let reversed = run("base/proto", "previous.txtpb");
    assert_eq!(reversed.0, Some(0), "{}", reversed.2);
}

#[test]
fn a_bad_text_image_names_line_and_column() {
    let repo = repo();
    let bad = "file {\n  name: \"a.proto\"\n  mesage_type { name: \"A\" }\n}\n";
    std::fs::write(repo.path().join("bad.txtpb"), bad).unwrap();
    let out = protosync(repo.path(), &["proto", "--against", "bad.txtpb"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.txtpb"), "{err}");
    assert!(err.contains("3:3"), "{err}");
    assert!(err.contains("mesage_type"), "{err}");
}
