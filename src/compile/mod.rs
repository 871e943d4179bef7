//! Compiling a source tree into a descriptor pool with protox, without protoc.
//!
//! Owns: import resolution order (the tree itself first, then the bundled `google/protobuf/*`,
//! then dependency files, then extra include directories), the editions front-end hook, parallel parsing, and turning
//! compiler errors into located diagnostics. It does not know about rules or configuration.

pub mod diagnostic;
pub mod editions;
pub mod limits;
pub mod series;
pub mod validate;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::DescriptorPool;
use protox::file::{File, FileResolver, GoogleFileResolver};

pub use diagnostic::CompileError;

/// The .proto files of one side of a comparison, keyed by their import path.
#[derive(Debug, Clone, Default)]
pub struct SourceTree {
    /// Import path (relative to the module root, `/`-separated) to file contents.
    pub files: BTreeMap<String, Arc<str>>,
    /// Extra include directories for imports that are not in the tree.
    pub includes: Vec<PathBuf>,
    /// Import-only files (dependencies' files, by import path): never targets, searched after
    /// the tree and the bundled well-known types, before `includes`.
    pub imports: Arc<BTreeMap<String, Arc<str>>>,
}

/// Features set explicitly in an editions file, by element path.
#[derive(Debug, Clone, Default)]
pub struct EditionFile {
    pub edition: String,
    pub features: HashMap<Vec<i32>, Vec<editions::FeatureSetting>>,
    /// Edition 2024: messages and enums other files may not use (checked after linking).
    pub local_symbols: Vec<editions::LocalSymbol>,
}

/// The compiled form of one side.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub pool: DescriptorPool,
    /// Target files (every file of the tree), sorted.
    pub targets: Vec<String>,
    pub tree: Arc<SourceTree>,
    /// Editions files and the features they set, by file name.
    pub editions: HashMap<String, EditionFile>,
}

/// Parsed (not yet linked) files, ready to hand to protox.
struct Parsed {
    files: HashMap<String, FileDescriptorProto>,
    editions: HashMap<String, EditionFile>,
}

/// The text to parse: a UTF-8 byte order mark (which protoc skips) becomes three spaces, so
/// every byte offset and line stays where it was.
pub fn without_bom(source: &str) -> Cow<'_, str> {
    match source.strip_prefix('\u{feff}') {
        Some(rest) => Cow::Owned(format!("   {rest}")),
        None => Cow::Borrowed(source),
    }
}

/// The text of a .proto file read from disk. protoc reads bytes: a Latin-1 byte in a comment
/// or a string is fine with it. Valid UTF-8 is taken as is; otherwise each byte that is not
/// part of a UTF-8 sequence is read as the Latin-1 character it encodes (one character per
/// byte, so lines and columns stay where they were), and the parser locates any that ends up
/// outside a comment or a string.
pub fn source_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let bytes = e.into_bytes();
            let mut out = String::with_capacity(bytes.len() + 16);
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                out.extend(chunk.invalid().iter().map(|&b| char::from(b)));
            }
            out
        }
    }
}

/// The first byte of `bytes` that is not UTF-8, as `line:column: byte 0xNN` (column in
/// bytes), for an error that says where it is.
pub fn utf8_error_place(bytes: &[u8]) -> Option<String> {
    let at = std::str::from_utf8(bytes).err()?.valid_up_to();
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = at
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    Some(format!("{line}:{col}: byte {:#04x}", bytes[at]))
}

/// The package limits (see [`limits`]) on a parsed file, located at its package statement.
fn check_parsed(name: &str, source: &str, file: &FileDescriptorProto) -> Result<(), protox::Error> {
    match limits::check_package(file.package()) {
        Ok(()) => Ok(()),
        Err(why) => {
            let at = source.find("package").unwrap_or(0);
            Err(limits::located(name, source, at..at + 7, why))
        }
    }
}

fn parse_one(
    name: &str,
    source: &str,
    keep_source_info: bool,
) -> Result<(FileDescriptorProto, Option<EditionFile>), protox::Error> {
    let unmarked = without_bom(source);
    let source = &*unmarked;
    limits::check_source(name, source)?;
    if editions::detect_edition(source).is_some() {
        let lowered = editions::lower(name, source)?;
        let mut features: HashMap<Vec<i32>, Vec<editions::FeatureSetting>> = HashMap::new();
        for (path, setting) in lowered.features {
            features.entry(path).or_default().push(setting);
        }
        let mut file = lowered.file;
        check_parsed(name, source, &file)?;
        if !keep_source_info {
            file.source_code_info = None;
        }
        return Ok((
            file,
            Some(EditionFile {
                edition: lowered.edition,
                features,
                local_symbols: lowered.local_symbols,
            }),
        ));
    }
    let mut file = protox_parse::parse(name, source).map_err(protox::Error::from)?;
    check_parsed(name, source, &file)?;
    if !keep_source_info {
        file.source_code_info = None;
    }
    Ok((file, None))
}

type ParseResult = Result<(FileDescriptorProto, Option<EditionFile>), protox::Error>;

/// Parses files on all cores. Source info is dropped: spans are recomputed lazily, only for
/// files where a finding lands (see `model::spans`).
fn parse_all(entries: &[(&str, &str)]) -> Vec<ParseResult> {
    // A handful of files parse faster than threads start.
    if entries.len() < 16 {
        return entries
            .iter()
            .map(|(name, source)| parse_one(name, source, false))
            .collect();
    }
    let threads = crate::parallelism().min(entries.len().max(1));
    let chunk = entries.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(name, source)| parse_one(name, source, false))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("parser thread panicked"))
            .collect()
    })
}

fn collect_parsed<'a>(
    results: impl Iterator<Item = (&'a str, ParseResult)>,
) -> Result<Parsed, protox::Error> {
    let mut parsed = Parsed {
        files: HashMap::new(),
        editions: HashMap::new(),
    };
    for (name, result) in results {
        let (fdp, ed) = result?;
        if let Some(ed) = ed {
            parsed.editions.insert(name.to_owned(), ed);
        }
        parsed.files.insert(name.to_owned(), fdp);
    }
    Ok(parsed)
}

fn parse_tree(tree: &SourceTree) -> Result<Parsed, protox::Error> {
    let entries: Vec<(&str, &str)> = tree.files.iter().map(|(n, s)| (n.as_str(), &**s)).collect();
    let results = parse_all(&entries);
    collect_parsed(entries.iter().map(|e| e.0).zip(results))
}

/// Resolves imports: the tree first (a module's own file wins, also at a well-known type's
/// path), then the bundled well-known types, then dependency files, then include dirs.
struct Resolver {
    google: GoogleFileResolver,
    tree: Arc<SourceTree>,
    /// Pre-parsed tree files; `None` in the slow path that keeps sources for diagnostics.
    parsed: Option<std::sync::Mutex<HashMap<String, FileDescriptorProto>>>,
}

impl Resolver {
    fn open_source(&self, name: &str, source: &str) -> Result<File, protox::Error> {
        let keep_sources = self.parsed.is_none();
        if keep_sources && editions::detect_edition(source).is_none() {
            let unmarked = without_bom(source);
            let source = &*unmarked;
            limits::check_source(name, source)?;
            let file = File::from_source(name, source)?;
            check_parsed(name, source, file.file_descriptor_proto())?;
            return Ok(file);
        }
        let (fdp, _) = parse_one(name, source, keep_sources)?;
        Ok(File::from_file_descriptor_proto(fdp))
    }
}

/// protox's bundled `descriptor.proto` (prost-reflect's, from early 2023) with what the
/// language feature files of protoc 27+ / buf 1.75 need to link when a tree carries its own
/// `google/protobuf/{cpp,java,go}_features.proto`: the `Edition` values `EDITION_LEGACY`,
/// `EDITION_2024`, `EDITION_UNSTABLE` and `EDITION_MAX`, `feature_support` on field and enum
/// value options, and
/// `FeatureSet` extension numbers 1000 to 10000 (`pb.go` is 1002). Only additions: every
/// descriptor that linked against the bundled copy links the same way against this one.
// long: one literal description of the additions to descriptor.proto; splitting scatters the patch
fn descriptor_proto() -> &'static FileDescriptorProto {
    use prost_reflect::prost_types::{
        descriptor_proto::ExtensionRange, field_descriptor_proto::Label,
        field_descriptor_proto::Type, DescriptorProto, EnumValueDescriptorProto,
        FieldDescriptorProto,
    };
    static PATCHED: std::sync::OnceLock<FileDescriptorProto> = std::sync::OnceLock::new();
    PATCHED.get_or_init(|| {
        let mut file = GoogleFileResolver::new()
            .open_file("google/protobuf/descriptor.proto")
            .expect("descriptor.proto is bundled")
            .file_descriptor_proto()
            .clone();
        if let Some(e) = file.enum_type.iter_mut().find(|e| e.name() == "Edition") {
            for (name, number) in [
                ("EDITION_LEGACY", 900),
                ("EDITION_2024", 1001),
                ("EDITION_UNSTABLE", 9999),
                ("EDITION_MAX", i32::MAX),
            ] {
                if !e
                    .value
                    .iter()
                    .any(|v| v.number() == number || v.name() == name)
                {
                    e.value.push(EnumValueDescriptorProto {
                        name: Some(name.to_owned()),
                        number: Some(number),
                        options: None,
                    });
                }
            }
        }
        let field =
            |name: &str, number: i32, ty: Type, type_name: Option<&str>| FieldDescriptorProto {
                name: Some(name.to_owned()),
                number: Some(number),
                label: Some(Label::Optional as i32),
                r#type: Some(ty as i32),
                type_name: type_name.map(str::to_owned),
                json_name: Some(to_json_name(name)),
                ..Default::default()
            };
        for m in &mut file.message_type {
            match m.name() {
                "FieldOptions" if !m.field.iter().any(|f| f.name() == "feature_support") => {
                    let edition = Some(".google.protobuf.Edition");
                    m.nested_type.push(DescriptorProto {
                        name: Some("FeatureSupport".to_owned()),
                        field: vec![
                            field("edition_introduced", 1, Type::Enum, edition),
                            field("edition_deprecated", 2, Type::Enum, edition),
                            field("deprecation_warning", 3, Type::String, None),
                            field("edition_removed", 4, Type::Enum, edition),
                            field("removal_error", 5, Type::String, None),
                        ],
                        ..Default::default()
                    });
                    m.field.push(field(
                        "feature_support",
                        22,
                        Type::Message,
                        Some(".google.protobuf.FieldOptions.FeatureSupport"),
                    ));
                }
                "EnumValueOptions" if !m.field.iter().any(|f| f.name() == "feature_support") => {
                    m.field.push(field(
                        "feature_support",
                        4,
                        Type::Message,
                        Some(".google.protobuf.FieldOptions.FeatureSupport"),
                    ));
                }
                "FeatureSet" => {
                    let range = |start: i32, end: i32| ExtensionRange {
                        start: Some(start),
                        end: Some(end),
                        options: None,
                    };
                    m.extension_range =
                        vec![range(1000, 9995), range(9995, 10000), range(10000, 10001)];
                }
                _ => {}
            }
        }
        file
    })
}

/// protoc's default JSON name of a field (`foo_bar` → `fooBar`).
pub(crate) fn to_json_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

impl FileResolver for Resolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        // A file of the tree is the module's own, even at a well-known type's path: it is
        // compiled and compared like any other (a module that owns `google/protobuf/*`).
        if let Some(parsed) = &self.parsed {
            if let Some(fdp) = parsed.lock().unwrap().remove(name) {
                return Ok(File::from_file_descriptor_proto(fdp));
            }
        }
        if let Some(source) = self.tree.files.get(name) {
            return self.open_source(name, source);
        }
        if name == "google/protobuf/descriptor.proto" {
            return Ok(File::from_file_descriptor_proto(descriptor_proto().clone()));
        }
        if name.starts_with("google/protobuf/") {
            if let Ok(file) = self.google.open_file(name) {
                return Ok(file);
            }
        }
        if let Some(source) = self.tree.imports.get(name) {
            return self.open_source(name, source);
        }
        for include in &self.tree.includes {
            let path = include.join(name);
            if path.is_file() {
                let bytes = std::fs::read(&path).map_err(protox::Error::new)?;
                return self.open_source(name, &source_text(bytes));
            }
        }
        Err(protox::Error::file_not_found(name))
    }
}

/// Links `targets` (every file of the tree when `None`); imports come from `parsed` first.
fn link(
    tree: &Arc<SourceTree>,
    parsed: Option<Parsed>,
    targets: Option<Vec<String>>,
) -> Result<Compiled, protox::Error> {
    let (files, editions) = match parsed {
        Some(p) => (Some(std::sync::Mutex::new(p.files)), p.editions),
        None => (None, HashMap::new()),
    };
    let resolver = Resolver {
        google: GoogleFileResolver::new(),
        tree: tree.clone(),
        parsed: files,
    };
    let targets: Vec<String> = targets.unwrap_or_else(|| tree.files.keys().cloned().collect());
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler.include_source_info(false);
    for name in &targets {
        compiler.open_file(name)?;
    }
    let pool = compiler.descriptor_pool();
    // Edition 2024 symbol visibility needs the linked pool (cheap when no file has local symbols).
    editions::check_visibility(&pool, &editions, &|name| read_source(tree, name))?;
    Ok(Compiled {
        pool,
        targets,
        tree: tree.clone(),
        editions,
    })
}

/// The text of a tree file or of a file in an include directory.
fn read_source(tree: &SourceTree, name: &str) -> Option<Arc<str>> {
    if let Some(text) = tree.files.get(name).or_else(|| tree.imports.get(name)) {
        return Some(text.clone());
    }
    tree.includes
        .iter()
        .find_map(|dir| std::fs::read_to_string(dir.join(name)).ok())
        .map(Arc::from)
}

fn trace(side: &str, what: &str, since: std::time::Instant) {
    if crate::trace::enabled() {
        crate::trace::since(&format!("{side}: {what}"), since);
    }
}

/// Links a parsed tree; on failure compiles again keeping sources, so the error carries its
/// file, line and column.
fn finish(
    tree: Arc<SourceTree>,
    parsed: Result<Parsed, protox::Error>,
    targets: Option<Vec<String>>,
    side: &str,
) -> Result<Compiled, Box<CompileError>> {
    let t = std::time::Instant::now();
    if let Ok(parsed) = &parsed {
        // protox opens imports recursively: refuse absurd chains before it starts.
        let files = &parsed.files;
        let deps = |n: &str| files.get(n).map(|f| f.dependency.as_slice());
        if let Err((file, depth)) = limits::import_depth(files.keys().map(String::as_str), deps) {
            let err = limits::import_depth_error(&file, depth);
            return Err(Box::new(CompileError::from_protox(side, &err, &tree)));
        }
    }
    let fast =
        on_link_stack(|| parsed.and_then(|parsed| link(&tree, Some(parsed), targets.clone())));
    trace(side, "link", t);
    let compiled = fast.map_err(|_| {
        let err = match on_link_stack(|| link(&tree, None, targets.clone())) {
            Ok(_) => fast_error_again(&tree),
            Err(err) => err,
        };
        Box::new(CompileError::from_protox(side, &err, &tree))
    })?;
    // What protoc refuses and protox links (see `validate`).
    let t = std::time::Instant::now();
    validate::check(&compiled, side)?;
    trace(side, "validate", t);
    Ok(compiled)
}

/// The stack linking runs on. protox opens imports recursively, a few kilobytes of stack per
/// level of an import chain, and a chain of [`limits::MAX_IMPORT_DEPTH`] files has to link
/// (protoc compiles 10,000). Only the pages used are ever touched.
const LINK_STACK: usize = 512 << 20;

thread_local! {
    /// Whether this thread was started with a [`LINK_STACK`]-sized stack.
    static ON_LINK_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on a thread with a [`LINK_STACK`]-sized stack (on this thread when no such
/// thread can be started, e.g. under a strict overcommit policy).
fn on_link_stack<T: Send, F: FnOnce() -> T + Send>(f: F) -> T {
    if ON_LINK_STACK.get() {
        return f();
    }
    let slot = std::sync::Mutex::new(Some(f));
    let out = std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name("link".to_owned())
            .stack_size(LINK_STACK)
            .spawn_scoped(s, || {
                ON_LINK_STACK.set(true);
                slot.lock().ok()?.take().map(|f| f())
            });
        match thread {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        }
    });
    match out {
        Some(v) => v,
        None => {
            let f = slot.into_inner().ok().flatten();
            f.expect("the link closure runs once")()
        }
    }
}

/// Compiles every file of the tree. `side` names the tree in errors ("input", "against").
pub fn compile(tree: SourceTree, side: &str) -> Result<Compiled, Box<CompileError>> {
    let t = std::time::Instant::now();
    let parsed = parse_tree(&tree);
    trace(side, "parse", t);
    finish(Arc::new(tree), parsed, None, side)
}

/// Compiles `targets` of a tree and only what they import: the rest of the tree is there for
/// imports and is never parsed (a contract repository compiled for a few vendored files).
pub fn compile_targets(
    tree: SourceTree,
    targets: Vec<String>,
    side: &str,
) -> Result<Compiled, Box<CompileError>> {
    let t = std::time::Instant::now();
    // Parse the targets, then what they import from the tree, level by level (imports need
    // their edition features too).
    let mut results: Vec<(&str, ParseResult)> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut level: Vec<(&str, &str)> = targets
        .iter()
        .filter_map(|n| tree.files.get_key_value(n.as_str()))
        .filter(|(n, _)| seen.insert(n.as_str()))
        .map(|(n, s)| (n.as_str(), &**s))
        .collect();
    while !level.is_empty() {
        let parsed = parse_all(&level);
        let mut next = Vec::new();
        for ((name, _), result) in level.iter().zip(parsed) {
            if let Ok((fdp, _)) = &result {
                for dep in &fdp.dependency {
                    if let Some((n, s)) = tree.files.get_key_value(dep.as_str()) {
                        if seen.insert(n.as_str()) {
                            next.push((n.as_str(), &**s));
                        }
                    }
                }
            }
            results.push((name, result));
        }
        level = next;
    }
    let parsed = collect_parsed(results.into_iter());
    trace(side, "parse", t);
    drop(seen);
    finish(Arc::new(tree), parsed, Some(targets), side)
}

/// The second side of a pair, compiled incrementally.
pub struct Incremental {
    /// A compilation of the files that changed (and the files that import them).
    pub compiled: Compiled,
    /// Files equal to the first side's whose imports are all unchanged too: their model is the
    /// first side's.
    pub unchanged: Vec<String>,
}

/// Compiles two versions of a tree. The first is compiled whole. Of the second, only what
/// changed is parsed and linked: a file with the same path and content as in the first, all of
/// whose imports are unchanged too, compiles to the same thing and is not compiled again. Both
/// links run on their own threads.
// long: the incremental plan's steps (parse, unchanged memo, relink set, needed files) share borrowed maps; helpers would pass a dozen borrows
pub fn compile_pair(
    (a, a_side): (SourceTree, &str),
    (b, b_side): (SourceTree, &str),
) -> (
    Result<Compiled, Box<CompileError>>,
    Result<Incremental, Box<CompileError>>,
) {
    let t = std::time::Instant::now();
    let mut entries: Vec<(&str, &str)> = a.files.iter().map(|(n, s)| (n.as_str(), &**s)).collect();
    let a_count = entries.len();
    // Second-side files with the same path and content as on the first side.
    let mut same: std::collections::HashSet<&str> = std::collections::HashSet::new();
    // Imports from outside the tree resolve the same way on both sides only when both have
    // the same dependency files; otherwise every file of the second side is linked again.
    let same_imports = Arc::ptr_eq(&a.imports, &b.imports) || a.imports == b.imports;
    for (name, text) in &b.files {
        if same_imports && a.files.get(name).is_some_and(|t| **t == **text) {
            same.insert(name.as_str());
        } else {
            entries.push((name.as_str(), &**text));
        }
    }
    let mut results = parse_all(&entries);
    trace("both", "parse", t);
    let t = std::time::Instant::now();
    let b_own: HashMap<&str, ParseResult> = entries[a_count..]
        .iter()
        .map(|e| e.0)
        .zip(results.drain(a_count..))
        .collect();
    let a_results: HashMap<&str, ParseResult> = entries[..a_count]
        .iter()
        .map(|e| e.0)
        .zip(results)
        .collect();

    // Imports of a second-side file, as parsed.
    let deps = |name: &str| -> Option<&Vec<String>> {
        let r = b_own.get(name).or_else(|| a_results.get(name))?;
        r.as_ref().ok().map(|(fdp, _)| &fdp.dependency)
    };
    // unchanged(f): same content as in the first side, and every import inside the tree
    // unchanged too (imports from outside the tree resolve the same way on both sides).
    let mut memo: HashMap<&str, bool> = HashMap::new();
    let mut relink: Vec<String> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for name in b.files.keys() {
        if unchanged(name, &b, &same, &deps, &mut memo) {
            kept.push(name.clone());
        } else {
            relink.push(name.clone());
        }
    }
    // The second side's link needs its changed files and what they import from the tree.
    let needed = needed_for(&relink, &b, &deps);
    let mut b_own = b_own;
    let b_parsed = collect_parsed(needed.iter().map(String::as_str).map(|name| {
        let r = b_own
            .remove(name)
            .unwrap_or_else(|| match &a_results[name] {
                Ok((fdp, ed)) => Ok((fdp.clone(), ed.clone())),
                Err(_) => Err(protox::Error::new("shared file failed to parse")),
            });
        (name, r)
    }));
    let a_parsed = collect_parsed(a_results.into_iter());
    trace(
        "both",
        &format!(
            "plan ({} of {} second-side files to link)",
            relink.len(),
            b.files.len()
        ),
        t,
    );
    let (a, b) = (Arc::new(a), Arc::new(b));
    std::thread::scope(|s| {
        // Both links on threads with the link stack (no third thread per link).
        let link_thread = || {
            std::thread::Builder::new()
                .name("link".to_owned())
                .stack_size(LINK_STACK)
        };
        let ha = link_thread()
            .spawn_scoped(s, || {
                ON_LINK_STACK.set(true);
                finish(a.clone(), a_parsed, None, a_side)
            })
            .expect("cannot start a link thread");
        let hb = link_thread()
            .spawn_scoped(s, || {
                ON_LINK_STACK.set(true);
                finish(b.clone(), b_parsed, Some(relink), b_side)
            })
            .expect("cannot start a link thread");
        (
            ha.join().expect("link thread"),
            hb.join().expect("link thread").map(|compiled| Incremental {
                compiled,
                unchanged: kept,
            }),
        )
    })
}

/// unchanged(f): same content as in the first side, and every import inside the tree
/// unchanged too. Depth-first without recursion (import chains can be thousands of files long).
fn unchanged<'n>(
    root: &'n str,
    b: &'n SourceTree,
    same: &std::collections::HashSet<&str>,
    deps: &dyn Fn(&str) -> Option<&'n Vec<String>>,
    memo: &mut HashMap<&'n str, bool>,
) -> bool {
    if let Some(v) = memo.get(root) {
        return *v;
    }
    memo.insert(root, false); // an import cycle is never unchanged
    let mut stack: Vec<(&'n str, usize)> = vec![(root, 0)];
    while let Some((name, next)) = stack.last_mut() {
        let name: &'n str = name;
        let ds = match deps(name) {
            Some(ds) if same.contains(name) => ds,
            _ => {
                stack.pop();
                continue;
            }
        };
        let Some(d) = ds.get(*next) else {
            memo.insert(name, true);
            stack.pop();
            continue;
        };
        if !b.files.contains_key(d.as_str()) {
            *next += 1;
            continue;
        }
        match memo.get(d.as_str()) {
            Some(true) => *next += 1,
            // Not unchanged (or on the stack: a cycle).
            Some(false) => {
                stack.pop();
            }
            None => {
                memo.insert(d.as_str(), false);
                stack.push((d.as_str(), 0));
            }
        }
    }
    memo[root]
}

/// The files a link of `relink` needs: those and what they import from the tree, transitively.
fn needed_for<'n>(
    relink: &[String],
    b: &SourceTree,
    deps: &dyn Fn(&str) -> Option<&'n Vec<String>>,
) -> Vec<String> {
    let mut needed: Vec<String> = relink.to_vec();
    let mut seen: std::collections::HashSet<String> = needed.iter().cloned().collect();
    let mut i = 0;
    while i < needed.len() {
        if let Some(ds) = deps(&needed[i]) {
            for d in ds {
                if b.files.contains_key(d.as_str()) && seen.insert(d.clone()) {
                    needed.push(d.clone());
                }
            }
        }
        i += 1;
    }
    needed
}

/// Only reached if the slow path unexpectedly succeeds; reproduce the fast-path error.
fn fast_error_again(tree: &Arc<SourceTree>) -> protox::Error {
    match parse_tree(tree).and_then(|p| link(tree, Some(p), None)) {
        Err(err) => err,
        Ok(_) => protox::Error::new("the compiler failed once and then succeeded; please report"),
    }
}

/// Reads every `.proto` file under `root` (hidden directories skipped) into a tree.
pub fn read_dir_tree(root: &Path) -> anyhow::Result<SourceTree> {
    let mut tree = SourceTree::default();
    let mut stack = vec![root.to_path_buf()];
    // Directories already walked, by canonical path: a symlink cycle is walked once.
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = stack.pop() {
        if let Ok(canonical) = dir.canonicalize() {
            if !seen.insert(canonical) {
                continue;
            }
        }
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| anyhow::anyhow!("cannot read directory {}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let file_type = entry.file_type()?;
            let is_dir = file_type.is_dir() || (file_type.is_symlink() && path.is_dir());
            if is_dir {
                if !name.starts_with('.') {
                    stack.push(path);
                }
            } else if name.ends_with(".proto")
                && !(file_type.is_file() || (file_type.is_symlink() && path.is_file()))
            {
                // A FIFO, socket or device would block the read (or never end).
                if !crate::trace::quiet() {
                    eprintln!("warning: {}: not a regular file; skipped", path.display());
                }
            } else if name.ends_with(".proto") {
                let rel = path
                    .strip_prefix(root)
                    .expect("walked path is under root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = std::fs::read(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                tree.files.insert(rel, Arc::from(source_text(bytes)));
            }
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests;
