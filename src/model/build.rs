//! Building the schema model from a compiled pool: resolves features (presence, enum
//! openness, encodings, UTF-8, JSON format, C++/Java options) for proto2, proto3 and editions.

use std::collections::HashMap;
use std::sync::Arc;

use prost_reflect::{
    EnumDescriptor, ExtensionDescriptor, FieldDescriptor, FileDescriptor, MessageDescriptor, Value,
};

use super::spans::{Origin, SpanSource};
use super::*;
use crate::compile::editions::{Feature, FeatureSetting};
use crate::compile::Compiled;

/// Feature values in force at one element; spans are only those set on the element itself.
#[derive(Debug, Clone, Copy)]
struct Res {
    editions: bool,
    presence_explicit: bool,
    legacy_required: bool,
    enum_closed: bool,
    utf8_verify: bool,
    delimited: bool,
    json_allow: bool,
    cpp: CppString,
    java_verify: bool,
}

#[derive(Default)]
struct Own {
    enum_type: Option<RawSpan>,
    json_format: Option<RawSpan>,
    utf8: Option<RawSpan>,
    cpp: Option<RawSpan>,
    java: Option<RawSpan>,
}

impl Res {
    fn for_syntax(syntax: &Syntax) -> Res {
        let proto2 = matches!(syntax, Syntax::Proto2);
        let editions = matches!(syntax, Syntax::Editions(_));
        Res {
            editions,
            presence_explicit: !matches!(syntax, Syntax::Proto3),
            legacy_required: false,
            enum_closed: proto2,
            utf8_verify: !proto2,
            delimited: false,
            json_allow: !proto2,
            // Edition 2024 changed the default of `(pb.cpp).string_type` to VIEW.
            cpp: match syntax {
                Syntax::Editions(e) if Feature::CppStringType.edition_default(e) == "VIEW" => {
                    CppString::View
                }
                _ => CppString::String,
            },
            java_verify: false,
        }
    }

    fn apply(mut self, settings: Option<&Vec<FeatureSetting>>) -> (Res, Own) {
        let mut own = Own::default();
        for s in settings.into_iter().flatten() {
            let v = s.value.as_str();
            match s.feature {
                Feature::FieldPresence => {
                    self.presence_explicit = v != "IMPLICIT";
                    self.legacy_required = v == "LEGACY_REQUIRED";
                }
                Feature::EnumType => {
                    self.enum_closed = v == "CLOSED";
                    own.enum_type = located(s.span);
                }
                Feature::Utf8Validation => {
                    self.utf8_verify = v == "VERIFY";
                    own.utf8 = located(s.span);
                }
                Feature::MessageEncoding => self.delimited = v == "DELIMITED",
                Feature::JsonFormat => {
                    self.json_allow = v == "ALLOW";
                    own.json_format = located(s.span);
                }
                Feature::CppStringType => {
                    self.cpp = match v {
                        "CORD" => CppString::Cord,
                        "VIEW" => CppString::View,
                        _ => CppString::String,
                    };
                    own.cpp = located(s.span);
                }
                Feature::JavaUtf8Validation => {
                    self.java_verify = v == "VERIFY";
                    own.java = located(s.span);
                }
                Feature::RepeatedFieldEncoding => {}
            }
        }
        (self, own)
    }
}

/// A feature's span, unless it is [`UNLOCATED`].
fn located(span: RawSpan) -> Option<RawSpan> {
    (span != UNLOCATED).then_some(span)
}

struct FileCtx<'a> {
    features: Option<&'a HashMap<Vec<i32>, Vec<FeatureSetting>>>,
    package: &'a str,
    java_check_utf8: Option<bool>,
}

impl FileCtx<'_> {
    fn settings(&self, path: &[i32]) -> Option<&Vec<FeatureSetting>> {
        self.features.and_then(|f| f.get(path))
    }

    fn relative<'n>(&self, full_name: &'n str) -> &'n str {
        if self.package.is_empty() {
            full_name
        } else {
            full_name
                .strip_prefix(self.package)
                .and_then(|s| s.strip_prefix('.'))
                .unwrap_or(full_name)
        }
    }
}

/// Builds one side's schema from its compiled form (files on all cores).
pub fn build(compiled: &Compiled) -> Schema {
    let mut files = build_files(compiled, &compiled.targets);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Schema {
        files,
        enum_shapes: enum_shapes(compiled, HashMap::new()),
    }
}

/// Builds the second side of a comparison from a compilation of only its changed files
/// (`compiled.targets`): every other file is unchanged, and so are its imports, so its model
/// is the first side's, shared.
pub fn build_incremental(compiled: &Compiled, unchanged: &[String], first: &Schema) -> Schema {
    let mut files = build_files(compiled, &compiled.targets);
    for name in unchanged {
        if let Some(i) = first.file_index(name) {
            files.push(first.files[i].clone());
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Schema {
        files,
        enum_shapes: enum_shapes(compiled, first.enum_shapes.clone()),
    }
}

fn enum_shapes(
    compiled: &Compiled,
    mut shapes: HashMap<String, EnumShape>,
) -> HashMap<String, EnumShape> {
    for e in compiled.pool.all_enums() {
        shapes.insert(
            e.full_name().to_owned(),
            EnumShape {
                name: e.name().to_owned(),
                values: e
                    .values()
                    .map(|v| (v.number(), v.name().to_owned()))
                    .collect(),
            },
        );
    }
    shapes
}

fn build_files(compiled: &Compiled, names: &[String]) -> Vec<Arc<File>> {
    let one = |name: &String| -> Option<Arc<File>> {
        let fd = compiled.pool.get_file_by_name(name)?;
        let text = compiled.tree.files.get(name).cloned();
        let origin = match text {
            Some(text) if fd.file_descriptor_proto().source_code_info.is_none() => Origin::Text {
                name: name.clone(),
                text,
            },
            _ => match &fd.file_descriptor_proto().source_code_info {
                Some(info) => Origin::Info(Arc::new(info.clone())),
                None => Origin::None,
            },
        };
        Some(Arc::new(build_file(
            &fd,
            compiled.editions.get(name),
            origin,
        )))
    };
    let threads = crate::parallelism();
    if names.len() < 64 || threads < 2 {
        return names.iter().filter_map(one).collect();
    }
    let chunk = names.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = names
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().filter_map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("model thread"))
            .collect()
    })
}

fn build_file(
    fd: &FileDescriptor,
    editions: Option<&crate::compile::EditionFile>,
    origin: Origin,
) -> File {
    let fdp = fd.file_descriptor_proto();
    let syntax = match (editions, fdp.syntax()) {
        (Some(ed), _) => Syntax::Editions(ed.edition.clone()),
        (None, "proto3") => Syntax::Proto3,
        _ => Syntax::Proto2,
    };
    let ctx = FileCtx {
        features: editions.map(|e| &e.features),
        package: fd.package_name(),
        java_check_utf8: fdp.options.as_ref().and_then(|o| o.java_string_check_utf8),
    };
    let (res, _) = Res::for_syntax(&syntax).apply(ctx.settings(&[]));
    let mut file = File {
        path: fd.name().to_owned(),
        package: fd.package_name().to_owned(),
        syntax,
        options: file_options(fdp),
        messages: Vec::new(),
        enums: Vec::new(),
        services: Vec::new(),
        extensions: Vec::new(),
        spans: SpanSource::new(origin),
    };
    for m in fd.messages() {
        add_message(&mut file, &ctx, &m, res);
    }
    for e in fd.enums() {
        file.enums.push(build_enum(&ctx, &e, res));
    }
    for x in fd.extensions() {
        file.extensions.push(build_extension(&ctx, &x, res));
    }
    for s in fd.services() {
        let methods = s
            .methods()
            .map(|m| {
                let p = m.method_descriptor_proto();
                let idem = p
                    .options
                    .as_ref()
                    .map(|o| o.idempotency_level())
                    .unwrap_or_default();
                Method {
                    name: m.name().to_owned(),
                    path: m.path().to_vec(),
                    input: m.input().full_name().to_owned(),
                    output: m.output().full_name().to_owned(),
                    client_streaming: m.is_client_streaming(),
                    server_streaming: m.is_server_streaming(),
                    idempotency: idem.as_str_name().to_owned(),
                }
            })
            .collect();
        file.services.push(Service {
            full_name: s.full_name().to_owned(),
            name: s.name().to_owned(),
            path: s.path().to_vec(),
            methods,
        });
    }
    file
}

fn file_options(fdp: &prost_reflect::prost_types::FileDescriptorProto) -> FileOptions {
    let o = fdp.options.clone().unwrap_or_default();
    let mut values = HashMap::new();
    let s = |v: Option<&String>| v.cloned().unwrap_or_default();
    values.insert(1, s(o.java_package.as_ref()));
    values.insert(8, s(o.java_outer_classname.as_ref()));
    values.insert(9, o.optimize_for().as_str_name().to_owned());
    values.insert(10, o.java_multiple_files().to_string());
    values.insert(11, s(o.go_package.as_ref()));
    values.insert(16, o.cc_generic_services().to_string());
    values.insert(17, o.java_generic_services().to_string());
    values.insert(18, o.py_generic_services().to_string());
    values.insert(31, o.cc_enable_arenas().to_string());
    values.insert(36, s(o.objc_class_prefix.as_ref()));
    values.insert(37, s(o.csharp_namespace.as_ref()));
    values.insert(39, s(o.swift_prefix.as_ref()));
    values.insert(40, s(o.php_class_prefix.as_ref()));
    values.insert(41, s(o.php_namespace.as_ref()));
    values.insert(44, s(o.php_metadata_namespace.as_ref()));
    values.insert(45, s(o.ruby_package.as_ref()));
    FileOptions { values }
}

fn add_message(file: &mut File, ctx: &FileCtx, m: &MessageDescriptor, parent: Res) {
    let (res, own) = parent.apply(ctx.settings(m.path()));
    let dp = m.descriptor_proto();
    let opts = dp.options.as_ref();
    let fields = m.fields().map(|f| build_field(ctx, &f, res)).collect();
    let message = Message {
        full_name: m.full_name().to_owned(),
        nested_name: ctx.relative(m.full_name()).to_owned(),
        name: m.name().to_owned(),
        path: match m.is_map_entry().then(|| map_field_of(m)).flatten() {
            Some(mf) => map_entry_path(&mf),
            None => m.path().to_vec(),
        },
        fields,
        oneofs: m
            .oneofs()
            .map(|o| Oneof {
                name: o.name().to_owned(),
                synthetic: o.is_synthetic(),
            })
            .collect(),
        reserved_ranges: dp
            .reserved_range
            .iter()
            .map(|r| (r.start() as i64, r.end() as i64 - 1))
            .collect(),
        reserved_names: dp.reserved_name.clone(),
        extension_ranges: dp
            .extension_range
            .iter()
            .map(|r| (r.start() as i64, r.end() as i64 - 1))
            .collect(),
        is_map_entry: m.is_map_entry(),
        message_set_wire_format: opts.is_some_and(|o| o.message_set_wire_format()),
        no_standard_descriptor_accessor: opts.is_some_and(|o| o.no_standard_descriptor_accessor()),
        json_allow: res.json_allow,
        json_format_span: own.json_format,
    };
    file.messages.push(message);
    for e in m.child_enums() {
        file.enums.push(build_enum(ctx, &e, res));
    }
    for x in m.child_extensions() {
        file.extensions.push(build_extension(ctx, &x, res));
    }
    for child in m.child_messages() {
        add_message(file, ctx, &child, res);
    }
}

fn build_enum(ctx: &FileCtx, e: &EnumDescriptor, parent: Res) -> Enum {
    let (res, own) = parent.apply(ctx.settings(e.path()));
    let ep = e.enum_descriptor_proto();
    Enum {
        full_name: e.full_name().to_owned(),
        nested_name: ctx.relative(e.full_name()).to_owned(),
        name: e.name().to_owned(),
        path: e.path().to_vec(),
        values: e
            .values()
            .map(|v| EnumValue {
                name: v.name().to_owned(),
                number: v.number(),
                path: v.path().to_vec(),
            })
            .collect(),
        reserved_ranges: ep
            .reserved_range
            .iter()
            .map(|r| (r.start() as i64, r.end() as i64))
            .collect(),
        reserved_names: ep.reserved_name.clone(),
        closed: res.enum_closed,
        enum_type_span: own.enum_type,
        json_allow: res.json_allow,
        json_format_span: own.json_format,
    }
}

/// What differs between an ordinary field and an extension when building the model.
struct FieldShape<'a> {
    fdp: &'a prost_reflect::prost_types::FieldDescriptorProto,
    path: &'a [i32],
    name: &'a str,
    full_name: &'a str,
    kind: prost_reflect::Kind,
    is_list: bool,
    is_map: bool,
    /// The key or value of a map entry.
    in_map_entry: bool,
    /// Only for fields that can carry a default (not repeated, map or message).
    default: Option<Value>,
}

fn can_have_default(kind: &prost_reflect::Kind, is_list: bool, is_map: bool) -> bool {
    !is_list && !is_map && !matches!(kind, prost_reflect::Kind::Message(_))
}

fn build_field(ctx: &FileCtx, f: &FieldDescriptor, parent: Res) -> Field {
    let oneof = f.containing_oneof();
    let real_oneof = oneof
        .as_ref()
        .filter(|o| !o.is_synthetic())
        .map(|o| o.name().to_owned());
    let parent_msg = f.parent_message();
    // Map entry messages are synthesized from a map field: their fields are located at that
    // field, and the features set on it apply to the key and value (protoc's parser copies
    // every `features.*` option of the map field onto both).
    let map_field = parent_msg
        .is_map_entry()
        .then(|| map_field_of(parent_msg))
        .flatten();
    let parent = match &map_field {
        Some(mf) => parent.apply(ctx.settings(mf.path())).0,
        None => parent,
    };
    let shape = FieldShape {
        fdp: f.field_descriptor_proto(),
        path: f.path(),
        name: f.name(),
        full_name: f.full_name(),
        kind: f.kind(),
        is_list: f.is_list(),
        is_map: f.is_map(),
        in_map_entry: map_field.is_some(),
        default: can_have_default(&f.kind(), f.is_list(), f.is_map()).then(|| f.default_value()),
    };
    let mut field = common_field(
        ctx,
        &shape,
        parent,
        oneof.is_some() || f.supports_presence(),
    );
    field.oneof = real_oneof;
    field.message_name = parent_msg.name().to_owned();
    field.in_map_entry = parent_msg.is_map_entry();
    if let Some(mf) = &map_field {
        field.path = map_entry_path(mf);
    }
    field.json_name = f.json_name().to_owned();
    field
}

/// The map field a map entry message was synthesized for (entries have no source of their own).
fn map_field_of(entry: &MessageDescriptor) -> Option<FieldDescriptor> {
    let owner = entry.parent_message()?;
    let field = owner
        .fields()
        .find(|mf| mf.kind().as_message() == Some(entry));
    field
}

/// Where a map entry and its key and value are located: the `map<K, V>` type of their map
/// field (the field's type name, `+[6]`), as the reference tool points at them.
fn map_entry_path(map_field: &FieldDescriptor) -> Vec<i32> {
    let mut path = map_field.path().to_vec();
    path.push(6);
    path
}

fn build_extension(ctx: &FileCtx, x: &ExtensionDescriptor, parent: Res) -> Field {
    let shape = FieldShape {
        fdp: x.field_descriptor_proto(),
        path: x.path(),
        name: x.name(),
        full_name: x.full_name(),
        kind: x.kind(),
        is_list: x.is_list(),
        is_map: x.is_map(),
        in_map_entry: false,
        default: can_have_default(&x.kind(), x.is_list(), x.is_map()).then(|| x.default_value()),
    };
    let mut field = common_field(ctx, &shape, parent, true);
    field.extendee = Some(x.containing_message().full_name().to_owned());
    field.nested_name = ctx.relative(x.full_name()).to_owned();
    field.json_name = x.json_name().to_owned();
    field
}

// long: every field property (kind, presence, packing, UTF-8, JSON) resolved from one feature resolution
fn common_field(ctx: &FileCtx, s: &FieldShape, parent: Res, structural_presence: bool) -> Field {
    let (res, own) = parent.apply(ctx.settings(s.path));
    let declared = Kind::from_type(s.fdp.r#type.unwrap_or(0));
    // DELIMITED makes a message field a group on the wire, except a map field and the value of
    // a map entry: those stay length-prefixed (protoc keeps them TYPE_MESSAGE).
    let kind = if declared == Kind::Message
        && res.editions
        && res.delimited
        && !s.is_map
        && !s.in_map_entry
    {
        Kind::Group
    } else {
        declared
    };
    let required = s.fdp.label == Some(2);
    let has_presence = if res.editions {
        // Lowered editions files look like proto2 to the linker; presence comes from features.
        kind.is_message_like()
            || s.fdp.extendee.is_some()
            || s.fdp.oneof_index.is_some()
            || res.presence_explicit
    } else {
        structural_presence
    };
    let cardinality = if s.is_map {
        Cardinality::Map
    } else if s.is_list {
        Cardinality::Repeated
    } else if required || (res.editions && res.legacy_required) {
        Cardinality::Required
    } else if has_presence {
        Cardinality::OptionalExplicit
    } else {
        Cardinality::OptionalImplicit
    };
    let opts = s.fdp.options.as_ref();
    let (cpp_string, has_ctype) = match opts.and_then(|o| o.ctype) {
        Some(1) => (CppString::Cord, true),
        Some(2) => (CppString::StringPiece, true),
        Some(_) => (CppString::String, true),
        None => (res.cpp, false),
    };
    let java_utf8_verify = if !res.editions || ctx.java_check_utf8.is_some() {
        ctx.java_check_utf8 == Some(true) || res.utf8_verify
    } else {
        res.java_verify || res.utf8_verify
    };
    let can_have_default = s.default.is_some();
    let default = s.default.as_ref().map(|d| default_value(d, &s.kind));
    Field {
        name: s.name.to_owned(),
        full_name: s.full_name.to_owned(),
        nested_name: String::new(),
        number: s.fdp.number(),
        path: s.path.to_vec(),
        extendee: None,
        message_name: String::new(),
        kind,
        declared_type: declared,
        type_name: s.fdp.type_name().trim_start_matches('.').to_owned(),
        oneof: None,
        json_name: String::new(),
        json_name_explicit: s.fdp.json_name.is_some(),
        cardinality,
        in_map_entry: false,
        jstype: opts
            .map(|o| o.jstype())
            .unwrap_or_default()
            .as_str_name()
            .to_owned(),
        cpp_string,
        has_ctype,
        cpp_string_span: own.cpp,
        java_utf8_verify,
        java_utf8_span: own.java,
        utf8_verify: res.utf8_verify,
        utf8_span: own.utf8,
        default,
        can_have_default,
    }
}

fn default_value(v: &Value, kind: &prost_reflect::Kind) -> DefaultValue {
    match v {
        Value::Bool(b) => DefaultValue::Bool(*b),
        Value::I32(i) => DefaultValue::I64(*i as i64),
        Value::I64(i) => DefaultValue::I64(*i),
        Value::U32(u) => DefaultValue::U64(*u as u64),
        Value::U64(u) => DefaultValue::U64(*u),
        Value::F32(f) => DefaultValue::F32(*f),
        Value::F64(f) => DefaultValue::F64(*f),
        Value::String(s) => DefaultValue::Text(s.as_bytes().to_vec(), false),
        Value::Bytes(b) => DefaultValue::Text(b.to_vec(), true),
        Value::EnumNumber(n) => {
            let printable = match kind {
                prost_reflect::Kind::Enum(e) => match e.get_value(*n) {
                    Some(v) => format!("{}.{}", e.name(), v.name()),
                    None => format!("{}.{}(?)", e.name(), n),
                },
                _ => n.to_string(),
            };
            DefaultValue::Enum(*n, printable)
        }
        _ => DefaultValue::I64(0),
    }
}
