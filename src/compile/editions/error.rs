//! Errors and positions: the per-file context that turns byte ranges into protoc-shaped spans,
//! and the error type whose place [`error_location`] recovers after protox hides it.

use std::fmt;
use std::ops::Range;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

// ---------------------------------------------------------------------------------------------
// Errors and positions

pub(super) struct Ctx<'a> {
    pub(super) name: &'a str,
    pub(super) source: &'a str,
    pub(super) line_starts: Vec<usize>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(name: &'a str, source: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Ctx {
            name,
            source,
            line_starts,
        }
    }

    /// 0-based (line, byte column) of a byte offset.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line, offset - self.line_starts[line])
    }

    /// Byte offset of a 0-based (line, byte column), clamped to the line.
    pub(super) fn offset(&self, line: i32, col: i32) -> usize {
        let line = (line.max(0) as usize).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.source.len(), |&next| next - 1);
        (start + col.max(0) as usize).min(end)
    }

    pub(super) fn span_of(&self, range: Range<usize>) -> [i32; 4] {
        let (l1, c1) = self.position(range.start);
        let (l2, c2) = self.position(range.end);
        [l1 as i32, c1 as i32, l2 as i32, c2 as i32]
    }

    pub(super) fn range_of(&self, span: [i32; 4]) -> Range<usize> {
        let start = self.offset(span[0], span[1]);
        let end = self.offset(span[2], span[3]).max(start);
        start..end
    }

    pub(super) fn error(&self, range: Range<usize>, message: impl Into<String>) -> LowerError {
        let (line, col) = self.position(range.start);
        LowerError {
            message: message.into(),
            location: ErrorLocation {
                file: self.name.to_owned(),
                span: range,
                line: line + 1,
                column: col + 1,
                help: None,
            },
            source_code: NamedSource::new(self.name, self.source.to_owned()),
            related: Vec::new(),
        }
    }

    pub(super) fn fail(&self, range: Range<usize>, message: impl Into<String>) -> protox::Error {
        protox::Error::new(self.error(range, message))
    }
}

/// Where an error raised by this module points in the original source.
///
/// Errors that protox-parse raises (syntax errors) are ordinary parse errors with `file()` and
/// miette labels. Errors this module raises itself (unsupported edition, invalid features, …)
/// have to be wrapped with `protox::Error::new`, which hides their miette diagnostics
/// (`file()`, `labels()`, `source_code()` and `help()` are all empty), so their location is
/// exposed here instead: use [`error_location`]. Their `Debug` form is `file:line:column: message`
/// and `Display` is the bare message, as for protox's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLocation {
    /// The file name given to [`lower`](super::lower).
    pub file: String,
    /// Byte range in the original source.
    pub span: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column in bytes (as protox counts them).
    pub column: usize,
    /// A hint on how to fix it, when there is one.
    pub help: Option<String>,
}

impl fmt::Display for ErrorLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl std::error::Error for ErrorLocation {}

/// The location of an error that [`lower`](super::lower) raised itself (see [`ErrorLocation`]); `None` for
/// protox-parse's own errors, which carry `file()` and miette labels, and for any other error.
pub fn error_location(err: &protox::Error) -> Option<&ErrorLocation> {
    std::error::Error::source(err)?.downcast_ref::<ErrorLocation>()
}

/// An error found by this module, located in the original source.
pub(super) struct LowerError {
    pub(super) message: String,
    pub(super) location: ErrorLocation,
    pub(super) source_code: NamedSource<String>,
    pub(super) related: Vec<LowerError>,
}

impl LowerError {
    pub(super) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.location.help = Some(help.into());
        self
    }
}

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// `source()` is the location: protox's transparent wrappers forward it, which is how
/// [`error_location`] finds it.
impl std::error::Error for LowerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.location)
    }
}

impl Diagnostic for LowerError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.location
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = LabeledSpan::new_with_span(Some("here".to_owned()), self.location.span.clone());
        Some(Box::new(std::iter::once(label)))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|e| e as &dyn Diagnostic)))
        }
    }
}

/// The first error (by position) with the others attached as related diagnostics.
pub(super) fn into_protox(mut errors: Vec<LowerError>) -> protox::Error {
    errors.sort_by_key(|e| e.location.span.start);
    let mut first = errors.remove(0);
    first.related = errors;
    protox::Error::new(first)
}

/// Bytes inserted into the lowered source (only when the edition statement is too short).
#[derive(Debug, Clone, Copy)]
pub(super) struct Growth {
    pub(super) at: usize,
    pub(super) len: usize,
}

impl Growth {
    pub(super) fn to_original(self, offset: usize) -> usize {
        if offset <= self.at {
            offset
        } else {
            offset.saturating_sub(self.len).max(self.at)
        }
    }
}

/// protox-parse errors keep their own source (the lowered text, same lines); the few whose
/// wording only makes sense for proto3 are re-worded the way protoc words them for editions.
pub(super) fn map_parse_error(
    err: protox_parse::ParseError,
    ctx: &Ctx,
    growth: Option<Growth>,
) -> protox::Error {
    let message = err.to_string();
    let reworded = match message.as_str() {
        "required fields are not allowed in proto3 syntax" => Some(
            "Label \"required\" is not supported in editions, use features.field_presence = LEGACY_REQUIRED.",
        ),
        "groups are not allowed in proto3 syntax" => Some(
            "Group syntax is no longer supported in editions. To get group behavior you can specify features.message_encoding = DELIMITED on a message field.",
        ),
        _ => None,
    };
    match (reworded, err.span()) {
        (Some(text), Some(span)) => {
            let map = |o: usize| growth.map_or(o, |g| g.to_original(o));
            ctx.fail(map(span.start)..map(span.end), text)
        }
        _ => protox::Error::from(err),
    }
}

pub(super) fn span4(span: &[i32]) -> [i32; 4] {
    match *span {
        [l, c1, c2] => [l, c1, l, c2],
        [l1, c1, l2, c2] => [l1, c1, l2, c2],
        _ => [0, 0, 0, 0],
    }
}

pub(super) fn contains(span: [i32; 4], pos: (usize, usize)) -> bool {
    let pos = (pos.0 as i32, pos.1 as i32);
    (span[0], span[1]) <= pos && pos < (span[2], span[3])
}
