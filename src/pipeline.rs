//! The `breaking` pipeline: inputs → trees → compile both sides in parallel → models →
//! compare → filter by configuration. Returns findings; printing is the report module's job.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};

use crate::breaking::{self, Finding, RuleId, Version};
use crate::compile::Compiled;
use crate::compile::{self, SourceTree};
use crate::config::rules::{is_unstable_package, Allowance, ModuleRules, Overrides};
use crate::config::{self, Layout};
use crate::input::{self, Files, LoadOptions, Loaded};
use crate::model::{self, Schema};
use crate::trace::since as trace;

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
}

/// What `breaking` found.
#[derive(Debug, Clone)]
pub struct BreakingReport {
    pub version: Version,
    pub findings: Vec<Finding>,
    /// Allowances that matched no finding.
    pub unused_allowances: Vec<Allowance>,
    /// Findings dropped by allowances.
    pub allowed: usize,
    pub files: usize,
    pub against_files: usize,
}

impl BreakingReport {
    /// A report with no finding (nothing was compared).
    pub fn empty(version: Version) -> BreakingReport {
        BreakingReport {
            version,
            findings: Vec::new(),
            unused_allowances: Vec::new(),
            allowed: 0,
            files: 0,
            against_files: 0,
        }
    }
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
fn load_side(
    spec: &input::Spec,
    opts: &BreakingOptions,
    label: &str,
    rules_layout: bool,
) -> Result<(Side, Layout)> {
    match input::load(spec, &opts.load, label)? {
        Loaded::Files(files) => {
            let layout = match (rules_layout, &opts.against_config) {
                (true, _) => config::load(files.as_ref(), opts.config.as_deref())?,
                (false, Some(path)) => config::load(files.as_ref(), Some(path))?,
                (false, None) => config::load_layout_only(files.as_ref())?,
            };
            let side = read_side(files.as_ref(), &layout, &opts.includes, label)?;
            Ok((side, layout))
        }
        Loaded::Image(compiled) => {
            let layout = config::load_explicit_or_default(opts.config.as_deref())?;
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

pub fn run_breaking(opts: &BreakingOptions) -> Result<BreakingReport> {
    let (report, cur, prev) = run_breaking_with_schemas(opts)?;
    // Freeing two large schemas takes a noticeable part of a big run; do it off the caller's
    // path (a command-line run exits before it matters).
    std::thread::spawn(move || drop((cur, prev)));
    Ok(report)
}

/// [`run_breaking`], also returning the two schemas compared (current, previous): what
/// `diff` walks.
pub fn run_breaking_with_schemas(
    opts: &BreakingOptions,
) -> Result<(BreakingReport, Schema, Schema)> {
    let t = std::time::Instant::now();
    let input_spec = input::spec::parse(&opts.input).map_err(|e| anyhow!("input: {e}"))?;
    let against_spec = input::spec::parse(&opts.against).map_err(|e| anyhow!("against: {e}"))?;
    // Two git inputs are read one after the other so the second reuses the blobs the first
    // decompressed; otherwise both sides are read at the same time.
    let both_git =
        input_spec.format == input::Format::Git && against_spec.format == input::Format::Git;
    let ((cur_side, layout), (prev_side, _)) = if both_git {
        (
            load_side(&input_spec, opts, "input", true)?,
            load_side(&against_spec, opts, "against", false)?,
        )
    } else {
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| load_side(&input_spec, opts, "input", true));
            let b = s.spawn(|| load_side(&against_spec, opts, "against", false));
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
    let mut union: Vec<RuleId> = rules
        .iter()
        .flat_map(|m| m.enabled.iter().copied())
        .collect();
    union.sort();
    union.dedup();
    let t = std::time::Instant::now();
    let structural = rules.iter().any(|m| m.structural);
    let findings =
        breaking::compare_with(&prev, &cur, &union, breaking::CompareOptions { structural });
    trace("compare", t);
    let modules = (&cur_side.module_of, &prev_side.module_of);
    let (mut findings, unused, allowed) = filter(findings, &rules, modules, &cur, &prev);
    crate::diff::renames::hint(&prev, &cur, &mut findings);
    let report = BreakingReport {
        version: layout.version,
        findings,
        unused_allowances: unused,
        allowed,
        files: cur.files.len(),
        against_files: prev.files.len(),
    };
    Ok((report, cur, prev))
}

/// Module of each file path, on the current and the previous side.
type ModuleMaps<'a> = (&'a HashMap<String, usize>, &'a HashMap<String, usize>);

/// Applies each module's configuration: enabled rules, ignores, unstable packages, allowances.
fn filter(
    findings: Vec<Finding>,
    rules: &[ModuleRules],
    (cur_modules, prev_modules): ModuleMaps,
    cur: &Schema,
    prev: &Schema,
) -> (Vec<Finding>, Vec<Allowance>, usize) {
    let package = |schema: &Schema, path: Option<&String>| -> Option<String> {
        path.and_then(|p| schema.file(p)).map(|f| f.package.clone())
    };
    let mut used: Vec<Vec<bool>> = rules.iter().map(|m| vec![false; m.allow.len()]).collect();
    let mut kept = Vec::new();
    let mut allowed = 0;
    for f in findings {
        let module = f
            .path
            .as_ref()
            .and_then(|p| cur_modules.get(p))
            .or_else(|| f.against_path.as_ref().and_then(|p| prev_modules.get(p)))
            .copied()
            .unwrap_or(0);
        let m = &rules[module];
        if !m.enabled.contains(&f.rule) {
            continue;
        }
        let paths: Vec<&str> = [f.path.as_deref(), f.against_path.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if paths.iter().any(|p| m.ignore.iter().any(|i| i.matches(p))) {
            continue;
        }
        if m.ignore_only
            .iter()
            .any(|(rs, i)| rs.contains(&f.rule) && paths.iter().any(|p| i.matches(p)))
        {
            continue;
        }
        if m.ignore_unstable_packages {
            let pkgs = [
                package(cur, f.path.as_ref()),
                package(prev, f.against_path.as_ref()),
            ];
            if pkgs.iter().flatten().any(|p| is_unstable_package(p)) {
                continue;
            }
        }
        if let Some(i) = m.allow.iter().position(|a| a.matches(&f)) {
            used[module][i] = true;
            allowed += 1;
            continue;
        }
        kept.push(f);
    }
    // Modules that share one configuration (several roots) share its allowances: an
    // allowance is unused when no module used it, and is reported once.
    let used_places: std::collections::HashSet<&str> = rules
        .iter()
        .enumerate()
        .flat_map(|(mi, m)| {
            let used = &used[mi];
            m.allow
                .iter()
                .enumerate()
                .filter(move |(i, _)| used[*i])
                .map(|(_, a)| a.place.as_str())
        })
        .collect();
    let mut unused: Vec<Allowance> = Vec::new();
    for m in rules {
        for a in &m.allow {
            if !used_places.contains(a.place.as_str()) && !unused.iter().any(|u| u.place == a.place)
            {
                unused.push(a.clone());
            }
        }
    }
    (kept, unused, allowed)
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
/// what `sync` and `status` use to judge an update of a vendored copy.
pub fn compare_targets(
    prev: TargetTree,
    cur: TargetTree,
    layout: &Layout,
    overrides: &Overrides,
) -> Result<BreakingReport> {
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
    let mut union: Vec<RuleId> = rules
        .iter()
        .flat_map(|m| m.enabled.iter().copied())
        .collect();
    union.sort();
    union.dedup();
    let structural = rules[..1].iter().any(|m| m.structural);
    let findings =
        breaking::compare_with(&prev, &cur, &union, breaking::CompareOptions { structural });
    let none = HashMap::new();
    let (mut findings, unused, allowed) =
        filter(findings, &rules[..1], (&none, &none), &cur, &prev);
    crate::diff::renames::hint(&prev, &cur, &mut findings);
    Ok(BreakingReport {
        version: layout.version,
        findings,
        unused_allowances: unused,
        allowed,
        files: cur.files.len(),
        against_files: prev.files.len(),
    })
}
