//! The change vocabulary: what `diff` reports about one element, and how much it matters.
//!
//! Data only (docs/DIFF.md lists every kind and why it has the impact it has); the walk
//! (`walk`) produces changes, the findings of the breaking engine decide which are breaking,
//! and printers (`report::diff`) show them.

use std::fmt;

use crate::breaking::RuleId;
use crate::model::Span;

/// How much a change matters to the callers of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    /// A rule of the configured categories fires on it.
    Breaking,
    /// It changes the schema (generated code, descriptors, what peers may send) without
    /// breaking anything the configured categories protect.
    Compatible,
    /// Comments and formatting: nothing but the text changed.
    Cosmetic,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::Breaking => "breaking",
            Impact::Compatible => "compatible",
            Impact::Cosmetic => "cosmetic",
        }
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! kinds {
    ($($id:ident => $name:literal, $impact:ident;)*) => {
        /// Every kind of change `diff` reports (`change` in JSON).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $($id),* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$id),*];

            /// The name printed, e.g. `field_type_changed`.
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$id => $name),* }
            }

            /// The impact when no configured rule fires on the change.
            pub fn base_impact(self) -> Impact {
                match self { $(Kind::$id => Impact::$impact),* }
            }
        }
    };
}

kinds! {
    FileAdded => "file_added", Compatible;
    FileDeleted => "file_deleted", Compatible;
    FileRenamed => "file_renamed", Compatible;
    FilePackageChanged => "file_package_changed", Compatible;
    FileSyntaxChanged => "file_syntax_changed", Compatible;
    FileOptionChanged => "file_option_changed", Compatible;
    ImportAdded => "import_added", Compatible;
    ImportDeleted => "import_deleted", Compatible;
    PackageAdded => "package_added", Compatible;
    PackageDeleted => "package_deleted", Compatible;
    MessageAdded => "message_added", Compatible;
    MessageDeleted => "message_deleted", Compatible;
    MessageRenamed => "message_renamed", Compatible;
    MessageMoved => "message_moved", Compatible;
    MessageOptionChanged => "message_option_changed", Compatible;
    ReservedAdded => "reserved_added", Compatible;
    ReservedDeleted => "reserved_deleted", Compatible;
    ExtensionRangeChanged => "extension_range_changed", Compatible;
    OneofAdded => "oneof_added", Compatible;
    OneofDeleted => "oneof_deleted", Compatible;
    FieldAdded => "field_added", Compatible;
    FieldDeleted => "field_deleted", Compatible;
    FieldRenamed => "field_renamed", Compatible;
    FieldRenumbered => "field_renumbered", Compatible;
    FieldTypeChanged => "field_type_changed", Compatible;
    FieldCardinalityChanged => "field_cardinality_changed", Compatible;
    FieldJsonNameChanged => "field_json_name_changed", Compatible;
    FieldDefaultChanged => "field_default_changed", Compatible;
    FieldOneofChanged => "field_oneof_changed", Compatible;
    FieldOptionChanged => "field_option_changed", Compatible;
    ExtensionAdded => "extension_added", Compatible;
    ExtensionDeleted => "extension_deleted", Compatible;
    EnumAdded => "enum_added", Compatible;
    EnumDeleted => "enum_deleted", Compatible;
    EnumRenamed => "enum_renamed", Compatible;
    EnumMoved => "enum_moved", Compatible;
    EnumTypeChanged => "enum_type_changed", Compatible;
    EnumOptionChanged => "enum_option_changed", Compatible;
    EnumValueAdded => "enum_value_added", Compatible;
    EnumValueDeleted => "enum_value_deleted", Compatible;
    EnumValueRenamed => "enum_value_renamed", Compatible;
    ServiceAdded => "service_added", Compatible;
    ServiceDeleted => "service_deleted", Compatible;
    ServiceRenamed => "service_renamed", Compatible;
    ServiceMoved => "service_moved", Compatible;
    RpcAdded => "rpc_added", Compatible;
    RpcDeleted => "rpc_deleted", Compatible;
    RpcRequestChanged => "rpc_request_changed", Compatible;
    RpcResponseChanged => "rpc_response_changed", Compatible;
    RpcStreamingChanged => "rpc_streaming_changed", Compatible;
    RpcOptionChanged => "rpc_option_changed", Compatible;
    OptionChanged => "option_changed", Compatible;
    CommentChanged => "comment_changed", Cosmetic;
    Formatting => "formatting", Cosmetic;
    // A breaking finding that no other change accounts for (kept so nothing breaking is lost).
    Changed => "changed", Compatible;
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One semantic change between the two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    /// Full name of the element (the file path for file changes, the package for package
    /// changes); for renames and moves, the new name.
    pub element: String,
    /// The file the change points into: the current file, or the previous one for an element
    /// that no longer exists.
    pub path: Option<String>,
    pub span: Option<Span>,
    pub impact: Impact,
    /// The breaking rules that fire on it (configured categories), sorted.
    pub rules: Vec<RuleId>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The package the element belongs to (for the package-version advice).
    pub package: String,
    /// Other names breaking findings may give the element (a renumbered field's old name).
    pub aliases: Vec<String>,
}

impl Change {
    pub fn new(kind: Kind, element: impl Into<String>) -> Change {
        Change {
            kind,
            element: element.into(),
            path: None,
            span: None,
            impact: kind.base_impact(),
            rules: Vec::new(),
            from: None,
            to: None,
            package: String::new(),
            aliases: Vec::new(),
        }
    }

    pub fn from_to(mut self, from: impl Into<String>, to: impl Into<String>) -> Change {
        self.from = Some(from.into());
        self.to = Some(to.into());
        self
    }

    pub fn from(mut self, from: impl Into<String>) -> Change {
        self.from = Some(from.into());
        self
    }

    pub fn to(mut self, to: impl Into<String>) -> Change {
        self.to = Some(to.into());
        self
    }
}

/// The change kinds a breaking rule's finding belongs to, most likely first. A finding is
/// attached to the first change of one of these kinds on its element (or an element inside
/// it); `Changed` is made for a finding no change accounts for.
pub fn kinds_of(rule: RuleId) -> &'static [Kind] {
    use Kind as K;
    use RuleId as R;
    match rule {
        R::FILE_NO_DELETE => &[K::FileDeleted, K::FileRenamed],
        R::FILE_SAME_PACKAGE => &[K::FilePackageChanged],
        R::FILE_SAME_SYNTAX => &[K::FileSyntaxChanged],
        R::PACKAGE_NO_DELETE => &[K::PackageDeleted],
        // A map entry is deleted or renamed with its map field.
        R::MESSAGE_NO_DELETE | R::PACKAGE_MESSAGE_NO_DELETE => &[
            K::MessageDeleted,
            K::MessageRenamed,
            K::MessageMoved,
            K::FieldDeleted,
            K::FieldRenamed,
            K::FieldRenumbered,
        ],
        R::ENUM_NO_DELETE | R::PACKAGE_ENUM_NO_DELETE => {
            &[K::EnumDeleted, K::EnumRenamed, K::EnumMoved]
        }
        R::SERVICE_NO_DELETE | R::PACKAGE_SERVICE_NO_DELETE => {
            &[K::ServiceDeleted, K::ServiceRenamed, K::ServiceMoved]
        }
        R::EXTENSION_NO_DELETE | R::PACKAGE_EXTENSION_NO_DELETE => &[K::ExtensionDeleted],
        R::MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR
        | R::MESSAGE_SAME_JSON_FORMAT
        | R::MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT => &[K::MessageOptionChanged],
        R::MESSAGE_SAME_REQUIRED_FIELDS => &[
            K::FieldAdded,
            K::FieldDeleted,
            K::FieldCardinalityChanged,
            K::FieldRenumbered,
        ],
        R::RESERVED_MESSAGE_NO_DELETE | R::RESERVED_ENUM_NO_DELETE => &[K::ReservedDeleted],
        R::EXTENSION_MESSAGE_NO_DELETE => &[K::ExtensionRangeChanged],
        R::ONEOF_NO_DELETE => &[K::OneofDeleted],
        R::FIELD_NO_DELETE
        | R::FIELD_NO_DELETE_UNLESS_NAME_RESERVED
        | R::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED => &[K::FieldDeleted, K::FieldRenumbered],
        R::FIELD_SAME_CARDINALITY
        | R::FIELD_SAME_LABEL
        | R::FIELD_WIRE_COMPATIBLE_CARDINALITY
        | R::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY => &[K::FieldCardinalityChanged],
        // Renaming a map field renames its entry type.
        R::FIELD_SAME_TYPE | R::FIELD_WIRE_COMPATIBLE_TYPE | R::FIELD_WIRE_JSON_COMPATIBLE_TYPE => {
            &[K::FieldTypeChanged, K::FieldRenamed]
        }
        R::FIELD_SAME_NAME => &[K::FieldRenamed],
        R::FIELD_SAME_JSON_NAME => &[K::FieldJsonNameChanged, K::FieldRenamed],
        R::FIELD_SAME_DEFAULT => &[K::FieldDefaultChanged],
        R::FIELD_SAME_ONEOF => &[K::FieldOneofChanged],
        R::FIELD_SAME_CPP_STRING_TYPE
        | R::FIELD_SAME_CTYPE
        | R::FIELD_SAME_JAVA_UTF8_VALIDATION
        | R::FIELD_SAME_JSTYPE
        | R::FIELD_SAME_UTF8_VALIDATION => &[K::FieldOptionChanged, K::FileOptionChanged],
        R::ENUM_SAME_TYPE => &[K::EnumTypeChanged],
        R::ENUM_SAME_JSON_FORMAT => &[K::EnumOptionChanged],
        R::ENUM_VALUE_NO_DELETE
        | R::ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED
        | R::ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED => &[K::EnumValueDeleted],
        R::ENUM_VALUE_SAME_NAME => &[K::EnumValueRenamed],
        R::RPC_NO_DELETE => &[K::RpcDeleted],
        R::RPC_SAME_REQUEST_TYPE => &[K::RpcRequestChanged],
        R::RPC_SAME_RESPONSE_TYPE => &[K::RpcResponseChanged],
        R::RPC_SAME_CLIENT_STREAMING | R::RPC_SAME_SERVER_STREAMING => &[K::RpcStreamingChanged],
        R::RPC_SAME_IDEMPOTENCY_LEVEL => &[K::RpcOptionChanged],
        // The FILE_SAME_<option> rules.
        _ => &[K::FileOptionChanged],
    }
}
