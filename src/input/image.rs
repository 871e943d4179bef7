//! Descriptor images: one side of a comparison read from a serialised `FileDescriptorSet`
//! instead of `.proto` sources.
//!
//! Owns reading an image (`binpb`: the binary form `protoc -o` / `buf build -o x.binpb` write,
//! `-` for stdin; `json`: the protobuf JSON mapping `buf build -o x.json` writes), turning its
//! files into a [`Compiled`] exactly like the source compiler would, and the errors for images
//! that cannot be used. It does not compile sources and does not know about rules.
//!
//! * **Format.** buf's images are a superset of `FileDescriptorSet` (an `Image` whose files carry
//!   a `buf_extension`, field 8042); everything that is not a `FileDescriptorSet` field is
//!   ignored, except `buf_extension.is_import`, which is honoured (see targets).
//! * **Targets** (the files whose elements are compared): every file of the image, except files
//!   buf marks as imports and `google/protobuf/*` files that another file of the image imports
//!   (`protoc --include_imports` adds `descriptor.proto`, `timestamp.proto`, `cpp_features.proto`,
//!   …; a directory input never lists them either). Other imported files that `--include_imports`
//!   adds are targets: protoc does not record which files were named on its command line.
//! * **Missing imports.** A `google/protobuf/*.proto` import the image lacks (an image built
//!   without `--include_imports`) is taken from protox's bundled well-known types, or, for the
//!   language feature files protox does not bundle (`cpp_features.proto`, …), an empty stand-in,
//!   for linking only: never a target. Any other missing import is an error that names the
//!   image, the file and the import, and suggests `--include_imports`.
//! * **Editions.** prost-reflect 0.16 refuses `syntax = "editions"` and prost-types 0.14 has no
//!   `edition` / `features` fields, so each editions file is also decoded dynamically, with
//!   protox's bundled `descriptor.proto` (which has `edition`, `FeatureSet` and the `features`
//!   field of every options message) plus `image_features.proto` next to this file (a trimmed
//!   `pb.cpp` / `pb.java` that extends `FeatureSet` with 1000 and 1001). It is then lowered as
//!   the source front-end lowers (`compile::editions::lower`): syntax `proto2`,
//!   `LEGACY_REQUIRED` fields get `LABEL_REQUIRED`, delimited fields stay (or become)
//!   `TYPE_MESSAGE`, features disappear from the options (prost-types drops them), and every
//!   explicitly set feature becomes a [`FeatureSetting`] keyed by element path in
//!   [`Compiled::editions`], so the model resolves features identically for sources and images.
//!   As in the source front-end, features on the synthetic map-entry messages protoc writes
//!   (protoc copies a map field's features onto the entry's key and value) are not recorded.
//! * **Positions.** Source info is kept: the model locates findings with it (`Origin::Info`).
//!   A feature's span is the location protoc records for `options.features.<feature>` (e.g.
//!   element path + `[8, 21, 1]` for a field's `field_presence`), else the enclosing
//!   `options.features` location, else the element's; without source info it is
//!   [`UNLOCATED`], and findings in such files carry no position at all.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, bail, Result};
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, MessageDescriptor, Value};
use protox::file::{File, FileResolver, GoogleFileResolver};

use super::{Format, Spec};
use crate::compile::editions::{Feature, FeatureSetting, SUPPORTED_EDITIONS};
use crate::compile::{Compiled, EditionFile, SourceTree};
use crate::model::{RawSpan, UNLOCATED};

/// Reads the image a `binpb` / `json` spec names. `side` names it in errors ("input", "against").
pub fn load(spec: &Spec, side: &str) -> Result<Compiled> {
    let what = if spec.location == "-" {
        format!("{side} {:?} (stdin)", spec.raw)
    } else {
        format!("{side} {:?}", spec.raw)
    };
    let bytes = if spec.location == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| anyhow!("{what}: cannot read the image from stdin: {e}"))?;
        buf
    } else {
        std::fs::read(&spec.location).map_err(|e| anyhow!("{what}: cannot read the image: {e}"))?
    };
    decode(&bytes, spec.format, &what)
}

/// Decodes an image held in memory; `what` names it in errors.
pub fn decode(bytes: &[u8], format: Format, what: &str) -> Result<Compiled> {
    let entries = match format {
        Format::Json => split_json(bytes),
        _ => split_binary(bytes),
    }
    .map_err(|e| {
        anyhow!(
            "{what}: not a FileDescriptorSet{e}{}",
            text_hint(bytes, format)
        )
    })?;
    if entries.is_empty() {
        bail!(
            "{what}: the image holds no files (an empty FileDescriptorSet){}",
            text_hint(bytes, format)
        );
    }
    let mut files = Vec::with_capacity(entries.len());
    let mut seen = HashSet::new();
    let mut editions = HashMap::new();
    let mut option_imports = HashSet::new();
    for (i, entry) in entries.iter().enumerate() {
        let mut proto = FileDescriptorProto::decode(entry.bytes.as_slice())
            .map_err(|e| anyhow!("{what}: not a FileDescriptorSet (file #{}: {e})", i + 1))?;
        if proto.name().is_empty() {
            bail!("{what}: file #{} of the image has no name", i + 1);
        }
        if !seen.insert(proto.name().to_owned()) {
            bail!("{what}: the image holds {} twice", proto.name());
        }
        if proto.syntax() == "editions" {
            let dynamic = DynamicMessage::decode(decoder().file.clone(), entry.bytes.as_slice())
                .map_err(|e| anyhow!("{what}: {}: cannot decode: {e}", proto.name()))?;
            let lowered = lower(&mut proto, &dynamic)
                .map_err(|e| anyhow!("{what}: {}: {e}", proto.name()))?;
            editions.insert(proto.name().to_owned(), lowered);
            option_imports.extend(option_dependencies(&entry.bytes));
        }
        files.push((proto, entry.is_import));
    }
    for (proto, _) in &mut files {
        // protoc reads an empty syntax as proto2; prost-reflect panics on it.
        if proto.syntax.as_deref() == Some("") {
            proto.syntax = None;
        }
        validate(proto).map_err(|e| anyhow!("{what}: {}: {e}", proto.name()))?;
    }
    link(files, editions, &option_imports, what)
}

/// Edition 2024's `FileDescriptorProto.option_dependency` (15, `import option "…"`), which
/// prost-types 0.14 does not know: such a file is imported too (it is never a target).
fn option_dependencies(file: &[u8]) -> Vec<String> {
    let mut wire = Wire::new(file);
    let mut out = Vec::new();
    while let Some(Ok((number, value))) = wire.next_field() {
        if let (15, WireValue::Bytes(name)) = (number, value) {
            out.extend(std::str::from_utf8(name).ok().map(str::to_owned));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Validation: what prost-reflect assumes of a descriptor (it panics, or does quadratic work,
// on descriptors no compiler writes). Every check here was a panic found by fuzzing
// (tests/fuzz.rs) or a limit protoc applies to sources (`compile::limits`).

fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A dotted name (`a.b.C`), or with `leading_dot`, a fully-qualified one (`.a.b.C`) — what
/// `type_name` and `extendee` hold in a linked descriptor.
fn is_dotted(s: &str, leading_dot: bool) -> bool {
    let s = if leading_dot {
        match s.strip_prefix('.') {
            Some(rest) => rest,
            None => return false,
        }
    } else {
        s
    };
    s.split('.').all(is_identifier)
}

fn validate(file: &FileDescriptorProto) -> Result<(), String> {
    match file.syntax() {
        "proto2" | "proto3" if file.syntax.is_some() => {}
        "" if file.syntax.is_none() => {}
        other => {
            return Err(format!(
                "syntax {other:?} is not one protosync reads (proto2, proto3 or editions)"
            ))
        }
    }
    let package = file.package();
    if !package.is_empty() {
        crate::compile::limits::check_package(package).map_err(|e| format!("package: {e}"))?;
        if !is_dotted(package, false) {
            return Err(format!("package {package:?} is not a dotted name"));
        }
    }
    let name = |what: &str, n: &str| {
        if is_identifier(n) {
            Ok(())
        } else {
            Err(format!("{what} name {n:?} is not an identifier"))
        }
    };
    let field = |f: &FieldDescriptorProto, oneofs: usize, extension: bool| -> Result<(), String> {
        name("field", f.name())?;
        if !f.type_name().is_empty() && !is_dotted(f.type_name(), true) {
            return Err(format!(
                "field {}: type name {:?} is not a fully-qualified name",
                f.name(),
                f.type_name()
            ));
        }
        if extension != f.extendee.is_some() {
            return Err(format!(
                "field {}: {}",
                f.name(),
                if extension {
                    "an extension without an extendee"
                } else {
                    "an extendee on a field that is not an extension"
                }
            ));
        }
        if extension && !is_dotted(f.extendee(), true) {
            return Err(format!(
                "extension {}: extendee {:?} is not a fully-qualified name",
                f.name(),
                f.extendee()
            ));
        }
        if let Some(i) = f.oneof_index {
            if i < 0 || i as usize >= oneofs {
                return Err(format!(
                    "field {}: oneof index {i} is out of range",
                    f.name()
                ));
            }
        }
        Ok(())
    };
    let enumeration = |e: &prost_reflect::prost_types::EnumDescriptorProto| -> Result<(), String> {
        name("enum", e.name())?;
        if e.value.is_empty() {
            return Err(format!("enum {} has no values", e.name()));
        }
        e.value
            .iter()
            .try_for_each(|v| name("enum value", v.name()))
    };
    let mut messages: Vec<&DescriptorProto> = file.message_type.iter().collect();
    while let Some(m) = messages.pop() {
        name("message", m.name())?;
        for f in &m.field {
            field(f, m.oneof_decl.len(), false)?;
        }
        for x in &m.extension {
            field(x, 0, true)?;
        }
        for o in &m.oneof_decl {
            name("oneof", o.name())?;
        }
        m.enum_type.iter().try_for_each(enumeration)?;
        messages.extend(&m.nested_type);
    }
    file.enum_type.iter().try_for_each(enumeration)?;
    for x in &file.extension {
        field(x, 0, true)?;
    }
    for s in &file.service {
        name("service", s.name())?;
        for m in &s.method {
            name("method", m.name())?;
            for t in [m.input_type(), m.output_type()] {
                if !is_dotted(t, true) {
                    return Err(format!(
                        "method {}.{}: type {t:?} is not a fully-qualified name",
                        s.name(),
                        m.name()
                    ));
                }
            }
        }
    }
    let files = file.dependency.len() as i32;
    for (what, list) in [
        ("public", &file.public_dependency),
        ("weak", &file.weak_dependency),
    ] {
        if let Some(i) = list.iter().find(|&&i| i < 0 || i >= files) {
            return Err(format!("{what} import index {i} is out of range"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Splitting an image into its files

/// A hint for a binary image that is printable UTF-8 (a .proto file, YAML, JSON), which no
/// binary image is.
fn text_hint(bytes: &[u8], format: Format) -> &'static str {
    let text = std::str::from_utf8(bytes).is_ok_and(|t| {
        !t.trim().is_empty() && t.chars().all(|c| !c.is_control() || c.is_whitespace())
    });
    if text && format != Format::Json {
        "; the file is text: a JSON image needs a .json name or format=json"
    } else {
        ""
    }
}

/// One file of an image: its encoded `FileDescriptorProto`, and whether buf marked it an import.
struct Entry {
    bytes: Vec<u8>,
    is_import: bool,
}

/// A minimal protobuf wire reader: enough to walk the top level of a message.
struct Wire<'a> {
    buf: &'a [u8],
    pos: usize,
}

enum WireValue<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Wire<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Wire { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(format!("truncated at byte {}", self.pos));
            };
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("invalid varint before byte {}", self.pos))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| format!("truncated at byte {}", self.buf.len()))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The next field: its number and value.
    fn next_field(&mut self) -> Option<Result<(u64, WireValue<'a>), String>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let at = self.pos;
        let field = (|| {
            let key = self.varint()?;
            let number = key >> 3;
            if number == 0 {
                return Err(format!("field number 0 at byte {at}"));
            }
            let value = match key & 7 {
                0 => WireValue::Varint(self.varint()?),
                1 => self.take(8).map(|_| WireValue::Fixed)?,
                2 => {
                    let len = self.varint()?;
                    let len = usize::try_from(len).map_err(|_| "length overflow".to_owned())?;
                    WireValue::Bytes(self.take(len)?)
                }
                5 => self.take(4).map(|_| WireValue::Fixed)?,
                t => return Err(format!("unexpected wire type {t} at byte {at}")),
            };
            Ok((number, value))
        })();
        if field.is_err() {
            self.pos = self.buf.len();
        }
        Some(field)
    }
}

/// Field 1 of a `FileDescriptorSet` (or buf `Image`): the files; anything else is skipped.
fn split_binary(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    let mut wire = Wire::new(bytes);
    while let Some(field) = wire.next_field() {
        let (number, value) = field.map_err(|e| format!(" (decode error: {e})"))?;
        match (number, value) {
            (1, WireValue::Bytes(file)) => out.push(Entry {
                bytes: file.to_vec(),
                is_import: buf_is_import(file),
            }),
            (1, _) => return Err(" (field 1 is not a message)".into()),
            _ => {}
        }
    }
    Ok(out)
}

/// buf's `ImageFile.buf_extension` (8042) `.is_import` (1).
fn buf_is_import(file: &[u8]) -> bool {
    let mut wire = Wire::new(file);
    let mut is_import = false;
    while let Some(Ok((number, value))) = wire.next_field() {
        if let (8042, WireValue::Bytes(ext)) = (number, value) {
            let mut inner = Wire::new(ext);
            while let Some(Ok((n, v))) = inner.next_field() {
                if let (1, WireValue::Varint(flag)) = (n, v) {
                    is_import = flag != 0;
                }
            }
        }
    }
    is_import
}

/// The protobuf JSON mapping of a `FileDescriptorSet` (or buf `Image`): decoded dynamically,
/// unknown fields ignored, then each file re-encoded.
fn split_json(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!(" in JSON (invalid JSON: {e})"))?;
    if !value.is_object() {
        return Err(" in JSON (the document is not an object)".into());
    }
    let is_import: Vec<bool> = value
        .get("file")
        .and_then(|f| f.as_array())
        .map(|files| {
            files
                .iter()
                .map(|f| {
                    ["bufExtension", "buf_extension"]
                        .iter()
                        .filter_map(|k| f.get(*k))
                        .flat_map(|ext| ["isImport", "is_import"].map(|k| ext.get(k)))
                        .flatten()
                        .any(|v| v.as_bool() == Some(true))
                })
                .collect()
        })
        .unwrap_or_default();
    super::json_enums::check(&value, &decoder().set).map_err(|e| format!(" in JSON ({e})"))?;
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let set = DynamicMessage::deserialize_with_options(decoder().set.clone(), value, &options)
        .map_err(|e| format!(" in JSON ({e})"))?;
    let files = match set.get_field_by_number(1).as_deref() {
        Some(Value::List(files)) => files.clone(),
        _ => Vec::new(),
    };
    Ok(files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            f.as_message().map(|m| Entry {
                bytes: m.encode_to_vec(),
                is_import: is_import.get(i).copied().unwrap_or(false),
            })
        })
        .collect())
}

/// Descriptors that know editions: protox's bundled `descriptor.proto`, patched where it is
/// older than protoc's (see [`patch_descriptor_proto`]), plus the trimmed C++ and Java features.
struct Decoder {
    set: MessageDescriptor,
    file: MessageDescriptor,
}

const DESCRIPTOR_PROTO: &str = "google/protobuf/descriptor.proto";
const FEATURES_PROTO: &str = "protosync/image_features.proto";

fn decoder() -> &'static Decoder {
    static DECODER: OnceLock<Decoder> = OnceLock::new();
    DECODER.get_or_init(|| {
        struct Vendored(FileDescriptorProto);
        impl FileResolver for Vendored {
            fn open_file(&self, name: &str) -> Result<File, protox::Error> {
                match name {
                    DESCRIPTOR_PROTO => Ok(File::from_file_descriptor_proto(self.0.clone())),
                    FEATURES_PROTO => File::from_source(name, include_str!("image_features.proto")),
                    _ => GoogleFileResolver::new().open_file(name),
                }
            }
        }
        let mut descriptor = GoogleFileResolver::new()
            .open_file(DESCRIPTOR_PROTO)
            .expect("descriptor.proto is bundled")
            .file_descriptor_proto()
            .clone();
        patch_descriptor_proto(&mut descriptor);
        let mut compiler = protox::Compiler::with_file_resolver(Vendored(descriptor));
        compiler
            .open_file(FEATURES_PROTO)
            .expect("the vendored feature definitions compile");
        let pool = compiler.descriptor_pool();
        let get = |name: &str| {
            pool.get_message_by_name(name)
                .unwrap_or_else(|| panic!("{name} is bundled"))
        };
        Decoder {
            set: get("google.protobuf.FileDescriptorSet"),
            file: get("google.protobuf.FileDescriptorProto"),
        }
    })
}

/// Brings protox's bundled `descriptor.proto` (an early editions-era copy) in line with what
/// protoc 27+ writes, where it matters for decoding images: `FeatureSet.Utf8Validation` has
/// `VERIFY = 2, NONE = 3` (the bundled copy says `NONE = 1`), and `Edition` has
/// `EDITION_LEGACY`, `EDITION_2024` and `EDITION_MAX` (so JSON images naming them decode, and
/// the error for an unsupported edition can name it).
fn patch_descriptor_proto(file: &mut FileDescriptorProto) {
    use prost_reflect::prost_types::{
        enum_descriptor_proto::EnumReservedRange, EnumValueDescriptorProto,
    };
    let value = |name: &str, number: i32| EnumValueDescriptorProto {
        name: Some(name.to_owned()),
        number: Some(number),
        options: None,
    };
    if let Some(e) = file
        .message_type
        .iter_mut()
        .filter(|m| m.name() == "FeatureSet")
        .flat_map(|m| m.enum_type.iter_mut())
        .find(|e| e.name() == "Utf8Validation")
    {
        e.value = vec![
            value("UTF8_VALIDATION_UNKNOWN", 0),
            value("VERIFY", 2),
            value("NONE", 3),
        ];
        e.reserved_range = vec![EnumReservedRange {
            start: Some(1),
            end: Some(1),
        }];
    }
    if let Some(e) = file.enum_type.iter_mut().find(|e| e.name() == "Edition") {
        for (name, number) in [
            ("EDITION_LEGACY", 900),
            ("EDITION_2024", 1001),
            ("EDITION_MAX", i32::MAX),
        ] {
            if !e
                .value
                .iter()
                .any(|v| v.number() == number || v.name() == name)
            {
                e.value.push(value(name, number));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Editions

/// `FileDescriptorProto.edition`.
const EDITION_FIELD: u32 = 14;

/// The number of the `Edition` enum value for each supported edition.
fn edition_name(number: i32) -> String {
    match number {
        998 => "proto2".into(),
        999 => "proto3".into(),
        1000 => "2023".into(),
        1001 => "2024".into(),
        n => format!("number {n}"),
    }
}

/// The field number of `features` in each options message, by the options' field number in the
/// element's descriptor and the element kind.
#[derive(Clone, Copy)]
struct OptionTags {
    options: u32,
    features: u32,
}

const FILE_TAGS: OptionTags = OptionTags {
    options: 8,
    features: 50,
};
const MESSAGE_TAGS: OptionTags = OptionTags {
    options: 7,
    features: 12,
};
const FIELD_TAGS: OptionTags = OptionTags {
    options: 8,
    features: 21,
};
const ONEOF_TAGS: OptionTags = OptionTags {
    options: 2,
    features: 1,
};
const RANGE_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 50,
};
const ENUM_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 7,
};
const VALUE_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 2,
};
const SERVICE_TAGS: OptionTags = OptionTags {
    options: 3,
    features: 34,
};
const METHOD_TAGS: OptionTags = OptionTags {
    options: 4,
    features: 35,
};

/// Core features by their `FeatureSet` field number.
fn core_feature(number: u32) -> Option<Feature> {
    Some(match number {
        1 => Feature::FieldPresence,
        2 => Feature::EnumType,
        3 => Feature::RepeatedFieldEncoding,
        4 => Feature::Utf8Validation,
        5 => Feature::MessageEncoding,
        6 => Feature::JsonFormat,
        _ => return None,
    })
}

fn field(m: &DynamicMessage, number: u32) -> Option<&Value> {
    m.fields()
        .find(|(f, _)| f.number() == number)
        .map(|(_, v)| v)
}

fn child(m: &DynamicMessage, number: u32) -> Option<&DynamicMessage> {
    field(m, number).and_then(Value::as_message)
}

fn children(m: &DynamicMessage, number: u32) -> impl Iterator<Item = (i32, &DynamicMessage)> {
    field(m, number)
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_message)
        .enumerate()
        .map(|(i, m)| (i as i32, m))
}

/// Collects the features an editions file sets, element by element.
struct Lifter<'a> {
    spans: HashMap<&'a [i32], RawSpan>,
    has_info: bool,
    features: HashMap<Vec<i32>, Vec<FeatureSetting>>,
    errors: Vec<String>,
}

impl Lifter<'_> {
    fn with(path: &[i32], more: &[i32]) -> Vec<i32> {
        let mut p = path.to_vec();
        p.extend_from_slice(more);
        p
    }

    /// The features set on one element.
    fn element(&mut self, elem: &DynamicMessage, path: &[i32], tags: OptionTags) {
        let Some(features) = child(elem, tags.options).and_then(|o| child(o, tags.features)) else {
            return;
        };
        let base = Self::with(path, &[tags.options as i32, tags.features as i32]);
        for (fd, value) in features.fields() {
            if let Some(feature) = core_feature(fd.number()) {
                let name = fd
                    .kind()
                    .as_enum()
                    .zip(value.as_enum_number())
                    .and_then(|(e, n)| e.get_value(n).map(|v| v.name().to_owned()));
                self.record(path, &base, &[fd.number() as i32], feature, name, value);
            }
        }
        for (ext, value) in features.extensions() {
            let feature = match ext.full_name() {
                "pb.cpp" => Feature::CppStringType,
                "pb.java" => Feature::JavaUtf8Validation,
                _ => continue,
            };
            let Some(inner) = value.as_message() else {
                continue;
            };
            if let Some((fd, v)) = inner.fields().find(|(f, _)| f.number() == 2) {
                let name = fd
                    .kind()
                    .as_enum()
                    .zip(v.as_enum_number())
                    .and_then(|(e, n)| e.get_value(n).map(|v| v.name().to_owned()));
                self.record(path, &base, &[ext.number() as i32, 2], feature, name, v);
            }
        }
    }

    fn record(
        &mut self,
        path: &[i32],
        base: &[i32],
        numbers: &[i32],
        feature: Feature,
        name: Option<String>,
        raw: &Value,
    ) {
        let value = match name {
            Some(n) if feature.values().contains(&n.as_str()) => n,
            other => {
                let shown = other.unwrap_or_else(|| format!("{raw:?}"));
                self.errors.push(format!(
                    "features.{} = {shown} on the element at path {path:?} is not a value protosync knows (expected one of {})",
                    feature.name(),
                    feature.values().join(", ")
                ));
                return;
            }
        };
        let span = self.span(path, base, numbers);
        self.features
            .entry(path.to_vec())
            .or_default()
            .push(FeatureSetting {
                feature,
                value,
                span,
            });
    }

    /// The location protoc records for the feature, else for `options.features`, else for the
    /// element; [`UNLOCATED`] without source info.
    fn span(&self, path: &[i32], base: &[i32], numbers: &[i32]) -> RawSpan {
        if !self.has_info {
            return UNLOCATED;
        }
        (0..=numbers.len())
            .rev()
            .map(|n| Self::with(base, &numbers[..n]))
            .chain(std::iter::once(path.to_vec()))
            .find_map(|p| self.spans.get(p.as_slice()).copied())
            .unwrap_or(UNLOCATED)
    }

    fn message(&mut self, m: &DynamicMessage, path: &[i32]) {
        let map_entry = child(m, 7)
            .and_then(|o| field(o, 7))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if map_entry {
            // The source front-end never sees the synthetic entry (protox-parse makes it): its
            // features are those of the message around it, whatever protoc copied onto it.
            return;
        }
        self.element(m, path, MESSAGE_TAGS);
        for (k, f) in children(m, 2) {
            self.element(f, &Self::with(path, &[2, k]), FIELD_TAGS);
        }
        for (k, x) in children(m, 6) {
            self.element(x, &Self::with(path, &[6, k]), FIELD_TAGS);
        }
        for (k, n) in children(m, 3) {
            self.message(n, &Self::with(path, &[3, k]));
        }
        for (k, e) in children(m, 4) {
            self.enumeration(e, &Self::with(path, &[4, k]));
        }
        for (k, r) in children(m, 5) {
            self.element(r, &Self::with(path, &[5, k]), RANGE_TAGS);
        }
        for (k, o) in children(m, 8) {
            self.element(o, &Self::with(path, &[8, k]), ONEOF_TAGS);
        }
    }

    fn enumeration(&mut self, e: &DynamicMessage, path: &[i32]) {
        self.element(e, path, ENUM_TAGS);
        for (k, v) in children(e, 2) {
            self.element(v, &Self::with(path, &[2, k]), VALUE_TAGS);
        }
    }

    fn file(&mut self, f: &DynamicMessage) {
        self.element(f, &[], FILE_TAGS);
        for (i, m) in children(f, 4) {
            self.message(m, &[4, i]);
        }
        for (i, e) in children(f, 5) {
            self.enumeration(e, &[5, i]);
        }
        for (i, s) in children(f, 6) {
            self.element(s, &[6, i], SERVICE_TAGS);
            for (k, m) in children(s, 2) {
                self.element(m, &[6, i, 2, k], METHOD_TAGS);
            }
        }
        for (i, x) in children(f, 7) {
            self.element(x, &[7, i], FIELD_TAGS);
        }
    }
}

/// Lowers one editions file in place (see the module docs) and returns its features.
fn lower(proto: &mut FileDescriptorProto, dynamic: &DynamicMessage) -> Result<EditionFile, String> {
    let edition = match field(dynamic, EDITION_FIELD).and_then(Value::as_enum_number) {
        Some(n) => edition_name(n),
        None => return Err("syntax is \"editions\" but the file declares no edition protosync knows (only editions 2023 and 2024 are supported)".into()),
    };
    if !SUPPORTED_EDITIONS.contains(&edition.as_str()) {
        return Err(format!(
            "edition {edition} is not supported (only editions 2023 and 2024 are)"
        ));
    }
    let (features, errors) = {
        let locations = proto
            .source_code_info
            .as_ref()
            .map(|i| i.location.as_slice())
            .unwrap_or_default();
        let mut spans = HashMap::new();
        for loc in locations {
            let raw = match *loc.span.as_slice() {
                [l, c, ec] => [l, c, l, ec],
                [l, c, el, ec] => [l, c, el, ec],
                _ => continue,
            };
            // The first location of a path is the declaration.
            spans.entry(loc.path.as_slice()).or_insert(raw);
        }
        let mut lifter = Lifter {
            spans,
            has_info: proto.source_code_info.is_some(),
            features: HashMap::new(),
            errors: Vec::new(),
        };
        lifter.file(dynamic);
        (lifter.features, lifter.errors)
    };
    if let Some(first) = errors.into_iter().next() {
        return Err(first);
    }
    proto.syntax = Some("proto2".to_owned());
    let required = |path: &[i32]| {
        features.get(path).is_some_and(|s| {
            s.iter()
                .any(|s| s.feature == Feature::FieldPresence && s.value == "LEGACY_REQUIRED")
        })
    };
    let mut fix = |f: &mut FieldDescriptorProto, path: &[i32]| {
        if required(path) {
            f.label = Some(2);
        }
        if f.r#type == Some(10) {
            // TYPE_GROUP: a delimited message field; the encoding is in the features.
            f.r#type = Some(11);
        }
    };
    fn message(
        m: &mut DescriptorProto,
        path: &mut Vec<i32>,
        fix: &mut dyn FnMut(&mut FieldDescriptorProto, &[i32]),
    ) {
        for (tag, fields) in [(2, &mut m.field), (6, &mut m.extension)] {
            for (k, f) in fields.iter_mut().enumerate() {
                path.extend([tag, k as i32]);
                fix(f, path);
                path.truncate(path.len() - 2);
            }
        }
        for (k, n) in m.nested_type.iter_mut().enumerate() {
            path.extend([3, k as i32]);
            message(n, path, fix);
            path.truncate(path.len() - 2);
        }
    }
    for (i, m) in proto.message_type.iter_mut().enumerate() {
        message(m, &mut vec![4, i as i32], &mut fix);
    }
    for (i, x) in proto.extension.iter_mut().enumerate() {
        fix(x, &[7, i as i32]);
    }
    Ok(EditionFile {
        edition,
        features,
        local_symbols: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Linking

/// Language feature files protoc ships and protox does not bundle.
const LANGUAGE_FEATURE_FILES: &[&str] = &[
    "google/protobuf/cpp_features.proto",
    "google/protobuf/java_features.proto",
    "google/protobuf/go_features.proto",
    "google/protobuf/c_sharp_features.proto",
];

/// A `google/protobuf/*` file for an import the image lacks, and the files it imports.
fn bundled(name: &str) -> Option<FileDescriptorProto> {
    if !name.starts_with("google/protobuf/") {
        return None;
    }
    if let Ok(file) = GoogleFileResolver::new().open_file(name) {
        return Some(file.file_descriptor_proto().clone());
    }
    LANGUAGE_FEATURE_FILES
        .contains(&name)
        .then(|| FileDescriptorProto {
            name: Some(name.to_owned()),
            package: Some("pb".to_owned()),
            syntax: Some("proto2".to_owned()),
            ..Default::default()
        })
}

fn link(
    files: Vec<(FileDescriptorProto, bool)>,
    editions: HashMap<String, EditionFile>,
    option_imports: &HashSet<String>,
    what: &str,
) -> Result<Compiled> {
    let imported: HashSet<&str> = files
        .iter()
        .flat_map(|(f, _)| f.dependency.iter().map(String::as_str))
        .chain(option_imports.iter().map(String::as_str))
        .collect();
    let targets: BTreeSet<String> = files
        .iter()
        .filter(|(f, is_import)| {
            let bundled_import =
                f.name().starts_with("google/protobuf/") && imported.contains(f.name());
            !is_import && !bundled_import
        })
        .map(|(f, _)| f.name().to_owned())
        .collect();
    if targets.is_empty() {
        bail!(
            "{what}: every file of the image is marked as an import: there is nothing to compare"
        );
    }

    // Everything by name, with stand-ins for missing well-known imports.
    let mut all: HashMap<String, FileDescriptorProto> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for (f, _) in files {
        order.push(f.name().to_owned());
        all.insert(f.name().to_owned(), f);
    }
    let mut queue: Vec<(String, String)> = order
        .iter()
        .flat_map(|n| {
            all[n]
                .dependency
                .iter()
                .map(move |d| (n.clone(), d.clone()))
        })
        .collect();
    while let Some((importer, dep)) = queue.pop() {
        if all.contains_key(&dep) {
            continue;
        }
        match bundled(&dep) {
            Some(f) => {
                queue.extend(f.dependency.iter().map(|d| (dep.clone(), d.clone())));
                all.insert(dep.clone(), f);
            }
            None => bail!(
                "{what}: {importer} imports {dep}, which the image does not contain; \
                 build the image with its imports (`protoc --include_imports …`, or `buf build`)"
            ),
        }
    }

    // Dependencies first.
    let deps = |n: &str| all.get(n).map(|f| f.dependency.as_slice());
    if let Err((file, depth)) =
        crate::compile::limits::import_depth(all.keys().map(String::as_str), deps)
    {
        bail!(
            "{what}: {}",
            crate::compile::limits::import_depth_error(&file, depth)
        );
    }
    let mut names: Vec<String> = all.keys().cloned().collect();
    names.sort();
    let sorted = dependencies_first(names, &mut all, what)?;
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_protos(sorted)
        .map_err(|e| anyhow!("{what}: the image's files do not link: {e}"))?;
    Ok(Compiled {
        pool,
        targets: targets.into_iter().collect(),
        tree: Arc::new(SourceTree::default()),
        editions,
    })
}

/// Depth-first, without recursion: a file after the files it imports.
fn dependencies_first(
    names: Vec<String>,
    all: &mut HashMap<String, FileDescriptorProto>,
    what: &str,
) -> Result<Vec<FileDescriptorProto>> {
    // false while visiting, true when done.
    let mut state: HashMap<String, bool> = HashMap::new();
    let mut sorted = Vec::with_capacity(all.len());
    for root in names {
        if state.contains_key(&root) {
            continue;
        }
        state.insert(root.clone(), false);
        let mut stack: Vec<(String, usize)> = vec![(root, 0)];
        while let Some((name, next)) = stack.last_mut() {
            let dep = all.get(name.as_str()).and_then(|f| f.dependency.get(*next));
            if let Some(dep) = dep.cloned() {
                *next += 1;
                match state.get(&dep) {
                    Some(true) => {}
                    Some(false) => bail!("{what}: import cycle through {dep}"),
                    None => {
                        state.insert(dep.clone(), false);
                        stack.push((dep, 0));
                    }
                }
                continue;
            }
            let name = name.clone();
            stack.pop();
            state.insert(name.clone(), true);
            if let Some(f) = all.remove(&name) {
                sorted.push(f);
            }
        }
    }
    Ok(sorted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost_reflect::prost_types::FileDescriptorSet;

    #[test]
    fn the_vendored_features_compile_and_extend_feature_set() {
        let d = decoder();
        let pool = d.file.parent_pool();
        assert!(pool.get_extension_by_name("pb.cpp").is_some());
        assert!(pool.get_extension_by_name("pb.java").is_some());
        assert!(d.file.get_field(EDITION_FIELD).is_some());
        // protoc's numbering, not the bundled copy's.
        let utf8 = pool
            .get_enum_by_name("google.protobuf.FeatureSet.Utf8Validation")
            .unwrap();
        assert_eq!(utf8.get_value_by_name("NONE").unwrap().number(), 3);
        assert_eq!(utf8.get_value_by_name("VERIFY").unwrap().number(), 2);
        let edition = pool.get_enum_by_name("google.protobuf.Edition").unwrap();
        assert_eq!(
            edition.get_value_by_name("EDITION_2023").unwrap().number(),
            1000
        );
        assert_eq!(
            edition.get_value_by_name("EDITION_2024").unwrap().number(),
            1001
        );
    }

    #[test]
    fn garbage_and_empty_sets_are_errors() {
        let err = decode(b"\x0a\x05ab", Format::Binpb, "x").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x: not a FileDescriptorSet (decode error: truncated"),
            "{err}"
        );
        let err = decode(b"", Format::Binpb, "x").unwrap_err();
        assert!(err.to_string().contains("holds no files"), "{err}");
        let err = decode(b"{\"file\": 3}", Format::Json, "x").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x: not a FileDescriptorSet in JSON"),
            "{err}"
        );
        let err = decode(b"[]", Format::Json, "x").unwrap_err();
        assert!(err.to_string().contains("not an object"), "{err}");
    }

    #[test]
    fn descriptors_prost_reflect_would_panic_on_are_refused() {
        // The two panics of issue 12: syntax "proto4" (index out of bounds) and package "."
        // with a top-level extension (extension not found).
        let file = |f: FileDescriptorProto| FileDescriptorSet { file: vec![f] }.encode_to_vec();
        let proto4 = file(FileDescriptorProto {
            name: Some("a.proto".into()),
            syntax: Some("proto4".into()),
            ..Default::default()
        });
        let err = decode(&proto4, Format::Binpb, "x").unwrap_err().to_string();
        assert_eq!(
            err,
            "x: a.proto: syntax \"proto4\" is not one protosync reads (proto2, proto3 or editions)"
        );
        let dot = file(FileDescriptorProto {
            name: Some("a.proto".into()),
            package: Some(".".into()),
            extension: vec![FieldDescriptorProto {
                name: Some("x".into()),
                number: Some(1000),
                r#type: Some(5),
                label: Some(1),
                extendee: Some(".google.protobuf.FileOptions".into()),
                ..Default::default()
            }],
            dependency: vec!["google/protobuf/descriptor.proto".into()],
            ..Default::default()
        });
        let err = decode(&dot, Format::Binpb, "x").unwrap_err().to_string();
        assert_eq!(err, "x: a.proto: package \".\" is not a dotted name");
    }

    #[test]
    fn buf_import_flags_are_read() {
        // ImageFile { name: "a.proto", buf_extension { is_import: true } }
        let mut file = FileDescriptorProto {
            name: Some("a.proto".into()),
            ..Default::default()
        }
        .encode_to_vec();
        file.extend([0xd2, 0xf6, 0x03, 0x02, 0x08, 0x01]);
        assert!(buf_is_import(&file));
        assert!(!buf_is_import(&file[..file.len() - 6]));
    }
}
