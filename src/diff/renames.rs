//! Renames and moves: structural fingerprints of messages, enums, services, files and fields,
//! and the matching of deleted elements with added ones that have the same structure.
//!
//! Matching is by fingerprint bucket (a hash of the structure), never pairwise, and only among
//! the files that differ between the two sides (a file shared by both sides cannot have lost
//! or gained anything). It is conservative: a deleted element is matched only when exactly one
//! added element has its structure, or exactly one of those has its short name. Reads only
//! the schema model; also hints the breaking findings about deletions (`hint`).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::breaking::{Finding, RuleId};
use crate::model::{Enum, Field, File, Message, Schema, Service};

/// The files that differ between the two sides: (previous, current), each sorted by path.
/// A file whose model is shared by both sides (same text, same imports) is left out.
pub fn changed_files<'s>(prev: &'s Schema, cur: &'s Schema) -> (Vec<&'s File>, Vec<&'s File>) {
    let shared = |a: &Arc<File>, other: &Schema| {
        other
            .file_index(&a.path)
            .is_some_and(|i| Arc::ptr_eq(a, &other.files[i]))
    };
    let p = prev
        .files
        .iter()
        .filter(|f| !shared(f, cur))
        .map(|f| &**f)
        .collect();
    let c = cur
        .files
        .iter()
        .filter(|f| !shared(f, prev))
        .map(|f| &**f)
        .collect();
    (p, c)
}

/// The last component of a type name: references survive a move of the referenced type.
fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn hash(h: impl Hash) -> u64 {
    let mut s = DefaultHasher::new();
    h.hash(&mut s);
    s.finish()
}

/// A field's structure: number, wire kind, cardinality, referenced type's short name.
pub fn field_key(f: &Field) -> (i32, u8, u8, &str) {
    (
        f.number,
        f.kind as u8,
        f.cardinality as u8,
        short(&f.type_name),
    )
}

pub fn message_print(m: &Message) -> (u64, usize) {
    let mut fields: Vec<_> = m.fields.iter().map(field_key).collect();
    fields.sort();
    (hash(("message", &fields)), fields.len())
}

pub fn enum_print(e: &Enum) -> (u64, usize) {
    let mut values: Vec<(i32, &str)> = e.values.iter().map(|v| (v.number, &*v.name)).collect();
    values.sort();
    (hash(("enum", &values)), values.len())
}

pub fn service_print(s: &Service) -> (u64, usize) {
    let mut methods: Vec<_> = s
        .methods
        .iter()
        .map(|m| {
            (
                &*m.name,
                short(&m.input),
                short(&m.output),
                m.client_streaming,
                m.server_streaming,
            )
        })
        .collect();
    methods.sort();
    (hash(("service", &methods)), methods.len())
}

/// A file's structure: its package and the names it declares.
pub fn file_print(f: &File) -> (u64, usize) {
    let mut names: Vec<&str> = f
        .messages
        .iter()
        .filter(|m| !m.is_map_entry)
        .map(|m| &*m.full_name)
        .chain(f.enums.iter().map(|e| &*e.full_name))
        .chain(f.services.iter().map(|s| &*s.full_name))
        .chain(f.extensions.iter().map(|x| &*x.full_name))
        .collect();
    names.sort();
    (hash(("file", &f.package, &names)), names.len())
}

/// One element that exists on one side only.
#[derive(Debug, Clone)]
pub struct Candidate<'s> {
    pub name: &'s str,
    pub short: &'s str,
    pub package: &'s str,
    pub print: u64,
    /// Fields, values, RPCs or declarations: what "same structure" counted.
    pub size: usize,
}

/// Pairs deleted with added candidates of the same fingerprint; returns (deleted, added)
/// indexes. An empty structure matches only under the same short name.
pub fn pair(deleted: &[Candidate], added: &[Candidate]) -> Vec<(usize, usize)> {
    let mut buckets: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, a) in added.iter().enumerate() {
        buckets.entry(a.print).or_default().push(i);
    }
    let mut taken = vec![false; added.len()];
    let mut out = Vec::new();
    for (di, d) in deleted.iter().enumerate() {
        let Some(bucket) = buckets.get(&d.print) else {
            continue;
        };
        let free: Vec<usize> = bucket.iter().copied().filter(|&i| !taken[i]).collect();
        let same_short: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&i| added[i].short == d.short)
            .collect();
        let pick = if same_short.len() == 1 {
            Some(same_short[0])
        } else if free.len() == 1 && d.size > 0 && same_short.is_empty() {
            Some(free[0])
        } else {
            None
        };
        if let Some(i) = pick {
            taken[i] = true;
            out.push((di, i));
        }
    }
    out
}

/// Pairs fields deleted from a message with fields added to it under another number: same
/// kind, cardinality and type, preferring the same name; returns (deleted, added) indexes.
pub fn pair_fields(deleted: &[&Field], added: &[&Field]) -> Vec<(usize, usize)> {
    let key = |f: &Field| (f.kind, f.cardinality, f.type_name.clone());
    let mut taken = vec![false; added.len()];
    let mut out = Vec::new();
    for (di, d) in deleted.iter().enumerate() {
        let free: Vec<usize> = (0..added.len())
            .filter(|&i| !taken[i] && key(added[i]) == key(d))
            .collect();
        let named: Vec<usize> = free
            .iter()
            .copied()
            .filter(|&i| added[i].name == d.name)
            .collect();
        let pick = match (named.len(), free.len()) {
            (1, _) => Some(named[0]),
            (0, 1) => Some(free[0]),
            _ => None,
        };
        if let Some(i) = pick {
            taken[i] = true;
            out.push((di, i));
        }
    }
    out
}

/// What the matching found: old name -> (new name, structure size), per kind.
#[derive(Debug, Default)]
pub struct Matches {
    pub messages: HashMap<String, (String, usize)>,
    pub enums: HashMap<String, (String, usize)>,
    pub services: HashMap<String, (String, usize)>,
    /// Old path -> (new path, declarations).
    pub files: HashMap<String, (String, usize)>,
}

/// Whether `name` is nested in one of `parents` (by full name).
fn nested_in(name: &str, parents: &HashSet<&str>) -> bool {
    let mut n = name;
    while let Some((parent, _)) = n.rsplit_once('.') {
        if parents.contains(parent) {
            return true;
        }
        n = parent;
    }
    false
}

/// Matches one kind of element between the candidates of each side.
fn match_kind<'s>(
    prev: Vec<Candidate<'s>>,
    cur: Vec<Candidate<'s>>,
) -> HashMap<String, (String, usize)> {
    let now: HashSet<&str> = cur.iter().map(|c| c.name).collect();
    let before: HashSet<&str> = prev.iter().map(|c| c.name).collect();
    let deleted_all: HashSet<&str> = before.difference(&now).copied().collect();
    let added_all: HashSet<&str> = now.difference(&before).copied().collect();
    // Nested elements follow their parent; only the outermost deleted ones are matched here.
    let deleted: Vec<Candidate> = prev
        .into_iter()
        .filter(|c| deleted_all.contains(c.name) && !nested_in(c.name, &deleted_all))
        .collect();
    let added: Vec<Candidate> = cur
        .into_iter()
        .filter(|c| added_all.contains(c.name) && !nested_in(c.name, &added_all))
        .collect();
    pair(&deleted, &added)
        .into_iter()
        .map(|(d, a)| {
            (
                deleted[d].name.to_owned(),
                (added[a].name.to_owned(), deleted[d].size),
            )
        })
        .collect()
}

/// Finds the renamed and moved messages, enums, services and files between two schemas.
pub fn find(prev: &Schema, cur: &Schema) -> Matches {
    let (pf, cf) = changed_files(prev, cur);
    let before: HashSet<&str> = prev.files.iter().map(|f| &*f.path).collect();
    let now: HashSet<&str> = cur.files.iter().map(|f| &*f.path).collect();
    let deleted: Vec<Candidate> = file_candidates(&pf)
        .into_iter()
        .filter(|c| !now.contains(c.name))
        .collect();
    let added: Vec<Candidate> = file_candidates(&cf)
        .into_iter()
        .filter(|c| !before.contains(c.name))
        .collect();
    let files = pair(&deleted, &added)
        .into_iter()
        .map(|(d, a)| {
            (
                deleted[d].name.to_owned(),
                (added[a].name.to_owned(), deleted[d].size),
            )
        })
        .collect();
    Matches {
        messages: match_kind(message_candidates(&pf), message_candidates(&cf)),
        enums: match_kind(enum_candidates(&pf), enum_candidates(&cf)),
        services: match_kind(service_candidates(&pf), service_candidates(&cf)),
        files,
    }
}

fn message_candidates<'s>(files: &[&'s File]) -> Vec<Candidate<'s>> {
    files
        .iter()
        .flat_map(|f| {
            f.messages.iter().filter(|m| !m.is_map_entry).map(|m| {
                let (print, size) = message_print(m);
                Candidate {
                    name: &m.full_name,
                    short: &m.name,
                    package: &f.package,
                    print,
                    size,
                }
            })
        })
        .collect()
}

fn enum_candidates<'s>(files: &[&'s File]) -> Vec<Candidate<'s>> {
    files
        .iter()
        .flat_map(|f| {
            f.enums.iter().map(|e| {
                let (print, size) = enum_print(e);
                Candidate {
                    name: &e.full_name,
                    short: &e.name,
                    package: &f.package,
                    print,
                    size,
                }
            })
        })
        .collect()
}

fn service_candidates<'s>(files: &[&'s File]) -> Vec<Candidate<'s>> {
    files
        .iter()
        .flat_map(|f| {
            f.services.iter().map(|s| {
                let (print, size) = service_print(s);
                Candidate {
                    name: &s.full_name,
                    short: &s.name,
                    package: &f.package,
                    print,
                    size,
                }
            })
        })
        .collect()
}

fn file_candidates<'s>(files: &[&'s File]) -> Vec<Candidate<'s>> {
    files
        .iter()
        .map(|f| {
            let (print, size) = file_print(f);
            Candidate {
                name: &f.path,
                short: f.path.rsplit('/').next().unwrap_or(&f.path),
                package: &f.package,
                print,
                size,
            }
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Adds a `hint` to the findings about deleted elements that look renamed or moved.
/// Costs nothing when no finding is about a deletion.
pub fn hint(prev: &Schema, cur: &Schema, findings: &mut [Finding]) {
    use RuleId as R;
    let deletion = |r: RuleId| {
        matches!(
            r,
            R::FILE_NO_DELETE
                | R::MESSAGE_NO_DELETE
                | R::PACKAGE_MESSAGE_NO_DELETE
                | R::ENUM_NO_DELETE
                | R::PACKAGE_ENUM_NO_DELETE
                | R::SERVICE_NO_DELETE
                | R::PACKAGE_SERVICE_NO_DELETE
                | R::FIELD_NO_DELETE
                | R::FIELD_NO_DELETE_UNLESS_NAME_RESERVED
                | R::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED
        )
    };
    if !findings.iter().any(|f| deletion(f.rule)) {
        return;
    }
    let m = find(prev, cur);
    // Where each current message, enum and service is declared (for moves between files).
    let mut declared: HashMap<&str, &str> = HashMap::new();
    let (_, cf) = changed_files(prev, cur);
    for f in &cf {
        for n in f
            .messages
            .iter()
            .map(|m| &*m.full_name)
            .chain(f.enums.iter().map(|e| &*e.full_name))
            .chain(f.services.iter().map(|s| &*s.full_name))
        {
            declared.insert(n, &f.path);
        }
    }
    let renamed = |table: &HashMap<String, (String, usize)>, el: &str, what: (&str, &str)| {
        table.get(el).map(|(to, n)| {
            let verb = if short(to) == short(el) {
                "moved"
            } else {
                "renamed"
            };
            format!(
                "looks {verb} to `{to}`: same {}",
                plural(*n, what.0, what.1)
            )
        })
    };
    let mut field_hints: Option<HashMap<String, String>> = None;
    for f in findings.iter_mut().filter(|f| deletion(f.rule)) {
        let el = f.element.as_str();
        f.hint = match f.rule {
            R::FILE_NO_DELETE => m.files.get(el).map(|(to, n)| {
                format!(
                    "looks renamed to `{to}`: same package and {}",
                    plural(*n, "declaration", "declarations")
                )
            }),
            R::MESSAGE_NO_DELETE | R::PACKAGE_MESSAGE_NO_DELETE => {
                renamed(&m.messages, el, ("field", "fields")).or_else(|| moved_file(&declared, f))
            }
            R::ENUM_NO_DELETE | R::PACKAGE_ENUM_NO_DELETE => {
                renamed(&m.enums, el, ("value", "values")).or_else(|| moved_file(&declared, f))
            }
            R::SERVICE_NO_DELETE | R::PACKAGE_SERVICE_NO_DELETE => {
                renamed(&m.services, el, ("RPC", "RPCs")).or_else(|| moved_file(&declared, f))
            }
            _ => field_hints
                .get_or_insert_with(|| renumbered(prev, cur))
                .get(el)
                .cloned(),
        };
    }
}

/// A FILE-category deletion of an element that the current side declares in another file.
fn moved_file(declared: &HashMap<&str, &str>, f: &Finding) -> Option<String> {
    let to = declared.get(f.element.as_str())?;
    (Some(*to) != f.against_path.as_deref()).then(|| format!("moved to file `{to}`"))
}

/// Deleted field full name -> hint, for fields that look renumbered in messages of both sides.
fn renumbered(prev: &Schema, cur: &Schema) -> HashMap<String, String> {
    let (pf, cf) = changed_files(prev, cur);
    let now: HashMap<&str, &Message> = cf
        .iter()
        .flat_map(|f| f.messages.iter().map(|m| (&*m.full_name, m)))
        .collect();
    let mut out = HashMap::new();
    for pm in pf.iter().flat_map(|f| f.messages.iter()) {
        let Some(cm) = now.get(&*pm.full_name) else {
            continue;
        };
        let (deleted, added) = field_sides(pm, cm);
        for (d, a) in pair_fields(&deleted, &added) {
            let (d, a) = (deleted[d], added[a]);
            out.insert(
                d.full_name.clone(),
                format!(
                    "looks renumbered to `{}` = {}: same type {}",
                    a.name,
                    a.number,
                    type_text(a)
                ),
            );
        }
    }
    out
}

/// The fields only the previous message has (by number), and those only the current one has.
pub fn field_sides<'m>(pm: &'m Message, cm: &'m Message) -> (Vec<&'m Field>, Vec<&'m Field>) {
    let pn: HashSet<i32> = pm.fields.iter().map(|f| f.number).collect();
    let cn: HashSet<i32> = cm.fields.iter().map(|f| f.number).collect();
    (
        pm.fields
            .iter()
            .filter(|f| !cn.contains(&f.number))
            .collect(),
        cm.fields
            .iter()
            .filter(|f| !pn.contains(&f.number))
            .collect(),
    )
}

/// `int32`, `acme.v1.Money`: a field's type as written (message and enum types by name).
pub fn type_text(f: &Field) -> String {
    if f.type_name.is_empty() {
        f.kind.name().to_owned()
    } else {
        f.type_name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<'a>(name: &'a str, print: u64, size: usize) -> Candidate<'a> {
        Candidate {
            name,
            short: name.rsplit('.').next().unwrap(),
            package: name.rsplit_once('.').map_or("", |(p, _)| p),
            print,
            size,
        }
    }

    #[test]
    fn matching_is_one_to_one_and_refuses_ambiguity() {
        // One candidate with the structure: matched.
        assert_eq!(
            pair(&[c("a.Invoice", 1, 3)], &[c("a.Bill", 1, 3)]),
            [(0, 0)]
        );
        // Two with it and neither with the short name: ambiguous, nothing matched.
        assert!(pair(
            &[c("a.Invoice", 1, 3)],
            &[c("a.Bill", 1, 3), c("a.Note", 1, 3)]
        )
        .is_empty());
        // Two with it, one with the short name (a move): that one.
        assert_eq!(
            pair(
                &[c("a.Money", 1, 3)],
                &[c("b.Other", 1, 3), c("b.Money", 1, 3)]
            ),
            [(0, 1)]
        );
        // Empty structures only match under the same short name.
        assert!(pair(&[c("a.Empty", 7, 0)], &[c("a.Nothing", 7, 0)]).is_empty());
        assert_eq!(pair(&[c("a.Empty", 7, 0)], &[c("b.Empty", 7, 0)]), [(0, 0)]);
        // An added element is taken once.
        assert_eq!(
            pair(&[c("a.X", 1, 2), c("b.X", 1, 2)], &[c("c.X", 1, 2)]),
            [(0, 0)]
        );
        // Another structure never matches.
        assert!(pair(&[c("a.Invoice", 1, 3)], &[c("a.Bill", 2, 3)]).is_empty());
    }
}
