//! Tests of the editions front-end, on real sources (spans checked against protoc 36.2).

use prost_reflect::prost_types::field_descriptor_proto::Label;
use prost_reflect::prost_types::{FieldDescriptorProto, FileDescriptorProto};
use prost_reflect::{Cardinality, DescriptorPool, Kind as ReflectKind, Value};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::elements::{elem_ref, uninterpreted};
use super::lift::is_features_option;
use super::*;

/// Every construct the brief asks for. Spans asserted below were checked against
/// `protoc 36.2 --include_source_info` on this exact text.
const SAMPLE: &str = r#"// Leading comment.
/* block */ edition = "2023";

package demo.v1;

import "google/protobuf/cpp_features.proto";
import "google/protobuf/java_features.proto";

option features.field_presence = IMPLICIT;
option java_package = "com.demo.v1";
option features.(pb.java).utf8_validation = VERIFY;

message Inner {
  string note = 1;
}

message Sample {
  option features.json_format = LEGACY_BEST_EFFORT;
  reserved 20 to 25;
  reserved legacy_name, other_name;
  string id = 1 [features.field_presence = EXPLICIT, default = "x\n\"y\""];
  int32 count = 2 [deprecated = true, features.field_presence = LEGACY_REQUIRED];
  Inner inner = 3 [features.message_encoding = DELIMITED];
  repeated int32 values = 4 [features.repeated_field_encoding = EXPANDED];
  map<string, Inner> by_name = 5;
  oneof choice {
    string text = 6;
    int64 number = 7;
  }
  string cord = 8 [features.(pb.cpp).string_type = CORD, features.field_presence = EXPLICIT];
  bytes blob = 9 [features.field_presence = EXPLICIT, default = "\001\xff"];
  double ratio = 10 [features.field_presence = EXPLICIT, default = -inf];
  Color color = 11 [features.field_presence = EXPLICIT, default = GREEN];
  float f = 12 [default = 1e5, features.field_presence = EXPLICIT];
  extensions 100 to 199;
}

enum Color {
  option features.enum_type = CLOSED;
  RED = 1;
  GREEN = 2;
}

extend Sample {
  string ext_note = 100;
}

service Svc {
  rpc Get(Sample) returns (Inner);
}

enum Mode {
  MODE_UNSPECIFIED = 0;
  MODE_ON = 1;
}
"#;

const CONSUMER: &str = r#"syntax = "proto3";
package consumer;
import "demo/sample.proto";
message Uses {
  demo.v1.Sample sample = 1;
  demo.v1.Mode mode = 2;
}
"#;

/// The resolver the caller is expected to build: editions files go through [`lower`].
struct MapResolver(HashMap<String, String>);

impl FileResolver for MapResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        let Some(source) = self.0.get(name) else {
            return Err(protox::Error::file_not_found(name));
        };
        if detect_edition(source).is_some() {
            Ok(File::from_file_descriptor_proto(lower(name, source)?.file))
        } else {
            File::from_source(name, source)
        }
    }
}

fn compile(files: &[(&str, &str)], roots: &[&str]) -> Result<DescriptorPool, protox::Error> {
    let map = files
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect();
    let mut chain = ChainFileResolver::new();
    chain.add(MapResolver(map));
    chain.add(GoogleFileResolver::new());
    let mut compiler = protox::Compiler::with_file_resolver(chain);
    compiler.include_source_info(true);
    compiler.open_files(roots)?;
    Ok(compiler.descriptor_pool())
}

fn lowered() -> Lowered {
    lower("demo/sample.proto", SAMPLE).unwrap()
}

fn err(name: &str, source: &str) -> String {
    format!("{:?}", lower(name, source).unwrap_err())
}

fn field<'a>(file: &'a FileDescriptorProto, message: &str, name: &str) -> &'a FieldDescriptorProto {
    file.message_type
        .iter()
        .find(|m| m.name() == message)
        .and_then(|m| m.field.iter().find(|f| f.name() == name))
        .unwrap()
}

fn location(file: &FileDescriptorProto, path: &[i32]) -> Option<Vec<i32>> {
    file.source_code_info
        .as_ref()
        .unwrap()
        .location
        .iter()
        .find(|l| l.path == path)
        .map(|l| l.span.clone())
}

fn has_features_option(file: &FileDescriptorProto) -> bool {
    walk(file).iter().any(|e| {
        elem_ref(file, &e.path).is_some_and(|r| uninterpreted(r).iter().any(is_features_option))
    })
}

#[test]
fn lowers_sample_to_proto2_descriptor() {
    let l = lowered();
    let f = &l.file;
    assert_eq!(l.edition, "2023");
    assert_eq!(f.syntax(), "proto2");
    assert_eq!(f.package(), "demo.v1");
    assert!(!has_features_option(f));
    assert!(f.source_code_info.is_some());

    let label = |name| field(f, "Sample", name).label();
    assert_eq!(label("id"), Label::Optional);
    assert_eq!(label("count"), Label::Required, "LEGACY_REQUIRED");
    assert_eq!(label("inner"), Label::Optional);
    assert_eq!(label("values"), Label::Repeated);
    assert_eq!(label("by_name"), Label::Repeated);
    assert_eq!(label("text"), Label::Optional);
    assert_eq!(label("cord"), Label::Optional);
    assert_eq!(
        field(f, "Inner", "note").label(),
        Label::Optional,
        "implicit presence"
    );
    assert_eq!(f.extension[0].label(), Label::Optional);
    assert_eq!(field(f, "Sample", "text").oneof_index, Some(0));
    assert!(f
        .message_type
        .iter()
        .all(|m| m.field.iter().all(|x| x.proto3_optional.is_none())));

    // Defaults exactly as protoc writes them (protoc 36.2 output for the same file).
    let default = |name| field(f, "Sample", name).default_value.clone();
    assert_eq!(default("id").as_deref(), Some("x\n\"y\""));
    assert_eq!(default("blob").as_deref(), Some("\\001\\377"));
    assert_eq!(default("ratio").as_deref(), Some("-inf"));
    assert_eq!(default("color").as_deref(), Some("GREEN"));
    assert_eq!(default("f").as_deref(), Some("100000"));
    assert_eq!(default("count"), None);

    // Non-feature options stay uninterpreted; feature-only option lists disappear.
    let count_options = field(f, "Sample", "count").options.as_ref().unwrap();
    assert_eq!(count_options.uninterpreted_option.len(), 1);
    assert_eq!(
        count_options.uninterpreted_option[0].name[0].name_part,
        "deprecated"
    );
    assert!(field(f, "Sample", "id").options.is_none());
    assert!(f.message_type[1].options.is_none());
    assert!(f.enum_type[0].options.is_none());
    let file_options = f.options.as_ref().unwrap();
    assert_eq!(file_options.uninterpreted_option.len(), 1);
    assert_eq!(
        file_options.uninterpreted_option[0].name[0].name_part,
        "java_package"
    );

    // Reserved identifiers, map entry, extension range, extension, service.
    assert_eq!(
        f.message_type[1].reserved_name,
        ["legacy_name", "other_name"]
    );
    assert_eq!(f.message_type[1].reserved_range.len(), 1);
    assert_eq!(f.message_type[1].nested_type[0].name(), "ByNameEntry");
    assert_eq!(f.extension[0].extendee(), "Sample");
    assert_eq!(f.service[0].method[0].name(), "Get");

    // The language feature files are not bundled by protox: their imports are dropped.
    assert!(f.dependency.is_empty());
    assert_eq!(
        l.dropped_imports,
        [
            "google/protobuf/cpp_features.proto",
            "google/protobuf/java_features.proto"
        ]
    );
}

#[test]
// long: one assertion per feature of the shared sample
fn reports_features_with_paths_and_protoc_spans() {
    use Feature::*;
    let l = lowered();
    let got: Vec<(Vec<i32>, Feature, &str, [i32; 4])> = l
        .features
        .iter()
        .map(|(p, s)| (p.clone(), s.feature, s.value.as_str(), s.span))
        .collect();
    let want: Vec<(Vec<i32>, Feature, &str, [i32; 4])> = vec![
        (vec![], FieldPresence, "IMPLICIT", [8, 0, 8, 42]),
        (vec![], JavaUtf8Validation, "VERIFY", [10, 0, 10, 51]),
        (
            vec![4, 1],
            JsonFormat,
            "LEGACY_BEST_EFFORT",
            [17, 2, 17, 51],
        ),
        (
            vec![4, 1, 2, 0],
            FieldPresence,
            "EXPLICIT",
            [20, 17, 20, 51],
        ),
        (
            vec![4, 1, 2, 1],
            FieldPresence,
            "LEGACY_REQUIRED",
            [21, 38, 21, 79],
        ),
        (
            vec![4, 1, 2, 2],
            MessageEncoding,
            "DELIMITED",
            [22, 19, 22, 56],
        ),
        (
            vec![4, 1, 2, 3],
            RepeatedFieldEncoding,
            "EXPANDED",
            [23, 29, 23, 72],
        ),
        (vec![4, 1, 2, 7], CppStringType, "CORD", [29, 19, 29, 55]),
        (
            vec![4, 1, 2, 7],
            FieldPresence,
            "EXPLICIT",
            [29, 57, 29, 91],
        ),
        (
            vec![4, 1, 2, 8],
            FieldPresence,
            "EXPLICIT",
            [30, 18, 30, 52],
        ),
        (
            vec![4, 1, 2, 9],
            FieldPresence,
            "EXPLICIT",
            [31, 21, 31, 55],
        ),
        (
            vec![4, 1, 2, 10],
            FieldPresence,
            "EXPLICIT",
            [32, 20, 32, 54],
        ),
        (
            vec![4, 1, 2, 11],
            FieldPresence,
            "EXPLICIT",
            [33, 31, 33, 65],
        ),
        (vec![5, 0], EnumType, "CLOSED", [38, 2, 38, 37]),
    ];
    assert_eq!(got, want);
    assert!(l.other_features.is_empty());

    // A span points at the option text in the original source.
    let (_, s) = &l.features[2];
    let line = SAMPLE.lines().nth(s.span[0] as usize).unwrap();
    assert_eq!(
        &line[s.span[1] as usize..s.span[3] as usize],
        "option features.json_format = LEGACY_BEST_EFFORT;"
    );
}

#[test]
fn source_info_matches_protoc_paths() {
    let f = lowered().file;
    // Edition statement under `syntax`, like protoc.
    assert_eq!(location(&f, &[12]), Some(vec![1, 12, 29]));
    // Lifted options are renamed to protoc's interpreted paths, the rest renumbered.
    assert_eq!(location(&f, &[8, 50, 1]), Some(vec![8, 0, 42]));
    assert_eq!(location(&f, &[8, 50, 1001, 2]), Some(vec![10, 0, 51]));
    assert_eq!(location(&f, &[8, 999, 0]), Some(vec![9, 0, 36]));
    assert_eq!(
        location(&f, &[4, 1, 2, 0, 8, 21, 1]),
        Some(vec![20, 17, 51])
    );
    assert_eq!(
        location(&f, &[4, 1, 2, 1, 8, 999, 0]),
        Some(vec![21, 19, 36])
    );
    assert_eq!(
        location(&f, &[4, 1, 2, 7, 8, 21, 1000, 2]),
        Some(vec![29, 19, 55])
    );
    assert_eq!(location(&f, &[4, 1, 7, 12, 6]), Some(vec![17, 2, 51]));
    assert_eq!(location(&f, &[5, 0, 3, 7, 2]), Some(vec![38, 2, 37]));
    // Defaults and reserved names, same spans as protoc.
    assert_eq!(location(&f, &[4, 1, 2, 0, 7]), Some(vec![20, 63, 73]));
    assert_eq!(location(&f, &[4, 1, 2, 8, 7]), Some(vec![30, 64, 74]));
    assert_eq!(location(&f, &[4, 1, 10]), Some(vec![19, 2, 35]));
    assert_eq!(location(&f, &[4, 1, 10, 0]), Some(vec![19, 11, 22]));
    assert_eq!(location(&f, &[4, 1, 10, 1]), Some(vec![19, 24, 34]));
    // Element spans untouched.
    assert_eq!(location(&f, &[4, 1]), Some(vec![16, 0, 35, 1]));
    assert_eq!(location(&f, &[4, 1, 2, 0]), Some(vec![20, 2, 75]));
    // Dropped imports lose their locations.
    assert_eq!(location(&f, &[3, 0]), None);
}

#[test]
fn lowered_source_keeps_line_lengths() {
    let l = lowered();
    let original: Vec<usize> = SAMPLE.split('\n').map(str::len).collect();
    let lowered: Vec<usize> = l.lowered_source.split('\n').map(str::len).collect();
    assert_eq!(original, lowered);
    assert!(l
        .lowered_source
        .contains("/* block */ syntax=\"proto3\"; \n"));
    assert!(l
        .lowered_source
        .contains("  string id = 1 [features.field_presence = EXPLICIT                      ];"));
    assert!(l
        .lowered_source
        .contains("  float f = 12 [               features.field_presence = EXPLICIT];"));
}

#[test]
fn links_with_a_proto3_importer_and_loads_in_prost_reflect() {
    let pool = compile(
        &[("demo/sample.proto", SAMPLE), ("consumer.proto", CONSUMER)],
        &["consumer.proto"],
    )
    .unwrap();
    let uses = pool.get_message_by_name("consumer.Uses").unwrap();
    assert_eq!(
        uses.get_field_by_name("mode")
            .unwrap()
            .kind()
            .as_enum()
            .unwrap()
            .full_name(),
        "demo.v1.Mode"
    );

    let sample = pool.get_message_by_name("demo.v1.Sample").unwrap();
    assert_eq!(sample.parent_file().syntax(), prost_reflect::Syntax::Proto2);
    let count = sample.get_field_by_name("count").unwrap();
    assert_eq!(count.cardinality(), Cardinality::Required);
    assert_eq!(
        count
            .field_descriptor_proto()
            .options
            .as_ref()
            .unwrap()
            .deprecated,
        Some(true)
    );
    let inner = sample.get_field_by_name("inner").unwrap();
    assert!(matches!(inner.kind(), ReflectKind::Message(m) if m.full_name() == "demo.v1.Inner"));
    assert!(sample.get_field_by_name("by_name").unwrap().is_map());
    assert_eq!(sample.oneofs().next().unwrap().name(), "choice");
    let color = sample.get_field_by_name("color").unwrap();
    assert_eq!(color.default_value(), Value::EnumNumber(2));
    assert_eq!(
        sample.get_field_by_name("id").unwrap().default_value(),
        Value::String("x\n\"y\"".into())
    );
    assert_eq!(
        sample.get_field_by_name("blob").unwrap().default_value(),
        Value::Bytes(vec![1u8, 0xff].into())
    );
    assert_eq!(
        sample.get_field_by_name("ratio").unwrap().default_value(),
        Value::F64(f64::NEG_INFINITY)
    );
    let ext = pool.get_extension_by_name("demo.v1.ext_note").unwrap();
    assert_eq!(ext.containing_message().full_name(), "demo.v1.Sample");
    let file = pool.get_file_by_name("demo/sample.proto").unwrap();
    let options = file.file_descriptor_proto().options.clone().unwrap();
    assert_eq!(options.java_package(), "com.demo.v1");
    assert!(options.uninterpreted_option.is_empty());
    assert!(pool.get_service_by_name("demo.v1.Svc").is_some());
    // protox interpreted the remaining option and rewrote its location.
    let sci = file
        .file_descriptor_proto()
        .source_code_info
        .clone()
        .unwrap();
    assert!(sci
        .location
        .iter()
        .any(|l| l.path == [4, 1, 2, 1, 8, 3] && l.span == [21, 19, 36]));
}

#[test]
fn custom_options_stay_for_protox() {
    let source = r#"edition = "2023";
package c;
import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { string tag = 50000; }
message M {
  string a = 1 [(tag) = "x", features.field_presence = IMPLICIT, json_name = "A", ctype = CORD];
  repeated int32 b = 2 [packed = false];
  int64 c = 3 [jstype = JS_STRING, features.field_presence = EXPLICIT, default = -5];
}
"#;
    let l = lower("c.proto", source).unwrap();
    let a = field(&l.file, "M", "a");
    assert_eq!(a.json_name(), "A");
    let names: Vec<&str> = a
        .options
        .as_ref()
        .unwrap()
        .uninterpreted_option
        .iter()
        .map(|o| o.name[0].name_part.as_str())
        .collect();
    assert_eq!(names, ["tag", "ctype"]);
    assert_eq!(field(&l.file, "M", "c").default_value(), "-5");
    assert_eq!(l.file.dependency, ["google/protobuf/descriptor.proto"]);

    let pool = compile(&[("c.proto", source)], &["c.proto"]).unwrap();
    let m = pool.get_message_by_name("c.M").unwrap();
    let a = m.get_field_by_name("a").unwrap();
    let ext = pool.get_extension_by_name("c.tag").unwrap();
    assert_eq!(a.options().get_extension(&ext).as_str(), Some("x"));
    assert_eq!(
        a.field_descriptor_proto().options.as_ref().unwrap().ctype,
        Some(1)
    );
    assert!(!m.get_field_by_name("b").unwrap().is_packed());
    assert_eq!(
        m.get_field_by_name("c").unwrap().default_value(),
        Value::I64(-5)
    );
}

#[test]
fn resolves_inherited_features() {
    use Feature::*;
    let l = lowered();
    assert_eq!(
        l.resolve(&[4, 0, 2, 0], FieldPresence),
        "IMPLICIT",
        "from the file"
    );
    assert_eq!(
        l.resolve(&[4, 1, 2, 0], FieldPresence),
        "EXPLICIT",
        "on the field"
    );
    assert_eq!(l.resolve(&[4, 1, 2, 2], MessageEncoding), "DELIMITED");
    assert_eq!(l.resolve(&[4, 1, 2, 4], MessageEncoding), "LENGTH_PREFIXED");
    assert_eq!(l.resolve(&[5, 0], EnumType), "CLOSED");
    assert_eq!(l.resolve(&[5, 1], EnumType), "OPEN");
    assert_eq!(l.resolve(&[4, 1], JsonFormat), "LEGACY_BEST_EFFORT");
    assert_eq!(l.resolve(&[4, 1, 2, 7], CppStringType), "CORD");
    assert_eq!(l.resolve(&[4, 1, 2, 0], CppStringType), "STRING");
    assert_eq!(
        l.resolve(&[4, 1, 2, 0], JavaUtf8Validation),
        "VERIFY",
        "from the file"
    );
    assert_eq!(l.resolve(&[4, 1, 2, 3], RepeatedFieldEncoding), "EXPANDED");
    assert_eq!(l.resolve(&[7, 0], Utf8Validation), "VERIFY");
    assert!(l.explicit(&[4, 1, 2, 5], FieldPresence).is_none());
}

#[test]
fn oneof_members_inherit_from_their_oneof() {
    let l = lower(
        "o.proto",
        "edition = \"2023\";\nmessage M { oneof o { int32 a = 1; } }\n",
    )
    .unwrap();
    let chain = feature_chain(&l.file, &[4, 0, 2, 0]);
    assert_eq!(
        chain,
        vec![vec![4, 0, 2, 0], vec![4, 0, 8, 0], vec![4, 0], vec![]]
    );
}

#[test]
fn syntax_errors_point_at_the_original_source() {
    let source =
        "// c\nedition = \"2023\";\n\nmessage M {\n  string s = 1 [default = \"abc\"] oops;\n}\n";
    let e = lower("bad.proto", source).unwrap_err();
    assert!(e.is_parse());
    assert_eq!(e.file(), Some("bad.proto"));
    let debug = format!("{e:?}");
    assert!(debug.starts_with("bad.proto:5:34: "), "{debug}");
    assert!(debug.contains("'oops'"), "{debug}");

    let e = err(
        "bad2.proto",
        "edition = \"2023\";\nmessage M {\n\tint32 a = ;\n}\n",
    );
    assert!(e.starts_with("bad2.proto:3:12: "), "{e}");
}

#[test]
fn unknown_editions_are_rejected_at_the_edition_line() {
    for edition in ["2025", "2026"] {
        let source = format!("// header\n\nedition = \"{edition}\";\nmessage M {{}}\n");
        let e = lower("e.proto", &source).unwrap_err();
        assert_eq!(
                format!("{e:?}"),
                format!("e.proto:3:11: unsupported edition \"{edition}\": only editions \"2023\" and \"2024\" are supported")
            );
        assert!(e.to_string().contains(edition));
    }
}

#[test]
fn detect_edition_cases() {
    assert_eq!(detect_edition("edition = \"2023\";"), Some("2023".into()));
    assert_eq!(
        detect_edition("// c\n/* edition = \"x\"; */\n  edition='2024' ;\nmessage A {}"),
        Some("2024".into())
    );
    assert_eq!(
        detect_edition("\u{feff}edition = \"20\" \"23\";"),
        Some("2023".into())
    );
    assert_eq!(detect_edition("syntax = \"proto3\";\nmessage A {}"), None);
    assert_eq!(
        detect_edition("// edition = \"2023\";\nsyntax = \"proto2\";"),
        None
    );
    assert_eq!(
        detect_edition("/* edition = \"2023\"; */ syntax = \"proto3\";"),
        None
    );
    assert_eq!(detect_edition("message edition {}"), None);
    assert_eq!(detect_edition(""), None);
    assert_eq!(detect_edition("edition"), None);
}

#[test]
fn edition_statement_layouts() {
    // No spaces: one byte short; the replacement grows that line only.
    let l = lower("a.proto", "edition=\"2023\";\nmessage M { int32 a = 1; }\n").unwrap();
    assert!(l.lowered_source.starts_with("syntax=\"proto3\";\n"));
    assert_eq!(location(&l.file, &[4, 0, 2, 0]), Some(vec![1, 12, 24]));
    assert_eq!(location(&l.file, &[12]), Some(vec![0, 0, 15]));
    // ... unless a blank follows.
    let l = lower("a.proto", "edition=\"2023\"; // c\nmessage M {}\n").unwrap();
    assert!(l.lowered_source.starts_with("syntax=\"proto3\";// c\n"));
    // Spread over lines.
    let source = "edition\n  =\n  \"2023\"\n;\nmessage M { int32 a = 1 [default = 3]; }\n";
    let l = lower("a.proto", source).unwrap();
    assert_eq!(
        l.lowered_source
            .split('\n')
            .map(str::len)
            .collect::<Vec<_>>(),
        source.split('\n').map(str::len).collect::<Vec<_>>()
    );
    assert_eq!(field(&l.file, "M", "a").default_value(), "3");
    assert_eq!(location(&l.file, &[4, 0, 2, 0, 7]), Some(vec![4, 35, 36]));
    // Malformed.
    assert!(
        err("a.proto", "edition = \"2023\"\nmessage M {}").starts_with("a.proto:2:1: expected ';'")
    );
    assert!(
        err("a.proto", "edition = 2023;").starts_with("a.proto:1:11: expected a string literal")
    );
}

mod checks;
