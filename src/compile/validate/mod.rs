//! Descriptor validation of our own: what protoc's `DescriptorBuilder` (and its parser's few
//! semantic checks, and the C++ generator's feature checks) refuse, but protox 0.10 links.
//!
//! Runs over a successfully linked pool (`Compiled`), file by file in the pool's dependency
//! order, skipping the well-known types protox bundles. Each check is cheap and reads the
//! prost-types descriptors the pool keeps; the few checks that need options prost-types 0.14
//! cannot represent (`features` in proto2/proto3 files, `unverified_lazy`, extension
//! declarations) decode the file's descriptor dynamically, only when the file's source text
//! mentions them. Source info was dropped before linking, so a refusal re-parses its one file
//! to locate the error (see `locate`).
//!
//! The reference is protoc 36.2 (`src/google/protobuf/descriptor.cc`, `compiler/parser.cc`,
//! `compiler/cpp/generator.cc`); docs/PARITY.md ("Acceptance") lists every check, and
//! fixtures/compile/ holds a case for each with protoc's recorded verdict.

mod checks;
mod locate;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use prost_reflect::DescriptorPool;

use super::editions::{self, Feature, FeatureSetting};
use super::{CompileError, Compiled, EditionFile};

/// Where protoc points an error, relative to an element (its descriptor path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum At {
    /// The element's name.
    Name,
    /// The field's number.
    Number,
    /// The field's type token.
    Type,
    /// The extension's extendee (`extend X`).
    Extendee,
    /// The field's `json_name` option.
    JsonName,
    /// An option by name in the element's uninterpreted options (`options_tag` is the
    /// element's options field number).
    Option {
        options_tag: i32,
        name: &'static str,
    },
    /// A span known up front (a lifted editions feature).
    Span([i32; 4]),
    /// Import statement `i` of the file.
    Import(i32),
    /// The `syntax` / `edition` statement.
    Syntax,
    /// The element itself (a range, a statement).
    Element,
    /// The first token after the element (protoc's parser reports its enum checks there).
    After,
}

/// One refusal: file, element path, where on the element, protoc's message.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub file: String,
    pub path: Vec<i32>,
    pub at: At,
    pub message: String,
}

/// Validates every file of the pool that does not come from protox's bundled well-known
/// types; the first refusal becomes a located `CompileError`.
pub fn check(compiled: &Compiled, side: &str) -> Result<(), Box<CompileError>> {
    let mut ctx = Ctx {
        compiled,
        sources: HashMap::new(),
        lowered: HashMap::new(),
        mentioned: HashMap::new(),
        decoded: HashMap::new(),
    };
    for file in compiled.pool.files() {
        let name = file.name().to_owned();
        if is_bundled(&name) {
            continue;
        }
        let mut issues = Vec::new();
        checks::check_file(&mut ctx, &file, &mut issues);
        if !issues.is_empty() {
            return Err(Box::new(locate::locate(&mut ctx, side, issues)));
        }
    }
    Ok(())
}

/// `google/protobuf/*` files served by protox's `GoogleFileResolver` (resolved before the tree).
fn is_bundled(name: &str) -> bool {
    const BUNDLED: &[&str] = &[
        "google/protobuf/any.proto",
        "google/protobuf/api.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/empty.proto",
        "google/protobuf/field_mask.proto",
        "google/protobuf/source_context.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/type.proto",
        "google/protobuf/wrappers.proto",
        "google/protobuf/compiler/plugin.proto",
    ];
    BUNDLED.contains(&name)
}

/// What the checks share: the compiled side, file sources read on demand, editions files
/// lowered again on demand (for feature settings `EditionFile` does not keep).
pub(crate) struct Ctx<'a> {
    pub compiled: &'a Compiled,
    sources: HashMap<String, Option<Arc<str>>>,
    lowered: HashMap<String, Option<Arc<editions::Lowered>>>,
    /// Text filters already answered, by (file, word): files can be megabytes.
    mentioned: HashMap<String, (u32, u32)>,
    /// Files decoded dynamically (all their options), by name.
    decoded: HashMap<String, Option<Arc<prost_reflect::DynamicMessage>>>,
}

impl Ctx<'_> {
    pub fn pool(&self) -> &DescriptorPool {
        &self.compiled.pool
    }

    /// The file's text: from the tree, else from the include directories.
    pub fn source(&mut self, name: &str) -> Option<Arc<str>> {
        let tree = &self.compiled.tree;
        if let Some(s) = tree.files.get(name).or_else(|| tree.imports.get(name)) {
            return Some(s.clone());
        }
        self.sources
            .entry(name.to_owned())
            .or_insert_with(|| {
                tree.includes.iter().find_map(|dir| {
                    let bytes = std::fs::read(dir.join(name)).ok()?;
                    String::from_utf8(bytes).ok().map(Arc::from)
                })
            })
            .clone()
    }

    /// The editions file's features, if the file is an editions file. Files from include
    /// directories are lowered here (the compile step keeps features for tree files only).
    pub fn edition(&mut self, name: &str) -> Option<EditionInfo> {
        if let Some(ed) = self.compiled.editions.get(name) {
            return Some(EditionInfo::from_file(ed));
        }
        if self.compiled.tree.files.contains_key(name) {
            return None;
        }
        let lowered = self.lowered(name)?;
        let mut features: HashMap<Vec<i32>, Vec<FeatureSetting>> = HashMap::new();
        for (path, setting) in &lowered.features {
            features
                .entry(path.clone())
                .or_default()
                .push(setting.clone());
        }
        Some(EditionInfo { features })
    }

    /// The editions front-end's output for an editions file (None for other files).
    pub fn lowered(&mut self, name: &str) -> Option<Arc<editions::Lowered>> {
        if let Some(l) = self.lowered.get(name) {
            return l.clone();
        }
        let source = self.source(name);
        let lowered = source
            .filter(|s| editions::detect_edition(s).is_some())
            .and_then(|s| editions::lower(name, &s).ok())
            .map(Arc::new);
        self.lowered.insert(name.to_owned(), lowered.clone());
        lowered
    }

    /// Whether the file's text contains `word` (one of [`WORDS`]; an unreadable file: assume
    /// it does).
    pub fn mentions(&mut self, name: &str, word: &'static str) -> bool {
        let bit = word_bit(word);
        self.scan(name).0 & bit != 0
    }

    /// Whether the file's text may set option `word` (one of [`WORDS`]): the whole word,
    /// followed by `.name` / `.(ext)` right away, or by `=` and a value that is not a field
    /// number (`string declaration = 5;` is a field), or by `{`. A cheap filter in front of
    /// decoding a file's options dynamically.
    pub fn mentions_option(&mut self, name: &str, word: &'static str) -> bool {
        let bit = word_bit(word);
        self.scan(name).1 & bit != 0
    }

    /// The file's descriptor decoded dynamically against protox's descriptor.proto (options
    /// prost-types 0.14 drops included), cached.
    pub fn decoded(
        &mut self,
        file: &prost_reflect::FileDescriptor,
    ) -> Option<Arc<prost_reflect::DynamicMessage>> {
        self.decoded
            .entry(file.name().to_owned())
            .or_insert_with(|| {
                let desc = descriptor_pool()?
                    .get_message_by_name("google.protobuf.FileDescriptorProto")?;
                prost_reflect::DynamicMessage::decode(desc, file.encode_to_vec().as_slice())
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }

    /// (words present, words that look like options), one pass over the file, cached.
    fn scan(&mut self, name: &str) -> (u32, u32) {
        if let Some(&v) = self.mentioned.get(name) {
            return v;
        }
        let v = match self.source(name) {
            None => (u32::MAX, u32::MAX),
            Some(source) => scan_words(&source),
        };
        self.mentioned.insert(name.to_owned(), v);
        v
    }
}

/// The words the checks filter files on.
pub(crate) const WORDS: [&str; 7] = [
    "features",
    "unverified_lazy",
    "declaration",
    "verification",
    "deprecated_legacy_json_field_conflicts",
    "map_entry",
    "legacy_closed_enum",
];

fn word_bit(word: &str) -> u32 {
    WORDS
        .iter()
        .position(|w| *w == word)
        .map_or(u32::MAX, |i| 1 << i)
}

fn scan_words(source: &str) -> (u32, u32) {
    static FINDERS: OnceLock<Vec<memchr::memmem::Finder<'static>>> = OnceLock::new();
    let finders = FINDERS.get_or_init(|| WORDS.iter().map(memchr::memmem::Finder::new).collect());
    let bytes = source.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let (mut any, mut option) = (0u32, 0u32);
    let hits = finders.iter().enumerate().flat_map(|(i, f)| {
        f.find_iter(bytes)
            .map(move |start| (i, start, start + WORDS[i].len()))
    });
    for (i, start, end) in hits {
        let bit = 1u32 << i;
        any |= bit;
        if option & bit != 0 || (start > 0 && ident(bytes[start - 1])) {
            continue;
        }
        let rest = &bytes[end..];
        let after = rest.iter().position(|b| !b.is_ascii_whitespace());
        let looks_like_option = match after.map(|i| (rest[i], i)) {
            Some((b'.', 0)) => rest
                .get(1)
                .is_some_and(|&b| b == b'(' || b.is_ascii_alphabetic() || b == b'_'),
            Some((b'=', i)) => rest[i + 1..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| !b.is_ascii_digit() && b != b'-'),
            Some((b'{', _)) => true,
            _ => false,
        };
        if looks_like_option {
            option |= bit;
        }
    }
    (any, option)
}

/// Explicit editions features of one file, by element path.
#[derive(Debug, Clone)]
pub(crate) struct EditionInfo {
    pub features: HashMap<Vec<i32>, Vec<FeatureSetting>>,
}

impl EditionInfo {
    fn from_file(ed: &EditionFile) -> EditionInfo {
        EditionInfo {
            features: ed.features.clone(),
        }
    }

    pub fn explicit(&self, path: &[i32], feature: Feature) -> Option<&FeatureSetting> {
        self.features
            .get(path)?
            .iter()
            .find(|s| s.feature == feature)
    }

    /// The resolved value: the element, then (for a oneof member) its oneof, then each
    /// enclosing message / enum, then the file, then the edition's default.
    pub fn resolve(&self, path: &[i32], oneof: Option<i32>, feature: Feature) -> String {
        if let Some(s) = self.explicit(path, feature) {
            return s.value.clone();
        }
        let mut scope = path.to_vec();
        if let (Some(index), true) = (oneof, scope.len() >= 2) {
            let mut o = scope[..scope.len() - 2].to_vec();
            o.extend([8, index]);
            if let Some(s) = self.explicit(&o, feature) {
                return s.value.clone();
            }
        }
        while scope.len() >= 2 {
            scope.truncate(scope.len() - 2);
            if let Some(s) = self.explicit(&scope, feature) {
                return s.value.clone();
            }
        }
        feature.edition_2023_default().to_owned()
    }
}

/// descriptor.proto as protox interprets options against it, for decoding options that
/// prost-types 0.14 has no fields for.
pub(crate) fn descriptor_pool() -> Option<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut compiler =
            protox::Compiler::with_file_resolver(protox::file::GoogleFileResolver::new());
        compiler.include_imports(true);
        compiler
            .open_file("google/protobuf/descriptor.proto")
            .ok()?;
        Some(compiler.descriptor_pool())
    })
    .as_ref()
}

#[cfg(test)]
mod tests;
