//! Turning an `Issue` (element path + where on it) into `file:line:column`: the file is parsed
//! again with source info (the link ran without it), the way `model::spans` does for findings.

use std::collections::HashMap;

use prost_reflect::prost_types::{DescriptorProto, FileDescriptorProto, UninterpretedOption};

use super::{At, Ctx, Issue};
use crate::compile::diagnostic::{line_col, source_line};
use crate::compile::CompileError;

/// The earliest (by position) of one file's issues, located.
pub(super) fn locate(ctx: &mut Ctx, side: &str, issues: Vec<Issue>) -> CompileError {
    let file = issues.first().map(|i| i.file.clone()).unwrap_or_default();
    let source = ctx.source(&file);
    let parsed: Option<FileDescriptorProto> = match ctx.lowered(&file) {
        Some(l) => Some(l.file.clone()),
        None => source
            .as_deref()
            .and_then(|s| protox_parse::parse(&file, s).ok()),
    };
    let index: HashMap<Vec<i32>, [i32; 4]> = parsed
        .as_ref()
        .and_then(|p| p.source_code_info.as_ref())
        .map(|sci| {
            let mut map = HashMap::new();
            for loc in sci.location.iter().rev() {
                if let Some(span) = span4(&loc.span) {
                    map.insert(loc.path.clone(), span);
                }
            }
            map
        })
        .unwrap_or_default();
    let mut best: Option<((usize, usize), Issue)> = None;
    let mut unlocated: Option<Issue> = None;
    for issue in issues {
        let pos = source
            .as_deref()
            .and_then(|s| position(s, parsed.as_ref(), &index, &issue));
        match pos {
            Some(p) if best.as_ref().is_none_or(|(b, _)| p < *b) => best = Some((p, issue)),
            Some(_) => {}
            None => {
                unlocated.get_or_insert(issue);
            }
        }
    }
    let (pos, issue) = match (best, unlocated) {
        (Some((p, i)), _) => (Some(p), i),
        (None, Some(i)) => (None, i),
        (None, None) => {
            return CompileError {
                side: side.to_owned(),
                file: Some(file),
                line: None,
                column: None,
                message: "invalid descriptor".into(),
                source_line: None,
                help: None,
            }
        }
    };
    let (line, column) = pos.unwrap_or((1, 1));
    CompileError {
        side: side.to_owned(),
        file: Some(issue.file),
        line: Some(line),
        column: Some(column),
        message: issue.message,
        source_line: source.as_deref().and_then(|s| source_line(s, line)),
        help: None,
    }
}

fn span4(span: &[i32]) -> Option<[i32; 4]> {
    match *span {
        [l, c1, c2] => Some([l, c1, l, c2]),
        [l1, c1, l2, c2] => Some([l1, c1, l2, c2]),
        _ => None,
    }
}

fn with(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

/// 1-based line and character column of the issue.
fn position(
    source: &str,
    parsed: Option<&FileDescriptorProto>,
    index: &HashMap<Vec<i32>, [i32; 4]>,
    issue: &Issue,
) -> Option<(usize, usize)> {
    let path = &issue.path;
    let mut candidates: Vec<Vec<i32>> = Vec::new();
    let mut after = false;
    match &issue.at {
        At::Span(span) => return Some(to_line_col(source, span[0], span[1])),
        At::Name => candidates.push(with(path, &[1])),
        At::Number => candidates.push(with(path, &[3])),
        At::Type => {
            candidates.push(with(path, &[6]));
            candidates.push(with(path, &[5]));
        }
        At::Extendee => candidates.push(with(path, &[2])),
        At::JsonName => candidates.push(with(path, &[10])),
        At::Option { options_tag, name } => {
            if let Some(i) = parsed.and_then(|p| option_index(p, path, *options_tag, name)) {
                candidates.push(with(path, &[*options_tag, 999, i as i32]));
            }
            candidates.push(with(path, &[*options_tag]));
        }
        At::Import(i) => candidates.push(vec![3, *i]),
        At::Syntax => candidates.push(vec![12]),
        At::Element => {}
        At::After => after = true,
    }
    // Then the element itself, then its enclosing elements.
    let mut p = path.clone();
    loop {
        candidates.push(p.clone());
        if p.len() < 2 {
            break;
        }
        p.truncate(p.len() - 2);
    }
    for (k, c) in candidates.iter().enumerate() {
        if let Some(span) = index.get(c) {
            if after && k == 0 {
                return Some(next_token(source, span[2], span[3]));
            }
            return Some(to_line_col(source, span[0], span[1]));
        }
    }
    None
}

/// 0-based line and byte column to 1-based line and character column.
fn to_line_col(source: &str, line: i32, col: i32) -> (usize, usize) {
    line_col(source, byte_offset(source, line, col))
}

fn byte_offset(source: &str, line: i32, col: i32) -> usize {
    let mut start = 0usize;
    for _ in 0..line.max(0) {
        match source[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return source.len(),
        }
    }
    let end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    (start + col.max(0) as usize).min(end)
}

/// The first token at or after a 0-based (line, byte column): whitespace and comments skipped.
fn next_token(source: &str, line: i32, col: i32) -> (usize, usize) {
    let bytes = source.as_bytes();
    let mut i = byte_offset(source, line, col);
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
            }
            _ => break,
        }
    }
    line_col(source, i)
}

/// Index of the uninterpreted option named `name` on the element at `path` (as parsed).
fn option_index(file: &FileDescriptorProto, path: &[i32], tag: i32, name: &str) -> Option<usize> {
    let options = uninterpreted(file, path, tag)?;
    options.iter().position(|o| {
        o.name
            .first()
            .is_some_and(|n| !n.is_extension && n.name_part == name)
    })
}

// long: one match over every descriptor kind that has options; splitting scatters it
fn uninterpreted<'a>(
    file: &'a FileDescriptorProto,
    path: &[i32],
    tag: i32,
) -> Option<&'a [UninterpretedOption]> {
    if path.is_empty() {
        return (tag == 8).then(|| {
            file.options
                .as_ref()
                .map_or(&[][..], |o| &o.uninterpreted_option[..])
        });
    }
    let (kind, index) = (path[path.len() - 2], path[path.len() - 1] as usize);
    let parent = &path[..path.len() - 2];
    let opts = |v: Option<&'a Vec<UninterpretedOption>>| v.map(|v| &v[..]);
    if parent.is_empty() {
        return match kind {
            4 => opts(
                file.message_type
                    .get(index)?
                    .options
                    .as_ref()
                    .map(|o| &o.uninterpreted_option),
            ),
            5 => opts(
                file.enum_type
                    .get(index)?
                    .options
                    .as_ref()
                    .map(|o| &o.uninterpreted_option),
            ),
            7 => opts(
                file.extension
                    .get(index)?
                    .options
                    .as_ref()
                    .map(|o| &o.uninterpreted_option),
            ),
            6 => opts(
                file.service
                    .get(index)?
                    .options
                    .as_ref()
                    .map(|o| &o.uninterpreted_option),
            ),
            _ => None,
        };
    }
    if kind == 2 && is_enum_path(parent) {
        let e = enum_at(file, parent)?;
        return opts(
            e.value
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        );
    }
    if kind == 2 && parent.len() == 2 && parent[0] == 6 {
        let s = file.service.get(parent[1] as usize)?;
        return opts(
            s.method
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        );
    }
    let m = message_at(file, parent)?;
    match kind {
        2 => opts(
            m.field
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        ),
        6 => opts(
            m.extension
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        ),
        3 => opts(
            m.nested_type
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        ),
        4 => opts(
            m.enum_type
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        ),
        8 => opts(
            m.oneof_decl
                .get(index)?
                .options
                .as_ref()
                .map(|o| &o.uninterpreted_option),
        ),
        _ => None,
    }
}

/// Whether `path` names an enum: `[5, i]` or `[4, i, (3, j)*, 4, k]`.
fn is_enum_path(path: &[i32]) -> bool {
    (path.len() == 2 && path[0] == 5)
        || (path.len() >= 4 && path[0] == 4 && path[path.len() - 2] == 4)
}

fn enum_at<'a>(
    file: &'a FileDescriptorProto,
    path: &[i32],
) -> Option<&'a prost_reflect::prost_types::EnumDescriptorProto> {
    if path.len() == 2 && path[0] == 5 {
        return file.enum_type.get(path[1] as usize);
    }
    let m = message_at(file, &path[..path.len().checked_sub(2)?])?;
    m.enum_type.get(*path.last()? as usize)
}

/// The message at a path of `[4, i]` then `[3, j]` pairs.
pub(super) fn message_at<'a>(
    file: &'a FileDescriptorProto,
    path: &[i32],
) -> Option<&'a DescriptorProto> {
    let mut pairs = path.chunks(2);
    let first = pairs.next()?;
    if first.len() != 2 || first[0] != 4 {
        return None;
    }
    let mut m = file.message_type.get(first[1] as usize)?;
    for pair in pairs {
        if pair.len() != 2 || pair[0] != 3 {
            return None;
        }
        m = m.nested_type.get(pair[1] as usize)?;
    }
    Some(m)
}
