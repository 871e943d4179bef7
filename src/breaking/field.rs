//! Rules about fields matched by number inside matched messages, and extensions matched by
//! (extendee, number): type, cardinality, name, JSON name, oneof, defaults, language options.

use std::collections::HashMap;

use super::{q, At, Checker, RuleId as R};
use crate::model::{Cardinality, CppString, DefaultValue, Field, File, Kind, Syntax};

pub(super) fn check_extensions(c: &mut Checker) {
    let (prev, cur) = (c.prev, c.cur);
    // Extensions pair by (extendee, number). Two files may extend a message with the same
    // number (protoc only warns across files): then the one in the same file is the pair.
    let mut now: HashMap<(&str, i32), Vec<(usize, usize)>> = HashMap::new();
    for (fi, f) in cur.files.iter().enumerate() {
        for (i, x) in f.extensions.iter().enumerate() {
            now.entry((x.extendee.as_deref().unwrap_or(""), x.number))
                .or_default()
                .push((fi, i));
        }
    }
    for pf in &prev.files {
        for px in &pf.extensions {
            let Some(cands) = now.get(&(px.extendee.as_deref().unwrap_or(""), px.number)) else {
                continue;
            };
            let &(cfi, ci) = cands
                .iter()
                .find(|(fi, _)| cur.files[*fi].path == pf.path)
                .unwrap_or(&cands[0]);
            let cf = &cur.files[cfi];
            pair(c, pf, px, cfi, cf, &cf.extensions[ci]);
        }
    }
}

/// `Field "1" with name "x" on message "M"`, or `Extension "…" with name "pkg.ext" on message "pkg.M"`.
fn describe(f: &Field, with_name: bool) -> String {
    let (kind, name, message) = match &f.extendee {
        Some(extendee) => ("Extension", f.full_name.as_str(), extendee.as_str()),
        None => ("Field", f.name.as_str(), f.message_name.as_str()),
    };
    if with_name {
        format!(
            "{kind} \"{}\" with name {} on message {}",
            f.number,
            q(name),
            q(message)
        )
    } else {
        format!("{kind} \"{}\" on message {}", f.number, q(message))
    }
}

fn pretty_type(f: &Field, syntax: &Syntax) -> &'static str {
    if f.kind == Kind::Group && *syntax != Syntax::Proto2 {
        "message (delimited encoding)"
    } else {
        f.kind.name()
    }
}

fn wire_group(k: Kind) -> u8 {
    match k {
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Bool => 1,
        Kind::Sint32 | Kind::Sint64 => 2,
        Kind::String => 3,
        Kind::Bytes => 4,
        Kind::Fixed32 | Kind::Sfixed32 => 5,
        Kind::Fixed64 | Kind::Sfixed64 => 6,
        Kind::Double => 7,
        Kind::Float => 8,
        Kind::Group => 9,
        Kind::Message => 10,
        Kind::Enum => 11,
    }
}

fn wire_json_group(k: Kind) -> u8 {
    match k {
        Kind::Int32 | Kind::Uint32 => 1,
        Kind::Int64 | Kind::Uint64 => 2,
        Kind::Fixed32 | Kind::Sfixed32 => 3,
        Kind::Fixed64 | Kind::Sfixed64 => 4,
        Kind::Bool => 5,
        Kind::Sint32 => 6,
        Kind::Sint64 => 7,
        Kind::String => 8,
        Kind::Bytes => 9,
        Kind::Double => 10,
        Kind::Float => 11,
        Kind::Group => 12,
        Kind::Message => 13,
        Kind::Enum => 14,
    }
}

fn cardinality_wire_group(c: Cardinality, json: bool) -> u8 {
    match c {
        Cardinality::OptionalExplicit | Cardinality::OptionalImplicit => 1,
        Cardinality::Required => 2,
        Cardinality::Repeated => 3,
        Cardinality::Map if json => 4,
        Cardinality::Map => 3,
    }
}

const WIRE_NOTE: &str = "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules.";
const BYTES_NOTE: &str = "Note that while string and bytes are compatible if the data is valid UTF-8, there is no way to enforce that a bytes field is UTF-8, so these fields may be incompatible.";
const WIRE_JSON_NOTE: &str = "See https://developers.google.com/protocol-buffers/docs/proto3#updating for wire compatibility rules and https://developers.google.com/protocol-buffers/docs/proto3#json for JSON compatibility rules.";

fn is_64bit_int(k: Kind) -> bool {
    matches!(
        k,
        Kind::Int64 | Kind::Sint64 | Kind::Uint64 | Kind::Fixed64 | Kind::Sfixed64
    )
}

// long: one block per rule on a field pair; each block reads the same pair
pub(super) fn pair(c: &mut Checker, pf: &File, p: &Field, cfi: usize, cf: &File, f: &Field) {
    let prev_path = Some(pf.path.as_str());
    let el = f.full_name.as_str();
    let at_field = || At::elem(cfi, &f.path);
    let both_map_entry = p.in_map_entry && f.in_map_entry;

    if !both_map_entry && p.cardinality != f.cardinality {
        let msg = format!(
            "{} changed cardinality from {} to {}.",
            describe(f, true),
            q(&p.cardinality.to_string()),
            q(&f.cardinality.to_string())
        );
        c.report(
            R::FIELD_SAME_CARDINALITY,
            at_field(),
            prev_path,
            el,
            msg.clone(),
        );
        if cardinality_wire_group(p.cardinality, false)
            != cardinality_wire_group(f.cardinality, false)
        {
            c.report(
                R::FIELD_WIRE_COMPATIBLE_CARDINALITY,
                at_field(),
                prev_path,
                el,
                msg.clone(),
            );
        }
        if cardinality_wire_group(p.cardinality, true)
            != cardinality_wire_group(f.cardinality, true)
        {
            c.report(
                R::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY,
                at_field(),
                prev_path,
                el,
                msg,
            );
        }
    }

    if !both_map_entry
        && p.kind.is_string_or_bytes()
        && f.kind.is_string_or_bytes()
        && p.cpp_string != f.cpp_string
        && !(p.cpp_string == CppString::StringPiece && f.cpp_string == CppString::String)
    {
        c.report(
            R::FIELD_SAME_CPP_STRING_TYPE,
            At::file(cfi)
                .or_opt(&f.path, 8, 1, "ctype")
                .or_raw(f.cpp_string_span)
                .or_elem(&f.path),
            prev_path,
            el,
            format!(
                "{} changed C++ string type from {} to {}.",
                describe(f, true),
                q(p.cpp_string.name()),
                q(f.cpp_string.name())
            ),
        );
    }

    if p.kind == Kind::String && f.kind == Kind::String && p.java_utf8_verify != f.java_utf8_verify
    {
        c.report(
            R::FIELD_SAME_JAVA_UTF8_VALIDATION,
            At::file(cfi)
                .or_opt(&[], 8, 27, "java_string_check_utf8")
                .or_raw(f.java_utf8_span)
                .or_elem(&f.path),
            prev_path,
            el,
            format!(
                "{} changed Java string UTF8 validation from {} to {}.",
                describe(f, true),
                q(verify(p.java_utf8_verify)),
                q(verify(f.java_utf8_verify))
            ),
        );
    }

    if is_64bit_int(p.declared_type) && is_64bit_int(f.declared_type) && p.jstype != f.jstype {
        c.report(
            R::FIELD_SAME_JSTYPE,
            At::file(cfi)
                .or_opt(&f.path, 8, 6, "jstype")
                .or_elem(&f.path),
            prev_path,
            el,
            format!(
                "{} changed option \"jstype\" from {} to {}.",
                describe(f, true),
                q(&p.jstype),
                q(&f.jstype)
            ),
        );
    }

    type_rules(c, pf, p, cfi, cf, f);

    if p.kind == Kind::String && f.kind == Kind::String && p.utf8_verify != f.utf8_verify {
        c.report(
            R::FIELD_SAME_UTF8_VALIDATION,
            At::file(cfi).or_raw(f.utf8_span).or_elem(&f.path),
            prev_path,
            el,
            format!(
                "{} changed UTF8 validation from {} to {}.",
                describe(f, true),
                verify(p.utf8_verify),
                verify(f.utf8_verify)
            ),
        );
    }

    if p.extendee.is_none() && p.json_name != f.json_name {
        c.report(
            R::FIELD_SAME_JSON_NAME,
            At::file(cfi)
                .or_pseudo_option(&f.path, 10, "json_name")
                .or_elem(&f.path),
            prev_path,
            el,
            format!(
                "{} changed option \"json_name\" from {} to {}.",
                describe(f, true),
                q(&p.json_name),
                q(&f.json_name)
            ),
        );
    }

    let (pn, n) = match p.extendee {
        Some(_) => (&p.full_name, &f.full_name),
        None => (&p.name, &f.name),
    };
    if pn != n {
        c.report(
            R::FIELD_SAME_NAME,
            At::file(cfi).or_sub(&f.path, &[1]).or_elem(&f.path),
            prev_path,
            el,
            format!(
                "{} changed name from {} to {}.",
                describe(f, false),
                q(pn),
                q(n)
            ),
        );
    }

    if c.on(R::FIELD_SAME_DEFAULT) {
        if let (Some(pd), Some(d)) = (&p.default, &f.default) {
            if !(defaults_equal(pd, d) || (is_zero(pd) && is_zero(d))) {
                c.report(
                    R::FIELD_SAME_DEFAULT,
                    At::file(cfi)
                        .or_pseudo_option(&f.path, 7, "default")
                        .or_elem(&f.path),
                    prev_path,
                    el,
                    format!(
                        "{} changed default value from {} to {}.",
                        describe(f, true),
                        printable(pd),
                        printable(d)
                    ),
                );
            }
        }
    }

    if p.extendee.is_none() {
        let msg = match (&p.oneof, &f.oneof) {
            (Some(a), Some(b)) if a != b => Some(format!(
                "{} moved from oneof {} to oneof {}.",
                describe(f, true),
                q(a),
                q(b)
            )),
            (Some(_), None) => Some(format!(
                "{} moved from inside to outside a oneof.",
                describe(f, true)
            )),
            (None, Some(_)) => Some(format!(
                "{} moved from outside to inside a oneof.",
                describe(f, true)
            )),
            _ => None,
        };
        if let Some(msg) = msg {
            c.report(R::FIELD_SAME_ONEOF, at_field(), prev_path, el, msg);
        }
    }
}

fn verify(v: bool) -> &'static str {
    if v {
        "VERIFY"
    } else {
        "NONE"
    }
}

/// Which part of a field points at its type: the type name (6) of a message or enum field; the
/// `group` keyword (5) of a group, whose name is its type name; the scalar type (5) otherwise.
fn type_sub(f: &Field) -> i32 {
    match f.declared_type {
        Kind::Group => 5,
        Kind::Message | Kind::Enum => 6,
        _ => 5,
    }
}

// long: one block per type rule on a field pair; each block reads the same pair
fn type_rules(c: &mut Checker, pf: &File, p: &Field, cfi: usize, cf: &File, f: &Field) {
    let prev_path = Some(pf.path.as_str());
    let el = f.full_name.as_str();
    let type_at = || {
        if f.in_map_entry {
            // Map entries are synthesized: their path is already the `map<…>` type of the map
            // field.
            return At::elem(cfi, &f.path);
        }
        At::file(cfi)
            .or_sub(&f.path, &[type_sub(f)])
            .or_elem(&f.path)
    };
    let type_name_at = || {
        if f.in_map_entry {
            return At::elem(cfi, &f.path);
        }
        At::file(cfi)
            .or_sub(&f.path, &[type_sub(f)])
            .or_elem(&f.path)
    };
    let changed_type = |notes: &[&str]| {
        let extra = notes.join(" ");
        let extra = if extra.trim().is_empty() {
            String::new()
        } else {
            format!(" {extra}")
        };
        format!(
            "{} changed type from {} to {}.{}",
            describe(f, true),
            q(pretty_type(p, &pf.syntax)),
            q(pretty_type(f, &cf.syntax)),
            extra
        )
    };
    let changed_type_name = || {
        format!(
            "{} changed type from {} to {}.",
            describe(f, true),
            q(&p.type_name),
            q(&f.type_name)
        )
    };
    let references = matches!(f.declared_type, Kind::Enum | Kind::Group | Kind::Message);

    // FIELD_SAME_TYPE
    if p.kind != f.kind {
        c.report(
            R::FIELD_SAME_TYPE,
            type_at(),
            prev_path,
            el,
            changed_type(&[]),
        );
    } else if references && p.type_name != f.type_name {
        c.report(
            R::FIELD_SAME_TYPE,
            type_name_at(),
            prev_path,
            el,
            changed_type_name(),
        );
    }

    // FIELD_WIRE_COMPATIBLE_TYPE
    if c.on(R::FIELD_WIRE_COMPATIBLE_TYPE) {
        if wire_group(p.kind) != wire_group(f.kind) {
            if !(p.kind == Kind::String && f.kind == Kind::Bytes) {
                let notes: &[&str] = if p.kind == Kind::Bytes && f.kind == Kind::String {
                    &[WIRE_NOTE, BYTES_NOTE]
                } else {
                    &[WIRE_NOTE]
                };
                c.report(
                    R::FIELD_WIRE_COMPATIBLE_TYPE,
                    type_at(),
                    prev_path,
                    el,
                    changed_type(notes),
                );
            }
        } else if p.type_name != f.type_name {
            if f.declared_type == Kind::Enum {
                if !enum_compatible(c, p, f) && !c.structurally_same(p, f, false) {
                    c.report(
                        R::FIELD_WIRE_COMPATIBLE_TYPE,
                        type_name_at(),
                        prev_path,
                        el,
                        changed_type_name(),
                    );
                }
            } else if matches!(f.declared_type, Kind::Group | Kind::Message)
                && !c.structurally_same(p, f, false)
            {
                c.report(
                    R::FIELD_WIRE_COMPATIBLE_TYPE,
                    type_name_at(),
                    prev_path,
                    el,
                    changed_type_name(),
                );
            }
        }
    }

    // FIELD_WIRE_JSON_COMPATIBLE_TYPE
    if c.on(R::FIELD_WIRE_JSON_COMPATIBLE_TYPE) {
        if wire_json_group(p.kind) != wire_json_group(f.kind) {
            c.report(
                R::FIELD_WIRE_JSON_COMPATIBLE_TYPE,
                type_at(),
                prev_path,
                el,
                changed_type(&[WIRE_JSON_NOTE]),
            );
        } else if p.type_name != f.type_name {
            match f.kind {
                Kind::Enum if !enum_compatible(c, p, f) && !c.structurally_same(p, f, true) => {
                    c.report(
                        R::FIELD_WIRE_JSON_COMPATIBLE_TYPE,
                        type_name_at(),
                        prev_path,
                        el,
                        changed_type_name(),
                    );
                }
                Kind::Group | Kind::Message if !c.structurally_same(p, f, true) => {
                    c.report(
                        R::FIELD_WIRE_JSON_COMPATIBLE_TYPE,
                        type_name_at(),
                        prev_path,
                        el,
                        changed_type_name(),
                    );
                }
                _ => {}
            }
        }
    }
}

/// An enum field may switch to another enum with the same short name whose values include
/// every previous (number, name) pair.
fn enum_compatible(c: &Checker, p: &Field, f: &Field) -> bool {
    let (Some(pe), Some(e)) = (
        c.prev.enum_shapes.get(&p.type_name),
        c.cur.enum_shapes.get(&f.type_name),
    ) else {
        return false;
    };
    pe.name == e.name && pe.values.iter().all(|v| e.values.contains(v))
}

fn is_zero(d: &DefaultValue) -> bool {
    match d {
        DefaultValue::Text(b, _) => b.is_empty(),
        DefaultValue::Bool(b) => !b,
        DefaultValue::I64(i) => *i == 0,
        DefaultValue::U64(u) => *u == 0,
        DefaultValue::F32(f) => f.to_bits() == 0,
        DefaultValue::F64(f) => f.to_bits() == 0,
        DefaultValue::Enum(n, _) => *n == 0,
    }
}

enum Num {
    Int(i128),
    Float(f64),
    NaN,
}

fn as_num(d: &DefaultValue) -> Num {
    match d {
        DefaultValue::Bool(b) => Num::Int(*b as i128),
        DefaultValue::I64(i) => Num::Int(*i as i128),
        DefaultValue::U64(u) => Num::Int(*u as i128),
        DefaultValue::Enum(n, _) => Num::Int(*n as i128),
        DefaultValue::F32(f) if f.is_nan() => Num::NaN,
        DefaultValue::F64(f) if f.is_nan() => Num::NaN,
        DefaultValue::F32(f) => Num::Float(*f as f64),
        DefaultValue::F64(f) => Num::Float(*f),
        DefaultValue::Text(..) => Num::NaN,
    }
}

fn defaults_equal(a: &DefaultValue, b: &DefaultValue) -> bool {
    match (a, b) {
        (DefaultValue::Text(x, _), DefaultValue::Text(y, _)) => return x == y,
        (DefaultValue::Text(..), _) | (_, DefaultValue::Text(..)) => return false,
        (DefaultValue::F32(x), DefaultValue::F64(y)) => {
            return (x.is_nan() && y.is_nan()) || *x == *y as f32
        }
        (DefaultValue::F64(x), DefaultValue::F32(y)) => {
            return (x.is_nan() && y.is_nan()) || *x as f32 == *y
        }
        _ => {}
    }
    match (as_num(a), as_num(b)) {
        (Num::NaN, Num::NaN) => true,
        (Num::NaN, _) | (_, Num::NaN) => false,
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Int(x), Num::Float(y)) | (Num::Float(y), Num::Int(x)) => x as f64 == y,
        (Num::Float(x), Num::Float(y)) => x == y,
    }
}

/// Prints a default value as the reference tool does (Go's `%v`).
fn printable(d: &DefaultValue) -> String {
    match d {
        DefaultValue::Text(b, true) => {
            let parts: Vec<String> = b.iter().map(|b| format!("0x{b:X}")).collect();
            format!("[{}]", parts.join(","))
        }
        DefaultValue::Text(b, false) => q(&String::from_utf8_lossy(b)),
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::I64(i) => i.to_string(),
        DefaultValue::U64(u) => u.to_string(),
        DefaultValue::F32(f) => go_float(
            format!("{f:e}"),
            f.is_nan(),
            f.is_infinite(),
            *f < 0.0,
            || f.to_string(),
        ),
        DefaultValue::F64(f) => go_float(
            format!("{f:e}"),
            f.is_nan(),
            f.is_infinite(),
            *f < 0.0,
            || f.to_string(),
        ),
        DefaultValue::Enum(_, p) => p.clone(),
    }
}

/// Go's shortest `%v` float form: exponent notation when the exponent is < -4 or >= 6.
fn go_float(
    exp_form: String,
    nan: bool,
    inf: bool,
    neg: bool,
    plain: impl Fn() -> String,
) -> String {
    if nan {
        return "NaN".into();
    }
    if inf {
        return if neg { "-Inf".into() } else { "+Inf".into() };
    }
    let (mantissa, exp) = exp_form.split_once('e').unwrap_or((&exp_form, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        plain()
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}
