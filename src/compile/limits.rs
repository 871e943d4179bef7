//! Limits on input sizes and depths, checked before the work that would exceed them.
//!
//! protox, protox-parse and prost-reflect recurse (over imports, nested messages, option
//! aggregates) and build every prefix of a package name, so hostile input can overflow a
//! stack or take memory quadratic in its size. The limits here are protoc's where protoc has
//! one (same numbers, same wording), and otherwise protobuf's recursion limit. They are
//! documented in docs/SECURITY.md ("Limits on input sizes and depths").
//!
//! * [`check_source`]: one linear pass over a .proto file before it is parsed: the package
//!   statement (length and depth), nested messages, and bracket nesting (option aggregates).
//! * [`check_package`]: the same package limits on a parsed or decoded descriptor.
//! * [`import_depth`]: the longest import chain of a set of files, computed iteratively.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use super::editions::ErrorLocation;

/// protoc: a package name longer than this is "Package name is too long".
pub const MAX_PACKAGE_LEN: usize = 511;
/// protoc: a package of more components than this "Exceeds Maximum Package Depth".
pub const MAX_PACKAGE_DEPTH: usize = 101;
/// protoc: messages nested deeper than this "Reached maximum recursion limit for nested
/// messages." (top-level messages are at depth 1).
pub const MAX_MESSAGE_DEPTH: usize = 31;
/// Brackets (`{`, `[`, `<`, `(`) nested deeper than this are refused: an option aggregate (or
/// anything else) nested more than protobuf's recursion limit (100) cannot be decoded by
/// protobuf runtimes, protoc included, once it is compiled.
pub const MAX_NESTING: usize = 100;
/// Import chains longer than this are refused (protoc 36 compiles 10,000 and overflows its
/// stack somewhere below 50,000).
pub const MAX_IMPORT_DEPTH: usize = 10_000;

/// An error raised here, located in a source file. Like the editions front-end's errors, its
/// location is its `source()` ([`super::editions::error_location`] finds it).
#[derive(Debug)]
struct LimitError {
    message: String,
    location: ErrorLocation,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LimitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.location)
    }
}

/// A located error at byte range `span` of `source`.
pub fn located(
    name: &str,
    source: &str,
    span: Range<usize>,
    message: impl Into<String>,
) -> protox::Error {
    let (line, column) = byte_line_col(source, span.start);
    protox::Error::new(LimitError {
        message: message.into(),
        location: ErrorLocation {
            file: name.to_owned(),
            span,
            line,
            column,
            help: None,
        },
    })
}

/// 1-based line and byte column.
fn byte_line_col(source: &str, offset: usize) -> (usize, usize) {
    let before = &source.as_bytes()[..offset.min(source.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, offset - start + 1)
}

/// Why a package name is refused (protoc's words), if it is.
pub fn package_problem(len: usize, components: usize) -> Option<&'static str> {
    if len > MAX_PACKAGE_LEN {
        Some("Package name is too long")
    } else if components > MAX_PACKAGE_DEPTH {
        Some("Exceeds Maximum Package Depth")
    } else {
        None
    }
}

/// The package limits on a descriptor's `package`.
pub fn check_package(package: &str) -> Result<(), String> {
    match package_problem(package.len(), package.split('.').count()) {
        Some(why) => Err(format!(
            "{why} ({} characters, {} components; protoc allows {MAX_PACKAGE_LEN} and {MAX_PACKAGE_DEPTH})",
            package.len(),
            package.split('.').count()
        )),
        None => Ok(()),
    }
}

/// One linear pass over a .proto source, before it is parsed: refuses a package statement
/// over protoc's limits, messages nested deeper than protoc allows and brackets nested deeper
/// than [`MAX_NESTING`], each located where protoc locates it.
// long: one byte-level scanner loop; every branch shares its state (bracket stack, last two tokens)
pub fn check_source(name: &str, source: &str) -> Result<(), protox::Error> {
    let b = source.as_bytes();
    let n = b.len();
    let mut i = 0;
    // Open brackets: whether each opened a message body.
    let mut stack: Vec<bool> = Vec::new();
    let mut messages = 0usize;
    // The last two significant tokens: (start, end) byte ranges; identifiers matter.
    let mut prev: Option<Range<usize>> = None;
    let mut prev2: Option<Range<usize>> = None;
    let word = |r: &Option<Range<usize>>| r.as_ref().map(|r| &b[r.clone()]);
    while i < n {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = b[i..].iter().position(|&c| c == b'\n').map_or(n, |p| i + p);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = b[i + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(n, |p| i + 2 + p + 2);
                continue;
            }
            _ => {}
        }
        let start = i;
        match c {
            b'"' | b'\'' => {
                i += 1;
                while i < n && b[i] != c && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(n);
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if &b[start..i] == b"package"
                    && stack.is_empty()
                    && matches!(word(&prev), None | Some(b";") | Some(b"}"))
                {
                    i = package_statement(name, source, start, i)?;
                    prev2 = None;
                    prev = None;
                    continue;
                }
            }
            b'{' | b'[' | b'<' | b'(' => {
                i += 1;
                let is_message = c == b'{'
                    && word(&prev2) == Some(b"message")
                    && word(&prev).is_some_and(|w| w[0].is_ascii_alphabetic() || w[0] == b'_');
                if is_message {
                    messages += 1;
                    if messages > MAX_MESSAGE_DEPTH {
                        let at = prev2.clone().unwrap_or(start..i);
                        return Err(located(
                            name,
                            source,
                            at,
                            format!("Reached maximum recursion limit for nested messages. (protoc allows {MAX_MESSAGE_DEPTH} levels)"),
                        ));
                    }
                }
                stack.push(is_message);
                if stack.len() > MAX_NESTING {
                    return Err(located(
                        name,
                        source,
                        start..i,
                        format!("nested more than {MAX_NESTING} levels deep (protobuf's recursion limit)"),
                    ));
                }
            }
            b'}' | b']' | b'>' | b')' => {
                i += 1;
                if stack.pop() == Some(true) {
                    messages -= 1;
                }
            }
            _ => {
                // Any other byte, or a run of digits: one token.
                i += 1;
                if c.is_ascii_digit() {
                    while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                        i += 1;
                    }
                } else {
                    while i < n && !b[i].is_ascii() {
                        i += 1;
                    }
                }
            }
        }
        prev2 = prev.take();
        prev = Some(start..i);
    }
    Ok(())
}

/// Reads `package a.b.c;` from the keyword at `kw..after` without building the name; refuses
/// it over protoc's limits. Returns where scanning goes on.
fn package_statement(
    name: &str,
    source: &str,
    kw: usize,
    after: usize,
) -> Result<usize, protox::Error> {
    let b = source.as_bytes();
    let (mut i, mut len, mut components) = (after, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'.' => {
                len += 1;
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                components += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                    len += 1;
                }
            }
            _ => break,
        }
    }
    match package_problem(len, components) {
        Some(why) => Err(located(
            name,
            source,
            kw..after,
            format!("{why} ({len} characters, {components} components; protoc allows {MAX_PACKAGE_LEN} and {MAX_PACKAGE_DEPTH})"),
        )),
        None => Ok(i),
    }
}

/// The longest import chain from a file that `deps` knows (imports it does not know end a
/// chain), computed without recursion. `Err((file, depth))` names a file whose chain is longer
/// than [`MAX_IMPORT_DEPTH`]. An import cycle ends the chain (the compiler reports cycles).
pub fn import_depth<'a>(
    names: impl IntoIterator<Item = &'a str>,
    deps: impl Fn(&str) -> Option<&'a [String]>,
) -> Result<usize, (String, usize)> {
    // 0 = on the stack, n = chain length from here (1 for a file importing nothing known).
    let mut depth: HashMap<&'a str, usize> = HashMap::new();
    let mut longest = 0;
    for root in names {
        if depth.contains_key(root) {
            continue;
        }
        let mut stack: Vec<(&'a str, usize)> = vec![(root, 0)];
        depth.insert(root, 0);
        while let Some(&mut (name, ref mut next)) = stack.last_mut() {
            let imports = deps(name).unwrap_or(&[]);
            if let Some(dep) = imports.get(*next) {
                *next += 1;
                if deps(dep).is_some() && !depth.contains_key(dep.as_str()) {
                    depth.insert(dep.as_str(), 0);
                    stack.push((dep.as_str(), 0));
                    if stack.len() > MAX_IMPORT_DEPTH {
                        return Err((root.to_owned(), stack.len()));
                    }
                }
                continue;
            }
            let here = 1 + imports
                .iter()
                .filter_map(|d| depth.get(d.as_str()))
                .max()
                .copied()
                .unwrap_or(0);
            if here > MAX_IMPORT_DEPTH {
                return Err((name.to_owned(), here));
            }
            longest = longest.max(here);
            depth.insert(name, here);
            stack.pop();
        }
    }
    Ok(longest)
}

/// The error for an import chain over [`MAX_IMPORT_DEPTH`].
pub fn import_depth_error(file: &str, depth: usize) -> protox::Error {
    protox::Error::new(ImportDepth {
        file: file.to_owned(),
        depth,
    })
}

#[derive(Debug)]
struct ImportDepth {
    file: String,
    depth: usize,
}

impl fmt::Display for ImportDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: its import chain is {} files deep or more; protosync compiles chains of up to {MAX_IMPORT_DEPTH} files",
            self.file, self.depth
        )
    }
}

impl std::error::Error for ImportDepth {}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        let e = check_source("t.proto", src).unwrap_err();
        let loc = super::super::editions::error_location(&e).unwrap();
        format!("{}:{}: {e}", loc.line, loc.column)
    }

    #[test]
    fn package_limits_are_protocs() {
        let ok = format!("syntax = \"proto3\";\npackage {}.b;\n", "a".repeat(509));
        check_source("t.proto", &ok).unwrap();
        let long = format!("syntax = \"proto3\";\npackage {}.b;\n", "a".repeat(510));
        assert!(
            err(&long).starts_with("2:1: Package name is too long"),
            "{}",
            err(&long)
        );
        let deep = format!("syntax = \"proto3\"; package {};", vec!["a"; 102].join("."));
        assert!(err(&deep).starts_with("1:20: Exceeds Maximum Package Depth"));
        let ok = format!("syntax = \"proto3\"; package {};", vec!["a"; 101].join("."));
        check_source("t.proto", &ok).unwrap();
        // A field named `package` is not the package statement.
        let field = format!(
            "message M {{ string package = 1; }} // {}",
            "a.".repeat(400)
        );
        check_source("t.proto", &field).unwrap();
    }

    #[test]
    fn nesting_limits() {
        let nest = |d: usize| {
            (0..d)
                .map(|i| format!("message M{i} {{\n"))
                .collect::<String>()
                + &"}\n".repeat(d)
        };
        check_source("t.proto", &nest(31)).unwrap();
        assert_eq!(
            err(&nest(32)),
            "32:1: Reached maximum recursion limit for nested messages. (protoc allows 31 levels)"
        );
        let agg = |d: usize| format!("option (a) = {{ {}{} }};", "a { ".repeat(d), "}".repeat(d));
        check_source("t.proto", &agg(99)).unwrap();
        assert!(err(&agg(2000)).starts_with("1:"), "{}", err(&agg(2000)));
        // Brackets in comments and strings do not count.
        let quiet = format!(
            "// {}\n/* {} */ option x = \"{}\";",
            "{".repeat(500),
            "[".repeat(500),
            "<".repeat(500)
        );
        check_source("t.proto", &quiet).unwrap();
    }

    #[test]
    fn import_depth_is_iterative() {
        let n = MAX_IMPORT_DEPTH + 5;
        let names: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
        let deps: HashMap<&str, Vec<String>> = names
            .iter()
            .enumerate()
            .map(|(i, f)| (f.as_str(), names.get(i + 1).cloned().into_iter().collect()))
            .collect();
        let get = |n: &str| deps.get(n).map(Vec::as_slice);
        assert!(import_depth(names.iter().map(String::as_str), get).is_err());
        // From the bottom up, every chain is short until the top.
        let got = import_depth(names[5..].iter().map(String::as_str), |n| {
            if n == "f4" {
                None
            } else {
                get(n)
            }
        });
        assert_eq!(got, Ok(MAX_IMPORT_DEPTH));
    }
}
