//! A small protobuf tokenizer, enough to find the statements the rewriter must change.

// ---------------------------------------------------------------------------------------------
// Lexing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Ident,
    Number,
    Str,
    Punct(u8),
    Other,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Tok {
    pub(super) fn text(self, source: &str) -> &str {
        &source[self.start..self.end]
    }

    pub(super) fn is(self, kind: Kind) -> bool {
        self.kind == kind
    }

    pub(super) fn is_ident(self, source: &str, word: &str) -> bool {
        self.kind == Kind::Ident && self.text(source) == word
    }
}

/// A protobuf-ish tokenizer: enough to find statements, option lists and string literals.
pub(super) struct Lexer<'a> {
    pub(super) src: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(source: &'a str) -> Self {
        let src = source.as_bytes();
        let pos = if src.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Lexer { src, pos }
    }

    pub(super) fn skip_trivia(&mut self) {
        let src = self.src;
        loop {
            match src.get(self.pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.pos += 1,
                Some(b'/') if src.get(self.pos + 1) == Some(&b'/') => {
                    while self.pos < src.len() && src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                Some(b'/') if src.get(self.pos + 1) == Some(&b'*') => {
                    self.pos += 2;
                    while self.pos < src.len() && !src[self.pos..].starts_with(b"*/") {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 2).min(src.len());
                }
                _ => return,
            }
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Tok;

    fn next(&mut self) -> Option<Tok> {
        self.skip_trivia();
        let src = self.src;
        let start = self.pos;
        let b = *src.get(start)?;
        let kind = if b.is_ascii_alphabetic() || b == b'_' {
            while self.pos < src.len()
                && (src[self.pos].is_ascii_alphanumeric() || src[self.pos] == b'_')
            {
                self.pos += 1;
            }
            Kind::Ident
        } else if b.is_ascii_digit()
            || (b == b'.' && src.get(start + 1).is_some_and(|c| c.is_ascii_digit()))
        {
            let hex = b == b'0' && matches!(src.get(start + 1), Some(b'x' | b'X'));
            self.pos += 1;
            while let Some(&c) = src.get(self.pos) {
                let exponent_sign =
                    (c == b'+' || c == b'-') && !hex && matches!(src[self.pos - 1], b'e' | b'E');
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || exponent_sign {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            Kind::Number
        } else if b == b'"' || b == b'\'' {
            self.pos += 1;
            while let Some(&c) = src.get(self.pos) {
                if c == b'\\' {
                    self.pos += 2;
                } else if c == b'\n' {
                    break;
                } else {
                    self.pos += 1;
                    if c == b {
                        break;
                    }
                }
            }
            self.pos = self.pos.min(src.len());
            // An escape may have stepped into a multi-byte character: stop on a boundary.
            while self.pos < src.len() && (src[self.pos] & 0xC0) == 0x80 {
                self.pos += 1;
            }
            Kind::Str
        } else if b < 0x80 {
            self.pos += 1;
            Kind::Punct(b)
        } else {
            self.pos += 1;
            while self.pos < src.len() && (src[self.pos] & 0xC0) == 0x80 {
                self.pos += 1;
            }
            Kind::Other
        };
        Some(Tok {
            kind,
            start,
            end: self.pos,
        })
    }
}

/// The text between the quotes of a string literal token (raw, escapes not decoded).
pub(super) fn string_contents(literal: &str) -> &str {
    let bytes = literal.as_bytes();
    let end = if bytes.len() >= 2 && bytes[bytes.len() - 1] == bytes[0] {
        literal.len() - 1
    } else {
        literal.len()
    };
    literal.get(1..end).unwrap_or("")
}
