//! Editions: features read from each editions file's options, and the file lowered to the
//! same proto2 shape the source front-end produces (see the parent module's docs).

use std::collections::HashMap;

use anyhow::Result;
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
use prost_reflect::{DynamicMessage, Value};

use crate::compile::editions::{Feature, FeatureSetting, SUPPORTED_EDITIONS};
use crate::compile::EditionFile;
use crate::model::{RawSpan, UNLOCATED};

/// `FileDescriptorProto.edition`.
pub(super) const EDITION_FIELD: u32 = 14;

/// The number of the `Edition` enum value for each supported edition.
pub(super) fn edition_name(number: i32) -> String {
    match number {
        998 => "proto2".into(),
        999 => "proto3".into(),
        1000 => "2023".into(),
        1001 => "2024".into(),
        n => format!("number {n}"),
    }
}

/// The field number of `features` in each options message, by the options' field number in the
/// element's descriptor and the element kind.
#[derive(Clone, Copy)]
pub(super) struct OptionTags {
    pub(super) options: u32,
    pub(super) features: u32,
}

pub(super) const FILE_TAGS: OptionTags = OptionTags {
    options: 8,
    features: 50,
};
pub(super) const MESSAGE_TAGS: OptionTags = OptionTags {
    options: 7,
    features: 12,
};
pub(super) const FIELD_TAGS: OptionTags = OptionTags {
    options: 8,
    features: 21,
};
pub(super) const ONEOF_TAGS: OptionTags = OptionTags {
    options: 2,
    features: 1,
};
pub(super) const RANGE_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 50,
};
pub(super) const ENUM_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 7,
};
pub(super) const VALUE_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 2,
};
pub(super) const SERVICE_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 34,
};
pub(super) const METHOD_TAGS: OptionTags = OptionTags {
    options: 4,
    features: 35,
};

/// Core features by their `FeatureSet` field number.
pub(super) fn core_feature(number: u32) -> Option<Feature> {
    Some(match number {
        1 => Feature::FieldPresence,
        2 => Feature::EnumType,
        3 => Feature::RepeatedFieldEncoding,
        4 => Feature::Utf8Validation,
        5 => Feature::MessageEncoding,
        6 => Feature::JsonFormat,
        _ => return None,
    })
}

pub(super) fn field(m: &DynamicMessage, number: u32) -> Option<&Value> {
    m.fields()
        .find(|(f, _)| f.number() == number)
        .map(|(_, v)| v)
}

pub(super) fn child(m: &DynamicMessage, number: u32) -> Option<&DynamicMessage> {
    field(m, number).and_then(Value::as_message)
}

pub(super) fn children(
    m: &DynamicMessage,
    number: u32,
) -> impl Iterator<Item = (i32, &DynamicMessage)> {
    field(m, number)
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_message)
        .enumerate()
        .map(|(i, m)| (i as i32, m))
}

/// Collects the features an editions file sets, element by element.
pub(super) struct Lifter<'a> {
    pub(super) spans: HashMap<&'a [i32], RawSpan>,
    pub(super) has_info: bool,
    pub(super) features: HashMap<Vec<i32>, Vec<FeatureSetting>>,
    pub(super) errors: Vec<String>,
}

impl Lifter<'_> {
    pub(super) fn with(path: &[i32], more: &[i32]) -> Vec<i32> {
        let mut p = path.to_vec();
        p.extend_from_slice(more);
        p
    }

    /// The features set on one element.
    pub(super) fn element(&mut self, elem: &DynamicMessage, path: &[i32], tags: OptionTags) {
        let Some(features) = child(elem, tags.options).and_then(|o| child(o, tags.features)) else {
            return;
        };
        let base = Self::with(path, &[tags.options as i32, tags.features as i32]);
        for (fd, value) in features.fields() {
            if let Some(feature) = core_feature(fd.number()) {
                let name = fd
                    .kind()
                    .as_enum()
                    .zip(value.as_enum_number())
                    .and_then(|(e, n)| e.get_value(n).map(|v| v.name().to_owned()));
                self.record(path, &base, &[fd.number() as i32], feature, name, value);
            }
        }
        for (ext, value) in features.extensions() {
            let feature = match ext.full_name() {
                "pb.cpp" => Feature::CppStringType,
                "pb.java" => Feature::JavaUtf8Validation,
                _ => continue,
            };
            let Some(inner) = value.as_message() else {
                continue;
            };
            if let Some((fd, v)) = inner.fields().find(|(f, _)| f.number() == 2) {
                let name = fd
                    .kind()
                    .as_enum()
                    .zip(v.as_enum_number())
                    .and_then(|(e, n)| e.get_value(n).map(|v| v.name().to_owned()));
                self.record(path, &base, &[ext.number() as i32, 2], feature, name, v);
            }
        }
    }

    pub(super) fn record(
        &mut self,
        path: &[i32],
        base: &[i32],
        numbers: &[i32],
        feature: Feature,
        name: Option<String>,
        raw: &Value,
    ) {
        let value = match name {
            Some(n) if feature.values().contains(&n.as_str()) => n,
            other => {
                let shown = other.unwrap_or_else(|| format!("{raw:?}"));
                self.errors.push(format!(
                    "features.{} = {shown} on the element at path {path:?} is not a value protosync knows (expected one of {})",
                    feature.name(),
                    feature.values().join(", ")
                ));
                return;
            }
        };
        let span = self.span(path, base, numbers);
        self.features
            .entry(path.to_vec())
            .or_default()
            .push(FeatureSetting {
                feature,
                value,
                span,
            });
    }

    /// The location protoc records for the feature, else for `options.features`, else for the
    /// element; [`UNLOCATED`] without source info.
    pub(super) fn span(&self, path: &[i32], base: &[i32], numbers: &[i32]) -> RawSpan {
        if !self.has_info {
            return UNLOCATED;
        }
        (0..=numbers.len())
            .rev()
            .map(|n| Self::with(base, &numbers[..n]))
            .chain(std::iter::once(path.to_vec()))
            .find_map(|p| self.spans.get(p.as_slice()).copied())
            .unwrap_or(UNLOCATED)
    }

    pub(super) fn message(&mut self, m: &DynamicMessage, path: &[i32]) {
        let map_entry = child(m, 7)
            .and_then(|o| field(o, 7))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if map_entry {
            // The source front-end never sees the synthetic entry (protox-parse makes it): its
            // features are those of the message around it, whatever protoc copied onto it.
            return;
        }
        self.element(m, path, MESSAGE_TAGS);
        for (k, f) in children(m, 2) {
            self.element(f, &Self::with(path, &[2, k]), FIELD_TAGS);
        }
        for (k, x) in children(m, 6) {
            self.element(x, &Self::with(path, &[6, k]), FIELD_TAGS);
        }
        for (k, n) in children(m, 3) {
            self.message(n, &Self::with(path, &[3, k]));
        }
        for (k, e) in children(m, 4) {
            self.enumeration(e, &Self::with(path, &[4, k]));
        }
        for (k, r) in children(m, 5) {
            self.element(r, &Self::with(path, &[5, k]), RANGE_TAGS);
        }
        for (k, o) in children(m, 8) {
            self.element(o, &Self::with(path, &[8, k]), ONEOF_TAGS);
        }
    }

    pub(super) fn enumeration(&mut self, e: &DynamicMessage, path: &[i32]) {
        self.element(e, path, ENUM_TAGS);
        for (k, v) in children(e, 2) {
            self.element(v, &Self::with(path, &[2, k]), VALUE_TAGS);
        }
    }

    pub(super) fn file(&mut self, f: &DynamicMessage) {
        self.element(f, &[], FILE_TAGS);
        for (i, m) in children(f, 4) {
            self.message(m, &[4, i]);
        }
        for (i, e) in children(f, 5) {
            self.enumeration(e, &[5, i]);
        }
        for (i, s) in children(f, 6) {
            self.element(s, &[6, i], SERVICE_TAGS);
            for (k, m) in children(s, 2) {
                self.element(m, &[6, i, 2, k], METHOD_TAGS);
            }
        }
        for (i, x) in children(f, 7) {
            self.element(x, &[7, i], FIELD_TAGS);
        }
    }
}

/// Lowers one editions file in place (see the module docs) and returns its features.
// long: the steps of compile::editions::lower for a decoded file, in the same order, one block each
pub(super) fn lower(
    proto: &mut FileDescriptorProto,
    dynamic: &DynamicMessage,
) -> Result<EditionFile, String> {
    let edition = match field(dynamic, EDITION_FIELD).and_then(Value::as_enum_number) {
        Some(n) => edition_name(n),
        None => return Err("syntax is \"editions\" but the file declares no edition protosync knows (only editions 2023 and 2024 are supported)".into()),
    };
    if !SUPPORTED_EDITIONS.contains(&edition.as_str()) {
        return Err(format!(
            "edition {edition} is not supported (only editions 2023 and 2024 are)"
        ));
    }
    let (features, errors) = {
        let locations = proto
            .source_code_info
            .as_ref()
            .map(|i| i.location.as_slice())
            .unwrap_or_default();
        let mut spans = HashMap::new();
        for loc in locations {
            let raw = match *loc.span.as_slice() {
                [l, c, ec] => [l, c, l, ec],
                [l, c, el, ec] => [l, c, el, ec],
                _ => continue,
            };
            // The first location of a path is the declaration.
            spans.entry(loc.path.as_slice()).or_insert(raw);
        }
        let mut lifter = Lifter {
            spans,
            has_info: proto.source_code_info.is_some(),
            features: HashMap::new(),
            errors: Vec::new(),
        };
        lifter.file(dynamic);
        (lifter.features, lifter.errors)
    };
    if let Some(first) = errors.into_iter().next() {
        return Err(first);
    }
    proto.syntax = Some("proto2".to_owned());
    let required = |path: &[i32]| {
        features.get(path).is_some_and(|s| {
            s.iter()
                .any(|s| s.feature == Feature::FieldPresence && s.value == "LEGACY_REQUIRED")
        })
    };
    let mut fix = |f: &mut FieldDescriptorProto, path: &[i32]| {
        if required(path) {
            f.label = Some(2);
        }
        if f.r#type == Some(10) {
            // TYPE_GROUP: a delimited message field; the encoding is in the features.
            f.r#type = Some(11);
        }
    };
    fn message(
        m: &mut DescriptorProto,
        path: &mut Vec<i32>,
        fix: &mut dyn FnMut(&mut FieldDescriptorProto, &[i32]),
    ) {
        for (tag, fields) in [(2, &mut m.field), (6, &mut m.extension)] {
            for (k, f) in fields.iter_mut().enumerate() {
                path.extend([tag, k as i32]);
                fix(f, path);
                path.truncate(path.len() - 2);
            }
        }
        for (k, n) in m.nested_type.iter_mut().enumerate() {
            path.extend([3, k as i32]);
            message(n, path, fix);
            path.truncate(path.len() - 2);
        }
    }
    for (i, m) in proto.message_type.iter_mut().enumerate() {
        message(m, &mut vec![4, i as i32], &mut fix);
    }
    for (i, x) in proto.extension.iter_mut().enumerate() {
        fix(x, &[7, i as i32]);
    }
    Ok(EditionFile {
        edition,
        features,
        local_symbols: Vec::new(),
    })
}
