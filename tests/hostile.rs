//! Hostile input (issue 12, "Hostile input"): every case is a real input generated into a
//! temporary directory and run through the real binary. Each gets exit 0, 1 or 2 with a
//! located error: never a panic (101), a signal (a stack overflow aborts: 134) or a hang.
//! docs/SECURITY.md ("Limits on input sizes and depths") lists the limits tested here.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::{
    field_descriptor_proto::{Label, Type},
    DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
};
use tempfile::TempDir;

fn protosync() -> Command {
    let mut cmd = Command::cargo_bin("protosync").unwrap();
    cmd.timeout(Duration::from_secs(120));
    cmd.env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

fn breaking(input: &Path, against: &Path) -> Output {
    protosync()
        .arg("breaking")
        .arg(input)
        .arg("--against")
        .arg(against)
        .output()
        .unwrap()
}

/// The exit code; a signal or panic fails the test with the output.
fn code(out: &Output) -> i32 {
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(c @ 0..=2) => c,
        other => panic!("exit {other:?} (a panic or a signal)\n{stderr}"),
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Depth (item 6)

/// protoc compiles a chain of 2,000 files each importing the next; the link thread's stack
/// was 2 MB (exit 134 at 1,500).
#[test]
fn a_2000_file_import_chain_compiles() {
    let dir = TempDir::new().unwrap();
    let n = 2000;
    for i in 0..n {
        let import = if i + 1 < n {
            format!("import \"f{}.proto\";\n", i + 1)
        } else {
            String::new()
        };
        write(
            dir.path(),
            &format!("f{i}.proto"),
            format!("syntax = \"proto3\";\npackage p;\n{import}message M{i} {{}}\n"),
        );
    }
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn an_import_chain_over_the_limit_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let n = protosync::compile::limits::MAX_IMPORT_DEPTH + 2;
    // Tiny files: the chain is refused before any linking.
    for i in 0..n {
        let import = if i + 1 < n {
            format!("import \"f{}.proto\";", i + 1)
        } else {
            String::new()
        };
        write(dir.path(), &format!("f{i}.proto"), import);
    }
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("import chain is"), "{err}");
    assert!(
        err.contains("protosync compiles chains of up to 10000 files"),
        "{err}"
    );
}

fn aggregate(depth: usize) -> String {
    format!(
        "syntax = \"proto2\";\nimport \"google/protobuf/descriptor.proto\";\n\
         message R {{ optional R a = 1; optional int32 x = 2; }}\n\
         extend google.protobuf.FileOptions {{ optional R r = 50000; }}\n\
         option (r) = {{ {}x: 1{} }};\n",
        "a { ".repeat(depth),
        " }".repeat(depth)
    )
}

/// An option aggregate nested 2,000 deep overflowed protox-parse's stack (exit 134).
#[test]
fn an_aggregate_nested_2000_deep_is_a_located_error() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.proto", aggregate(2000));
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("a.proto:5:") && err.contains("nested more than 100 levels deep"),
        "{err}"
    );
    // The snippet is cut around the column, not the whole 8 KB line.
    assert!(err.len() < 1500, "{err}");
    // 90 levels are fine.
    write(dir.path(), "a.proto", aggregate(90));
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn messages_nested_deeper_than_protoc_allows_are_refused_like_protoc() {
    let dir = TempDir::new().unwrap();
    let nest = |d: usize| {
        "syntax = \"proto3\";\n".to_owned()
            + &(0..d)
                .map(|i| format!("message M{i} {{\n"))
                .collect::<String>()
            + &"}\n".repeat(d)
    };
    write(dir.path(), "n.proto", nest(31));
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    write(dir.path(), "n.proto", nest(2000));
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 2);
    // protoc 36.2: "n.proto:33:1: Reached maximum recursion limit for nested messages."
    assert!(
        stderr(&out).contains("n.proto:33:1: Reached maximum recursion limit for nested messages."),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Size (item 8)

/// An 80 KB package name took 1.6 GB and 9 s (every prefix is a name); protoc refuses more
/// than 511 characters.
#[test]
fn long_package_names_are_refused_like_protoc_and_quickly() {
    let dir = TempDir::new().unwrap();
    let package = vec!["a"; 100 * 1024].join(".");
    write(
        dir.path(),
        "p.proto",
        format!("syntax = \"proto3\";\npackage {package};\nmessage M {{}}\n"),
    );
    let t = Instant::now();
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 2);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let err = stderr(&out);
    assert!(
        err.contains("p.proto:2:1: Package name is too long"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 1500, "the snippet is cut: {} bytes", err.len());

    // protoc's limits exactly: 511 characters, 101 components.
    let at_limit = format!("{}.b", "a".repeat(509));
    write(
        dir.path(),
        "p.proto",
        format!("syntax = \"proto3\";\npackage {at_limit};\n"),
    );
    assert_eq!(code(&breaking(dir.path(), dir.path())), 0);
    let deep = vec!["a"; 102].join(".");
    write(
        dir.path(),
        "p.proto",
        format!("syntax = \"proto3\";\npackage {deep};\n"),
    );
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("p.proto:2:1: Exceeds Maximum Package Depth"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Malformed images (item 5)

fn image(dir: &Path, name: &str, files: Vec<FileDescriptorProto>) -> PathBuf {
    write(dir, name, FileDescriptorSet { file: files }.encode_to_vec())
}

fn file(name: &str) -> FileDescriptorProto {
    FileDescriptorProto {
        name: Some(name.into()),
        syntax: Some("proto3".into()),
        ..Default::default()
    }
}

/// Each of these panicked in prost-reflect (exit 101) before images were validated.
#[test]
fn malformed_images_are_exit_2_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let good = image(dir.path(), "good.binpb", vec![file("a.proto")]);
    let cases: Vec<(FileDescriptorProto, &str)> = vec![
        (
            FileDescriptorProto {
                syntax: Some("proto4".into()),
                ..file("a.proto")
            },
            "a.proto: syntax \"proto4\" is not one protosync reads",
        ),
        (
            FileDescriptorProto {
                package: Some(".".into()),
                dependency: vec!["google/protobuf/descriptor.proto".into()],
                extension: vec![FieldDescriptorProto {
                    name: Some("x".into()),
                    number: Some(50000),
                    label: Some(Label::Optional as i32),
                    r#type: Some(Type::Int32 as i32),
                    extendee: Some(".google.protobuf.FileOptions".into()),
                    ..Default::default()
                }],
                ..file("a.proto")
            },
            "a.proto: package \".\" is not a dotted name",
        ),
        (
            FileDescriptorProto {
                package: Some(vec!["a"; 40_000].join(".")),
                ..file("a.proto")
            },
            "a.proto: package: Package name is too long",
        ),
        (
            FileDescriptorProto {
                message_type: vec![DescriptorProto {
                    name: Some("M".into()),
                    field: vec![FieldDescriptorProto {
                        name: Some("f".into()),
                        number: Some(1),
                        oneof_index: Some(3),
                        r#type: Some(Type::Int32 as i32),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..file("a.proto")
            },
            "a.proto: field f: oneof index 3 is out of range",
        ),
    ];
    for (proto, want) in cases {
        let bad = image(dir.path(), "bad.binpb", vec![proto]);
        let out = breaking(&bad, &good);
        assert_eq!(code(&out), 2, "{want}");
        assert!(
            stderr(&out).contains(want),
            "want {want:?}\n{}",
            stderr(&out)
        );
    }
    // protoc reads an empty syntax as proto2 (prost-reflect panicked on it).
    let empty = image(
        dir.path(),
        "empty.binpb",
        vec![FileDescriptorProto {
            syntax: Some(String::new()),
            ..file("a.proto")
        }],
    );
    let out = breaking(&empty, &good);
    assert!(code(&out) < 2, "{}", stderr(&out));
}

/// An image whose files form a 3,000-deep import chain loads (it is sorted without recursion).
#[test]
fn an_image_with_a_deep_import_chain_loads() {
    let dir = TempDir::new().unwrap();
    let n = 3000;
    let files = (0..n)
        .map(|i| FileDescriptorProto {
            dependency: if i + 1 < n {
                vec![format!("f{}.proto", i + 1)]
            } else {
                Vec::new()
            },
            package: Some("p".into()),
            message_type: vec![DescriptorProto {
                name: Some(format!("M{i}")),
                ..Default::default()
            }],
            ..file(&format!("f{i}.proto"))
        })
        .collect();
    let img = image(dir.path(), "chain.binpb", files);
    let out = breaking(&img, &img);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Linear reading of locks and configuration (item 9)

/// Every entry's place (`file:line:col`) was computed by scanning the text before it: 20,000
/// entries took 50 s in a release build. Now a line index: well under a second in release, a
/// few seconds in a debug build on a busy machine.
#[test]
fn a_lock_of_20000_entries_and_8000_vendor_mappings_read_in_linear_time() {
    let mut lock = String::from(
        "version = 1\n\n[contract]\nrepo = \"../c\"\nref = \"main\"\ncommit = \"0123456789abcdef0123456789abcdef01234567\"\n",
    );
    for i in 0..20_000 {
        lock.push_str(&format!(
            "\n[[file]]\npath = \"third_party/a/f{i:05}.proto\"\nsha256 = \"{i:064x}\"\nfrom = \"a/f{i:05}.proto\"\n"
        ));
    }
    let t = Instant::now();
    let parsed = protosync::sync::lock::Lock::parse(Path::new("protosync.lock"), &lock).unwrap();
    assert_eq!(parsed.files.len(), 20_000);
    // A duplicate at the end still names both places.
    let dup = format!(
        "{lock}\n[[file]]\npath = \"third_party/a/f00000.proto\"\nsha256 = \"{:064x}\"\nfrom = \"a/x.proto\"\n",
        0
    );
    let err = protosync::sync::lock::Lock::parse(Path::new("protosync.lock"), &dup)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("protosync.lock:100009:8: file[20001].path: \"third_party/a/f00000.proto\" is listed twice (first at protosync.lock:9:8)"),
        "{err}"
    );
    let lock_time = t.elapsed();

    let mut config = String::from("[contract]\nrepo = \"../c\"\n");
    for i in 0..8_000 {
        config.push_str(&format!(
            "\n[[vendor]]\nfrom = \"a/d{i}\"\nto = \"third_party/d{i}\"\n"
        ));
    }
    let t = Instant::now();
    let parsed = protosync::sync::config::parse(Path::new("protosync.toml"), &config).unwrap();
    assert_eq!(parsed.vendors.len(), 8_000);
    // An overlap at the end is still found, and named against the first mapping it overlaps.
    let overlap = format!("{config}\n[[vendor]]\nfrom = \"z\"\nto = \"third_party/d7/inner\"\n");
    let err = protosync::sync::config::parse(Path::new("protosync.toml"), &overlap)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("vendor[8001].to: \"third_party/d7/inner\" is a directory inside vendor[8].to \"third_party/d7\""),
        "{err}"
    );
    let config_time = t.elapsed();
    // Quadratic reading took minutes here in a debug build.
    assert!(lock_time < Duration::from_secs(30), "lock: {lock_time:?}");
    assert!(
        config_time < Duration::from_secs(30),
        "config: {config_time:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Encodings and special files (item 12)

/// protoc 36.2 accepts a UTF-8 byte order mark and Latin-1 bytes in comments and strings.
#[test]
fn byte_order_marks_and_latin1_bytes_are_read_like_protoc() {
    let cases: [(&str, &[u8]); 4] = [
        (
            "bom",
            b"\xef\xbb\xbfsyntax = \"proto3\";\nmessage M { string s = 1; }\n",
        ),
        (
            "comment",
            b"syntax = \"proto3\";\n// caf\xe9\nmessage M { string s = 1; }\n",
        ),
        (
            "block",
            b"syntax = \"proto3\";\n/* caf\xe9\n \xff\xfe */ message M { string s = 1; }\n",
        ),
        (
            "string",
            b"syntax = \"proto3\";\noption java_package = \"caf\xe9\";\nmessage M {}\n",
        ),
    ];
    for (what, bytes) in cases {
        let dir = TempDir::new().unwrap();
        write(dir.path(), "a.proto", bytes);
        let out = breaking(dir.path(), dir.path());
        assert_eq!(code(&out), 0, "{what}: {}", stderr(&out));
    }
    // A finding in a file with a byte order mark is still located (its spans are recomputed).
    let (prev, cur) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    write(
        prev.path(),
        "a.proto",
        b"\xef\xbb\xbfsyntax = \"proto3\";\nmessage M {\n  string s = 1;\n}\n",
    );
    write(
        cur.path(),
        "a.proto",
        b"\xef\xbb\xbfsyntax = \"proto3\";\nmessage M {\n  int32 s = 1;\n}\n",
    );
    let out = breaking(cur.path(), prev.path());
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("a.proto:3:"), "{text}");
    // Outside a comment or a string, the byte is located.
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.proto",
        b"syntax = \"proto3\";\nmessage M\xe9 {}\n",
    );
    let out = breaking(dir.path(), dir.path());
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("a.proto:2:10:"), "{}", stderr(&out));
}

/// A FIFO named *.proto blocked the directory read forever.
#[cfg(unix)]
#[test]
fn a_fifo_in_a_directory_input_is_skipped_with_a_warning() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "ok.proto",
        "syntax = \"proto3\";\nmessage M {}\n",
    );
    let fifo = dir.path().join("pipe.proto");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let mut cmd = protosync();
    cmd.timeout(Duration::from_secs(30));
    let out = cmd
        .arg("breaking")
        .arg(dir.path())
        .arg("--against")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pipe.proto: not a regular file; skipped"),
        "{}",
        stderr(&out)
    );
}
