//! What the patched protox-parse / prost-reflect (vendor/README.md) accept and refuse, as protoc
//! 36.2 does: name resolution scopes, `import public` chains, extension ranges with options,
//! message-set extension numbers.

use std::sync::Arc;

use super::{compile, CompileError, SourceTree};

fn tree(files: &[(&str, &str)]) -> SourceTree {
    let mut tree = SourceTree::default();
    for (name, text) in files {
        tree.files.insert((*name).to_owned(), Arc::from(*text));
    }
    tree
}

fn ok(files: &[(&str, &str)]) {
    if let Err(e) = compile(tree(files), "input") {
        panic!("must compile: {e}");
    }
}

fn err(files: &[(&str, &str)]) -> Box<CompileError> {
    compile(tree(files), "input").expect_err("must not compile")
}

const CONFIG: &str = "syntax = \"proto3\";\npackage a.config;\nimport \"google/protobuf/descriptor.proto\";\nmessage T {}\nextend google.protobuf.FieldOptions {\n  int32 max = 50001;\n}\n";
const USER: &str = "syntax = \"proto3\";\npackage a.b.c;\nimport \"x/t.proto\";\nmessage M {\n  config.T t = 1 [(config.max) = 3];\n}\n";

#[test]
fn compound_names_skip_packages_no_import_declares() {
    // Unrelated, not imported: `a.b.config` is not a scope of z/m.proto.
    let other = "syntax = \"proto3\";\npackage a.b.config.other;\nmessage O {}\n";
    ok(&[
        ("z/m.proto", USER),
        ("x/t.proto", CONFIG),
        ("y/u.proto", other),
    ]);
    // Imported (or the file's own package): `config` now means `a.b.config`, as in protoc.
    let importer = USER.replace(
        "import \"x/t.proto\";\n",
        "import \"x/t.proto\";\nimport \"y/u.proto\";\n",
    );
    let e = err(&[
        ("z/m.proto", &importer),
        ("x/t.proto", CONFIG),
        ("y/u.proto", other),
    ]);
    assert_eq!((e.file.as_deref(), e.line), (Some("z/m.proto"), Some(6)));
    assert!(e.message.contains("a.b.config.T"), "{}", e.message);
}

#[test]
fn compound_names_skip_types_of_files_not_imported() {
    // A message `a.b.config` in a file that is not imported does not shadow the package.
    let other = "syntax = \"proto3\";\npackage a.b;\nmessage config {}\n";
    ok(&[
        ("z/m.proto", USER),
        ("x/t.proto", CONFIG),
        ("y/u.proto", other),
    ]);
}

#[test]
fn public_imports_are_followed_transitively() {
    let d = "syntax = \"proto3\";\npackage d;\nmessage T {}\n";
    let c = "syntax = \"proto3\";\npackage c;\nimport public \"d.proto\";\n";
    let b = "syntax = \"proto3\";\npackage b;\nimport public \"c.proto\";\n";
    let a = "syntax = \"proto3\";\npackage a;\nimport \"b.proto\";\nmessage M {\n  d.T t = 1;\n}\n";
    ok(&[
        ("a.proto", a),
        ("b.proto", b),
        ("c.proto", c),
        ("d.proto", d),
    ]);
    // Not through a plain import.
    let b = "syntax = \"proto3\";\npackage b;\nimport \"c.proto\";\n";
    err(&[
        ("a.proto", a),
        ("b.proto", b),
        ("c.proto", c),
        ("d.proto", d),
    ]);
}

#[test]
fn extension_ranges_of_one_number_take_options() {
    ok(&[(
        "e.proto",
        "syntax = \"proto2\";\nmessage E {\n  extensions 6 [verification = UNVERIFIED];\n  extensions 7, 9 to 10 [verification = UNVERIFIED];\n}\n",
    )]);
    let e = err(&[(
        "e.proto",
        "syntax = \"proto2\";\nmessage E {\n  reserved 6 [deprecated = true];\n}\n",
    )]);
    assert_eq!((e.line, e.column), (Some(3), Some(14)));
}

#[test]
fn message_sets_take_extension_numbers_up_to_2147483646() {
    let set = "syntax = \"proto2\";\nmessage Bag {\n  option message_set_wire_format = true;\n  extensions 4 to 1999999999, 2000000006 to max;\n  reserved 2000000000 to 2000000005;\n}\nmessage Item {}\nextend Bag {\n  optional Item item = 2147483646;\n}\n";
    ok(&[("m.proto", set)]);
    // Only message sets: elsewhere the limit stays 536870911.
    let plain = "syntax = \"proto2\";\nmessage Bag {\n  extensions 4 to 600000000;\n}\n";
    assert!(err(&[("m.proto", plain)]).message.contains("536870911"));
    let field = "syntax = \"proto2\";\nmessage Bag {\n  optional int32 x = 600000000;\n}\n";
    err(&[("m.proto", field)]);
    let outside = "syntax = \"proto2\";\nmessage Bag {\n  extensions 4 to max;\n}\nextend Bag {\n  optional int32 x = 600000000;\n}\n";
    assert!(err(&[("m.proto", outside)])
        .message
        .contains("does not define '600000000' as an extension number"));
}
