//! The mutations of the seeded fuzz run: byte-level ones from a dictionary, and structural ones
//! on descriptors (names, types, numbers, fields).

use super::*;

// ---------------------------------------------------------------------------------------------
// Mutations

/// Tokens worth inserting: structure, encodings, numbers at the edges, long and deep things.
pub(crate) fn dictionary() -> Vec<Vec<u8>> {
    let mut d: Vec<Vec<u8>> = [
        "{",
        "}",
        "[",
        "]",
        "<",
        ">",
        "(",
        ")",
        ";",
        "=",
        ",",
        ".",
        "\"",
        "'",
        "\\",
        "/*",
        "*/",
        "//",
        "\n",
        "\r\n",
        "\t",
        "\u{feff}",
        "\u{0}",
        "message ",
        "enum ",
        "service ",
        "rpc ",
        "oneof ",
        "map<",
        "group ",
        "extend ",
        "extensions ",
        "reserved ",
        "option ",
        "import ",
        "weak ",
        "public ",
        "package ",
        "syntax = \"proto3\";",
        "edition = \"2023\";",
        "edition = \"2024\";",
        "optional ",
        "repeated ",
        "required ",
        "returns ",
        "stream ",
        "max",
        "to",
        "0",
        "-1",
        "1",
        "19000",
        "536870911",
        "536870912",
        "2147483647",
        "-2147483648",
        "18446744073709551616",
        "1e999",
        "0x",
        "nan",
        "inf",
        "[default = ",
        "[(",
        ").",
        "features.",
        "json_name = ",
        "\"a\"",
        "true",
        "google.protobuf.Any",
        ".acme.billing.v1.Invoice",
        "é",
        "\u{202e}",
        "[[vendor]]",
        "[[file]]",
        "[contract]",
        "[breaking]",
        "version = 2",
        "use = [",
        "ignore = [\"[[\"]",
        "from = \"",
        "to = \"",
        "path = \"",
        "sha256 = \"",
        "commit = \"",
        "../",
        "/abs",
        "**",
        "*",
        "- ",
        ": ",
        "  ",
        "version: v1",
        "version: v2",
        "modules:",
        "roots:",
        "breaking:",
        "&a ",
        "*a",
        "!!binary ",
        "{a: [",
        "~",
        "---\n",
        "file",
        "\"type\": \"TYPE_NOPE\"",
        "\"name\": ",
        "\"syntax\": \"proto4\"",
        "\"package\": \".\"",
        "null",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    d.push(vec![0xff]);
    d.push(vec![0xe9]);
    d.push(vec![0x80]);
    d.push(vec![0xc3]);
    d.push("a.".repeat(300).into_bytes());
    d.push("{ a ".repeat(150).into_bytes());
    d.push("message M { ".repeat(40).into_bytes());
    d.push("x".repeat(5000).into_bytes());
    d
}

pub(crate) fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, dict: &[Vec<u8>]) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(9) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = rng.next() as u8;
            }
            2 if !data.is_empty() => {
                let len = rng.below(16.min(data.len() - at.min(data.len())) + 1);
                data.drain(at.min(data.len())..(at + len).min(data.len()));
            }
            3 if !data.is_empty() => {
                let from = rng.below(data.len());
                let len = rng.below(64).min(data.len() - from);
                let chunk = data[from..from + len].to_vec();
                data.splice(at..at, chunk);
            }
            4 => {
                let n = rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(at..at, bytes);
            }
            5 if !data.is_empty() => data.truncate(at),
            _ => {
                let token = rng.pick(dict).clone();
                data.splice(at..at, token);
            }
        }
    }
}

pub(crate) fn weird_name(rng: &mut Rng) -> String {
    rng.pick(&[
        "",
        ".",
        "..",
        "a.b",
        ".a",
        "a.",
        "1x",
        "M",
        "a b",
        "é",
        "Order",
        "Invoice",
        "x",
        "google.protobuf",
        "a..b",
    ])
    .to_string()
}

pub(crate) fn weird_type_name(rng: &mut Rng) -> String {
    rng.pick(&[
        "",
        ".",
        ".acme.billing.v1.Invoice",
        ".acme.legacy.v1.Order",
        ".acme.billing.v1.Status",
        "Invoice",
        ".nope.T",
        ".google.protobuf.Timestamp",
        ".acme.legacy.v1.Order.State",
        "..a",
        ".acme.billing.v1.Invoice.Line",
        ".google.protobuf.FileOptions",
    ])
    .to_string()
}

pub(crate) fn weird_number(rng: &mut Rng) -> i32 {
    *rng.pick(&[
        0,
        -1,
        1,
        2,
        5,
        100,
        18999,
        19000,
        536_870_911,
        536_870_912,
        i32::MAX,
        i32::MIN,
    ])
}

/// A message of `file` at random, top-level or nested.
pub(crate) fn pick_message<'a>(
    rng: &mut Rng,
    file: &'a mut FileDescriptorProto,
) -> Option<&'a mut DescriptorProto> {
    if file.message_type.is_empty() {
        return None;
    }
    let i = rng.below(file.message_type.len());
    let mut m = &mut file.message_type[i];
    while !m.nested_type.is_empty() && rng.chance(40) {
        let j = rng.below(m.nested_type.len());
        m = &mut m.nested_type[j];
    }
    Some(m)
}

pub(crate) fn mutate_field(rng: &mut Rng, f: &mut FieldDescriptorProto) {
    match rng.below(12) {
        0 => f.number = Some(weird_number(rng)),
        1 => f.label = Some(rng.below(5) as i32),
        2 => f.r#type = Some(rng.below(20) as i32),
        3 => f.type_name = Some(weird_type_name(rng)),
        4 => f.oneof_index = Some(rng.below(4) as i32 - 1),
        5 => f.json_name = Some(weird_name(rng)),
        6 => {
            f.default_value = Some(
                rng.pick(&["x", "1e999", "-", "", "nan", "NEW", "\\xff", "-0"])
                    .to_string(),
            )
        }
        7 => f.proto3_optional = Some(rng.chance(50)),
        8 => f.extendee = Some(weird_type_name(rng)),
        9 => f.name = Some(weird_name(rng)),
        10 => f.type_name = None,
        _ => f.options = Some(Default::default()),
    }
}

pub(crate) fn mutate_descriptor(rng: &mut Rng, set: &mut FileDescriptorSet) {
    if set.file.is_empty() {
        return;
    }
    for _ in 0..1 + rng.below(3) {
        let n = set.file.len();
        let file = &mut set.file[rng.below(n)];
        match rng.below(16) {
            0 => {
                file.syntax = Some(
                    rng.pick(&["proto4", "", "proto2", "proto3", "editions", "\0"])
                        .to_string(),
                )
            }
            1 => {
                file.package = Some(
                    rng.pick(&[
                        ".",
                        "..",
                        "a..b",
                        ".a",
                        "a.",
                        "",
                        "a b",
                        "acme.billing.v1",
                        "p",
                    ])
                    .to_string(),
                )
            }
            2 => file.package = Some(vec!["a"; 300].join(".")),
            3 => file.extension.push(FieldDescriptorProto {
                name: Some(weird_name(rng)),
                number: Some(weird_number(rng)),
                label: Some(rng.below(4) as i32),
                r#type: Some(rng.below(19) as i32),
                type_name: rng.chance(50).then(|| weird_type_name(rng)),
                extendee: rng.chance(90).then(|| weird_type_name(rng)),
                ..Default::default()
            }),
            4 => {
                let deps = ["missing.proto", "acme/billing/v1/invoice.proto", ""];
                let dep = rng.pick(&deps).to_string();
                file.dependency.push(dep);
            }
            5 => file.public_dependency.push(rng.below(5) as i32 - 1),
            6 => file.weak_dependency.push(rng.below(5) as i32 - 1),
            7 => file.name = Some(weird_name(rng) + ".proto"),
            8 => {
                let info = file
                    .source_code_info
                    .get_or_insert_with(SourceCodeInfo::default);
                let len = rng.below(6);
                let span: Vec<i32> = (0..len).map(|_| weird_number(rng)).collect();
                let path: Vec<i32> = (0..rng.below(6)).map(|_| rng.below(10) as i32).collect();
                info.location.push(Location {
                    path,
                    span,
                    ..Default::default()
                });
            }
            9 => {
                if let Some(info) = &mut file.source_code_info {
                    for loc in &mut info.location {
                        if rng.chance(10) {
                            loc.span.truncate(rng.below(4));
                        }
                        if rng.chance(5) {
                            loc.span.iter_mut().for_each(|s| *s = weird_number(rng));
                        }
                    }
                }
            }
            10 => file.enum_type.push(EnumDescriptorProto {
                name: Some(weird_name(rng)),
                value: (0..rng.below(3))
                    .map(|i| EnumValueDescriptorProto {
                        name: Some(weird_name(rng)),
                        number: Some(i as i32 * weird_number(rng)),
                        options: None,
                    })
                    .collect(),
                ..Default::default()
            }),
            11 => {
                let j = rng.below(n);
                set.file.swap(0, j);
            }
            12 => {
                let j = rng.below(n);
                let copy = set.file[j].clone();
                set.file.push(copy);
            }
            _ => {
                let Some(m) = pick_message(rng, file) else {
                    continue;
                };
                match rng.below(8) {
                    0 => m.name = Some(weird_name(rng)),
                    1 => {
                        m.options = Some(MessageOptions {
                            map_entry: Some(rng.chance(70)),
                            message_set_wire_format: Some(rng.chance(30)),
                            ..Default::default()
                        })
                    }
                    2 => m.field.clear(),
                    3 => m.oneof_decl.clear(),
                    4 => {
                        if let Some(r) = m.extension_range.first_mut() {
                            r.start = Some(weird_number(rng));
                            r.end = Some(weird_number(rng));
                        } else {
                            m.nested_type.push(DescriptorProto {
                                name: Some(weird_name(rng)),
                                ..Default::default()
                            });
                        }
                    }
                    _ => {
                        if !m.field.is_empty() {
                            let i = rng.below(m.field.len());
                            mutate_field(rng, &mut m.field[i]);
                        } else {
                            m.field.push(FieldDescriptorProto {
                                name: Some("f".into()),
                                number: Some(1),
                                label: Some(1),
                                r#type: Some(11),
                                type_name: Some(weird_type_name(rng)),
                                ..Default::default()
                            });
                        }
                    }
                }
            }
        }
    }
}

/// A JSON image of `set` (the protobuf JSON mapping of `FileDescriptorSet`).
pub(crate) fn to_json(set: &FileDescriptorSet) -> Vec<u8> {
    static POOL: std::sync::OnceLock<prost_reflect::DescriptorPool> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        let mut c = protox::Compiler::with_file_resolver(protox::file::GoogleFileResolver::new());
        c.open_file("google/protobuf/descriptor.proto").unwrap();
        c.descriptor_pool()
    });
    let desc = pool
        .get_message_by_name("google.protobuf.FileDescriptorSet")
        .expect("descriptor.proto is bundled");
    let msg = prost_reflect::DynamicMessage::decode(desc, set.encode_to_vec().as_slice()).unwrap();
    serde_json::to_vec_pretty(&msg).unwrap()
}
