//! Descriptor navigation: every element of a parsed file with its descriptor path, access to
//! its options by path, and the file's own types for field-type lookups.

use std::collections::HashMap;

use prost_reflect::prost_types::descriptor_proto::ExtensionRange;
use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MethodDescriptorProto, OneofDescriptorProto, ServiceDescriptorProto,
    UninterpretedOption,
};

use super::features::Target;

// ---------------------------------------------------------------------------------------------
// Descriptor navigation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ElemKind {
    File,
    Message,
    Field,
    Extension,
    Oneof,
    Enum,
    EnumValue,
    Service,
    Method,
    ExtensionRange,
}

impl ElemKind {
    pub(super) fn target(self) -> Target {
        match self {
            ElemKind::File => Target::File,
            ElemKind::Message => Target::Message,
            ElemKind::Field | ElemKind::Extension => Target::Field,
            ElemKind::Oneof => Target::Oneof,
            ElemKind::Enum => Target::Enum,
            ElemKind::EnumValue => Target::EnumEntry,
            ElemKind::Service => Target::Service,
            ElemKind::Method => Target::Method,
            ElemKind::ExtensionRange => Target::ExtensionRange,
        }
    }

    /// (field number of `options` in the element, field number of `features` in the options).
    pub(super) fn option_tags(self) -> (i32, i32) {
        match self {
            ElemKind::File => (8, 50),
            ElemKind::Message => (7, 12),
            ElemKind::Field | ElemKind::Extension => (8, 21),
            ElemKind::Oneof => (2, 1),
            ElemKind::Enum => (3, 7),
            ElemKind::EnumValue => (3, 2),
            ElemKind::Service => (3, 34),
            ElemKind::Method => (4, 35),
            ElemKind::ExtensionRange => (3, 50),
        }
    }
}

pub(super) struct Elem {
    pub(super) path: Vec<i32>,
    pub(super) kind: ElemKind,
    /// Full name of the enclosing scope (package or message) for fields and extensions; full
    /// name of the element for messages and enums.
    pub(super) scope: String,
}

pub(super) fn join_name(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

pub(super) fn with(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

/// Every element of the file that can carry options, in declaration order.
// long: one walk over every element kind that carries options; splitting scatters the path numbering
pub(super) fn walk(file: &FileDescriptorProto) -> Vec<Elem> {
    fn message(out: &mut Vec<Elem>, m: &DescriptorProto, path: Vec<i32>, parent: &str) {
        let full = join_name(parent, m.name());
        for (k, _) in m.field.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[2, k as i32]),
                kind: ElemKind::Field,
                scope: full.clone(),
            });
        }
        for (k, _) in m.extension.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[6, k as i32]),
                kind: ElemKind::Extension,
                scope: full.clone(),
            });
        }
        for (k, _) in m.oneof_decl.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[8, k as i32]),
                kind: ElemKind::Oneof,
                scope: full.clone(),
            });
        }
        for (k, _) in m.extension_range.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[5, k as i32]),
                kind: ElemKind::ExtensionRange,
                scope: full.clone(),
            });
        }
        for (k, e) in m.enum_type.iter().enumerate() {
            enumeration(out, e, with(&path, &[4, k as i32]), &full);
        }
        for (k, nested) in m.nested_type.iter().enumerate() {
            message(out, nested, with(&path, &[3, k as i32]), &full);
        }
        out.push(Elem {
            path,
            kind: ElemKind::Message,
            scope: full,
        });
    }
    fn enumeration(out: &mut Vec<Elem>, e: &EnumDescriptorProto, path: Vec<i32>, parent: &str) {
        for (k, _) in e.value.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[2, k as i32]),
                kind: ElemKind::EnumValue,
                scope: parent.to_owned(),
            });
        }
        out.push(Elem {
            path,
            kind: ElemKind::Enum,
            scope: join_name(parent, e.name()),
        });
    }

    let package = file.package().to_owned();
    let mut out = vec![Elem {
        path: Vec::new(),
        kind: ElemKind::File,
        scope: package.clone(),
    }];
    for (i, m) in file.message_type.iter().enumerate() {
        message(&mut out, m, vec![4, i as i32], &package);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        enumeration(&mut out, e, vec![5, i as i32], &package);
    }
    for (i, s) in file.service.iter().enumerate() {
        out.push(Elem {
            path: vec![6, i as i32],
            kind: ElemKind::Service,
            scope: package.clone(),
        });
        for (k, _) in s.method.iter().enumerate() {
            out.push(Elem {
                path: vec![6, i as i32, 2, k as i32],
                kind: ElemKind::Method,
                scope: package.clone(),
            });
        }
    }
    for (i, _) in file.extension.iter().enumerate() {
        out.push(Elem {
            path: vec![7, i as i32],
            kind: ElemKind::Extension,
            scope: package.clone(),
        });
    }
    out
}

#[derive(Clone, Copy)]
pub(super) enum ElemRef<'a> {
    File(&'a FileDescriptorProto),
    Message(&'a DescriptorProto),
    Field(&'a FieldDescriptorProto),
    Oneof(&'a OneofDescriptorProto),
    Enum(&'a EnumDescriptorProto),
    EnumValue(&'a EnumValueDescriptorProto),
    Service(&'a ServiceDescriptorProto),
    Method(&'a MethodDescriptorProto),
    ExtensionRange(&'a ExtensionRange),
}

pub(super) fn elem_ref<'a>(file: &'a FileDescriptorProto, path: &[i32]) -> Option<ElemRef<'a>> {
    let mut cur = ElemRef::File(file);
    for pair in path.chunks(2) {
        let [tag, index] = *pair else { return None };
        let i = usize::try_from(index).ok()?;
        cur = match (cur, tag) {
            (ElemRef::File(f), 4) => ElemRef::Message(f.message_type.get(i)?),
            (ElemRef::File(f), 5) => ElemRef::Enum(f.enum_type.get(i)?),
            (ElemRef::File(f), 6) => ElemRef::Service(f.service.get(i)?),
            (ElemRef::File(f), 7) => ElemRef::Field(f.extension.get(i)?),
            (ElemRef::Message(m), 2) => ElemRef::Field(m.field.get(i)?),
            (ElemRef::Message(m), 6) => ElemRef::Field(m.extension.get(i)?),
            (ElemRef::Message(m), 3) => ElemRef::Message(m.nested_type.get(i)?),
            (ElemRef::Message(m), 4) => ElemRef::Enum(m.enum_type.get(i)?),
            (ElemRef::Message(m), 8) => ElemRef::Oneof(m.oneof_decl.get(i)?),
            (ElemRef::Message(m), 5) => ElemRef::ExtensionRange(m.extension_range.get(i)?),
            (ElemRef::Enum(e), 2) => ElemRef::EnumValue(e.value.get(i)?),
            (ElemRef::Service(s), 2) => ElemRef::Method(s.method.get(i)?),
            _ => return None,
        };
    }
    Some(cur)
}

pub(super) enum ElemMut<'a> {
    File(&'a mut FileDescriptorProto),
    Message(&'a mut DescriptorProto),
    Field(&'a mut FieldDescriptorProto),
    Oneof(&'a mut OneofDescriptorProto),
    Enum(&'a mut EnumDescriptorProto),
    EnumValue(&'a mut EnumValueDescriptorProto),
    Service(&'a mut ServiceDescriptorProto),
    Method(&'a mut MethodDescriptorProto),
    ExtensionRange(&'a mut ExtensionRange),
}

pub(super) fn elem_mut<'a>(file: &'a mut FileDescriptorProto, path: &[i32]) -> Option<ElemMut<'a>> {
    let mut cur = ElemMut::File(file);
    for pair in path.chunks(2) {
        let [tag, index] = *pair else { return None };
        let i = usize::try_from(index).ok()?;
        cur = match (cur, tag) {
            (ElemMut::File(f), 4) => ElemMut::Message(f.message_type.get_mut(i)?),
            (ElemMut::File(f), 5) => ElemMut::Enum(f.enum_type.get_mut(i)?),
            (ElemMut::File(f), 6) => ElemMut::Service(f.service.get_mut(i)?),
            (ElemMut::File(f), 7) => ElemMut::Field(f.extension.get_mut(i)?),
            (ElemMut::Message(m), 2) => ElemMut::Field(m.field.get_mut(i)?),
            (ElemMut::Message(m), 6) => ElemMut::Field(m.extension.get_mut(i)?),
            (ElemMut::Message(m), 3) => ElemMut::Message(m.nested_type.get_mut(i)?),
            (ElemMut::Message(m), 4) => ElemMut::Enum(m.enum_type.get_mut(i)?),
            (ElemMut::Message(m), 8) => ElemMut::Oneof(m.oneof_decl.get_mut(i)?),
            (ElemMut::Message(m), 5) => ElemMut::ExtensionRange(m.extension_range.get_mut(i)?),
            (ElemMut::Enum(e), 2) => ElemMut::EnumValue(e.value.get_mut(i)?),
            (ElemMut::Service(s), 2) => ElemMut::Method(s.method.get_mut(i)?),
            _ => return None,
        };
    }
    Some(cur)
}

pub(super) fn uninterpreted(elem: ElemRef<'_>) -> &[UninterpretedOption] {
    macro_rules! get {
        ($x:expr) => {
            $x.options
                .as_ref()
                .map_or(&[][..], |o| o.uninterpreted_option.as_slice())
        };
    }
    match elem {
        ElemRef::File(x) => get!(x),
        ElemRef::Message(x) => get!(x),
        ElemRef::Field(x) => get!(x),
        ElemRef::Oneof(x) => get!(x),
        ElemRef::Enum(x) => get!(x),
        ElemRef::EnumValue(x) => get!(x),
        ElemRef::Service(x) => get!(x),
        ElemRef::Method(x) => get!(x),
        ElemRef::ExtensionRange(x) => get!(x),
    }
}

/// Replace the uninterpreted options of an element; options left empty become `None`.
pub(super) fn set_uninterpreted(elem: ElemMut<'_>, kept: Vec<UninterpretedOption>) {
    macro_rules! set {
        ($x:expr) => {{
            if let Some(options) = $x.options.as_mut() {
                options.uninterpreted_option = kept;
                if *options == Default::default() {
                    $x.options = None;
                }
            }
        }};
    }
    match elem {
        ElemMut::File(x) => set!(x),
        ElemMut::Message(x) => set!(x),
        ElemMut::Field(x) => set!(x),
        ElemMut::Oneof(x) => set!(x),
        ElemMut::Enum(x) => set!(x),
        ElemMut::EnumValue(x) => set!(x),
        ElemMut::Service(x) => set!(x),
        ElemMut::Method(x) => set!(x),
        ElemMut::ExtensionRange(x) => set!(x),
    }
}

/// The element, then (for oneof fields) its oneof, then each enclosing element up to the file.
pub(super) fn feature_chain(file: &FileDescriptorProto, path: &[i32]) -> Vec<Vec<i32>> {
    let mut chain = vec![path.to_vec()];
    if path.len() >= 4 && path[path.len() - 2] == 2 {
        let parent = &path[..path.len() - 2];
        if let (Some(ElemRef::Message(_)), Some(ElemRef::Field(field))) =
            (elem_ref(file, parent), elem_ref(file, path))
        {
            if let (Some(oneof), false) = (field.oneof_index, field.proto3_optional()) {
                chain.push(with(parent, &[8, oneof]));
            }
        }
    }
    let mut p = path;
    while p.len() >= 2 {
        p = &p[..p.len() - 2];
        chain.push(p.to_vec());
    }
    chain
}

/// Messages and enums defined in this file, by full name (no leading dot).
pub(super) struct TypeIndex {
    pub(super) types: HashMap<String, LocalType>,
}

#[derive(Debug, Clone)]
pub(super) enum LocalType {
    Message { map_entry: bool },
    Enum { path: Vec<i32> },
}

impl TypeIndex {
    pub(super) fn new(file: &FileDescriptorProto) -> Self {
        let mut types = HashMap::new();
        for elem in walk(file) {
            match elem.kind {
                ElemKind::Message => {
                    let map_entry = matches!(
                        elem_ref(file, &elem.path),
                        Some(ElemRef::Message(m)) if m.options.as_ref().and_then(|o| o.map_entry) == Some(true)
                    );
                    types.insert(elem.scope, LocalType::Message { map_entry });
                }
                ElemKind::Enum => {
                    types.insert(elem.scope, LocalType::Enum { path: elem.path });
                }
                _ => {}
            }
        }
        TypeIndex { types }
    }

    /// Best-effort resolution of `name` seen from `scope`, within this file only.
    pub(super) fn resolve(&self, scope: &str, name: &str) -> Option<&LocalType> {
        if let Some(absolute) = name.strip_prefix('.') {
            return self.types.get(absolute);
        }
        let mut scope = scope.to_owned();
        loop {
            if let Some(found) = self.types.get(&join_name(&scope, name)) {
                return Some(found);
            }
            if scope.is_empty() {
                return None;
            }
            scope = scope
                .rsplit_once('.')
                .map_or(String::new(), |(p, _)| p.to_owned());
        }
    }
}

/// What a field's type is, as far as this file tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FieldType {
    Scalar(Type),
    Message,
    Map,
    Enum(Vec<i32>),
    Unknown,
}

pub(super) fn field_type(
    field: &FieldDescriptorProto,
    scope: &str,
    types: &TypeIndex,
) -> FieldType {
    match field.r#type.and_then(|t| Type::try_from(t).ok()) {
        Some(Type::Message | Type::Group) | None => match types.resolve(scope, field.type_name()) {
            Some(LocalType::Message { map_entry: true }) if field.label() == Label::Repeated => {
                FieldType::Map
            }
            Some(LocalType::Message { .. }) => FieldType::Message,
            Some(LocalType::Enum { path }) => FieldType::Enum(path.clone()),
            None => FieldType::Unknown,
        },
        Some(Type::Enum) => FieldType::Unknown,
        Some(scalar) => FieldType::Scalar(scalar),
    }
}
