//! Edition 2024 in the editions front-end (a child of `compile::editions`, which calls it only
//! for `edition = "2024";` files).
//!
//! What 2024 adds to 2023, as protoc 36 / buf 1.75 apply it (descriptor.proto's `FeatureSet`,
//! `descriptor.cc` and `symbol.cc` of protobuf v36):
//! - Syntax: `export` / `local` before `message` / `enum` (blanked from the lowered source and
//!   recorded), `import option "…";` (the `option` word is blanked: the file stays an import
//!   for protox, which links option values against it), `import weak` refused.
//! - Features: `enforce_naming_style` (STYLE2024 by default: names are checked as protoc checks
//!   them) and `default_symbol_visibility` (EXPORT_TOP_LEVEL by default: nested messages and
//!   enums are local), both lifted with the other features; `(pb.cpp).string_type` defaults to
//!   VIEW (see `Feature::edition_default`).
//! - Restrictions: `ctype` and `java_multiple_files` are refused; with STRICT visibility a nested
//!   type cannot be `export` (except protoc's namespaced-enum caveat).
//! - Visibility: a local message or enum cannot be used from another file (field types,
//!   extendees, method types). That needs the linked pool: [`check_visibility`] runs after
//!   protox links, on the [`LocalSymbol`]s each file's lowering reported.

use std::collections::HashMap;
use std::ops::Range;

use prost_reflect::prost_types::{FileDescriptorProto, UninterpretedOption};
use prost_reflect::{DescriptorPool, Kind as FieldKind};

use super::elements::{elem_ref, feature_chain, with, Elem, ElemKind, ElemRef};
use super::error::{into_protox, Ctx, LowerError};
use super::lex::{Kind, Tok};
use super::lift::{option_name, Post};
use super::OtherFeatureSetting;

/// A message or enum of an edition-2024 file that other files may not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSymbol {
    /// Full name, without a leading dot.
    pub full_name: String,
    /// Marked `local` (else local by the file's `default_symbol_visibility`).
    pub explicit: bool,
    /// The file's `default_symbol_visibility` (for the error message).
    pub default_visibility: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visibility {
    Export,
    Local,
}

/// An `export` / `local` keyword in front of a `message` / `enum` declaration.
struct Keyword {
    visibility: Visibility,
    /// Byte offset of the `message` / `enum` keyword that follows.
    decl: usize,
}

/// What the 2024 token pass found.
#[derive(Default)]
pub(super) struct Scan2024 {
    /// Byte ranges to blank in the lowered source.
    pub blanks: Vec<Range<usize>>,
    keywords: Vec<Keyword>,
    pub errors: Vec<LowerError>,
}

/// The 2024 token pass, over the tokens after the edition statement.
pub(super) fn scan(tokens: &[Tok], source: &str, start: usize, ctx: &Ctx) -> Scan2024 {
    let mut out = Scan2024::default();
    let mut at_statement_start = true;
    for i in start..tokens.len() {
        let token = tokens[i];
        let next = |k: usize| tokens.get(i + k).copied();
        if at_statement_start && token.kind == Kind::Ident {
            match token.text(source) {
                word @ ("export" | "local")
                    if next(1).is_some_and(|t| {
                        t.is_ident(source, "message") || t.is_ident(source, "enum")
                    }) && next(2).is_some_and(|t| t.is(Kind::Ident))
                        && next(3).is_some_and(|t| t.is(Kind::Punct(b'{'))) =>
                {
                    out.blanks.push(token.start..token.end);
                    out.keywords.push(Keyword {
                        visibility: if word == "export" {
                            Visibility::Export
                        } else {
                            Visibility::Local
                        },
                        decl: next(1).unwrap().start,
                    });
                }
                "import" => match next(1) {
                    Some(t) if t.is_ident(source, "option") && next(2).is_some_and(|s| s.is(Kind::Str)) => {
                        out.blanks.push(t.start..t.end);
                    }
                    Some(t) if t.is_ident(source, "weak") => out.errors.push(ctx.error(
                        t.start..t.end,
                        "weak import is not supported in edition 2024 and above. Consider using option import instead.",
                    )),
                    _ => {}
                },
                _ => {}
            }
        }
        at_statement_start = matches!(token.kind, Kind::Punct(b';' | b'{' | b'}'));
    }
    out
}

/// protoc's naming styles (`naming_style.cc`): `None` when `name` is fine, else why not.
fn title_case(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some("should be TitleCase");
    }
    if !name.as_bytes()[0].is_ascii_uppercase() {
        return Some("should begin with a capital letter");
    }
    None
}

fn bad_underscores(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && (b[0] == b'_'
            || b[b.len() - 1] == b'_'
            || b.windows(2)
                .any(|w| w[0] == b'_' && !w[1].is_ascii_alphabetic()))
}

fn lower_snake_case(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
    {
        return Some("should be lower_snake_case");
    }
    if !name.as_bytes()[0].is_ascii_lowercase() {
        return Some("should begin with a lower case letter");
    }
    bad_underscores(name).then_some("contains style violating underscores")
}

fn upper_snake_case(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Some("should be UPPER_SNAKE_CASE");
    }
    if !name.as_bytes()[0].is_ascii_uppercase() {
        return Some("should begin with an upper case letter");
    }
    bad_underscores(name).then_some("contains style violating underscores")
}

const NAMING_OPT_OUT: &str =
    " (features.enforce_naming_style = STYLE_LEGACY can be used to opt out of this check)";

/// The value of a 2024 core feature at `path` (inherited), else its 2024 default.
fn resolve_other<'o>(
    file: &FileDescriptorProto,
    others: &'o [(Vec<i32>, OtherFeatureSetting)],
    path: &[i32],
    name: &str,
    default: &'o str,
) -> &'o str {
    feature_chain(file, path)
        .iter()
        .find_map(|p| {
            others
                .iter()
                .find(|(q, s)| q == p && s.name == name)
                .map(|(_, s)| s.value.as_str())
        })
        .unwrap_or(default)
}

fn has_option(options: &[UninterpretedOption], name: &str) -> bool {
    options.iter().any(|o| option_name(&o.name) == name)
}

/// The checks of a lowered 2024 file, and its local symbols.
// long: one pass over the elements applying every 2024 rule (naming style, visibility, removed options) with shared per-file state
pub(super) fn check(
    post: &mut Post<'_, '_>,
    file: &FileDescriptorProto,
    elements: &[Elem],
    others: &[(Vec<i32>, OtherFeatureSetting)],
    scan: &Scan2024,
) -> Vec<LocalSymbol> {
    // Which element each keyword belongs to: the message / enum declared at its position.
    let mut keywords: HashMap<(i32, i32), Visibility> = HashMap::new();
    for k in &scan.keywords {
        let (line, col) = post.ctx.position(k.decl);
        keywords.insert((line as i32, col as i32), k.visibility);
    }
    let default_visibility = resolve_other(
        file,
        others,
        &[],
        "default_symbol_visibility",
        "EXPORT_TOP_LEVEL",
    )
    .to_owned();
    let mut local = Vec::new();
    for elem in elements {
        let nested = elem.path.len() > 2;
        let named = |what: &str, style: fn(&str) -> Option<&'static str>, name: &str| {
            style(name).map(|why| format!("{what} name {name} {why}{NAMING_OPT_OUT}"))
        };
        let style = resolve_other(
            file,
            others,
            &elem.path,
            "enforce_naming_style",
            "STYLE2024",
        );
        let checked = style == "STYLE2024";
        let mut name_error = None;
        match (elem.kind, elem_ref(file, &elem.path)) {
            (ElemKind::File, _) if checked && !file.package().is_empty() => {
                if let Some(msg) = named("Package", lower_snake_case, file.package()) {
                    post.error_at(file, &[2], msg);
                }
            }
            (ElemKind::Message | ElemKind::Enum, r) => {
                let (name, map_entry, kind) = match r {
                    Some(ElemRef::Message(m)) => (
                        m.name(),
                        m.options.as_ref().is_some_and(|o| o.map_entry()),
                        "message",
                    ),
                    Some(ElemRef::Enum(e)) => (e.name(), false, "enum"),
                    _ => continue,
                };
                if map_entry {
                    continue;
                }
                if checked {
                    let what = if kind == "message" { "Message" } else { "Enum" };
                    name_error = named(what, title_case, name);
                }
                let span = post.spans.get(&elem.path).copied().unwrap_or_default();
                let keyword = keywords.get(&(span[0], span[1])).copied();
                if keyword == Some(Visibility::Export) && nested && default_visibility == "STRICT" {
                    let namespaced = kind == "enum" && namespaced_enum(file, &elem.path);
                    if !namespaced {
                        post.error_at(
                            file,
                            &with(&elem.path, &[1]),
                            strict_violation(kind, &elem.scope),
                        );
                    }
                }
                let is_local = match keyword {
                    Some(v) => v == Visibility::Local,
                    None => match default_visibility.as_str() {
                        "EXPORT_ALL" => false,
                        "EXPORT_TOP_LEVEL" => nested,
                        _ => true,
                    },
                };
                if is_local {
                    local.push(LocalSymbol {
                        full_name: elem.scope.clone(),
                        explicit: keyword == Some(Visibility::Local),
                        default_visibility: default_visibility.clone(),
                    });
                }
            }
            (ElemKind::Field | ElemKind::Extension, Some(ElemRef::Field(f))) => {
                if checked {
                    name_error = named("Field", lower_snake_case, f.name());
                }
                if has_option(
                    f.options.as_ref().map_or(&[], |o| &o.uninterpreted_option),
                    "ctype",
                ) {
                    let at = [5, 6]
                        .into_iter()
                        .map(|t| with(&elem.path, &[t]))
                        .find(|p| post.spans.contains_key(p) || has_location(file, p))
                        .unwrap_or_else(|| elem.path.clone());
                    post.error_at(
                        file,
                        &at,
                        "ctype option is not allowed under edition 2024 and beyond. Use the feature string_type = VIEW|CORD|STRING|... instead.",
                    );
                }
            }
            (ElemKind::Oneof, Some(ElemRef::Oneof(o))) if checked => {
                name_error = named("Oneof", lower_snake_case, o.name());
            }
            (ElemKind::EnumValue, Some(ElemRef::EnumValue(v))) if checked => {
                name_error = named("Enum value", upper_snake_case, v.name());
            }
            (ElemKind::Service, Some(ElemRef::Service(s))) if checked => {
                name_error = named("Service", title_case, s.name());
            }
            (ElemKind::Method, Some(ElemRef::Method(m))) if checked => {
                name_error = named("Method", title_case, m.name());
            }
            _ => {}
        }
        if let Some(msg) = name_error {
            post.error_at(file, &with(&elem.path, &[1]), msg);
        }
    }
    // File options edition 2024 removed.
    if let Some(index) = file.options.as_ref().and_then(|o| {
        o.uninterpreted_option
            .iter()
            .position(|u| option_name(&u.name) == "java_multiple_files")
    }) {
        post.error_at(
            file,
            &[8, 999, index as i32],
            "google.protobuf.FileOptions.java_multiple_files has been removed in edition 2024: This behavior is enabled by default in editions 2024 and above. To disable it, you can set `features.(pb.java).nest_in_file_class = YES` on individual messages, enums, or services.",
        );
    }
    local
}

fn has_location(file: &FileDescriptorProto, path: &[i32]) -> bool {
    file.source_code_info
        .as_ref()
        .is_some_and(|sci| sci.location.iter().any(|l| l.path == path))
}

fn strict_violation(kind: &str, full_name: &str) -> String {
    if kind == "message" {
        format!("\"{full_name}\" is a nested message and cannot be `export` with STRICT default_symbol_visibility. It must be moved to top-level, ideally in its own file in order to be `export`.")
    } else {
        format!("\"{full_name}\" is a nested enum and cannot be marked `export` with STRICT default_symbol_visibility. It must be moved to top-level, ideally in its own file in order to be `export`. For C++ namespacing of enums in a messages use: `local message <OuterNamespace> {{ export enum {full_name} {{...}} reserved 1 to max; }}`")
    }
}

/// protoc's caveat: `local message Ns { export enum E {…} reserved 1 to max; }` at top level.
/// (The message is local here: STRICT makes an unmarked one local, and an `export` one is not
/// a namespace.)
fn namespaced_enum(file: &FileDescriptorProto, enum_path: &[i32]) -> bool {
    let parent = &enum_path[..enum_path.len() - 2];
    if parent.len() != 2 {
        return false;
    }
    let Some(ElemRef::Message(m)) = elem_ref(file, parent) else {
        return false;
    };
    matches!(m.reserved_range.as_slice(), [r] if r.start() == 1 && r.end() == 536_870_912)
}

/// Refuses a use of another file's local message or enum (protoc's `Symbol::IsVisibleFrom`):
/// field types, extendees, method input and output types. `files` are the lowered editions
/// files of the link, by name; `source` gives a file's text, to locate the error.
// long: one walk over every type reference of the pool (fields, extensions, methods) feeding one error list
pub fn check_visibility(
    pool: &DescriptorPool,
    files: &HashMap<String, super::super::EditionFile>,
    source: &dyn Fn(&str) -> Option<std::sync::Arc<str>>,
) -> Result<(), protox::Error> {
    let mut local: HashMap<&str, (&str, &LocalSymbol)> = HashMap::new();
    for (name, ed) in files {
        for symbol in &ed.local_symbols {
            local.insert(symbol.full_name.as_str(), (name.as_str(), symbol));
        }
    }
    if local.is_empty() {
        return Ok(());
    }
    // (file, element path, message)
    let mut errors: Vec<(String, Vec<i32>, String)> = Vec::new();
    let mut use_of = |from_file: &str, path: &[i32], target: &str, usage: &str| {
        if let Some(&(defined_in, symbol)) = local.get(target) {
            if defined_in != from_file {
                let reason = if symbol.explicit {
                    "It is explicitly marked 'local'".to_owned()
                } else {
                    format!(
                        "It defaulted to local from file-level 'option features.default_symbol_visibility = '{}';",
                        symbol.default_visibility
                    )
                };
                errors.push((
                    from_file.to_owned(),
                    path.to_vec(),
                    format!("Symbol \"{target}\", defined in \"{defined_in}\" {usage} is not visible from \"{from_file}\". {reason} and cannot be accessed outside its own file"),
                ));
            }
        }
    };
    let type_of = |kind: FieldKind| match kind {
        FieldKind::Message(m) => Some(m.full_name().to_owned()),
        FieldKind::Enum(e) => Some(e.full_name().to_owned()),
        _ => None,
    };
    for message in pool.all_messages() {
        let file = message.parent_file();
        for field in message.fields() {
            if let Some(target) = type_of(field.kind()) {
                // A map entry's fields are located at the map field.
                let path = match message.parent_message().filter(|_| message.is_map_entry()) {
                    Some(owner) => owner
                        .fields()
                        .find(|f| f.kind().as_message() == Some(&message))
                        .map_or_else(|| field.path().to_vec(), |f| f.path().to_vec()),
                    None => field.path().to_vec(),
                };
                use_of(file.name(), &path, &target, "");
            }
        }
    }
    for x in pool.all_extensions() {
        let file = x.parent_file();
        use_of(
            file.name(),
            x.path(),
            x.containing_message().full_name(),
            "target of extend",
        );
        if let Some(target) = type_of(x.kind()) {
            use_of(file.name(), x.path(), &target, "");
        }
    }
    for service in pool.services() {
        let file = service.parent_file();
        for m in service.methods() {
            use_of(file.name(), m.path(), m.input().full_name(), "");
            use_of(file.name(), m.path(), m.output().full_name(), "");
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort();
    errors.dedup();
    let located = errors
        .into_iter()
        .map(|(file, path, message)| locate(&file, &path, message, source))
        .collect();
    Err(into_protox(located))
}

/// An error at the element `path` of `file`, found by parsing the file again with source info.
fn locate(
    file: &str,
    path: &[i32],
    message: String,
    source: &dyn Fn(&str) -> Option<std::sync::Arc<str>>,
) -> LowerError {
    let Some(text) = source(file) else {
        return Ctx::new(file, "").error(0..0, message);
    };
    let ctx = Ctx::new(file, &text);
    let parsed = if super::detect_edition(&text).is_some() {
        super::lower(file, &text).ok().map(|l| l.file)
    } else {
        protox_parse::parse(file, &text).ok()
    };
    let range = parsed
        .and_then(|f| f.source_code_info)
        .and_then(|sci| sci.location.into_iter().find(|l| l.path == path))
        .map_or(0..0, |l| ctx.range_of(super::span4(&l.span)));
    ctx.error(range, message)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use crate::compile::{compile, read_dir_tree, SourceTree};

    fn tree(files: &[(&str, &str)]) -> SourceTree {
        let mut tree = SourceTree::default();
        for (name, text) in files {
            tree.files.insert((*name).to_owned(), Arc::from(*text));
        }
        tree
    }

    /// `file:line:column: message` of the error compiling `files`.
    fn error(files: &[(&str, &str)]) -> String {
        let err = compile(tree(files), "input").expect_err("must not compile");
        format!(
            "{}:{}:{}: {}",
            err.file.unwrap_or_default(),
            err.line.unwrap_or(0),
            err.column.unwrap_or(0),
            err.message
        )
    }

    const TYPES: &str = r#"edition = "2024";

package acme.a.v1;

message Outer {
  message Inner {
    string s = 1;
  }
  Inner inner = 1;
  Hidden hidden = 2;
}

local message Hidden {}

export enum Color {
  COLOR_UNSPECIFIED = 0;
}

message Open {
  export message Shared {}
}
"#;

    #[test]
    fn export_local_and_nested_types_follow_protoc_visibility() {
        let user = |field: &str| {
            format!(
                "edition = \"2024\";\n\npackage acme.b.v1;\n\nimport \"a.proto\";\n\nmessage User {{\n  {field} = 1;\n}}\n"
            )
        };
        // Top-level, exported and `export`-ed nested types are visible.
        for field in [
            "acme.a.v1.Outer outer",
            "acme.a.v1.Color color",
            "acme.a.v1.Open.Shared shared",
        ] {
            compile(
                tree(&[("a.proto", TYPES), ("b.proto", &user(field))]),
                "input",
            )
            .unwrap_or_else(|e| panic!("{field}: {e}"));
        }
        assert_eq!(
            error(&[("a.proto", TYPES), ("b.proto", &user("acme.a.v1.Outer.Inner inner"))]),
            "b.proto:8:3: Symbol \"acme.a.v1.Outer.Inner\", defined in \"a.proto\"  is not visible from \"b.proto\". It defaulted to local from file-level 'option features.default_symbol_visibility = 'EXPORT_TOP_LEVEL'; and cannot be accessed outside its own file"
        );
        assert_eq!(
            error(&[("a.proto", TYPES), ("b.proto", &user("acme.a.v1.Hidden hidden"))]),
            "b.proto:8:3: Symbol \"acme.a.v1.Hidden\", defined in \"a.proto\"  is not visible from \"b.proto\". It is explicitly marked 'local' and cannot be accessed outside its own file"
        );
        // A proto3 file cannot use them either; EXPORT_ALL makes nested types visible.
        let proto3 = "syntax = \"proto3\";\nimport \"a.proto\";\nservice S {\n  rpc Get(acme.a.v1.Outer.Inner) returns (acme.a.v1.Outer);\n}\n";
        assert!(error(&[("a.proto", TYPES), ("c.proto", proto3)])
            .starts_with("c.proto:4:3: Symbol \"acme.a.v1.Outer.Inner\""));
        let all = TYPES.replace(
            "package acme.a.v1;\n",
            "package acme.a.v1;\n\noption features.default_symbol_visibility = EXPORT_ALL;\n",
        );
        compile(tree(&[("a.proto", &all), ("c.proto", proto3)]), "input").unwrap();
    }

    #[test]
    fn strict_visibility_refuses_exported_nested_types_but_namespaced_enums() {
        let strict = "edition = \"2024\";\noption features.default_symbol_visibility = STRICT;\n";
        assert_eq!(
            error(&[("s.proto", &format!("{strict}message A {{\n  export message B {{}}\n}}\n"))]),
            "s.proto:4:18: \"A.B\" is a nested message and cannot be `export` with STRICT default_symbol_visibility. It must be moved to top-level, ideally in its own file in order to be `export`."
        );
        compile(
            tree(&[(
                "s.proto",
                &format!("{strict}local message Ns {{\n  export enum E {{\n    E_UNSPECIFIED = 0;\n  }}\n  reserved 1 to max;\n}}\n"),
            )]),
            "input",
        )
        .unwrap();
    }

    #[test]
    fn naming_style_is_enforced_unless_legacy() {
        let source = "edition = \"2024\";\n\npackage acme.Bad;\n\nmessage outer_thing {\n  string fooBar = 1;\n  oneof Choice {\n    int32 a = 2;\n  }\n}\n\nenum color {\n  unspecified = 0;\n}\n\nservice svc {\n  rpc get(outer_thing) returns (outer_thing);\n}\n";
        let err = compile(tree(&[("n.proto", source)]), "input").unwrap_err();
        assert_eq!((err.line, err.column), (Some(3), Some(1)));
        assert_eq!(err.message, "Package name acme.Bad should be lower_snake_case (features.enforce_naming_style = STYLE_LEGACY can be used to opt out of this check)");
        let legacy = source.replace(
            "package acme.Bad;\n",
            "package acme.Bad;\n\noption features.enforce_naming_style = STYLE_LEGACY;\n",
        );
        compile(tree(&[("n.proto", &legacy)]), "input").unwrap();
        // Inherited from the message, set back on a field.
        let mixed = "edition = \"2024\";\nmessage M {\n  option features.enforce_naming_style = STYLE_LEGACY;\n  string fooBar = 1;\n  string bazQux = 2 [features.enforce_naming_style = STYLE2024];\n}\n";
        assert_eq!(
            error(&[("m.proto", mixed)]),
            "m.proto:5:10: Field name bazQux should be lower_snake_case (features.enforce_naming_style = STYLE_LEGACY can be used to opt out of this check)"
        );
        for (name, why) in [
            ("a__b", "contains style violating underscores"),
            ("a_1", "contains style violating underscores"),
            ("_a", "should begin with a lower case letter"),
        ] {
            let s = format!("edition = \"2024\";\nmessage M {{\n  int32 {name} = 1;\n}}\n");
            assert!(error(&[("m.proto", &s)]).contains(why), "{name}");
        }
    }

    #[test]
    fn edition_2024_restrictions() {
        let cases = [
            (
                "import weak \"w.proto\";\n",
                "e.proto:2:8: weak import is not supported in edition 2024 and above. Consider using option import instead.",
            ),
            (
                "message M {\n  string s = 1 [ctype = CORD];\n}\n",
                "e.proto:3:3: ctype option is not allowed under edition 2024 and beyond. Use the feature string_type = VIEW|CORD|STRING|... instead.",
            ),
            (
                "option java_multiple_files = true;\n",
                "e.proto:2:1: google.protobuf.FileOptions.java_multiple_files has been removed in edition 2024",
            ),
            (
                "message M {\n  option features.default_symbol_visibility = LOCAL_ALL;\n}\n",
                "e.proto:3:3: Option google.protobuf.FeatureSet.default_symbol_visibility cannot be set on an entity of type `message`.",
            ),
            (
                "option features.enforce_naming_style = STYLE2026;\n",
                "e.proto:2:1: Enum type \"google.protobuf.FeatureSet.EnforceNamingStyle\" has no value named \"STYLE2026\"",
            ),
        ];
        for (body, expected) in cases {
            let source = format!("edition = \"2024\";\n{body}");
            let got = error(&[("e.proto", &source), ("w.proto", "syntax = \"proto3\";\n")]);
            assert!(got.starts_with(expected), "{body}: {got}");
        }
        // 2023 keeps refusing the 2024 features.
        let source = "edition = \"2023\";\noption features.enforce_naming_style = STYLE2024;\n";
        assert!(error(&[("e.proto", source)]).contains("wasn't introduced until edition 2024"));
    }

    #[test]
    fn option_imports_and_keywords_keep_positions() {
        let source = "edition = \"2024\";\n\npackage acme.o.v1;\n\nimport option \"google/protobuf/cpp_features.proto\";\n\nexport message M {\n  string s = 1 [features.(pb.cpp).string_type = CORD];\n}\n";
        let compiled = compile(tree(&[("o.proto", source)]), "input").unwrap();
        let ed = &compiled.editions["o.proto"];
        assert_eq!(ed.edition, "2024");
        let setting = &ed.features[&vec![4, 0, 2, 0]][0];
        assert_eq!(setting.value, "CORD");
        assert_eq!(setting.span[0], 7);
        assert!(ed.local_symbols.is_empty());
    }

    #[test]
    fn a_tree_with_its_own_feature_files_compiles() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compile/own_feature_files");
        let compiled = compile(read_dir_tree(&root).unwrap(), "input").unwrap();
        let ed = &compiled.editions["acme/app/v1/app.proto"];
        assert_eq!(ed.edition, "2024");
        assert!(compiled
            .pool
            .get_message_by_name("pb.CppFeatures")
            .is_some());
        assert!(compiled
            .targets
            .iter()
            .any(|t| t == "google/protobuf/go_features.proto"));
    }
}
