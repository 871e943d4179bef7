//! Linking: bundled descriptor and feature files added where the image lacks them, files
//! ordered dependencies first, and the whole set loaded into one pool.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::DescriptorPool;
use protox::file::{FileResolver, GoogleFileResolver};

use crate::compile::{Compiled, EditionFile, SourceTree};

/// Language feature files protoc ships and protox does not bundle.
pub(super) const LANGUAGE_FEATURE_FILES: &[&str] = &[
    "google/protobuf/cpp_features.proto",
    "google/protobuf/java_features.proto",
    "google/protobuf/go_features.proto",
    "google/protobuf/c_sharp_features.proto",
];

/// A `google/protobuf/*` file for an import the image lacks, and the files it imports.
pub(super) fn bundled(name: &str) -> Option<FileDescriptorProto> {
    if !name.starts_with("google/protobuf/") {
        return None;
    }
    if let Ok(file) = GoogleFileResolver::new().open_file(name) {
        return Some(file.file_descriptor_proto().clone());
    }
    LANGUAGE_FEATURE_FILES
        .contains(&name)
        .then(|| FileDescriptorProto {
            name: Some(name.to_owned()),
            package: Some("pb".to_owned()),
            syntax: Some("proto2".to_owned()),
            ..Default::default()
        })
}

// long: one linking sequence: bundled files, dependency order, the pool, errors naming the image
pub(super) fn link(
    files: Vec<(FileDescriptorProto, bool)>,
    editions: HashMap<String, EditionFile>,
    option_imports: &HashSet<String>,
    what: &str,
) -> Result<Compiled> {
    let imported: HashSet<&str> = files
        .iter()
        .flat_map(|(f, _)| f.dependency.iter().map(String::as_str))
        .chain(option_imports.iter().map(String::as_str))
        .collect();
    let targets: BTreeSet<String> = files
        .iter()
        .filter(|(f, is_import)| {
            let bundled_import =
                f.name().starts_with("google/protobuf/") && imported.contains(f.name());
            !is_import && !bundled_import
        })
        .map(|(f, _)| f.name().to_owned())
        .collect();
    if targets.is_empty() {
        bail!(
            "{what}: every file of the image is marked as an import: there is nothing to compare"
        );
    }

    // Everything by name, with stand-ins for missing well-known imports.
    let mut all: HashMap<String, FileDescriptorProto> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (f, _) in files {
        order.push(f.name().to_owned());
        all.insert(f.name().to_owned(), f);
    }
    let mut queue: Vec<(String, String)> = order
        .iter()
        .flat_map(|n| {
            all[n]
                .dependency
                .iter()
                .map(move |d| (n.clone(), d.clone()))
        })
        .collect();
    while let Some((importer, dep)) = queue.pop() {
        if all.contains_key(&dep) {
            continue;
        }
        match bundled(&dep) {
            Some(f) => {
                queue.extend(f.dependency.iter().map(|d| (dep.clone(), d.clone())));
                all.insert(dep.clone(), f);
            }
            None => bail!(
                "{what}: {importer} imports {dep}, which the image does not contain; \
                 build the image with its imports (`protoc --include_imports …`, or `buf build`)"
            ),
        }
    }

    // Dependencies first.
    let deps = |n: &str| all.get(n).map(|f| f.dependency.as_slice());
    if let Err((file, depth)) =
        crate::compile::limits::import_depth(all.keys().map(String::as_str), deps)
    {
        bail!(
            "{what}: {}",
            crate::compile::limits::import_depth_error(&file, depth)
        );
    }
    let mut names: Vec<String> = all.keys().cloned().collect();
    names.sort();
    let sorted = dependencies_first(names, &mut all, what)?;
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_protos(sorted)
        .map_err(|e| anyhow!("{what}: the image's files do not link: {e}"))?;
    Ok(Compiled {
        pool,
        targets: targets.into_iter().collect(),
        tree: Arc::new(SourceTree::default()),
        editions,
    })
}

/// Depth-first, without recursion: a file after the files it imports.
pub(super) fn dependencies_first(
    names: Vec<String>,
    all: &mut HashMap<String, FileDescriptorProto>,
    what: &str,
) -> Result<Vec<FileDescriptorProto>> {
    // false while visiting, true when done.
    let mut state: HashMap<String, bool> = HashMap::new();
    let mut sorted = Vec::with_capacity(all.len());
    for root in names {
        if state.contains_key(&root) {
            continue;
        }
        state.insert(root.clone(), false);
        let mut stack: Vec<(String, usize)> = vec![(root, 0)];
        while let Some((name, next)) = stack.last_mut() {
            let dep = all.get(name.as_str()).and_then(|f| f.dependency.get(*next));
            if let Some(dep) = dep.cloned() {
                *next += 1;
                match state.get(&dep) {
                    Some(true) => {}
                    Some(false) => bail!("{what}: import cycle through {dep}"),
                    None => {
                        state.insert(dep.clone(), false);
                        stack.push((dep, 0));
                    }
                }
                continue;
            }
            let name = name.clone();
            stack.pop();
            state.insert(name.clone(), true);
            if let Some(f) = all.remove(&name) {
                sorted.push(f);
            }
        }
    }
    Ok(sorted)
}
