//! The `breaking` pipeline: inputs → trees → compile both sides in parallel → models →
//! compare → filter by configuration. Returns findings; printing is the report module's job.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};

use crate::breaking::{self, Finding, RuleId, Version};
use crate::compile::{self, SourceTree};
use crate::config::rules::{is_unstable_package, Allowance, ModuleRules, Overrides};
use crate::config::{self, Layout};
use crate::input::Input;
use crate::model::{self, Schema};

#[derive(Debug, Clone, Default)]
pub struct BreakingOptions {
    pub input: String,
    pub against: String,
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    pub includes: Vec<PathBuf>,
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

/// One side, read and laid out into modules.
struct Side {
    tree: SourceTree,
    /// File path -> module index.
    module_of: HashMap<String, usize>,
}

fn read_side(dir: &Path, layout: &Layout, includes: &[PathBuf], label: &str) -> Result<Side> {
    let mut tree = SourceTree {
        includes: includes.to_vec(),
        ..SourceTree::default()
    };
    let mut module_of = HashMap::new();
    for (mi, m) in layout.modules.iter().enumerate() {
        let root = dir.join(&m.root);
        if !root.is_dir() {
            bail!(
                "{label}: module directory {} (from {}) does not exist",
                root.display(),
                layout
                    .source
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
        }
        let sub = compile::read_dir_tree(&root)?;
        for (path, text) in sub.files {
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
        bail!("{label}: no .proto files under {}", dir.display());
    }
    Ok(Side { tree, module_of })
}

/// `PROTOSYNC_TRACE=1` prints where the time goes to stderr.
fn trace(what: &str, since: std::time::Instant) {
    if std::env::var_os("PROTOSYNC_TRACE").is_some() {
        eprintln!("trace: {what}: {:.3} s", since.elapsed().as_secs_f64());
    }
}

/// Compiles both sides (shared files parsed once) and builds their models in parallel.
fn compile_both(cur: SourceTree, prev: SourceTree) -> Result<(Schema, Schema)> {
    let t = std::time::Instant::now();
    let (cur, prev) = compile::compile_pair((cur, "input"), (prev, "against"));
    trace("compile", t);
    let (cur_compiled, prev_compiled) =
        (cur.map_err(|e| anyhow!(e))?, prev.map_err(|e| anyhow!(e))?);
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

pub fn run_breaking(opts: &BreakingOptions) -> Result<BreakingReport> {
    let Input::Dir(input_dir) = Input::parse(&opts.input)?;
    let Input::Dir(against_dir) =
        Input::parse(&opts.against).map_err(|e| anyhow!("--against: {e}"))?;
    let layout = config::load(&input_dir, opts.config.as_deref())?;
    let against_layout = config::load_layout_only(&against_dir)?;
    let rules = config::rules::resolve(&layout, &opts.overrides)?;
    let t = std::time::Instant::now();
    let cur_side = read_side(&input_dir, &layout, &opts.includes, "input")?;
    let prev_side = read_side(&against_dir, &against_layout, &opts.includes, "against")?;
    trace("read both sides", t);
    let (cur, prev) = compile_both(cur_side.tree.clone(), prev_side.tree.clone())?;
    let mut union: Vec<RuleId> = rules
        .iter()
        .flat_map(|m| m.enabled.iter().copied())
        .collect();
    union.sort();
    union.dedup();
    let t = std::time::Instant::now();
    let findings = breaking::compare(&prev, &cur, &union);
    trace("compare", t);
    let (findings, unused, allowed) = filter(findings, &rules, &cur_side, &prev_side, &cur, &prev);
    let report = BreakingReport {
        version: layout.version,
        findings,
        unused_allowances: unused,
        allowed,
        files: cur.files.len(),
        against_files: prev.files.len(),
    };
    // Freeing two large schemas takes a noticeable part of a big run; do it off the caller's
    // path (a command-line run exits before it matters).
    std::thread::spawn(move || drop((cur, prev, cur_side, prev_side)));
    Ok(report)
}

fn filter(
    findings: Vec<Finding>,
    rules: &[ModuleRules],
    cur_side: &Side,
    prev_side: &Side,
    cur: &Schema,
    prev: &Schema,
) -> (Vec<Finding>, Vec<Allowance>, usize) {
    let package = |schema: &Schema, path: Option<&String>| -> Option<String> {
        path.and_then(|p| schema.file(p)).map(|f| f.package.clone())
    };
    let mut used = vec![vec![false; 0]; rules.len()];
    for (i, m) in rules.iter().enumerate() {
        used[i] = vec![false; m.allow.len()];
    }
    let mut kept = Vec::new();
    let mut allowed = 0;
    for f in findings {
        let module = f
            .path
            .as_ref()
            .and_then(|p| cur_side.module_of.get(p))
            .or_else(|| {
                f.against_path
                    .as_ref()
                    .and_then(|p| prev_side.module_of.get(p))
            })
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
    let mut unused = Vec::new();
    for (mi, m) in rules.iter().enumerate() {
        for (i, a) in m.allow.iter().enumerate() {
            if !used[mi][i] {
                unused.push(a.clone());
            }
        }
    }
    (kept, unused, allowed)
}
