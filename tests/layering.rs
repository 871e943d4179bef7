//! The layout rules of docs/ARCHITECTURE.md, checked on the sources themselves: which module
//! may name which, no import cycle between source files, and the size limits (files, functions).
//!
//! References are read from the code (comments and `#[cfg(test)]` modules left out): every
//! `crate::a::b` path, grouped `use crate::{a, b::c}` imports and `super::` paths, resolved to
//! the deepest source file that exists. A `mod x;` declaration is not a reference. The size
//! limit covers the tests too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file, in lines, outside generated tables.
const MAX_FILE_LINES: usize = 1000;
/// Longest function, in lines, unless a `// long: <reason>` comment stands right above it.
const MAX_FN_LINES: usize = 80;
/// Small shared helpers every layer may use (they import nothing of the crate).
const LEAVES: &[&str] = &[
    "src/lib.rs",
    "src/trace.rs",
    "src/suggest.rs",
    "src/hash.rs",
    "src/clock.rs",
];
/// Generated tables (their headers say how to regenerate them).
const GENERATED: &[&str] = &["src/breaking/examples.rs"];

struct Source {
    /// `src/sync/run.rs`
    rel: String,
    /// `["sync", "run"]`; empty for lib.rs.
    module: Vec<String>,
    /// The code, without comments, string contents and test modules.
    code: String,
    /// The whole text.
    text: String,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<Source> {
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let inner = rel
                .strip_prefix("src/")
                .unwrap()
                .strip_suffix(".rs")
                .unwrap();
            let mut module: Vec<String> = inner.split('/').map(str::to_owned).collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = strip_tests(&strip_comments(&text));
            Source {
                rel,
                module,
                code,
                text,
            }
        })
        .collect()
}

/// The text with comments, and the contents of string and char literals, blanked out (line
/// breaks kept, so line numbers stay).
fn strip_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == b'\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && !ident_before(b, i) {
            // Raw string r"…" / r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            j += 1;
            out.push_str("\"\"");
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                if b[j] == b'\n' {
                    out.push('\n');
                }
                j += 1;
            }
            i = j;
        } else if c == b'"' {
            out.push_str("\"\"");
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                if b.get(i) == Some(&b'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            i += 1;
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            let end = if b.get(i + 1) == Some(&b'\\') {
                (i + 2..b.len().min(i + 12)).find(|&j| b[j] == b'\'')
            } else if b.get(i + 2) == Some(&b'\'') {
                Some(i + 2)
            } else {
                let ch = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch) == Some(&b'\'')).then_some(i + 1 + ch)
            };
            match end {
                Some(e) => {
                    out.push_str("' '");
                    i = e + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

/// The code before the first `#[cfg(test)]` (test modules come last in every file).
fn strip_tests(code: &str) -> String {
    match code.find("#[cfg(test)]") {
        Some(i) => code[..i].to_owned(),
        None => code.to_owned(),
    }
}

/// Every module path the code names: `crate::a::b::C`, `use crate::{a::b, c}`, `super::x`.
fn referenced_paths(src: &Source) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code = &src.code;
    let b = code.as_bytes();
    for (start, prefix) in find_all(code, "crate::")
        .map(|i| (i, "crate"))
        .chain(find_all(code, "super::").map(|i| (i, "super")))
    {
        if ident_before(b, start) || (start >= 2 && &code[start - 2..start] == "::") {
            continue;
        }
        let base: Vec<String> = if prefix == "crate" {
            Vec::new()
        } else {
            // `super` is the parent module, for a.rs and a/mod.rs alike.
            let mut m = src.module.clone();
            m.pop();
            m
        };
        let rest = &code[start + prefix.len() + 2..];
        for p in expand_use(rest) {
            let mut full = base.clone();
            full.extend(p);
            out.push(full);
        }
    }
    out
}

fn find_all<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    hay.match_indices(needle).map(|(i, _)| i)
}

/// The paths a use tree starting at `rest` names (after `crate::`): `a::b::C` or `{a, b::{c}}`.
fn expand_use(rest: &str) -> Vec<Vec<String>> {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 1;
        let mut end = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &inner[..end];
        let mut items = Vec::new();
        let (mut depth, mut last) = (0, 0);
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&body[last..i]);
                    last = i + 1;
                }
                _ => {}
            }
        }
        items.push(&body[last..]);
        return items
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .flat_map(expand_use)
            .collect();
    }
    let mut path = Vec::new();
    let mut s = rest;
    loop {
        let n = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        if n == 0 {
            break;
        }
        path.push(s[..n].to_owned());
        s = &s[n..];
        if let Some(next) = s.strip_prefix("::") {
            if next.trim_start().starts_with('{') {
                return expand_use(next)
                    .into_iter()
                    .map(|p| path.iter().cloned().chain(p).collect())
                    .collect();
            }
            s = next;
        } else {
            break;
        }
    }
    vec![path]
}

/// The source file a path names: the deepest module prefix that is a file.
fn resolve<'a>(
    path: &[String],
    by_module: &BTreeMap<Vec<String>, &'a Source>,
) -> Option<&'a Source> {
    (0..=path.len())
        .rev()
        .find_map(|n| by_module.get(&path[..n]).copied())
}

/// File → files it references.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<Vec<String>, &Source> = sources
        .iter()
        .filter(|s| s.rel != "src/main.rs")
        .map(|s| (s.module.clone(), s))
        .collect();
    let mut g = BTreeMap::new();
    for s in sources {
        let mut to = BTreeSet::new();
        for p in referenced_paths(s) {
            if let Some(t) = resolve(&p, &by_module) {
                // `crate::x` resolving to lib.rs names a crate-root item (e.g. parallelism).
                if t.rel != s.rel && (p.is_empty() || t.rel != "src/lib.rs") {
                    to.insert(t.rel.clone());
                }
            }
        }
        g.insert(s.rel.clone(), to);
    }
    g
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_import_cycle_between_source_files() {
    let g = graph(&sources());
    let found = cycles(&g);
    assert!(
        found.is_empty(),
        "import cycles (each line is one cycle's files):\n{}",
        found
            .iter()
            .map(|c| c.join(" ↔ "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Files under `folder` that reference a file matching `forbidden` (a path prefix).
fn violations(folder: &str, allowed: impl Fn(&str) -> bool) -> Vec<String> {
    let g = graph(&sources());
    let mut out = Vec::new();
    for (from, tos) in &g {
        if !from.starts_with(folder) {
            continue;
        }
        for to in tos {
            if !to.starts_with(folder) && !allowed(to) {
                out.push(format!("{from} → {to}"));
            }
        }
    }
    out
}

#[test]
fn the_shared_leaves_import_nothing_of_the_crate() {
    let g = graph(&sources());
    for leaf in LEAVES.iter().filter(|l| **l != "src/lib.rs") {
        let to = &g[*leaf];
        assert!(to.is_empty(), "{leaf} imports {to:?}");
    }
}

#[test]
fn the_command_line_is_only_in_cli() {
    let mut bad = Vec::new();
    for s in sources() {
        if s.rel.starts_with("src/cli/") || s.rel == "src/main.rs" {
            continue;
        }
        if s.code.contains("crate::cli") {
            bad.push(format!("{}: names crate::cli", s.rel));
        }
        if s.code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|w| w == "clap")
        {
            bad.push(format!("{}: uses clap", s.rel));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_engine_depends_only_on_the_model() {
    let bad = violations("src/breaking/", |to| to.starts_with("src/model/"));
    assert!(
        bad.is_empty(),
        "src/breaking may only use crate::model:\n{}",
        bad.join("\n")
    );
}

#[test]
fn printers_never_reach_the_pipeline_or_the_compiler() {
    let bad = violations("src/report/", |to| {
        !(to == "src/pipeline.rs" || to.starts_with("src/compile/"))
    });
    assert!(
        bad.is_empty(),
        "src/report must not use the pipeline or compile:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_model_and_the_compiler_know_nothing_of_commands() {
    for folder in ["src/model/", "src/compile/"] {
        let bad = violations(folder, |to| {
            to.starts_with("src/model/") || to.starts_with("src/compile/") || LEAVES.contains(&to)
        });
        assert!(
            bad.is_empty(),
            "{folder} may only use compile, model and the shared leaves:\n{}",
            bad.join("\n")
        );
    }
}

#[test]
fn no_source_file_is_oversized() {
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    walk(&root().join("tests"), &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(p).unwrap().lines().count())
        })
        .filter(|(rel, n)| *n > MAX_FILE_LINES && !GENERATED.contains(&rel.as_str()))
        .map(|(f, n)| format!("{f}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// Functions (outside test modules) longer than `MAX_FN_LINES` with no `// long:` reason on
/// the lines right above them (doc comments and attributes may come between).
fn long_functions(s: &Source) -> Vec<String> {
    let code: Vec<&str> = s.code.lines().collect();
    let text: Vec<&str> = s.text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in code.iter().enumerate() {
        let t = line.trim_start();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
            "pub const fn ",
            "async fn ",
            "unsafe fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        // Find the body's braces from the signature on.
        let mut depth = 0i32;
        let mut opened = false;
        let mut end = None;
        'outer: for (j, l) in code.iter().enumerate().skip(i) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => {
                        depth -= 1;
                        if opened && depth == 0 {
                            end = Some(j);
                            break 'outer;
                        }
                    }
                    ';' if !opened && depth == 0 => break 'outer,
                    _ => {}
                }
            }
        }
        let Some(end) = end else { continue };
        let len = end - i + 1;
        if len <= MAX_FN_LINES {
            continue;
        }
        let mut k = i;
        let mut reason = false;
        while k > 0 {
            k -= 1;
            let above = text[k].trim_start();
            if above.starts_with("// long:") {
                reason = true;
                break;
            }
            if !(above.starts_with("///") || above.starts_with("#[") || above.starts_with("//")) {
                break;
            }
        }
        if !reason {
            let name = t[t.find("fn ").map_or(0, |k| k + 3)..]
                .split(['(', '<'])
                .next()
                .unwrap_or(t);
            out.push(format!("{}:{}: fn {name} ({len} lines)", s.rel, i + 1));
        }
    }
    out
}

#[test]
fn long_functions_say_why() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| !GENERATED.contains(&s.rel.as_str()))
        .flat_map(long_functions)
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines without a `// long: <reason>` comment above them:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checker_finds_what_it_looks_for() {
    // The reader itself, on sources written for it: grouped imports, super, comments.
    let src = Source {
        rel: "src/sync/run.rs".into(),
        module: vec!["sync".into(), "run".into()],
        code: strip_tests(&strip_comments(
            "// crate::cli::X in a comment\nuse crate::{report::sync::{a, b}, hash};\nuse super::plan::P;\nlet s = \"crate::fleet\";\n#[cfg(test)]\nmod tests { use crate::forge; }\n",
        )),
        text: String::new(),
    };
    let mut got: Vec<String> = referenced_paths(&src)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "hash",
            "report::sync::a",
            "report::sync::b",
            "sync::plan::P"
        ]
    );
    let mut g = BTreeMap::new();
    g.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    g.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    g.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    g.insert("d".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        cycles(&g),
        vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]
    );
}
