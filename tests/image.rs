//! Descriptor images as inputs, with the real binary and real `protoc` images: the fixture
//! corpus built into images (with and without source info, binary, JSON and on stdin) gives the
//! findings the directories give, and bad images are exit-2 errors that say what is wrong.
//!
//! Needs `protoc` 27+ (`$PROTOC`, else `protoc` on PATH, else the copy
//! scripts/install-test-tools.sh puts in its cache): a test fails, never skips, without it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;

use assert_cmd::Command;
use prost_reflect::{DescriptorPool, DynamicMessage};
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/breaking")
}

fn case(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// The protoc the tests run: the first of `$PROTOC`, `protoc` on PATH and the copy
/// scripts/install-test-tools.sh installs in its cache that is version 27 or newer (editions).
/// Panics (fails the test) when there is none.
fn protoc() -> PathBuf {
    static FOUND: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    match FOUND.get_or_init(find_protoc) {
        Ok(path) => path.clone(),
        Err(message) => panic!("{message}"),
    }
}

fn find_protoc() -> Result<PathBuf, String> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .map(|c| c.join("protosync/protoc-venv/bin/protoc"));
    let candidates = std::env::var_os("PROTOC")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("protoc")])
        .chain(cache);
    let mut too_old = Vec::new();
    for candidate in candidates {
        let Ok(out) = std::process::Command::new(&candidate)
            .arg("--version")
            .output()
        else {
            continue;
        };
        // "libprotoc 36.2"; old releases print "libprotoc 3.21.12".
        let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let major = version
            .rsplit(' ')
            .next()
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse::<u32>().ok());
        match major {
            Some(m) if out.status.success() && m >= 27 => return Ok(candidate),
            _ => too_old.push(format!("{} ({version})", candidate.display())),
        }
    }
    Err(format!(
        "protoc 27+ is not installed: run scripts/install-test-tools.sh \
         (or set PROTOC to a protoc 27+ binary); found only: {}",
        if too_old.is_empty() {
            "none".to_owned()
        } else {
            too_old.join(", ")
        }
    ))
}

/// `.proto` files under `root`, relative, `/`-separated, sorted.
fn protos(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                let rel = path.strip_prefix(root).unwrap();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    out
}

/// The directory a side's files are relative to: `proto/` where the case's buf.yaml makes it
/// the module root (`config_v1beta1_roots`, `config_v2_module_path`), else the side itself.
fn module_root(side: &Path) -> PathBuf {
    let proto = side.join("proto");
    if proto.is_dir() {
        proto
    } else {
        side.to_path_buf()
    }
}

/// `protoc <flags> -I <root> -o <out> <every .proto under root>`.
fn image(root: &Path, out: &Path, flags: &[&str]) {
    let result = std::process::Command::new(protoc())
        .args(flags)
        .arg("-I")
        .arg(root)
        .arg("-o")
        .arg(out)
        .args(protos(root))
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "protoc failed for {}: {}",
        root.display(),
        String::from_utf8_lossy(&result.stderr)
    );
}

const FULL: &[&str] = &["--include_imports", "--include_source_info"];

fn protosync() -> Command {
    Command::cargo_bin("protosync").unwrap()
}

/// `breaking INPUT --against AGAINST --format json`. A directory input is run from inside it
/// (`breaking .`), so its findings name files from the module root, as an image's do.
fn breaking(input: &Path, against: &Path, extra: &[&str]) -> Output {
    let mut cmd = protosync();
    if input.is_dir() {
        cmd.current_dir(input).arg("breaking").arg(".");
    } else {
        cmd.arg("breaking").arg(input);
    }
    cmd.arg("--against")
        .arg(against)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap()
}

/// path, start line, start column, end line, end column, rule, message.
type Row = (
    Option<String>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    Option<u64>,
    String,
    String,
);

fn rows(out: &Output, what: &str) -> (i32, Vec<Row>) {
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{what}: exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
    let rows = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().map(str::to_owned),
                f["start_line"].as_u64(),
                f["start_column"].as_u64(),
                f["end_line"].as_u64(),
                f["end_column"].as_u64(),
                f["rule"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (code, rows)
}

/// protoc records only the value of a `default = …` pseudo-option, where a source tree points
/// at the whole `default = value`: the start column is the one allowed difference.
fn same_but_default_start(image: &Row, dir: &Row) -> bool {
    let mut widened = image.clone();
    if image.5 == "FIELD_SAME_DEFAULT" && image.2 >= dir.2 {
        widened.2 = dir.2;
    }
    widened == *dir
}

/// `rows` with the module directory `rel` (`proto`, or `` for none) taken off their paths.
fn strip_root(rows: Vec<Row>, rel: &str) -> Vec<Row> {
    if rel.is_empty() {
        return rows;
    }
    let prefix = format!("{rel}/");
    rows.into_iter()
        .map(|mut r| {
            r.0 =
                r.0.map(|p| p.strip_prefix(&prefix).map(str::to_owned).unwrap_or(p));
            r
        })
        .collect()
}

fn compare(label: &str, image: &[Row], dir: &[Row], problems: &mut Vec<String>) {
    let ok = image.len() == dir.len()
        && image
            .iter()
            .zip(dir)
            .all(|(i, d)| same_but_default_start(i, d));
    if !ok {
        problems.push(format!(
            "{label}:\n  image:     {image:?}\n  directory: {dir:?}"
        ));
    }
}

fn case_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("current").is_dir())
        // A workspace is several modules with their own import roots: one protoc image of one
        // root is not what it builds (tests/fixtures.rs covers workspaces).
        .filter(|p| !p.join("current/buf.work.yaml").exists())
        // Per-module breaking rules need the module layout; an image is one module.
        .filter(|p| !p.ends_with("config_v2_modules_per_module"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() > 60, "fixture corpus went missing");
    names
}

/// Every fixture case (proto2, proto3, editions with every feature, maps, oneofs, file
/// options, configuration layouts) built into `protoc --include_imports --include_source_info`
/// images: image against image, directory against image and image against directory all give
/// the directories' findings, positions included.
#[test]
fn protoc_images_give_the_findings_of_the_directories_for_every_fixture_case() {
    protoc();
    let names = case_names();
    let tmp = TempDir::new().unwrap();
    let problems = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let name = {
                    let mut n = next.lock().unwrap();
                    let Some(name) = names.get(*n) else { break };
                    *n += 1;
                    name.clone()
                };
                let dir = case(&name);
                let (cur, prev) = (dir.join("current"), dir.join("previous"));
                let cur_img = tmp.path().join(format!("{name}.current.binpb"));
                let prev_img = tmp.path().join(format!("{name}.previous.binpb"));
                image(&module_root(&cur), &cur_img, FULL);
                image(&module_root(&prev), &prev_img, FULL);
                let config = cur.join("buf.yaml");
                let config = ["--config", config.to_str().unwrap()];
                let (dir_code, dir_rows) = rows(&breaking(&cur, &prev, &[]), &name);
                // A directory's findings name the module directory (`proto/…`), an image's
                // files are relative to the module root.
                let root = module_root(&cur);
                let rel = root
                    .strip_prefix(&cur)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let dir_rows = strip_root(dir_rows, &rel);
                let mut found = Vec::new();
                for (label, out) in [
                    ("image vs image", breaking(&cur_img, &prev_img, &config)),
                    ("directory vs image", breaking(&cur, &prev_img, &[])),
                    ("image vs directory", breaking(&cur_img, &prev, &config)),
                ] {
                    let label = format!("{name}: {label}");
                    let (code, image_rows) = rows(&out, &label);
                    let image_rows = strip_root(image_rows, &rel);
                    if code != dir_code {
                        found.push(format!("{label}: exit {code}, directories {dir_code}"));
                    }
                    compare(&label, &image_rows, &dir_rows, &mut found);
                }
                problems.lock().unwrap().extend(found);
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Cases for the image kinds that are not swept over the whole corpus.
const SOME_CASES: &[&str] = &[
    "field_same_type",                            // proto3
    "field_same_cardinality",                     // proto2 labels
    "field_same_cpp_string_type",                 // editions + (pb.cpp), imports cpp_features.proto
    "field_same_java_utf8_validation",            // editions + (pb.java) and java_string_check_utf8
    "field_same_utf8_validation",                 // editions utf8_validation
    "json_format_editions",                       // message/enum features
    "field_same_cardinality_editions",            // LEGACY_REQUIRED
    "field_same_type_groups_and_delimited",       // delimited encoding
    "field_same_type_map_value",                  // maps
    "field_same_oneof",                           // oneofs
    "file_same_java_package_and_outer_classname", // file options
    "enum_value_same_name",                       // several findings on one element
    "file_no_delete",                             // pathless findings
    "editions_2024_breaking",                     // edition 2024 defaults and features
    "editions_2024_visibility",                   // edition 2024 export / local
];

/// `protoc -o` without `--include_source_info` (nor `--include_imports`: `cpp_features.proto`
/// and `java_features.proto` are then missing and stood in for): the same rules and messages,
/// naming the same files, with no position in any format.
#[test]
fn images_without_source_info_give_the_same_findings_without_positions() {
    protoc();
    let tmp = TempDir::new().unwrap();
    for name in SOME_CASES {
        let dir = case(name);
        let (cur, prev) = (dir.join("current"), dir.join("previous"));
        let cur_img = tmp.path().join(format!("{name}.current.binpb"));
        let prev_img = tmp.path().join(format!("{name}.previous.binpb"));
        image(&module_root(&cur), &cur_img, &[]);
        image(&module_root(&prev), &prev_img, &[]);
        let config = cur.join("buf.yaml");
        let config = ["--config", config.to_str().unwrap()];
        let (dir_code, dir_rows) = rows(&breaking(&cur, &prev, &[]), name);
        let (code, image_rows) = rows(&breaking(&cur_img, &prev_img, &config), name);
        assert_eq!(code, dir_code, "{name}");
        assert!(!image_rows.is_empty() || dir_rows.is_empty(), "{name}");
        // Findings that differ only in their position are one finding without positions.
        let key = |r: &Row| (r.0.clone(), r.5.clone(), r.6.clone());
        let want: BTreeSet<_> = dir_rows.iter().map(key).collect();
        let got: BTreeSet<_> = image_rows.iter().map(key).collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(image_rows.len(), got.len(), "{name}: duplicates");
        for r in &image_rows {
            assert_eq!(
                (r.1, r.2, r.3, r.4),
                (None, None, None, None),
                "{name}: {r:?}"
            );
        }

        let text = protosync()
            .arg("breaking")
            .arg(&cur_img)
            .arg("--against")
            .arg(&prev_img)
            .args(config)
            .output()
            .unwrap();
        let text = String::from_utf8(text.stdout).unwrap();
        for (line, r) in text.lines().zip(&image_rows) {
            let want = match &r.0 {
                Some(path) => format!("{path}: {} {}", r.5, r.6),
                None => format!("<input>:1:1: {} {}", r.5, r.6),
            };
            assert_eq!(line, want, "{name}");
        }
        let github = protosync()
            .arg("breaking")
            .arg(&cur_img)
            .arg("--against")
            .arg(&prev_img)
            .args(config)
            .args(["--format", "github"])
            .output()
            .unwrap();
        let github = String::from_utf8(github.stdout).unwrap();
        assert_eq!(github.lines().count(), image_rows.len(), "{name}");
        for line in github.lines() {
            assert!(line.starts_with("::error "), "{line}");
            assert!(!line.contains("line="), "{name}: {line}");
        }
    }
}

/// `-` reads a binary image from stdin, on either side.
#[test]
fn stdin_images() {
    protoc();
    let tmp = TempDir::new().unwrap();
    let dir = case("field_same_cardinality_editions");
    let (cur, prev) = (dir.join("current"), dir.join("previous"));
    let prev_img = tmp.path().join("previous.binpb");
    let cur_img = tmp.path().join("current.binpb");
    image(&prev, &prev_img, FULL);
    image(&cur, &cur_img, FULL);
    let (dir_code, dir_rows) = rows(&breaking(&cur, &prev, &[]), "directories");
    assert_eq!(dir_code, 1);

    let out = protosync()
        .current_dir(&cur)
        .args(["breaking", "."])
        .args(["--against", "-", "--format", "json"])
        .write_stdin(std::fs::read(&prev_img).unwrap())
        .output()
        .unwrap();
    assert_eq!(rows(&out, "against stdin"), (1, dir_rows.clone()));

    let out = protosync()
        .args(["breaking", "-", "--against"])
        .arg(&prev)
        .args(["--format", "json", "--config"])
        .arg(cur.join("buf.yaml"))
        .write_stdin(std::fs::read(&cur_img).unwrap())
        .output()
        .unwrap();
    assert_eq!(rows(&out, "input on stdin"), (1, dir_rows));

    let out = protosync()
        .arg("breaking")
        .arg(&cur)
        .args(["--against", "-"])
        .write_stdin(Vec::new())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("\"-\" (stdin): the image holds no files"),
        "{err}"
    );
}

/// The protobuf JSON of a FileDescriptorSet, written with a pool made from protoc's own
/// descriptor.proto and language feature files (as `buf build -o x.json` writes it, feature
/// extensions as `"[pb.cpp]"`).
fn to_json(binpb: &Path, json: &Path, schema: &DescriptorPool) {
    let set = schema
        .get_message_by_name("google.protobuf.FileDescriptorSet")
        .unwrap();
    let bytes = std::fs::read(binpb).unwrap();
    let message = DynamicMessage::decode(set, bytes.as_slice()).unwrap();
    std::fs::write(json, serde_json::to_vec_pretty(&message).unwrap()).unwrap();
}

#[test]
fn json_images_give_the_findings_of_binary_images() {
    protoc();
    let tmp = TempDir::new().unwrap();
    // protoc's own descriptor.proto and feature files, from its bundled includes.
    let schema = tmp.path().join("schema.binpb");
    let out = std::process::Command::new(protoc())
        .args(["--include_imports", "-o"])
        .arg(&schema)
        .args([
            "google/protobuf/descriptor.proto",
            "google/protobuf/cpp_features.proto",
            "google/protobuf/java_features.proto",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schema = DescriptorPool::decode(std::fs::read(&schema).unwrap().as_slice()).unwrap();

    for (name, must_contain) in [
        ("field_same_cpp_string_type", "\"[pb.cpp]\""),
        ("field_same_java_utf8_validation", "\"[pb.java]\""),
        ("field_same_utf8_validation", "\"utf8Validation\": \"NONE\""),
        ("field_same_type_map_value", "\"mapEntry\": true"),
        ("file_same_go_package", "\"goPackage\""),
    ] {
        let dir = case(name);
        let (cur, prev) = (dir.join("current"), dir.join("previous"));
        let mut paths = Vec::new();
        for (side, root) in [("current", &cur), ("previous", &prev)] {
            let binpb = tmp.path().join(format!("{name}.{side}.binpb"));
            let json = tmp.path().join(format!("{name}.{side}.json"));
            image(root, &binpb, FULL);
            to_json(&binpb, &json, &schema);
            paths.push((binpb, json));
        }
        let text = std::fs::read_to_string(&paths[0].1).unwrap()
            + &std::fs::read_to_string(&paths[1].1).unwrap();
        assert!(
            text.contains(must_contain),
            "{name}: the JSON lacks {must_contain}"
        );
        let config = cur.join("buf.yaml");
        let config = ["--config", config.to_str().unwrap()];
        let binary = rows(&breaking(&paths[0].0, &paths[1].0, &config), name);
        let json = rows(&breaking(&paths[0].1, &paths[1].1, &config), name);
        assert_eq!(json, binary, "{name}");
        let (_, dir_rows) = rows(&breaking(&cur, &prev, &[]), name);
        let mut problems = Vec::new();
        compare(name, &json.1, &dir_rows, &mut problems);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn error_of(out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8(out.stderr).unwrap()
}

const INVOICE: &str = "syntax = \"proto3\";\npackage acme.billing.v1;\n\nimport \"google/protobuf/timestamp.proto\";\nimport \"acme/billing/v1/money.proto\";\n\nmessage Invoice {\n  string id = 1;\n  Money total = 2;\n  google.protobuf.Timestamp issued_at = 3;\n}\n";
const MONEY: &str =
    "syntax = \"proto3\";\npackage acme.billing.v1;\n\nmessage Money {\n  int64 units = 1;\n}\n";

#[test]
fn bad_images_are_errors_that_name_the_image_and_the_problem() {
    protoc();
    let t = TempDir::new().unwrap();
    let tree = t.path().join("tree");
    write(&tree, "acme/billing/v1/invoice.proto", INVOICE);
    write(&tree, "acme/billing/v1/money.proto", MONEY);

    // Not a FileDescriptorSet: a .proto file forced to binpb.
    let proto = tree.join("acme/billing/v1/money.proto");
    let spec = format!("{}#format=binpb", proto.display());
    let err = error_of(
        protosync()
            .arg("breaking")
            .arg(&tree)
            .args(["--against", &spec])
            .output()
            .unwrap(),
    );
    assert!(
        err.contains(&format!(
            "against {spec:?}: not a FileDescriptorSet (decode error:"
        )),
        "{err}"
    );
    assert!(err.contains("the file is text"), "{err}");

    // A missing file.
    let missing = t.path().join("nope.binpb");
    let err = error_of(breaking(&tree, &missing, &[]));
    assert!(
        err.contains(&format!(
            "against {:?}: cannot read the image:",
            missing.display().to_string()
        )),
        "{err}"
    );

    // An empty set, and JSON that is not a FileDescriptorSet.
    let empty = write(t.path(), "empty.binpb", "");
    let err = error_of(breaking(&tree, &empty, &[]));
    assert!(err.contains("the image holds no files"), "{err}");
    let array = write(t.path(), "array.json", "[1, 2]");
    let err = error_of(breaking(&tree, &array, &[]));
    assert!(err.contains("not a FileDescriptorSet in JSON"), "{err}");
    let broken = write(t.path(), "broken.json", "{\"file\": [{\"name\": 7}]}");
    let err = error_of(breaking(&tree, &broken, &[]));
    assert!(err.contains("not a FileDescriptorSet in JSON"), "{err}");

    // An image built without --include_imports lacks money.proto: named with the fix.
    let lacking = t.path().join("lacking.binpb");
    let out = std::process::Command::new(protoc())
        .arg("-I")
        .arg(&tree)
        .arg("-o")
        .arg(&lacking)
        .arg("acme/billing/v1/invoice.proto")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = error_of(breaking(&tree, &lacking, &[]));
    assert!(
        err.contains(&format!(
            "against {:?}: acme/billing/v1/invoice.proto imports acme/billing/v1/money.proto, which the image does not contain",
            lacking.display().to_string()
        )),
        "{err}"
    );
    assert!(err.contains("--include_imports"), "{err}");

    // format=binpb reads an image whatever its name; without it the name decides.
    let full = t.path().join("full.binpb");
    image(&tree, &full, FULL);
    let dat = t.path().join("image.dat");
    std::fs::copy(&full, &dat).unwrap();
    let spec = format!("{}#format=binpb", dat.display());
    let out = protosync()
        .arg("breaking")
        .arg(&tree)
        .args(["--against", &spec])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = error_of(breaking(&tree, &dat, &[]));
    assert!(err.contains("not a directory"), "{err}");
}

/// An image without `--include_imports` that imports a well-known type links against the
/// bundled copy; with `--include_imports`, the well-known files it carries are not targets.
#[test]
fn well_known_imports_are_bundled_and_never_targets() {
    protoc();
    let t = TempDir::new().unwrap();
    let prev = t.path().join("previous");
    let cur = t.path().join("current");
    write(&prev, "acme/billing/v1/invoice.proto", INVOICE);
    write(&prev, "acme/billing/v1/money.proto", MONEY);
    write(
        &cur,
        "acme/billing/v1/invoice.proto",
        &INVOICE.replace(
            "google.protobuf.Timestamp issued_at = 3;",
            "string issued_at = 3;",
        ),
    );
    write(&cur, "acme/billing/v1/money.proto", MONEY);
    let (code, dir_rows) = rows(&breaking(&cur, &prev, &[]), "directories");
    assert_eq!(code, 1);
    let rules: Vec<&str> = dir_rows.iter().map(|r| r.5.as_str()).collect();
    assert_eq!(rules, ["FIELD_SAME_CARDINALITY", "FIELD_SAME_TYPE"]);

    for flags in [&["--include_source_info"][..], FULL] {
        let img = t.path().join("previous.binpb");
        image(&prev, &img, flags);
        let (code, image_rows) = rows(&breaking(&cur, &img, &[]), "against the image");
        assert_eq!((code, &image_rows), (1, &dir_rows), "{flags:?}");
    }

    // The image names only timestamp.proto: it is the target, not an import.
    let only = t.path().join("timestamp.binpb");
    let out = std::process::Command::new(protoc())
        .arg("-o")
        .arg(&only)
        .arg("google/protobuf/timestamp.proto")
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = breaking(&cur, &only, &[]);
    let (_, rows) = rows(&out, "timestamp.proto");
    assert_eq!(
        rows.iter()
            .map(|r| (r.5.as_str(), r.6.as_str()))
            .collect::<Vec<_>>(),
        [(
            "FILE_NO_DELETE",
            "Previously present file \"google/protobuf/timestamp.proto\" was deleted."
        )]
    );
}

const EDITIONS: &str = r#"edition = "2023";
package acme.catalog.v1;

import "google/protobuf/cpp_features.proto";
import "google/protobuf/java_features.proto";

option features.(pb.cpp).string_type = CORD;

message Product {
  map<string, string> labels = 1 [features.utf8_validation = NONE];
  string sku = 2 [features.utf8_validation = NONE, features.(pb.java).utf8_validation = VERIFY];
  oneof pricing { int64 cents = 3; }
  Product parent = 4 [features.message_encoding = DELIMITED];
  string name = 5 [features.field_presence = LEGACY_REQUIRED];
  extensions 100 to 200;
}
enum Kind { option features.enum_type = CLOSED; KIND_BOOK = 1; }
message Shelf { option features = { json_format: LEGACY_BEST_EFFORT }; }
extend Product { string note = 100 [features.(pb.cpp).string_type = VIEW]; }
"#;

/// Features set on every kind of element, flipped: an image (with or without its imports)
/// resolves them exactly as the source does, in both directions.
#[test]
fn editions_features_on_every_kind_of_element_resolve_as_in_sources() {
    protoc();
    let t = TempDir::new().unwrap();
    let a = t.path().join("a");
    let b = t.path().join("b");
    write(&a, "acme/catalog/v1/product.proto", EDITIONS);
    let flipped = EDITIONS
        .replace("string_type = CORD", "string_type = STRING")
        // Not CORD: protoc's C++ generator (and buf) refuse CORD on extensions.
        .replace("string_type = VIEW", "string_type = STRING")
        .replace("utf8_validation = NONE", "utf8_validation = VERIFY")
        .replace(
            "(pb.java).utf8_validation = VERIFY",
            "(pb.java).utf8_validation = DEFAULT",
        )
        .replace(" [features.message_encoding = DELIMITED]", "")
        .replace(" [features.field_presence = LEGACY_REQUIRED]", "")
        .replace(
            "enum_type = CLOSED; KIND_BOOK = 1;",
            "enum_type = OPEN; KIND_UNSPECIFIED = 0; KIND_BOOK = 1;",
        )
        .replace("LEGACY_BEST_EFFORT", "ALLOW");
    write(&b, "acme/catalog/v1/product.proto", &flipped);
    for (cur, prev) in [(&a, &b), (&b, &a)] {
        let (code, dir_rows) = rows(
            &breaking(cur, prev, &["--use", "WIRE_JSON", "--use", "FILE"]),
            "dirs",
        );
        assert_eq!(code, 1);
        let rules: BTreeSet<&str> = dir_rows.iter().map(|r| r.5.as_str()).collect();
        for rule in [
            "FIELD_SAME_CPP_STRING_TYPE",
            "FIELD_SAME_UTF8_VALIDATION",
            "FIELD_SAME_TYPE",
            "FIELD_SAME_CARDINALITY",
            "ENUM_SAME_TYPE",
        ] {
            assert!(rules.contains(rule), "{rule} missing from {dir_rows:?}");
        }
        for flags in [FULL, &["--include_source_info"][..]] {
            let (cur_img, prev_img) = (t.path().join("cur.binpb"), t.path().join("prev.binpb"));
            image(cur, &cur_img, flags);
            image(prev, &prev_img, flags);
            let (code, image_rows) = rows(
                &breaking(
                    &cur_img,
                    &prev_img,
                    &["--use", "WIRE_JSON", "--use", "FILE"],
                ),
                "images",
            );
            assert_eq!(code, 1);
            let mut problems = Vec::new();
            compare(&format!("{flags:?}"), &image_rows, &dir_rows, &mut problems);
            assert!(problems.is_empty(), "{}", problems.join("\n"));
        }
    }
}

/// Edition 2024 images from protoc: `import option` files (listed in `option_dependency`, which
/// prost-types does not know) are imports, never targets, and `export` / `local` types load;
/// the findings are the directories'.
#[test]
fn edition_2024_images_with_option_imports() {
    let t = TempDir::new().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    let source = "edition = \"2024\";\n\npackage acme.o.v1;\n\nimport option \"google/protobuf/cpp_features.proto\";\n\nexport message M {\n  string s = 1 [features.(pb.cpp).string_type = CORD];\n  N n = 2;\n\n  message N {}\n}\n\nlocal enum E {\n  E_UNSPECIFIED = 0;\n}\n";
    write(&a, "o.proto", source);
    write(&b, "o.proto", &source.replace("CORD", "STRING"));
    let (code, dir_rows) = rows(&breaking(&b, &a, &[]), "dirs");
    assert_eq!(code, 1);
    assert_eq!(dir_rows.len(), 1, "{dir_rows:?}");
    for flags in [FULL, &["--include_source_info"][..]] {
        let (a_img, b_img) = (t.path().join("a.binpb"), t.path().join("b.binpb"));
        image(&a, &a_img, flags);
        image(&b, &b_img, flags);
        for (label, out) in [
            ("image vs image", breaking(&b_img, &a_img, &[])),
            ("directory vs image", breaking(&b, &a_img, &[])),
            ("image vs directory", breaking(&b_img, &a, &[])),
        ] {
            let (code, image_rows) = rows(&out, label);
            assert_eq!(code, 1, "{label}");
            assert_eq!(image_rows, dir_rows, "{label} ({flags:?})");
        }
    }
}
