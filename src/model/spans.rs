//! Source positions, computed lazily: only files where a finding lands pay for them.
//!
//! Compiling keeps no source info (it is most of a descriptor's memory). When a finding needs
//! a position, the file's text is parsed again on its own (editions files through the same
//! lowering, which keeps every line and column) and its source info indexed. Columns are
//! converted from UTF-8 bytes to characters, which is what editors and annotations count.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use prost_reflect::prost_types::{FileDescriptorProto, SourceCodeInfo, UninterpretedOption};

use super::RawSpan;
use crate::compile::editions;

/// A 1-based span in characters; the end column is one past the last character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Span {
    /// The position of a finding whose element has no location: 1:1.
    pub const UNKNOWN: Span = Span {
        start_line: 1,
        start_column: 1,
        end_line: 1,
        end_column: 1,
    };
}

#[derive(Debug, Default)]
struct Index {
    spans: HashMap<Vec<i32>, RawSpan>,
    /// (element path, options field number, option name as written) -> span.
    options: HashMap<(Vec<i32>, String), RawSpan>,
    lines: Vec<String>,
    /// Element path -> its comments (detached, leading, trailing), as written.
    comments: HashMap<Vec<i32>, String>,
    /// Element path -> the options written on it, `(name, value)` in source order.
    written: HashMap<Vec<i32>, Vec<(String, String)>>,
    /// The file's imports, as written.
    imports: Vec<String>,
}

/// Where a file's positions come from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// The file's text: parse it again when needed.
    Text { name: String, text: Arc<str> },
    /// Source info shipped in a descriptor image (columns as the image's compiler counted).
    Info(Arc<SourceCodeInfo>),
    /// Nothing: findings in this file have no position.
    None,
}

#[derive(Debug, Clone)]
pub struct SpanSource {
    origin: Origin,
    index: Arc<OnceLock<Index>>,
}

impl SpanSource {
    pub fn new(origin: Origin) -> SpanSource {
        SpanSource {
            origin,
            index: Arc::new(OnceLock::new()),
        }
    }

    /// Whether findings in this file can have a position at all (`false` for [`Origin::None`]:
    /// an image without source info).
    pub fn has_positions(&self) -> bool {
        !matches!(self.origin, Origin::None)
    }

    /// Computes the positions now (they are otherwise computed on first use).
    pub fn prepare(&self) {
        self.index();
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| match &self.origin {
            Origin::Text { name, text } => index_text(name, text),
            Origin::Info(info) => {
                let mut index = Index::default();
                add_info(&mut index, info);
                index
            }
            Origin::None => Index::default(),
        })
    }

    /// The span of the element at `path`.
    pub fn span(&self, path: &[i32]) -> Option<Span> {
        let index = self.index();
        index.spans.get(path).map(|raw| self.convert(index, *raw))
    }

    /// The span of an option set on the element at `path`: `options_field` is the number of
    /// the `options` field in the element's descriptor, `number` the option's field number,
    /// `name` how it is written (`jstype`, `java_package`).
    pub fn option_span(
        &self,
        path: &[i32],
        options_field: i32,
        number: i32,
        name: &str,
    ) -> Option<Span> {
        let index = self.index();
        let mut interpreted = path.to_vec();
        interpreted.extend([options_field, number]);
        if let Some(raw) = index.spans.get(&interpreted) {
            return Some(self.convert(index, *raw));
        }
        index
            .options
            .get(&(path.to_vec(), name.to_owned()))
            .map(|raw| self.convert(index, *raw))
    }

    /// The span of a field's pseudo-option `default = value` (`sub` 7, `keyword` "default") or
    /// `json_name = "…"` (10, "json_name"): the compiler records only the value; editors and
    /// the reference tool point at the whole `keyword = value`.
    pub fn pseudo_option_span(&self, field_path: &[i32], sub: i32, keyword: &str) -> Option<Span> {
        let index = self.index();
        let mut p = field_path.to_vec();
        p.push(sub);
        let mut raw = *index.spans.get(&p)?;
        if let Some(line) = index.lines.get(raw[0] as usize) {
            let before = &line[..(raw[1].max(0) as usize).min(line.len())];
            let trimmed = before.trim_end().trim_end_matches('=').trim_end();
            if let Some(stripped) = trimmed.strip_suffix(keyword) {
                raw[1] = stripped.len() as i32;
            }
        }
        Some(self.convert(index, raw))
    }

    /// The file's text, when positions come from it.
    pub fn text(&self) -> Option<&str> {
        match &self.origin {
            Origin::Text { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The comments attached to the element at `path` (detached, leading and trailing, joined).
    pub fn comments(&self, path: &[i32]) -> Option<&str> {
        self.index().comments.get(path).map(String::as_str)
    }

    /// The options written on the element at `path`, `(name, value)` in source order (empty
    /// for images, whose options are interpreted).
    pub fn written_options(&self, path: &[i32]) -> &[(String, String)] {
        self.index().written.get(path).map_or(&[], Vec::as_slice)
    }

    /// The file's imports as written (empty when positions do not come from the text).
    pub fn imports(&self) -> &[String] {
        &self.index().imports
    }

    /// Converts a raw span given by the editions front-end (same coordinates as source info).
    pub fn raw(&self, raw: RawSpan) -> Span {
        self.convert(self.index(), raw)
    }

    fn convert(&self, index: &Index, raw: RawSpan) -> Span {
        let col = |line: i32, byte_col: i32| -> u32 {
            match index.lines.get(line as usize) {
                Some(text) => {
                    let mut b = (byte_col.max(0) as usize).min(text.len());
                    while b > 0 && !text.is_char_boundary(b) {
                        b -= 1;
                    }
                    text[..b].chars().count() as u32
                }
                None => byte_col.max(0) as u32,
            }
        };
        Span {
            start_line: raw[0] as u32 + 1,
            start_column: col(raw[0], raw[1]) + 1,
            end_line: raw[2] as u32 + 1,
            end_column: col(raw[2], raw[3]) + 1,
        }
    }
}

fn index_text(name: &str, text: &str) -> Index {
    let unmarked = crate::compile::without_bom(text);
    let text = &*unmarked;
    let parsed = if editions::detect_edition(text).is_some() {
        editions::lower(name, text).ok().map(|l| l.file)
    } else {
        protox_parse::parse(name, text).ok()
    };
    let mut index = Index {
        lines: text.split('\n').map(str::to_owned).collect(),
        ..Index::default()
    };
    if let Some(file) = parsed {
        if let Some(info) = &file.source_code_info {
            add_info(&mut index, info);
        }
        add_uninterpreted(&mut index, &file);
        index.imports = file.dependency.clone();
    }
    index
}

fn add_info(index: &mut Index, info: &SourceCodeInfo) {
    for loc in &info.location {
        let raw = match loc.span.as_slice() {
            [l, c, ec] => [*l, *c, *l, *ec],
            [l, c, el, ec] => [*l, *c, *el, *ec],
            _ => continue,
        };
        // Keep the first location of a path (the declaration, not later mentions).
        index.spans.entry(loc.path.clone()).or_insert(raw);
        let mut comments = loc.leading_detached_comments.join("\n");
        for c in [&loc.leading_comments, &loc.trailing_comments]
            .into_iter()
            .flatten()
        {
            comments.push('\n');
            comments.push_str(c);
        }
        if !comments.trim().is_empty() {
            index.comments.entry(loc.path.clone()).or_insert(comments);
        }
    }
}

fn add_options(index: &mut Index, path: &[i32], options_field: i32, opts: &[UninterpretedOption]) {
    if !opts.is_empty() {
        let written = opts
            .iter()
            .map(|o| (editions::option_name(&o.name), option_value(o)))
            .collect();
        index.written.insert(path.to_vec(), written);
    }
    for (i, opt) in opts.iter().enumerate() {
        let mut p = path.to_vec();
        p.extend([options_field, 999, i as i32]);
        if let Some(raw) = index.spans.get(&p).copied() {
            index
                .options
                .entry((path.to_vec(), editions::option_name(&opt.name)))
                .or_insert(raw);
        }
    }
}

/// An uninterpreted option's value as written (strings quoted, aggregates in braces).
fn option_value(o: &UninterpretedOption) -> String {
    if let Some(v) = &o.identifier_value {
        v.clone()
    } else if let Some(v) = o.positive_int_value {
        v.to_string()
    } else if let Some(v) = o.negative_int_value {
        v.to_string()
    } else if let Some(v) = o.double_value {
        v.to_string()
    } else if let Some(v) = &o.string_value {
        format!("{:?}", String::from_utf8_lossy(v))
    } else if let Some(v) = &o.aggregate_value {
        format!("{{{}}}", v.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        String::new()
    }
}

fn add_uninterpreted(index: &mut Index, file: &FileDescriptorProto) {
    use prost_reflect::prost_types::{DescriptorProto, EnumDescriptorProto, FieldDescriptorProto};
    fn field(index: &mut Index, path: &[i32], f: &FieldDescriptorProto) {
        if let Some(o) = &f.options {
            add_options(index, path, 8, &o.uninterpreted_option);
        }
    }
    fn enumeration(index: &mut Index, path: &[i32], e: &EnumDescriptorProto) {
        if let Some(o) = &e.options {
            add_options(index, path, 3, &o.uninterpreted_option);
        }
        for (i, v) in e.value.iter().enumerate() {
            if let Some(o) = &v.options {
                add_options(
                    index,
                    &[path, &[2, i as i32]].concat(),
                    3,
                    &o.uninterpreted_option,
                );
            }
        }
    }
    fn message(index: &mut Index, path: &[i32], m: &DescriptorProto) {
        if let Some(o) = &m.options {
            add_options(index, path, 7, &o.uninterpreted_option);
        }
        for (i, f) in m.field.iter().enumerate() {
            field(index, &[path, &[2, i as i32]].concat(), f);
        }
        for (i, f) in m.extension.iter().enumerate() {
            field(index, &[path, &[6, i as i32]].concat(), f);
        }
        for (i, n) in m.nested_type.iter().enumerate() {
            message(index, &[path, &[3, i as i32]].concat(), n);
        }
        for (i, e) in m.enum_type.iter().enumerate() {
            enumeration(index, &[path, &[4, i as i32]].concat(), e);
        }
        for (i, o) in m.oneof_decl.iter().enumerate() {
            if let Some(opts) = &o.options {
                add_options(
                    index,
                    &[path, &[8, i as i32]].concat(),
                    2,
                    &opts.uninterpreted_option,
                );
            }
        }
    }
    if let Some(o) = &file.options {
        add_options(index, &[], 8, &o.uninterpreted_option);
    }
    for (i, m) in file.message_type.iter().enumerate() {
        message(index, &[4, i as i32], m);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        enumeration(index, &[5, i as i32], e);
    }
    for (i, s) in file.service.iter().enumerate() {
        if let Some(o) = &s.options {
            add_options(index, &[6, i as i32], 3, &o.uninterpreted_option);
        }
        for (j, m) in s.method.iter().enumerate() {
            if let Some(o) = &m.options {
                add_options(
                    index,
                    &[6, i as i32, 2, j as i32],
                    4,
                    &o.uninterpreted_option,
                );
            }
        }
    }
    for (i, f) in file.extension.iter().enumerate() {
        field(index, &[7, i as i32], f);
    }
}
