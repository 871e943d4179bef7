//! Pairs the elements of two schemas and emits every change between them: files by path,
//! messages, enums and services by full name (then renames and moves by structure), fields and
//! enum values by number, RPCs and oneofs by name, extensions by (extendee, number); comments,
//! written options and imports of files whose text differs; `formatting` for a file whose text
//! differs and nothing else does.
//!
//! Only the files that differ between the sides are walked (a file shared by both sides has no
//! change). Positions are resolved at the end, for the files that have changes.

mod enums;
mod services;

use std::collections::{BTreeMap, HashMap, HashSet};

use super::changes::{Change, Kind as K};
use super::renames::{self, Matches};
use crate::model::{
    Cardinality, DefaultValue, Enum, Field, File, Kind as FieldKind, Message, Schema, Service, Span,
};

/// Where a change points before positions are resolved.
enum Place<'s> {
    None,
    File(&'s File),
    Elem(&'s File, Vec<i32>),
    FileOption(&'s File, i32, &'static str),
}

/// Compared file options: (number in FileOptions, name), as the FILE_SAME_* rules read them.
const FILE_OPTIONS: &[(i32, &str)] = &[
    (1, "java_package"),
    (8, "java_outer_classname"),
    (9, "optimize_for"),
    (10, "java_multiple_files"),
    (11, "go_package"),
    (16, "cc_generic_services"),
    (17, "java_generic_services"),
    (18, "py_generic_services"),
    (31, "cc_enable_arenas"),
    (36, "objc_class_prefix"),
    (37, "csharp_namespace"),
    (39, "swift_prefix"),
    (40, "php_class_prefix"),
    (41, "php_namespace"),
    (44, "php_metadata_namespace"),
    (45, "ruby_package"),
];

struct Walk<'s> {
    out: Vec<(Change, Place<'s>)>,
    /// Full names of messages (map entries included) per side, for map field types.
    prev_msgs: HashMap<&'s str, (&'s File, &'s Message)>,
    cur_msgs: HashMap<&'s str, (&'s File, &'s Message)>,
    /// (previous path, current path) of renamed files.
    renamed_files: HashSet<(&'s str, &'s str)>,
}

/// Whether two files' texts (hence comments, written options, imports) may differ.
fn texts_differ(a: &File, b: &File) -> bool {
    if std::ptr::eq(a, b) {
        return false;
    }
    match (a.spans.text(), b.spans.text()) {
        (Some(x), Some(y)) => x != y,
        _ => true,
    }
}

fn normalize(comment: Option<&str>) -> String {
    comment
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn options_of(file: &File, path: &[i32], skip: &[&str]) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in file.spans.written_options(path) {
        if skip.contains(&name.as_str()) {
            continue;
        }
        out.entry(name.clone())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    out
}

fn ranges(r: &[(i64, i64)]) -> Vec<String> {
    r.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else if *b >= 536_870_911 {
                format!("{a} to max")
            } else {
                format!("{a} to {b}")
            }
        })
        .collect()
}

fn default_text(d: &Option<DefaultValue>) -> String {
    match d {
        None => "(none)".to_owned(),
        Some(DefaultValue::Text(b, _)) => format!("{:?}", String::from_utf8_lossy(b)),
        Some(DefaultValue::Bool(b)) => b.to_string(),
        Some(DefaultValue::I64(i)) => i.to_string(),
        Some(DefaultValue::U64(u)) => u.to_string(),
        Some(DefaultValue::F32(f)) => f.to_string(),
        Some(DefaultValue::F64(f)) => f.to_string(),
        Some(DefaultValue::Enum(_, n)) => n.clone(),
    }
}

/// A default that is its type's zero value (what proto3 fields and unset defaults hold).
fn zero(f: &Field) -> bool {
    match &f.default {
        Some(DefaultValue::Text(b, _)) => b.is_empty(),
        Some(DefaultValue::Bool(b)) => !b,
        Some(DefaultValue::I64(i)) => *i == 0,
        Some(DefaultValue::U64(u)) => *u == 0,
        Some(DefaultValue::F32(x)) => x.to_bits() == 0,
        Some(DefaultValue::F64(x)) => x.to_bits() == 0,
        Some(DefaultValue::Enum(n, _)) => *n == 0,
        None => true,
    }
}

/// The names of two indexes of one element kind: on both sides (sorted), only before (sorted),
/// only now.
fn split_names<'a, T>(
    before: &HashMap<&'a str, T>,
    now: &HashMap<&'a str, T>,
) -> (Vec<&'a str>, Vec<&'a str>, HashSet<&'a str>) {
    let mut names: Vec<&'a str> = before.keys().copied().collect();
    names.sort_unstable();
    let (both, deleted) = names.into_iter().partition(|n| now.contains_key(n));
    let added = now
        .keys()
        .copied()
        .filter(|n| !before.contains_key(n))
        .collect();
    (both, deleted, added)
}

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

/// Pairs the deleted names with added ones: by the matches found by structure (outermost
/// elements), then nested elements of matched parents by their relative name.
fn pair_names<'s>(
    deleted: &[&'s str],
    added: &HashSet<&'s str>,
    matched: &HashMap<String, (String, usize)>,
    parents: &[(String, String)],
) -> Vec<(&'s str, &'s str, bool)> {
    let mut out = Vec::new();
    let mut used: HashSet<&str> = HashSet::new();
    for &d in deleted {
        if let Some((to, _)) = matched.get(d) {
            if let Some(&a) = added.get(to.as_str()) {
                if used.insert(a) {
                    out.push((d, a, true));
                }
            }
            continue;
        }
        // A nested element of a renamed or moved parent: same relative name under the new one.
        let derived = parents.iter().find_map(|(from, to)| {
            let rest = d.strip_prefix(from.as_str())?.strip_prefix('.')?;
            added.get(format!("{to}.{rest}").as_str()).copied()
        });
        if let Some(a) = derived {
            if used.insert(a) {
                out.push((d, a, false));
            }
        }
    }
    out
}

pub(crate) fn walk(prev: &Schema, cur: &Schema) -> Vec<Change> {
    let (pf, cf) = renames::changed_files(prev, cur);
    let matches = renames::find(prev, cur);
    // Parse again (for comments, options and imports) the files whose text differs, on all cores.
    let mut to_index: Vec<&File> = Vec::new();
    for f in &cf {
        match prev.file(&f.path) {
            Some(p) if texts_differ(p, f) => to_index.extend([p, *f]),
            Some(_) => {}
            None => to_index.push(f),
        }
    }
    prepare(&to_index);
    let mut w = Walk {
        out: Vec::new(),
        prev_msgs: index(&pf),
        cur_msgs: index(&cf),
        renamed_files: HashSet::new(),
    };
    w.files(prev, cur, &pf, &cf, &matches);
    w.packages(prev, cur);
    let message_pairs = w.messages(&matches);
    w.enums(&pf, &cf, &matches, &message_pairs);
    w.services(&pf, &cf, &matches);
    w.extensions(&pf, &cf);
    w.formatting(prev, &cf);
    let places: Vec<&File> = w
        .out
        .iter()
        .filter_map(|(_, p)| match p {
            Place::Elem(f, _) | Place::FileOption(f, ..) => Some(*f),
            _ => None,
        })
        .collect();
    prepare(&places);
    w.out
        .into_iter()
        .map(|(mut c, place)| {
            let (path, span) = match place {
                Place::None => (None, None),
                Place::File(f) => (Some(f.path.clone()), None),
                Place::Elem(f, p) => (
                    Some(f.path.clone()),
                    f.spans
                        .has_positions()
                        .then(|| f.spans.span(&p).unwrap_or(Span::UNKNOWN)),
                ),
                Place::FileOption(f, number, name) => (
                    Some(f.path.clone()),
                    f.spans.has_positions().then(|| {
                        f.spans
                            .option_span(&[], 8, number, name)
                            .unwrap_or(Span::UNKNOWN)
                    }),
                ),
            };
            c.path = path;
            c.span = span;
            c
        })
        .collect()
}

/// Every message of the files (map entries included) by full name.
fn index<'s>(files: &[&'s File]) -> HashMap<&'s str, (&'s File, &'s Message)> {
    let mut m = HashMap::new();
    for f in files {
        for msg in &f.messages {
            m.insert(&*msg.full_name, (*f, msg));
        }
    }
    m
}

/// Computes the positions (and comments, options, imports) of files on all cores.
fn prepare(files: &[&File]) {
    let mut seen = HashSet::new();
    let files: Vec<&File> = files
        .iter()
        .copied()
        .filter(|f| seen.insert(*f as *const File))
        .collect();
    let threads = if files.len() < 4 {
        1
    } else {
        crate::parallelism()
    };
    std::thread::scope(|s| {
        for part in files.chunks(files.len().div_ceil(threads).max(1)) {
            s.spawn(move || {
                for f in part {
                    f.spans.prepare();
                }
            });
        }
    });
}

impl<'s> Walk<'s> {
    fn emit(&mut self, mut c: Change, file: &'s File, place: Place<'s>) {
        c.package = file.package.clone();
        self.out.push((c, place));
    }

    fn at(file: &'s File, path: &[i32]) -> Place<'s> {
        Place::Elem(file, path.to_vec())
    }

    fn comments(&mut self, el: &str, pf: &'s File, pp: &[i32], cf: &'s File, cp: &[i32]) {
        if !texts_differ(pf, cf) {
            return;
        }
        let (a, b) = (
            normalize(pf.spans.comments(pp)),
            normalize(cf.spans.comments(cp)),
        );
        if a != b {
            let c = Change::new(K::CommentChanged, el);
            self.emit(c, cf, Self::at(cf, cp));
        }
    }

    /// Options written on an element (those the model does not already compare: `skip`).
    #[allow(clippy::too_many_arguments)]
    fn written(
        &mut self,
        kind: K,
        el: &str,
        pf: &'s File,
        pp: &[i32],
        cf: &'s File,
        cp: &[i32],
        skip: &[&str],
    ) {
        if !texts_differ(pf, cf) {
            return;
        }
        let (a, b) = (options_of(pf, pp, skip), options_of(cf, cp, skip));
        if a == b {
            return;
        }
        let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for name in names {
            let (x, y) = (a.get(name), b.get(name));
            if x == y {
                continue;
            }
            let mut c = Change::new(kind, el);
            c.from = x.map(|v| format!("{name} = {v}"));
            c.to = y.map(|v| format!("{name} = {v}"));
            self.emit(c, cf, Self::at(cf, cp));
        }
    }

    fn files(
        &mut self,
        prev: &'s Schema,
        cur: &'s Schema,
        pf: &[&'s File],
        cf: &[&'s File],
        m: &Matches,
    ) {
        let renamed_to: HashMap<&str, &str> = m
            .files
            .iter()
            .map(|(a, (b, _))| (a.as_str(), b.as_str()))
            .collect();
        let targets: HashSet<&str> = renamed_to.values().copied().collect();
        for &p in pf {
            match cur.file(&p.path) {
                Some(c) => self.file_pair(p, c),
                None => match renamed_to.get(p.path.as_str()).and_then(|t| cur.file(t)) {
                    Some(c) => {
                        self.renamed_files.insert((&p.path, &c.path));
                        let ch = Change::new(K::FileRenamed, &c.path).from_to(&p.path, &c.path);
                        self.emit(ch, c, Place::File(c));
                        self.file_pair(p, c);
                    }
                    None => {
                        let ch = Change::new(K::FileDeleted, &p.path);
                        self.emit(ch, p, Place::File(p));
                    }
                },
            }
        }
        for &c in cf {
            if prev.file(&c.path).is_none() && !targets.contains(c.path.as_str()) {
                let ch = Change::new(K::FileAdded, &c.path);
                self.emit(ch, c, Place::File(c));
            }
        }
    }

    fn file_pair(&mut self, p: &'s File, c: &'s File) {
        let el = c.path.as_str();
        if p.package != c.package {
            let ch = Change::new(K::FilePackageChanged, el).from_to(&p.package, &c.package);
            self.emit(ch, c, Self::at(c, &[2]));
        }
        let syntax = |f: &File| match &f.syntax {
            crate::model::Syntax::Editions(e) => format!("edition {e}"),
            s => s.name().to_owned(),
        };
        if syntax(p) != syntax(c) {
            let ch = Change::new(K::FileSyntaxChanged, el).from_to(syntax(p), syntax(c));
            let place = if c.spans.has_positions() {
                Self::at(c, &[12])
            } else {
                Place::File(c)
            };
            self.emit(ch, c, place);
        }
        for &(number, name) in FILE_OPTIONS {
            let (a, b) = (p.options.values.get(&number), c.options.values.get(&number));
            if a != b {
                let mut ch = Change::new(K::FileOptionChanged, el);
                ch.from = a.map(|v| format!("{name} = {v}"));
                ch.to = b.map(|v| format!("{name} = {v}"));
                self.emit(ch, c, Place::FileOption(c, number, name));
            }
        }
        let names: Vec<&str> = FILE_OPTIONS.iter().map(|(_, n)| *n).collect();
        self.written(K::FileOptionChanged, el, p, &[], c, &[], &names);
        if texts_differ(p, c) {
            let (a, b) = (p.spans.imports(), c.spans.imports());
            for (i, imp) in b.iter().enumerate() {
                if !a.contains(imp) {
                    let ch = Change::new(K::ImportAdded, el).to(imp);
                    self.emit(ch, c, Self::at(c, &[3, i as i32]));
                }
            }
            for (i, imp) in a.iter().enumerate() {
                if !b.contains(imp) {
                    let ch = Change::new(K::ImportDeleted, el).from(imp);
                    self.emit(ch, p, Self::at(p, &[3, i as i32]));
                }
            }
            // The file's own comments: on `syntax`/`edition` (the header) and `package`.
            let header = |f: &File| {
                format!(
                    "{}\n{}",
                    normalize(f.spans.comments(&[12]).or(f.spans.comments(&[14]))),
                    normalize(f.spans.comments(&[2]))
                )
            };
            if header(p) != header(c) {
                let ch = Change::new(K::CommentChanged, el);
                self.emit(ch, c, Place::File(c));
            }
        }
    }

    fn packages(&mut self, prev: &'s Schema, cur: &'s Schema) {
        let set = |s: &'s Schema| -> BTreeMap<&'s str, &'s File> {
            s.files
                .iter()
                .filter(|f| !f.package.is_empty())
                .map(|f| (f.package.as_str(), &**f))
                .collect()
        };
        let (a, b) = (set(prev), set(cur));
        for (p, f) in &a {
            if !b.contains_key(p) {
                let ch = Change::new(K::PackageDeleted, *p);
                self.emit(ch, f, Place::None);
            }
        }
        for (p, f) in &b {
            if !a.contains_key(p) {
                let ch = Change::new(K::PackageAdded, *p);
                self.emit(ch, f, Place::None);
            }
        }
    }

    fn moved(&self, pf: &File, cf: &File) -> bool {
        pf.path != cf.path
            && !self
                .renamed_files
                .contains(&(pf.path.as_str(), cf.path.as_str()))
    }

    /// Messages; returns the (previous, current) full names of renamed or moved ones.
    // long: pairs messages by name, then by structure, and emits added/deleted/renamed/moved in one pass.
    fn messages(&mut self, m: &Matches) -> Vec<(String, String)> {
        let mut names: Vec<&'s str> = self
            .prev_msgs
            .iter()
            .filter(|(_, (_, msg))| !msg.is_map_entry)
            .map(|(n, _)| *n)
            .collect();
        names.sort_unstable();
        let mut deleted = Vec::new();
        for n in names {
            let (pf, pm) = self.prev_msgs[n];
            match self.cur_msgs.get(n).copied() {
                Some((cf, cm)) => {
                    if self.moved(pf, cf) {
                        let ch = Change::new(K::MessageMoved, n).from_to(&pf.path, &cf.path);
                        self.emit(ch, cf, Self::at(cf, &cm.path));
                    }
                    self.message_pair(pf, pm, cf, cm);
                }
                None => deleted.push(n),
            }
        }
        let added: HashSet<&'s str> = self
            .cur_msgs
            .iter()
            .filter(|(n, (_, msg))| !msg.is_map_entry && !self.prev_msgs.contains_key(*n))
            .map(|(n, _)| *n)
            .collect();
        // Parents first, so nested messages follow their renamed parent.
        deleted.sort_by_key(|n| (n.matches('.').count(), *n));
        let mut parents: Vec<(String, String)> = Vec::new();
        let mut pairs = Vec::new();
        for (d, a, outermost) in pair_names(&deleted, &added, &m.messages, &[]) {
            parents.push((d.to_owned(), a.to_owned()));
            pairs.push((d, a, outermost));
        }
        // Nested messages of matched parents (several levels: repeat until nothing new).
        loop {
            let done: HashSet<&str> = pairs.iter().map(|(d, _, _)| *d).collect();
            let rest: Vec<&str> = deleted
                .iter()
                .copied()
                .filter(|d| !done.contains(d))
                .collect();
            let taken: HashSet<&str> = pairs.iter().map(|(_, a, _)| *a).collect();
            let free: HashSet<&str> = added.difference(&taken).copied().collect();
            let more = pair_names(&rest, &free, &HashMap::new(), &parents);
            if more.is_empty() {
                break;
            }
            for (d, a, o) in more {
                parents.push((d.to_owned(), a.to_owned()));
                pairs.push((d, a, o));
            }
        }
        let paired_del: HashSet<&str> = pairs.iter().map(|(d, _, _)| *d).collect();
        let paired_add: HashSet<&str> = pairs.iter().map(|(_, a, _)| *a).collect();
        for &(d, a, outermost) in &pairs {
            let (pf, pm) = self.prev_msgs[d];
            let (cf, cm) = self.cur_msgs[a];
            if outermost {
                let kind = if pm.name == cm.name {
                    K::MessageMoved
                } else {
                    K::MessageRenamed
                };
                let ch = Change::new(kind, a).from_to(d, a);
                self.emit(ch, cf, Self::at(cf, &cm.path));
            }
            self.message_pair(pf, pm, cf, cm);
        }
        let gone: HashSet<&str> = deleted
            .iter()
            .copied()
            .filter(|d| !paired_del.contains(d))
            .collect();
        for &d in &deleted {
            if gone.contains(d) && !nested_in(d, &gone) {
                let (pf, pm) = self.prev_msgs[d];
                let ch = Change::new(K::MessageDeleted, d);
                self.emit(ch, pf, Self::at(pf, &pm.path));
            }
        }
        let new: HashSet<&str> = added
            .iter()
            .copied()
            .filter(|a| !paired_add.contains(a))
            .collect();
        let mut new_sorted: Vec<&str> = new.iter().copied().collect();
        new_sorted.sort_unstable();
        for a in new_sorted {
            if !nested_in(a, &new) {
                let (cf, cm) = self.cur_msgs[a];
                let ch = Change::new(K::MessageAdded, a);
                self.emit(ch, cf, Self::at(cf, &cm.path));
            }
        }
        parents
    }

    // long: one block per compared attribute of a message pair, each emitting its change.
    fn message_pair(&mut self, pf: &'s File, pm: &'s Message, cf: &'s File, cm: &'s Message) {
        let el = cm.full_name.as_str();
        let at = || Self::at(cf, &cm.path);
        self.comments(el, pf, &pm.path, cf, &cm.path);
        self.written(
            K::MessageOptionChanged,
            el,
            pf,
            &pm.path,
            cf,
            &cm.path,
            &["message_set_wire_format", "no_standard_descriptor_accessor"],
        );
        for (name, a, b) in [
            (
                "message_set_wire_format",
                pm.message_set_wire_format,
                cm.message_set_wire_format,
            ),
            (
                "no_standard_descriptor_accessor",
                pm.no_standard_descriptor_accessor,
                cm.no_standard_descriptor_accessor,
            ),
            ("json_format", pm.json_allow, cm.json_allow),
        ] {
            if a != b {
                let v = |x: bool| match name {
                    "json_format" if x => "ALLOW".to_owned(),
                    "json_format" => "LEGACY_BEST_EFFORT".to_owned(),
                    _ => x.to_string(),
                };
                let ch = Change::new(K::MessageOptionChanged, el)
                    .from_to(format!("{name} = {}", v(a)), format!("{name} = {}", v(b)));
                self.emit(ch, cf, at());
            }
        }
        self.reserved(
            el,
            (&pm.reserved_ranges, &pm.reserved_names),
            (&cm.reserved_ranges, &cm.reserved_names),
            cf,
            &cm.path,
        );
        if pm.extension_ranges != cm.extension_ranges {
            let ch = Change::new(K::ExtensionRangeChanged, el).from_to(
                ranges(&pm.extension_ranges).join(", "),
                ranges(&cm.extension_ranges).join(", "),
            );
            self.emit(ch, cf, at());
        }
        let real = |m: &'s Message| -> Vec<&'s str> {
            m.oneofs
                .iter()
                .filter(|o| !o.synthetic)
                .map(|o| o.name.as_str())
                .collect()
        };
        let (po, co) = (real(pm), real(cm));
        for o in &po {
            if !co.contains(o) {
                let ch = Change::new(K::OneofDeleted, format!("{el}.{o}"));
                self.emit(ch, cf, at());
            }
        }
        for o in &co {
            if !po.contains(o) {
                let ch = Change::new(K::OneofAdded, format!("{el}.{o}"));
                self.emit(ch, cf, at());
            }
        }
        let now: HashMap<i32, &'s Field> = cm.fields.iter().map(|f| (f.number, f)).collect();
        for p in &pm.fields {
            if let Some(f) = now.get(&p.number) {
                self.field_pair(pf, p, cf, f);
            }
        }
        let (deleted, added) = renames::field_sides(pm, cm);
        let pairs = renames::pair_fields(&deleted, &added);
        let (pd, pa): (HashSet<usize>, HashSet<usize>) = (
            pairs.iter().map(|p| p.0).collect(),
            pairs.iter().map(|p| p.1).collect(),
        );
        for (d, a) in pairs {
            let (p, f) = (deleted[d], added[a]);
            let mut ch = Change::new(K::FieldRenumbered, &f.full_name).from_to(
                format!("{} = {}", p.name, p.number),
                format!("{} = {}", f.name, f.number),
            );
            ch.aliases.push(p.full_name.clone());
            if p.cardinality == Cardinality::Map {
                ch.aliases.push(p.type_name.clone());
            }
            self.emit(ch, cf, Self::at(cf, &f.path));
        }
        for (i, p) in deleted.iter().enumerate() {
            if !pd.contains(&i) {
                let mut ch = Change::new(K::FieldDeleted, &p.full_name);
                // The map entry goes with its map field.
                if p.cardinality == Cardinality::Map {
                    ch.aliases.push(p.type_name.clone());
                }
                self.emit(ch, pf, Self::at(pf, &p.path));
            }
        }
        for (i, f) in added.iter().enumerate() {
            if !pa.contains(&i) {
                let ch = Change::new(K::FieldAdded, &f.full_name);
                self.emit(ch, cf, Self::at(cf, &f.path));
            }
        }
    }

    fn reserved(
        &mut self,
        el: &str,
        (pr, pn): (&[(i64, i64)], &[String]),
        (cr, cn): (&[(i64, i64)], &[String]),
        cf: &'s File,
        path: &[i32],
    ) {
        let (a, b) = (ranges(pr), ranges(cr));
        let gone: Vec<String> = a
            .iter()
            .filter(|r| !b.contains(r))
            .cloned()
            .chain(
                pn.iter()
                    .filter(|n| !cn.contains(n))
                    .map(|n| format!("{n:?}")),
            )
            .collect();
        let new: Vec<String> = b
            .iter()
            .filter(|r| !a.contains(r))
            .cloned()
            .chain(
                cn.iter()
                    .filter(|n| !pn.contains(n))
                    .map(|n| format!("{n:?}")),
            )
            .collect();
        if !gone.is_empty() {
            let ch = Change::new(K::ReservedDeleted, el).from(gone.join(", "));
            self.emit(ch, cf, Self::at(cf, path));
        }
        if !new.is_empty() {
            let ch = Change::new(K::ReservedAdded, el).to(new.join(", "));
            self.emit(ch, cf, Self::at(cf, path));
        }
    }

    /// `map<string, int32>` for a map field, else the type as written.
    fn field_type(&self, f: &Field, prev: bool) -> String {
        if f.cardinality == Cardinality::Map {
            let msgs = if prev {
                &self.prev_msgs
            } else {
                &self.cur_msgs
            };
            if let Some((_, entry)) = msgs.get(f.type_name.as_str()) {
                let kv: Vec<String> = entry.fields.iter().map(renames::type_text).collect();
                if kv.len() == 2 {
                    return format!("map<{}, {}>", kv[0], kv[1]);
                }
            }
        }
        if f.kind == FieldKind::Group {
            return format!("group {}", f.type_name);
        }
        renames::type_text(f)
    }

    // long: one block per compared attribute of a field pair, each emitting its change.
    fn field_pair(&mut self, pf: &'s File, p: &'s Field, cf: &'s File, f: &'s Field) {
        let el = f.full_name.as_str();
        let at = || Self::at(cf, &f.path);
        self.comments(el, pf, &p.path, cf, &f.path);
        if p.name != f.name {
            let mut ch = Change::new(K::FieldRenamed, el).from_to(&p.full_name, &f.full_name);
            if p.cardinality == Cardinality::Map {
                ch.aliases.push(p.type_name.clone());
            }
            self.emit(ch, cf, at());
        }
        let (pt, t) = (self.field_type(p, true), self.field_type(f, false));
        if pt != t || p.kind != f.kind {
            let mut ch = Change::new(K::FieldTypeChanged, el).from_to(pt, t);
            // Findings about a map's key or value name the synthesized entry's fields.
            for entry in [&p.type_name, &f.type_name] {
                if f.cardinality == Cardinality::Map || p.cardinality == Cardinality::Map {
                    ch.aliases.push(format!("{entry}.key"));
                    ch.aliases.push(format!("{entry}.value"));
                }
            }
            self.emit(ch, cf, at());
        }
        let both_map = p.cardinality == Cardinality::Map && f.cardinality == Cardinality::Map;
        if !both_map && p.cardinality != f.cardinality {
            let ch = Change::new(K::FieldCardinalityChanged, el)
                .from_to(p.cardinality.to_string(), f.cardinality.to_string());
            self.emit(ch, cf, at());
        }
        if p.extendee.is_none()
            && p.json_name != f.json_name
            && (p.name == f.name || p.json_name_explicit || f.json_name_explicit)
        {
            let ch = Change::new(K::FieldJsonNameChanged, el).from_to(&p.json_name, &f.json_name);
            self.emit(ch, cf, at());
        }
        // As FIELD_SAME_DEFAULT compares them: only defaults both sides have.
        let (pd, d) = (default_text(&p.default), default_text(&f.default));
        if p.default.is_some() && f.default.is_some() && pd != d && !(zero(p) && zero(f)) {
            let ch = Change::new(K::FieldDefaultChanged, el).from_to(pd, d);
            self.emit(ch, cf, at());
        }
        if p.oneof != f.oneof {
            let name = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".to_owned());
            let ch = Change::new(K::FieldOneofChanged, el).from_to(name(&p.oneof), name(&f.oneof));
            self.emit(ch, cf, at());
        }
        let strings = p.kind.is_string_or_bytes() && f.kind.is_string_or_bytes();
        let verify = |v: bool| if v { "VERIFY" } else { "NONE" };
        let attrs: [(&str, bool, String, String); 4] = [
            (
                "jstype",
                p.jstype != f.jstype,
                p.jstype.clone(),
                f.jstype.clone(),
            ),
            (
                "cpp_string_type",
                strings && p.cpp_string != f.cpp_string,
                p.cpp_string.name().to_owned(),
                f.cpp_string.name().to_owned(),
            ),
            (
                "utf8_validation",
                strings && p.utf8_verify != f.utf8_verify,
                verify(p.utf8_verify).to_owned(),
                verify(f.utf8_verify).to_owned(),
            ),
            (
                "java_utf8_validation",
                strings && p.java_utf8_verify != f.java_utf8_verify,
                verify(p.java_utf8_verify).to_owned(),
                verify(f.java_utf8_verify).to_owned(),
            ),
        ];
        for (name, changed, a, b) in attrs {
            if changed {
                let ch = Change::new(K::FieldOptionChanged, el)
                    .from_to(format!("{name} = {a}"), format!("{name} = {b}"));
                self.emit(ch, cf, at());
            }
        }
        self.written(
            K::FieldOptionChanged,
            el,
            pf,
            &p.path,
            cf,
            &f.path,
            &["jstype", "ctype"],
        );
    }
}
