//! The `breaking` pipeline: inputs → trees → compile both sides in parallel → models →
//! compare → filter by configuration. Returns findings; printing is the report module's job.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};

use crate::breaking;
pub use crate::breaking::report::Report as BreakingReport;
use crate::compile::Compiled;
use crate::compile::{self, SourceTree};
use crate::config::rules::Overrides;
use crate::config::targets::Targets;
use crate::config::{self, Layout};
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
}

fn read_side(
    files: &dyn Files,
    layout: &Layout,
    includes: &[PathBuf],
    label: &str,
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
    Ok(Side {
        source: Ok(tree),
        module_of,
    })
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
) -> Result<(Side, Layout)> {
    match input::load(spec, &opts.load, label)? {
        Loaded::Files(files) => {
            let layout = match (given, rules_layout, &opts.against_config) {
                (Some(layout), _, _) => layout.clone(),
                (None, true, _) => config::load(files.as_ref(), opts.config.as_deref())?,
                (None, false, Some(path)) => config::load(files.as_ref(), Some(path))?,
                (None, false, None) => config::load_layout_only(files.as_ref())?,
            };
            let side = read_side(files.as_ref(), &layout, &opts.includes, label)?;
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
    let against_spec = input::spec::parse(&opts.against).map_err(|e| anyhow!("against: {e}"))?;
    if let Some(pattern) = input::releases::tag_pattern(&against_spec) {
        let input_spec = input::spec::parse(&opts.input).map_err(|e| anyhow!("input: {e}"))?;
        return releases::compare_releases(&input_spec, &against_spec, pattern, None, opts, paths);
    }
    let (report, cur, prev) = run_breaking_with_schemas(opts, paths)?;
    // Freeing two large schemas takes a noticeable part of a big run; do it off the caller's
    // path (a command-line run exits before it matters).
    std::thread::spawn(move || drop((cur, prev)));
    Ok(report)
}

/// [`run_breaking_with`], also returning the two schemas compared (current, previous): what
/// `diff` walks.
pub fn run_breaking_with_schemas(
    opts: &BreakingOptions,
    paths: Paths,
) -> Result<(BreakingReport, Schema, Schema)> {
    let input_spec = input::spec::parse(&opts.input).map_err(|e| anyhow!("input: {e}"))?;
    let against_spec = input::spec::parse(&opts.against).map_err(|e| anyhow!("against: {e}"))?;
    compare_inputs_with_schemas(&input_spec, &against_spec, None, opts, paths)
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
    let (report, cur, prev) =
        compare_inputs_with_schemas(input_spec, against_spec, layout, opts, paths)?;
    std::thread::spawn(move || drop((cur, prev)));
    Ok(report)
}

/// [`compare_inputs`], also returning the two schemas compared (current, previous).
// long: the comparison's steps in order (load both sides, rules, compile, compare, filter,
// hints, paths); each is one call, and splitting would pass both sides around.
fn compare_inputs_with_schemas(
    input_spec: &input::Spec,
    against_spec: &input::Spec,
    layout: Option<&Layout>,
    opts: &BreakingOptions,
    paths: Paths,
) -> Result<(BreakingReport, Schema, Schema)> {
    let t = std::time::Instant::now();
    // Two git inputs are read one after the other so the second reuses the blobs the first
    // decompressed; otherwise both sides are read at the same time.
    let both_git =
        input_spec.format == input::Format::Git && against_spec.format == input::Format::Git;
    let ((cur_side, layout), (prev_side, against_layout)) = if both_git {
        (
            load_side(input_spec, opts, "input", true, layout)?,
            load_side(against_spec, opts, "against", false, layout)?,
        )
    } else {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| load_side(input_spec, opts, "input", true, layout));
            let b = s.spawn(|| load_side(against_spec, opts, "against", false, layout));
            (
                a.join().expect("input loader"),
                b.join().expect("against loader"),
            )
        });
        (a?, b?)
    };
    let rules = config::rules::resolve(&layout, &opts.overrides)?;
    trace("read both sides", t);
    let (cur, prev) = compile_both(cur_side.source, prev_side.source)?;
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
        let mut files: Vec<String> = match cur_side.module_of.is_empty() {
            true => cur.files.iter().map(|f| f.path.clone()).collect(),
            false => cur_side
                .module_of
                .keys()
                .map(|p| shown_path(p, side, paths))
                .collect(),
        };
        files.sort();
        opts.targets.apply(&mut kept.findings, &files)?;
    }
    let report = BreakingReport::new(layout.version, kept, cur.files.len(), prev.files.len());
    Ok((report, cur, prev))
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
