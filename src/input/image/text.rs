//! Text images: a `FileDescriptorSet` (or buf `Image`) in the protobuf text format, as
//! `buf build -o x.txtpb` and `protoc --decode=google.protobuf.FileDescriptorSet` write it.
//!
//! Parsed with prost-reflect's text format against protox's bundled `descriptor.proto`
//! (patched as for JSON images) with buf's `buf_extension` (8042) added to
//! `FileDescriptorProto`, so buf's images parse and their `is_import` marks are kept. Errors
//! name the line and column.

use std::sync::OnceLock;

use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::field_descriptor_proto::{Label, Type};
use prost_reflect::prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};
use prost_reflect::{DynamicMessage, MessageDescriptor, Value};
use protox::file::{File, FileResolver, GoogleFileResolver};

use super::split::{patch_descriptor_proto, Entry, DESCRIPTOR_PROTO};

/// buf's `ImageFile.buf_extension`.
const BUF_EXTENSION: u32 = 8042;

/// The files of a text image, each re-encoded in binary (without buf's extension).
pub(super) fn split_text(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = crate::compile::utf8_error_place(bytes).unwrap_or_default();
        format!(" in text format ({at}: not valid UTF-8: {e})")
    })?;
    nesting(text).map_err(|(line, col)| {
        format!(
            " in text format ({line}:{col}: messages nested deeper than {MAX_DEPTH} levels; \
             no descriptor set nests so deep)"
        )
    })?;
    let set = DynamicMessage::parse_text_format(text_set().clone(), text).map_err(|e| {
        let at = miette::Diagnostic::labels(&e)
            .and_then(|mut l| l.next())
            .map(|l| line_col(text, l.offset()))
            .unwrap_or((1, 1));
        format!(" in text format ({}:{}: {e})", at.0, at.1)
    })?;
    let files = match set.get_field_by_number(1).as_deref() {
        Some(Value::List(files)) => files.clone(),
        _ => Vec::new(),
    };
    Ok(files
        .iter()
        .filter_map(Value::as_message)
        .map(|file| {
            let is_import = file
                .get_field_by_number(BUF_EXTENSION)
                .as_deref()
                .and_then(Value::as_message)
                .and_then(|ext| {
                    ext.get_field_by_number(1)
                        .as_deref()
                        .and_then(Value::as_bool)
                })
                .unwrap_or(false);
            let mut file = file.clone();
            file.clear_field_by_number(BUF_EXTENSION);
            Entry {
                bytes: file.encode_to_vec(),
                is_import,
            }
        })
        .collect())
}

/// How deep messages may nest: the binary decoder's recursion limit (prost's), so that a
/// hostile text image is refused rather than overflowing the parser's stack.
const MAX_DEPTH: usize = 100;

/// Checks that no message nests deeper than [`MAX_DEPTH`] (`{`/`<` outside strings and
/// comments); else the line and column of the brace that goes too deep.
fn nesting(text: &str) -> Result<(), (usize, usize)> {
    let (mut depth, mut quote, mut escaped, mut comment) = (0usize, None, false, false);
    for (i, c) in text.char_indices() {
        if comment {
            comment = c != '\n';
        } else if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q || c == '\n' {
                quote = None;
            }
        } else {
            match c {
                '#' => comment = true,
                '"' | '\'' => quote = Some(c),
                '{' | '<' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(line_col(text, i));
                    }
                }
                '}' | '>' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// `google.protobuf.FileDescriptorSet`, with buf's extension on its files.
fn text_set() -> &'static MessageDescriptor {
    static SET: OnceLock<MessageDescriptor> = OnceLock::new();
    SET.get_or_init(|| {
        struct Vendored(FileDescriptorProto);
        impl FileResolver for Vendored {
            fn open_file(&self, name: &str) -> Result<File, protox::Error> {
                match name {
                    DESCRIPTOR_PROTO => Ok(File::from_file_descriptor_proto(self.0.clone())),
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
        add_buf_extension(&mut descriptor);
        let mut compiler = protox::Compiler::with_file_resolver(Vendored(descriptor));
        compiler
            .open_file(DESCRIPTOR_PROTO)
            .expect("the patched descriptor.proto compiles");
        compiler
            .descriptor_pool()
            .get_message_by_name("google.protobuf.FileDescriptorSet")
            .expect("FileDescriptorSet is bundled")
    })
}

/// Adds buf's `ImageFileExtension` (`buf.alpha.image.v1`) to `FileDescriptorProto` as field
/// 8042, with its messages nested there.
fn add_buf_extension(file: &mut FileDescriptorProto) {
    const PREFIX: &str = ".google.protobuf.FileDescriptorProto.";
    let field = |name: &str, number: i32, ty: Type, type_name: Option<&str>, repeated: bool| {
        FieldDescriptorProto {
            name: Some(name.to_owned()),
            number: Some(number),
            label: Some(if repeated {
                Label::Repeated
            } else {
                Label::Optional
            } as i32),
            r#type: Some(ty as i32),
            type_name: type_name.map(|t| format!("{PREFIX}{t}")),
            json_name: None,
            ..Default::default()
        }
    };
    let message = |name: &str, fields: Vec<FieldDescriptorProto>| DescriptorProto {
        name: Some(name.to_owned()),
        field: fields,
        ..Default::default()
    };
    let Some(fdp) = file
        .message_type
        .iter_mut()
        .find(|m| m.name() == "FileDescriptorProto")
    else {
        return;
    };
    fdp.nested_type.push(message(
        "BufModuleName",
        vec![
            field("remote", 1, Type::String, None, false),
            field("owner", 2, Type::String, None, false),
            field("repository", 3, Type::String, None, false),
        ],
    ));
    fdp.nested_type.push(message(
        "BufModuleInfo",
        vec![
            field("name", 1, Type::Message, Some("BufModuleName"), false),
            field("commit", 2, Type::String, None, false),
        ],
    ));
    fdp.nested_type.push(message(
        "BufImageFileExtension",
        vec![
            field("is_import", 1, Type::Bool, None, false),
            field(
                "module_info",
                2,
                Type::Message,
                Some("BufModuleInfo"),
                false,
            ),
            field("is_syntax_unspecified", 3, Type::Bool, None, false),
            field("unused_dependency", 4, Type::Int32, None, true),
        ],
    ));
    fdp.field.push(field(
        "buf_extension",
        BUF_EXTENSION as i32,
        Type::Message,
        Some("BufImageFileExtension"),
        false,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line_and_column() {
        let err = split_text(b"file {\n  name: \"a.proto\"\n  nmae: \"x\"\n}\n")
            .err()
            .unwrap();
        assert!(err.contains("3:3"), "{err}");
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn buf_images_keep_their_import_marks() {
        let text = "file: {\n  name: \"a.proto\"\n  buf_extension: { is_import: true, \
                    is_syntax_unspecified: false }\n}\nfile { name: \"b.proto\" }\n";
        let entries = split_text(text.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].is_import && !entries[1].is_import);
        let a = FileDescriptorProto::decode(entries[0].bytes.as_slice()).unwrap();
        assert_eq!(a.name(), "a.proto");
    }

    #[test]
    fn hostile_nesting_is_refused_before_parsing() {
        let deep = |n: usize| {
            format!(
                "file {{ name: \"a.proto\" {}{} }}",
                "message_type { ".repeat(n),
                "}".repeat(n)
            )
        };
        // 200,000 levels overflowed the parser's stack; now an error at the brace.
        let err = split_text(deep(200_000).as_bytes()).err().unwrap();
        assert!(
            err.contains("1:1522: messages nested deeper than 100 levels"),
            "{err}"
        );
        assert!(nesting(&deep(MAX_DEPTH - 1)).is_ok());
        // Braces in strings and comments are not nesting.
        let quoted = format!(
            "# {}\nfile {{ name: \"{}\" }}",
            "{".repeat(300),
            "<".repeat(300)
        );
        assert!(nesting(&quoted).is_ok());
    }
}
