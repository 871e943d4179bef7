//! Splitting an image into its files: binary `FileDescriptorSet` / buf images read field by
//! field, JSON images through the vendored descriptors.

use std::sync::OnceLock;

use anyhow::Result;
use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor, Value};
use protox::file::{File, FileResolver, GoogleFileResolver};

use crate::input::Format;

/// A hint for a binary image that is printable UTF-8 (a .proto file, YAML, JSON), which no
/// binary image is.
pub(super) fn text_hint(bytes: &[u8], format: Format) -> &'static str {
    let text = std::str::from_utf8(bytes).is_ok_and(|t| {
        !t.trim().is_empty() && t.chars().all(|c| !c.is_control() || c.is_whitespace())
    });
    if text && format == Format::Binpb {
        "; the file is text: a JSON image needs a .json name or format=json"
    } else {
        ""
    }
}

/// One file of an image: its encoded `FileDescriptorProto`, and whether buf marked it an import.
pub(super) struct Entry {
    pub(super) bytes: Vec<u8>,
    pub(super) is_import: bool,
}

/// A minimal protobuf wire reader: enough to walk the top level of a message.
pub(super) struct Wire<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

pub(super) enum WireValue<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

impl<'a> Wire<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Wire { buf, pos: 0 }
    }

    pub(super) fn varint(&mut self) -> Result<u64, String> {
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

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
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
    pub(super) fn next_field(&mut self) -> Option<Result<(u64, WireValue<'a>), String>> {
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
pub(super) fn split_binary(bytes: &[u8]) -> Result<Vec<Entry>, String> {
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
pub(super) fn buf_is_import(file: &[u8]) -> bool {
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
pub(super) fn split_json(bytes: &[u8]) -> Result<Vec<Entry>, String> {
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
    crate::input::json_enums::check(&value, &decoder().set)
        .map_err(|e| format!(" in JSON ({e})"))?;
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
pub(super) struct Decoder {
    pub(super) set: MessageDescriptor,
    pub(super) file: MessageDescriptor,
}

pub(super) const DESCRIPTOR_PROTO: &str = "google/protobuf/descriptor.proto";
pub(super) const FEATURES_PROTO: &str = "protosync/image_features.proto";

pub(super) fn decoder() -> &'static Decoder {
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
pub(super) fn patch_descriptor_proto(file: &mut FileDescriptorProto) {
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
