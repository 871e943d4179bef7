use super::editions::EDITION_FIELD;
use super::split::{buf_is_import, decoder};
use super::*;
use prost_reflect::prost_types::{FieldDescriptorProto, FileDescriptorSet};

#[test]
fn the_vendored_features_compile_and_extend_feature_set() {
    let d = decoder();
    let pool = d.file.parent_pool();
    assert!(pool.get_extension_by_name("pb.cpp").is_some());
    assert!(pool.get_extension_by_name("pb.java").is_some());
    assert!(d.file.get_field(EDITION_FIELD).is_some());
    // protoc's numbering, not the bundled copy's.
    let utf8 = pool
        .get_enum_by_name("google.protobuf.FeatureSet.Utf8Validation")
        .unwrap();
    assert_eq!(utf8.get_value_by_name("NONE").unwrap().number(), 3);
    assert_eq!(utf8.get_value_by_name("VERIFY").unwrap().number(), 2);
    let edition = pool.get_enum_by_name("google.protobuf.Edition").unwrap();
    assert_eq!(
        edition.get_value_by_name("EDITION_2023").unwrap().number(),
        1000
    );
    assert_eq!(
        edition.get_value_by_name("EDITION_2024").unwrap().number(),
        1001
    );
}

#[test]
fn garbage_and_empty_sets_are_errors() {
    let err = decode(b"\x0a\x05ab", Format::Binpb, "x").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("x: not a FileDescriptorSet (decode error: truncated"),
        "{err}"
    );
    let err = decode(b"", Format::Binpb, "x").unwrap_err();
    assert!(err.to_string().contains("holds no files"), "{err}");
    let err = decode(b"{\"file\": 3}", Format::Json, "x").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("x: not a FileDescriptorSet in JSON"),
        "{err}"
    );
    let err = decode(b"[]", Format::Json, "x").unwrap_err();
    assert!(err.to_string().contains("not an object"), "{err}");
}

#[test]
fn descriptors_prost_reflect_would_panic_on_are_refused() {
    // The two panics of issue 12: syntax "proto4" (index out of bounds) and package "."
    // with a top-level extension (extension not found).
    let file = |f: FileDescriptorProto| FileDescriptorSet { file: vec![f] }.encode_to_vec();
    let proto4 = file(FileDescriptorProto {
        name: Some("a.proto".into()),
        syntax: Some("proto4".into()),
        ..Default::default()
    });
    let err = decode(&proto4, Format::Binpb, "x").unwrap_err().to_string();
    assert_eq!(
        err,
        "x: a.proto: syntax \"proto4\" is not one protosync reads (proto2, proto3 or editions)"
    );
    let dot = file(FileDescriptorProto {
        name: Some("a.proto".into()),
        package: Some(".".into()),
        extension: vec![FieldDescriptorProto {
            name: Some("x".into()),
            number: Some(1000),
            r#type: Some(5),
            label: Some(1),
            extendee: Some(".google.protobuf.FileOptions".into()),
            ..Default::default()
        }],
        dependency: vec!["google/protobuf/descriptor.proto".into()],
        ..Default::default()
    });
    let err = decode(&dot, Format::Binpb, "x").unwrap_err().to_string();
    assert_eq!(err, "x: a.proto: package \".\" is not a dotted name");
}

#[test]
fn buf_import_flags_are_read() {
    // ImageFile { name: "a.proto", buf_extension { is_import: true } }
    let mut file = FileDescriptorProto {
        name: Some("a.proto".into()),
        ..Default::default()
    }
    .encode_to_vec();
    file.extend([0xd2, 0xf6, 0x03, 0x02, 0x08, 0x01]);
    assert!(buf_is_import(&file));
    assert!(!buf_is_import(&file[..file.len() - 6]));
}
