//! Rules about packages (PACKAGE category): a package, or an element of it, that no file of
//! the package declares any more. Moving an element between files of a package is fine.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{q, At, Checker, RuleId as R};
use crate::model::Schema;

/// Nested name -> (file path, full name).
type ByName<'s> = HashMap<&'s str, (&'s str, &'s str)>;

#[derive(Default)]
struct Pkg<'s> {
    files: Vec<&'s str>,
    /// nested name -> (file path, full name) for messages, enums, extensions; services by name.
    messages: HashMap<&'s str, (&'s str, &'s str)>,
    enums: HashMap<&'s str, (&'s str, &'s str)>,
    extensions: HashMap<&'s str, (&'s str, &'s str)>,
    services: HashMap<&'s str, (&'s str, &'s str)>,
}

fn packages(schema: &Schema) -> BTreeMap<&str, Pkg<'_>> {
    let mut out: BTreeMap<&str, Pkg> = BTreeMap::new();
    for f in &schema.files {
        let p = out.entry(f.package.as_str()).or_default();
        p.files.push(&f.path);
        for m in &f.messages {
            p.messages.insert(&m.nested_name, (&f.path, &m.full_name));
        }
        for e in &f.enums {
            p.enums.insert(&e.nested_name, (&f.path, &e.full_name));
        }
        for x in &f.extensions {
            p.extensions.insert(&x.nested_name, (&f.path, &x.full_name));
        }
        for s in &f.services {
            p.services.insert(&s.name, (&f.path, &s.full_name));
        }
    }
    out
}

// long: one block per package-level rule; each block reads the same packages
pub(super) fn check(c: &mut Checker) {
    let any = [
        R::PACKAGE_NO_DELETE,
        R::PACKAGE_MESSAGE_NO_DELETE,
        R::PACKAGE_ENUM_NO_DELETE,
        R::PACKAGE_EXTENSION_NO_DELETE,
        R::PACKAGE_SERVICE_NO_DELETE,
    ]
    .iter()
    .any(|r| c.on(*r));
    if !any {
        return;
    }
    let (prev, cur) = (c.prev, c.cur);
    let prev_pkgs = packages(prev);
    let cur_pkgs = packages(cur);
    for (name, pp) in &prev_pkgs {
        let Some(cp) = cur_pkgs.get(name) else {
            let mut files = pp.files.clone();
            files.sort();
            c.report(
                R::PACKAGE_NO_DELETE,
                At::nowhere(),
                files.first().copied(),
                name,
                format!("Previously present package {} was deleted.", q(name)),
            );
            continue;
        };
        let kinds: [(R, &str, &ByName, &ByName); 3] = [
            (
                R::PACKAGE_MESSAGE_NO_DELETE,
                "message",
                &pp.messages,
                &cp.messages,
            ),
            (R::PACKAGE_ENUM_NO_DELETE, "enum", &pp.enums, &cp.enums),
            (
                R::PACKAGE_EXTENSION_NO_DELETE,
                "extension",
                &pp.extensions,
                &cp.extensions,
            ),
        ];
        for (rule, kind, before, after) in kinds {
            if !c.on(rule) {
                continue;
            }
            let now: HashSet<&str> = after.keys().copied().collect();
            for (nested, (path, full)) in before {
                if now.contains(nested) {
                    continue;
                }
                let at = deleted_in_package(cur, &cp.messages, path, nested);
                c.report(
                    rule,
                    at,
                    Some(path),
                    full,
                    format!(
                        "Previously present {kind} {} was deleted from package {}.",
                        q(nested),
                        q(name)
                    ),
                );
            }
        }
        if c.on(R::PACKAGE_SERVICE_NO_DELETE) {
            for (sname, (path, full)) in &pp.services {
                if cp.services.contains_key(sname) {
                    continue;
                }
                let at = match cur.file_index(path) {
                    Some(fi) => At::file(fi),
                    None => At::nowhere(),
                };
                c.report(
                    R::PACKAGE_SERVICE_NO_DELETE,
                    at,
                    Some(path),
                    full,
                    format!(
                        "Previously present service {} was deleted from package {}.",
                        q(sname),
                        q(name)
                    ),
                );
            }
        }
    }
}

/// Where a deletion from a package points: the closest enclosing message that the package
/// still declares (in whichever file it is now), else the element's previous file at 1:1 if it
/// still exists (whatever its package now), else nowhere.
fn deleted_in_package(cur: &Schema, messages: &ByName, prev_path: &str, nested: &str) -> At {
    let parts: Vec<&str> = nested.split('.').collect();
    for i in (1..parts.len()).rev() {
        let parent = parts[..i].join(".");
        if let Some((path, _)) = messages.get(parent.as_str()) {
            if let Some(fi) = cur.file_index(path) {
                if let Some(m) = cur.files[fi]
                    .messages
                    .iter()
                    .find(|m| m.nested_name == parent)
                {
                    return At::elem(fi, &m.path);
                }
            }
        }
    }
    match cur.file_index(prev_path) {
        Some(fi) => At::file(fi),
        None => At::nowhere(),
    }
}
