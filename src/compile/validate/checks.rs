//! The checks, one function per element kind, in the order protoc's `DescriptorBuilder` makes
//! them. Messages are protoc's words (docs/PARITY.md, "Acceptance").

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::field_options::{CType, JsType};
use prost_reflect::prost_types::file_options::OptimizeMode;
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorProto,
};
use prost_reflect::{DynamicMessage, FileDescriptor, Value};

use super::{At, Ctx, EditionInfo, Issue};
use crate::compile::editions::Feature;
use crate::compile::to_json_name;

/// The file's syntax as protoc sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Proto2,
    Proto3,
    Editions,
}

struct FileCtx<'f> {
    name: &'f str,
    fdp: &'f FileDescriptorProto,
    syntax: Syntax,
    edition: Option<EditionInfo>,
    lite: bool,
    /// The file decoded dynamically (all options, also those prost-types drops), when needed.
    dynamic: Option<std::sync::Arc<DynamicMessage>>,
}

impl FileCtx<'_> {
    fn issue(&self, out: &mut Vec<Issue>, path: &[i32], at: At, message: String) {
        out.push(Issue {
            file: self.name.to_owned(),
            path: path.to_vec(),
            at,
            message,
        });
    }

    /// Options of the element at `path` (options field `tag`), decoded dynamically.
    fn dyn_options(&self, path: &[i32], tag: u32) -> Option<DynamicMessage> {
        let mut msg: &DynamicMessage = self.dynamic.as_deref()?;
        for pair in path.chunks(2) {
            let [field, index] = *pair else { return None };
            // Borrowed when set; an unset list has no element to find.
            let Some(Cow::Borrowed(Value::List(items))) = msg.get_field_by_number(field as u32)
            else {
                return None;
            };
            let Some(Value::Message(m)) = items.get(index as usize) else {
                return None;
            };
            msg = m;
        }
        if !msg.has_field_by_number(tag) {
            return None;
        }
        match msg.get_field_by_number(tag)?.as_ref() {
            Value::Message(m) => Some(m.clone()),
            _ => None,
        }
    }
}

fn with(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

pub(super) fn check_file(ctx: &mut Ctx, file: &FileDescriptor, out: &mut Vec<Issue>) {
    let name = file.name();
    let fdp = file.file_descriptor_proto();
    let edition = ctx.edition(name);
    let syntax = if edition.is_some() {
        Syntax::Editions
    } else if fdp.syntax() == "proto3" {
        Syntax::Proto3
    } else {
        Syntax::Proto2
    };
    let needs_dynamic = (syntax != Syntax::Editions && ctx.mentions_option(name, "features"))
        || ctx.mentions_option(name, "unverified_lazy")
        || ctx.mentions_option(name, "declaration")
        || ctx.mentions_option(name, "verification")
        || ctx.mentions_option(name, "deprecated_legacy_json_field_conflicts");
    let dynamic = if needs_dynamic {
        ctx.decoded(file)
    } else {
        None
    };
    let f = FileCtx {
        name,
        fdp,
        syntax,
        edition,
        lite: is_lite(fdp),
        dynamic,
    };

    file_level(ctx, &f, file, out);
    let package = fdp.package().to_owned();
    for (i, m) in fdp.message_type.iter().enumerate() {
        message(ctx, &f, m, &[4, i as i32], &package, out);
    }
    for (i, e) in fdp.enum_type.iter().enumerate() {
        enumeration(ctx, &f, e, &[5, i as i32], out);
    }
    let mut extensions: BTreeMap<(String, i32), String> = BTreeMap::new();
    for (i, x) in fdp.extension.iter().enumerate() {
        field(ctx, &f, x, &[7, i as i32], &package, None, out);
        duplicate_extension(&f, x, &[7, i as i32], &package, &mut extensions, out);
    }
    // Extensions nested in messages, for the same-file duplicate check.
    fn nested(
        f: &FileCtx,
        m: &DescriptorProto,
        path: &[i32],
        scope: &str,
        seen: &mut BTreeMap<(String, i32), String>,
        out: &mut Vec<Issue>,
    ) {
        let scope = join(scope, m.name());
        for (i, x) in m.extension.iter().enumerate() {
            duplicate_extension(f, x, &with(path, &[6, i as i32]), &scope, seen, out);
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            nested(f, n, &with(path, &[3, i as i32]), &scope, seen, out);
        }
    }
    for (i, m) in fdp.message_type.iter().enumerate() {
        nested(&f, m, &[4, i as i32], &package, &mut extensions, out);
    }
    for (i, s) in fdp.service.iter().enumerate() {
        let path = [6, i as i32];
        features_outside_editions(&f, &path, 3, out);
        for k in 0..s.method.len() {
            features_outside_editions(&f, &with(&path, &[2, k as i32]), 4, out);
        }
        let generic = fdp
            .options
            .as_ref()
            .is_some_and(|o| o.cc_generic_services() || o.java_generic_services());
        if f.lite && generic {
            f.issue(
                out,
                &path,
                At::Name,
                "Files with optimize_for = LITE_RUNTIME cannot define services unless you set both options cc_generic_services and java_generic_services to false.".into(),
            );
        }
    }
}

fn is_lite(fdp: &FileDescriptorProto) -> bool {
    fdp.options
        .as_ref()
        .is_some_and(|o| o.optimize_for() == OptimizeMode::LiteRuntime)
}

fn file_level(ctx: &Ctx, f: &FileCtx, file: &FileDescriptor, out: &mut Vec<Issue>) {
    // ValidateFileFeatures / ResolveFeatures on the file.
    features_outside_editions(f, &[], 8, out);
    if f.syntax == Syntax::Editions
        && f.fdp
            .options
            .as_ref()
            .is_some_and(|o| o.java_string_check_utf8())
    {
        f.issue(out, &[], At::Syntax, "File option java_string_check_utf8 is not allowed under editions. Use the (pb.java).utf8_validation feature to control this behavior.".into());
    }
    // Lite files can only be imported by other lite files.
    if !f.lite {
        for (i, dep) in file.dependencies().enumerate() {
            if is_lite(dep.file_descriptor_proto()) {
                f.issue(
                    out,
                    &[],
                    At::Import(i as i32),
                    format!(
                        "Files that do not use optimize_for = LITE_RUNTIME cannot import files which do use this option.  This file is not lite, but it imports \"{}\" which is.",
                        dep.name()
                    ),
                );
                break;
            }
        }
    }
    let _ = ctx;
}

/// `features` set in a proto2/proto3 file: "Features are only valid under editions."
fn features_outside_editions(f: &FileCtx, path: &[i32], options_tag: u32, out: &mut Vec<Issue>) {
    if f.syntax == Syntax::Editions || f.dynamic.is_none() {
        return;
    }
    let Some(options) = f.dyn_options(path, options_tag) else {
        return;
    };
    if options.has_field_by_name("features") {
        let at = if path.is_empty() {
            At::Syntax
        } else {
            At::Name
        };
        f.issue(
            out,
            path,
            at,
            "Features are only valid under editions.".into(),
        );
    }
}

fn message(
    ctx: &mut Ctx,
    f: &FileCtx,
    m: &DescriptorProto,
    path: &[i32],
    scope: &str,
    out: &mut Vec<Issue>,
) {
    let full_name = join(scope, m.name());
    let options = m.options.clone().unwrap_or_default();
    features_outside_editions(f, path, 7, out);

    // Reserved ranges (BuildReservedRange, BuildMessage).
    for (i, r) in m.reserved_range.iter().enumerate() {
        let rpath = with(path, &[9, i as i32]);
        if r.start() <= 0 {
            f.issue(
                out,
                &rpath,
                At::Element,
                "Reserved numbers must be positive integers.".into(),
            );
        }
        if r.start() >= r.end() {
            f.issue(
                out,
                &rpath,
                At::Element,
                "Reserved range end number must be greater than start number.".into(),
            );
        }
    }
    for (i, r1) in m.reserved_range.iter().enumerate() {
        for r2 in &m.reserved_range[i + 1..] {
            if r1.end() > r2.start() && r2.end() > r1.start() {
                f.issue(
                    out,
                    &with(path, &[9, i as i32]),
                    At::Element,
                    format!(
                        "Reserved range {} to {} overlaps with already-defined range {} to {}.",
                        r2.start(),
                        r2.end() - 1,
                        r1.start(),
                        r1.end() - 1
                    ),
                );
            }
        }
    }
    let mut reserved_names: HashSet<&str> = HashSet::new();
    for name in &m.reserved_name {
        if !reserved_names.insert(name) {
            f.issue(
                out,
                path,
                At::Name,
                format!("Field name \"{name}\" is reserved multiple times."),
            );
        }
    }
    for (k, fld) in m.field.iter().enumerate() {
        if reserved_names.contains(fld.name()) {
            f.issue(
                out,
                &with(path, &[2, k as i32]),
                At::Name,
                format!("Field name \"{}\" is reserved.", fld.name()),
            );
        }
    }
    // Extension ranges.
    let max = if options.message_set_wire_format() {
        i32::MAX as i64
    } else {
        536_870_911
    };
    for (i, r) in m.extension_range.iter().enumerate() {
        let rpath = with(path, &[5, i as i32]);
        if r.start() <= 0 {
            f.issue(
                out,
                &rpath,
                At::Element,
                "Extension numbers must be positive integers.".into(),
            );
        }
        if r.start() >= r.end() {
            f.issue(
                out,
                &rpath,
                At::Element,
                "Extension range end number must be greater than start number.".into(),
            );
        }
        for rr in &m.reserved_range {
            if r.end() > rr.start() && rr.end() > r.start() {
                f.issue(
                    out,
                    &rpath,
                    At::Element,
                    format!(
                        "Extension range {} to {} overlaps with reserved range {} to {}.",
                        r.start(),
                        r.end() - 1,
                        rr.start(),
                        rr.end() - 1
                    ),
                );
            }
        }
        for r2 in &m.extension_range[i + 1..] {
            if r.end() > r2.start() && r2.end() > r.start() {
                f.issue(
                    out,
                    &rpath,
                    At::Element,
                    format!(
                        "Extension range {} to {} overlaps with already-defined range {} to {}.",
                        r2.start(),
                        r2.end() - 1,
                        r.start(),
                        r.end() - 1
                    ),
                );
            }
        }
        if r.end() as i64 > max + 1 {
            f.issue(
                out,
                &rpath,
                At::Element,
                format!("Extension numbers cannot be greater than {max}."),
            );
        }
        features_outside_editions(f, &rpath, 3, out);
    }
    declarations(f, m, path, &full_name, out);

    // JSON names that look like extensions (CheckFieldJsonNameUniqueness).
    for (k, fld) in m.field.iter().enumerate() {
        if let Some(json) = &fld.json_name {
            if *json != to_json_name(fld.name())
                && json.len() >= 2
                && json.starts_with('[')
                && json.ends_with(']')
            {
                f.issue(out, &with(path, &[2, k as i32]), At::Name, format!(
                    "The custom JSON name of field \"{}\" (\"{}\") is invalid: JSON names may not start with '[' and end with ']'.",
                    fld.name(), json
                ));
            }
        }
    }

    // Default JSON names that collide, in an editions message whose JSON format is ALLOW
    // (CheckFieldJsonNameUniqueness). protox links editions files lowered to proto2, where
    // such a collision is only protoc's warning, so this one is ours to refuse.
    if let Some(ed) = &f.edition {
        // (`deprecated_legacy_json_field_conflicts` is unknown to prost-types 0.14.)
        let legacy = ed.resolve(path, None, Feature::JsonFormat) != "ALLOW";
        if !legacy {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for (k, fld) in m.field.iter().enumerate() {
                let json = to_json_name(fld.name());
                if let Some(first) = seen.get(&json) {
                    f.issue(out, &with(path, &[2, k as i32]), At::Name, format!(
                        "The default JSON name of field \"{}\" (\"{}\") conflicts with the default JSON name of field \"{}\".",
                        fld.name(), json, first
                    ));
                    break;
                }
                seen.insert(json, fld.name());
            }
        }
    }

    // Proto3 (ValidateProto3Message).
    if f.syntax == Syntax::Proto3 {
        if !m.extension_range.is_empty() {
            f.issue(
                out,
                &with(path, &[5, 0]),
                At::Element,
                "Extension ranges are not allowed in proto3.".into(),
            );
        }
        if options.message_set_wire_format() {
            f.issue(
                out,
                path,
                At::Name,
                "MessageSet is not supported in proto3.".into(),
            );
        }
    }
    if options.message_set_wire_format() {
        for k in 0..m.field.len() {
            f.issue(
                out,
                &with(path, &[2, k as i32]),
                At::Name,
                "MessageSets cannot have fields, only extensions.".into(),
            );
        }
    }
    // `option map_entry` written by hand (the parser's ValidateMessage).
    if options.map_entry.is_some() && ctx.mentions(f.name, "map_entry") {
        map_entry_written(ctx, f, path, out);
    }

    for (k, fld) in m.field.iter().enumerate() {
        field(
            ctx,
            f,
            fld,
            &with(path, &[2, k as i32]),
            &full_name,
            Some((m, path)),
            out,
        );
    }
    for (k, x) in m.extension.iter().enumerate() {
        field(
            ctx,
            f,
            x,
            &with(path, &[6, k as i32]),
            &full_name,
            None,
            out,
        );
    }
    for k in 0..m.oneof_decl.len() {
        features_outside_editions(f, &with(path, &[8, k as i32]), 2, out);
    }
    for (k, e) in m.enum_type.iter().enumerate() {
        enumeration(ctx, f, e, &with(path, &[4, k as i32]), out);
    }
    for (k, n) in m.nested_type.iter().enumerate() {
        message(ctx, f, n, &with(path, &[3, k as i32]), &full_name, out);
    }
}

/// A message whose source sets `option map_entry` (synthetic map entries carry it too, so the
/// file is parsed again to tell them apart).
fn map_entry_written(ctx: &mut Ctx, f: &FileCtx, path: &[i32], out: &mut Vec<Issue>) {
    let Some(source) = ctx.source(f.name) else {
        return;
    };
    let parsed = match ctx.lowered(f.name) {
        Some(l) => Some(l.file.clone()),
        None => protox_parse::parse(f.name, &source).ok(),
    };
    let Some(parsed) = parsed else { return };
    let Some(m) = super::locate::message_at(&parsed, path) else {
        return;
    };
    let written = m.options.as_ref().is_some_and(|o| {
        o.uninterpreted_option.iter().any(|u| {
            u.name
                .first()
                .is_some_and(|n| !n.is_extension && n.name_part == "map_entry")
        })
    });
    if written {
        f.issue(
            out,
            path,
            At::Option {
                options_tag: 7,
                name: "map_entry",
            },
            "map_entry should not be set explicitly. Use map<KeyType, ValueType> instead.".into(),
        );
    }
}

/// Extension declarations (ValidateExtensionRangeOptions, ValidateExtensionDeclaration).
fn declarations(
    f: &FileCtx,
    m: &DescriptorProto,
    path: &[i32],
    full_name: &str,
    out: &mut Vec<Issue>,
) {
    if f.dynamic.is_none() {
        return;
    }
    let mut names: HashSet<String> = HashSet::new();
    for (i, r) in m.extension_range.iter().enumerate() {
        let rpath = with(path, &[5, i as i32]);
        let Some(options) = f.dyn_options(&rpath, 3) else {
            continue;
        };
        let decls = declarations_of(&options);
        if decls.is_empty() {
            continue;
        }
        if options.has_field_by_name("verification")
            && enum_number(&options, "verification") == Some(1)
        {
            f.issue(
                out,
                &rpath,
                At::Element,
                "Cannot mark the extension range as UNVERIFIED when it has extension(s) declared."
                    .into(),
            );
            return;
        }
        let mut numbers: HashSet<i32> = HashSet::new();
        for d in &decls {
            if d.number < r.start() || d.number >= r.end() {
                f.issue(
                    out,
                    &rpath,
                    At::Element,
                    format!(
                        "Extension declaration number {} is not in the extension range.",
                        d.number
                    ),
                );
            }
            if !numbers.insert(d.number) {
                f.issue(
                    out,
                    &rpath,
                    At::Element,
                    format!(
                        "Extension declaration number {} is declared multiple times.",
                        d.number
                    ),
                );
            }
            match (&d.full_name, &d.type_name) {
                (Some(name), Some(ty)) => {
                    if !names.insert(name.clone()) {
                        f.issue(
                            out,
                            &rpath,
                            At::Element,
                            format!("Extension field name \"{name}\" is declared multiple times."),
                        );
                        return;
                    }
                    if let Some(err) = declared_symbol_error(name) {
                        f.issue(out, &rpath, At::Element, err);
                    }
                    if !is_scalar_type_name(ty) {
                        if let Some(err) = declared_symbol_error(ty) {
                            f.issue(out, &rpath, At::Element, err);
                        }
                    }
                }
                (None, None) if d.reserved => {}
                _ => f.issue(
                    out,
                    &rpath,
                    At::Element,
                    format!(
                    "Extension declaration #{} should have both \"full_name\" and \"type\" set.",
                    d.number
                ),
                ),
            }
        }
    }
    let _ = full_name;
}

#[derive(Debug, Clone, Default)]
struct Declaration {
    number: i32,
    full_name: Option<String>,
    type_name: Option<String>,
    reserved: bool,
    repeated: bool,
}

fn declarations_of(options: &DynamicMessage) -> Vec<Declaration> {
    let Some(value) = options.get_field_by_name("declaration") else {
        return Vec::new();
    };
    let Value::List(items) = value.as_ref() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|v| match v {
            Value::Message(d) => Some(Declaration {
                number: match d.get_field_by_name("number").as_deref() {
                    Some(Value::I32(n)) => *n,
                    _ => 0,
                },
                full_name: d
                    .has_field_by_name("full_name")
                    .then(|| string_field(d, "full_name")),
                type_name: d.has_field_by_name("type").then(|| string_field(d, "type")),
                reserved: bool_field(d, "reserved"),
                repeated: bool_field(d, "repeated"),
            }),
            _ => None,
        })
        .collect()
}

fn string_field(m: &DynamicMessage, name: &str) -> String {
    match m.get_field_by_name(name).as_deref() {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn bool_field(m: &DynamicMessage, name: &str) -> bool {
    matches!(
        m.get_field_by_name(name).as_deref(),
        Some(Value::Bool(true))
    )
}

fn enum_number(m: &DynamicMessage, name: &str) -> Option<i32> {
    match m.get_field_by_name(name).as_deref() {
        Some(Value::EnumNumber(n)) => Some(*n),
        _ => None,
    }
}

const SCALAR_NAMES: &[&str] = &[
    "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string", "bytes",
    "uint32", "sfixed32", "sfixed64", "sint32", "sint64",
];

fn is_scalar_type_name(name: &str) -> bool {
    SCALAR_NAMES.contains(&name)
}

/// protoc's ValidateSymbolForDeclaration.
fn declared_symbol_error(symbol: &str) -> Option<String> {
    if !symbol.starts_with('.') {
        return Some(format!(
            "\"{symbol}\" must have a leading dot to indicate the fully-qualified scope."
        ));
    }
    let valid = symbol[1..].split('.').all(|part| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    (!valid).then(|| format!("\"{symbol}\" contains invalid identifiers."))
}

/// Field type as protoc sees it after feature resolution (DELIMITED messages are groups).
fn effective_type(
    f: &FileCtx,
    fld: &FieldDescriptorProto,
    path: &[i32],
    map_entry_parent: bool,
) -> Type {
    let ty = fld.r#type();
    if ty == Type::Message && !map_entry_parent {
        if let Some(ed) = &f.edition {
            if ed.resolve(path, fld.oneof_index, Feature::MessageEncoding) == "DELIMITED" {
                return Type::Group;
            }
        }
    }
    ty
}

fn is_packable(label: Label, ty: Type) -> bool {
    label == Label::Repeated
        && !matches!(ty, Type::String | Type::Bytes | Type::Message | Type::Group)
}

fn is_string_like(ty: Type) -> bool {
    matches!(ty, Type::String | Type::Bytes)
}

/// One field or extension. `parent` is the containing message for fields (None for
/// extensions).
fn field(
    ctx: &mut Ctx,
    f: &FileCtx,
    fld: &FieldDescriptorProto,
    path: &[i32],
    scope: &str,
    parent: Option<(&DescriptorProto, &[i32])>,
    out: &mut Vec<Issue>,
) {
    let is_extension = parent.is_none();
    let default_options = Default::default();
    let options = fld.options.as_ref().unwrap_or(&default_options);
    let label = fld.label();
    let map_entry_parent =
        parent.is_some_and(|(m, _)| m.options.as_ref().is_some_and(|o| o.map_entry()));
    let ty = effective_type(f, fld, path, map_entry_parent);
    let pool = ctx.compiled.pool.clone();
    let type_name = fld.type_name().trim_start_matches('.');
    let message_type = matches!(ty, Type::Message | Type::Group)
        .then(|| pool.get_message_by_name(type_name))
        .flatten();
    let enum_type = (ty == Type::Enum)
        .then(|| pool.get_enum_by_name(type_name))
        .flatten();
    let is_map = ty == Type::Message
        && message_type.as_ref().is_some_and(|t| {
            t.descriptor_proto()
                .options
                .as_ref()
                .is_some_and(|o| o.map_entry())
        });

    features_outside_editions(f, path, 8, out);

    // ValidateFieldFeatures (editions).
    if f.syntax == Syntax::Editions {
        editions_field(
            ctx,
            f,
            fld,
            path,
            ty,
            is_extension,
            map_entry_parent,
            &message_type,
            &enum_type,
            is_map,
            out,
        );
    }

    // Only message fields may be lazy.
    let unverified_lazy = f.dynamic.is_some()
        && f.dyn_options(path, 8)
            .is_some_and(|o| bool_field(&o, "unverified_lazy"));
    if options.lazy() || unverified_lazy {
        if ty != Type::Message {
            f.issue(
                out,
                path,
                At::Type,
                "[lazy = true] can only be specified for submessage fields.".into(),
            );
        }
        if unverified_lazy && is_extension {
            f.issue(
                out,
                path,
                At::Type,
                "Extensions cannot be marked as unverified_lazy.".into(),
            );
        }
    }
    // Only repeated primitive fields may be packed.
    if options.packed() && !is_packable(label, ty) {
        f.issue(
            out,
            path,
            At::Type,
            "[packed = true] can only be specified for repeated primitive fields.".into(),
        );
    }

    // MessageSets.
    let extendee = is_extension
        .then(|| pool.get_message_by_name(fld.extendee().trim_start_matches('.')))
        .flatten();
    if let Some(x) = &extendee {
        {
            let x_message_set = x
                .descriptor_proto()
                .options
                .as_ref()
                .is_some_and(|o| o.message_set_wire_format());
            if x_message_set && (label != Label::Optional || ty != Type::Message) {
                f.issue(
                    out,
                    path,
                    At::Type,
                    "Extensions of MessageSets must be optional messages.".into(),
                );
            }
            // Lite extensions can only be of lite types.
            if f.lite && !is_lite(x.parent_file().file_descriptor_proto()) {
                f.issue(out, path, At::Extendee, "Extensions to non-lite types can only be declared in non-lite files.  Note that you cannot extend a non-lite type to contain a lite type, but the reverse is allowed.".into());
            }
            // Proto3 extensions define options only.
            if f.syntax == Syntax::Proto3 && !is_option_message(x.full_name()) {
                f.issue(
                    out,
                    path,
                    At::Extendee,
                    "Extensions in proto3 are only allowed for defining options.".into(),
                );
            }
        }
    }

    // Map fields.
    if is_map {
        if let Some(entry) = &message_type {
            let expected = format!("{}Entry", to_camel_case(fld.name()));
            let same_parent = match (parent, entry.parent_message()) {
                (Some((_, ppath)), Some(p)) => {
                    p.parent_file().name() == f.name && p.path() == ppath
                }
                _ => false,
            };
            if label != Label::Repeated || entry.name() != expected || !same_parent {
                f.issue(out, path, At::Type, format!(
                    "{} is a synthetic MapEntry message type, which is not allowed to be used as a field type.",
                    entry.full_name()
                ));
            }
            if let Some(value) = entry.get_field(2) {
                if let prost_reflect::Kind::Enum(e) = value.kind() {
                    if e.enum_descriptor_proto()
                        .value
                        .first()
                        .is_some_and(|v| v.number() != 0)
                    {
                        f.issue(
                            out,
                            path,
                            At::Type,
                            "Enum value in map must define 0 as the first value.".into(),
                        );
                    }
                }
            }
        }
    }

    // jstype.
    if let Some(js) = options.jstype {
        let js = JsType::try_from(js).unwrap_or(JsType::JsNormal);
        if js != JsType::JsNormal {
            let is64 = matches!(
                ty,
                Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64
            );
            if !is64 {
                f.issue(
                    out,
                    path,
                    At::Type,
                    "jstype is only allowed on int64, uint64, sint64, fixed64 or sfixed64 fields."
                        .into(),
                );
            }
        }
    }
    // json_name on extensions.
    if is_extension {
        if let Some(json) = &fld.json_name {
            if *json != to_json_name(fld.name()) {
                f.issue(
                    out,
                    path,
                    At::JsonName,
                    "option json_name is not allowed on extension fields.".into(),
                );
            }
        }
    }
    if fld.json_name().contains('\0') {
        f.issue(
            out,
            path,
            At::JsonName,
            "json_name cannot have embedded null characters.".into(),
        );
    }

    // Extension declarations of the extendee's range.
    if let Some(x) = &extendee {
        let full_name = join(scope, fld.name());
        declared_extension(ctx, f, fld, path, &full_name, label, ty, x, out);
    }

    // Proto3 fields use open enums only.
    if f.syntax == Syntax::Proto3 {
        if let Some(e) = &enum_type {
            if enum_is_closed(ctx, e) {
                let container = if is_extension {
                    fld.extendee().trim_start_matches('.').to_owned()
                } else {
                    scope.to_owned()
                };
                f.issue(out, path, At::Type, format!(
                    "Enum type \"{}\" is not an open enum, but is used in \"{}\" which is a proto3 message type.",
                    e.full_name(), container
                ));
            }
        }
        // Map values are fields of the synthetic entry.
        if is_map {
            if let Some(prost_reflect::Kind::Enum(e)) = message_type
                .as_ref()
                .and_then(|m| m.get_field(2))
                .map(|v| v.kind())
            {
                if enum_is_closed(ctx, &e) {
                    f.issue(out, path, At::Type, format!(
                        "Enum type \"{}\" is not an open enum, but is used in \"{}\" which is a proto3 message type.",
                        e.full_name(),
                        message_type.as_ref().map(|m| m.full_name().to_owned()).unwrap_or_default()
                    ));
                }
            }
        }
    }

    if options.ctype.is_some() || f.edition.is_some() {
        let full_name = join(scope, fld.name());
        cpp_string_type(ctx, f, fld, path, &full_name, is_extension, ty, is_map, out);
    }
}

fn is_option_message(name: &str) -> bool {
    const OPTIONS: &[&str] = &[
        "FileOptions",
        "MessageOptions",
        "FieldOptions",
        "EnumOptions",
        "EnumValueOptions",
        "ServiceOptions",
        "MethodOptions",
        "OneofOptions",
        "ExtensionRangeOptions",
    ];
    let short = name
        .strip_prefix("google.protobuf.")
        .or_else(|| name.strip_prefix("proto2."));
    short.is_some_and(|s| OPTIONS.contains(&s))
}

/// Whether an enum is closed: proto2 enums are, proto3 enums are not, editions enums resolve
/// `enum_type`.
fn enum_is_closed(ctx: &mut Ctx, e: &prost_reflect::EnumDescriptor) -> bool {
    let file = e.parent_file();
    if let Some(ed) = ctx.edition(file.name()) {
        return ed.resolve(e.path(), None, Feature::EnumType) == "CLOSED";
    }
    file.file_descriptor_proto().syntax() != "proto3"
}

#[allow(clippy::too_many_arguments)]
fn editions_field(
    ctx: &mut Ctx,
    f: &FileCtx,
    fld: &FieldDescriptorProto,
    path: &[i32],
    ty: Type,
    is_extension: bool,
    map_entry_parent: bool,
    message_type: &Option<prost_reflect::MessageDescriptor>,
    enum_type: &Option<prost_reflect::EnumDescriptor>,
    is_map: bool,
    out: &mut Vec<Issue>,
) {
    let Some(ed) = &f.edition else { return };
    let label = fld.label();
    if fld.options.as_ref().is_some_and(|o| o.packed.is_some()) {
        f.issue(out, path, At::Name, "Field option packed is not allowed under editions.  Use the repeated_field_encoding feature to control this behavior.".into());
    }
    let in_oneof = fld.oneof_index.is_some();
    let is_message = matches!(ty, Type::Message | Type::Group);
    let implicit = label != Label::Repeated
        && !in_oneof
        && !is_extension
        && !is_message
        && ed.resolve(path, fld.oneof_index, Feature::FieldPresence) == "IMPLICIT";
    if implicit {
        if let Some(e) = enum_type {
            // Same-file closed enums are refused by the editions front-end already.
            if e.parent_file().name() != f.name && enum_is_closed(ctx, e) {
                f.issue(
                    out,
                    path,
                    At::Name,
                    "Implicit presence enum fields must always be open.".into(),
                );
            }
        }
    }
    if map_entry_parent {
        return;
    }
    // Explicit features whose check needs the field's type from another file (the editions
    // front-end checks the same-file ones).
    let imported = |d: Option<String>| d.is_some_and(|n| n != f.name);
    let type_file = message_type
        .as_ref()
        .map(|m| m.parent_file().name().to_owned())
        .or_else(|| {
            enum_type
                .as_ref()
                .map(|e| e.parent_file().name().to_owned())
        });
    if !imported(type_file) {
        return;
    }
    if let Some(s) = ed.explicit(path, Feature::FieldPresence) {
        if !in_oneof
            && label != Label::Repeated
            && !is_extension
            && is_message
            && s.value == "IMPLICIT"
        {
            f.issue(
                out,
                path,
                At::Name,
                "Message fields can't specify implicit presence.".into(),
            );
        }
    }
    if ed.explicit(path, Feature::Utf8Validation).is_some() && ty != Type::String && !is_map {
        f.issue(
            out,
            path,
            At::Name,
            "Only string fields can specify utf8 validation.".into(),
        );
    }
    if ed
        .explicit(path, Feature::RepeatedFieldEncoding)
        .is_some_and(|s| s.value == "PACKED")
        && !is_packable(label, ty)
    {
        f.issue(
            out,
            path,
            At::Name,
            "Only repeated primitive fields can specify PACKED repeated field encoding.".into(),
        );
    }
    if ed.explicit(path, Feature::MessageEncoding).is_some() && (!is_message || is_map) {
        f.issue(
            out,
            path,
            At::Name,
            "Only message fields can specify message encoding.".into(),
        );
    }
}

/// The C++ generator's checks on `ctype` and `(pb.cpp)` features (CppGenerator::ValidateFeatures);
/// protoc makes them for `--cpp_out`. The last failing check wins, as there. Only in editions
/// files: for proto2 and proto3 files protoc's descriptor builder and buf both accept a `ctype`
/// on a non-string field or CORD on an extension (docs/PARITY.md, "Acceptance").
#[allow(clippy::too_many_arguments)]
fn cpp_string_type(
    ctx: &mut Ctx,
    f: &FileCtx,
    fld: &FieldDescriptorProto,
    path: &[i32],
    full_name: &str,
    is_extension: bool,
    ty: Type,
    is_map: bool,
    out: &mut Vec<Issue>,
) {
    if f.edition.is_none() {
        return;
    }
    let ctype = fld.options.as_ref().and_then(|o| o.ctype);
    let string_type = f
        .edition
        .as_ref()
        .and_then(|ed| ed.explicit(path, Feature::CppStringType))
        .cloned();
    let legacy_closed_enum =
        if f.syntax == Syntax::Editions && ctx.mentions(f.name, "legacy_closed_enum") {
            ctx.lowered(f.name).and_then(|l| {
                l.other_features
                    .iter()
                    .find(|(p, s)| p.as_slice() == path && s.name == "(pb.cpp).legacy_closed_enum")
                    .map(|(_, s)| s.span)
            })
        } else {
            None
        };
    if ctype.is_none() && string_type.is_none() && legacy_closed_enum.is_none() {
        return;
    }
    let ctype_at = At::Option {
        options_tag: 8,
        name: "ctype",
    };
    let mut last: Option<(At, String)> = None;
    if let Some(span) = legacy_closed_enum {
        let enum_map = is_map
            && ctx
                .pool()
                .get_message_by_name(fld.type_name().trim_start_matches('.'))
                .and_then(|m| m.get_field(2))
                .is_some_and(|v| matches!(v.kind(), prost_reflect::Kind::Enum(_)));
        if ty != Type::Enum && !enum_map {
            last = Some((
                At::Span(span),
                format!(
                "Field {full_name} specifies the legacy_closed_enum feature but has non-enum type."
            ),
            ));
        }
    }
    let cord = string_type.as_ref().is_some_and(|s| s.value == "CORD")
        || ctype == Some(CType::Cord as i32);
    if cord && is_extension {
        let at = string_type
            .as_ref()
            .map_or(ctype_at.clone(), |s| At::Span(s.span));
        last = Some((at, format!(
            "Extension {full_name} specifies CORD string type which is not supported for extensions."
        )));
    }
    if (string_type.is_some() || ctype.is_some()) && !is_string_like(ty) {
        let at = string_type
            .as_ref()
            .map_or(ctype_at.clone(), |s| At::Span(s.span));
        last = Some((
            at,
            format!(
                "Field {full_name} specifies string_type, but is not a string nor bytes field."
            ),
        ));
    }
    if string_type.is_some() && ctype.is_some() {
        last = Some((
            ctype_at,
            format!(
                "Field {full_name} specifies both string_type and ctype which is not supported."
            ),
        ));
    }
    if let Some((at, message)) = last {
        f.issue(out, path, at, message);
    }
}

/// A declared extension must match its declaration (ValidateOptions(FieldDescriptor)).
#[allow(clippy::too_many_arguments)]
fn declared_extension(
    ctx: &mut Ctx,
    f: &FileCtx,
    fld: &FieldDescriptorProto,
    path: &[i32],
    full_name: &str,
    label: Label,
    ty: Type,
    extendee: &prost_reflect::MessageDescriptor,
    out: &mut Vec<Issue>,
) {
    let xfile = extendee.parent_file();
    let mentions = ctx.mentions_option(xfile.name(), "declaration")
        || ctx.mentions_option(xfile.name(), "verification");
    if !mentions {
        return;
    }
    let number = fld.number();
    let xproto = extendee.descriptor_proto();
    let Some(index) = xproto
        .extension_range
        .iter()
        .position(|r| r.start() <= number && number < r.end())
    else {
        return;
    };
    if xproto.extension_range[index].options.is_none() {
        return;
    }
    let Some(dynamic) = ctx.decoded(&xfile) else {
        return;
    };
    let xf = FileCtx {
        name: xfile.name(),
        fdp: xfile.file_descriptor_proto(),
        syntax: Syntax::Proto2,
        edition: None,
        lite: false,
        dynamic: Some(dynamic),
    };
    let Some(options) = xf.dyn_options(&with(extendee.path(), &[5, index as i32]), 3) else {
        return;
    };
    let decls = declarations_of(&options);
    let xname = extendee.full_name();
    if let Some(d) = decls.iter().find(|d| d.number == number) {
        if d.reserved {
            f.issue(out, path, At::Extendee, format!(
                "Cannot use number {number} for extension field {full_name}, as it is reserved in the extension declarations for message {xname}."
            ));
            return;
        }
        if let Some(expected) = &d.type_name {
            let actual = match ty {
                Type::Message | Type::Group | Type::Enum => {
                    format!(".{}", fld.type_name().trim_start_matches('.'))
                }
                t => t
                    .as_str_name()
                    .trim_start_matches("TYPE_")
                    .to_ascii_lowercase(),
            };
            let expected = if is_scalar_type_name(expected) || expected.starts_with('.') {
                expected.clone()
            } else {
                format!(".{expected}")
            };
            if expected != actual {
                f.issue(out, path, At::Extendee, format!(
                    "\"{xname}\" extension field {number} is expected to be type \"{expected}\", not \"{actual}\"."
                ));
            }
        }
        if let Some(declared) = &d.full_name {
            let actual = format!(".{full_name}");
            if *declared != actual {
                f.issue(out, path, At::Extendee, format!(
                    "\"{xname}\" extension field {number} is expected to have field name \"{declared}\", not \"{actual}\"."
                ));
            }
        }
        if d.repeated != (label == Label::Repeated) {
            f.issue(
                out,
                path,
                At::Extendee,
                format!(
                    "\"{xname}\" extension field {number} is expected to be {}.",
                    if d.repeated { "repeated" } else { "optional" }
                ),
            );
        }
        return;
    }
    let declaration_required = options.has_field_by_name("verification")
        && enum_number(&options, "verification") == Some(0);
    if !decls.is_empty() || declaration_required {
        f.issue(out, path, At::Extendee, format!(
            "Missing extension declaration for field {full_name} with number {number} in extendee message {xname}. An extension range must declare for all extension fields if its verification state is DECLARATION or there's any declaration in the range already. Otherwise, consider splitting up the range."
        ));
    }
}

/// Extensions of one file with the same extendee and number (CrossLinkField's
/// AddFieldByNumber; across files protoc only warns).
fn duplicate_extension(
    f: &FileCtx,
    x: &FieldDescriptorProto,
    path: &[i32],
    scope: &str,
    seen: &mut BTreeMap<(String, i32), String>,
    out: &mut Vec<Issue>,
) {
    let extendee = x.extendee().trim_start_matches('.').to_owned();
    let full_name = join(scope, x.name());
    match seen.get(&(extendee.clone(), x.number())) {
        Some(first) => f.issue(
            out,
            path,
            At::Number,
            format!(
                "Extension number {} has already been used in \"{}\" by extension \"{}\".",
                x.number(),
                extendee,
                first
            ),
        ),
        None => {
            seen.insert((extendee, x.number()), full_name);
        }
    }
}

fn enumeration(
    ctx: &mut Ctx,
    f: &FileCtx,
    e: &EnumDescriptorProto,
    path: &[i32],
    out: &mut Vec<Issue>,
) {
    let _ = ctx;
    features_outside_editions(f, path, 3, out);
    for k in 0..e.value.len() {
        features_outside_editions(f, &with(path, &[2, k as i32]), 3, out);
    }
    let options = e.options.clone().unwrap_or_default();
    // The parser's ValidateEnum, reported at the token after the enum.
    match options.allow_alias {
        Some(false) => f.issue(out, path, At::After, format!(
            "\"{}\" declares 'option allow_alias = false;' which has no effect. Please remove the declaration.",
            e.name()
        )),
        Some(true) => {
            let mut numbers = HashSet::new();
            if e.value.iter().all(|v| numbers.insert(v.number())) {
                f.issue(out, path, At::After, format!(
                    "\"{}\" declares support for enum aliases but no enum values share field numbers. Please remove the unnecessary 'option allow_alias = true;' declaration.",
                    e.name()
                ));
            }
        }
        None => {}
    }
    // Reserved ranges are inclusive in enums.
    for (i, r) in e.reserved_range.iter().enumerate() {
        if r.start() > r.end() {
            f.issue(
                out,
                &with(path, &[4, i as i32]),
                At::Element,
                "Reserved range end number must be greater than start number.".into(),
            );
        }
    }
    for (i, r1) in e.reserved_range.iter().enumerate() {
        for r2 in &e.reserved_range[i + 1..] {
            if r1.end() >= r2.start() && r2.end() >= r1.start() {
                f.issue(
                    out,
                    &with(path, &[4, i as i32]),
                    At::Element,
                    format!(
                        "Reserved range {} to {} overlaps with already-defined range {} to {}.",
                        r2.start(),
                        r2.end(),
                        r1.start(),
                        r1.end()
                    ),
                );
            }
        }
    }
    let mut reserved: HashSet<&str> = HashSet::new();
    for name in &e.reserved_name {
        if !reserved.insert(name) {
            f.issue(
                out,
                path,
                At::Name,
                format!("Enum value \"{name}\" is reserved multiple times."),
            );
        }
    }
    for (k, v) in e.value.iter().enumerate() {
        if reserved.contains(v.name()) {
            f.issue(
                out,
                &with(path, &[2, k as i32]),
                At::Name,
                format!("Enum value \"{}\" is reserved.", v.name()),
            );
        }
    }
    // CheckEnumValueUniqueness: names equal once the enum's prefix is stripped and they are
    // PascalCased. proto2 enums that opt into legacy JSON conflicts only get a warning.
    let legacy = f.syntax == Syntax::Proto2
        && f.dyn_options(path, 3)
            .is_some_and(|o| bool_field(&o, "deprecated_legacy_json_field_conflicts"));
    if !legacy {
        let prefix: String = e
            .name()
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut seen: HashMap<String, (&str, i32)> = HashMap::new();
        for (k, v) in e.value.iter().enumerate() {
            let stripped = enum_value_to_pascal_case(&remove_prefix(&prefix, v.name()));
            match seen.get(&stripped) {
                Some((other, number)) if *other != v.name() && *number != v.number() => {
                    f.issue(out, &with(path, &[2, k as i32]), At::Name, format!(
                        "Enum name {} has the same name as {} if you ignore case and strip out the enum name prefix (if any). (If you are using allow_alias, please assign the same number to each enum value name.)",
                        v.name(), other
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(stripped, (v.name(), v.number()));
                }
            }
        }
    }
}

/// protoc's PrefixRemover::MaybeRemove (`prefix` lower-cased, underscores removed).
pub(super) fn remove_prefix(prefix: &str, value: &str) -> String {
    let s = value.as_bytes();
    let p = prefix.as_bytes();
    let (mut i, mut j) = (0, 0);
    while i < s.len() && j < p.len() {
        if s[i] == b'_' {
            i += 1;
            continue;
        }
        if s[i].to_ascii_lowercase() != p[j] {
            return value.to_owned();
        }
        i += 1;
        j += 1;
    }
    if j < p.len() {
        return value.to_owned();
    }
    while i < s.len() && s[i] == b'_' {
        i += 1;
    }
    if i == s.len() {
        return value.to_owned();
    }
    value[i..].to_owned()
}

pub(super) fn enum_value_to_pascal_case(input: &str) -> String {
    let mut next_upper = true;
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if c == '_' {
            next_upper = true;
        } else {
            if next_upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c.to_ascii_lowercase());
            }
            next_upper = false;
        }
    }
    out
}

/// protoc's ToCamelCase(name, lower_first = false).
pub(super) fn to_camel_case(name: &str) -> String {
    let mut upper = true;
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
pub(super) mod unit {
    pub(in crate::compile::validate) use super::{
        enum_value_to_pascal_case, remove_prefix, to_camel_case,
    };
}
