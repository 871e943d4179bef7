//! The real binary on real directories: exit codes, formats, configuration precedence,
//! compile errors on either side, and bad configuration.

use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

fn protosync() -> Command {
    Command::cargo_bin("protosync").unwrap()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const BEFORE: &str = "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n  int64 total = 2;\n}\n";
const AFTER: &str = "syntax = \"proto3\";\npackage acme.v1;\n\nmessage Invoice {\n  string id = 1;\n  string total = 2;\n}\n";

/// previous/ and current/ with one type change (`total` int64 -> string).
fn pair() -> TempDir {
    let t = TempDir::new().unwrap();
    write(t.path(), "previous/acme/v1/invoice.proto", BEFORE);
    write(t.path(), "current/acme/v1/invoice.proto", AFTER);
    t
}

fn breaking(t: &TempDir) -> Command {
    let mut c = protosync();
    c.current_dir(t.path())
        .args(["breaking", "current", "--against", "previous"]);
    c
}

#[test]
fn identical_inputs_exit_zero_and_print_nothing() {
    let t = pair();
    let out = protosync()
        .current_dir(t.path())
        .args(["breaking", "previous", "--against", "previous"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn findings_exit_one_in_text_format() {
    let out = breaking(&pair()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "current/acme/v1/invoice.proto:6:3: FIELD_SAME_TYPE Field \"2\" with name \"total\" on message \"Invoice\" changed type from \"int64\" to \"string\".\n"
    );
}

#[test]
fn json_format_is_one_document() {
    let out = breaking(&pair())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "FIELD_SAME_TYPE");
    // As buf names it: the input directory as given, then the module path.
    assert_eq!(f["path"], "current/acme/v1/invoice.proto");
    assert_eq!(
        (f["start_line"].as_u64(), f["start_column"].as_u64()),
        (Some(6), Some(3))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(6), Some(9))
    );
    assert_eq!(
        f["categories"],
        serde_json::json!(["FILE", "PACKAGE", "CSR"])
    );
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(doc["summary"]["by_rule"]["FIELD_SAME_TYPE"], 1);
}

#[test]
fn github_format_annotates_with_title() {
    let out = breaking(&pair())
        .args(["--format", "github"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "::error file=current/acme/v1/invoice.proto,line=6,col=3,endLine=6,endColumn=9,title=FIELD_SAME_TYPE::Field \"2\" with name \"total\" on message \"Invoice\" changed type from \"int64\" to \"string\".\n"
    );
}

#[test]
fn deleted_file_has_no_path_in_json_and_input_in_text() {
    let t = pair();
    write(
        t.path(),
        "previous/acme/v1/old.proto",
        "syntax = \"proto3\";\npackage acme.v1;\n",
    );
    let out = breaking(&t).args(["--format", "json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &doc["findings"][0];
    assert_eq!(first["rule"], "FILE_NO_DELETE");
    assert!(first["path"].is_null());
    assert!(first["start_line"].is_null());
    let text = breaking(&t).output().unwrap();
    assert!(String::from_utf8(text.stdout).unwrap().starts_with(
        "<input>:1:1: FILE_NO_DELETE Previously present file \"acme/v1/old.proto\" was deleted.\n"
    ));
}

#[test]
fn protosync_toml_beats_buf_yaml_and_config_flag_beats_both() {
    let t = pair();
    // buf.yaml would select WIRE (int64 -> string is still a wire break).
    write(
        t.path(),
        "current/buf.yaml",
        "version: v1\nbreaking:\n  use: [WIRE]\n",
    );
    // protosync.toml selects only a rule that does not fire.
    write(
        t.path(),
        "current/protosync.toml",
        "[breaking]\nuse = [\"FIELD_NO_DELETE\"]\n",
    );
    assert_eq!(breaking(&t).output().unwrap().status.code(), Some(0));
    // --config with the buf.yaml: WIRE's FIELD_WIRE_COMPATIBLE_TYPE fires.
    let out = breaking(&t)
        .args(["--config", "current/buf.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("FIELD_WIRE_COMPATIBLE_TYPE"));
    // Without protosync.toml, buf.yaml applies.
    std::fs::remove_file(t.path().join("current/protosync.toml")).unwrap();
    let out = breaking(&t).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("FIELD_WIRE_COMPATIBLE_TYPE"));
}

#[test]
fn use_and_except_flags() {
    let t = pair();
    let out = breaking(&t)
        .args(["--except", "FIELD_SAME_TYPE"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = breaking(&t).args(["--use", "WIRE_JSON"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FIELD_WIRE_JSON_COMPATIBLE_TYPE"), "{text}");
    assert!(!text.contains(" FIELD_SAME_TYPE "), "{text}");
}

#[test]
fn unknown_rule_in_config_names_the_place_and_exits_two() {
    let t = pair();
    write(
        t.path(),
        "current/protosync.toml",
        "[breaking]\nuse = [\"FILE\", \"FIELD_NO_DELET\"]\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("protosync.toml:2:16 (breaking.use)"), "{err}");
    assert!(err.contains("did you mean FIELD_NO_DELETE?"), "{err}");
}

#[test]
fn unknown_key_in_config_is_an_error() {
    let t = pair();
    write(
        t.path(),
        "current/protosync.toml",
        "[breaking]\nusee = [\"FILE\"]\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("usee") && err.contains("line 2"), "{err}");
}

#[test]
fn unknown_rule_in_buf_yaml_names_the_line() {
    let t = pair();
    write(
        t.path(),
        "current/buf.yaml",
        "version: v2\nbreaking:\n  use:\n    - FILE\n    - FIELD_SAME_CTYPE\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("buf.yaml:5"), "{err}");
    assert!(
        err.contains("does not exist in configuration version v2"),
        "{err}"
    );
}

#[test]
fn allowance_drops_its_finding_and_unused_ones_are_reported() {
    let t = pair();
    write(
        t.path(),
        "current/protosync.toml",
        "[[breaking.allow]]\nrule = \"FIELD_SAME_TYPE\"\nelement = \"acme.v1.Invoice.total\"\nreason = \"no client reads total yet\"\n\n[[breaking.allow]]\nrule = \"FIELD_NO_DELETE\"\nelement = \"acme.v1.Invoice.gone\"\nreason = \"removed with ADR-3\"\n",
    );
    let out = breaking(&t).args(["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["allowed"], 1);
    assert_eq!(
        doc["summary"]["unused_allowances"][0]["element"],
        "acme.v1.Invoice.gone"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("matched no finding"), "{err}");
}

/// 2026-12-01T12:00:00Z: "today" for the allowance dates.
const DEC_1_2026: &str = "1796126400";

#[test]
fn an_expired_allowance_stops_allowing_and_one_expiring_soon_is_warned_about() {
    let t = pair();
    write(
        t.path(),
        "current/protosync.toml",
        "[[breaking.allow]]\nrule = \"FIELD_SAME_TYPE\"\nelement = \"acme.v1.Invoice.total\"\nreason = \"no client reads total yet\"\napproved_by = \"alice\"\nexpires = \"2026-11-30\"\n",
    );
    let out = breaking(&t)
        .env("SOURCE_DATE_EPOCH", DEC_1_2026)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "expired: the finding is back");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["allowed"], 0);
    assert_eq!(doc["findings"][0]["rule"], "FIELD_SAME_TYPE");
    let expired = &doc["summary"]["expired_allowances"][0];
    assert_eq!(expired["expires"], "2026-11-30");
    assert_eq!(expired["approved_by"], "alice");
    assert!(doc["summary"]["unused_allowances"]
        .as_array()
        .unwrap()
        .is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("allowance for FIELD_SAME_TYPE on acme.v1.Invoice.total expired on 2026-11-30 (approved by alice): it no longer allows"),
        "{err}"
    );

    // Valid through its day, and within 14 days: allowed, with a warning.
    let toml = std::fs::read_to_string(t.path().join("current/protosync.toml")).unwrap();
    write(
        t.path(),
        "current/protosync.toml",
        &toml.replace("2026-11-30", "2026-12-15"),
    );
    let out = breaking(&t)
        .env("SOURCE_DATE_EPOCH", DEC_1_2026)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["allowed"], 1);
    assert_eq!(
        doc["summary"]["expiring_allowances"][0]["expires"],
        "2026-12-15"
    );
    assert!(doc["summary"].get("expired_allowances").is_none());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("expires on 2026-12-15 (approved by alice)"),
        "{err}"
    );

    // Further away (written as a TOML date this time): no warning.
    write(
        t.path(),
        "current/protosync.toml",
        &toml.replace("\"2026-11-30\"", "2026-12-16"),
    );
    let out = breaking(&t)
        .env("SOURCE_DATE_EPOCH", DEC_1_2026)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8(out.stderr).unwrap().contains("expires"));
}

#[test]
fn an_allowance_date_that_is_not_one_names_its_place() {
    let t = pair();
    write(
        t.path(),
        "current/protosync.toml",
        "[[breaking.allow]]\nrule = \"FIELD_SAME_TYPE\"\nelement = \"acme.v1.Invoice.total\"\nreason = \"later\"\nexpires = \"2026-02-30\"\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("protosync.toml:5:11: breaking.allow.expires: \"2026-02-30\": day 30 does not exist in that month"),
        "{err}"
    );
    // A TOML date-time with a time of day, and a value that is no date at all.
    for (value, says) in [
        (
            "2026-12-31T10:00:00",
            "\"2026-12-31T10:00:00\" is not a date (YYYY-MM-DD)",
        ),
        ("5", "expected a date (YYYY-MM-DD), found integer"),
    ] {
        let toml = std::fs::read_to_string(t.path().join("current/protosync.toml")).unwrap();
        let at = toml.find("expires = ").unwrap();
        let line_end = at + toml[at..].find('\n').unwrap();
        let edited = format!("{}expires = {value}{}", &toml[..at], &toml[line_end..]);
        write(t.path(), "current/protosync.toml", &edited);
        let out = breaking(&t).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(says) && err.contains("line 5, column 11")
                || err.contains(&format!(
                    "protosync.toml:5:11: breaking.allow.expires: {says}"
                )),
            "{value}: {err}"
        );
    }
}

#[test]
fn allowance_without_reason_is_rejected() {
    let t = pair();
    write(
        t.path(),
        "current/protosync.toml",
        "[[breaking.allow]]\nrule = \"FIELD_SAME_TYPE\"\nelement = \"acme.v1.Invoice.total\"\nreason = \"\"\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("protosync.toml:4:10: breaking.allow: reason must not be empty"));
}

#[test]
fn compile_error_names_side_file_line_column_and_source() {
    let t = pair();
    write(
        t.path(),
        "current/acme/v1/invoice.proto",
        "syntax = \"proto3\";\npackage acme.v1;\nmessage Invoice {\n  strin id = 1;\n}\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("input does not compile: acme/v1/invoice.proto:4:3:"),
        "{err}"
    );
    assert!(err.contains("4 |   strin id = 1;"), "{err}");

    let t = pair();
    write(
        t.path(),
        "previous/acme/v1/invoice.proto",
        "syntax = \"proto3\";\npackage acme.v1;\nmessage Invoice {\n  string id = 1\n}\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("against does not compile: acme/v1/invoice.proto:"),
        "{err}"
    );
}

#[test]
fn missing_import_is_located() {
    let t = pair();
    write(
        t.path(),
        "current/acme/v1/invoice.proto",
        "syntax = \"proto3\";\npackage acme.v1;\nimport \"acme/v1/missing.proto\";\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("acme/v1/invoice.proto:3:"), "{err}");
    assert!(err.contains("missing.proto"), "{err}");
}

#[test]
fn a_module_file_at_a_well_known_type_path_is_compiled_as_the_module_s_own() {
    // buf and protoc compile the module's google/protobuf/duration.proto, not a bundled copy:
    // a broken import in it is an error, located in that file.
    let t = pair();
    for side in ["previous", "current"] {
        write(
            t.path(),
            &format!("{side}/google/protobuf/duration.proto"),
            "syntax = \"proto3\";\npackage google.protobuf;\nimport \"nope.proto\";\nmessage Duration { int64 seconds = 1; }\n",
        );
    }
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("google/protobuf/duration.proto:3:"), "{err}");
    assert!(err.contains("nope.proto"), "{err}");
}

#[test]
fn include_dirs_resolve_imports() {
    let t = pair();
    write(
        t.path(),
        "shared/acme/common/money.proto",
        "syntax = \"proto3\";\npackage acme.common;\nmessage Money { int64 units = 1; }\n",
    );
    let uses = "syntax = \"proto3\";\npackage acme.v1;\nimport \"acme/common/money.proto\";\nmessage Invoice {\n  string id = 1;\n  acme.common.Money total = 2;\n}\n";
    write(t.path(), "current/acme/v1/invoice.proto", uses);
    write(t.path(), "previous/acme/v1/invoice.proto", uses);
    let out = breaking(&t).args(["--include", "shared"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without the include the import is missing.
    assert_eq!(breaking(&t).output().unwrap().status.code(), Some(2));
}

#[test]
fn missing_input_dir_exits_two() {
    let t = pair();
    let out = protosync()
        .current_dir(t.path())
        .args(["breaking", "nope", "--against", "previous"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("input \"nope\": no such directory"));
    let out = breaking(&pair())
        .args(["--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn empty_input_dir_is_an_error() {
    let t = pair();
    std::fs::create_dir_all(t.path().join("empty")).unwrap();
    let out = protosync()
        .current_dir(t.path())
        .args(["breaking", "empty", "--against", "previous"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no .proto files"));
}

#[test]
fn rules_lists_every_rule_of_the_version() {
    let out = protosync()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rules"].as_array().unwrap().len(), 65);
    let out = protosync()
        .args(["rules", "--format", "json", "--config-version", "v1beta1"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["rules"].as_array().unwrap().len(), 64);
    let text = String::from_utf8(protosync().arg("rules").output().unwrap().stdout).unwrap();
    assert!(text.contains("* FIELD_NO_DELETE"));
}

#[test]
fn docs_rules_md_is_generated_from_the_registry() {
    let want = protosync::report::rules::markdown();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

fn fixture(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/breaking")
        .join(case)
}

#[test]
fn paths_are_printed_as_buf_prints_them_with_the_module_directory() {
    // The cases' buf.jsonl is buf 1.75's own output for the same command line.
    for case in [
        "config_v1beta1_roots",
        "config_v2_module_path",
        "config_v1_wire_file_same_package",
    ] {
        let out = protosync()
            .current_dir(fixture(case))
            .args([
                "breaking",
                "current",
                "--against",
                "previous",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{case}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ours: Vec<&str> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["path"].as_str())
            .collect();
        let recorded = std::fs::read_to_string(fixture(case).join("buf.jsonl")).unwrap();
        let bufs: Vec<serde_json::Value> = recorded
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut theirs: Vec<&str> = bufs
            .iter()
            .filter_map(|v| v["path"].as_str())
            .filter(|p| *p != "<input>")
            .collect();
        ours.sort();
        theirs.sort();
        assert!(!ours.is_empty(), "{case}");
        assert_eq!(ours, theirs, "{case}");
    }
}

#[test]
fn editions_errors_are_located_in_the_original_file() {
    let t = pair();
    write(
        t.path(),
        "current/acme/v1/invoice.proto",
        "edition = \"2025\";\npackage acme.v1;\nmessage Invoice {\n  string id = 1;\n}\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("input does not compile: acme/v1/invoice.proto:1:11:"),
        "{err}"
    );
    assert!(
        err.contains("only editions \"2023\" and \"2024\" are supported"),
        "{err}"
    );
    // Edition 2024 errors of its own (naming style) are located too.
    write(
        t.path(),
        "current/acme/v1/invoice.proto",
        "edition = \"2024\";\npackage acme.v1;\nmessage Invoice {\n  string orderId = 1;\n}\n",
    );
    let err = String::from_utf8(breaking(&t).output().unwrap().stderr).unwrap();
    assert!(
        err.contains("input does not compile: acme/v1/invoice.proto:4:10: Field name orderId should be lower_snake_case"),
        "{err}"
    );
}

#[test]
fn editions_feature_change_is_found() {
    let t = TempDir::new().unwrap();
    let file = |presence: &str| {
        format!("edition = \"2023\";\npackage acme.v1;\nmessage Invoice {{\n  string id = 1{presence};\n}}\n")
    };
    write(t.path(), "previous/acme/v1/invoice.proto", &file(""));
    write(
        t.path(),
        "current/acme/v1/invoice.proto",
        &file(" [features.field_presence = IMPLICIT]"),
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "current/acme/v1/invoice.proto:4:3: FIELD_SAME_CARDINALITY Field \"1\" with name \"id\" on message \"Invoice\" changed cardinality from \"optional with explicit presence\" to \"optional with implicit presence\".\n"
    );
}

#[test]
fn against_config_lays_out_the_against_side() {
    let t = pair();
    // The previous side has a broken file under vendor/ that its layout must exclude.
    write(
        t.path(),
        "previous/vendor/broken.proto",
        "syntax = \"proto3\";\nmessage {\n",
    );
    write(
        t.path(),
        "layout.yaml",
        "version: v1\nbuild:\n  excludes: [vendor]\n",
    );
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("against does not compile: vendor/broken.proto"));
    let out = breaking(&t)
        .args(["--against-config", "layout.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("FIELD_SAME_TYPE"));
}

/// The input side is compiled incrementally: a file that did not change but imports one that
/// did must still be judged with the new import.
#[test]
fn unchanged_file_sees_the_change_of_its_import() {
    let t = TempDir::new().unwrap();
    let user = "syntax = \"proto3\";\npackage acme.v1;\nimport \"acme/v1/types.proto\";\nmessage User {\n  Status status = 1;\n}\n";
    write(t.path(), "previous/acme/v1/user.proto", user);
    write(t.path(), "current/acme/v1/user.proto", user);
    write(
        t.path(),
        "previous/acme/v1/types.proto",
        "syntax = \"proto3\";\npackage acme.v1;\nenum Status {\n  STATUS_UNSPECIFIED = 0;\n}\n",
    );
    write(
        t.path(),
        "current/acme/v1/types.proto",
        "syntax = \"proto3\";\npackage acme.v1;\nmessage Status {\n}\n",
    );
    // An unrelated, unchanged file stays shared.
    let other = "syntax = \"proto3\";\npackage acme.v1;\nmessage Other {\n  int32 n = 1;\n}\n";
    write(t.path(), "previous/acme/v1/other.proto", other);
    write(t.path(), "current/acme/v1/other.proto", other);
    let out = breaking(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "current/acme/v1/types.proto:1:1: ENUM_NO_DELETE Previously present enum \"Status\" was deleted from file.\n\
         current/acme/v1/user.proto:5:3: FIELD_SAME_CARDINALITY Field \"1\" with name \"status\" on message \"User\" changed cardinality from \"optional with implicit presence\" to \"optional with explicit presence\".\n\
         current/acme/v1/user.proto:5:3: FIELD_SAME_TYPE Field \"1\" with name \"status\" on message \"User\" changed type from \"enum\" to \"message\".\n"
    );
}

#[cfg(unix)]
#[test]
fn symlink_cycles_in_an_input_directory_terminate() {
    let t = pair();
    std::os::unix::fs::symlink("..", t.path().join("current/acme/loop")).unwrap();
    let out = breaking(&t).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_protosync()"),
        ("zsh", "#compdef protosync"),
        ("fish", "complete -c protosync"),
    ] {
        let out = Command::cargo_bin("protosync")
            .unwrap()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(marker),
            "{shell}: {}",
            &text[..text.len().min(300)]
        );
        // Subcommands and their flags are completed.
        assert!(
            text.contains("fanout") && text.contains("allow-breaking"),
            "{shell}"
        );
    }
}
