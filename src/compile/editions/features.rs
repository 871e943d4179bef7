//! The feature catalogue: every edition feature protosync knows, where it may be set, its
//! values and defaults, and the language feature files (`pb.cpp`, `pb.java`, `pb.go`).

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
pub(super) enum Target {
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
    pub(super) fn protoc_name(self) -> &'static str {
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

    pub(super) fn full_name(self) -> &'static str {
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

    pub(super) fn enum_full_name(self) -> &'static str {
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

    pub(super) fn targets(self) -> &'static [Target] {
        match self {
            Feature::EnumType => &[Target::Enum, Target::File],
            Feature::JsonFormat => &[Target::Message, Target::Enum, Target::File],
            _ => &[Target::Field, Target::File],
        }
    }

    /// Field numbers inside `google.protobuf.FeatureSet` (extension number first for language features).
    pub(super) fn number_path(self) -> &'static [i32] {
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

    pub(super) fn from_core(name: &str) -> Option<Feature> {
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

    pub(super) fn from_language(extension: &str, name: &str) -> Option<Feature> {
        match (extension, name) {
            ("pb.cpp", "string_type") => Some(Feature::CppStringType),
            ("pb.java", "utf8_validation") => Some(Feature::JavaUtf8Validation),
            _ => None,
        }
    }
}

/// The language feature files protoc ships, none of which protox 0.10 bundles.
pub(super) struct LanguageFeatures {
    pub(super) extension: &'static str,
    pub(super) file: &'static str,
    pub(super) number: i32,
    pub(super) message: &'static str,
}

pub(super) const LANGUAGE_FEATURES: [LanguageFeatures; 3] = [
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
pub(super) const LATER_CORE_FEATURES: &[&str] =
    &["enforce_naming_style", "default_symbol_visibility"];

/// The core features edition 2024 introduced: name, enum type, the values they may take.
pub(super) type CoreFeature = (&'static str, &'static str, &'static [&'static str]);
pub(super) const CORE_FEATURES_2024: &[CoreFeature] = &[
    (
        "enforce_naming_style",
        "google.protobuf.FeatureSet.EnforceNamingStyle",
        &["STYLE2024", "STYLE_LEGACY"],
    ),
    (
        "default_symbol_visibility",
        "google.protobuf.FeatureSet.VisibilityFeature.DefaultSymbolVisibility",
        &["EXPORT_ALL", "EXPORT_TOP_LEVEL", "LOCAL_ALL", "STRICT"],
    ),
];
