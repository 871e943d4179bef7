//! Message checks: names, fields and oneofs of a message, reserved ranges and names,
//! extension ranges and their declarations, map entries.

use std::collections::{HashMap, HashSet};

use prost_reflect::prost_types::DescriptorProto;

use super::super::{At, Ctx, Issue};
use super::common::{declarations_of, enum_number, is_scalar_type_name};
use super::fields::field;
use super::{enumeration, features_outside_editions, join, with, FileCtx, Syntax};
use crate::compile::editions::Feature;
use crate::compile::to_json_name;

// long: protoc's per-message checks in DescriptorBuilder's order; splitting scatters that order
pub(super) fn message(
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
pub(super) fn map_entry_written(ctx: &mut Ctx, f: &FileCtx, path: &[i32], out: &mut Vec<Issue>) {
    let Some(source) = ctx.source(f.name) else {
        return;
    };
    let parsed = match ctx.lowered(f.name) {
        Some(l) => Some(l.file.clone()),
        None => protox_parse::parse(f.name, &source).ok(),
    };
    let Some(parsed) = parsed else { return };
    let Some(m) = super::super::locate::message_at(&parsed, path) else {
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
// long: protoc's extension-declaration checks for one range, in its order
pub(super) fn declarations(
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

/// protoc's ValidateSymbolForDeclaration.
pub(super) fn declared_symbol_error(symbol: &str) -> Option<String> {
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
