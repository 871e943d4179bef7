//! Dropping imports of protoc's language feature files (`cpp_features.proto`, …) that nothing
//! in the lowered file refers to any more (protox does not bundle them).

use std::collections::HashMap;

use prost_reflect::prost_types::FileDescriptorProto;

use super::elements::{elem_ref, uninterpreted, walk, ElemRef};

use super::features::{LanguageFeatures, LANGUAGE_FEATURES};

/// Drop imports of protoc's language feature files that nothing uses any more.
pub(super) fn drop_feature_imports(file: &mut FileDescriptorProto) -> Vec<String> {
    let mut dropped = Vec::new();
    for lang in &LANGUAGE_FEATURES {
        let Some(index) = file.dependency.iter().position(|d| d == lang.file) else {
            continue;
        };
        if still_referenced(file, lang) {
            continue;
        }
        remove_dependency(file, index);
        dropped.push(lang.file.to_owned());
    }
    dropped
}

pub(super) fn still_referenced(file: &FileDescriptorProto, lang: &LanguageFeatures) -> bool {
    let refers = |name: &str| name.contains(lang.message);
    for elem in walk(file) {
        let Some(r) = elem_ref(file, &elem.path) else {
            continue;
        };
        let option_uses = uninterpreted(r).iter().any(|o| {
            o.name
                .iter()
                .any(|p| p.is_extension && p.name_part.trim_start_matches('.') == lang.extension)
                || o.aggregate_value
                    .as_deref()
                    .is_some_and(|a| a.contains(lang.extension))
        });
        if option_uses {
            return true;
        }
        match r {
            ElemRef::Field(f) if refers(f.type_name()) || refers(f.extendee()) => return true,
            ElemRef::Method(m) if refers(m.input_type()) || refers(m.output_type()) => return true,
            _ => {}
        }
    }
    false
}

pub(super) fn remove_dependency(file: &mut FileDescriptorProto, index: usize) {
    let index = index as i32;
    file.dependency.remove(index as usize);
    let renumber_list = |list: &mut Vec<i32>| -> HashMap<i32, Option<i32>> {
        let mut moves = HashMap::new();
        let mut kept = Vec::new();
        for (k, &dep) in list.iter().enumerate() {
            if dep == index {
                moves.insert(k as i32, None);
            } else {
                moves.insert(k as i32, Some(kept.len() as i32));
                kept.push(if dep > index { dep - 1 } else { dep });
            }
        }
        *list = kept;
        moves
    };
    let public_moves = renumber_list(&mut file.public_dependency);
    let weak_moves = renumber_list(&mut file.weak_dependency);
    if let Some(sci) = file.source_code_info.as_mut() {
        sci.location.retain_mut(|location| {
            let path = &mut location.path;
            if path.len() < 2 {
                return true;
            }
            match path[0] {
                3 if path[1] == index => false,
                3 if path[1] > index => {
                    path[1] -= 1;
                    true
                }
                10 | 11 => {
                    let moves = if path[0] == 10 {
                        &public_moves
                    } else {
                        &weak_moves
                    };
                    match moves.get(&path[1]) {
                        Some(Some(new)) => {
                            path[1] = *new;
                            true
                        }
                        Some(None) => false,
                        None => true,
                    }
                }
                _ => true,
            }
        });
    }
}
