//! The schema the rules read: files, messages, fields, enums, services and extensions with
//! their *resolved* semantics (presence, enum openness, encodings, UTF-8 validation, JSON
//! format, language options) and the descriptor paths that locate them in source.
//!
//! Built once per side from a compiled pool (`build`). The rules never touch prost-reflect,
//! so proto2, proto3 and editions files (lowered by the editions front-end) look alike here.

mod build;
pub mod spans;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use build::{build, build_incremental};
pub use spans::{Span, SpanSource};

/// A 0-based `[start_line, start_col, end_line, end_col]` span as source info gives it.
pub type RawSpan = [i32; 4];

/// The span of a feature setting whose position is unknown (an image without source info, or a
/// location the source info lacks): the model treats it as no span, so findings fall back to the
/// element's location (or to none).
pub const UNLOCATED: RawSpan = [0, 0, 0, 0];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syntax {
    Proto2,
    Proto3,
    Editions(String),
}

impl Syntax {
    /// The name the rules print: proto2, proto3 or editions.
    pub fn name(&self) -> &str {
        match self {
            Syntax::Proto2 => "proto2",
            Syntax::Proto3 => "proto3",
            Syntax::Editions(_) => "editions",
        }
    }
}

/// Field kinds as the wire sees them (a delimited message is a group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Double,
    Float,
    Int64,
    Uint64,
    Int32,
    Fixed64,
    Fixed32,
    Bool,
    String,
    Group,
    Message,
    Bytes,
    Uint32,
    Enum,
    Sfixed32,
    Sfixed64,
    Sint32,
    Sint64,
}

impl Kind {
    pub fn from_type(t: i32) -> Kind {
        match t {
            1 => Kind::Double,
            2 => Kind::Float,
            3 => Kind::Int64,
            4 => Kind::Uint64,
            5 => Kind::Int32,
            6 => Kind::Fixed64,
            7 => Kind::Fixed32,
            8 => Kind::Bool,
            9 => Kind::String,
            10 => Kind::Group,
            11 => Kind::Message,
            12 => Kind::Bytes,
            13 => Kind::Uint32,
            14 => Kind::Enum,
            15 => Kind::Sfixed32,
            16 => Kind::Sfixed64,
            17 => Kind::Sint32,
            _ => Kind::Sint64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Double => "double",
            Kind::Float => "float",
            Kind::Int64 => "int64",
            Kind::Uint64 => "uint64",
            Kind::Int32 => "int32",
            Kind::Fixed64 => "fixed64",
            Kind::Fixed32 => "fixed32",
            Kind::Bool => "bool",
            Kind::String => "string",
            Kind::Group => "group",
            Kind::Message => "message",
            Kind::Bytes => "bytes",
            Kind::Uint32 => "uint32",
            Kind::Enum => "enum",
            Kind::Sfixed32 => "sfixed32",
            Kind::Sfixed64 => "sfixed64",
            Kind::Sint32 => "sint32",
            Kind::Sint64 => "sint64",
        }
    }

    pub fn is_message_like(self) -> bool {
        matches!(self, Kind::Message | Kind::Group)
    }

    pub fn is_string_or_bytes(self) -> bool {
        matches!(self, Kind::String | Kind::Bytes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cardinality {
    OptionalExplicit,
    OptionalImplicit,
    Required,
    Repeated,
    Map,
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cardinality::OptionalExplicit => "optional with explicit presence",
            Cardinality::OptionalImplicit => "optional with implicit presence",
            Cardinality::Required => "required",
            Cardinality::Repeated => "repeated",
            Cardinality::Map => "map",
        })
    }
}

/// The C++ string representation of a string/bytes field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CppString {
    String,
    Cord,
    View,
    /// Legacy `ctype = STRING_PIECE`.
    StringPiece,
}

impl CppString {
    pub fn name(self) -> &'static str {
        match self {
            CppString::String => "STRING",
            CppString::Cord => "CORD",
            CppString::View => "VIEW",
            CppString::StringPiece => "STRING_PIECE",
        }
    }
}

/// A field default value, kept in a form that compares across numeric types.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Text(Vec<u8>, bool),
    Bool(bool),
    I64(i64),
    U64(u64),
    F32(f32),
    F64(f64),
    Enum(i32, String),
}

/// Resolved, file-level options read by the FILE_SAME_* rules (defaults applied).
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// (option field number in FileOptions, printable value) for every compared option.
    pub values: HashMap<i32, String>,
}

#[derive(Debug, Clone)]
pub struct File {
    pub path: String,
    pub package: String,
    pub syntax: Syntax,
    pub options: FileOptions,
    pub messages: Vec<Message>,
    pub enums: Vec<Enum>,
    pub services: Vec<Service>,
    /// Extensions declared in the file, at top level or nested in messages.
    pub extensions: Vec<Field>,
    pub spans: SpanSource,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub full_name: String,
    /// Name relative to the package, e.g. `Outer.Inner`.
    pub nested_name: String,
    pub name: String,
    pub path: Vec<i32>,
    pub fields: Vec<Field>,
    pub oneofs: Vec<Oneof>,
    /// Inclusive ranges.
    pub reserved_ranges: Vec<(i64, i64)>,
    pub reserved_names: Vec<String>,
    pub extension_ranges: Vec<(i64, i64)>,
    pub is_map_entry: bool,
    pub message_set_wire_format: bool,
    pub no_standard_descriptor_accessor: bool,
    pub json_allow: bool,
    /// Span of an explicit `features.json_format` on this message.
    pub json_format_span: Option<RawSpan>,
}

#[derive(Debug, Clone)]
pub struct Oneof {
    pub name: String,
    pub synthetic: bool,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// `pkg.Msg.name` for fields, `pkg.name` or `pkg.Msg.name` for extensions.
    pub full_name: String,
    /// For extensions: the name relative to the package (`ext` or `Msg.ext`).
    pub nested_name: String,
    pub number: i32,
    pub path: Vec<i32>,
    /// Extended message, without the leading dot; `None` for ordinary fields.
    pub extendee: Option<String>,
    /// Short name of the containing message (ordinary fields).
    pub message_name: String,
    pub kind: Kind,
    /// The descriptor's declared type (group stays group, delimited messages stay message).
    pub declared_type: Kind,
    /// Referenced message or enum, without the leading dot.
    pub type_name: String,
    /// Name of the containing real (non-synthetic) oneof.
    pub oneof: Option<String>,
    pub json_name: String,
    pub json_name_explicit: bool,
    pub cardinality: Cardinality,
    pub in_map_entry: bool,
    pub jstype: String,
    pub cpp_string: CppString,
    pub has_ctype: bool,
    pub cpp_string_span: Option<RawSpan>,
    pub java_utf8_verify: bool,
    pub java_utf8_span: Option<RawSpan>,
    pub utf8_verify: bool,
    pub utf8_span: Option<RawSpan>,
    pub default: Option<DefaultValue>,
    pub can_have_default: bool,
}

#[derive(Debug, Clone)]
pub struct Enum {
    pub full_name: String,
    pub nested_name: String,
    pub name: String,
    pub path: Vec<i32>,
    pub values: Vec<EnumValue>,
    pub reserved_ranges: Vec<(i64, i64)>,
    pub reserved_names: Vec<String>,
    pub closed: bool,
    pub enum_type_span: Option<RawSpan>,
    pub json_allow: bool,
    pub json_format_span: Option<RawSpan>,
}

#[derive(Debug, Clone)]
pub struct EnumValue {
    pub name: String,
    pub number: i32,
    pub path: Vec<i32>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub full_name: String,
    pub name: String,
    pub path: Vec<i32>,
    pub methods: Vec<Method>,
}

#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    pub path: Vec<i32>,
    pub input: String,
    pub output: String,
    pub client_streaming: bool,
    pub server_streaming: bool,
    pub idempotency: String,
}

/// An enum as seen by a field that references it, from any file of the pool (imports too).
#[derive(Debug, Clone)]
pub struct EnumShape {
    pub name: String,
    /// (number, name) pairs.
    pub values: Vec<(i32, String)>,
}

/// One side of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Target files, sorted by path. Shared: a file that did not change between the two sides
    /// (nor did anything it imports) is the same model on both.
    pub files: Vec<Arc<File>>,
    /// Every enum of the pool by full name, for wire-compatibility checks of enum fields.
    pub enum_shapes: HashMap<String, EnumShape>,
}

impl Schema {
    pub fn file(&self, path: &str) -> Option<&File> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &*self.files[i])
    }

    pub fn file_index(&self, path: &str) -> Option<usize> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
    }
}
