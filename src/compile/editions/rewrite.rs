//! Source rewriting: the edition statement becomes a syntax statement and the editions-only
//! parts (compact-option defaults, identifier reserved names) are blanked, keeping every
//! line's byte length so positions stay those of the original file.

use std::ops::Range;

use super::error::{Ctx, Growth, LowerError};
use super::lex::{string_contents, Kind, Tok};

// ---------------------------------------------------------------------------------------------
// Source rewriting

pub(super) struct EditionStatement {
    pub(super) value: String,
    pub(super) value_range: Range<usize>,
    pub(super) stmt_range: Range<usize>,
    /// Index of the first token after the statement.
    pub(super) next_token: usize,
}

pub(super) fn edition_statement(
    tokens: &[Tok],
    source: &str,
) -> Result<Option<EditionStatement>, (Range<usize>, String)> {
    let Some(first) = tokens.first() else {
        return Ok(None);
    };
    if !first.is_ident(source, "edition") {
        return Ok(None);
    }
    let at = |i: usize| {
        tokens
            .get(i)
            .map_or(source.len()..source.len(), |t| t.start..t.end)
    };
    if !tokens.get(1).is_some_and(|t| t.is(Kind::Punct(b'='))) {
        return Err((at(1), "expected '=' after 'edition'".to_owned()));
    }
    let mut i = 2;
    let mut value = String::new();
    while tokens.get(i).is_some_and(|t| t.is(Kind::Str)) {
        value.push_str(string_contents(tokens[i].text(source)));
        i += 1;
    }
    if i == 2 {
        return Err((
            at(2),
            "expected a string literal naming the edition".to_owned(),
        ));
    }
    let value_range = tokens[2].start..tokens[i - 1].end;
    if !tokens.get(i).is_some_and(|t| t.is(Kind::Punct(b';'))) {
        return Err((at(i), "expected ';' after the edition".to_owned()));
    }
    Ok(Some(EditionStatement {
        value,
        value_range,
        stmt_range: first.start..tokens[i].end,
        next_token: i + 1,
    }))
}

/// A `default = value` entry found in a compact option list.
pub(super) struct DefaultEntry {
    /// The `default` keyword.
    pub(super) name: Range<usize>,
    /// The value tokens.
    pub(super) value: Range<usize>,
}

/// A `reserved foo, bar;` statement.
pub(super) struct ReservedNames {
    pub(super) range: Range<usize>,
    pub(super) names: Vec<(String, Range<usize>)>,
}

#[derive(Default)]
pub(super) struct Scan {
    pub(super) blanks: Vec<Range<usize>>,
    pub(super) defaults: Vec<DefaultEntry>,
    pub(super) reserved: Vec<ReservedNames>,
    pub(super) errors: Vec<LowerError>,
}

impl Scan {
    pub(super) fn run(&mut self, tokens: &[Tok], source: &str, start: usize, ctx: &Ctx) {
        let mut i = start;
        let mut at_statement_start = true;
        while i < tokens.len() {
            let token = tokens[i];
            let next = tokens.get(i + 1).copied();
            match token.kind {
                // `option x = { … }`: a text-format value, skip it whole.
                Kind::Punct(b'=') if next.is_some_and(|n| n.is(Kind::Punct(b'{'))) => {
                    i = matching_close(tokens, i + 1) + 1;
                    at_statement_start = false;
                    continue;
                }
                Kind::Punct(b'[') => {
                    let close = matching_close(tokens, i);
                    self.option_list(tokens, source, i, close);
                    i = close + 1;
                    at_statement_start = false;
                    continue;
                }
                Kind::Ident if at_statement_start && token.text(source) == "reserved" => {
                    match next.map(|n| n.kind) {
                        Some(Kind::Ident) => {
                            i = self.reserved_names(tokens, source, i, ctx);
                            at_statement_start = true;
                            continue;
                        }
                        Some(Kind::Str) => {
                            let n = next.unwrap();
                            self.errors.push(ctx.error(
                                n.start..n.end,
                                "Reserved names must be identifiers in editions, not string literals.",
                            ));
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
            at_statement_start = matches!(token.kind, Kind::Punct(b';' | b'{' | b'}'));
            i += 1;
        }
    }

    /// Blank the `default = …` entries of the option list `tokens[open..=close]`.
    pub(super) fn option_list(&mut self, tokens: &[Tok], source: &str, open: usize, close: usize) {
        if close >= tokens.len() {
            return; // unterminated: protox-parse reports it
        }
        let mut entries: Vec<Range<usize>> = Vec::new(); // token index ranges
        let mut commas: Vec<usize> = Vec::new();
        let mut depth = 0usize;
        let mut entry_start = open + 1;
        for (j, token) in tokens.iter().enumerate().take(close).skip(open + 1) {
            match token.kind {
                Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
                Kind::Punct(b')' | b']' | b'}') => depth = depth.saturating_sub(1),
                Kind::Punct(b',') if depth == 0 => {
                    entries.push(entry_start..j);
                    commas.push(j);
                    entry_start = j + 1;
                }
                _ => {}
            }
        }
        entries.push(entry_start..close);

        let is_default = |entry: &Range<usize>| {
            entry.len() >= 3
                && tokens[entry.start].is_ident(source, "default")
                && tokens[entry.start + 1].is(Kind::Punct(b'='))
        };
        let kept: Vec<usize> = (0..entries.len())
            .filter(|&k| !is_default(&entries[k]))
            .collect();
        if kept.len() == entries.len() {
            return;
        }
        for entry in entries.iter().filter(|e| is_default(e)) {
            self.defaults.push(DefaultEntry {
                name: tokens[entry.start].start..tokens[entry.start].end,
                value: tokens[entry.start + 2].start..tokens[entry.end - 1].end,
            });
        }
        if kept.is_empty() {
            self.blanks.push(tokens[open].start..tokens[close].end);
            return;
        }
        for (k, entry) in entries.iter().enumerate() {
            if is_default(entry) {
                self.blanks
                    .push(tokens[entry.start].start..tokens[entry.end - 1].end);
            }
            // Keep the comma after each kept entry except the last kept one.
            if k < commas.len() && !(kept.contains(&k) && k != *kept.last().unwrap()) {
                self.blanks
                    .push(tokens[commas[k]].start..tokens[commas[k]].end);
            }
        }
    }

    /// `reserved a, b;` at `tokens[start]`; returns the index after the statement.
    pub(super) fn reserved_names(
        &mut self,
        tokens: &[Tok],
        source: &str,
        start: usize,
        ctx: &Ctx,
    ) -> usize {
        let mut names = Vec::new();
        let mut i = start + 1;
        loop {
            let Some(name) = tokens.get(i).filter(|t| t.is(Kind::Ident)) else {
                let at = tokens
                    .get(i)
                    .map_or(source.len()..source.len(), |t| t.start..t.end);
                self.errors.push(ctx.error(at, "expected an identifier"));
                return i;
            };
            names.push((name.text(source).to_owned(), name.start..name.end));
            match tokens.get(i + 1).map(|t| t.kind) {
                Some(Kind::Punct(b',')) => i += 2,
                Some(Kind::Punct(b';')) => {
                    let range = tokens[start].start..tokens[i + 1].end;
                    self.blanks.push(range.clone());
                    self.reserved.push(ReservedNames { range, names });
                    return i + 2;
                }
                _ => {
                    let at = tokens
                        .get(i + 1)
                        .map_or(source.len()..source.len(), |t| t.start..t.end);
                    self.errors.push(ctx.error(at, "expected ',' or ';'"));
                    return i + 1;
                }
            }
        }
    }
}

/// Index of the token closing the bracket at `open` (`tokens.len()` when unterminated).
pub(super) fn matching_close(tokens: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(open) {
        match token.kind {
            Kind::Punct(b'(' | b'[' | b'{') => depth += 1,
            Kind::Punct(b')' | b']' | b'}') => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Replace every byte but line breaks with a space.
pub(super) fn blank(buf: &mut [u8], range: Range<usize>) {
    for b in &mut buf[range] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Write `syntax="proto3";` over the edition statement, keeping its line breaks.
pub(super) fn write_syntax(buf: &mut Vec<u8>, stmt: Range<usize>) -> Option<Growth> {
    blank(buf, stmt.clone());
    let mut segments = Vec::new();
    let mut seg_start = stmt.start;
    for i in stmt.clone() {
        if buf[i] == b'\n' {
            let end = if i > seg_start && buf[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            segments.push(seg_start..end);
            seg_start = i + 1;
        }
    }
    let mut end = stmt.end;
    while end < buf.len() && matches!(buf[end], b' ' | b'\t') {
        end += 1;
    }
    segments.push(seg_start..end);

    const PIECES: [&[u8]; 4] = [b"syntax", b"=", b"\"proto3\"", b";"];
    let mut piece = 0;
    let mut cursor_after = stmt.start;
    for segment in &segments {
        let mut cursor = segment.start;
        while piece < PIECES.len() && cursor + PIECES[piece].len() <= segment.end {
            buf[cursor..cursor + PIECES[piece].len()].copy_from_slice(PIECES[piece]);
            cursor += PIECES[piece].len();
            cursor_after = cursor;
            piece += 1;
        }
    }
    if piece == PIECES.len() {
        return None;
    }
    let rest: Vec<u8> = PIECES[piece..].concat();
    let len = rest.len();
    buf.splice(cursor_after..cursor_after, rest);
    Some(Growth {
        at: cursor_after,
        len,
    })
}
