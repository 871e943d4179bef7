//! Writing back what the rewriter blanked: `LABEL_REQUIRED` for legacy-required fields,
//! `default_value`s and identifier reserved names, with protoc-shaped locations.

use std::collections::HashMap;

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::source_code_info::Location;
use prost_reflect::prost_types::FileDescriptorProto;

use super::elements::{elem_mut, with, Elem, ElemKind, ElemMut};
use super::error::contains;
use super::features::Feature;
use super::lift::{compact_span, Lifts, Post};
use super::rewrite::{DefaultEntry, ReservedNames};

impl Post<'_, '_> {
    /// `features.field_presence = LEGACY_REQUIRED` becomes `LABEL_REQUIRED`.
    pub(super) fn apply_required(
        &mut self,
        file: &mut FileDescriptorProto,
        elements: &[Elem],
        lifted: &Lifts,
    ) {
        for elem in elements {
            if elem.kind != ElemKind::Field {
                continue;
            }
            let required = lifted
                .get(&elem.path, Feature::FieldPresence)
                .is_some_and(|l| l.setting.value == "LEGACY_REQUIRED");
            if required {
                if let Some(ElemMut::Field(field)) = elem_mut(file, &elem.path) {
                    if field.label() == Label::Optional {
                        field.set_label(Label::Required);
                    }
                }
            }
        }
    }

    /// Put `default_value` back, formatted by protox-parse itself through a one-field proto2 file.
    pub(super) fn apply_defaults(
        &mut self,
        file: &mut FileDescriptorProto,
        defaults: &HashMap<Vec<i32>, &DefaultEntry>,
        source: &str,
    ) {
        let mut paths: Vec<&Vec<i32>> = defaults.keys().collect();
        paths.sort();
        for path in paths {
            let entry = defaults[path];
            let Some(ElemMut::Field(field)) = elem_mut(file, path) else {
                continue;
            };
            let type_text = match field.r#type.and_then(|t| Type::try_from(t).ok()) {
                Some(Type::Message | Type::Group | Type::Enum) | None => {
                    field.type_name().to_owned()
                }
                Some(t) => t
                    .as_str_name()
                    .trim_start_matches("TYPE_")
                    .to_ascii_lowercase(),
            };
            let prefix =
                format!("syntax = \"proto2\"; message M {{ optional {type_text} f = 1 [default = ");
            let synthetic = format!("{prefix}{}]; }}", &source[entry.value.clone()]);
            match protox_parse::parse("default.proto", &synthetic) {
                Ok(parsed) => {
                    field.default_value = parsed
                        .message_type
                        .first()
                        .and_then(|m| m.field.first())
                        .and_then(|f| f.default_value.clone());
                    if let Some(sci) = file.source_code_info.as_mut() {
                        sci.location.push(Location {
                            path: with(path, &[7]),
                            span: compact_span(self.ctx.span_of(entry.value.clone())),
                            ..Default::default()
                        });
                    }
                }
                Err(err) => {
                    let at = err
                        .span()
                        .filter(|s| {
                            s.start >= prefix.len() && s.start <= prefix.len() + entry.value.len()
                        })
                        .map_or(entry.value.clone(), |s| {
                            let start = entry.value.start + (s.start - prefix.len());
                            let end = (entry.value.start + (s.end.saturating_sub(prefix.len())))
                                .clamp(start, entry.value.end);
                            start..end
                        });
                    self.errors.push(self.ctx.error(at, err.to_string()));
                }
            }
        }
    }

    /// Put `reserved foo, bar;` names back into the innermost enclosing message or enum.
    pub(super) fn apply_reserved(
        &mut self,
        file: &mut FileDescriptorProto,
        elements: &[Elem],
        reserved: &[ReservedNames],
    ) {
        for stmt in reserved {
            let pos = self.ctx.position(stmt.range.start);
            let owner = elements
                .iter()
                .filter(|e| matches!(e.kind, ElemKind::Message | ElemKind::Enum))
                .filter(|e| self.spans.get(&e.path).is_some_and(|&s| contains(s, pos)))
                .max_by_key(|e| e.path.len());
            let Some(owner) = owner else {
                self.errors.push(self.ctx.error(
                    stmt.range.start..stmt.range.start + "reserved".len(),
                    "'reserved' is only allowed in a message or enum body",
                ));
                continue;
            };
            let (tag, first_index) = match elem_mut(file, &owner.path) {
                Some(ElemMut::Message(m)) => {
                    let first = m.reserved_name.len();
                    m.reserved_name
                        .extend(stmt.names.iter().map(|(n, _)| n.clone()));
                    (10, first)
                }
                Some(ElemMut::Enum(e)) => {
                    let first = e.reserved_name.len();
                    e.reserved_name
                        .extend(stmt.names.iter().map(|(n, _)| n.clone()));
                    (5, first)
                }
                _ => continue,
            };
            if let Some(sci) = file.source_code_info.as_mut() {
                sci.location.push(Location {
                    path: with(&owner.path, &[tag]),
                    span: compact_span(self.ctx.span_of(stmt.range.clone())),
                    ..Default::default()
                });
                for (k, (_, range)) in stmt.names.iter().enumerate() {
                    sci.location.push(Location {
                        path: with(&owner.path, &[tag, (first_index + k) as i32]),
                        span: compact_span(self.ctx.span_of(range.clone())),
                        ..Default::default()
                    });
                }
            }
        }
    }
}
