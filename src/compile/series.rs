//! Compiling a series of versions of one tree (the input, then every release it is checked
//! against), each incrementally against the one before.
//!
//! A file parses to the same descriptor wherever its text appears, so parses are kept for the
//! whole series by path and text: a file that several releases share is parsed once. A file
//! with the same path and text as in the previous version, all of whose imports inside the
//! tree are unchanged too, compiles to the same thing; it is not linked again and its model is
//! the previous version's (see [`crate::model::build_incremental`]). Only what changed between
//! neighbouring versions is linked.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use prost_reflect::prost_types::FileDescriptorProto;

use super::{
    collect_parsed, finish, needed_for, parse_all, unchanged, CompileError, EditionFile,
    Incremental, SourceTree,
};

type Parse = (FileDescriptorProto, Option<EditionFile>);

/// The versions compiled so far: every parse, and the last tree.
#[derive(Default)]
pub struct Series {
    /// Path → (text, its parse), one entry per distinct text.
    parsed: HashMap<String, Vec<(Arc<str>, Parse)>>,
    last: Arc<SourceTree>,
}

impl Series {
    pub fn new() -> Series {
        Series::default()
    }

    fn get(&self, name: &str, text: &Arc<str>) -> Option<&Parse> {
        self.parsed
            .get(name)?
            .iter()
            .find(|(t, _)| Arc::ptr_eq(t, text) || **t == **text)
            .map(|(_, p)| p)
    }

    /// Compiles `tree`: only what differs from the last tree compiled (all of it the first
    /// time). `side` names the tree in errors.
    pub fn next(&mut self, tree: SourceTree, side: &str) -> Result<Incremental, Box<CompileError>> {
        let t = std::time::Instant::now();
        let fresh: Vec<(&str, &str)> = tree
            .files
            .iter()
            .filter(|(n, text)| self.get(n, text).is_none())
            .map(|(n, s)| (n.as_str(), &**s))
            .collect();
        let results = parse_all(&fresh);
        let mut failed = false;
        for ((name, _), result) in fresh.iter().zip(results) {
            match result {
                Ok(p) => {
                    let text = tree.files.get_key_value(*name).expect("a tree file").1;
                    self.parsed
                        .entry((*name).to_owned())
                        .or_default()
                        .push((text.clone(), p));
                }
                Err(_) => failed = true,
            }
        }
        super::trace(side, &format!("parse ({} new texts)", fresh.len()), t);
        if failed {
            // The whole tree compiled the ordinary way: its error carries the place.
            let compiled = super::compile(tree, side)?;
            self.last = compiled.tree.clone();
            return Ok(Incremental {
                compiled,
                unchanged: Vec::new(),
            });
        }
        let last = self.last.clone();
        let same: HashSet<&str> = tree
            .files
            .iter()
            .filter(|(n, text)| last.files.get(*n).is_some_and(|l| **l == ***text))
            .map(|(n, _)| n.as_str())
            .collect();
        let deps = |name: &str| -> Option<&Vec<String>> {
            let text = tree.files.get(name)?;
            self.get(name, text).map(|(fdp, _)| &fdp.dependency)
        };
        let mut memo: HashMap<&str, bool> = HashMap::new();
        let (mut relink, mut kept) = (Vec::new(), Vec::new());
        for name in tree.files.keys() {
            if unchanged(name, &tree, &same, &deps, &mut memo) {
                kept.push(name.clone());
            } else {
                relink.push(name.clone());
            }
        }
        let needed = needed_for(&relink, &tree, &deps);
        let parsed = collect_parsed(needed.iter().map(|name| {
            let p = self
                .get(name, &tree.files[name])
                .cloned()
                .expect("every file of the tree was parsed");
            (name.as_str(), Ok(p))
        }));
        drop(memo);
        let tree = Arc::new(tree);
        let compiled = finish(tree.clone(), parsed, Some(relink), side)?;
        self.last = tree;
        Ok(Incremental {
            compiled,
            unchanged: kept,
        })
    }
}
