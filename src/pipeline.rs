//! The `breaking` pipeline: inputs → trees → compile both sides in parallel → models →
//! compare → filter by configuration. Returns findings; printing is the report module's job.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};

use crate::breaking;
pub use crate::breaking::report::Report as BreakingReport;
use crate::compile::Compiled;
use crate::compile::{self, SourceTree};
use crate::config::deps::{Declared, Deps};
use crate::config::rules::Overrides;
use crate::config::targets::Targets;
use crate::config::{self, Layout};
use crate::input::protofile::ProtoFile;
use crate::input::{self, Files, LoadOptions, Loaded};
use crate::model::{self, Schema};
use crate::trace::since as trace;

mod releases;
pub use releases::compare_commits;

#[derive(Debug, Clone, Default)]
pub struct BreakingOptions {
    pub input: String,
    pub against: String,
    pub config: Option<PathBuf>,
    /// Configuration whose module layout applies to the `--against` side.
    pub against_config: Option<PathBuf>,
    pub overrides: Overrides,
    pub includes: Vec<PathBuf>,
    pub load: LoadOptions,
    /// buf's `--path`, `--exclude-path`, `--limit-to-input-files`: which files' findings are
    /// reported (matched against the paths as findings name them).
    pub targets: Targets,
}

/// One side, read and laid out into modules.
struct Side {
    /// Source files to compile, or an image that is already compiled.
    source: Result<SourceTree, Box<Compiled>>,
    /// File path -> module index.
    module_of: HashMap<String, usize>,
    /// Declared dependencies no mapping resolves (named when an import is missing).
    unmapped: Vec<Declared>,
    /// Files compiled only because a `.proto` file input imports them.
    imports: BTreeSet<String>,
}

/// Dependency files by import path (a source tree's `imports`).
pub type DepFiles = Arc<BTreeMap<String, Arc<str>>>;

/// The files of a side's dependencies (import-only, by import path) and the declared
/// dependencies no mapping resolves. `deps` is what the side declares, `load.deps` the
/// `--dep` flags; the protosync.toml found walking up from the working directory maps the
/// rest. Dependencies are read like inputs (remote ones through the cache, `--offline`
/// honoured), each laid out by its own configuration.
pub fn dependency_files(
    deps: &Deps,
    load: &LoadOptions,
    label: &str,
) -> Result<(DepFiles, Vec<Declared>)> {
    let flags: Vec<config::deps::Mapping> = load
        .deps
        .iter()
        .map(|(name, input)| config::deps::Mapping {
            name: name.clone(),
            input: input.clone(),
            commits: BTreeMap::new(),
            place: format!("--dep {name}"),
            base: None,
        })
        .collect();
    if deps.declared.is_empty() && flags.is_empty() {
        return Ok((Arc::default(), Vec::new()));
    }
    let project = config::deps::project_mappings(Path::new("."))?;
    let (resolved, unmapped) = config::deps::resolve(deps, &flags, &project)?;
    let mut imports: BTreeMap<String, Arc<str>> = BTreeMap::new();
    let mut owner: HashMap<String, String> = HashMap::new();
    for dep in resolved {
        let what = format!("{label}: dependency {} (mapped by {})", dep.name, dep.place);
        let files = match input::load(&dep.spec, load, "dependency")
            .map_err(|e| anyhow!("{what}: {e:#}"))?
        {
            Loaded::Files(files) => files,
            Loaded::Image(_) => bail!("{what}: a dependency must be a directory or a git input"),
        };
        let layout =
            config::load_layout_only(files.as_ref()).map_err(|e| anyhow!("{what}: {e:#}"))?;
        let before = imports.len();
        for m in &layout.modules {
            let root = m.root.to_string_lossy().replace('\\', "/");
            if !files.is_dir(&root) {
                continue;
            }
            for (path, text) in files.protos_under(&root)? {
                if m.excludes
                    .iter()
                    .any(|e| path == *e || path.starts_with(&format!("{e}/")))
                {
                    continue;
                }
                match imports.get(&path) {
                    Some(old) if **old != *text => bail!(
                        "{label}: {path} is in two dependencies with different contents: {} and {}",
                        owner[&path],
                        dep.name
                    ),
                    Some(_) => {}
                    None => {
                        owner.insert(path.clone(), dep.name.clone());
                        imports.insert(path, text);
                    }
                }
            }
        }
        if imports.len() == before && !owner.values().any(|o| *o == dep.name) {
            bail!("{what}: no .proto files in {}", files.describe());
        }
    }
    Ok((Arc::new(imports), unmapped))
}

/// A compile error of a side with declared, unmapped dependencies and a missing import says
/// which dependencies to map, and how.
fn with_dep_help(err: anyhow::Error, sides: [(&str, &[Declared]); 2]) -> anyhow::Error {
    let Some(ce) = err
        .downcast_ref::<Box<compile::CompileError>>()
        .map(|b| (**b).clone())
    else {
        return err;
    };
    let mut ce = ce;
    let unmapped = sides.iter().find(|(s, _)| *s == ce.side).map(|(_, u)| *u);
    match (
        unmapped.and_then(config::deps::unmapped_help),
        ce.message.contains("not found"),
    ) {
        (Some(help), true) => {
            ce.help = Some(match ce.help.take() {
                Some(old) => format!("{old}\n {help}"),
                None => help,
            });
            anyhow!(Box::new(ce))
        }
        _ => err,
    }
}

fn read_side(
    files: &dyn Files,
    layout: &Layout,
    includes: &[PathBuf],
    label: &str,
    file: Option<&ProtoFile>,
) -> Result<Side> {
    let mut tree = SourceTree {
        includes: includes.to_vec(),
        ..SourceTree::default()
    };
    let mut module_of = HashMap::new();
    for (mi, m) in layout.modules.iter().enumerate() {
        let root = m.root.to_string_lossy().replace('\\', "/");
        if !files.is_dir(&root) {
            bail!(
                "{label}: module directory {root:?} (from {}) does not exist in {}",
                layout
                    .source
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                files.describe()
            );
        }
        for (path, text) in files.protos_under(&root)? {
            if m.excludes
                .iter()
                .any(|e| path == *e || path.starts_with(&format!("{e}/")))
            {
                continue;
            }
            if module_of.insert(path.clone(), mi).is_some() {
                bail!("{label}: {path} is in more than one module root");
            }
            tree.files.insert(path, text);
        }
    }
    if tree.files.is_empty() {
        bail!("{label}: no .proto files in {}", files.describe());
    }
    let mut imports = BTreeSet::new();
    if let Some(pf) = file {
        imports = keep_file_input(pf, layout, &mut tree, &mut module_of, label)?;
    }
    Ok(Side {
        source: Ok(tree),
        module_of,
        unmapped: Vec::new(),
        imports,
    })
}

/// Keeps, of a laid-out tree, what a `.proto` file input compiles: its targets and what they
/// import. Returns the imported files.
fn keep_file_input(
    pf: &ProtoFile,
    layout: &Layout,
    tree: &mut SourceTree,
    module_of: &mut HashMap<String, usize>,
    label: &str,
) -> Result<BTreeSet<String>> {
    let under_dir: HashMap<String, String> = module_of
        .iter()
        .map(|(path, m)| {
            let root = layout.modules[*m].root.to_string_lossy().replace('\\', "/");
            let root = clean_dir(&root);
            let shown = match root.is_empty() {
                true => path.clone(),
                false => format!("{root}/{path}"),
            };
            (path.clone(), shown)
        })
        .collect();
    let chosen = input::protofile::select(pf, &tree.files, &under_dir, module_of, label)?;
    tree.files
        .retain(|p, _| chosen.targets.contains(p) || chosen.imports.contains(p));
    module_of.retain(|p, _| tree.files.contains_key(p));
    Ok(chosen.imports)
}

/// Compiles both sides (files shared by two source trees are parsed once) and builds their
/// models in parallel.
fn compile_both(
    cur: Result<SourceTree, Box<Compiled>>,
    prev: Result<SourceTree, Box<Compiled>>,
) -> Result<(Schema, Schema)> {
    let t = std::time::Instant::now();
    let one = |side: Result<SourceTree, Box<Compiled>>, label: &str| match side {
        Ok(tree) => compile::compile(tree, label).map_err(|e| anyhow!(e)),
        Err(image) => Ok(*image),
    };
    let (cur, prev) = match (cur, prev) {
        (Ok(a), Ok(b)) => {
            // The previous side is compiled whole; of the input, only what changed.
            let (prev, cur) = compile::compile_pair((b, "against"), (a, "input"));
            let (prev, cur) = (prev.map_err(|e| anyhow!(e))?, cur.map_err(|e| anyhow!(e))?);
            trace("compile", t);
            let t = std::time::Instant::now();
            let prev_schema = model::build(&prev);
            let cur_schema = model::build_incremental(&cur.compiled, &cur.unchanged, &prev_schema);
            trace("models", t);
            std::thread::spawn(move || drop((cur, prev)));
            return Ok((cur_schema, prev_schema));
        }
        (a, b) => (one(a, "input")?, one(b, "against")?),
    };
    let (cur_compiled, prev_compiled) = (cur, prev);
    trace("compile", t);
    let t = std::time::Instant::now();
    let (cur, prev) = std::thread::scope(|s| {
        let a = s.spawn(|| model::build(&cur_compiled));
        let b = s.spawn(|| model::build(&prev_compiled));
        (
            a.join().expect("model thread"),
            b.join().expect("model thread"),
        )
    });
    trace("models", t);
    std::thread::spawn(move || drop((cur_compiled, prev_compiled)));
    Ok((cur, prev))
}

/// Loads one side: its files and layout, or its image.
/// `given`: a layout already loaded, used for this side instead of reading a configuration.
fn load_side(
    spec: &input::Spec,
    opts: &BreakingOptions,
    label: &str,
    rules_layout: bool,
    given: Option<&Layout>,
    file: Option<&ProtoFile>,
) -> Result<(Side, Layout)> {
    match input::load(spec, &opts.load, label)? {
        Loaded::Files(files) => {
            let layout = match (given, rules_layout, &opts.against_config) {
                (Some(layout), _, _) => layout.clone(),
                (None, true, _) => config::load(files.as_ref(), opts.config.as_deref())?,
                (None, false, Some(path)) => config::load(files.as_ref(), Some(path))?,
                (None, false, None) => config::load_layout_only(files.as_ref())?,
            };
            let mut side = read_side(files.as_ref(), &layout, &opts.includes, label, file)?;
            let (imports, unmapped) = dependency_files(&layout.deps, &opts.load, label)?;
            if let Ok(tree) = &mut side.source {
                tree.imports = imports;
            }
            side.unmapped = unmapped;
            Ok((side, layout))
        }
        Loaded::Image(compiled) => {
            let layout = match given {
                Some(layout) => layout.clone(),
                None => config::load_explicit_or_default(opts.config.as_deref())?,
            };
            Ok((
                Side {
                    source: Err(compiled),
                    module_of: HashMap::new(),
                    unmapped: Vec::new(),
                    imports: BTreeSet::new(),
                },
                layout,
            ))
        }
    }
}

/// How findings name their files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paths {
    /// Relative to the module root (`acme/billing/v1/x.proto`): what the rules and the
    /// configuration's path filters see.
    Module,
    /// As reached from the working directory, the way buf prints them: a directory input's
    /// path, or a local git input's `subdir`, then the module's directory
    /// (`proto/acme/billing/v1/x.proto`). Remote and image inputs keep their module paths.
    Reached,
    /// Under the input's root: the module's directory, then the module path (what `check`
    /// prints next to its repository-relative drift paths).
    UnderRoot,
}

/// `protosync breaking`: the input and `--against` as written in `opts`, each side laid out
/// (and the input's rules found) by its configuration; paths relative to the module root.
pub fn run_breaking(opts: &BreakingOptions) -> Result<BreakingReport> {
    run_breaking_with(opts, Paths::Module)
}

/// [`run_breaking`] naming files as `paths` says.
pub fn run_breaking_with(opts: &BreakingOptions, paths: Paths) -> Result<BreakingReport> {
    let input_spec = input::spec::parse(&opts.input).map_err(|e| anyhow!("input: {e}"))?;
    let against_spec = input::spec::parse(&opts.against).map_err(|e| anyhow!("against: {e}"))?;
    compare_inputs(&input_spec, &against_spec, None, opts, paths)
}

/// [`run_breaking`] (module paths), also returning the two schemas compared (current,
/// previous), which `diff` walks, and how each side names its files as buf does.
pub fn run_breaking_with_schemas(
    opts: &BreakingOptions,
) -> Result<(BreakingReport, Schema, Schema, PathNamer)> {
    let input_spec = input::spec::parse(&opts.input).map_err(|e| anyhow!("input: {e}"))?;
    let against_spec = input::spec::parse(&opts.against).map_err(|e| anyhow!("against: {e}"))?;
    let (report, cur, prev, sides) =
        compare_inputs_with_schemas(&input_spec, &against_spec, None, opts, Paths::Module)?;
    let [cur_side, prev_side] = sides;
    let namer = PathNamer {
        cur: (input_spec, cur_side.0, cur_side.1),
        prev: (against_spec, prev_side.0, prev_side.1),
    };
    Ok((report, cur, prev, namer))
}

/// Names a side's module-relative paths as [`Paths`] says, after the comparison.
pub struct PathNamer {
    cur: (input::Spec, Layout, HashMap<String, usize>),
    prev: (input::Spec, Layout, HashMap<String, usize>),
}

impl PathNamer {
    /// `path` of the current side (`current`) or of the previous one.
    pub fn name(&self, path: &str, current: bool, paths: Paths) -> String {
        if paths == Paths::Module {
            return path.to_owned();
        }
        let (spec, layout, module_of) = if current { &self.cur } else { &self.prev };
        shown_path(path, (spec, layout, module_of), paths)
    }
}

/// Compares two parsed inputs. `layout`, when given, lays out both sides and its rules judge
/// (`opts.config` and `opts.against_config` are then not read); else each side's configuration
/// is found as [`run_breaking`] does. `opts.input` and `opts.against` are not used.
pub fn compare_inputs(
    input_spec: &input::Spec,
    against_spec: &input::Spec,
    layout: Option<&Layout>,
    opts: &BreakingOptions,
    paths: Paths,
) -> Result<BreakingReport> {
    if let Some(pattern) = input::releases::tag_pattern(against_spec) {
        return releases::compare_releases(input_spec, against_spec, pattern, layout, opts, paths);
    }
    let (report, cur, prev, _) =
        compare_inputs_with_schemas(input_spec, against_spec, layout, opts, paths)?;
    // Freeing two large schemas takes a noticeable part of a big run; do it off the caller's
    // path (a command-line run exits before it matters).
    std::thread::spawn(move || drop((cur, prev)));
    Ok(report)
}

/// Each side's layout and the module of each of its files (current, previous).
type Sides = [(Layout, HashMap<String, usize>); 2];

/// [`compare_inputs`], also returning the two schemas compared (current, previous) and the
/// sides' layouts.
// long: the comparison's steps in order (load both sides, rules, compile, compare, filter,
// hints, paths); each is one call, and splitting would pass both sides around.
fn compare_inputs_with_schemas(
    input_spec: &input::Spec,
    against_spec: &input::Spec,
    layout: Option<&Layout>,
    opts: &BreakingOptions,
    paths: Paths,
) -> Result<(BreakingReport, Schema, Schema, Sides)> {
    let t = std::time::Instant::now();
    let (input_file, against_file) = (
        file_input(input_spec, "input")?,
        file_input(against_spec, "against")?,
    );
    let input_spec = input_file.as_ref().map_or(input_spec, |f| &f.dir);
    let against_spec = against_file.as_ref().map_or(against_spec, |f| &f.dir);
    let (input_file, against_file) = (input_file.as_ref(), against_file.as_ref());
    // Two git inputs are read one after the other so the second reuses the blobs the first
    // decompressed; otherwise both sides are read at the same time.
    let both_git =
        input_spec.format == input::Format::Git && against_spec.format == input::Format::Git;
    let ((cur_side, layout), (prev_side, against_layout)) = if both_git {
        (
            load_side(input_spec, opts, "input", true, layout, input_file)?,
            load_side(against_spec, opts, "against", false, layout, against_file)?,
        )
    } else {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| load_side(input_spec, opts, "input", true, layout, input_file));
            let b =
                s.spawn(|| load_side(against_spec, opts, "against", false, layout, against_file));
            (
                a.join().expect("input loader"),
                b.join().expect("against loader"),
            )
        });
        (a?, b?)
    };
    let rules = config::rules::resolve(&layout, &opts.overrides)?;
    trace("read both sides", t);
    let unmapped = [
        ("input", cur_side.unmapped.as_slice()),
        ("against", prev_side.unmapped.as_slice()),
    ];
    let (cur, prev) =
        compile_both(cur_side.source, prev_side.source).map_err(|e| with_dep_help(e, unmapped))?;
    let t = std::time::Instant::now();
    let structural = rules.modules.iter().any(|m| m.structural);
    let findings = breaking::compare_with(
        &prev,
        &cur,
        &rules.enabled(),
        breaking::CompareOptions { structural },
    );
    trace("compare", t);
    let modules = (&cur_side.module_of, &prev_side.module_of);
    let mut kept = rules.filter(findings, modules, &cur, &prev);
    crate::diff::renames::hint(&prev, &cur, &mut kept.findings);
    if opts.targets.exclude_imports && !cur_side.imports.is_empty() {
        let imports = &cur_side.imports;
        kept.findings
            .retain(|f| !f.path.as_ref().is_some_and(|p| imports.contains(p)));
    }
    if paths != Paths::Module {
        let cur = (input_spec, &layout, &cur_side.module_of);
        let prev = (against_spec, &against_layout, &prev_side.module_of);
        for f in &mut kept.findings {
            f.path = f.path.take().map(|p| shown_path(&p, cur, paths));
            f.against_path = f.against_path.take().map(|p| shown_path(&p, prev, paths));
        }
    }
    if !opts.targets.is_empty() {
        let side = (input_spec, &layout, &cur_side.module_of);
        let files = input_files(&cur, side, paths);
        opts.targets.apply(&mut kept.findings, &files)?;
    }
    let report = BreakingReport::new(layout.version, kept, cur.files.len(), prev.files.len());
    let sides = [
        (layout, cur_side.module_of),
        (against_layout, prev_side.module_of),
    ];
    Ok((report, cur, prev, sides))
}

/// A `.proto` file input, located in its module (relative to the working directory).
fn file_input(spec: &input::Spec, side: &str) -> Result<Option<ProtoFile>> {
    if spec.format != input::Format::ProtoFile {
        return Ok(None);
    }
    let cwd = std::env::current_dir().map_err(|e| anyhow!("{side}: no working directory: {e}"))?;
    input::protofile::locate(spec, &cwd, side).map(Some)
}

/// The input side's files, sorted, named as `paths` says: what `--path` and
/// `--limit-to-input-files` select from.
fn input_files(cur: &Schema, side: SideInfo, paths: Paths) -> Vec<String> {
    let mut files: Vec<String> = match side.2.is_empty() {
        true => cur.files.iter().map(|f| f.path.clone()).collect(),
        false => side.2.keys().map(|p| shown_path(p, side, paths)).collect(),
    };
    files.sort();
    files
}

/// One side as [`shown_path`] needs it: its spec, its layout and the module of each file.
type SideInfo<'a> = (&'a input::Spec, &'a Layout, &'a HashMap<String, usize>);

/// `path` (relative to its module root) as `paths` names it.
fn shown_path(path: &str, (spec, layout, module_of): SideInfo, paths: Paths) -> String {
    let root = module_of
        .get(path)
        .and_then(|m| layout.modules.get(*m))
        .map(|m| m.root.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let base = match (paths, spec.format) {
        (Paths::Reached, input::Format::Dir) => spec.location.clone(),
        (Paths::Reached, input::Format::Git) if !spec.is_remote() => {
            spec.subdir.clone().unwrap_or_default()
        }
        // buf names an archive's files from inside it, `subdir` included.
        (Paths::Reached, input::Format::Tar | input::Format::Zip) => {
            spec.subdir.clone().unwrap_or_default()
        }
        (Paths::Reached, _) => return path.to_owned(),
        _ => String::new(),
    };
    let mut out = String::new();
    for part in [base.as_str(), root.as_str()] {
        let part = clean_dir(part);
        if !part.is_empty() {
            out.push_str(part);
            out.push('/');
        }
    }
    out.push_str(path);
    out
}

/// `./proto/` → `proto`, `.` → `` (an absolute path stays absolute).
fn clean_dir(dir: &str) -> &str {
    let mut d = dir;
    while let Some(rest) = d.strip_prefix("./") {
        d = rest;
    }
    let d = d.trim_end_matches('/');
    if d == "." {
        ""
    } else {
        d
    }
}

/// One side of a comparison of source trees where only some files are compared: the rest of
/// the tree is there for imports.
pub struct TargetTree {
    pub tree: SourceTree,
    /// Files to compare (keys of `tree.files`).
    pub targets: Vec<String>,
    /// Names the side in compile errors.
    pub label: String,
}

/// Compares the targets of two trees under one configuration (its first module's rules):
/// what `sync` and `status` use to judge an update of a vendored copy. Returns the breaking
/// report and the changelog of every change (`diff`'s, with the findings attached).
pub fn compare_targets(
    prev: TargetTree,
    cur: TargetTree,
    layout: &Layout,
    overrides: &Overrides,
) -> Result<(BreakingReport, crate::diff::report::DiffReport)> {
    let rules = config::rules::resolve(layout, overrides)?;
    let (prev_label, cur_label) = (prev.label.clone(), cur.label.clone());
    // A few vendored files compile faster one after the other than on two new threads.
    let (p, c) = if prev.targets.len() + cur.targets.len() < 32 {
        (
            compile::compile_targets(prev.tree, prev.targets, &prev_label),
            compile::compile_targets(cur.tree, cur.targets, &cur_label),
        )
    } else {
        std::thread::scope(|s| {
            let p = s.spawn(|| compile::compile_targets(prev.tree, prev.targets, &prev_label));
            let c = s.spawn(|| compile::compile_targets(cur.tree, cur.targets, &cur_label));
            (
                p.join().expect("compile thread"),
                c.join().expect("compile thread"),
            )
        })
    };
    let (p, c) = (p.map_err(|e| anyhow!(e))?, c.map_err(|e| anyhow!(e))?);
    let (prev, cur) = (model::build(&p), model::build(&c));
    let rules = rules.first_module();
    let structural = rules.modules.iter().any(|m| m.structural);
    let findings = breaking::compare_with(
        &prev,
        &cur,
        &rules.enabled(),
        breaking::CompareOptions { structural },
    );
    let none = HashMap::new();
    let mut kept = rules.filter(findings, (&none, &none), &cur, &prev);
    crate::diff::renames::hint(&prev, &cur, &mut kept.findings);
    let report = BreakingReport::new(layout.version, kept, cur.files.len(), prev.files.len());
    let changes = crate::diff::report::of(&prev, &cur, &report);
    Ok((report, changes))
}
