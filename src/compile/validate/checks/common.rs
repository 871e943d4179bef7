//! Readers both `messages` and `fields` use: typed values of option messages, the extension
//! declarations of an extension range, and the scalar type names.

use prost_reflect::{DynamicMessage, Value};

#[derive(Debug, Clone, Default)]
pub(super) struct Declaration {
    pub(super) number: i32,
    pub(super) full_name: Option<String>,
    pub(super) type_name: Option<String>,
    pub(super) reserved: bool,
    pub(super) repeated: bool,
}

pub(super) fn declarations_of(options: &DynamicMessage) -> Vec<Declaration> {
    let Some(value) = options.get_field_by_name("declaration") else {
        return Vec::new();
    };
    let Value::List(items) = value.as_ref() else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|v| match v {
            Value::Message(d) => Some(Declaration {
                number: match d.get_field_by_name("number").as_deref() {
                    Some(Value::I32(n)) => *n,
                    _ => 0,
                },
                full_name: d
                    .has_field_by_name("full_name")
                    .then(|| string_field(d, "full_name")),
                type_name: d.has_field_by_name("type").then(|| string_field(d, "type")),
                reserved: bool_field(d, "reserved"),
                repeated: bool_field(d, "repeated"),
            }),
            _ => None,
        })
        .collect()
}

pub(super) fn string_field(m: &DynamicMessage, name: &str) -> String {
    match m.get_field_by_name(name).as_deref() {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

pub(super) fn bool_field(m: &DynamicMessage, name: &str) -> bool {
    matches!(
        m.get_field_by_name(name).as_deref(),
        Some(Value::Bool(true))
    )
}

pub(super) fn enum_number(m: &DynamicMessage, name: &str) -> Option<i32> {
    match m.get_field_by_name(name).as_deref() {
        Some(Value::EnumNumber(n)) => Some(*n),
        _ => None,
    }
}

pub(super) const SCALAR_NAMES: &[&str] = &[
    "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string", "bytes",
    "uint32", "sfixed32", "sfixed64", "sint32", "sint64",
];

pub(super) fn is_scalar_type_name(name: &str) -> bool {
    SCALAR_NAMES.contains(&name)
}
