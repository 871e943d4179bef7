//! Editions front-end: everything protosync does to read `edition = "2023";` files.
//!
//! protox / protox-parse 0.10 cannot parse editions files, prost-reflect 0.16 refuses descriptors
//! whose `syntax` is `"editions"`, and prost-types 0.14 has no `edition` or `features` fields. This
//! module owns the workaround: [`lower`] turns an editions-2023 source file into an *unlinked*
//! proto2 [`FileDescriptorProto`] that protox links (hand it over with
//! `protox::file::File::from_file_descriptor_proto`, from a `FileResolver` chained before
//! `protox::file::GoogleFileResolver`) and prost-reflect loads, and it reports every `features.*`
//! setting it lifted out of the options, with the descriptor path of the element it was set on
//! and its source span. [`detect_edition`] is the cheap check that decides whether a file needs
//! this at all.
//!
//! How the lowering works:
//! - The source is rewritten into `lowered_source`, which keeps every line's byte length, so
//!   the positions protox-parse reports (errors and `source_code_info`) are positions in the
//!   original file: the `edition = "2023";` statement becomes `syntax = "proto3";` (proto3 mode
//!   is what accepts unlabeled fields), `default = …` entries of compact options are blanked with
//!   spaces (proto3 mode refuses them), and `reserved foo, bar;` statements (identifier names are
//!   editions-only) are blanked too. The result is parsed by `protox_parse::parse`.
//! - The descriptor's `syntax` is then set to `"proto2"`; unlabeled singular fields already carry
//!   `LABEL_OPTIONAL`, and fields with `features.field_presence = LEGACY_REQUIRED` get
//!   `LABEL_REQUIRED`. Defaults are put back into `default_value` by protox-parse itself (each
//!   value is parsed in a one-field proto2 file), so they read exactly as in protox's proto2
//!   descriptors and as protoc writes them (strings unescaped, bytes C-escaped, enum values by
//!   name, integers, `true`, `inf` / `-inf` / `nan`), except float spelling, where protox-parse
//!   prints `9e9` as `9000000000` and protoc as `9e+09`; keeping protox's form means a proto2 file
//!   and its editions migration get the same string. Each default gets a `[…, 7]` location.
//!   Reserved names go back into `reserved_name` with protoc-shaped locations.
//! - Every uninterpreted option whose name starts with `features` is removed (its source location
//!   is renamed to the path protoc gives the interpreted option, e.g. `[4, 0, 2, 1, 8, 21, 1]`)
//!   and reported in [`Lowered::features`] (core and `(pb.cpp).string_type` /
//!   `(pb.java).utf8_validation`) or [`Lowered::other_features`] (other language or custom
//!   features). All other options (`json_name`, `deprecated`, `packed`, `ctype`, `jstype`,
//!   custom options, …) stay uninterpreted for protox (protoc 36 rejects `packed` in editions
//!   files; it is accepted here). Delimited message fields stay
//!   `TYPE_MESSAGE`; read `message_encoding` from the features list.
//! - `google/protobuf/cpp_features.proto`, `java_features.proto` and `go_features.proto` are not
//!   bundled by protox 0.10's `GoogleFileResolver` (and protox's `descriptor.proto` has no
//!   `FeatureSet` for them to extend), so an import of one of them is dropped from the lowered
//!   descriptor's `dependency` list when, after lifting, nothing else in the file refers to
//!   `pb.cpp` / `pb.java` / `pb.go` or their messages. Dropped imports are listed in
//!   [`Lowered::dropped_imports`].
//!
//! The checks protoc makes on features are mirrored where the file alone decides them (known
//! feature names and values, where a feature may be set, presence on repeated / oneof / extension
//! / message fields, defaults on implicit-presence fields, open enums starting at zero, `optional`
//! / `required` labels, groups, string-literal reserved names). Errors are `protox::Error`s whose
//! `Debug` form is `file:line:column: message` for the original source (0-based positions + 1,
//! byte columns, as protox prints them). Syntax errors are protox-parse's own (`is_parse()`,
//! `file()` and miette labels set); the source text they carry for miette rendering is
//! `lowered_source`. Errors raised by this module itself must go through `protox::Error::new`,
//! which hides miette data (`file()`, `labels()` are empty): [`error_location`] returns their
//! file, byte span, line, column and help.
//!
//! The steps live in child modules, in the order [`lower`] runs them: `lex` (tokens),
//! `rewrite` (the length-keeping source rewrite), `elements` (descriptor paths and option
//! access), `features` (the feature catalogue), `lift` (taking `features.*` out of the
//! options), `validate` (protoc's single-file checks), `apply` (required labels, defaults and
//! reserved names written back), `imports` (dropped feature imports) and `error` (positions and
//! the error type). Edition 2024 (its keywords, features, restrictions and symbol visibility) is
//! in `edition_2024`, called only for 2024 files.
//!
//! Known limits: editions 2023 and 2024 only; checks that need types from other files (closed enums from
//! imports in implicit-presence fields, message types from imports) are made after linking, by
//! `compile::validate`; comments in
//! front of a `reserved` identifier statement end up as detached comments of the next element;
//! an `edition="2023";` statement written without any spaces is one byte shorter than
//! `syntax="proto3";`, so that one line of `lowered_source` grows by a byte when no blank follows
//! it. Link errors (from protox, after lowering) carry source-info positions but no source text,
//! as for any `File::from_file_descriptor_proto`.

use std::collections::HashMap;

use prost_reflect::prost_types::FileDescriptorProto;

mod apply;
mod edition_2024;
mod elements;
mod error;
mod features;
mod imports;
mod lex;
mod lift;
mod rewrite;
mod validate;

#[cfg(test)]
mod tests;

pub use edition_2024::{check_visibility, LocalSymbol};
pub use error::{error_location, ErrorLocation};
pub use features::Feature;
pub(crate) use lift::option_name;

use edition_2024::Scan2024;
use elements::{feature_chain, walk, TypeIndex};
use error::{into_protox, map_parse_error, span4, Ctx, Growth};
use imports::drop_feature_imports;
use lex::{string_contents, Kind, Lexer, Tok};
use lift::{compact_span, Post};
use rewrite::{blank, edition_statement, write_syntax, EditionStatement, Scan};

/// Editions [`lower`] accepts.
pub const SUPPORTED_EDITIONS: &[&str] = &["2023", "2024"];

/// One feature set explicitly on one element: `option features.enum_type = CLOSED;` or `[features.field_presence = IMPLICIT]`
/// or `[features.(pb.cpp).string_type = CORD]` / `features.(pb.java).utf8_validation = VERIFY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSetting {
    pub feature: Feature,
    /// The enum value name as written, e.g. "IMPLICIT", "CLOSED", "DELIMITED", "CORD", "VERIFY".
    pub value: String,
    /// 0-based `[start_line, start_col, end_line, end_col]` of the option (byte columns), as
    /// protox-parse's source info gives it: the whole `option …;` statement, or the
    /// `features.x = V` entry of a compact option list.
    pub span: [i32; 4],
}

/// A `features.(ext).name = value` setting that is not one of [`Feature`]: another language
/// feature (`(pb.cpp).legacy_closed_enum`, `(pb.go).api_level`, …) or a custom feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherFeatureSetting {
    /// The option name after `features.`, e.g. `(pb.java).legacy_closed_enum`.
    pub name: String,
    /// The value as written (identifier, number, quoted string or text-format message).
    pub value: String,
    /// Same convention as [`FeatureSetting::span`].
    pub span: [i32; 4],
}

/// An editions file lowered to something protox and prost-reflect accept.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The edition declared by the file, e.g. "2023".
    pub edition: String,
    /// Parsed, unlinked descriptor: `syntax = "proto2"`, every `features.*` option removed from
    /// the uninterpreted options, defaults restored into `default_value`, reserved identifier
    /// names restored into `reserved_name`, `source_code_info` kept.
    pub file: FileDescriptorProto,
    /// The source text that was parsed: same length per line (see the module docs for the one
    /// exception), edition statement swapped for a syntax statement, defaults and reserved
    /// identifier statements blanked with spaces.
    pub lowered_source: String,
    /// Descriptor path of the element (file `[]`, message `[4, i]`, nested message
    /// `[4, i, 3, j]`, field `[4, i, 2, k]`, enum `[5, i]` / `[4, i, 4, j]`, enum value
    /// `[…, 2, k]`, service `[6, i]`, method `[6, i, 2, k]`, extension `[7, i]` or `[4, i, 6, k]`,
    /// oneof `[4, i, 8, k]`) -> the feature set on it, in source order.
    pub features: Vec<(Vec<i32>, FeatureSetting)>,
    /// Feature settings that are not one of [`Feature`], in source order.
    pub other_features: Vec<(Vec<i32>, OtherFeatureSetting)>,
    /// Imports removed from `file.dependency` because they only served lifted features.
    pub dropped_imports: Vec<String>,
    /// Edition 2024: the messages and enums other files may not use.
    pub local_symbols: Vec<LocalSymbol>,
}

impl Lowered {
    /// The value set explicitly on the element at `path`, if any.
    pub fn explicit(&self, path: &[i32], feature: Feature) -> Option<&FeatureSetting> {
        self.features
            .iter()
            .find(|(p, s)| p.as_slice() == path && s.feature == feature)
            .map(|(_, s)| s)
    }

    /// The value of `feature` for the element at `path` after inheritance (element, its oneof
    /// for oneof fields, enclosing messages / enum / service, file, then the edition default).
    ///
    /// This is protoc's resolved feature value; a few semantics still depend on the element:
    /// repeated fields, oneof members, extensions and message fields always track presence, and
    /// `repeated_field_encoding` only matters for repeated scalar fields.
    pub fn resolve(&self, path: &[i32], feature: Feature) -> &str {
        for candidate in feature_chain(&self.file, path) {
            if let Some(setting) = self.explicit(&candidate, feature) {
                return &setting.value;
            }
        }
        feature.edition_default(&self.edition)
    }
}

/// `Some(edition)` when the file declares `edition = "...";` (after comments/whitespace), None
/// otherwise. Cheap: only the first tokens are looked at.
pub fn detect_edition(source: &str) -> Option<String> {
    let mut lexer = Lexer::new(source);
    let first = lexer.next()?;
    if first.kind != Kind::Ident || first.text(source) != "edition" {
        return None;
    }
    if lexer.next()?.kind != Kind::Punct(b'=') {
        return None;
    }
    let mut value = String::new();
    let mut seen = false;
    for token in lexer {
        if token.kind != Kind::Str {
            break;
        }
        value.push_str(string_contents(token.text(source)));
        seen = true;
    }
    seen.then_some(value)
}

/// Lower an editions file. Errors are `protox::Error` values whose diagnostics point at the
/// file/line/column of the original source.
pub fn lower(name: &str, source: &str) -> Result<Lowered, protox::Error> {
    let ctx = Ctx::new(name, source);
    let tokens: Vec<Tok> = Lexer::new(source).collect();
    let stmt = supported_edition(&tokens, source, &ctx)?;
    let edition2024 = stmt.value == "2024";
    let rewritten = rewrite_source(&tokens, source, &stmt, &ctx)?;

    let mut file = protox_parse::parse(name, &rewritten.lowered_source)
        .map_err(|err| map_parse_error(err, &ctx, rewritten.growth))?;
    file.syntax = Some("proto2".to_owned());

    let mut post = Post {
        ctx: &ctx,
        errors: Vec::new(),
        spans: HashMap::new(),
        edition2024,
    };
    index_spans(&mut post, &mut file, &stmt);

    let elements = walk(&file);
    post.check_labels(&file, &elements);
    let defaults = post.attach_defaults(&elements, &rewritten.scan.defaults);
    let (mut features, other_features) = post.lift_features(&mut file, &elements);
    features.edition2024 = edition2024;
    let types = TypeIndex::new(&file);
    post.validate(&file, &elements, &features, &defaults, &types);
    post.check_open_enums(&file, &elements, &features);
    let local_symbols = match &rewritten.scan2024 {
        Some(s2024) => edition_2024::check(&mut post, &file, &elements, &other_features, s2024),
        None => Vec::new(),
    };
    if !post.errors.is_empty() {
        return Err(into_protox(post.errors));
    }

    post.apply_required(&mut file, &elements, &features);
    post.apply_defaults(&mut file, &defaults, source);
    post.apply_reserved(&mut file, &elements, &rewritten.scan.reserved);
    if !post.errors.is_empty() {
        return Err(into_protox(post.errors));
    }
    let dropped_imports = drop_feature_imports(&mut file);

    let mut features: Vec<(Vec<i32>, FeatureSetting)> = features
        .list
        .into_iter()
        .map(|lifted| (lifted.path, lifted.setting))
        .collect();
    features.sort_by_key(|(_, s)| s.span);
    let mut other_features = other_features;
    other_features.sort_by_key(|(_, s)| s.span);

    Ok(Lowered {
        edition: stmt.value,
        file,
        lowered_source: rewritten.lowered_source,
        features,
        other_features,
        dropped_imports,
        local_symbols,
    })
}

/// The file's `edition = "…";` statement, which must come first and name a supported edition.
fn supported_edition(
    tokens: &[Tok],
    source: &str,
    ctx: &Ctx,
) -> Result<EditionStatement, protox::Error> {
    let stmt = edition_statement(tokens, source).map_err(|(range, msg)| ctx.fail(range, msg))?;
    let stmt = match stmt {
        Some(stmt) => stmt,
        None => {
            let at = tokens.first().map_or(0..0, |t| t.start..t.end);
            return Err(ctx.fail(
                at,
                "expected 'edition = \"2023\";' at the start of the file",
            ));
        }
    };
    if !SUPPORTED_EDITIONS.contains(&stmt.value.as_str()) {
        return Err(protox::Error::new(
            ctx.error(
                stmt.value_range.clone(),
                format!(
                    "unsupported edition \"{}\": only editions \"2023\" and \"2024\" are supported",
                    stmt.value
                ),
            )
            .with_help("declare `edition = \"2023\";` or `edition = \"2024\";`, or use syntax = \"proto2\" / \"proto3\""),
        ));
    }
    Ok(stmt)
}

/// The source as protox-parse reads it, and what the token passes found on the way.
struct Rewritten {
    lowered_source: String,
    scan: Scan,
    scan2024: Option<Scan2024>,
    growth: Option<Growth>,
}

/// Rewrite the source: blank defaults and reserved identifier statements (and the 2024-only
/// syntax), swap the edition statement for a syntax statement.
fn rewrite_source(
    tokens: &[Tok],
    source: &str,
    stmt: &EditionStatement,
    ctx: &Ctx,
) -> Result<Rewritten, protox::Error> {
    let mut scan = Scan::default();
    scan.run(tokens, source, stmt.next_token, ctx);
    let mut scan2024 =
        (stmt.value == "2024").then(|| edition_2024::scan(tokens, source, stmt.next_token, ctx));
    if let Some(s2024) = &mut scan2024 {
        if !s2024.errors.is_empty() {
            return Err(into_protox(std::mem::take(&mut s2024.errors)));
        }
        scan.blanks.extend(s2024.blanks.iter().cloned());
    }
    if !scan.errors.is_empty() {
        return Err(into_protox(std::mem::take(&mut scan.errors)));
    }
    let mut buf = source.as_bytes().to_vec();
    for range in &scan.blanks {
        blank(&mut buf, range.clone());
    }
    let growth = write_syntax(&mut buf, stmt.stmt_range.clone());
    let lowered_source =
        String::from_utf8(buf).expect("only whole characters are replaced by ASCII bytes");
    Ok(Rewritten {
        lowered_source,
        scan,
        scan2024,
        growth,
    })
}

/// Record the source-info spans of elements and options, and give the `syntax` location
/// (path `[12]`) the span of the original edition statement.
fn index_spans(post: &mut Post, file: &mut FileDescriptorProto, stmt: &EditionStatement) {
    let sci = file.source_code_info.get_or_insert_with(Default::default);
    for location in &sci.location {
        // Element paths have an even length; option entries contain 999.
        if location.path.len() % 2 == 0 || location.path.contains(&999) {
            post.spans
                .entry(location.path.clone())
                .or_insert_with(|| span4(&location.span));
        }
    }
    for location in &mut sci.location {
        if location.path == [12] {
            location.span = compact_span(post.ctx.span_of(stmt.stmt_range.clone()));
        }
    }
}
