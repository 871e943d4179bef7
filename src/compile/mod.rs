//! Compiling a source tree into a descriptor pool with protox, without protoc.
//!
//! Owns: import resolution order (bundled `google/protobuf/*` first, then the tree itself, then
//! extra include directories), the editions front-end hook, parallel parsing, and turning
//! compiler errors into located diagnostics. It does not know about rules or configuration.

pub mod diagnostic;
pub mod editions;

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
}

/// Features set explicitly in an editions file, by element path.
#[derive(Debug, Clone, Default)]
pub struct EditionFile {
    pub edition: String,
    pub features: HashMap<Vec<i32>, Vec<editions::FeatureSetting>>,
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

fn parse_one(
    name: &str,
    source: &str,
    keep_source_info: bool,
) -> Result<(FileDescriptorProto, Option<EditionFile>), protox::Error> {
    if editions::detect_edition(source).is_some() {
        let lowered = editions::lower(name, source)?;
        let mut features: HashMap<Vec<i32>, Vec<editions::FeatureSetting>> = HashMap::new();
        for (path, setting) in lowered.features {
            features.entry(path).or_default().push(setting);
        }
        let mut file = lowered.file;
        if !keep_source_info {
            file.source_code_info = None;
        }
        return Ok((
            file,
            Some(EditionFile {
                edition: lowered.edition,
                features,
            }),
        ));
    }
    let mut file = protox_parse::parse(name, source).map_err(protox::Error::from)?;
    if !keep_source_info {
        file.source_code_info = None;
    }
    Ok((file, None))
}

type ParseResult = Result<(FileDescriptorProto, Option<EditionFile>), protox::Error>;

/// Parses files on all cores. Source info is dropped: spans are recomputed lazily, only for
/// files where a finding lands (see `model::spans`).
fn parse_all(entries: &[(&str, &str)]) -> Vec<ParseResult> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(entries.len().max(1));
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

/// Resolves imports: bundled well-known types first (so trees that vendor a newer
/// `google/protobuf/descriptor.proto` still compile), then the tree, then include dirs.
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
            return File::from_source(name, source);
        }
        let (fdp, _) = parse_one(name, source, keep_sources)?;
        Ok(File::from_file_descriptor_proto(fdp))
    }
}

impl FileResolver for Resolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        if name.starts_with("google/protobuf/") {
            if let Ok(file) = self.google.open_file(name) {
                return Ok(file);
            }
        }
        if let Some(parsed) = &self.parsed {
            if let Some(fdp) = parsed.lock().unwrap().remove(name) {
                return Ok(File::from_file_descriptor_proto(fdp));
            }
        }
        if let Some(source) = self.tree.files.get(name) {
            return self.open_source(name, source);
        }
        for include in &self.tree.includes {
            let path = include.join(name);
            if path.is_file() {
                let bytes = std::fs::read(&path).map_err(protox::Error::new)?;
                let source = String::from_utf8(bytes).map_err(|_| {
                    protox::Error::new(format!("file '{}' is not valid UTF-8", path.display()))
                })?;
                return self.open_source(name, &source);
            }
        }
        Err(protox::Error::file_not_found(name))
    }
}

fn link(tree: &Arc<SourceTree>, parsed: Option<Parsed>) -> Result<Compiled, protox::Error> {
    let (files, editions) = match parsed {
        Some(p) => (Some(std::sync::Mutex::new(p.files)), p.editions),
        None => (None, HashMap::new()),
    };
    let resolver = Resolver {
        google: GoogleFileResolver::new(),
        tree: tree.clone(),
        parsed: files,
    };
    let targets: Vec<String> = tree.files.keys().cloned().collect();
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_imports(true);
    compiler.include_source_info(false);
    for name in &targets {
        compiler.open_file(name)?;
    }
    Ok(Compiled {
        pool: compiler.descriptor_pool(),
        targets,
        tree: tree.clone(),
        editions,
    })
}

fn trace(side: &str, what: &str, since: std::time::Instant) {
    if std::env::var_os("PROTOSYNC_TRACE").is_some() {
        eprintln!(
            "trace: {side}: {what}: {:.3} s",
            since.elapsed().as_secs_f64()
        );
    }
}

/// Links a parsed tree; on failure compiles again keeping sources, so the error carries its
/// file, line and column.
fn finish(
    tree: Arc<SourceTree>,
    parsed: Result<Parsed, protox::Error>,
    side: &str,
) -> Result<Compiled, Box<CompileError>> {
    let t = std::time::Instant::now();
    let fast = parsed.and_then(|parsed| link(&tree, Some(parsed)));
    trace(side, "link", t);
    fast.map_err(|_| {
        let err = match link(&tree, None) {
            Ok(_) => fast_error_again(&tree),
            Err(err) => err,
        };
        Box::new(CompileError::from_protox(side, &err, &tree))
    })
}

/// Compiles every file of the tree. `side` names the tree in errors ("input", "against").
pub fn compile(tree: SourceTree, side: &str) -> Result<Compiled, Box<CompileError>> {
    let t = std::time::Instant::now();
    let parsed = parse_tree(&tree);
    trace(side, "parse", t);
    finish(Arc::new(tree), parsed, side)
}

/// Compiles two versions of a tree: files with the same path and content are parsed once,
/// then both sides are linked on their own threads.
pub fn compile_pair(
    (a, a_side): (SourceTree, &str),
    (b, b_side): (SourceTree, &str),
) -> (
    Result<Compiled, Box<CompileError>>,
    Result<Compiled, Box<CompileError>>,
) {
    let t = std::time::Instant::now();
    let mut entries: Vec<(&str, &str)> = a.files.iter().map(|(n, s)| (n.as_str(), &**s)).collect();
    let a_count = entries.len();
    for (name, text) in &b.files {
        if a.files.get(name).map(|t| **t != **text).unwrap_or(true) {
            entries.push((name.as_str(), &**text));
        }
    }
    let mut results: Vec<Option<ParseResult>> = parse_all(&entries).into_iter().map(Some).collect();
    trace("both", "parse", t);
    let t = std::time::Instant::now();
    // b's own parses, then clones of the parses it shares with a.
    let b_own: HashMap<&str, ParseResult> = entries[a_count..]
        .iter()
        .map(|e| e.0)
        .zip(results.drain(a_count..).map(Option::unwrap))
        .collect();
    let a_results: Vec<(&str, ParseResult)> = entries[..a_count]
        .iter()
        .map(|e| e.0)
        .zip(results.into_iter().map(Option::unwrap))
        .collect();
    let b_parsed = {
        let a_by_name: HashMap<&str, &ParseResult> =
            a_results.iter().map(|(n, r)| (*n, r)).collect();
        let mut b_own = b_own;
        let owned: Vec<(&str, ParseResult)> = b
            .files
            .keys()
            .filter_map(|n| b_own.remove(n.as_str()).map(|r| (n.as_str(), r)))
            .collect();
        // Clone the shared parses on all cores.
        let own_names: std::collections::HashSet<&str> = owned.iter().map(|(n, _)| *n).collect();
        let shared: Vec<&str> = b
            .files
            .keys()
            .map(String::as_str)
            .filter(|n| !own_names.contains(n))
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = shared.len().div_ceil(threads).max(1);
        let cloned: Vec<(&str, ParseResult)> = std::thread::scope(|s| {
            let handles: Vec<_> = shared
                .chunks(chunk)
                .map(|part| {
                    let a_by_name = &a_by_name;
                    s.spawn(move || {
                        part.iter()
                            .map(|name| {
                                let r = match a_by_name[name] {
                                    Ok((fdp, ed)) => Ok((fdp.clone(), ed.clone())),
                                    Err(_) => {
                                        Err(protox::Error::new("shared file failed to parse"))
                                    }
                                };
                                (*name, r)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("clone thread"))
                .collect()
        });
        collect_parsed(owned.into_iter().chain(cloned))
    };
    let a_parsed = collect_parsed(a_results.into_iter());
    trace("both", "share", t);
    let (a, b) = (Arc::new(a), Arc::new(b));
    std::thread::scope(|s| {
        let ha = s.spawn(|| finish(a.clone(), a_parsed, a_side));
        let hb = s.spawn(|| finish(b.clone(), b_parsed, b_side));
        (
            ha.join().expect("link thread"),
            hb.join().expect("link thread"),
        )
    })
}

/// Only reached if the slow path unexpectedly succeeds; reproduce the fast-path error.
fn fast_error_again(tree: &Arc<SourceTree>) -> protox::Error {
    match parse_tree(tree).and_then(|p| link(tree, Some(p))) {
        Err(err) => err,
        Ok(_) => protox::Error::new("the compiler failed once and then succeeded; please report"),
    }
}

/// Reads every `.proto` file under `root` (hidden directories skipped) into a tree.
pub fn read_dir_tree(root: &Path) -> anyhow::Result<SourceTree> {
    let mut tree = SourceTree::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
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
                let text = String::from_utf8(bytes)
                    .map_err(|_| anyhow::anyhow!("{}: not valid UTF-8", path.display()))?;
                tree.files.insert(rel, Arc::from(text));
            }
        }
    }
    Ok(tree)
}
