//! Compiler errors as located diagnostics: which side failed, file, line and column (in
//! characters, as editors count them), the message, and the offending source line.

use std::fmt;

use miette::Diagnostic;

use super::SourceTree;

/// A .proto file that did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// Which side failed: "input" or "against".
    pub side: String,
    pub file: Option<String>,
    /// 1-based line and column (characters), when the compiler gave a position.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The source line the position points into.
    pub source_line: Option<String>,
    pub help: Option<String>,
}

impl std::error::Error for CompileError {}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} does not compile: ", self.side)?;
        match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(col)) => write!(f, "{file}:{line}:{col}: ")?,
            (Some(file), _, _) => write!(f, "{file}: ")?,
            _ => {}
        }
        write!(f, "{}", self.message)?;
        if let (Some(src), Some(line), Some(col)) = (&self.source_line, self.line, self.column) {
            let (src, col) = &window(src, col);
            let col = *col;
            let gutter = line.to_string().len();
            write!(
                f,
                "\n {:>gutter$} |\n {line} | {src}\n {:>gutter$} | ",
                "", ""
            )?;
            // Keep tabs so the caret lines up under the same characters.
            let pad: String = src
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{pad}^")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n help: {help}")?;
        }
        Ok(())
    }
}

/// Longest source line shown in full; longer ones are cut around the column.
const MAX_SHOWN: usize = 160;

/// The part of a source line to show and the column in it: the line itself, or for a very
/// long line (a generated file, hostile input) [`MAX_SHOWN`] characters around the column.
fn window(src: &str, col: usize) -> (String, usize) {
    let len = src.chars().count();
    if len <= MAX_SHOWN {
        return (src.to_owned(), col);
    }
    let start = col.saturating_sub(1 + MAX_SHOWN / 2);
    let end = (start + MAX_SHOWN).min(len);
    let mut out: String = if start > 0 {
        "…".to_owned()
    } else {
        String::new()
    };
    out.extend(src.chars().skip(start).take(end - start));
    if end < len {
        out.push('…');
    }
    (out, col - start + usize::from(start > 0))
}

/// Where each line of a text starts, for many offset → line/column lookups (a binary search
/// each, instead of a scan of the text before the offset).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// What [`line_col`] says, without scanning the text before `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

/// 1-based line and character column of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The text of 1-based line `line`, without its newline.
pub fn source_line(source: &str, line: usize) -> Option<String> {
    source
        .split('\n')
        .nth(line.checked_sub(1)?)
        .map(|l| l.trim_end_matches('\r').to_owned())
}

impl CompileError {
    pub fn from_protox(side: &str, err: &protox::Error, tree: &SourceTree) -> CompileError {
        if let Some(loc) = super::editions::error_location(err) {
            // Errors of the editions front-end carry their own location.
            let source = tree.files.get(&loc.file);
            let (line, column) = match source {
                Some(src) => line_col(src, loc.span.start),
                None => (loc.line, loc.column),
            };
            return CompileError {
                side: side.to_owned(),
                file: Some(loc.file.clone()),
                line: Some(line),
                column: Some(column),
                message: err.to_string(),
                source_line: source.and_then(|s| source_line(s, line)),
                help: loc.help.clone(),
            };
        }
        let file = err.file().map(str::to_owned);
        let mut out = CompileError {
            side: side.to_owned(),
            file: file.clone(),
            line: None,
            column: None,
            message: err.to_string(),
            source_line: None,
            help: err.help().map(|h| h.to_string()),
        };
        // Duplicates carry both definitions; protoc points at the second one.
        let labels: Vec<_> = err.labels().map(|l| l.collect()).unwrap_or_default();
        let offset = labels
            .iter()
            .find(|l| l.label() == Some("defined again here"))
            .or(labels.first())
            .map(|label| label.offset());
        let source = file
            .as_deref()
            .and_then(|f| tree.files.get(f).or_else(|| tree.imports.get(f)))
            .map(|s| s.to_string())
            .or_else(|| {
                let code = err.source_code()?;
                let span = code.read_span(&(0, 0).into(), 0, usize::MAX).ok()?;
                std::str::from_utf8(span.data()).ok().map(str::to_owned)
            });
        if let (Some(offset), Some(source)) = (offset, source) {
            let (line, col) = line_col(&source, offset);
            out.line = Some(line);
            out.column = Some(col);
            out.source_line = source_line(&source, line);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_index_agrees_with_line_col() {
        let src = "a\n\t\u{e9}\u{e9}x\n\nlast";
        let index = LineIndex::new(src);
        for offset in 0..=src.len() + 2 {
            assert_eq!(index.line_col(offset), line_col(src, offset), "{offset}");
        }
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let (shown, col) = window(&line, 1001);
        assert!(shown.chars().count() <= MAX_SHOWN + 2, "{shown}");
        assert_eq!(shown.chars().nth(col - 1), Some('X'));
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(window("short", 3), ("short".to_owned(), 3));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = "a\n\t\u{e9}\u{e9}x\n";
        // offset of 'x': "a\n" (2) + tab (1) + two 2-byte chars (4) = 7
        assert_eq!(line_col(src, 7), (2, 4));
        assert_eq!(source_line(src, 2).as_deref(), Some("\t\u{e9}\u{e9}x"));
    }
}
