//! The checks, one function per element kind, in the order protoc's `DescriptorBuilder` makes
//! them. Messages are protoc's words (docs/PARITY.md, "Acceptance"). This file holds the
//! file-level and enum checks and the shared context; `messages` and `fields` the rest,
//! `common` the option readers both of them use.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use prost_reflect::prost_types::file_options::OptimizeMode;
use prost_reflect::prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto};
use prost_reflect::{DynamicMessage, FileDescriptor, Value};

use super::{At, Ctx, EditionInfo, Issue};

mod common;
mod fields;
mod messages;

use common::bool_field;
use fields::{duplicate_extension, field};
use messages::message;

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

// long: the check order of one file and the nested walk that keeps it; one place to read protoc's order
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

// long: protoc's per-enum checks in DescriptorBuilder's order
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
