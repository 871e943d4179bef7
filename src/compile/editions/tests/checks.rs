use super::*;

#[test]
fn default_blanking_keeps_option_lists_valid() {
    let source = r#"edition = "2023";
message M {
  int32 a = 1 [deprecated = true, default = 1, default = 2];
  int32 b = 2 [default = 1,
               deprecated = true];
  int32 c = 3 [deprecated = true, default = 7, json_name = "cc"];
  string d = 4 [default = "multi"
                          "line"];
  E e = 5 [default = E_ONE];
  enum E { E_ZERO = 0; E_ONE = 1; }
}
"#;
    // Two defaults on one field is an error, like protoc.
    assert!(err("d.proto", source).contains("Option \"default\" was already set."));
    let source = source.replace(", default = 2", "");
    let l = lower("d.proto", &source).unwrap();
    let f = &l.file;
    assert_eq!(field(f, "M", "a").default_value(), "1");
    assert_eq!(field(f, "M", "b").default_value(), "1");
    assert_eq!(field(f, "M", "c").default_value(), "7");
    assert_eq!(field(f, "M", "c").json_name(), "cc");
    assert_eq!(field(f, "M", "d").default_value(), "multiline");
    assert_eq!(field(f, "M", "e").default_value(), "E_ONE");
    assert_eq!(location(f, &[4, 0, 2, 3, 7]), Some(vec![6, 26, 7, 32]));
    for name in ["a", "b", "c"] {
        assert_eq!(
            field(f, "M", name)
                .options
                .as_ref()
                .unwrap()
                .uninterpreted_option
                .len(),
            1
        );
    }
    compile(&[("d.proto", &source)], &["d.proto"]).unwrap();
}

#[test]
fn bad_default_values_point_into_the_value() {
    let e = err(
        "v.proto",
        "edition = \"2023\";\nmessage M {\n  int32 a = 1 [default = \"abc\"];\n}\n",
    );
    assert!(e.starts_with("v.proto:3:26: expected value to be"), "{e}");
    let e = err(
        "v.proto",
        "edition = \"2023\";\nmessage M {\n  repeated int32 a = 1 [default = 1];\n}\n",
    );
    assert_eq!(
        e,
        "v.proto:3:25: Repeated fields can't have default values."
    );
    let e = err(
        "v.proto",
        "edition = \"2023\";\nenum E { A = 0 [default = 1]; }\n",
    );
    assert_eq!(e, "v.proto:2:17: Option \"default\" unknown.");
}

#[test]
// long: a table of protoc's error cases, one assertion each
fn feature_validation_mirrors_protoc() {
    let cases: &[(&str, &str)] = &[
            (
                "message M { option features.field_presence = IMPLICIT; int32 a = 1; }",
                "2:13: Option google.protobuf.FeatureSet.field_presence cannot be set on an entity of type `message`.",
            ),
            (
                "message M { repeated int32 a = 1 [features.field_presence = IMPLICIT]; }",
                "2:35: Repeated fields can't specify field presence.",
            ),
            (
                "message M { M a = 1 [features.field_presence = IMPLICIT]; }",
                "2:22: Message fields can't specify implicit presence.",
            ),
            (
                "message M { int32 a = 1 [features.field_presence = IMPLICIT, default = 3]; }",
                "2:62: Implicit presence fields can't specify defaults.",
            ),
            (
                "option features.field_presence = IMPLICIT;\nmessage M { int32 a = 1 [default = 3]; }",
                "3:26: Implicit presence fields can't specify defaults.",
            ),
            (
                "message M { optional int32 a = 1; }",
                "2:13: Label \"optional\" is not supported in editions.",
            ),
            (
                "message M { required int32 a = 1; }",
                "2:13: Label \"required\" is not supported in editions, use features.field_presence = LEGACY_REQUIRED.",
            ),
            ("message M { repeated group G = 1 {} }", "2:13: Group syntax is no longer supported in editions."),
            (
                "message M { reserved \"foo\"; }",
                "2:22: Reserved names must be identifiers in editions, not string literals.",
            ),
            (
                "option features.field_presence = BOGUS;",
                "2:1: Enum type \"google.protobuf.FeatureSet.FieldPresence\" has no value named \"BOGUS\" for option \"google.protobuf.FeatureSet.field_presence\".",
            ),
            (
                "option features.field_presence = \"IMPLICIT\";",
                "2:1: Value must be identifier for enum-valued option \"google.protobuf.FeatureSet.field_presence\".",
            ),
            ("option features.bogus = X;", "2:1: Option \"features.bogus\" unknown."),
            (
                "option features.enforce_naming_style = STYLE2024;",
                "2:1: google.protobuf.FeatureSet.enforce_naming_style wasn't introduced until edition 2024",
            ),
            (
                "message M { int32 a = 1 [features.message_encoding = DELIMITED]; }",
                "2:26: Only message fields can specify message encoding.",
            ),
            (
                "message M { map<string, M> a = 1 [features.message_encoding = DELIMITED]; }",
                "2:35: Only message fields can specify message encoding.",
            ),
            (
                "message M { int32 a = 1 [features.repeated_field_encoding = EXPANDED]; }",
                "2:26: Only repeated fields can specify repeated field encoding.",
            ),
            (
                "message M { repeated string a = 1 [features.repeated_field_encoding = PACKED]; }",
                "2:36: Only repeated primitive fields can specify PACKED repeated field encoding.",
            ),
            (
                "message M { int32 a = 1 [features.utf8_validation = NONE]; }",
                "2:26: Only string fields can specify utf8 validation.",
            ),
            ("enum E { A = 1; }", "2:14: The first enum value must be zero for open enums."),
            (
                "option features.field_presence = LEGACY_REQUIRED;",
                "2:1: Required presence can't be specified by default.",
            ),
            (
                "message M { oneof o { int32 x = 4 [features.field_presence = IMPLICIT]; } }",
                "2:36: Oneof fields can't specify field presence.",
            ),
            (
                "message M { extensions 1 to 10; }\nextend M { int32 e = 1 [features.field_presence = LEGACY_REQUIRED]; }",
                "3:25: Extensions can't specify field presence.",
            ),
            (
                "enum E { option features.enum_type = CLOSED; A = 0; }\nmessage M { E e = 1 [features.field_presence = IMPLICIT]; }",
                "3:13: Implicit presence enum fields must always be open.",
            ),
            (
                "message M { int32 a = 1 [features.field_presence = EXPLICIT, features.field_presence = IMPLICIT]; }",
                "2:62: Option \"features.field_presence\" was already set.",
            ),
            (
                "message M { string s = 1 [features.(pb.cpp).string_type = CORD]; }",
                "2:27: Option \"features.(pb.cpp)\" unknown.",
            ),
            (
                "service S { option features.field_presence = IMPLICIT; }",
                "2:13: Option google.protobuf.FeatureSet.field_presence cannot be set on an entity of type `service`.",
            ),
            (
                "enum E { A = 0 [features.enum_type = OPEN]; }",
                "2:17: Option google.protobuf.FeatureSet.enum_type cannot be set on an entity of type `enum entry`.",
            ),
            (
                "message M { oneof o { option features.json_format = ALLOW; int32 a = 1; } }",
                "2:23: Option google.protobuf.FeatureSet.json_format cannot be set on an entity of type `oneof`.",
            ),
        ];
    for (body, want) in cases {
        let source = format!("edition = \"2023\";\n{body}\n");
        let got = err("x.proto", &source);
        assert!(
            got.starts_with(&format!("x.proto:{want}")),
            "{body}\n got: {got}\nwant: {want}"
        );
    }
}

#[test]
fn valid_presence_combinations_are_accepted() {
    // Inherited IMPLICIT does not reach message fields, oneofs, extensions or repeated fields.
    let source = r#"edition = "2023";
option features.field_presence = IMPLICIT;
option features.enum_type = CLOSED;
option features.json_format = LEGACY_BEST_EFFORT;
message M {
  M m = 1;
  repeated int32 r = 2;
  oneof o { int32 x = 3 [default = 4]; }
  E e = 4 [features.field_presence = EXPLICIT, default = E_ONE];
  repeated E es = 5 [features.repeated_field_encoding = PACKED];
  repeated M ms = 6 [features.message_encoding = DELIMITED];
  map<string, string> mp = 7 [features.utf8_validation = NONE];
  extensions 100 to 200;
}
enum E { option features.json_format = ALLOW; E_ONE = 1; }
extend M { int32 ext = 100 [default = 9]; }
"#;
    let l = lower("ok.proto", source).unwrap();
    assert_eq!(l.features.len(), 8);
    compile(&[("ok.proto", source)], &["ok.proto"]).unwrap();
}

#[test]
fn aggregate_and_other_language_features() {
    let source = r#"edition = "2023";
import "google/protobuf/cpp_features.proto";
import "google/protobuf/java_features.proto";
option features = { field_presence: IMPLICIT enum_type: CLOSED };
option features.(pb.java).legacy_closed_enum = true;
message M {
  string s = 1 [features.(pb.cpp) = { string_type: VIEW }];
  string t = 2 [features = { utf8_validation: NONE [pb.java] { utf8_validation: VERIFY } }];
}
"#;
    let l = lower("agg.proto", source).unwrap();
    let got: Vec<(Vec<i32>, Feature, &str)> = l
        .features
        .iter()
        .map(|(p, s)| (p.clone(), s.feature, s.value.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (vec![], Feature::FieldPresence, "IMPLICIT"),
            (vec![], Feature::EnumType, "CLOSED"),
            (vec![4, 0, 2, 0], Feature::CppStringType, "VIEW"),
            (vec![4, 0, 2, 1], Feature::Utf8Validation, "NONE"),
            (vec![4, 0, 2, 1], Feature::JavaUtf8Validation, "VERIFY"),
        ]
    );
    assert_eq!(l.features[0].1.span, [3, 0, 3, 65]);
    assert_eq!(
        l.other_features,
        vec![(
            vec![],
            OtherFeatureSetting {
                name: "(pb.java).legacy_closed_enum".into(),
                value: "true".into(),
                span: [4, 0, 4, 52],
            }
        )]
    );
    assert!(l.file.dependency.is_empty());
    assert!(l.file.options.is_none());
    compile(&[("agg.proto", source)], &["agg.proto"]).unwrap();
}

#[test]
fn imports_still_in_use_are_kept_and_indices_renumbered() {
    let source = r#"edition = "2023";
import "a.proto";
import "google/protobuf/cpp_features.proto";
import public "b.proto";
import "google/protobuf/java_features.proto";
option features.(pb.cpp).string_type = VIEW;
message M { pb.JavaFeatures j = 1; }
"#;
    let l = lower("i.proto", source).unwrap();
    let f = &l.file;
    assert_eq!(
        f.dependency,
        ["a.proto", "b.proto", "google/protobuf/java_features.proto"]
    );
    assert_eq!(f.public_dependency, [1]);
    assert_eq!(l.dropped_imports, ["google/protobuf/cpp_features.proto"]);
    assert_eq!(location(f, &[3, 1]), Some(vec![3, 0, 24]));
    assert_eq!(location(f, &[10, 0]), Some(vec![3, 7, 13]));
    assert_eq!(location(f, &[3, 2]), Some(vec![4, 0, 45]));
    assert_eq!(location(f, &[3, 3]), None);
}

#[test]
fn reserved_identifiers_in_enums_and_nested_messages() {
    let source = r#"edition = "2023";
message Outer {
  message Inner {
    reserved a, b;
    int32 x = 1;
  }
  reserved 5, c;
}
enum E {
  E_ZERO = 0;
  reserved E_OLD;
  reserved 3 to 4;
}
"#;
    // `reserved 5, c;` mixes numbers and names: a parse error, as in protoc.
    assert!(lower("r.proto", source).unwrap_err().is_parse());
    let source = source.replace("reserved 5, c;", "reserved c;");
    let l = lower("r.proto", &source).unwrap();
    assert_eq!(
        l.file.message_type[0].nested_type[0].reserved_name,
        ["a", "b"]
    );
    assert_eq!(l.file.message_type[0].reserved_name, ["c"]);
    assert_eq!(l.file.enum_type[0].reserved_name, ["E_OLD"]);
    assert_eq!(l.file.enum_type[0].reserved_range.len(), 1);
    assert_eq!(
        location(&l.file, &[4, 0, 3, 0, 10, 1]),
        Some(vec![3, 16, 17])
    );
    assert_eq!(location(&l.file, &[5, 0, 5, 0]), Some(vec![10, 11, 16]));
    compile(&[("r.proto", &source)], &["r.proto"]).unwrap();
}

/// Condensed from protobuf's `test_messages_proto2_editions.proto` (edition 2023).
const CONFORMANCE_STYLE: &str = r#"// LINT: ALLOW_GROUPS

edition = "2023";

package protobuf_test_messages.editions.proto2;

option features.enum_type = CLOSED;
option features.repeated_field_encoding = EXPANDED;
option features.utf8_validation = NONE;
option java_package = "com.google.protobuf_test_messages.editions.proto2";
option optimize_for = SPEED;
option cc_enable_arenas = true;

message TestAllTypesProto2 {
  message NestedMessage {
    int32 a = 1;
    TestAllTypesProto2 corecursive = 2;
  }

  enum NestedEnum {
    FOO = 0;
    BAR = 1;
    NEG = -1; // Intentionally negative.
  }

  string optional_string_piece = 24 [
    ctype = STRING_PIECE
  ];
  repeated int32 packed_int32 = 75 [
    features.repeated_field_encoding = PACKED
  ];
  repeated NestedEnum packed_nested_enum = 88 [
    features.repeated_field_encoding = PACKED
  ];
  map<string, NestedEnum> map_string_nested_enum = 73;

  oneof oneof_field {
    uint32 oneof_uint32 = 111;
    NestedMessage oneof_nested_message = 112;
    NestedEnum oneof_enum = 119;
  }

  extensions 120 to 200;

  message Data {
    int32 group_int32 = 202;
  }

  Data data = 201 [
    features.message_encoding = DELIMITED
  ];

  int64 default_int64 = 242 [
    default = -9123456789123456789
  ];
  uint64 default_uint64 = 244 [
    default = 10123456789123456789
  ];
  sfixed32 default_sfixed32 = 249 [
    features.field_presence = LEGACY_REQUIRED,
    default = -123456789
  ];
  float default_float = 251 [
    default = 9e9
  ];
  double default_double = 252 [
    default = 7e22
  ];
  bool default_bool = 253 [
    default = true
  ];
  bytes default_bytes = 255 [
    default = "joshua"
  ];
  NestedEnum default_enum = 256 [default = NEG];

  reserved 1000 to 9999;

  message MessageSetCorrect {
    option message_set_wire_format = true;

    extensions 4 to max;
  }

  message MessageSetCorrectExtension1 {
    extend MessageSetCorrect {
      MessageSetCorrectExtension1 message_set_extension = 1547769;
    }

    string str = 25;
  }
}

extend TestAllTypesProto2 {
  GroupField groupfield = 121 [
    features.message_encoding = DELIMITED
  ];
}

message GroupField {
  int32 group_int32 = 122;
}
"#;

#[test]
fn conformance_style_file_links() {
    let l = lower("real.proto", CONFORMANCE_STYLE).unwrap();
    let m = &l.file.message_type[0];
    let default = |name: &str| {
        m.field
            .iter()
            .find(|f| f.name() == name)
            .unwrap()
            .default_value()
            .to_owned()
    };
    // Same strings as protoc 36.2, except floats: protox-parse's formatting is kept so a
    // proto2 file and its editions migration get identical defaults (protoc: 9e+09, 7e+22).
    assert_eq!(default("default_int64"), "-9123456789123456789");
    assert_eq!(default("default_uint64"), "10123456789123456789");
    assert_eq!(default("default_sfixed32"), "-123456789");
    assert_eq!(default("default_float"), "9000000000");
    assert_eq!(default("default_double"), "70000000000000000000000");
    assert_eq!(default("default_bool"), "true");
    assert_eq!(default("default_bytes"), "joshua");
    assert_eq!(default("default_enum"), "NEG");
    assert_eq!(l.resolve(&[4, 0, 4, 0], Feature::EnumType), "CLOSED");
    assert_eq!(
        l.resolve(&[4, 0, 2, 1], Feature::RepeatedFieldEncoding),
        "PACKED"
    );
    assert_eq!(
        l.resolve(&[4, 0, 2, 3], Feature::RepeatedFieldEncoding),
        "EXPANDED"
    );

    let pool = compile(&[("real.proto", CONFORMANCE_STYLE)], &["real.proto"]).unwrap();
    let all = pool
        .get_message_by_name("protobuf_test_messages.editions.proto2.TestAllTypesProto2")
        .unwrap();
    let sfixed = all.get_field_by_name("default_sfixed32").unwrap();
    assert_eq!(sfixed.cardinality(), Cardinality::Required);
    assert_eq!(sfixed.default_value(), Value::I32(-123456789));
    assert_eq!(
        all.get_field_by_name("default_float")
            .unwrap()
            .default_value(),
        Value::F32(9e9)
    );
    assert_eq!(
        all.get_field_by_name("default_enum")
            .unwrap()
            .default_value(),
        Value::EnumNumber(-1)
    );
    assert!(pool
            .get_extension_by_name(
                "protobuf_test_messages.editions.proto2.TestAllTypesProto2.MessageSetCorrectExtension1.message_set_extension"
            )
            .is_some());
}

#[test]
fn crlf_and_non_ascii_sources() {
    let source = "edition = \"2023\";\r\nmessage M {\r\n  string s = 1 [default = \"h\u{e9}llo \u{1f600}\"]; // \u{e9}\r\n  reserved ex;\r\n}\r\n";
    let l = lower("u.proto", source).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        field(&l.file, "M", "s").default_value(),
        "h\u{e9}llo \u{1f600}"
    );
    assert_eq!(
        l.lowered_source
            .split('\n')
            .map(str::len)
            .collect::<Vec<_>>(),
        source.split('\n').map(str::len).collect::<Vec<_>>()
    );
    assert!(l.lowered_source.starts_with("syntax=\"proto3\"; \r\n"));
    assert_eq!(l.file.message_type[0].reserved_name, ["ex"]);
    // Non-ASCII identifiers are not protobuf: the error lands on the original line/column.
    let e = err("u.proto", &source.replace("ex;", "\u{e9}x;"));
    assert_eq!(e, "u.proto:4:12: invalid token");
    let bad =
        "edition = \"2023\";\r\nmessage M {\r\n  string s = 1 [default = \"\u{e9}\"] x;\r\n}\r\n";
    let e = err("u.proto", bad);
    assert!(e.starts_with("u.proto:3:33: "), "{e}");
}

#[test]
fn errors_have_the_protox_debug_shape() {
    let e = lower(
        "dir/f.proto",
        "edition = \"2023\";\nmessage M { int32 a = 1 [features.field_presence = NOPE]; }\n",
    )
    .unwrap_err();
    let debug = format!("{e:?}");
    assert!(debug.starts_with("dir/f.proto:2:26: Enum type"), "{debug}");
    assert!(e.to_string().starts_with("Enum type"));
    // Through the compiler, the same error comes out of the resolver.
    let e = compile(&[("f.proto", "edition = \"2025\";\n")], &["f.proto"]).unwrap_err();
    assert!(format!("{e:?}").starts_with("f.proto:1:11: unsupported edition \"2025\""));
}

#[test]
fn error_location_recovers_what_protox_hides() {
    use miette::Diagnostic as _;
    let source =
        "edition = \"2023\";\nmessage M {\n  int32 a = 1 [features.field_presence = NOPE];\n}\n";
    let e = lower("dir/f.proto", source).unwrap_err();
    // protox::Error::new hides the diagnostic of a custom error ...
    assert!(e.file().is_none() && e.labels().is_none());
    // ... so the location comes from here.
    let at = error_location(&e).unwrap();
    assert_eq!(
        (at.file.as_str(), at.line, at.column),
        ("dir/f.proto", 3, 16)
    );
    assert_eq!(&source[at.span.clone()], "features.field_presence = NOPE");
    assert_eq!(
        at.help.as_deref(),
        Some("valid values: EXPLICIT, IMPLICIT, LEGACY_REQUIRED")
    );
    assert_eq!(at.to_string(), "dir/f.proto:3:16");
    // Also after going through protox's compiler.
    let e = compile(&[("f.proto", source)], &["f.proto"]).unwrap_err();
    assert_eq!(error_location(&e).unwrap().line, 3);
    // Syntax errors are protox-parse's own: located the usual way.
    let e = lower("g.proto", "edition = \"2023\";\nmessage {}\n").unwrap_err();
    assert!(error_location(&e).is_none());
    assert_eq!(e.file(), Some("g.proto"));
    let offset = e.labels().unwrap().next().unwrap().offset();
    assert_eq!(offset, "edition = \"2023\";\nmessage ".len());
}
