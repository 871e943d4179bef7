//! protoc's checks on features that the file alone decides: labels, where each feature may
//! be set, presence on repeated / oneof / extension / message fields, defaults, open enums.

use std::collections::HashMap;

use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::FileDescriptorProto;

use super::elements::{elem_ref, field_type, with, Elem, ElemKind, ElemRef, FieldType, TypeIndex};
use super::error::LowerError;
use super::features::Feature;
use super::lift::{Lifted, Lifts, Post};
use super::rewrite::DefaultEntry;

impl Post<'_, '_> {
    /// `optional` parses as proto3 `optional`; editions have no such label.
    pub(super) fn check_labels(&mut self, file: &FileDescriptorProto, elements: &[Elem]) {
        for elem in elements {
            if let Some(ElemRef::Field(field)) = elem_ref(file, &elem.path) {
                if field.proto3_optional() {
                    self.error_at(
                        file,
                        &with(&elem.path, &[4]),
                        "Label \"optional\" is not supported in editions. By default, all singular fields have presence unless features.field_presence is set.",
                    );
                }
            }
        }
    }
    /// protoc's per-field checks on explicit features, presence and defaults.
    // long: protoc's per-field feature checks in protoc's order; splitting scatters that order
    pub(super) fn validate(
        &mut self,
        file: &FileDescriptorProto,
        elements: &[Elem],
        lifted: &Lifts,
        defaults: &HashMap<Vec<i32>, &DefaultEntry>,
        types: &TypeIndex,
    ) {
        let explicit = |path: &[i32], feature: Feature| lifted.get(path, feature);
        let resolve = |path: &[i32], feature: Feature| lifted.resolve(file, path, feature);

        if let Some(l) = explicit(&[], Feature::FieldPresence) {
            if l.setting.value == "LEGACY_REQUIRED" {
                self.errors.push(self.ctx.error(
                    l.range.clone(),
                    "Required presence can't be specified by default.",
                ));
            }
        }

        for elem in elements {
            if !matches!(elem.kind, ElemKind::Field | ElemKind::Extension) {
                continue;
            }
            let Some(ElemRef::Field(field)) = elem_ref(file, &elem.path) else {
                continue;
            };
            let repeated = field.label() == Label::Repeated;
            let in_oneof = field.oneof_index.is_some() && !field.proto3_optional();
            let is_extension = elem.kind == ElemKind::Extension;
            let ty = field_type(field, &elem.scope, types);
            let is_message = matches!(ty, FieldType::Message | FieldType::Map);
            let fail = |errors: &mut Vec<LowerError>, l: &Lifted, message: &str| {
                errors.push(self.ctx.error(l.range.clone(), message));
            };

            if let Some(l) = explicit(&elem.path, Feature::FieldPresence) {
                if repeated {
                    fail(
                        &mut self.errors,
                        l,
                        "Repeated fields can't specify field presence.",
                    );
                } else if is_extension {
                    fail(
                        &mut self.errors,
                        l,
                        "Extensions can't specify field presence.",
                    );
                } else if in_oneof {
                    fail(
                        &mut self.errors,
                        l,
                        "Oneof fields can't specify field presence.",
                    );
                } else if is_message && l.setting.value == "IMPLICIT" {
                    fail(
                        &mut self.errors,
                        l,
                        "Message fields can't specify implicit presence.",
                    );
                }
            }
            if let Some(l) = explicit(&elem.path, Feature::MessageEncoding) {
                if matches!(
                    ty,
                    FieldType::Scalar(_) | FieldType::Map | FieldType::Enum(_)
                ) {
                    fail(
                        &mut self.errors,
                        l,
                        "Only message fields can specify message encoding.",
                    );
                }
            }
            if let Some(l) = explicit(&elem.path, Feature::RepeatedFieldEncoding) {
                if !repeated {
                    fail(
                        &mut self.errors,
                        l,
                        "Only repeated fields can specify repeated field encoding.",
                    );
                } else if l.setting.value == "PACKED"
                    && matches!(
                        ty,
                        FieldType::Scalar(Type::String | Type::Bytes)
                            | FieldType::Message
                            | FieldType::Map
                    )
                {
                    fail(
                        &mut self.errors,
                        l,
                        "Only repeated primitive fields can specify PACKED repeated field encoding.",
                    );
                }
            }
            if let Some(l) = explicit(&elem.path, Feature::Utf8Validation) {
                let not_string = match &ty {
                    FieldType::Scalar(t) => *t != Type::String,
                    FieldType::Message | FieldType::Enum(_) => true,
                    FieldType::Map | FieldType::Unknown => false,
                };
                if not_string {
                    fail(
                        &mut self.errors,
                        l,
                        "Only string fields can specify utf8 validation.",
                    );
                }
            }

            let implicit = !repeated
                && !in_oneof
                && !is_extension
                && !is_message
                && resolve(&elem.path, Feature::FieldPresence) == "IMPLICIT";
            if let Some(entry) = defaults.get(&elem.path) {
                if repeated {
                    self.errors.push(self.ctx.error(
                        entry.name.clone(),
                        "Repeated fields can't have default values.",
                    ));
                } else if implicit {
                    self.errors.push(self.ctx.error(
                        entry.name.clone(),
                        "Implicit presence fields can't specify defaults.",
                    ));
                }
            }
            if implicit {
                if let FieldType::Enum(enum_path) = &ty {
                    if resolve(enum_path, Feature::EnumType) == "CLOSED" {
                        self.error_at(
                            file,
                            &with(&elem.path, &[6]),
                            "Implicit presence enum fields must always be open.",
                        );
                    }
                }
            }
        }
    }

    pub(super) fn check_open_enums(
        &mut self,
        file: &FileDescriptorProto,
        elements: &[Elem],
        lifted: &Lifts,
    ) {
        for elem in elements.iter().filter(|e| e.kind == ElemKind::Enum) {
            let Some(ElemRef::Enum(e)) = elem_ref(file, &elem.path) else {
                continue;
            };
            let closed = lifted.resolve(file, &elem.path, Feature::EnumType) == "CLOSED";
            if !closed && e.value.first().is_some_and(|v| v.number() != 0) {
                self.error_at(
                    file,
                    &with(&elem.path, &[2, 0, 2]),
                    "The first enum value must be zero for open enums.",
                );
            }
        }
    }
}
