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
//! Edition 2024 (its keywords, features, restrictions and symbol visibility) is in
//! `editions_2024.rs`, a child module called only for 2024 files.
//!
//! Known limits: editions 2023 and 2024 only; checks that need types from other files (closed enums from
//! imports in implicit-presence fields, message types from imports) are made after linking, by
//! `compile::validate`; comments in
//! front of a `reserved` identifier statement end up as detached comments of the next element;
//! an `edition="2023";` statement written without any spaces is one byte shorter than
//! `syntax="proto3";`, so that one line of `lowered_source` grows by a byte when no blank follows
//! it. Link errors (from protox, after lowering) carry source-info positions but no source text,
//! as for any `File::from_file_descriptor_proto`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use prost_reflect::prost_types::{
    descriptor_proto::ExtensionRange,
    field_descriptor_proto::{Label, Type},
    source_code_info::Location,
    uninterpreted_option::NamePart,
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MethodDescriptorProto, OneofDescriptorProto, ServiceDescriptorProto,
    SourceCodeInfo, UninterpretedOption,
};

#[path = "editions_2024.rs"]
mod v2024;
pub use v2024::{check_visibility, LocalSymbol};

/// Editions [`lower`] accepts.
pub const SUPPORTED_EDITIONS: &[&str] = &["2023", "2024"];

/// Resolved-or-explicit value of one edition feature, as written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    FieldPresence,
    EnumType,
    RepeatedFieldEncoding,
    Utf8Validation,
    MessageEncoding,
    JsonFormat,
    CppStringType,
    JavaUtf8Validation,
}

/// Where a feature may be set (protoc's `FieldOptions.OptionTargetType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    File,
    Message,
    Field,
    Oneof,
    Enum,
    EnumEntry,
    Service,
    Method,
    ExtensionRange,
}

impl Target {
    fn protoc_name(self) -> &'static str {
        match self {
            Target::File => "file",
            Target::Message => "message",
            Target::Field => "field",
            Target::Oneof => "oneof",
            Target::Enum => "enum",
            Target::EnumEntry => "enum entry",
            Target::Service => "service",
            Target::Method => "method",
            Target::ExtensionRange => "extension range",
        }
    }
}

impl Feature {
    /// Every feature this module reports.
    pub const ALL: [Feature; 8] = [
        Feature::FieldPresence,
        Feature::EnumType,
        Feature::RepeatedFieldEncoding,
        Feature::Utf8Validation,
        Feature::MessageEncoding,
        Feature::JsonFormat,
        Feature::CppStringType,
        Feature::JavaUtf8Validation,
    ];

    /// The option name after `features.`, e.g. `field_presence` or `(pb.cpp).string_type`.
    pub fn name(self) -> &'static str {
        match self {
            Feature::FieldPresence => "field_presence",
            Feature::EnumType => "enum_type",
            Feature::RepeatedFieldEncoding => "repeated_field_encoding",
            Feature::Utf8Validation => "utf8_validation",
            Feature::MessageEncoding => "message_encoding",
            Feature::JsonFormat => "json_format",
            Feature::CppStringType => "(pb.cpp).string_type",
            Feature::JavaUtf8Validation => "(pb.java).utf8_validation",
        }
    }

    /// The enum value names that may be set.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Feature::FieldPresence => &["EXPLICIT", "IMPLICIT", "LEGACY_REQUIRED"],
            Feature::EnumType => &["OPEN", "CLOSED"],
            Feature::RepeatedFieldEncoding => &["PACKED", "EXPANDED"],
            Feature::Utf8Validation => &["VERIFY", "NONE"],
            Feature::MessageEncoding => &["LENGTH_PREFIXED", "DELIMITED"],
            Feature::JsonFormat => &["ALLOW", "LEGACY_BEST_EFFORT"],
            Feature::CppStringType => &["VIEW", "CORD", "STRING"],
            Feature::JavaUtf8Validation => &["DEFAULT", "VERIFY"],
        }
    }

    /// The value an element of an edition-2023 file has when nothing sets the feature.
    pub fn edition_2023_default(self) -> &'static str {
        match self {
            Feature::FieldPresence => "EXPLICIT",
            Feature::EnumType => "OPEN",
            Feature::RepeatedFieldEncoding => "PACKED",
            Feature::Utf8Validation => "VERIFY",
            Feature::MessageEncoding => "LENGTH_PREFIXED",
            Feature::JsonFormat => "ALLOW",
            Feature::CppStringType => "STRING",
            Feature::JavaUtf8Validation => "DEFAULT",
        }
    }

    /// The value an element has when nothing sets the feature, in `edition` ("2023", "2024").
    pub fn edition_default(self, edition: &str) -> &'static str {
        match (self, edition) {
            (Feature::CppStringType, "2024") => "VIEW",
            _ => self.edition_2023_default(),
        }
    }

    fn full_name(self) -> &'static str {
        match self {
            Feature::FieldPresence => "google.protobuf.FeatureSet.field_presence",
            Feature::EnumType => "google.protobuf.FeatureSet.enum_type",
            Feature::RepeatedFieldEncoding => "google.protobuf.FeatureSet.repeated_field_encoding",
            Feature::Utf8Validation => "google.protobuf.FeatureSet.utf8_validation",
            Feature::MessageEncoding => "google.protobuf.FeatureSet.message_encoding",
            Feature::JsonFormat => "google.protobuf.FeatureSet.json_format",
            Feature::CppStringType => "pb.CppFeatures.string_type",
            Feature::JavaUtf8Validation => "pb.JavaFeatures.utf8_validation",
        }
    }

    fn enum_full_name(self) -> &'static str {
        match self {
            Feature::FieldPresence => "google.protobuf.FeatureSet.FieldPresence",
            Feature::EnumType => "google.protobuf.FeatureSet.EnumType",
            Feature::RepeatedFieldEncoding => "google.protobuf.FeatureSet.RepeatedFieldEncoding",
            Feature::Utf8Validation => "google.protobuf.FeatureSet.Utf8Validation",
            Feature::MessageEncoding => "google.protobuf.FeatureSet.MessageEncoding",
            Feature::JsonFormat => "google.protobuf.FeatureSet.JsonFormat",
            Feature::CppStringType => "pb.CppFeatures.StringType",
            Feature::JavaUtf8Validation => "pb.JavaFeatures.Utf8Validation",
        }
    }

    fn targets(self) -> &'static [Target] {
        match self {
            Feature::EnumType => &[Target::Enum, Target::File],
            Feature::JsonFormat => &[Target::Message, Target::Enum, Target::File],
            _ => &[Target::Field, Target::File],
        }
    }

    /// Field numbers inside `google.protobuf.FeatureSet` (extension number first for language features).
    fn number_path(self) -> &'static [i32] {
        match self {
            Feature::FieldPresence => &[1],
            Feature::EnumType => &[2],
            Feature::RepeatedFieldEncoding => &[3],
            Feature::Utf8Validation => &[4],
            Feature::MessageEncoding => &[5],
            Feature::JsonFormat => &[6],
            Feature::CppStringType => &[1000, 2],
            Feature::JavaUtf8Validation => &[1001, 2],
        }
    }

    fn from_core(name: &str) -> Option<Feature> {
        Some(match name {
            "field_presence" => Feature::FieldPresence,
            "enum_type" => Feature::EnumType,
            "repeated_field_encoding" => Feature::RepeatedFieldEncoding,
            "utf8_validation" => Feature::Utf8Validation,
            "message_encoding" => Feature::MessageEncoding,
            "json_format" => Feature::JsonFormat,
            _ => return None,
        })
    }

    fn from_language(extension: &str, name: &str) -> Option<Feature> {
        match (extension, name) {
            ("pb.cpp", "string_type") => Some(Feature::CppStringType),
            ("pb.java", "utf8_validation") => Some(Feature::JavaUtf8Validation),
            _ => None,
        }
    }
}

/// The language feature files protoc ships, none of which protox 0.10 bundles.
struct LanguageFeatures {
    extension: &'static str,
    file: &'static str,
    number: i32,
    message: &'static str,
}

const LANGUAGE_FEATURES: [LanguageFeatures; 3] = [
    LanguageFeatures {
        extension: "pb.cpp",
        file: "google/protobuf/cpp_features.proto",
        number: 1000,
        message: "CppFeatures",
    },
    LanguageFeatures {
        extension: "pb.java",
        file: "google/protobuf/java_features.proto",
        number: 1001,
        message: "JavaFeatures",
    },
    LanguageFeatures {
        extension: "pb.go",
        file: "google/protobuf/go_features.proto",
        number: 1002,
        message: "GoFeatures",
    },
];

/// Core `FeatureSet` fields that exist but are not available in edition 2023.
const LATER_CORE_FEATURES: &[&str] = &["enforce_naming_style", "default_symbol_visibility"];

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

    let stmt = edition_statement(&tokens, source).map_err(|(range, msg)| ctx.fail(range, msg))?;
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

    // Rewrite the source: blank defaults and reserved identifier statements, swap the edition.
    let mut scan = Scan::default();
    scan.run(&tokens, source, stmt.next_token, &ctx);
    let edition2024 = stmt.value == "2024";
    let mut scan2024 = edition2024.then(|| v2024::scan(&tokens, source, stmt.next_token, &ctx));
    if let Some(s2024) = &mut scan2024 {
        if !s2024.errors.is_empty() {
            return Err(into_protox(std::mem::take(&mut s2024.errors)));
        }
        scan.blanks.extend(s2024.blanks.iter().cloned());
    }
    if !scan.errors.is_empty() {
        return Err(into_protox(scan.errors));
    }
    let mut buf = source.as_bytes().to_vec();
    for range in &scan.blanks {
        blank(&mut buf, range.clone());
    }
    let growth = write_syntax(&mut buf, stmt.stmt_range.clone());
    let lowered_source =
        String::from_utf8(buf).expect("only whole characters are replaced by ASCII bytes");

    let mut file = protox_parse::parse(name, &lowered_source)
        .map_err(|err| map_parse_error(err, &ctx, growth))?;
    file.syntax = Some("proto2".to_owned());

    let mut post = Post {
        ctx: &ctx,
        errors: Vec::new(),
        spans: HashMap::new(),
        edition2024,
    };
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
            location.span = compact_span(ctx.span_of(stmt.stmt_range.clone()));
        }
    }

    let elements = walk(&file);
    post.check_labels(&file, &elements);
    let defaults = post.attach_defaults(&elements, &scan.defaults);
    let (mut features, other_features) = post.lift_features(&mut file, &elements);
    features.edition2024 = edition2024;
    let types = TypeIndex::new(&file);
    post.validate(&file, &elements, &features, &defaults, &types);
    post.check_open_enums(&file, &elements, &features);
    let local_symbols = match &scan2024 {
        Some(s2024) => v2024::check(&mut post, &file, &elements, &other_features, s2024),
        None => Vec::new(),
    };
    if !post.errors.is_empty() {
        return Err(into_protox(post.errors));
    }

    post.apply_required(&mut file, &elements, &features);
    post.apply_defaults(&mut file, &defaults, source);
    post.apply_reserved(&mut file, &elements, &scan.reserved);
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
        lowered_source,
        features,
        other_features,
        dropped_imports,
        local_symbols,
    })
}

// ---------------------------------------------------------------------------------------------
// Errors and positions

struct Ctx<'a> {
    name: &'a str,
    source: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Ctx<'a> {
    fn new(name: &'a str, source: &'a str) -> Self {
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
    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        (line, offset - self.line_starts[line])
    }

    /// Byte offset of a 0-based (line, byte column), clamped to the line.
    fn offset(&self, line: i32, col: i32) -> usize {
        let line = (line.max(0) as usize).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.source.len(), |&next| next - 1);
        (start + col.max(0) as usize).min(end)
    }

    fn span_of(&self, range: Range<usize>) -> [i32; 4] {
        let (l1, c1) = self.position(range.start);
        let (l2, c2) = self.position(range.end);
        [l1 as i32, c1 as i32, l2 as i32, c2 as i32]
    }

    fn range_of(&self, span: [i32; 4]) -> Range<usize> {
        let start = self.offset(span[0], span[1]);
        let end = self.offset(span[2], span[3]).max(start);
        start..end
    }

    fn error(&self, range: Range<usize>, message: impl Into<String>) -> LowerError {
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

    fn fail(&self, range: Range<usize>, message: impl Into<String>) -> protox::Error {
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
    /// The file name given to [`lower`].
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

/// The location of an error that [`lower`] raised itself (see [`ErrorLocation`]); `None` for
/// protox-parse's own errors, which carry `file()` and miette labels, and for any other error.
pub fn error_location(err: &protox::Error) -> Option<&ErrorLocation> {
    std::error::Error::source(err)?.downcast_ref::<ErrorLocation>()
}

/// An error found by this module, located in the original source.
struct LowerError {
    message: String,
    location: ErrorLocation,
    source_code: NamedSource<String>,
    related: Vec<LowerError>,
}

impl LowerError {
    fn with_help(mut self, help: impl Into<String>) -> Self {
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
fn into_protox(mut errors: Vec<LowerError>) -> protox::Error {
    errors.sort_by_key(|e| e.location.span.start);
    let mut first = errors.remove(0);
    first.related = errors;
    protox::Error::new(first)
}

/// protox-parse errors keep their own source (the lowered text, same lines); the few whose
/// wording only makes sense for proto3 are re-worded the way protoc words them for editions.
fn map_parse_error(
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

fn span4(span: &[i32]) -> [i32; 4] {
    match *span {
        [l, c1, c2] => [l, c1, l, c2],
        [l1, c1, l2, c2] => [l1, c1, l2, c2],
        _ => [0, 0, 0, 0],
    }
}

fn contains(span: [i32; 4], pos: (usize, usize)) -> bool {
    let pos = (pos.0 as i32, pos.1 as i32);
    (span[0], span[1]) <= pos && pos < (span[2], span[3])
}

// ---------------------------------------------------------------------------------------------
// Lexing

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    Str,
    Punct(u8),
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

impl Tok {
    fn text(self, source: &str) -> &str {
        &source[self.start..self.end]
    }

    fn is(self, kind: Kind) -> bool {
        self.kind == kind
    }

    fn is_ident(self, source: &str, word: &str) -> bool {
        self.kind == Kind::Ident && self.text(source) == word
    }
}

/// A protobuf-ish tokenizer: enough to find statements, option lists and string literals.
struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str) -> Self {
        let src = source.as_bytes();
        let pos = if src.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Lexer { src, pos }
    }

    fn skip_trivia(&mut self) {
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
fn string_contents(literal: &str) -> &str {
    let bytes = literal.as_bytes();
    let end = if bytes.len() >= 2 && bytes[bytes.len() - 1] == bytes[0] {
        literal.len() - 1
    } else {
        literal.len()
    };
    literal.get(1..end).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Source rewriting

struct EditionStatement {
    value: String,
    value_range: Range<usize>,
    stmt_range: Range<usize>,
    /// Index of the first token after the statement.
    next_token: usize,
}

fn edition_statement(
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
struct DefaultEntry {
    /// The `default` keyword.
    name: Range<usize>,
    /// The value tokens.
    value: Range<usize>,
}

/// A `reserved foo, bar;` statement.
struct ReservedNames {
    range: Range<usize>,
    names: Vec<(String, Range<usize>)>,
}

#[derive(Default)]
struct Scan {
    blanks: Vec<Range<usize>>,
    defaults: Vec<DefaultEntry>,
    reserved: Vec<ReservedNames>,
    errors: Vec<LowerError>,
}

impl Scan {
    fn run(&mut self, tokens: &[Tok], source: &str, start: usize, ctx: &Ctx) {
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
    fn option_list(&mut self, tokens: &[Tok], source: &str, open: usize, close: usize) {
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
    fn reserved_names(&mut self, tokens: &[Tok], source: &str, start: usize, ctx: &Ctx) -> usize {
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
fn matching_close(tokens: &[Tok], open: usize) -> usize {
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
fn blank(buf: &mut [u8], range: Range<usize>) {
    for b in &mut buf[range] {
        if *b != b'\n' && *b != b'\r' {
            *b = b' ';
        }
    }
}

/// Bytes inserted into the lowered source (only when the edition statement is too short).
#[derive(Debug, Clone, Copy)]
struct Growth {
    at: usize,
    len: usize,
}

impl Growth {
    fn to_original(self, offset: usize) -> usize {
        if offset <= self.at {
            offset
        } else {
            offset.saturating_sub(self.len).max(self.at)
        }
    }
}

/// Write `syntax="proto3";` over the edition statement, keeping its line breaks.
fn write_syntax(buf: &mut Vec<u8>, stmt: Range<usize>) -> Option<Growth> {
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

// ---------------------------------------------------------------------------------------------
// Descriptor navigation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ElemKind {
    File,
    Message,
    Field,
    Extension,
    Oneof,
    Enum,
    EnumValue,
    Service,
    Method,
    ExtensionRange,
}

impl ElemKind {
    fn target(self) -> Target {
        match self {
            ElemKind::File => Target::File,
            ElemKind::Message => Target::Message,
            ElemKind::Field | ElemKind::Extension => Target::Field,
            ElemKind::Oneof => Target::Oneof,
            ElemKind::Enum => Target::Enum,
            ElemKind::EnumValue => Target::EnumEntry,
            ElemKind::Service => Target::Service,
            ElemKind::Method => Target::Method,
            ElemKind::ExtensionRange => Target::ExtensionRange,
        }
    }

    /// (field number of `options` in the element, field number of `features` in the options).
    fn option_tags(self) -> (i32, i32) {
        match self {
            ElemKind::File => (8, 50),
            ElemKind::Message => (7, 12),
            ElemKind::Field | ElemKind::Extension => (8, 21),
            ElemKind::Oneof => (2, 1),
            ElemKind::Enum => (3, 7),
            ElemKind::EnumValue => (3, 2),
            ElemKind::Service => (3, 34),
            ElemKind::Method => (4, 35),
            ElemKind::ExtensionRange => (3, 50),
        }
    }
}

struct Elem {
    path: Vec<i32>,
    kind: ElemKind,
    /// Full name of the enclosing scope (package or message) for fields and extensions; full
    /// name of the element for messages and enums.
    scope: String,
}

fn join_name(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{scope}.{name}")
    }
}

fn with(path: &[i32], more: &[i32]) -> Vec<i32> {
    let mut p = path.to_vec();
    p.extend_from_slice(more);
    p
}

/// Every element of the file that can carry options, in declaration order.
fn walk(file: &FileDescriptorProto) -> Vec<Elem> {
    fn message(out: &mut Vec<Elem>, m: &DescriptorProto, path: Vec<i32>, parent: &str) {
        let full = join_name(parent, m.name());
        for (k, _) in m.field.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[2, k as i32]),
                kind: ElemKind::Field,
                scope: full.clone(),
            });
        }
        for (k, _) in m.extension.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[6, k as i32]),
                kind: ElemKind::Extension,
                scope: full.clone(),
            });
        }
        for (k, _) in m.oneof_decl.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[8, k as i32]),
                kind: ElemKind::Oneof,
                scope: full.clone(),
            });
        }
        for (k, _) in m.extension_range.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[5, k as i32]),
                kind: ElemKind::ExtensionRange,
                scope: full.clone(),
            });
        }
        for (k, e) in m.enum_type.iter().enumerate() {
            enumeration(out, e, with(&path, &[4, k as i32]), &full);
        }
        for (k, nested) in m.nested_type.iter().enumerate() {
            message(out, nested, with(&path, &[3, k as i32]), &full);
        }
        out.push(Elem {
            path,
            kind: ElemKind::Message,
            scope: full,
        });
    }
    fn enumeration(out: &mut Vec<Elem>, e: &EnumDescriptorProto, path: Vec<i32>, parent: &str) {
        for (k, _) in e.value.iter().enumerate() {
            out.push(Elem {
                path: with(&path, &[2, k as i32]),
                kind: ElemKind::EnumValue,
                scope: parent.to_owned(),
            });
        }
        out.push(Elem {
            path,
            kind: ElemKind::Enum,
            scope: join_name(parent, e.name()),
        });
    }

    let package = file.package().to_owned();
    let mut out = vec![Elem {
        path: Vec::new(),
        kind: ElemKind::File,
        scope: package.clone(),
    }];
    for (i, m) in file.message_type.iter().enumerate() {
        message(&mut out, m, vec![4, i as i32], &package);
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        enumeration(&mut out, e, vec![5, i as i32], &package);
    }
    for (i, s) in file.service.iter().enumerate() {
        out.push(Elem {
            path: vec![6, i as i32],
            kind: ElemKind::Service,
            scope: package.clone(),
        });
        for (k, _) in s.method.iter().enumerate() {
            out.push(Elem {
                path: vec![6, i as i32, 2, k as i32],
                kind: ElemKind::Method,
                scope: package.clone(),
            });
        }
    }
    for (i, _) in file.extension.iter().enumerate() {
        out.push(Elem {
            path: vec![7, i as i32],
            kind: ElemKind::Extension,
            scope: package.clone(),
        });
    }
    out
}

#[derive(Clone, Copy)]
enum ElemRef<'a> {
    File(&'a FileDescriptorProto),
    Message(&'a DescriptorProto),
    Field(&'a FieldDescriptorProto),
    Oneof(&'a OneofDescriptorProto),
    Enum(&'a EnumDescriptorProto),
    EnumValue(&'a EnumValueDescriptorProto),
    Service(&'a ServiceDescriptorProto),
    Method(&'a MethodDescriptorProto),
    ExtensionRange(&'a ExtensionRange),
}

fn elem_ref<'a>(file: &'a FileDescriptorProto, path: &[i32]) -> Option<ElemRef<'a>> {
    let mut cur = ElemRef::File(file);
    for pair in path.chunks(2) {
        let [tag, index] = *pair else { return None };
        let i = usize::try_from(index).ok()?;
        cur = match (cur, tag) {
            (ElemRef::File(f), 4) => ElemRef::Message(f.message_type.get(i)?),
            (ElemRef::File(f), 5) => ElemRef::Enum(f.enum_type.get(i)?),
            (ElemRef::File(f), 6) => ElemRef::Service(f.service.get(i)?),
            (ElemRef::File(f), 7) => ElemRef::Field(f.extension.get(i)?),
            (ElemRef::Message(m), 2) => ElemRef::Field(m.field.get(i)?),
            (ElemRef::Message(m), 6) => ElemRef::Field(m.extension.get(i)?),
            (ElemRef::Message(m), 3) => ElemRef::Message(m.nested_type.get(i)?),
            (ElemRef::Message(m), 4) => ElemRef::Enum(m.enum_type.get(i)?),
            (ElemRef::Message(m), 8) => ElemRef::Oneof(m.oneof_decl.get(i)?),
            (ElemRef::Message(m), 5) => ElemRef::ExtensionRange(m.extension_range.get(i)?),
            (ElemRef::Enum(e), 2) => ElemRef::EnumValue(e.value.get(i)?),
            (ElemRef::Service(s), 2) => ElemRef::Method(s.method.get(i)?),
            _ => return None,
        };
    }
    Some(cur)
}

enum ElemMut<'a> {
    File(&'a mut FileDescriptorProto),
    Message(&'a mut DescriptorProto),
    Field(&'a mut FieldDescriptorProto),
    Oneof(&'a mut OneofDescriptorProto),
    Enum(&'a mut EnumDescriptorProto),
    EnumValue(&'a mut EnumValueDescriptorProto),
    Service(&'a mut ServiceDescriptorProto),
    Method(&'a mut MethodDescriptorProto),
    ExtensionRange(&'a mut ExtensionRange),
}

fn elem_mut<'a>(file: &'a mut FileDescriptorProto, path: &[i32]) -> Option<ElemMut<'a>> {
    let mut cur = ElemMut::File(file);
    for pair in path.chunks(2) {
        let [tag, index] = *pair else { return None };
        let i = usize::try_from(index).ok()?;
        cur = match (cur, tag) {
            (ElemMut::File(f), 4) => ElemMut::Message(f.message_type.get_mut(i)?),
            (ElemMut::File(f), 5) => ElemMut::Enum(f.enum_type.get_mut(i)?),
            (ElemMut::File(f), 6) => ElemMut::Service(f.service.get_mut(i)?),
            (ElemMut::File(f), 7) => ElemMut::Field(f.extension.get_mut(i)?),
            (ElemMut::Message(m), 2) => ElemMut::Field(m.field.get_mut(i)?),
            (ElemMut::Message(m), 6) => ElemMut::Field(m.extension.get_mut(i)?),
            (ElemMut::Message(m), 3) => ElemMut::Message(m.nested_type.get_mut(i)?),
            (ElemMut::Message(m), 4) => ElemMut::Enum(m.enum_type.get_mut(i)?),
            (ElemMut::Message(m), 8) => ElemMut::Oneof(m.oneof_decl.get_mut(i)?),
            (ElemMut::Message(m), 5) => ElemMut::ExtensionRange(m.extension_range.get_mut(i)?),
            (ElemMut::Enum(e), 2) => ElemMut::EnumValue(e.value.get_mut(i)?),
            (ElemMut::Service(s), 2) => ElemMut::Method(s.method.get_mut(i)?),
            _ => return None,
        };
    }
    Some(cur)
}

fn uninterpreted(elem: ElemRef<'_>) -> &[UninterpretedOption] {
    macro_rules! get {
        ($x:expr) => {
            $x.options
                .as_ref()
                .map_or(&[][..], |o| o.uninterpreted_option.as_slice())
        };
    }
    match elem {
        ElemRef::File(x) => get!(x),
        ElemRef::Message(x) => get!(x),
        ElemRef::Field(x) => get!(x),
        ElemRef::Oneof(x) => get!(x),
        ElemRef::Enum(x) => get!(x),
        ElemRef::EnumValue(x) => get!(x),
        ElemRef::Service(x) => get!(x),
        ElemRef::Method(x) => get!(x),
        ElemRef::ExtensionRange(x) => get!(x),
    }
}

/// Replace the uninterpreted options of an element; options left empty become `None`.
fn set_uninterpreted(elem: ElemMut<'_>, kept: Vec<UninterpretedOption>) {
    macro_rules! set {
        ($x:expr) => {{
            if let Some(options) = $x.options.as_mut() {
                options.uninterpreted_option = kept;
                if *options == Default::default() {
                    $x.options = None;
                }
            }
        }};
    }
    match elem {
        ElemMut::File(x) => set!(x),
        ElemMut::Message(x) => set!(x),
        ElemMut::Field(x) => set!(x),
        ElemMut::Oneof(x) => set!(x),
        ElemMut::Enum(x) => set!(x),
        ElemMut::EnumValue(x) => set!(x),
        ElemMut::Service(x) => set!(x),
        ElemMut::Method(x) => set!(x),
        ElemMut::ExtensionRange(x) => set!(x),
    }
}

/// The element, then (for oneof fields) its oneof, then each enclosing element up to the file.
fn feature_chain(file: &FileDescriptorProto, path: &[i32]) -> Vec<Vec<i32>> {
    let mut chain = vec![path.to_vec()];
    if path.len() >= 4 && path[path.len() - 2] == 2 {
        let parent = &path[..path.len() - 2];
        if let (Some(ElemRef::Message(_)), Some(ElemRef::Field(field))) =
            (elem_ref(file, parent), elem_ref(file, path))
        {
            if let (Some(oneof), false) = (field.oneof_index, field.proto3_optional()) {
                chain.push(with(parent, &[8, oneof]));
            }
        }
    }
    let mut p = path;
    while p.len() >= 2 {
        p = &p[..p.len() - 2];
        chain.push(p.to_vec());
    }
    chain
}

/// Messages and enums defined in this file, by full name (no leading dot).
struct TypeIndex {
    types: HashMap<String, LocalType>,
}

#[derive(Debug, Clone)]
enum LocalType {
    Message { map_entry: bool },
    Enum { path: Vec<i32> },
}

impl TypeIndex {
    fn new(file: &FileDescriptorProto) -> Self {
        let mut types = HashMap::new();
        for elem in walk(file) {
            match elem.kind {
                ElemKind::Message => {
                    let map_entry = matches!(
                        elem_ref(file, &elem.path),
                        Some(ElemRef::Message(m)) if m.options.as_ref().and_then(|o| o.map_entry) == Some(true)
                    );
                    types.insert(elem.scope, LocalType::Message { map_entry });
                }
                ElemKind::Enum => {
                    types.insert(elem.scope, LocalType::Enum { path: elem.path });
                }
                _ => {}
            }
        }
        TypeIndex { types }
    }

    /// Best-effort resolution of `name` seen from `scope`, within this file only.
    fn resolve(&self, scope: &str, name: &str) -> Option<&LocalType> {
        if let Some(absolute) = name.strip_prefix('.') {
            return self.types.get(absolute);
        }
        let mut scope = scope.to_owned();
        loop {
            if let Some(found) = self.types.get(&join_name(&scope, name)) {
                return Some(found);
            }
            if scope.is_empty() {
                return None;
            }
            scope = scope
                .rsplit_once('.')
                .map_or(String::new(), |(p, _)| p.to_owned());
        }
    }
}

/// What a field's type is, as far as this file tells.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldType {
    Scalar(Type),
    Message,
    Map,
    Enum(Vec<i32>),
    Unknown,
}

fn field_type(field: &FieldDescriptorProto, scope: &str, types: &TypeIndex) -> FieldType {
    match field.r#type.and_then(|t| Type::try_from(t).ok()) {
        Some(Type::Message | Type::Group) | None => match types.resolve(scope, field.type_name()) {
            Some(LocalType::Message { map_entry: true }) if field.label() == Label::Repeated => {
                FieldType::Map
            }
            Some(LocalType::Message { .. }) => FieldType::Message,
            Some(LocalType::Enum { path }) => FieldType::Enum(path.clone()),
            None => FieldType::Unknown,
        },
        Some(Type::Enum) => FieldType::Unknown,
        Some(scalar) => FieldType::Scalar(scalar),
    }
}

// ---------------------------------------------------------------------------------------------
// Post-processing of the parsed descriptor

/// A lifted feature with the element it was set on.
struct Lifted {
    path: Vec<i32>,
    setting: FeatureSetting,
    range: Range<usize>,
}

/// Lifted features in source order, indexed by (element path, feature).
#[derive(Default)]
struct Lifts {
    list: Vec<Lifted>,
    index: HashMap<(Vec<i32>, Feature), usize>,
    edition2024: bool,
}

impl Lifts {
    fn get(&self, path: &[i32], feature: Feature) -> Option<&Lifted> {
        // Borrowed lookups on a tuple key need an owned key; paths are short.
        self.index
            .get(&(path.to_vec(), feature))
            .map(|&i| &self.list[i])
    }

    /// Adds the setting; false when the element already had this feature.
    fn insert(&mut self, lifted: Lifted) -> bool {
        let key = (lifted.path.clone(), lifted.setting.feature);
        if self.index.contains_key(&key) {
            return false;
        }
        self.index.insert(key, self.list.len());
        self.list.push(lifted);
        true
    }

    /// The inherited value (see [`Lowered::resolve`]).
    fn resolve(&self, file: &FileDescriptorProto, path: &[i32], feature: Feature) -> &str {
        feature_chain(file, path)
            .iter()
            .find_map(|p| self.get(p, feature))
            .map_or(
                feature.edition_default(if self.edition2024 { "2024" } else { "2023" }),
                |l| l.setting.value.as_str(),
            )
    }
}

/// A value of an uninterpreted option or of a text-format field.
#[derive(Debug, Clone)]
enum OptValue {
    Ident(String),
    Aggregate(String),
    Other(String),
}

impl OptValue {
    fn of(option: &UninterpretedOption) -> OptValue {
        if let Some(ident) = &option.identifier_value {
            OptValue::Ident(ident.clone())
        } else if let Some(aggregate) = &option.aggregate_value {
            OptValue::Aggregate(aggregate.clone())
        } else if let Some(v) = option.positive_int_value {
            OptValue::Other(v.to_string())
        } else if let Some(v) = option.negative_int_value {
            OptValue::Other(v.to_string())
        } else if let Some(v) = option.double_value {
            OptValue::Other(v.to_string())
        } else if let Some(v) = &option.string_value {
            OptValue::Other(format!("{:?}", String::from_utf8_lossy(v)))
        } else {
            OptValue::Other(String::new())
        }
    }

    fn text(&self) -> &str {
        match self {
            OptValue::Ident(s) | OptValue::Aggregate(s) | OptValue::Other(s) => s,
        }
    }
}

/// One `name = value` found in a `features` option: `(Some("pb.cpp"), "string_type")` etc.
type FeatureEntry = (Option<String>, Vec<String>, OptValue);

struct Post<'c, 'a> {
    ctx: &'c Ctx<'a>,
    errors: Vec<LowerError>,
    /// Source-info spans of elements and options by path, as protox-parse produced them.
    spans: HashMap<Vec<i32>, [i32; 4]>,
    edition2024: bool,
}

impl Post<'_, '_> {
    /// An error at the source location of `path` (looked up in the file: errors are rare, and
    /// `spans` only indexes elements and options).
    fn error_at(&mut self, file: &FileDescriptorProto, path: &[i32], message: impl Into<String>) {
        let range = file
            .source_code_info
            .as_ref()
            .and_then(|sci| sci.location.iter().find(|l| l.path == path))
            .map_or(0..0, |l| self.ctx.range_of(span4(&l.span)));
        self.errors.push(self.ctx.error(range, message));
    }

    /// `optional` parses as proto3 `optional`; editions have no such label.
    fn check_labels(&mut self, file: &FileDescriptorProto, elements: &[Elem]) {
        for elem in elements {
            if let Some(ElemRef::Field(field)) = elem_ref(file, &elem.path) {
                if field.proto3_optional() {
                    self.error_at(
                        file,
                        &with(&elem.path, &[4]),
                        "Label \"optional\" is not supported in editions. By default, all singular fields have presence unless features.field_presence is set.",
                    );
                }
            }
        }
    }

    /// Find the field each blanked `default` belonged to.
    fn attach_defaults<'d>(
        &mut self,
        elements: &[Elem],
        defaults: &'d [DefaultEntry],
    ) -> HashMap<Vec<i32>, &'d DefaultEntry> {
        let mut out: HashMap<Vec<i32>, &DefaultEntry> = HashMap::new();
        if defaults.is_empty() {
            return out;
        }
        // Field declarations do not overlap: sort them by start and binary-search.
        let mut fields: Vec<([i32; 4], &Elem)> = elements
            .iter()
            .filter(|e| matches!(e.kind, ElemKind::Field | ElemKind::Extension))
            .filter_map(|e| self.spans.get(&e.path).map(|&s| (s, e)))
            .collect();
        fields.sort_by_key(|(s, _)| (s[0], s[1]));
        for entry in defaults {
            let pos = self.ctx.position(entry.name.start);
            let key = (pos.0 as i32, pos.1 as i32);
            let after = fields.partition_point(|(s, _)| (s[0], s[1]) <= key);
            let field = after
                .checked_sub(1)
                .map(|i| fields[i])
                .filter(|(s, _)| contains(*s, pos))
                .map(|(_, e)| e);
            match field {
                Some(elem) if out.contains_key(&elem.path) => {
                    self.errors.push(
                        self.ctx
                            .error(entry.name.clone(), "Option \"default\" was already set."),
                    );
                }
                Some(elem) => {
                    out.insert(elem.path.clone(), entry);
                }
                None => self.errors.push(
                    self.ctx
                        .error(entry.name.clone(), "Option \"default\" unknown."),
                ),
            }
        }
        out
    }

    /// Remove `features.*` options from every element; returns the known and other settings.
    fn lift_features(
        &mut self,
        file: &mut FileDescriptorProto,
        elements: &[Elem],
    ) -> (Lifts, Vec<(Vec<i32>, OtherFeatureSetting)>) {
        let mut lifted = Lifts::default();
        let mut others = Vec::new();
        let dependencies: HashSet<String> = file.dependency.iter().cloned().collect();
        // Option-list prefix (element path ++ options tag) -> old index -> new [999, i] / protoc path.
        let mut all_renames: HashMap<Vec<i32>, HashMap<i32, Vec<i32>>> = HashMap::new();

        for elem in elements {
            let options = match elem_ref(file, &elem.path) {
                Some(r) if uninterpreted(r).iter().any(is_features_option) => {
                    uninterpreted(r).to_vec()
                }
                _ => continue,
            };
            let (options_tag, features_tag) = elem.kind.option_tags();
            let option_prefix = with(&elem.path, &[options_tag]);
            let mut kept = Vec::new();
            let mut renames: HashMap<i32, Vec<i32>> = HashMap::new();
            let mut removed = 0;
            for (index, option) in options.into_iter().enumerate() {
                let index = index as i32;
                if !is_features_option(&option) {
                    renames.insert(index, vec![999, index - removed]);
                    kept.push(option);
                    continue;
                }
                removed += 1;
                let location = with(&option_prefix, &[999, index]);
                let span = self.spans.get(&location).copied().unwrap_or_default();
                let range = self.ctx.range_of(span);
                let entries = match feature_entries(&option) {
                    Ok(entries) => entries,
                    Err(message) => {
                        self.errors.push(self.ctx.error(range, message));
                        continue;
                    }
                };
                renames.insert(index, protoc_option_path(features_tag, &option));
                for (extension, names, value) in entries {
                    self.lift_one(
                        elem,
                        extension,
                        names,
                        value,
                        span,
                        &range,
                        &dependencies,
                        &mut lifted,
                        &mut others,
                    );
                }
            }
            if let Some(target) = elem_mut(file, &elem.path) {
                set_uninterpreted(target, kept);
            }
            all_renames.insert(option_prefix, renames);
        }
        if let Some(sci) = file.source_code_info.as_mut() {
            remap_option_locations(sci, &all_renames);
        }
        (lifted, others)
    }

    #[allow(clippy::too_many_arguments)]
    fn lift_one(
        &mut self,
        elem: &Elem,
        extension: Option<String>,
        names: Vec<String>,
        value: OptValue,
        span: [i32; 4],
        range: &Range<usize>,
        dependencies: &HashSet<String>,
        lifted: &mut Lifts,
        others: &mut Vec<(Vec<i32>, OtherFeatureSetting)>,
    ) {
        let feature = match &extension {
            None => {
                let name = names.join(".");
                match Feature::from_core(&name) {
                    Some(feature) => feature,
                    None if self.edition2024 && LATER_CORE_FEATURES.contains(&name.as_str()) => {
                        self.lift_2024(elem, &name, value, span, range, others);
                        return;
                    }
                    None if LATER_CORE_FEATURES.contains(&name.as_str()) => {
                        self.errors.push(self.ctx.error(
                            range.clone(),
                            format!("google.protobuf.FeatureSet.{name} wasn't introduced until edition 2024 and can't be used in edition 2023"),
                        ));
                        return;
                    }
                    None => {
                        self.errors.push(self.ctx.error(
                            range.clone(),
                            format!("Option \"features.{name}\" unknown."),
                        ));
                        return;
                    }
                }
            }
            Some(ext) => {
                if let Some(lang) = language(ext) {
                    if !dependencies.contains(lang.file) {
                        self.errors.push(
                            self.ctx
                                .error(
                                    range.clone(),
                                    format!("Option \"features.({ext})\" unknown. Ensure that your proto definition file imports the proto which defines the option."),
                                )
                                .with_help(format!("add `import \"{}\";`", lang.file)),
                        );
                        return;
                    }
                }
                let name = names.join(".");
                match Feature::from_language(ext, &name) {
                    Some(feature) => feature,
                    None => {
                        others.push((
                            elem.path.clone(),
                            OtherFeatureSetting {
                                name: format!("({ext}).{name}"),
                                value: value.text().to_owned(),
                                span,
                            },
                        ));
                        return;
                    }
                }
            }
        };

        let value = match value {
            OptValue::Ident(v) => v,
            _ => {
                self.errors.push(self.ctx.error(
                    range.clone(),
                    format!(
                        "Value must be identifier for enum-valued option \"{}\".",
                        feature.full_name()
                    ),
                ));
                return;
            }
        };
        if !feature.values().contains(&value.as_str()) {
            self.errors.push(
                self.ctx
                    .error(
                        range.clone(),
                        format!(
                            "Enum type \"{}\" has no value named \"{}\" for option \"{}\".",
                            feature.enum_full_name(),
                            value,
                            feature.full_name()
                        ),
                    )
                    .with_help(format!("valid values: {}", feature.values().join(", "))),
            );
            return;
        }
        if !feature.targets().contains(&elem.kind.target()) {
            self.errors.push(self.ctx.error(
                range.clone(),
                format!(
                    "Option {} cannot be set on an entity of type `{}`.",
                    feature.full_name(),
                    elem.kind.target().protoc_name()
                ),
            ));
            return;
        }
        let inserted = lifted.insert(Lifted {
            path: elem.path.clone(),
            setting: FeatureSetting {
                feature,
                value,
                span,
            },
            range: range.clone(),
        });
        if !inserted {
            self.errors.push(self.ctx.error(
                range.clone(),
                format!("Option \"features.{}\" was already set.", feature.name()),
            ));
        }
    }

    /// An edition-2024 core feature (`enforce_naming_style`, `default_symbol_visibility`): checked
    /// like the others, kept with the other features (the 2024 checks read them there).
    fn lift_2024(
        &mut self,
        elem: &Elem,
        name: &str,
        value: OptValue,
        span: [i32; 4],
        range: &Range<usize>,
        others: &mut Vec<(Vec<i32>, OtherFeatureSetting)>,
    ) {
        let full_name = format!("google.protobuf.FeatureSet.{name}");
        let (enum_name, values) = v2024::CORE_FEATURES_2024
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(("", &[][..]), |(_, e, v)| (*e, *v));
        let message = match &value {
            OptValue::Ident(v) if values.contains(&v.as_str()) => {
                if name == "default_symbol_visibility" && elem.kind != ElemKind::File {
                    Some(format!(
                        "Option {full_name} cannot be set on an entity of type `{}`.",
                        elem.kind.target().protoc_name()
                    ))
                } else if others
                    .iter()
                    .any(|(p, s)| p == &elem.path && s.name == name)
                {
                    Some(format!("Option \"features.{name}\" was already set."))
                } else {
                    None
                }
            }
            OptValue::Ident(v) => Some(format!(
                "Enum type \"{enum_name}\" has no value named \"{v}\" for option \"{full_name}\"."
            )),
            _ => Some(format!(
                "Value must be identifier for enum-valued option \"{full_name}\"."
            )),
        };
        match message {
            Some(message) => self.errors.push(self.ctx.error(range.clone(), message)),
            None => others.push((
                elem.path.clone(),
                OtherFeatureSetting {
                    name: name.to_owned(),
                    value: value.text().to_owned(),
                    span,
                },
            )),
        }
    }

    /// protoc's per-field checks on explicit features, presence and defaults.
    fn validate(
        &mut self,
        file: &FileDescriptorProto,
        elements: &[Elem],
        lifted: &Lifts,
        defaults: &HashMap<Vec<i32>, &DefaultEntry>,
        types: &TypeIndex,
    ) {
        let explicit = |path: &[i32], feature: Feature| lifted.get(path, feature);
        let resolve = |path: &[i32], feature: Feature| lifted.resolve(file, path, feature);

        if let Some(l) = explicit(&[], Feature::FieldPresence) {
            if l.setting.value == "LEGACY_REQUIRED" {
                self.errors.push(self.ctx.error(
                    l.range.clone(),
                    "Required presence can't be specified by default.",
                ));
            }
        }

        for elem in elements {
            if !matches!(elem.kind, ElemKind::Field | ElemKind::Extension) {
                continue;
            }
            let Some(ElemRef::Field(field)) = elem_ref(file, &elem.path) else {
                continue;
            };
            let repeated = field.label() == Label::Repeated;
            let in_oneof = field.oneof_index.is_some() && !field.proto3_optional();
            let is_extension = elem.kind == ElemKind::Extension;
            let ty = field_type(field, &elem.scope, types);
            let is_message = matches!(ty, FieldType::Message | FieldType::Map);
            let fail = |errors: &mut Vec<LowerError>, l: &Lifted, message: &str| {
                errors.push(self.ctx.error(l.range.clone(), message));
            };

            if let Some(l) = explicit(&elem.path, Feature::FieldPresence) {
                if repeated {
                    fail(
                        &mut self.errors,
                        l,
                        "Repeated fields can't specify field presence.",
                    );
                } else if is_extension {
                    fail(
                        &mut self.errors,
                        l,
                        "Extensions can't specify field presence.",
                    );
                } else if in_oneof {
                    fail(
                        &mut self.errors,
                        l,
                        "Oneof fields can't specify field presence.",
                    );
                } else if is_message && l.setting.value == "IMPLICIT" {
                    fail(
                        &mut self.errors,
                        l,
                        "Message fields can't specify implicit presence.",
                    );
                }
            }
            if let Some(l) = explicit(&elem.path, Feature::MessageEncoding) {
                if matches!(
                    ty,
                    FieldType::Scalar(_) | FieldType::Map | FieldType::Enum(_)
                ) {
                    fail(
                        &mut self.errors,
                        l,
                        "Only message fields can specify message encoding.",
                    );
                }
            }
            if let Some(l) = explicit(&elem.path, Feature::RepeatedFieldEncoding) {
                if !repeated {
                    fail(
                        &mut self.errors,
                        l,
                        "Only repeated fields can specify repeated field encoding.",
                    );
                } else if l.setting.value == "PACKED"
                    && matches!(
                        ty,
                        FieldType::Scalar(Type::String | Type::Bytes)
                            | FieldType::Message
                            | FieldType::Map
                    )
                {
                    fail(
                        &mut self.errors,
                        l,
                        "Only repeated primitive fields can specify PACKED repeated field encoding.",
                    );
                }
            }
            if let Some(l) = explicit(&elem.path, Feature::Utf8Validation) {
                let not_string = match &ty {
                    FieldType::Scalar(t) => *t != Type::String,
                    FieldType::Message | FieldType::Enum(_) => true,
                    FieldType::Map | FieldType::Unknown => false,
                };
                if not_string {
                    fail(
                        &mut self.errors,
                        l,
                        "Only string fields can specify utf8 validation.",
                    );
                }
            }

            let implicit = !repeated
                && !in_oneof
                && !is_extension
                && !is_message
                && resolve(&elem.path, Feature::FieldPresence) == "IMPLICIT";
            if let Some(entry) = defaults.get(&elem.path) {
                if repeated {
                    self.errors.push(self.ctx.error(
                        entry.name.clone(),
                        "Repeated fields can't have default values.",
                    ));
                } else if implicit {
                    self.errors.push(self.ctx.error(
                        entry.name.clone(),
                        "Implicit presence fields can't specify defaults.",
                    ));
                }
            }
            if implicit {
                if let FieldType::Enum(enum_path) = &ty {
                    if resolve(enum_path, Feature::EnumType) == "CLOSED" {
                        self.error_at(
                            file,
                            &with(&elem.path, &[6]),
                            "Implicit presence enum fields must always be open.",
                        );
                    }
                }
            }
        }
    }

    fn check_open_enums(&mut self, file: &FileDescriptorProto, elements: &[Elem], lifted: &Lifts) {
        for elem in elements.iter().filter(|e| e.kind == ElemKind::Enum) {
            let Some(ElemRef::Enum(e)) = elem_ref(file, &elem.path) else {
                continue;
            };
            let closed = lifted.resolve(file, &elem.path, Feature::EnumType) == "CLOSED";
            if !closed && e.value.first().is_some_and(|v| v.number() != 0) {
                self.error_at(
                    file,
                    &with(&elem.path, &[2, 0, 2]),
                    "The first enum value must be zero for open enums.",
                );
            }
        }
    }

    /// `features.field_presence = LEGACY_REQUIRED` becomes `LABEL_REQUIRED`.
    fn apply_required(
        &mut self,
        file: &mut FileDescriptorProto,
        elements: &[Elem],
        lifted: &Lifts,
    ) {
        for elem in elements {
            if elem.kind != ElemKind::Field {
                continue;
            }
            let required = lifted
                .get(&elem.path, Feature::FieldPresence)
                .is_some_and(|l| l.setting.value == "LEGACY_REQUIRED");
            if required {
                if let Some(ElemMut::Field(field)) = elem_mut(file, &elem.path) {
                    if field.label() == Label::Optional {
                        field.set_label(Label::Required);
                    }
                }
            }
        }
    }

    /// Put `default_value` back, formatted by protox-parse itself through a one-field proto2 file.
    fn apply_defaults(
        &mut self,
        file: &mut FileDescriptorProto,
        defaults: &HashMap<Vec<i32>, &DefaultEntry>,
        source: &str,
    ) {
        let mut paths: Vec<&Vec<i32>> = defaults.keys().collect();
        paths.sort();
        for path in paths {
            let entry = defaults[path];
            let Some(ElemMut::Field(field)) = elem_mut(file, path) else {
                continue;
            };
            let type_text = match field.r#type.and_then(|t| Type::try_from(t).ok()) {
                Some(Type::Message | Type::Group | Type::Enum) | None => {
                    field.type_name().to_owned()
                }
                Some(t) => t
                    .as_str_name()
                    .trim_start_matches("TYPE_")
                    .to_ascii_lowercase(),
            };
            let prefix =
                format!("syntax = \"proto2\"; message M {{ optional {type_text} f = 1 [default = ");
            let synthetic = format!("{prefix}{}]; }}", &source[entry.value.clone()]);
            match protox_parse::parse("default.proto", &synthetic) {
                Ok(parsed) => {
                    field.default_value = parsed
                        .message_type
                        .first()
                        .and_then(|m| m.field.first())
                        .and_then(|f| f.default_value.clone());
                    if let Some(sci) = file.source_code_info.as_mut() {
                        sci.location.push(Location {
                            path: with(path, &[7]),
                            span: compact_span(self.ctx.span_of(entry.value.clone())),
                            ..Default::default()
                        });
                    }
                }
                Err(err) => {
                    let at = err
                        .span()
                        .filter(|s| {
                            s.start >= prefix.len() && s.start <= prefix.len() + entry.value.len()
                        })
                        .map_or(entry.value.clone(), |s| {
                            let start = entry.value.start + (s.start - prefix.len());
                            let end = (entry.value.start + (s.end.saturating_sub(prefix.len())))
                                .clamp(start, entry.value.end);
                            start..end
                        });
                    self.errors.push(self.ctx.error(at, err.to_string()));
                }
            }
        }
    }

    /// Put `reserved foo, bar;` names back into the innermost enclosing message or enum.
    fn apply_reserved(
        &mut self,
        file: &mut FileDescriptorProto,
        elements: &[Elem],
        reserved: &[ReservedNames],
    ) {
        for stmt in reserved {
            let pos = self.ctx.position(stmt.range.start);
            let owner = elements
                .iter()
                .filter(|e| matches!(e.kind, ElemKind::Message | ElemKind::Enum))
                .filter(|e| self.spans.get(&e.path).is_some_and(|&s| contains(s, pos)))
                .max_by_key(|e| e.path.len());
            let Some(owner) = owner else {
                self.errors.push(self.ctx.error(
                    stmt.range.start..stmt.range.start + "reserved".len(),
                    "'reserved' is only allowed in a message or enum body",
                ));
                continue;
            };
            let (tag, first_index) = match elem_mut(file, &owner.path) {
                Some(ElemMut::Message(m)) => {
                    let first = m.reserved_name.len();
                    m.reserved_name
                        .extend(stmt.names.iter().map(|(n, _)| n.clone()));
                    (10, first)
                }
                Some(ElemMut::Enum(e)) => {
                    let first = e.reserved_name.len();
                    e.reserved_name
                        .extend(stmt.names.iter().map(|(n, _)| n.clone()));
                    (5, first)
                }
                _ => continue,
            };
            if let Some(sci) = file.source_code_info.as_mut() {
                sci.location.push(Location {
                    path: with(&owner.path, &[tag]),
                    span: compact_span(self.ctx.span_of(stmt.range.clone())),
                    ..Default::default()
                });
                for (k, (_, range)) in stmt.names.iter().enumerate() {
                    sci.location.push(Location {
                        path: with(&owner.path, &[tag, (first_index + k) as i32]),
                        span: compact_span(self.ctx.span_of(range.clone())),
                        ..Default::default()
                    });
                }
            }
        }
    }
}

/// Source-info spans use 3 numbers when the span is on one line.
fn compact_span(span: [i32; 4]) -> Vec<i32> {
    if span[0] == span[2] {
        vec![span[0], span[1], span[3]]
    } else {
        span.to_vec()
    }
}

/// The path protoc gives an interpreted `features…` option below the element's options:
/// `[features, field]`, `[features, extension, field]`, or just `[features(, extension)]`.
fn protoc_option_path(features_tag: i32, option: &UninterpretedOption) -> Vec<i32> {
    let mut path = vec![features_tag];
    match &option.name[1..] {
        [field] if !field.is_extension => {
            if let Some(feature) = Feature::from_core(&field.name_part) {
                path.extend_from_slice(feature.number_path());
            }
        }
        [ext, rest @ ..] if ext.is_extension => {
            let ext = ext.name_part.trim_start_matches('.');
            if let Some(lang) = language(ext) {
                path.push(lang.number);
            }
            if let [field] = rest {
                if let Some(feature) = Feature::from_language(ext, &field.name_part) {
                    path = with(&[features_tag], feature.number_path());
                }
            }
        }
        _ => {}
    }
    path
}

fn is_features_option(option: &UninterpretedOption) -> bool {
    option
        .name
        .first()
        .is_some_and(|p| !p.is_extension && p.name_part == "features")
}

fn language(extension: &str) -> Option<&'static LanguageFeatures> {
    LANGUAGE_FEATURES.iter().find(|l| l.extension == extension)
}

/// Split a `features…` option into `(extension, field names, value)` entries, reading
/// text-format values (`features = { field_presence: IMPLICIT }`) too.
fn feature_entries(option: &UninterpretedOption) -> Result<Vec<FeatureEntry>, String> {
    let parts = &option.name[1..];
    let value = OptValue::of(option);
    let ext_name = |p: &NamePart| p.name_part.trim_start_matches('.').to_owned();
    match parts {
        [] => match value {
            OptValue::Aggregate(text) => parse_feature_aggregate(&text, None),
            _ => Err("Value must be a message for option \"features\" (e.g. `features = { field_presence: IMPLICIT }`).".to_owned()),
        },
        [first, rest @ ..] if first.is_extension => {
            let ext = ext_name(first);
            if rest.is_empty() {
                match value {
                    OptValue::Aggregate(text) => parse_feature_aggregate(&text, Some(ext)),
                    _ => Err(format!("Value must be a message for option \"features.({ext})\".")),
                }
            } else if rest.iter().any(|p| p.is_extension) {
                Err(format!("Option \"{}\" is not supported here.", option_name(&option.name)))
            } else {
                Ok(vec![(
                    Some(ext),
                    rest.iter().map(|p| p.name_part.clone()).collect(),
                    value,
                )])
            }
        }
        [single] => Ok(vec![(None, vec![single.name_part.clone()], value)]),
        _ => Err(format!("Option \"{}\" unknown.", option_name(&option.name))),
    }
}

/// An option's name as written: `jstype`, `(acme.opt).field`.
pub(crate) fn option_name(parts: &[NamePart]) -> String {
    parts
        .iter()
        .map(|p| {
            if p.is_extension {
                format!("({})", p.name_part)
            } else {
                p.name_part.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A small text-format reader: `name: VALUE`, `[pb.cpp] { name: VALUE }`, separators optional.
fn parse_feature_aggregate(
    text: &str,
    extension: Option<String>,
) -> Result<Vec<FeatureEntry>, String> {
    let tokens: Vec<Tok> = Lexer::new(text).collect();
    let mut out = Vec::new();
    let mut i = 0;
    parse_aggregate_fields(text, &tokens, &mut i, extension, &mut out)?;
    if i < tokens.len() {
        return Err(format!("could not read the features value `{text}`"));
    }
    Ok(out)
}

fn parse_aggregate_fields(
    text: &str,
    tokens: &[Tok],
    i: &mut usize,
    extension: Option<String>,
    out: &mut Vec<FeatureEntry>,
) -> Result<(), String> {
    let bad = || format!("could not read the features value `{text}`");
    while *i < tokens.len() {
        let token = tokens[*i];
        match token.kind {
            Kind::Punct(b'}' | b'>') => return Ok(()),
            Kind::Punct(b',' | b';') => {
                *i += 1;
            }
            Kind::Punct(b'[') => {
                let mut name = String::new();
                *i += 1;
                while *i < tokens.len() && !tokens[*i].is(Kind::Punct(b']')) {
                    name.push_str(tokens[*i].text(text));
                    *i += 1;
                }
                *i += 1;
                if tokens.get(*i).is_some_and(|t| t.is(Kind::Punct(b':'))) {
                    *i += 1;
                }
                let close = match tokens.get(*i).map(|t| t.kind) {
                    Some(Kind::Punct(b'{')) => b'}',
                    Some(Kind::Punct(b'<')) => b'>',
                    _ => return Err(bad()),
                };
                *i += 1;
                let ext = name.trim_start_matches('.').to_owned();
                parse_aggregate_fields(text, tokens, i, Some(ext), out)?;
                if !tokens.get(*i).is_some_and(|t| t.is(Kind::Punct(close))) {
                    return Err(bad());
                }
                *i += 1;
            }
            Kind::Ident => {
                let name = token.text(text).to_owned();
                *i += 1;
                if tokens.get(*i).is_some_and(|t| t.is(Kind::Punct(b':'))) {
                    *i += 1;
                }
                let value = tokens.get(*i).ok_or_else(bad)?;
                let value = match value.kind {
                    Kind::Ident => OptValue::Ident(value.text(text).to_owned()),
                    Kind::Punct(b'{' | b'<') => {
                        let close = matching_close(tokens, *i);
                        let end = tokens.get(close).map_or(text.len(), |t| t.end);
                        let inner = text[value.start..end].to_owned();
                        *i = close;
                        OptValue::Aggregate(inner)
                    }
                    _ => OptValue::Other(value.text(text).to_owned()),
                };
                *i += 1;
                out.push((extension.clone(), vec![name], value));
            }
            _ => return Err(bad()),
        }
    }
    Ok(())
}

/// Rewrite `prefix ++ [999, i] ++ rest` location paths to `prefix ++ renames[prefix][i] ++ rest`.
fn remap_option_locations(
    sci: &mut SourceCodeInfo,
    renames: &HashMap<Vec<i32>, HashMap<i32, Vec<i32>>>,
) {
    if renames.is_empty() {
        return;
    }
    for location in &mut sci.location {
        let path = &location.path;
        let hit = (1..path.len().saturating_sub(1))
            .filter(|&n| path[n] == 999)
            .find_map(|n| Some((n, renames.get(&path[..n])?.get(&path[n + 1])?)));
        if let Some((n, new)) = hit {
            let mut rewritten = path[..n].to_vec();
            rewritten.extend_from_slice(new);
            rewritten.extend_from_slice(&path[n + 2..]);
            location.path = rewritten;
        }
    }
}

/// Drop imports of protoc's language feature files that nothing uses any more.
fn drop_feature_imports(file: &mut FileDescriptorProto) -> Vec<String> {
    let mut dropped = Vec::new();
    for lang in &LANGUAGE_FEATURES {
        let Some(index) = file.dependency.iter().position(|d| d == lang.file) else {
            continue;
        };
        if still_referenced(file, lang) {
            continue;
        }
        remove_dependency(file, index);
        dropped.push(lang.file.to_owned());
    }
    dropped
}

fn still_referenced(file: &FileDescriptorProto, lang: &LanguageFeatures) -> bool {
    let refers = |name: &str| name.contains(lang.message);
    for elem in walk(file) {
        let Some(r) = elem_ref(file, &elem.path) else {
            continue;
        };
        let option_uses = uninterpreted(r).iter().any(|o| {
            o.name
                .iter()
                .any(|p| p.is_extension && p.name_part.trim_start_matches('.') == lang.extension)
                || o.aggregate_value
                    .as_deref()
                    .is_some_and(|a| a.contains(lang.extension))
        });
        if option_uses {
            return true;
        }
        match r {
            ElemRef::Field(f) if refers(f.type_name()) || refers(f.extendee()) => return true,
            ElemRef::Method(m) if refers(m.input_type()) || refers(m.output_type()) => return true,
            _ => {}
        }
    }
    false
}

fn remove_dependency(file: &mut FileDescriptorProto, index: usize) {
    let index = index as i32;
    file.dependency.remove(index as usize);
    let renumber_list = |list: &mut Vec<i32>| -> HashMap<i32, Option<i32>> {
        let mut moves = HashMap::new();
        let mut kept = Vec::new();
        for (k, &dep) in list.iter().enumerate() {
            if dep == index {
                moves.insert(k as i32, None);
            } else {
                moves.insert(k as i32, Some(kept.len() as i32));
                kept.push(if dep > index { dep - 1 } else { dep });
            }
        }
        *list = kept;
        moves
    };
    let public_moves = renumber_list(&mut file.public_dependency);
    let weak_moves = renumber_list(&mut file.weak_dependency);
    if let Some(sci) = file.source_code_info.as_mut() {
        sci.location.retain_mut(|location| {
            let path = &mut location.path;
            if path.len() < 2 {
                return true;
            }
            match path[0] {
                3 if path[1] == index => false,
                3 if path[1] > index => {
                    path[1] -= 1;
                    true
                }
                10 | 11 => {
                    let moves = if path[0] == 10 {
                        &public_moves
                    } else {
                        &weak_moves
                    };
                    match moves.get(&path[1]) {
                        Some(Some(new)) => {
                            path[1] = *new;
                            true
                        }
                        Some(None) => false,
                        None => true,
                    }
                }
                _ => true,
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::{Cardinality, DescriptorPool, Kind as ReflectKind, Value};
    use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

    /// Every construct the brief asks for. Spans asserted below were checked against
    /// `protoc 36.2 --include_source_info` on this exact text.
    const SAMPLE: &str = r#"// Leading comment.
/* block */ edition = "2023";

package demo.v1;

import "google/protobuf/cpp_features.proto";
import "google/protobuf/java_features.proto";

option features.field_presence = IMPLICIT;
option java_package = "com.demo.v1";
option features.(pb.java).utf8_validation = VERIFY;

message Inner {
  string note = 1;
}

message Sample {
  option features.json_format = LEGACY_BEST_EFFORT;
  reserved 20 to 25;
  reserved legacy_name, other_name;
  string id = 1 [features.field_presence = EXPLICIT, default = "x\n\"y\""];
  int32 count = 2 [deprecated = true, features.field_presence = LEGACY_REQUIRED];
  Inner inner = 3 [features.message_encoding = DELIMITED];
  repeated int32 values = 4 [features.repeated_field_encoding = EXPANDED];
  map<string, Inner> by_name = 5;
  oneof choice {
    string text = 6;
    int64 number = 7;
  }
  string cord = 8 [features.(pb.cpp).string_type = CORD, features.field_presence = EXPLICIT];
  bytes blob = 9 [features.field_presence = EXPLICIT, default = "\001\xff"];
  double ratio = 10 [features.field_presence = EXPLICIT, default = -inf];
  Color color = 11 [features.field_presence = EXPLICIT, default = GREEN];
  float f = 12 [default = 1e5, features.field_presence = EXPLICIT];
  extensions 100 to 199;
}

enum Color {
  option features.enum_type = CLOSED;
  RED = 1;
  GREEN = 2;
}

extend Sample {
  string ext_note = 100;
}

service Svc {
  rpc Get(Sample) returns (Inner);
}

enum Mode {
  MODE_UNSPECIFIED = 0;
  MODE_ON = 1;
}
"#;

    const CONSUMER: &str = r#"syntax = "proto3";
package consumer;
import "demo/sample.proto";
message Uses {
  demo.v1.Sample sample = 1;
  demo.v1.Mode mode = 2;
}
"#;

    /// The resolver the caller is expected to build: editions files go through [`lower`].
    struct MapResolver(HashMap<String, String>);

    impl FileResolver for MapResolver {
        fn open_file(&self, name: &str) -> Result<File, protox::Error> {
            let Some(source) = self.0.get(name) else {
                return Err(protox::Error::file_not_found(name));
            };
            if detect_edition(source).is_some() {
                Ok(File::from_file_descriptor_proto(lower(name, source)?.file))
            } else {
                File::from_source(name, source)
            }
        }
    }

    fn compile(files: &[(&str, &str)], roots: &[&str]) -> Result<DescriptorPool, protox::Error> {
        let map = files
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        let mut chain = ChainFileResolver::new();
        chain.add(MapResolver(map));
        chain.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(chain);
        compiler.include_source_info(true);
        compiler.open_files(roots)?;
        Ok(compiler.descriptor_pool())
    }

    fn lowered() -> Lowered {
        lower("demo/sample.proto", SAMPLE).unwrap()
    }

    fn err(name: &str, source: &str) -> String {
        format!("{:?}", lower(name, source).unwrap_err())
    }

    fn field<'a>(
        file: &'a FileDescriptorProto,
        message: &str,
        name: &str,
    ) -> &'a FieldDescriptorProto {
        file.message_type
            .iter()
            .find(|m| m.name() == message)
            .and_then(|m| m.field.iter().find(|f| f.name() == name))
            .unwrap()
    }

    fn location(file: &FileDescriptorProto, path: &[i32]) -> Option<Vec<i32>> {
        file.source_code_info
            .as_ref()
            .unwrap()
            .location
            .iter()
            .find(|l| l.path == path)
            .map(|l| l.span.clone())
    }

    fn has_features_option(file: &FileDescriptorProto) -> bool {
        walk(file).iter().any(|e| {
            elem_ref(file, &e.path).is_some_and(|r| uninterpreted(r).iter().any(is_features_option))
        })
    }

    #[test]
    fn lowers_sample_to_proto2_descriptor() {
        let l = lowered();
        let f = &l.file;
        assert_eq!(l.edition, "2023");
        assert_eq!(f.syntax(), "proto2");
        assert_eq!(f.package(), "demo.v1");
        assert!(!has_features_option(f));
        assert!(f.source_code_info.is_some());

        let label = |name| field(f, "Sample", name).label();
        assert_eq!(label("id"), Label::Optional);
        assert_eq!(label("count"), Label::Required, "LEGACY_REQUIRED");
        assert_eq!(label("inner"), Label::Optional);
        assert_eq!(label("values"), Label::Repeated);
        assert_eq!(label("by_name"), Label::Repeated);
        assert_eq!(label("text"), Label::Optional);
        assert_eq!(label("cord"), Label::Optional);
        assert_eq!(
            field(f, "Inner", "note").label(),
            Label::Optional,
            "implicit presence"
        );
        assert_eq!(f.extension[0].label(), Label::Optional);
        assert_eq!(field(f, "Sample", "text").oneof_index, Some(0));
        assert!(f
            .message_type
            .iter()
            .all(|m| m.field.iter().all(|x| x.proto3_optional.is_none())));

        // Defaults exactly as protoc writes them (protoc 36.2 output for the same file).
        let default = |name| field(f, "Sample", name).default_value.clone();
        assert_eq!(default("id").as_deref(), Some("x\n\"y\""));
        assert_eq!(default("blob").as_deref(), Some("\\001\\377"));
        assert_eq!(default("ratio").as_deref(), Some("-inf"));
        assert_eq!(default("color").as_deref(), Some("GREEN"));
        assert_eq!(default("f").as_deref(), Some("100000"));
        assert_eq!(default("count"), None);

        // Non-feature options stay uninterpreted; feature-only option lists disappear.
        let count_options = field(f, "Sample", "count").options.as_ref().unwrap();
        assert_eq!(count_options.uninterpreted_option.len(), 1);
        assert_eq!(
            count_options.uninterpreted_option[0].name[0].name_part,
            "deprecated"
        );
        assert!(field(f, "Sample", "id").options.is_none());
        assert!(f.message_type[1].options.is_none());
        assert!(f.enum_type[0].options.is_none());
        let file_options = f.options.as_ref().unwrap();
        assert_eq!(file_options.uninterpreted_option.len(), 1);
        assert_eq!(
            file_options.uninterpreted_option[0].name[0].name_part,
            "java_package"
        );

        // Reserved identifiers, map entry, extension range, extension, service.
        assert_eq!(
            f.message_type[1].reserved_name,
            ["legacy_name", "other_name"]
        );
        assert_eq!(f.message_type[1].reserved_range.len(), 1);
        assert_eq!(f.message_type[1].nested_type[0].name(), "ByNameEntry");
        assert_eq!(f.extension[0].extendee(), "Sample");
        assert_eq!(f.service[0].method[0].name(), "Get");

        // The language feature files are not bundled by protox: their imports are dropped.
        assert!(f.dependency.is_empty());
        assert_eq!(
            l.dropped_imports,
            [
                "google/protobuf/cpp_features.proto",
                "google/protobuf/java_features.proto"
            ]
        );
    }

    #[test]
    fn reports_features_with_paths_and_protoc_spans() {
        use Feature::*;
        let l = lowered();
        let got: Vec<(Vec<i32>, Feature, &str, [i32; 4])> = l
            .features
            .iter()
            .map(|(p, s)| (p.clone(), s.feature, s.value.as_str(), s.span))
            .collect();
        let want: Vec<(Vec<i32>, Feature, &str, [i32; 4])> = vec![
            (vec![], FieldPresence, "IMPLICIT", [8, 0, 8, 42]),
            (vec![], JavaUtf8Validation, "VERIFY", [10, 0, 10, 51]),
            (
                vec![4, 1],
                JsonFormat,
                "LEGACY_BEST_EFFORT",
                [17, 2, 17, 51],
            ),
            (
                vec![4, 1, 2, 0],
                FieldPresence,
                "EXPLICIT",
                [20, 17, 20, 51],
            ),
            (
                vec![4, 1, 2, 1],
                FieldPresence,
                "LEGACY_REQUIRED",
                [21, 38, 21, 79],
            ),
            (
                vec![4, 1, 2, 2],
                MessageEncoding,
                "DELIMITED",
                [22, 19, 22, 56],
            ),
            (
                vec![4, 1, 2, 3],
                RepeatedFieldEncoding,
                "EXPANDED",
                [23, 29, 23, 72],
            ),
            (vec![4, 1, 2, 7], CppStringType, "CORD", [29, 19, 29, 55]),
            (
                vec![4, 1, 2, 7],
                FieldPresence,
                "EXPLICIT",
                [29, 57, 29, 91],
            ),
            (
                vec![4, 1, 2, 8],
                FieldPresence,
                "EXPLICIT",
                [30, 18, 30, 52],
            ),
            (
                vec![4, 1, 2, 9],
                FieldPresence,
                "EXPLICIT",
                [31, 21, 31, 55],
            ),
            (
                vec![4, 1, 2, 10],
                FieldPresence,
                "EXPLICIT",
                [32, 20, 32, 54],
            ),
            (
                vec![4, 1, 2, 11],
                FieldPresence,
                "EXPLICIT",
                [33, 31, 33, 65],
            ),
            (vec![5, 0], EnumType, "CLOSED", [38, 2, 38, 37]),
        ];
        assert_eq!(got, want);
        assert!(l.other_features.is_empty());

        // A span points at the option text in the original source.
        let (_, s) = &l.features[2];
        let line = SAMPLE.lines().nth(s.span[0] as usize).unwrap();
        assert_eq!(
            &line[s.span[1] as usize..s.span[3] as usize],
            "option features.json_format = LEGACY_BEST_EFFORT;"
        );
    }

    #[test]
    fn source_info_matches_protoc_paths() {
        let f = lowered().file;
        // Edition statement under `syntax`, like protoc.
        assert_eq!(location(&f, &[12]), Some(vec![1, 12, 29]));
        // Lifted options are renamed to protoc's interpreted paths, the rest renumbered.
        assert_eq!(location(&f, &[8, 50, 1]), Some(vec![8, 0, 42]));
        assert_eq!(location(&f, &[8, 50, 1001, 2]), Some(vec![10, 0, 51]));
        assert_eq!(location(&f, &[8, 999, 0]), Some(vec![9, 0, 36]));
        assert_eq!(
            location(&f, &[4, 1, 2, 0, 8, 21, 1]),
            Some(vec![20, 17, 51])
        );
        assert_eq!(
            location(&f, &[4, 1, 2, 1, 8, 999, 0]),
            Some(vec![21, 19, 36])
        );
        assert_eq!(
            location(&f, &[4, 1, 2, 7, 8, 21, 1000, 2]),
            Some(vec![29, 19, 55])
        );
        assert_eq!(location(&f, &[4, 1, 7, 12, 6]), Some(vec![17, 2, 51]));
        assert_eq!(location(&f, &[5, 0, 3, 7, 2]), Some(vec![38, 2, 37]));
        // Defaults and reserved names, same spans as protoc.
        assert_eq!(location(&f, &[4, 1, 2, 0, 7]), Some(vec![20, 63, 73]));
        assert_eq!(location(&f, &[4, 1, 2, 8, 7]), Some(vec![30, 64, 74]));
        assert_eq!(location(&f, &[4, 1, 10]), Some(vec![19, 2, 35]));
        assert_eq!(location(&f, &[4, 1, 10, 0]), Some(vec![19, 11, 22]));
        assert_eq!(location(&f, &[4, 1, 10, 1]), Some(vec![19, 24, 34]));
        // Element spans untouched.
        assert_eq!(location(&f, &[4, 1]), Some(vec![16, 0, 35, 1]));
        assert_eq!(location(&f, &[4, 1, 2, 0]), Some(vec![20, 2, 75]));
        // Dropped imports lose their locations.
        assert_eq!(location(&f, &[3, 0]), None);
    }

    #[test]
    fn lowered_source_keeps_line_lengths() {
        let l = lowered();
        let original: Vec<usize> = SAMPLE.split('\n').map(str::len).collect();
        let lowered: Vec<usize> = l.lowered_source.split('\n').map(str::len).collect();
        assert_eq!(original, lowered);
        assert!(l
            .lowered_source
            .contains("/* block */ syntax=\"proto3\"; \n"));
        assert!(l.lowered_source.contains(
            "  string id = 1 [features.field_presence = EXPLICIT                      ];"
        ));
        assert!(l
            .lowered_source
            .contains("  float f = 12 [               features.field_presence = EXPLICIT];"));
    }

    #[test]
    fn links_with_a_proto3_importer_and_loads_in_prost_reflect() {
        let pool = compile(
            &[("demo/sample.proto", SAMPLE), ("consumer.proto", CONSUMER)],
            &["consumer.proto"],
        )
        .unwrap();
        let uses = pool.get_message_by_name("consumer.Uses").unwrap();
        assert_eq!(
            uses.get_field_by_name("mode")
                .unwrap()
                .kind()
                .as_enum()
                .unwrap()
                .full_name(),
            "demo.v1.Mode"
        );

        let sample = pool.get_message_by_name("demo.v1.Sample").unwrap();
        assert_eq!(sample.parent_file().syntax(), prost_reflect::Syntax::Proto2);
        let count = sample.get_field_by_name("count").unwrap();
        assert_eq!(count.cardinality(), Cardinality::Required);
        assert_eq!(
            count
                .field_descriptor_proto()
                .options
                .as_ref()
                .unwrap()
                .deprecated,
            Some(true)
        );
        let inner = sample.get_field_by_name("inner").unwrap();
        assert!(
            matches!(inner.kind(), ReflectKind::Message(m) if m.full_name() == "demo.v1.Inner")
        );
        assert!(sample.get_field_by_name("by_name").unwrap().is_map());
        assert_eq!(sample.oneofs().next().unwrap().name(), "choice");
        let color = sample.get_field_by_name("color").unwrap();
        assert_eq!(color.default_value(), Value::EnumNumber(2));
        assert_eq!(
            sample.get_field_by_name("id").unwrap().default_value(),
            Value::String("x\n\"y\"".into())
        );
        assert_eq!(
            sample.get_field_by_name("blob").unwrap().default_value(),
            Value::Bytes(vec![1u8, 0xff].into())
        );
        assert_eq!(
            sample.get_field_by_name("ratio").unwrap().default_value(),
            Value::F64(f64::NEG_INFINITY)
        );
        let ext = pool.get_extension_by_name("demo.v1.ext_note").unwrap();
        assert_eq!(ext.containing_message().full_name(), "demo.v1.Sample");
        let file = pool.get_file_by_name("demo/sample.proto").unwrap();
        let options = file.file_descriptor_proto().options.clone().unwrap();
        assert_eq!(options.java_package(), "com.demo.v1");
        assert!(options.uninterpreted_option.is_empty());
        assert!(pool.get_service_by_name("demo.v1.Svc").is_some());
        // protox interpreted the remaining option and rewrote its location.
        let sci = file
            .file_descriptor_proto()
            .source_code_info
            .clone()
            .unwrap();
        assert!(sci
            .location
            .iter()
            .any(|l| l.path == [4, 1, 2, 1, 8, 3] && l.span == [21, 19, 36]));
    }

    #[test]
    fn custom_options_stay_for_protox() {
        let source = r#"edition = "2023";
package c;
import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { string tag = 50000; }
message M {
  string a = 1 [(tag) = "x", features.field_presence = IMPLICIT, json_name = "A", ctype = CORD];
  repeated int32 b = 2 [packed = false];
  int64 c = 3 [jstype = JS_STRING, features.field_presence = EXPLICIT, default = -5];
}
"#;
        let l = lower("c.proto", source).unwrap();
        let a = field(&l.file, "M", "a");
        assert_eq!(a.json_name(), "A");
        let names: Vec<&str> = a
            .options
            .as_ref()
            .unwrap()
            .uninterpreted_option
            .iter()
            .map(|o| o.name[0].name_part.as_str())
            .collect();
        assert_eq!(names, ["tag", "ctype"]);
        assert_eq!(field(&l.file, "M", "c").default_value(), "-5");
        assert_eq!(l.file.dependency, ["google/protobuf/descriptor.proto"]);

        let pool = compile(&[("c.proto", source)], &["c.proto"]).unwrap();
        let m = pool.get_message_by_name("c.M").unwrap();
        let a = m.get_field_by_name("a").unwrap();
        let ext = pool.get_extension_by_name("c.tag").unwrap();
        assert_eq!(a.options().get_extension(&ext).as_str(), Some("x"));
        assert_eq!(
            a.field_descriptor_proto().options.as_ref().unwrap().ctype,
            Some(1)
        );
        assert!(!m.get_field_by_name("b").unwrap().is_packed());
        assert_eq!(
            m.get_field_by_name("c").unwrap().default_value(),
            Value::I64(-5)
        );
    }

    #[test]
    fn resolves_inherited_features() {
        use Feature::*;
        let l = lowered();
        assert_eq!(
            l.resolve(&[4, 0, 2, 0], FieldPresence),
            "IMPLICIT",
            "from the file"
        );
        assert_eq!(
            l.resolve(&[4, 1, 2, 0], FieldPresence),
            "EXPLICIT",
            "on the field"
        );
        assert_eq!(l.resolve(&[4, 1, 2, 2], MessageEncoding), "DELIMITED");
        assert_eq!(l.resolve(&[4, 1, 2, 4], MessageEncoding), "LENGTH_PREFIXED");
        assert_eq!(l.resolve(&[5, 0], EnumType), "CLOSED");
        assert_eq!(l.resolve(&[5, 1], EnumType), "OPEN");
        assert_eq!(l.resolve(&[4, 1], JsonFormat), "LEGACY_BEST_EFFORT");
        assert_eq!(l.resolve(&[4, 1, 2, 7], CppStringType), "CORD");
        assert_eq!(l.resolve(&[4, 1, 2, 0], CppStringType), "STRING");
        assert_eq!(
            l.resolve(&[4, 1, 2, 0], JavaUtf8Validation),
            "VERIFY",
            "from the file"
        );
        assert_eq!(l.resolve(&[4, 1, 2, 3], RepeatedFieldEncoding), "EXPANDED");
        assert_eq!(l.resolve(&[7, 0], Utf8Validation), "VERIFY");
        assert!(l.explicit(&[4, 1, 2, 5], FieldPresence).is_none());
    }

    #[test]
    fn oneof_members_inherit_from_their_oneof() {
        let l = lower(
            "o.proto",
            "edition = \"2023\";\nmessage M { oneof o { int32 a = 1; } }\n",
        )
        .unwrap();
        let chain = feature_chain(&l.file, &[4, 0, 2, 0]);
        assert_eq!(
            chain,
            vec![vec![4, 0, 2, 0], vec![4, 0, 8, 0], vec![4, 0], vec![]]
        );
    }

    #[test]
    fn syntax_errors_point_at_the_original_source() {
        let source = "// c\nedition = \"2023\";\n\nmessage M {\n  string s = 1 [default = \"abc\"] oops;\n}\n";
        let e = lower("bad.proto", source).unwrap_err();
        assert!(e.is_parse());
        assert_eq!(e.file(), Some("bad.proto"));
        let debug = format!("{e:?}");
        assert!(debug.starts_with("bad.proto:5:34: "), "{debug}");
        assert!(debug.contains("'oops'"), "{debug}");

        let e = err(
            "bad2.proto",
            "edition = \"2023\";\nmessage M {\n\tint32 a = ;\n}\n",
        );
        assert!(e.starts_with("bad2.proto:3:12: "), "{e}");
    }

    #[test]
    fn unknown_editions_are_rejected_at_the_edition_line() {
        for edition in ["2025", "2026"] {
            let source = format!("// header\n\nedition = \"{edition}\";\nmessage M {{}}\n");
            let e = lower("e.proto", &source).unwrap_err();
            assert_eq!(
                format!("{e:?}"),
                format!("e.proto:3:11: unsupported edition \"{edition}\": only editions \"2023\" and \"2024\" are supported")
            );
            assert!(e.to_string().contains(edition));
        }
    }

    #[test]
    fn detect_edition_cases() {
        assert_eq!(detect_edition("edition = \"2023\";"), Some("2023".into()));
        assert_eq!(
            detect_edition("// c\n/* edition = \"x\"; */\n  edition='2024' ;\nmessage A {}"),
            Some("2024".into())
        );
        assert_eq!(
            detect_edition("\u{feff}edition = \"20\" \"23\";"),
            Some("2023".into())
        );
        assert_eq!(detect_edition("syntax = \"proto3\";\nmessage A {}"), None);
        assert_eq!(
            detect_edition("// edition = \"2023\";\nsyntax = \"proto2\";"),
            None
        );
        assert_eq!(
            detect_edition("/* edition = \"2023\"; */ syntax = \"proto3\";"),
            None
        );
        assert_eq!(detect_edition("message edition {}"), None);
        assert_eq!(detect_edition(""), None);
        assert_eq!(detect_edition("edition"), None);
    }

    #[test]
    fn edition_statement_layouts() {
        // No spaces: one byte short; the replacement grows that line only.
        let l = lower("a.proto", "edition=\"2023\";\nmessage M { int32 a = 1; }\n").unwrap();
        assert!(l.lowered_source.starts_with("syntax=\"proto3\";\n"));
        assert_eq!(location(&l.file, &[4, 0, 2, 0]), Some(vec![1, 12, 24]));
        assert_eq!(location(&l.file, &[12]), Some(vec![0, 0, 15]));
        // ... unless a blank follows.
        let l = lower("a.proto", "edition=\"2023\"; // c\nmessage M {}\n").unwrap();
        assert!(l.lowered_source.starts_with("syntax=\"proto3\";// c\n"));
        // Spread over lines.
        let source = "edition\n  =\n  \"2023\"\n;\nmessage M { int32 a = 1 [default = 3]; }\n";
        let l = lower("a.proto", source).unwrap();
        assert_eq!(
            l.lowered_source
                .split('\n')
                .map(str::len)
                .collect::<Vec<_>>(),
            source.split('\n').map(str::len).collect::<Vec<_>>()
        );
        assert_eq!(field(&l.file, "M", "a").default_value(), "3");
        assert_eq!(location(&l.file, &[4, 0, 2, 0, 7]), Some(vec![4, 35, 36]));
        // Malformed.
        assert!(err("a.proto", "edition = \"2023\"\nmessage M {}")
            .starts_with("a.proto:2:1: expected ';'"));
        assert!(err("a.proto", "edition = 2023;")
            .starts_with("a.proto:1:11: expected a string literal"));
    }

    #[test]
    fn default_blanking_keeps_option_lists_valid() {
        let source = r#"edition = "2023";
message M {
  int32 a = 1 [deprecated = true, default = 1, default = 2];
  int32 b = 2 [default = 1,
               deprecated = true];
  int32 c = 3 [deprecated = true, default = 7, json_name = "cc"];
  string d = 4 [default = "multi"
                          "line"];
  E e = 5 [default = E_ONE];
  enum E { E_ZERO = 0; E_ONE = 1; }
}
"#;
        // Two defaults on one field is an error, like protoc.
        assert!(err("d.proto", source).contains("Option \"default\" was already set."));
        let source = source.replace(", default = 2", "");
        let l = lower("d.proto", &source).unwrap();
        let f = &l.file;
        assert_eq!(field(f, "M", "a").default_value(), "1");
        assert_eq!(field(f, "M", "b").default_value(), "1");
        assert_eq!(field(f, "M", "c").default_value(), "7");
        assert_eq!(field(f, "M", "c").json_name(), "cc");
        assert_eq!(field(f, "M", "d").default_value(), "multiline");
        assert_eq!(field(f, "M", "e").default_value(), "E_ONE");
        assert_eq!(location(f, &[4, 0, 2, 3, 7]), Some(vec![6, 26, 7, 32]));
        for name in ["a", "b", "c"] {
            assert_eq!(
                field(f, "M", name)
                    .options
                    .as_ref()
                    .unwrap()
                    .uninterpreted_option
                    .len(),
                1
            );
        }
        compile(&[("d.proto", &source)], &["d.proto"]).unwrap();
    }

    #[test]
    fn bad_default_values_point_into_the_value() {
        let e = err(
            "v.proto",
            "edition = \"2023\";\nmessage M {\n  int32 a = 1 [default = \"abc\"];\n}\n",
        );
        assert!(e.starts_with("v.proto:3:26: expected value to be"), "{e}");
        let e = err(
            "v.proto",
            "edition = \"2023\";\nmessage M {\n  repeated int32 a = 1 [default = 1];\n}\n",
        );
        assert_eq!(
            e,
            "v.proto:3:25: Repeated fields can't have default values."
        );
        let e = err(
            "v.proto",
            "edition = \"2023\";\nenum E { A = 0 [default = 1]; }\n",
        );
        assert_eq!(e, "v.proto:2:17: Option \"default\" unknown.");
    }

    #[test]
    fn feature_validation_mirrors_protoc() {
        let cases: &[(&str, &str)] = &[
            (
                "message M { option features.field_presence = IMPLICIT; int32 a = 1; }",
                "2:13: Option google.protobuf.FeatureSet.field_presence cannot be set on an entity of type `message`.",
            ),
            (
                "message M { repeated int32 a = 1 [features.field_presence = IMPLICIT]; }",
                "2:35: Repeated fields can't specify field presence.",
            ),
            (
                "message M { M a = 1 [features.field_presence = IMPLICIT]; }",
                "2:22: Message fields can't specify implicit presence.",
            ),
            (
                "message M { int32 a = 1 [features.field_presence = IMPLICIT, default = 3]; }",
                "2:62: Implicit presence fields can't specify defaults.",
            ),
            (
                "option features.field_presence = IMPLICIT;\nmessage M { int32 a = 1 [default = 3]; }",
                "3:26: Implicit presence fields can't specify defaults.",
            ),
            (
                "message M { optional int32 a = 1; }",
                "2:13: Label \"optional\" is not supported in editions.",
            ),
            (
                "message M { required int32 a = 1; }",
                "2:13: Label \"required\" is not supported in editions, use features.field_presence = LEGACY_REQUIRED.",
            ),
            ("message M { repeated group G = 1 {} }", "2:13: Group syntax is no longer supported in editions."),
            (
                "message M { reserved \"foo\"; }",
                "2:22: Reserved names must be identifiers in editions, not string literals.",
            ),
            (
                "option features.field_presence = BOGUS;",
                "2:1: Enum type \"google.protobuf.FeatureSet.FieldPresence\" has no value named \"BOGUS\" for option \"google.protobuf.FeatureSet.field_presence\".",
            ),
            (
                "option features.field_presence = \"IMPLICIT\";",
                "2:1: Value must be identifier for enum-valued option \"google.protobuf.FeatureSet.field_presence\".",
            ),
            ("option features.bogus = X;", "2:1: Option \"features.bogus\" unknown."),
            (
                "option features.enforce_naming_style = STYLE2024;",
                "2:1: google.protobuf.FeatureSet.enforce_naming_style wasn't introduced until edition 2024",
            ),
            (
                "message M { int32 a = 1 [features.message_encoding = DELIMITED]; }",
                "2:26: Only message fields can specify message encoding.",
            ),
            (
                "message M { map<string, M> a = 1 [features.message_encoding = DELIMITED]; }",
                "2:35: Only message fields can specify message encoding.",
            ),
            (
                "message M { int32 a = 1 [features.repeated_field_encoding = EXPANDED]; }",
                "2:26: Only repeated fields can specify repeated field encoding.",
            ),
            (
                "message M { repeated string a = 1 [features.repeated_field_encoding = PACKED]; }",
                "2:36: Only repeated primitive fields can specify PACKED repeated field encoding.",
            ),
            (
                "message M { int32 a = 1 [features.utf8_validation = NONE]; }",
                "2:26: Only string fields can specify utf8 validation.",
            ),
            ("enum E { A = 1; }", "2:14: The first enum value must be zero for open enums."),
            (
                "option features.field_presence = LEGACY_REQUIRED;",
                "2:1: Required presence can't be specified by default.",
            ),
            (
                "message M { oneof o { int32 x = 4 [features.field_presence = IMPLICIT]; } }",
                "2:36: Oneof fields can't specify field presence.",
            ),
            (
                "message M { extensions 1 to 10; }\nextend M { int32 e = 1 [features.field_presence = LEGACY_REQUIRED]; }",
                "3:25: Extensions can't specify field presence.",
            ),
            (
                "enum E { option features.enum_type = CLOSED; A = 0; }\nmessage M { E e = 1 [features.field_presence = IMPLICIT]; }",
                "3:13: Implicit presence enum fields must always be open.",
            ),
            (
                "message M { int32 a = 1 [features.field_presence = EXPLICIT, features.field_presence = IMPLICIT]; }",
                "2:62: Option \"features.field_presence\" was already set.",
            ),
            (
                "message M { string s = 1 [features.(pb.cpp).string_type = CORD]; }",
                "2:27: Option \"features.(pb.cpp)\" unknown.",
            ),
            (
                "service S { option features.field_presence = IMPLICIT; }",
                "2:13: Option google.protobuf.FeatureSet.field_presence cannot be set on an entity of type `service`.",
            ),
            (
                "enum E { A = 0 [features.enum_type = OPEN]; }",
                "2:17: Option google.protobuf.FeatureSet.enum_type cannot be set on an entity of type `enum entry`.",
            ),
            (
                "message M { oneof o { option features.json_format = ALLOW; int32 a = 1; } }",
                "2:23: Option google.protobuf.FeatureSet.json_format cannot be set on an entity of type `oneof`.",
            ),
        ];
        for (body, want) in cases {
            let source = format!("edition = \"2023\";\n{body}\n");
            let got = err("x.proto", &source);
            assert!(
                got.starts_with(&format!("x.proto:{want}")),
                "{body}\n got: {got}\nwant: {want}"
            );
        }
    }

    #[test]
    fn valid_presence_combinations_are_accepted() {
        // Inherited IMPLICIT does not reach message fields, oneofs, extensions or repeated fields.
        let source = r#"edition = "2023";
option features.field_presence = IMPLICIT;
option features.enum_type = CLOSED;
option features.json_format = LEGACY_BEST_EFFORT;
message M {
  M m = 1;
  repeated int32 r = 2;
  oneof o { int32 x = 3 [default = 4]; }
  E e = 4 [features.field_presence = EXPLICIT, default = E_ONE];
  repeated E es = 5 [features.repeated_field_encoding = PACKED];
  repeated M ms = 6 [features.message_encoding = DELIMITED];
  map<string, string> mp = 7 [features.utf8_validation = NONE];
  extensions 100 to 200;
}
enum E { option features.json_format = ALLOW; E_ONE = 1; }
extend M { int32 ext = 100 [default = 9]; }
"#;
        let l = lower("ok.proto", source).unwrap();
        assert_eq!(l.features.len(), 8);
        compile(&[("ok.proto", source)], &["ok.proto"]).unwrap();
    }

    #[test]
    fn aggregate_and_other_language_features() {
        let source = r#"edition = "2023";
import "google/protobuf/cpp_features.proto";
import "google/protobuf/java_features.proto";
option features = { field_presence: IMPLICIT enum_type: CLOSED };
option features.(pb.java).legacy_closed_enum = true;
message M {
  string s = 1 [features.(pb.cpp) = { string_type: VIEW }];
  string t = 2 [features = { utf8_validation: NONE [pb.java] { utf8_validation: VERIFY } }];
}
"#;
        let l = lower("agg.proto", source).unwrap();
        let got: Vec<(Vec<i32>, Feature, &str)> = l
            .features
            .iter()
            .map(|(p, s)| (p.clone(), s.feature, s.value.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (vec![], Feature::FieldPresence, "IMPLICIT"),
                (vec![], Feature::EnumType, "CLOSED"),
                (vec![4, 0, 2, 0], Feature::CppStringType, "VIEW"),
                (vec![4, 0, 2, 1], Feature::Utf8Validation, "NONE"),
                (vec![4, 0, 2, 1], Feature::JavaUtf8Validation, "VERIFY"),
            ]
        );
        assert_eq!(l.features[0].1.span, [3, 0, 3, 65]);
        assert_eq!(
            l.other_features,
            vec![(
                vec![],
                OtherFeatureSetting {
                    name: "(pb.java).legacy_closed_enum".into(),
                    value: "true".into(),
                    span: [4, 0, 4, 52],
                }
            )]
        );
        assert!(l.file.dependency.is_empty());
        assert!(l.file.options.is_none());
        compile(&[("agg.proto", source)], &["agg.proto"]).unwrap();
    }

    #[test]
    fn imports_still_in_use_are_kept_and_indices_renumbered() {
        let source = r#"edition = "2023";
import "a.proto";
import "google/protobuf/cpp_features.proto";
import public "b.proto";
import "google/protobuf/java_features.proto";
option features.(pb.cpp).string_type = VIEW;
message M { pb.JavaFeatures j = 1; }
"#;
        let l = lower("i.proto", source).unwrap();
        let f = &l.file;
        assert_eq!(
            f.dependency,
            ["a.proto", "b.proto", "google/protobuf/java_features.proto"]
        );
        assert_eq!(f.public_dependency, [1]);
        assert_eq!(l.dropped_imports, ["google/protobuf/cpp_features.proto"]);
        assert_eq!(location(f, &[3, 1]), Some(vec![3, 0, 24]));
        assert_eq!(location(f, &[10, 0]), Some(vec![3, 7, 13]));
        assert_eq!(location(f, &[3, 2]), Some(vec![4, 0, 45]));
        assert_eq!(location(f, &[3, 3]), None);
    }

    #[test]
    fn reserved_identifiers_in_enums_and_nested_messages() {
        let source = r#"edition = "2023";
message Outer {
  message Inner {
    reserved a, b;
    int32 x = 1;
  }
  reserved 5, c;
}
enum E {
  E_ZERO = 0;
  reserved E_OLD;
  reserved 3 to 4;
}
"#;
        // `reserved 5, c;` mixes numbers and names: a parse error, as in protoc.
        assert!(lower("r.proto", source).unwrap_err().is_parse());
        let source = source.replace("reserved 5, c;", "reserved c;");
        let l = lower("r.proto", &source).unwrap();
        assert_eq!(
            l.file.message_type[0].nested_type[0].reserved_name,
            ["a", "b"]
        );
        assert_eq!(l.file.message_type[0].reserved_name, ["c"]);
        assert_eq!(l.file.enum_type[0].reserved_name, ["E_OLD"]);
        assert_eq!(l.file.enum_type[0].reserved_range.len(), 1);
        assert_eq!(
            location(&l.file, &[4, 0, 3, 0, 10, 1]),
            Some(vec![3, 16, 17])
        );
        assert_eq!(location(&l.file, &[5, 0, 5, 0]), Some(vec![10, 11, 16]));
        compile(&[("r.proto", &source)], &["r.proto"]).unwrap();
    }

    /// Condensed from protobuf's `test_messages_proto2_editions.proto` (edition 2023).
    const CONFORMANCE_STYLE: &str = r#"// LINT: ALLOW_GROUPS

edition = "2023";

package protobuf_test_messages.editions.proto2;

option features.enum_type = CLOSED;
option features.repeated_field_encoding = EXPANDED;
option features.utf8_validation = NONE;
option java_package = "com.google.protobuf_test_messages.editions.proto2";
option optimize_for = SPEED;
option cc_enable_arenas = true;

message TestAllTypesProto2 {
  message NestedMessage {
    int32 a = 1;
    TestAllTypesProto2 corecursive = 2;
  }

  enum NestedEnum {
    FOO = 0;
    BAR = 1;
    NEG = -1; // Intentionally negative.
  }

  string optional_string_piece = 24 [
    ctype = STRING_PIECE
  ];
  repeated int32 packed_int32 = 75 [
    features.repeated_field_encoding = PACKED
  ];
  repeated NestedEnum packed_nested_enum = 88 [
    features.repeated_field_encoding = PACKED
  ];
  map<string, NestedEnum> map_string_nested_enum = 73;

  oneof oneof_field {
    uint32 oneof_uint32 = 111;
    NestedMessage oneof_nested_message = 112;
    NestedEnum oneof_enum = 119;
  }

  extensions 120 to 200;

  message Data {
    int32 group_int32 = 202;
  }

  Data data = 201 [
    features.message_encoding = DELIMITED
  ];

  int64 default_int64 = 242 [
    default = -9123456789123456789
  ];
  uint64 default_uint64 = 244 [
    default = 10123456789123456789
  ];
  sfixed32 default_sfixed32 = 249 [
    features.field_presence = LEGACY_REQUIRED,
    default = -123456789
  ];
  float default_float = 251 [
    default = 9e9
  ];
  double default_double = 252 [
    default = 7e22
  ];
  bool default_bool = 253 [
    default = true
  ];
  bytes default_bytes = 255 [
    default = "joshua"
  ];
  NestedEnum default_enum = 256 [default = NEG];

  reserved 1000 to 9999;

  message MessageSetCorrect {
    option message_set_wire_format = true;

    extensions 4 to max;
  }

  message MessageSetCorrectExtension1 {
    extend MessageSetCorrect {
      MessageSetCorrectExtension1 message_set_extension = 1547769;
    }

    string str = 25;
  }
}

extend TestAllTypesProto2 {
  GroupField groupfield = 121 [
    features.message_encoding = DELIMITED
  ];
}

message GroupField {
  int32 group_int32 = 122;
}
"#;

    #[test]
    fn conformance_style_file_links() {
        let l = lower("real.proto", CONFORMANCE_STYLE).unwrap();
        let m = &l.file.message_type[0];
        let default = |name: &str| {
            m.field
                .iter()
                .find(|f| f.name() == name)
                .unwrap()
                .default_value()
                .to_owned()
        };
        // Same strings as protoc 36.2, except floats: protox-parse's formatting is kept so a
        // proto2 file and its editions migration get identical defaults (protoc: 9e+09, 7e+22).
        assert_eq!(default("default_int64"), "-9123456789123456789");
        assert_eq!(default("default_uint64"), "10123456789123456789");
        assert_eq!(default("default_sfixed32"), "-123456789");
        assert_eq!(default("default_float"), "9000000000");
        assert_eq!(default("default_double"), "70000000000000000000000");
        assert_eq!(default("default_bool"), "true");
        assert_eq!(default("default_bytes"), "joshua");
        assert_eq!(default("default_enum"), "NEG");
        assert_eq!(l.resolve(&[4, 0, 4, 0], Feature::EnumType), "CLOSED");
        assert_eq!(
            l.resolve(&[4, 0, 2, 1], Feature::RepeatedFieldEncoding),
            "PACKED"
        );
        assert_eq!(
            l.resolve(&[4, 0, 2, 3], Feature::RepeatedFieldEncoding),
            "EXPANDED"
        );

        let pool = compile(&[("real.proto", CONFORMANCE_STYLE)], &["real.proto"]).unwrap();
        let all = pool
            .get_message_by_name("protobuf_test_messages.editions.proto2.TestAllTypesProto2")
            .unwrap();
        let sfixed = all.get_field_by_name("default_sfixed32").unwrap();
        assert_eq!(sfixed.cardinality(), Cardinality::Required);
        assert_eq!(sfixed.default_value(), Value::I32(-123456789));
        assert_eq!(
            all.get_field_by_name("default_float")
                .unwrap()
                .default_value(),
            Value::F32(9e9)
        );
        assert_eq!(
            all.get_field_by_name("default_enum")
                .unwrap()
                .default_value(),
            Value::EnumNumber(-1)
        );
        assert!(pool
            .get_extension_by_name(
                "protobuf_test_messages.editions.proto2.TestAllTypesProto2.MessageSetCorrectExtension1.message_set_extension"
            )
            .is_some());
    }

    #[test]
    fn crlf_and_non_ascii_sources() {
        let source = "edition = \"2023\";\r\nmessage M {\r\n  string s = 1 [default = \"h\u{e9}llo \u{1f600}\"]; // \u{e9}\r\n  reserved ex;\r\n}\r\n";
        let l = lower("u.proto", source).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            field(&l.file, "M", "s").default_value(),
            "h\u{e9}llo \u{1f600}"
        );
        assert_eq!(
            l.lowered_source
                .split('\n')
                .map(str::len)
                .collect::<Vec<_>>(),
            source.split('\n').map(str::len).collect::<Vec<_>>()
        );
        assert!(l.lowered_source.starts_with("syntax=\"proto3\"; \r\n"));
        assert_eq!(l.file.message_type[0].reserved_name, ["ex"]);
        // Non-ASCII identifiers are not protobuf: the error lands on the original line/column.
        let e = err("u.proto", &source.replace("ex;", "\u{e9}x;"));
        assert_eq!(e, "u.proto:4:12: invalid token");
        let bad = "edition = \"2023\";\r\nmessage M {\r\n  string s = 1 [default = \"\u{e9}\"] x;\r\n}\r\n";
        let e = err("u.proto", bad);
        assert!(e.starts_with("u.proto:3:33: "), "{e}");
    }

    #[test]
    fn errors_have_the_protox_debug_shape() {
        let e = lower(
            "dir/f.proto",
            "edition = \"2023\";\nmessage M { int32 a = 1 [features.field_presence = NOPE]; }\n",
        )
        .unwrap_err();
        let debug = format!("{e:?}");
        assert!(debug.starts_with("dir/f.proto:2:26: Enum type"), "{debug}");
        assert!(e.to_string().starts_with("Enum type"));
        // Through the compiler, the same error comes out of the resolver.
        let e = compile(&[("f.proto", "edition = \"2025\";\n")], &["f.proto"]).unwrap_err();
        assert!(format!("{e:?}").starts_with("f.proto:1:11: unsupported edition \"2025\""));
    }

    #[test]
    fn error_location_recovers_what_protox_hides() {
        use miette::Diagnostic as _;
        let source = "edition = \"2023\";\nmessage M {\n  int32 a = 1 [features.field_presence = NOPE];\n}\n";
        let e = lower("dir/f.proto", source).unwrap_err();
        // protox::Error::new hides the diagnostic of a custom error ...
        assert!(e.file().is_none() && e.labels().is_none());
        // ... so the location comes from here.
        let at = error_location(&e).unwrap();
        assert_eq!(
            (at.file.as_str(), at.line, at.column),
            ("dir/f.proto", 3, 16)
        );
        assert_eq!(&source[at.span.clone()], "features.field_presence = NOPE");
        assert_eq!(
            at.help.as_deref(),
            Some("valid values: EXPLICIT, IMPLICIT, LEGACY_REQUIRED")
        );
        assert_eq!(at.to_string(), "dir/f.proto:3:16");
        // Also after going through protox's compiler.
        let e = compile(&[("f.proto", source)], &["f.proto"]).unwrap_err();
        assert_eq!(error_location(&e).unwrap().line, 3);
        // Syntax errors are protox-parse's own: located the usual way.
        let e = lower("g.proto", "edition = \"2023\";\nmessage {}\n").unwrap_err();
        assert!(error_location(&e).is_none());
        assert_eq!(e.file(), Some("g.proto"));
        let offset = e.labels().unwrap().next().unwrap().offset();
        assert_eq!(offset, "edition = \"2023\";\nmessage ".len());
    }
}
