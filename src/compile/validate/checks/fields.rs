//! Field and extension checks: labels, types, defaults, JSON names, packing, options and
//! editions features of one field; extension declarations and duplicate extension numbers.

use std::collections::BTreeMap;

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::field_options::{CType, JsType};
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto};

use super::super::{At, Ctx, Issue};
use super::common::{bool_field, declarations_of, enum_number, is_scalar_type_name};
use super::{features_outside_editions, is_lite, join, to_camel_case, with, FileCtx, Syntax};
use crate::compile::editions::Feature;
use crate::compile::to_json_name;

/// Field type as protoc sees it after feature resolution (DELIMITED messages are groups).
pub(super) fn effective_type(
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

pub(super) fn is_packable(label: Label, ty: Type) -> bool {
    label == Label::Repeated
        && !matches!(ty, Type::String | Type::Bytes | Type::Message | Type::Group)
}

pub(super) fn is_string_like(ty: Type) -> bool {
    matches!(ty, Type::String | Type::Bytes)
}

/// One field or extension. `parent` is the containing message for fields (None for
/// extensions).
// long: protoc's per-field checks in DescriptorBuilder's order; splitting scatters that order
pub(super) fn field(
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

pub(super) fn is_option_message(name: &str) -> bool {
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
pub(super) fn enum_is_closed(ctx: &mut Ctx, e: &prost_reflect::EnumDescriptor) -> bool {
    let file = e.parent_file();
    if let Some(ed) = ctx.edition(file.name()) {
        return ed.resolve(e.path(), None, Feature::EnumType) == "CLOSED";
    }
    file.file_descriptor_proto().syntax() != "proto3"
}

#[allow(clippy::too_many_arguments)]
// long: protoc's feature checks on one editions field, in its order
pub(super) fn editions_field(
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
// long: protoc's C++ string-type checks (ctype and the pb.cpp feature) in its order
pub(super) fn cpp_string_type(
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
// long: protoc's checks of an extension against its declaration, in its order
pub(super) fn declared_extension(
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
pub(super) fn duplicate_extension(
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
