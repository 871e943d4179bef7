//! Lifting: `features.*` options are taken out of every element's uninterpreted options,
//! parsed and checked against the catalogue, and recorded with their paths and spans.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use prost_reflect::prost_types::uninterpreted_option::NamePart;
use prost_reflect::prost_types::{FileDescriptorProto, SourceCodeInfo, UninterpretedOption};

use super::elements::{
    elem_mut, elem_ref, feature_chain, set_uninterpreted, uninterpreted, with, Elem, ElemKind,
};
use super::error::{contains, span4, Ctx, LowerError};
use super::features::{
    Feature, LanguageFeatures, CORE_FEATURES_2024, LANGUAGE_FEATURES, LATER_CORE_FEATURES,
};
use super::lex::{Kind, Lexer, Tok};
use super::rewrite::{matching_close, DefaultEntry};
use super::{FeatureSetting, OtherFeatureSetting};

// ---------------------------------------------------------------------------------------------
// Post-processing of the parsed descriptor

/// A lifted feature with the element it was set on.
pub(super) struct Lifted {
    pub(super) path: Vec<i32>,
    pub(super) setting: FeatureSetting,
    pub(super) range: Range<usize>,
}

/// Lifted features in source order, indexed by (element path, feature).
#[derive(Default)]
pub(super) struct Lifts {
    pub(super) list: Vec<Lifted>,
    pub(super) index: HashMap<(Vec<i32>, Feature), usize>,
    pub(super) edition2024: bool,
}

impl Lifts {
    pub(super) fn get(&self, path: &[i32], feature: Feature) -> Option<&Lifted> {
        // Borrowed lookups on a tuple key need an owned key; paths are short.
        self.index
            .get(&(path.to_vec(), feature))
            .map(|&i| &self.list[i])
    }

    /// Adds the setting; false when the element already had this feature.
    pub(super) fn insert(&mut self, lifted: Lifted) -> bool {
        let key = (lifted.path.clone(), lifted.setting.feature);
        if self.index.contains_key(&key) {
            return false;
        }
        self.index.insert(key, self.list.len());
        self.list.push(lifted);
        true
    }

    /// The inherited value (see [`Lowered::resolve`](super::Lowered::resolve)).
    pub(super) fn resolve(
        &self,
        file: &FileDescriptorProto,
        path: &[i32],
        feature: Feature,
    ) -> &str {
        feature_chain(file, path)
            .iter()
            .find_map(|p| self.get(p, feature))
            .map_or(
                feature.edition_default(if self.edition2024 { "2024" } else { "2023" }),
                |l| l.setting.value.as_str(),
            )
    }
}

/// A value of an uninterpreted option or of a text-format field.
#[derive(Debug, Clone)]
pub(super) enum OptValue {
    Ident(String),
    Aggregate(String),
    Other(String),
}

impl OptValue {
    pub(super) fn of(option: &UninterpretedOption) -> OptValue {
        if let Some(ident) = &option.identifier_value {
            OptValue::Ident(ident.clone())
        } else if let Some(aggregate) = &option.aggregate_value {
            OptValue::Aggregate(aggregate.clone())
        } else if let Some(v) = option.positive_int_value {
            OptValue::Other(v.to_string())
        } else if let Some(v) = option.negative_int_value {
            OptValue::Other(v.to_string())
        } else if let Some(v) = option.double_value {
            OptValue::Other(v.to_string())
        } else if let Some(v) = &option.string_value {
            OptValue::Other(format!("{:?}", String::from_utf8_lossy(v)))
        } else {
            OptValue::Other(String::new())
        }
    }

    pub(super) fn text(&self) -> &str {
        match self {
            OptValue::Ident(s) | OptValue::Aggregate(s) | OptValue::Other(s) => s,
        }
    }
}

/// One `name = value` found in a `features` option: `(Some("pb.cpp"), "string_type")` etc.
pub(super) type FeatureEntry = (Option<String>, Vec<String>, OptValue);

pub(super) struct Post<'c, 'a> {
    pub(super) ctx: &'c Ctx<'a>,
    pub(super) errors: Vec<LowerError>,
    /// Source-info spans of elements and options by path, as protox-parse produced them.
    pub(super) spans: HashMap<Vec<i32>, [i32; 4]>,
    pub(super) edition2024: bool,
}

impl Post<'_, '_> {
    /// An error at the source location of `path` (looked up in the file: errors are rare, and
    /// `spans` only indexes elements and options).
    pub(super) fn error_at(
        &mut self,
        file: &FileDescriptorProto,
        path: &[i32],
        message: impl Into<String>,
    ) {
        let range = file
            .source_code_info
            .as_ref()
            .and_then(|sci| sci.location.iter().find(|l| l.path == path))
            .map_or(0..0, |l| self.ctx.range_of(span4(&l.span)));
        self.errors.push(self.ctx.error(range, message));
    }
    /// Find the field each blanked `default` belonged to.
    pub(super) fn attach_defaults<'d>(
        &mut self,
        elements: &[Elem],
        defaults: &'d [DefaultEntry],
    ) -> HashMap<Vec<i32>, &'d DefaultEntry> {
        let mut out: HashMap<Vec<i32>, &DefaultEntry> = HashMap::new();
        if defaults.is_empty() {
            return out;
        }
        // Field declarations do not overlap: sort them by start and binary-search.
        let mut fields: Vec<([i32; 4], &Elem)> = elements
            .iter()
            .filter(|e| matches!(e.kind, ElemKind::Field | ElemKind::Extension))
            .filter_map(|e| self.spans.get(&e.path).map(|&s| (s, e)))
            .collect();
        fields.sort_by_key(|(s, _)| (s[0], s[1]));
        for entry in defaults {
            let pos = self.ctx.position(entry.name.start);
            let key = (pos.0 as i32, pos.1 as i32);
            let after = fields.partition_point(|(s, _)| (s[0], s[1]) <= key);
            let field = after
                .checked_sub(1)
                .map(|i| fields[i])
                .filter(|(s, _)| contains(*s, pos))
                .map(|(_, e)| e);
            match field {
                Some(elem) if out.contains_key(&elem.path) => {
                    self.errors.push(
                        self.ctx
                            .error(entry.name.clone(), "Option \"default\" was already set."),
                    );
                }
                Some(elem) => {
                    out.insert(elem.path.clone(), entry);
                }
                None => self.errors.push(
                    self.ctx
                        .error(entry.name.clone(), "Option \"default\" unknown."),
                ),
            }
        }
        out
    }

    /// Remove `features.*` options from every element; returns the known and other settings.
    pub(super) fn lift_features(
        &mut self,
        file: &mut FileDescriptorProto,
        elements: &[Elem],
    ) -> (Lifts, Vec<(Vec<i32>, OtherFeatureSetting)>) {
        let mut lifted = Lifts::default();
        let mut others = Vec::new();
        let dependencies: HashSet<String> = file.dependency.iter().cloned().collect();
        // Option-list prefix (element path ++ options tag) -> old index -> new [999, i] / protoc path.
        let mut all_renames: HashMap<Vec<i32>, HashMap<i32, Vec<i32>>> = HashMap::new();

        for elem in elements {
            let options = match elem_ref(file, &elem.path) {
                Some(r) if uninterpreted(r).iter().any(is_features_option) => {
                    uninterpreted(r).to_vec()
                }
                _ => continue,
            };
            let (options_tag, features_tag) = elem.kind.option_tags();
            let option_prefix = with(&elem.path, &[options_tag]);
            let mut kept = Vec::new();
            let mut renames: HashMap<i32, Vec<i32>> = HashMap::new();
            let mut removed = 0;
            for (index, option) in options.into_iter().enumerate() {
                let index = index as i32;
                if !is_features_option(&option) {
                    renames.insert(index, vec![999, index - removed]);
                    kept.push(option);
                    continue;
                }
                removed += 1;
                let location = with(&option_prefix, &[999, index]);
                let span = self.spans.get(&location).copied().unwrap_or_default();
                let range = self.ctx.range_of(span);
                let entries = match feature_entries(&option) {
                    Ok(entries) => entries,
                    Err(message) => {
                        self.errors.push(self.ctx.error(range, message));
                        continue;
                    }
                };
                renames.insert(index, protoc_option_path(features_tag, &option));
                for (extension, names, value) in entries {
                    self.lift_one(
                        elem,
                        extension,
                        names,
                        value,
                        span,
                        &range,
                        &dependencies,
                        &mut lifted,
                        &mut others,
                    );
                }
            }
            if let Some(target) = elem_mut(file, &elem.path) {
                set_uninterpreted(target, kept);
            }
            all_renames.insert(option_prefix, renames);
        }
        if let Some(sci) = file.source_code_info.as_mut() {
            remap_option_locations(sci, &all_renames);
        }
        (lifted, others)
    }

    #[allow(clippy::too_many_arguments)]
    // long: one feature option from its name to a checked setting, each step an early error in protoc's order
    pub(super) fn lift_one(
        &mut self,
        elem: &Elem,
        extension: Option<String>,
        names: Vec<String>,
        value: OptValue,
        span: [i32; 4],
        range: &Range<usize>,
        dependencies: &HashSet<String>,
        lifted: &mut Lifts,
        others: &mut Vec<(Vec<i32>, OtherFeatureSetting)>,
    ) {
        let feature = match &extension {
            None => {
                let name = names.join(".");
                match Feature::from_core(&name) {
                    Some(feature) => feature,
                    None if self.edition2024 && LATER_CORE_FEATURES.contains(&name.as_str()) => {
                        self.lift_2024(elem, &name, value, span, range, others);
                        return;
                    }
                    None if LATER_CORE_FEATURES.contains(&name.as_str()) => {
                        self.errors.push(self.ctx.error(
                            range.clone(),
                            format!("google.protobuf.FeatureSet.{name} wasn't introduced until edition 2024 and can't be used in edition 2023"),
                        ));
                        return;
                    }
                    None => {
                        self.errors.push(self.ctx.error(
                            range.clone(),
                            format!("Option \"features.{name}\" unknown."),
                        ));
                        return;
                    }
                }
            }
            Some(ext) => {
                if let Some(lang) = language(ext) {
                    if !dependencies.contains(lang.file) {
                        self.errors.push(
                            self.ctx
                                .error(
                                    range.clone(),
                                    format!("Option \"features.({ext})\" unknown. Ensure that your proto definition file imports the proto which defines the option."),
                                )
                                .with_help(format!("add `import \"{}\";`", lang.file)),
                        );
                        return;
                    }
                }
                let name = names.join(".");
                match Feature::from_language(ext, &name) {
                    Some(feature) => feature,
                    None => {
                        others.push((
                            elem.path.clone(),
                            OtherFeatureSetting {
                                name: format!("({ext}).{name}"),
                                value: value.text().to_owned(),
                                span,
                            },
                        ));
                        return;
                    }
                }
            }
        };

        let value = match value {
            OptValue::Ident(v) => v,
            _ => {
                self.errors.push(self.ctx.error(
                    range.clone(),
                    format!(
                        "Value must be identifier for enum-valued option \"{}\".",
                        feature.full_name()
                    ),
                ));
                return;
            }
        };
        if !feature.values().contains(&value.as_str()) {
            self.errors.push(
                self.ctx
                    .error(
                        range.clone(),
                        format!(
                            "Enum type \"{}\" has no value named \"{}\" for option \"{}\".",
                            feature.enum_full_name(),
                            value,
                            feature.full_name()
                        ),
                    )
                    .with_help(format!("valid values: {}", feature.values().join(", "))),
            );
            return;
        }
        if !feature.targets().contains(&elem.kind.target()) {
            self.errors.push(self.ctx.error(
                range.clone(),
                format!(
                    "Option {} cannot be set on an entity of type `{}`.",
                    feature.full_name(),
                    elem.kind.target().protoc_name()
                ),
            ));
            return;
        }
        let inserted = lifted.insert(Lifted {
            path: elem.path.clone(),
            setting: FeatureSetting {
                feature,
                value,
                span,
            },
            range: range.clone(),
        });
        if !inserted {
            self.errors.push(self.ctx.error(
                range.clone(),
                format!("Option \"features.{}\" was already set.", feature.name()),
            ));
        }
    }

    /// An edition-2024 core feature (`enforce_naming_style`, `default_symbol_visibility`): checked
    /// like the others, kept with the other features (the 2024 checks read them there).
    pub(super) fn lift_2024(
        &mut self,
        elem: &Elem,
        name: &str,
        value: OptValue,
        span: [i32; 4],
        range: &Range<usize>,
        others: &mut Vec<(Vec<i32>, OtherFeatureSetting)>,
    ) {
        let full_name = format!("google.protobuf.FeatureSet.{name}");
        let (enum_name, values) = CORE_FEATURES_2024
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(("", &[][..]), |(_, e, v)| (*e, *v));
        let message = match &value {
            OptValue::Ident(v) if values.contains(&v.as_str()) => {
                if name == "default_symbol_visibility" && elem.kind != ElemKind::File {
                    Some(format!(
                        "Option {full_name} cannot be set on an entity of type `{}`.",
                        elem.kind.target().protoc_name()
                    ))
                } else if others
                    .iter()
                    .any(|(p, s)| p == &elem.path && s.name == name)
                {
                    Some(format!("Option \"features.{name}\" was already set."))
                } else {
                    None
                }
            }
            OptValue::Ident(v) => Some(format!(
                "Enum type \"{enum_name}\" has no value named \"{v}\" for option \"{full_name}\"."
            )),
            _ => Some(format!(
                "Value must be identifier for enum-valued option \"{full_name}\"."
            )),
        };
        match message {
            Some(message) => self.errors.push(self.ctx.error(range.clone(), message)),
            None => others.push((
                elem.path.clone(),
                OtherFeatureSetting {
                    name: name.to_owned(),
                    value: value.text().to_owned(),
                    span,
                },
            )),
        }
    }
}

/// Source-info spans use 3 numbers when the span is on one line.
pub(super) fn compact_span(span: [i32; 4]) -> Vec<i32> {
    if span[0] == span[2] {
        vec![span[0], span[1], span[3]]
    } else {
        span.to_vec()
    }
}

/// The path protoc gives an interpreted `features…` option below the element's options:
/// `[features, field]`, `[features, extension, field]`, or just `[features(, extension)]`.
pub(super) fn protoc_option_path(features_tag: i32, option: &UninterpretedOption) -> Vec<i32> {
    let mut path = vec![features_tag];
    match &option.name[1..] {
        [field] if !field.is_extension => {
            if let Some(feature) = Feature::from_core(&field.name_part) {
                path.extend_from_slice(feature.number_path());
            }
        }
        [ext, rest @ ..] if ext.is_extension => {
            let ext = ext.name_part.trim_start_matches('.');
            if let Some(lang) = language(ext) {
                path.push(lang.number);
            }
            if let [field] = rest {
                if let Some(feature) = Feature::from_language(ext, &field.name_part) {
                    path = with(&[features_tag], feature.number_path());
                }
            }
        }
        _ => {}
    }
    path
}

pub(super) fn is_features_option(option: &UninterpretedOption) -> bool {
    option
        .name
        .first()
        .is_some_and(|p| !p.is_extension && p.name_part == "features")
}

pub(super) fn language(extension: &str) -> Option<&'static LanguageFeatures> {
    LANGUAGE_FEATURES.iter().find(|l| l.extension == extension)
}

/// Split a `features…` option into `(extension, field names, value)` entries, reading
/// text-format values (`features = { field_presence: IMPLICIT }`) too.
pub(super) fn feature_entries(option: &UninterpretedOption) -> Result<Vec<FeatureEntry>, String> {
    let parts = &option.name[1..];
    let value = OptValue::of(option);
    let ext_name = |p: &NamePart| p.name_part.trim_start_matches('.').to_owned();
    match parts {
        [] => match value {
            OptValue::Aggregate(text) => parse_feature_aggregate(&text, None),
            _ => Err("Value must be a message for option \"features\" (e.g. `features = { field_presence: IMPLICIT }`).".to_owned()),
        },
        [first, rest @ ..] if first.is_extension => {
            let ext = ext_name(first);
            if rest.is_empty() {
                match value {
                    OptValue::Aggregate(text) => parse_feature_aggregate(&text, Some(ext)),
                    _ => Err(format!("Value must be a message for option \"features.({ext})\".")),
                }
            } else if rest.iter().any(|p| p.is_extension) {
                Err(format!("Option \"{}\" is not supported here.", option_name(&option.name)))
            } else {
                Ok(vec![(
                    Some(ext),
                    rest.iter().map(|p| p.name_part.clone()).collect(),
                    value,
                )])
            }
        }
        [single] => Ok(vec![(None, vec![single.name_part.clone()], value)]),
        _ => Err(format!("Option \"{}\" unknown.", option_name(&option.name))),
    }
}

/// An option's name as written: `jstype`, `(acme.opt).field`.
pub(crate) fn option_name(parts: &[NamePart]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.is_extension {
                format!("({})", p.name_part)
            } else {
                p.name_part.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A small text-format reader: `name: VALUE`, `[pb.cpp] { name: VALUE }`, separators optional.
pub(super) fn parse_feature_aggregate(
    text: &str,
    extension: Option<String>,
) -> Result<Vec<FeatureEntry>, String> {
    let tokens: Vec<Tok> = Lexer::new(text).collect();
    let mut out = Vec::new();
    let mut i = 0;
    parse_aggregate_fields(text, &tokens, &mut i, extension, &mut out)?;
    if i < tokens.len() {
        return Err(format!("could not read the features value `{text}`"));
    }
    Ok(out)
}

pub(super) fn parse_aggregate_fields(
    text: &str,
    tokens: &[Tok],
    i: &mut usize,
    extension: Option<String>,
    out: &mut Vec<FeatureEntry>,
) -> Result<(), String> {
    let bad = || format!("could not read the features value `{text}`");
    while *i < tokens.len() {
        let token = tokens[*i];
        match token.kind {
            Kind::Punct(b'}' | b'>') => return Ok(()),
            Kind::Punct(b',' | b';') => {
                *i += 1;
            }
            Kind::Punct(b'[') => {
                let mut name = String::new();
                *i += 1;
                while *i < tokens.len() && !tokens[*i].is(Kind::Punct(b']')) {
                    name.push_str(tokens[*i].text(text));
                    *i += 1;
                }
                *i += 1;
                if tokens.get(*i).is_some_and(|t| t.is(Kind::Punct(b':'))) {
                    *i += 1;
                }
                let close = match tokens.get(*i).map(|t| t.kind) {
                    Some(Kind::Punct(b'{')) => b'}',
                    Some(Kind::Punct(b'<')) => b'>',
                    _ => return Err(bad()),
                };
                *i += 1;
                let ext = name.trim_start_matches('.').to_owned();
                parse_aggregate_fields(text, tokens, i, Some(ext), out)?;
                if !tokens.get(*i).is_some_and(|t| t.is(Kind::Punct(close))) {
                    return Err(bad());
                }
                *i += 1;
            }
            Kind::Ident => {
                let name = token.text(text).to_owned();
                *i += 1;
                if tokens.get(*i).is_some_and(|t| t.is(Kind::Punct(b':'))) {
                    *i += 1;
                }
                let value = tokens.get(*i).ok_or_else(bad)?;
                let value = match value.kind {
                    Kind::Ident => OptValue::Ident(value.text(text).to_owned()),
                    Kind::Punct(b'{' | b'<') => {
                        let close = matching_close(tokens, *i);
                        let end = tokens.get(close).map_or(text.len(), |t| t.end);
                        let inner = text[value.start..end].to_owned();
                        *i = close;
                        OptValue::Aggregate(inner)
                    }
                    _ => OptValue::Other(value.text(text).to_owned()),
                };
                *i += 1;
                out.push((extension.clone(), vec![name], value));
            }
            _ => return Err(bad()),
        }
    }
    Ok(())
}

/// Rewrite `prefix ++ [999, i] ++ rest` location paths to `prefix ++ renames[prefix][i] ++ rest`.
pub(super) fn remap_option_locations(
    sci: &mut SourceCodeInfo,
    renames: &HashMap<Vec<i32>, HashMap<i32, Vec<i32>>>,
) {
    if renames.is_empty() {
        return;
    }
    for location in &mut sci.location {
        let path = &location.path;
        let hit = (1..path.len().saturating_sub(1))
            .filter(|&n| path[n] == 999)
            .find_map(|n| Some((n, renames.get(&path[..n])?.get(&path[n + 1])?)));
        if let Some((n, new)) = hit {
            let mut rewritten = path[..n].to_vec();
            rewritten.extend_from_slice(new);
            rewritten.extend_from_slice(&path[n + 2..]);
            location.path = rewritten;
        }
    }
}
