//! Validation: what prost-reflect assumes of a descriptor (it panics, or does quadratic work,
//! on descriptors no compiler writes). Every check here was a panic found by fuzzing
//! (tests/fuzz.rs) or a limit protoc applies to sources (`compile::limits`).

use anyhow::Result;
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};

pub(super) fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A dotted name (`a.b.C`), or with `leading_dot`, a fully-qualified one (`.a.b.C`) — what
/// `type_name` and `extendee` hold in a linked descriptor.
pub(super) fn is_dotted(s: &str, leading_dot: bool) -> bool {
    let s = if leading_dot {
        match s.strip_prefix('.') {
            Some(rest) => rest,
            None => return false,
        }
    } else {
        s
    };
    s.split('.').all(is_identifier)
}

// long: one list of what prost-reflect assumes, each check a fuzzing finding; splitting scatters the list
pub(super) fn validate(file: &FileDescriptorProto) -> Result<(), String> {
    match file.syntax() {
        "proto2" | "proto3" if file.syntax.is_some() => {}
        "" if file.syntax.is_none() => {}
        other => {
            return Err(format!(
                "syntax {other:?} is not one protosync reads (proto2, proto3 or editions)"
            ))
        }
    }
    let package = file.package();
    if !package.is_empty() {
        crate::compile::limits::check_package(package).map_err(|e| format!("package: {e}"))?;
        if !is_dotted(package, false) {
            return Err(format!("package {package:?} is not a dotted name"));
        }
    }
    let name = |what: &str, n: &str| {
        if is_identifier(n) {
            Ok(())
        } else {
            Err(format!("{what} name {n:?} is not an identifier"))
        }
    };
    let field = |f: &FieldDescriptorProto, oneofs: usize, extension: bool| -> Result<(), String> {
        name("field", f.name())?;
        if !f.type_name().is_empty() && !is_dotted(f.type_name(), true) {
            return Err(format!(
                "field {}: type name {:?} is not a fully-qualified name",
                f.name(),
                f.type_name()
            ));
        }
        if extension != f.extendee.is_some() {
            return Err(format!(
                "field {}: {}",
                f.name(),
                if extension {
                    "an extension without an extendee"
                } else {
                    "an extendee on a field that is not an extension"
                }
            ));
        }
        if extension && !is_dotted(f.extendee(), true) {
            return Err(format!(
                "extension {}: extendee {:?} is not a fully-qualified name",
                f.name(),
                f.extendee()
            ));
        }
        if let Some(i) = f.oneof_index {
            if i < 0 || i as usize >= oneofs {
                return Err(format!(
                    "field {}: oneof index {i} is out of range",
                    f.name()
                ));
            }
        }
        Ok(())
    };
    let enumeration = |e: &prost_reflect::prost_types::EnumDescriptorProto| -> Result<(), String> {
        name("enum", e.name())?;
        if e.value.is_empty() {
            return Err(format!("enum {} has no values", e.name()));
        }
        e.value
            .iter()
            .try_for_each(|v| name("enum value", v.name()))
    };
    let mut messages: Vec<&DescriptorProto> = file.message_type.iter().collect();
    while let Some(m) = messages.pop() {
        name("message", m.name())?;
        for f in &m.field {
            field(f, m.oneof_decl.len(), false)?;
        }
        for x in &m.extension {
            field(x, 0, true)?;
        }
        for o in &m.oneof_decl {
            name("oneof", o.name())?;
        }
        m.enum_type.iter().try_for_each(enumeration)?;
        messages.extend(&m.nested_type);
    }
    file.enum_type.iter().try_for_each(enumeration)?;
    for x in &file.extension {
        field(x, 0, true)?;
    }
    for s in &file.service {
        name("service", s.name())?;
        for m in &s.method {
            name("method", m.name())?;
            for t in [m.input_type(), m.output_type()] {
                if !is_dotted(t, true) {
                    return Err(format!(
                        "method {}.{}: type {t:?} is not a fully-qualified name",
                        s.name(),
                        m.name()
                    ));
                }
            }
        }
    }
    let files = file.dependency.len() as i32;
    for (what, list) in [
        ("public", &file.public_dependency),
        ("weak", &file.weak_dependency),
    ] {
        if let Some(i) = list.iter().find(|&&i| i < 0 || i >= files) {
            return Err(format!("{what} import index {i} is out of range"));
        }
    }
    Ok(())
}
