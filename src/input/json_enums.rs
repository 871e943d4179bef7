//! Enum values in a JSON descriptor image, checked before decoding: prost-reflect, told to
//! ignore unknown fields (buf's `bufExtension` and the like), also drops enum values it does
//! not know, so `"type": "TYPE_NOPE"` would silently become a field of no type. protoc and buf
//! refuse such an image; so does protosync, naming the JSON path.

use prost_reflect::{Kind, MessageDescriptor};
use serde_json::Value;

/// The enums checked: a field's `type` and `label`.
const STRUCTURAL: &str = "google.protobuf.FieldDescriptorProto.";

/// Checks that every field's `type` and `label` in `value` (the JSON form of a `descriptor`
/// message) names a value of its enum (by name, or by number as the JSON mapping allows).
/// Unknown fields and option messages are skipped. The error names the JSON path
/// (`file[0].messageType[0].field[1].type`).
pub fn check(value: &Value, descriptor: &MessageDescriptor) -> Result<(), String> {
    let mut path = String::new();
    walk(value, descriptor, &mut path)
}

fn walk(value: &Value, descriptor: &MessageDescriptor, path: &mut String) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    for (key, v) in map {
        let field = descriptor
            .get_field_by_json_name(key)
            .or_else(|| descriptor.get_field_by_name(key));
        let Some(field) = field else { continue };
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        let items: Vec<(Option<usize>, &Value)> = match v {
            Value::Array(list) if field.is_list() => {
                list.iter().enumerate().map(|(i, x)| (Some(i), x)).collect()
            }
            other => vec![(None, other)],
        };
        for (i, item) in items {
            let item_len = path.len();
            if let Some(i) = i {
                path.push_str(&format!("[{i}]"));
            }
            match field.kind() {
                // Options may carry values newer than protosync's descriptor.proto (protoc
                // writes `EDITION_2026` feature defaults): they are not the schema's shape.
                Kind::Message(m) if !field.is_map() && !m.name().ends_with("Options") => {
                    walk(item, &m, path)?
                }
                // A field's type and label are the schema itself: an unknown one is garbage.
                Kind::Enum(e) if e.full_name().starts_with(STRUCTURAL) => match item {
                    Value::String(name) if e.get_value_by_name(name).is_none() => {
                        return Err(format!(
                            "{path}: unknown enum value {name:?} (not a value of {})",
                            e.full_name()
                        ));
                    }
                    Value::String(_) | Value::Number(_) | Value::Null => {}
                    other => {
                        return Err(format!(
                            "{path}: expected a value of {}, found {other}",
                            e.full_name()
                        ));
                    }
                },
                _ => {}
            }
            path.truncate(item_len);
        }
        path.truncate(len);
    }
    Ok(())
}
