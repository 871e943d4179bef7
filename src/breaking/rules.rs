//! The rule registry: every breaking rule id, its categories in each configuration version, its
//! deprecation, and one sentence of why it breaks callers.
//!
//! This table is the single source of truth: `protosync rules`, `docs/rules.md` and the
//! configuration resolver all read it. It holds data only; the checks live beside it, one file
//! per element kind, and never read this table or the configuration themselves.

use std::fmt;

/// A configuration version, as in `buf.yaml` (`version: v1beta1|v1|v2`). `protosync.toml` uses v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    V1Beta1,
    V1,
    V2,
}

impl Version {
    pub const ALL: [Version; 3] = [Version::V1Beta1, Version::V1, Version::V2];

    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "v1beta1" => Some(Version::V1Beta1),
            "v1" => Some(Version::V1),
            "v2" => Some(Version::V2),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1Beta1 => "v1beta1",
            Version::V1 => "v1",
            Version::V2 => "v2",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule category. Categories are sets of rules; they are not strict supersets of each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    File,
    Package,
    WireJson,
    Wire,
    /// Confluent Schema Registry compatibility; exists in v2 only.
    Csr,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::File,
        Category::Package,
        Category::WireJson,
        Category::Wire,
        Category::Csr,
    ];

    const fn bit(self) -> u8 {
        match self {
            Category::File => F,
            Category::Package => P,
            Category::WireJson => WJ,
            Category::Wire => W,
            Category::Csr => C,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Category::File => "FILE",
            Category::Package => "PACKAGE",
            Category::WireJson => "WIRE_JSON",
            Category::Wire => "WIRE",
            Category::Csr => "CSR",
        }
    }

    pub fn parse(id: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.id() == id)
    }

    /// Whether the category exists in a configuration version.
    pub fn exists_in(self, version: Version) -> bool {
        self != Category::Csr || version == Version::V2
    }

    pub fn summary(self) -> &'static str {
        match self {
            Category::File => "Generated code keeps compiling, file by file: the strictest set, and the default.",
            Category::Package => "Generated code keeps compiling, package by package: types may move between files of a package.",
            Category::WireJson => "The binary wire format and the JSON encoding stay compatible.",
            Category::Wire => "The binary wire format stays compatible.",
            Category::Csr => "Compatibility as the Confluent Schema Registry judges it (v2 only).",
        }
    }
}

const F: u8 = 1;
const P: u8 = 2;
const WJ: u8 = 4;
const W: u8 = 8;
const C: u8 = 16;

/// What a rule is in one configuration version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The id does not exist in this version.
    Absent,
    /// An active rule and the categories (bit set) it belongs to.
    Active(u8),
    /// A deprecated id: configuring it enables these replacement rules instead (none: a no-op).
    Deprecated(&'static [RuleId]),
}

impl Status {
    pub fn categories(self) -> Vec<Category> {
        match self {
            Status::Active(bits) => Category::ALL
                .into_iter()
                .filter(|c| bits & c.bit() != 0)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn in_category(self, category: Category) -> bool {
        matches!(self, Status::Active(bits) if bits & category.bit() != 0)
    }
}

/// One row of the registry.
#[derive(Debug)]
pub struct Rule {
    pub id: RuleId,
    pub v1beta1: Status,
    pub v1: Status,
    pub v2: Status,
    /// Why a change this rule flags breaks callers; one sentence.
    pub why: &'static str,
}

impl Rule {
    pub fn status(&self, version: Version) -> Status {
        match version {
            Version::V1Beta1 => self.v1beta1,
            Version::V1 => self.v1,
            Version::V2 => self.v2,
        }
    }

    /// Default rules are exactly the FILE category in every version.
    pub fn is_default(&self, version: Version) -> bool {
        self.status(version).in_category(Category::File)
    }
}

macro_rules! rule_ids {
    ($($id:ident),* $(,)?) => {
        /// Every breaking rule id of every configuration version.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId { $($id),* }

        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$id),*];

            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$id => stringify!($id)),* }
            }
        }
    };
}

rule_ids!(
    ENUM_NO_DELETE,
    ENUM_SAME_JSON_FORMAT,
    ENUM_SAME_TYPE,
    ENUM_VALUE_NO_DELETE,
    ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED,
    ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED,
    ENUM_VALUE_SAME_NAME,
    EXTENSION_MESSAGE_NO_DELETE,
    EXTENSION_NO_DELETE,
    FIELD_NO_DELETE,
    FIELD_NO_DELETE_UNLESS_NAME_RESERVED,
    FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED,
    FIELD_SAME_CARDINALITY,
    FIELD_SAME_CPP_STRING_TYPE,
    FIELD_SAME_CTYPE,
    FIELD_SAME_DEFAULT,
    FIELD_SAME_JAVA_UTF8_VALIDATION,
    FIELD_SAME_JSON_NAME,
    FIELD_SAME_JSTYPE,
    FIELD_SAME_LABEL,
    FIELD_SAME_NAME,
    FIELD_SAME_ONEOF,
    FIELD_SAME_TYPE,
    FIELD_SAME_UTF8_VALIDATION,
    FIELD_WIRE_COMPATIBLE_CARDINALITY,
    FIELD_WIRE_COMPATIBLE_TYPE,
    FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY,
    FIELD_WIRE_JSON_COMPATIBLE_TYPE,
    FILE_NO_DELETE,
    FILE_SAME_CC_ENABLE_ARENAS,
    FILE_SAME_CC_GENERIC_SERVICES,
    FILE_SAME_CSHARP_NAMESPACE,
    FILE_SAME_GO_PACKAGE,
    FILE_SAME_JAVA_GENERIC_SERVICES,
    FILE_SAME_JAVA_MULTIPLE_FILES,
    FILE_SAME_JAVA_OUTER_CLASSNAME,
    FILE_SAME_JAVA_PACKAGE,
    FILE_SAME_JAVA_STRING_CHECK_UTF8,
    FILE_SAME_OBJC_CLASS_PREFIX,
    FILE_SAME_OPTIMIZE_FOR,
    FILE_SAME_PACKAGE,
    FILE_SAME_PHP_CLASS_PREFIX,
    FILE_SAME_PHP_GENERIC_SERVICES,
    FILE_SAME_PHP_METADATA_NAMESPACE,
    FILE_SAME_PHP_NAMESPACE,
    FILE_SAME_PY_GENERIC_SERVICES,
    FILE_SAME_RUBY_PACKAGE,
    FILE_SAME_SWIFT_PREFIX,
    FILE_SAME_SYNTAX,
    MESSAGE_NO_DELETE,
    MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR,
    MESSAGE_SAME_JSON_FORMAT,
    MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT,
    MESSAGE_SAME_REQUIRED_FIELDS,
    ONEOF_NO_DELETE,
    PACKAGE_ENUM_NO_DELETE,
    PACKAGE_EXTENSION_NO_DELETE,
    PACKAGE_MESSAGE_NO_DELETE,
    PACKAGE_NO_DELETE,
    PACKAGE_SERVICE_NO_DELETE,
    RESERVED_ENUM_NO_DELETE,
    RESERVED_MESSAGE_NO_DELETE,
    RPC_NO_DELETE,
    RPC_SAME_CLIENT_STREAMING,
    RPC_SAME_IDEMPOTENCY_LEVEL,
    RPC_SAME_REQUEST_TYPE,
    RPC_SAME_RESPONSE_TYPE,
    RPC_SAME_SERVER_STREAMING,
    SERVICE_NO_DELETE,
);

impl RuleId {
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.as_str() == id)
    }

    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

use RuleId as R;
use Status::{Absent as NONE, Active as A, Deprecated as DEP};

/// The registry, in `RuleId` order (checked by a test).
pub static RULES: &[Rule] = &[
    Rule { id: R::ENUM_NO_DELETE, v1beta1: A(F), v1: A(F), v2: A(F | C),
        why: "Generated code that names the enum stops compiling when a file no longer declares it." },
    Rule { id: R::ENUM_SAME_JSON_FORMAT, v1beta1: A(F | P | WJ), v1: A(F | P | WJ), v2: A(F | P | WJ | C),
        why: "An enum that stops supporting the JSON mapping can no longer be read or written as JSON by existing clients." },
    Rule { id: R::ENUM_SAME_TYPE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Switching an enum between open and closed changes how unknown values are kept or dropped, and the generated code." },
    Rule { id: R::ENUM_VALUE_NO_DELETE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P | C),
        why: "Code that uses the value stops compiling, and peers still sending the number get an unknown value." },
    Rule { id: R::ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED, v1beta1: A(WJ), v1: A(WJ), v2: A(WJ | C),
        why: "JSON peers still send the value's name; unless the name is reserved it can be reused with another meaning." },
    Rule { id: R::ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED, v1beta1: A(WJ | W), v1: A(WJ | W), v2: A(WJ | W | C),
        why: "Binary peers still send the number; unless it is reserved it can be reused with another meaning." },
    Rule { id: R::ENUM_VALUE_SAME_NAME, v1beta1: A(F | P | WJ), v1: A(F | P | WJ), v2: A(F | P | WJ | C),
        why: "Renaming an enum value breaks generated code and the JSON encoding, which carries the name." },
    Rule { id: R::EXTENSION_MESSAGE_NO_DELETE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P | C),
        why: "Extensions declared elsewhere in the removed numbers no longer compile or parse." },
    Rule { id: R::EXTENSION_NO_DELETE, v1beta1: NONE, v1: NONE, v2: A(F),
        why: "Code that reads or sets the extension stops compiling when its file no longer declares it." },
    Rule { id: R::FIELD_NO_DELETE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P | C),
        why: "Code that reads or sets the field stops compiling, and its number may be reused with another type." },
    Rule { id: R::FIELD_NO_DELETE_UNLESS_NAME_RESERVED, v1beta1: A(WJ), v1: A(WJ), v2: A(WJ | C),
        why: "JSON peers still send the field's name; unless the name is reserved a new field can take it." },
    Rule { id: R::FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED, v1beta1: A(WJ | W), v1: A(WJ | W), v2: A(WJ | W | C),
        why: "Binary peers still send the number; unless it is reserved a new field can reuse it with another type." },
    Rule { id: R::FIELD_SAME_CARDINALITY, v1beta1: A(F | P | WJ | W), v1: A(F | P), v2: A(F | P),
        why: "Changing between optional, required, repeated and map changes the generated API and the presence semantics." },
    Rule { id: R::FIELD_SAME_CPP_STRING_TYPE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "The C++ accessors of the field change type (string, cord, view), breaking C++ callers." },
    Rule { id: R::FIELD_SAME_CTYPE, v1beta1: DEP(&[R::FIELD_SAME_CPP_STRING_TYPE]), v1: DEP(&[R::FIELD_SAME_CPP_STRING_TYPE]), v2: NONE,
        why: "Deprecated: configuring it enables FIELD_SAME_CPP_STRING_TYPE." },
    Rule { id: R::FIELD_SAME_DEFAULT, v1beta1: NONE, v1: NONE, v2: A(F | P | WJ | W | C),
        why: "Readers that see an unset field get a different value than the writer meant." },
    Rule { id: R::FIELD_SAME_JAVA_UTF8_VALIDATION, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Java code starts or stops rejecting invalid UTF-8 in the field, so messages that parsed before may fail." },
    Rule { id: R::FIELD_SAME_JSON_NAME, v1beta1: A(F | P | WJ), v1: A(F | P | WJ), v2: A(F | P | WJ | C),
        why: "JSON peers use the json_name as the key, so the field's JSON key changes." },
    Rule { id: R::FIELD_SAME_JSTYPE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "JavaScript code sees the 64-bit field as a different type (number or string)." },
    Rule { id: R::FIELD_SAME_LABEL, v1beta1: DEP(&[R::FIELD_SAME_CARDINALITY, R::FIELD_WIRE_COMPATIBLE_CARDINALITY, R::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY]),
        v1: DEP(&[R::FIELD_SAME_CARDINALITY, R::FIELD_WIRE_COMPATIBLE_CARDINALITY, R::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY]), v2: NONE,
        why: "Deprecated: configuring it enables the cardinality rules." },
    Rule { id: R::FIELD_SAME_NAME, v1beta1: A(F | P | WJ), v1: A(F | P | WJ), v2: A(F | P | WJ | C),
        why: "Renaming a field breaks generated code and the JSON and text encodings, which carry the name." },
    Rule { id: R::FIELD_SAME_ONEOF, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Moving a field into, out of or between oneofs changes which fields clear each other on the wire and in code." },
    Rule { id: R::FIELD_SAME_TYPE, v1beta1: A(F | P | WJ | W), v1: A(F | P), v2: A(F | P | C),
        why: "A field that changes type breaks generated code and usually the wire encoding." },
    Rule { id: R::FIELD_SAME_UTF8_VALIDATION, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Parsers start or stop rejecting invalid UTF-8 in the string field, so messages that parsed before may fail." },
    Rule { id: R::FIELD_WIRE_COMPATIBLE_CARDINALITY, v1beta1: A(W), v1: A(W), v2: A(W),
        why: "Optional, required and repeated fields are encoded differently; old and new peers misread each other." },
    Rule { id: R::FIELD_WIRE_COMPATIBLE_TYPE, v1beta1: NONE, v1: A(W), v2: A(W),
        why: "The new type has another wire encoding, so old and new peers misread the field." },
    Rule { id: R::FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY, v1beta1: A(WJ), v1: A(WJ), v2: A(WJ | C),
        why: "The field's binary or JSON shape changes (repeated and map differ in JSON), so peers misread it." },
    Rule { id: R::FIELD_WIRE_JSON_COMPATIBLE_TYPE, v1beta1: NONE, v1: A(WJ), v2: A(WJ | C),
        why: "The new type has another binary or JSON encoding, so old and new peers misread the field." },
    Rule { id: R::FILE_NO_DELETE, v1beta1: A(F), v1: A(F), v2: A(F | C),
        why: "Code that imports the file stops compiling." },
    Rule { id: R::FILE_SAME_CC_ENABLE_ARENAS, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated C++ code changes its arena support, breaking C++ callers that rely on it." },
    Rule { id: R::FILE_SAME_CC_GENERIC_SERVICES, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated C++ service classes appear or disappear." },
    Rule { id: R::FILE_SAME_CSHARP_NAMESPACE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated C# types move to another namespace." },
    Rule { id: R::FILE_SAME_GO_PACKAGE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Go code moves to another import path." },
    Rule { id: R::FILE_SAME_JAVA_GENERIC_SERVICES, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Java service classes appear or disappear." },
    Rule { id: R::FILE_SAME_JAVA_MULTIPLE_FILES, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Java classes move between one outer class and separate files." },
    Rule { id: R::FILE_SAME_JAVA_OUTER_CLASSNAME, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "The generated Java outer class is renamed." },
    Rule { id: R::FILE_SAME_JAVA_PACKAGE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Java classes move to another package." },
    Rule { id: R::FILE_SAME_JAVA_STRING_CHECK_UTF8, v1beta1: DEP(&[R::FIELD_SAME_JAVA_UTF8_VALIDATION]), v1: DEP(&[R::FIELD_SAME_JAVA_UTF8_VALIDATION]), v2: NONE,
        why: "Deprecated: configuring it enables FIELD_SAME_JAVA_UTF8_VALIDATION." },
    Rule { id: R::FILE_SAME_OBJC_CLASS_PREFIX, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Objective-C classes are renamed." },
    Rule { id: R::FILE_SAME_OPTIMIZE_FOR, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated code switches between full, lite and code-size runtimes, which do not mix." },
    Rule { id: R::FILE_SAME_PACKAGE, v1beta1: A(F), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Every type of the file gets a new full name, which breaks code, type URLs and RPC paths." },
    Rule { id: R::FILE_SAME_PHP_CLASS_PREFIX, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated PHP classes are renamed." },
    Rule { id: R::FILE_SAME_PHP_GENERIC_SERVICES, v1beta1: DEP(&[]), v1: DEP(&[]), v2: NONE,
        why: "Deprecated without replacement; never reports." },
    Rule { id: R::FILE_SAME_PHP_METADATA_NAMESPACE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated PHP metadata classes move to another namespace." },
    Rule { id: R::FILE_SAME_PHP_NAMESPACE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated PHP classes move to another namespace." },
    Rule { id: R::FILE_SAME_PY_GENERIC_SERVICES, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Python service classes appear or disappear." },
    Rule { id: R::FILE_SAME_RUBY_PACKAGE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Ruby code moves to another module." },
    Rule { id: R::FILE_SAME_SWIFT_PREFIX, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Generated Swift types are renamed." },
    Rule { id: R::FILE_SAME_SYNTAX, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P | C),
        why: "Changing syntax or edition changes presence, enum and UTF-8 semantics and the generated code." },
    Rule { id: R::MESSAGE_NO_DELETE, v1beta1: A(F), v1: A(F), v2: A(F | C),
        why: "Generated code that names the message stops compiling when a file no longer declares it." },
    Rule { id: R::MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P | C),
        why: "Generated code loses the standard descriptor accessor that callers may use." },
    Rule { id: R::MESSAGE_SAME_JSON_FORMAT, v1beta1: A(F | P | WJ), v1: A(F | P | WJ), v2: A(F | P | WJ | C),
        why: "A message that stops supporting the JSON mapping can no longer be read or written as JSON by existing clients." },
    Rule { id: R::MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT, v1beta1: DEP(&[]), v1: DEP(&[]), v2: DEP(&[]),
        why: "Deprecated without replacement; never reports." },
    Rule { id: R::MESSAGE_SAME_REQUIRED_FIELDS, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Required fields must always be sent: a peer that does not know an added or removed one rejects the message." },
    Rule { id: R::ONEOF_NO_DELETE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P | C),
        why: "Code that uses the oneof's case accessors stops compiling." },
    Rule { id: R::PACKAGE_ENUM_NO_DELETE, v1beta1: A(P), v1: A(P), v2: A(P),
        why: "Code that names the enum stops compiling when no file of its package declares it." },
    Rule { id: R::PACKAGE_EXTENSION_NO_DELETE, v1beta1: NONE, v1: NONE, v2: A(P),
        why: "Code that uses the extension stops compiling when no file of its package declares it." },
    Rule { id: R::PACKAGE_MESSAGE_NO_DELETE, v1beta1: A(P), v1: A(P), v2: A(P),
        why: "Code that names the message stops compiling when no file of its package declares it." },
    Rule { id: R::PACKAGE_NO_DELETE, v1beta1: A(P), v1: A(P), v2: A(P),
        why: "Everything generated for the package disappears." },
    Rule { id: R::PACKAGE_SERVICE_NO_DELETE, v1beta1: A(P), v1: A(P), v2: A(P),
        why: "Clients of the service stop compiling and their calls fail when no file of its package declares it." },
    Rule { id: R::RESERVED_ENUM_NO_DELETE, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Dropping a reservation lets a retired enum number or name be reused with another meaning." },
    Rule { id: R::RESERVED_MESSAGE_NO_DELETE, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Dropping a reservation lets a retired field number or name be reused with another type." },
    Rule { id: R::RPC_NO_DELETE, v1beta1: A(F | P), v1: A(F | P), v2: A(F | P),
        why: "Clients calling the RPC get an unimplemented error, and their code stops compiling." },
    Rule { id: R::RPC_SAME_CLIENT_STREAMING, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Switching between unary and streaming requests breaks every existing call." },
    Rule { id: R::RPC_SAME_IDEMPOTENCY_LEVEL, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Clients and proxies that retry or use GET based on idempotency change behaviour." },
    Rule { id: R::RPC_SAME_REQUEST_TYPE, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Existing clients send a request message the server no longer expects." },
    Rule { id: R::RPC_SAME_RESPONSE_TYPE, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Existing clients receive a response message they cannot read." },
    Rule { id: R::RPC_SAME_SERVER_STREAMING, v1beta1: A(F | P | WJ | W), v1: A(F | P | WJ | W), v2: A(F | P | WJ | W | C),
        why: "Switching between unary and streaming responses breaks every existing call." },
    Rule { id: R::SERVICE_NO_DELETE, v1beta1: A(F), v1: A(F), v2: A(F),
        why: "Clients of the service stop compiling when a file no longer declares it, and their calls fail." },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_rule_id_order_and_complete() {
        assert_eq!(RULES.len(), 69);
        assert_eq!(RuleId::ALL.len(), 69);
        for (i, rule) in RULES.iter().enumerate() {
            assert_eq!(rule.id as usize, i, "{} out of order", rule.id);
        }
    }

    fn counts(version: Version) -> (usize, usize, usize) {
        let present = RULES
            .iter()
            .filter(|r| r.status(version) != Status::Absent)
            .count();
        let deprecated = RULES
            .iter()
            .filter(|r| matches!(r.status(version), Status::Deprecated(_)))
            .count();
        let default = RULES.iter().filter(|r| r.is_default(version)).count();
        (present, deprecated, default)
    }

    #[test]
    fn counts_per_version_match_the_reference_tool() {
        assert_eq!(counts(Version::V1Beta1), (64, 5, 49));
        assert_eq!(counts(Version::V1), (66, 5, 49));
        assert_eq!(counts(Version::V2), (65, 1, 51));
    }

    #[test]
    fn csr_only_in_v2() {
        for rule in RULES {
            assert!(!rule.v1.in_category(Category::Csr));
            assert!(!rule.v1beta1.in_category(Category::Csr));
        }
    }

    #[test]
    fn replacements_exist_in_the_same_version() {
        for rule in RULES {
            for version in Version::ALL {
                if let Status::Deprecated(repl) = rule.status(version) {
                    for r in repl {
                        assert!(matches!(r.rule().status(version), Status::Active(_)));
                    }
                }
            }
        }
    }
}
