//! Archive inputs (tar, tar.gz/tgz, tar.zst, zip), differentially against buf 1.75 and against
//! hostile archives. fixtures/archives/ holds a repository tree under one top directory before
//! and after five breaks and a deleted file, the cases (`cases.txt`: a name, the input, the
//! against) and what buf printed (`--error-format msvs`) and exited with (`recorded/`, by
//! scripts/record-buf-archives.sh). The archives are built here with the same entries.

#[path = "support/archives.rs"]
mod archives;
#[path = "support/common.rs"]
mod common;

use std::path::Path;
use std::process::Output;

use archives::{fixture, Raw};
use common::{assert_code, stderr, stdout};

fn protosync(dir: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .env_remove("PROTOSYNC_EXIT_CODE_COMPAT")
        .env("PROTOSYNC_CACHE_DIR", dir.join("cache"))
        .args(args)
        .output()
        .unwrap()
}

fn breaking(dir: &Path, input: &str, against: &str) -> Output {
    protosync(
        dir,
        &[
            "breaking",
            input,
            "--against",
            against,
            "--error-format",
            "msvs",
        ],
    )
}

/// A directory with the fixture trees (`previous/`, `current/`) and every archive of them.
fn workdir() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for side in ["previous", "current"] {
        for (rel, data) in archives::entries(&fixture().join(side)) {
            let p = t.path().join(side).join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }
    }
    archives::write_all(t.path());
    t
}

fn recorded(name: &str) -> (i32, String) {
    let dir = fixture().join("recorded");
    let code = std::fs::read_to_string(dir.join(format!("{name}.exit"))).unwrap();
    let out = std::fs::read_to_string(dir.join(format!("{name}.out"))).unwrap();
    (code.trim().parse().unwrap(), out)
}

#[test]
fn every_recorded_case_agrees_with_buf() {
    let dir = workdir();
    let text = std::fs::read_to_string(fixture().join("cases.txt")).unwrap();
    let cases: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    assert!(cases.len() >= 7, "{} cases", cases.len());
    for case in cases {
        let (name, input, against) = (case[0], case[1], case[2]);
        let (buf_code, buf_out) = recorded(name);
        assert_eq!(buf_code, 100, "{name}: buf found the breaks");
        let out = breaking(dir.path(), input, against);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out), buf_out, "{name}: buf's msvs, byte for byte");
    }
}

#[test]
fn zstd_tars_and_explicit_compression_give_the_same_findings() {
    let dir = workdir();
    let (_, expected) = recorded("targz");
    for (input, against) in [
        (
            "cur.tar.zst#strip_components=1,subdir=proto",
            "prev.tar.zst#strip_components=1,subdir=proto",
        ),
        (
            "cur-tzst#format=tar,compression=zstd,strip_components=1,subdir=proto",
            "prev.tar#compression=none,strip_components=1,subdir=proto",
        ),
        // Without compression= and without an extension, the first bytes decide.
        (
            "cur-tzst#format=tar,strip_components=1,subdir=proto",
            "prev-tgz#format=tar,strip_components=1,subdir=proto",
        ),
    ] {
        let out = breaking(dir.path(), input, against);
        assert_eq!(out.status.code(), Some(1), "{input}: {}", stderr(&out));
        assert_eq!(stdout(&out), expected, "{input}");
    }
}

#[test]
fn an_archive_without_breaks_is_clean_and_reads_its_buf_yaml() {
    let dir = workdir();
    let out = breaking(
        dir.path(),
        "cur.zip#strip_components=1,subdir=proto",
        "cur.tgz#strip_components=1,subdir=proto",
    );
    assert_code(&out, 0);
    // buf.yaml of the archive says FILE; with WIRE the renamed field is no break.
    std::fs::write(
        dir.path().join("wire.yaml"),
        "version: v2\nbreaking:\n  use: [WIRE]\n",
    )
    .unwrap();
    let out = protosync(
        dir.path(),
        &[
            "breaking",
            "cur.tgz#strip_components=1,subdir=proto",
            "--against",
            "prev.tgz#strip_components=1,subdir=proto",
            "--error-format",
            "msvs",
            "--config",
            "wire.yaml",
        ],
    );
    assert_code(&out, 1);
    assert!(
        !stdout(&out).contains("FIELD_SAME_NAME"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("FIELD_WIRE_COMPATIBLE_TYPE"),
        "{}",
        stdout(&out)
    );
}

/// Runs `breaking` on an archive file `name` holding `bytes` against the fixture, expecting
/// exit 2 and an error containing every one of `want`.
#[track_caller]
fn refused(name: &str, bytes: &[u8], spec_tail: &str, want: &[&str]) {
    let dir = workdir();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let spec = format!("{name}{spec_tail}");
    let out = breaking(dir.path(), &spec, "current/contracts/proto");
    assert_code(&out, 2);
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    for w in want {
        assert!(err.contains(w), "{name}: wanted {w:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

const PROTO: &[u8] = b"syntax = \"proto3\";\npackage x.v1;\nmessage M {}\n";

#[test]
fn entries_that_leave_the_archive_are_refused() {
    let evil = archives::raw_tar(&[
        Raw::File("a/x.proto", PROTO),
        Raw::File("a/../../evil.proto", PROTO),
    ]);
    refused(
        "evil.tar",
        &evil,
        "",
        &[
            "archive evil.tar",
            "a/../../evil.proto",
            "leaves the archive",
        ],
    );
    let abs = archives::raw_tar(&[Raw::File("/etc/x.proto", PROTO)]);
    refused(
        "abs.tar",
        &abs,
        "",
        &["archive abs.tar", "/etc/x.proto", "absolute"],
    );
    let zipped = archives::zip(&[("../up.proto".to_owned(), PROTO.to_vec())]);
    refused(
        "up.zip",
        &zipped,
        "",
        &["archive up.zip", "../up.proto", "leaves the archive"],
    );
}

#[test]
fn links_out_of_the_archive_are_refused_and_links_inside_are_read() {
    let sym = archives::raw_tar(&[
        Raw::File("a/x.proto", PROTO),
        Raw::Symlink("a/y.proto", "../../../etc/passwd"),
    ]);
    refused(
        "sym.tar",
        &sym,
        "",
        &[
            "archive sym.tar",
            "a/y.proto",
            "symbolic link",
            "outside the archive",
        ],
    );
    let abs = archives::raw_tar(&[Raw::Symlink("a/y.proto", "/etc/passwd")]);
    refused(
        "abs-link.tgz",
        &archives::gzip(&abs),
        "",
        &["a/y.proto", "outside the archive"],
    );
    let hard = archives::raw_tar(&[
        Raw::File("a/x.proto", PROTO),
        Raw::HardLink("a/y.proto", "../x.proto"),
    ]);
    refused(
        "hard.tar",
        &hard,
        "",
        &["a/y.proto", "hard link", "outside the archive"],
    );

    // A hard link and a symbolic link inside the archive read their targets' contents.
    let dir = workdir();
    let mut files = archives::entries(&fixture().join("current"));
    let money = files
        .iter()
        .position(|(p, _)| p.ends_with("money.proto"))
        .unwrap();
    let (money_path, money_text) = files.remove(money);
    let invoice = files
        .iter()
        .position(|(p, _)| p.ends_with("invoice.proto"))
        .unwrap();
    let (invoice_path, invoice_text) = files.remove(invoice);
    let mut raw: Vec<Raw> = files.iter().map(|(p, d)| Raw::File(p, d)).collect();
    raw.push(Raw::File("contracts/shared/money.proto", &money_text));
    raw.push(Raw::HardLink(&money_path, "contracts/shared/money.proto"));
    raw.push(Raw::File("contracts/shared/invoice.proto", &invoice_text));
    raw.push(Raw::Symlink(
        &invoice_path,
        "../../../../shared/invoice.proto",
    ));
    std::fs::write(dir.path().join("linked.tar"), archives::raw_tar(&raw)).unwrap();
    let out = breaking(
        dir.path(),
        "linked.tar#strip_components=1,subdir=proto",
        "prev.tar#strip_components=1,subdir=proto",
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), recorded("targz").1);
}

#[test]
fn duplicate_entries_are_refused() {
    let dup = archives::raw_tar(&[
        Raw::File("a/x.proto", PROTO),
        Raw::File("./a//x.proto", PROTO),
    ]);
    refused(
        "dup.tar",
        &dup,
        "",
        &["archive dup.tar", "entry a/x.proto appears twice"],
    );
}

#[test]
fn huge_entries_and_corrupt_data_are_refused() {
    // 17 MiB of a .proto (over the 16 MiB a file may have): refused from the header alone.
    let big = vec![b' '; 17 << 20];
    let huge = archives::raw_tar(&[Raw::File("a/big.proto", &big)]);
    refused(
        "huge.tar",
        &huge,
        "",
        &["archive huge.tar", "a/big.proto", "more than the 16 MiB"],
    );
    let zipped = archives::zip(&[("a/big.proto".to_owned(), big)]);
    refused(
        "huge.zip",
        &zipped,
        "",
        &["archive huge.zip", "a/big.proto", "16 MiB"],
    );

    let gz = std::fs::read(workdir().path().join("cur.tar.gz")).unwrap();
    let cut = &gz[..gz.len() / 2];
    refused(
        "cut.tar.gz",
        cut,
        "",
        &["archive cut.tar.gz", "corrupt or truncated"],
    );
    refused(
        "junk.zip",
        b"PK\x03\x04 not really",
        "",
        &["archive junk.zip", "not a zip archive"],
    );
    refused("junk.tar", &[7u8; 1024], "", &["archive junk.tar"]);
    refused(
        "wrong.tar.gz",
        &gz,
        "#compression=zstd",
        &[
            "archive wrong.tar.gz",
            "gzip-compressed",
            "compression=gzip",
        ],
    );
    refused(
        "not-utf8.tar",
        &archives::raw_tar(&[Raw::File("a/x.proto", b"syntax \xff")]),
        "",
        &["archive not-utf8.tar", "a/x.proto:1:8", "UTF-8"],
    );
}

#[test]
fn strip_and_subdir_mistakes_name_the_archive() {
    let dir = workdir();
    let out = breaking(
        dir.path(),
        "cur.tgz#strip_components=1,subdir=protos",
        "current/contracts/proto",
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("archive cur.tgz: subdir \"protos\" does not exist"),
        "{}",
        stderr(&out)
    );
    let out = breaking(
        dir.path(),
        "cur.tgz#strip_components=6",
        "current/contracts/proto",
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("archive cur.tgz: no .proto files in it (after strip_components=6)"),
        "{}",
        stderr(&out)
    );
    let out = breaking(
        dir.path(),
        "cur.tgz#subdir=contracts/docs",
        "current/contracts/proto",
    );
    assert!(
        stderr(&out).contains("holds no .proto files"),
        "{}",
        stderr(&out)
    );
    let out = breaking(dir.path(), "missing.tar.gz", "current/contracts/proto");
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("no such archive file"),
        "{}",
        stderr(&out)
    );
    let out = breaking(
        dir.path(),
        "cur.zip#compression=gzip",
        "current/contracts/proto",
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("compression applies to tar archives only"),
        "{}",
        stderr(&out)
    );
}
