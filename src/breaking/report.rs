//! What a comparison reports, and the configured rule set that selects and filters findings.
//!
//! The rule set is built by `config` (from protosync.toml or buf.yaml and the command line);
//! this module only applies it, so printers and callers depend on the engine, not on how the
//! configuration was written.

use std::collections::HashMap;

use anyhow::{anyhow, Result};
use globset::{Glob, GlobMatcher};

use super::{Finding, RuleId, Version};
use crate::model::Schema;

/// What `breaking` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub version: Version,
    pub findings: Vec<Finding>,
    /// Allowances that matched no finding.
    pub unused_allowances: Vec<Allowance>,
    /// Allowances past their `expires` date (they allowed nothing).
    pub expired_allowances: Vec<Allowance>,
    /// Allowances that expire within the warning window.
    pub expiring_allowances: Vec<Allowance>,
    /// Findings dropped by allowances.
    pub allowed: usize,
    pub files: usize,
    pub against_files: usize,
    /// The releases checked, in release order, when the input was checked against several
    /// (`--against '.git#tag=v*'`); empty for a comparison of two inputs.
    pub releases: Vec<String>,
}

impl Report {
    /// The report of a comparison of `files` input files with `against_files` previous ones.
    pub fn new(version: Version, kept: Filtered, files: usize, against_files: usize) -> Report {
        Report {
            version,
            findings: kept.findings,
            unused_allowances: kept.unused_allowances,
            expired_allowances: kept.expired_allowances,
            expiring_allowances: kept.expiring_allowances,
            allowed: kept.allowed,
            files,
            against_files,
            releases: Vec::new(),
        }
    }

    /// A report with no finding (nothing was compared).
    pub fn empty(version: Version) -> Report {
        Report {
            version,
            findings: Vec::new(),
            unused_allowances: Vec::new(),
            expired_allowances: Vec::new(),
            expiring_allowances: Vec::new(),
            allowed: 0,
            files: 0,
            against_files: 0,
            releases: Vec::new(),
        }
    }
}

/// The resolved breaking configuration of every module of an input, in module order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub modules: Vec<ModuleRules>,
}

/// Resolved breaking configuration of one module.
#[derive(Debug, Clone)]
pub struct ModuleRules {
    pub enabled: Vec<RuleId>,
    pub ignore: Vec<PathMatcher>,
    pub ignore_only: Vec<(Vec<RuleId>, PathMatcher)>,
    pub ignore_unstable_packages: bool,
    pub allow: Vec<Allowance>,
    /// Structural wire compatibility of moved types (`structural`, `--structural`).
    pub structural: bool,
}

/// Findings that survived the configuration, and what the allowances did.
#[derive(Debug, Clone)]
pub struct Filtered {
    pub findings: Vec<Finding>,
    /// Allowances that matched no finding.
    pub unused_allowances: Vec<Allowance>,
    /// Allowances past their date, and those expiring soon.
    pub expired_allowances: Vec<Allowance>,
    pub expiring_allowances: Vec<Allowance>,
    /// Findings dropped by allowances.
    pub allowed: usize,
    /// The findings allowances dropped (to count them once over several releases).
    pub allowed_findings: Vec<Finding>,
}

/// Module of each file path, on the current and the previous side.
pub type ModuleMaps<'a> = (&'a HashMap<String, usize>, &'a HashMap<String, usize>);

impl RuleSet {
    /// Every rule some module enables, sorted: what the comparison runs.
    pub fn enabled(&self) -> Vec<RuleId> {
        let mut union: Vec<RuleId> = self
            .modules
            .iter()
            .flat_map(|m| m.enabled.iter().copied())
            .collect();
        union.sort();
        union.dedup();
        union
    }

    /// Only the first module's rules (a vendored copy is judged under one configuration).
    pub fn first_module(&self) -> RuleSet {
        RuleSet {
            modules: self.modules.iter().take(1).cloned().collect(),
        }
    }

    /// Applies each module's configuration: enabled rules, ignores, unstable packages,
    /// allowances. Findings of files no map names belong to the first module.
    pub fn filter(
        &self,
        findings: Vec<Finding>,
        (cur_modules, prev_modules): ModuleMaps,
        cur: &Schema,
        prev: &Schema,
    ) -> Filtered {
        let rules = &self.modules;
        let package = |schema: &Schema, path: Option<&String>| -> Option<String> {
            path.and_then(|p| schema.file(p)).map(|f| f.package.clone())
        };
        let mut used: Vec<Vec<bool>> = rules.iter().map(|m| vec![false; m.allow.len()]).collect();
        let mut kept = Vec::new();
        let mut allowed = Vec::new();
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
                allowed.push(f);
                continue;
            }
            kept.push(f);
        }
        let (unused, expired, expiring) = allowance_states(rules, &used);
        Filtered {
            findings: kept,
            unused_allowances: unused,
            expired_allowances: expired,
            expiring_allowances: expiring,
            allowed: allowed.len(),
            allowed_findings: allowed,
        }
    }
}

/// Unused, expired and expiring allowances.
type AllowanceStates = (Vec<Allowance>, Vec<Allowance>, Vec<Allowance>);

/// The allowances no module used, those past their `expires` date and those expiring soon.
/// Modules that share one configuration (several roots) share its allowances: an allowance is
/// unused when no module used it, and is reported once.
fn allowance_states(rules: &[ModuleRules], used: &[Vec<bool>]) -> AllowanceStates {
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
    let (mut unused, mut expired, mut expiring): AllowanceStates = Default::default();
    for m in rules {
        for a in &m.allow {
            let push = |list: &mut Vec<Allowance>| {
                if !list.iter().any(|u| u.place == a.place) {
                    list.push(a.clone());
                }
            };
            if a.expired {
                push(&mut expired);
                continue;
            }
            if !used_places.contains(a.place.as_str()) {
                push(&mut unused);
            }
            if a.expiring {
                push(&mut expiring);
            }
        }
    }
    (unused, expired, expiring)
}

/// A path filter: a file or directory (prefix at a `/` boundary), or a glob.
#[derive(Debug, Clone)]
pub struct PathMatcher {
    prefix: String,
    glob: Option<GlobMatcher>,
}

impl PathMatcher {
    pub fn new(p: &str) -> Result<PathMatcher> {
        let glob = if p.contains(['*', '?', '[', '{']) {
            Some(
                Glob::new(p)
                    .map_err(|e| anyhow!("invalid path pattern {p:?}: {e}"))?
                    .compile_matcher(),
            )
        } else {
            None
        };
        Ok(PathMatcher {
            prefix: p.to_owned(),
            glob,
        })
    }

    pub fn matches(&self, path: &str) -> bool {
        match &self.glob {
            Some(g) => g.is_match(path),
            None => {
                self.prefix.is_empty()
                    || path == self.prefix
                    || path
                        .strip_prefix(&self.prefix)
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Allowance {
    pub rules: Vec<RuleId>,
    pub rule_id: String,
    pub element: String,
    pub reason: String,
    pub place: String,
    pub approved_by: Option<String>,
    /// `YYYY-MM-DD`, as written.
    pub expires: Option<String>,
    /// Past its date: it allows nothing (resolved against today by the configuration).
    pub expired: bool,
    /// Expires within the warning window.
    pub expiring: bool,
}

impl Allowance {
    pub fn matches(&self, f: &Finding) -> bool {
        !self.expired
            && self.rules.contains(&f.rule)
            && (f.element == self.element
                || f.element
                    .strip_prefix(&self.element)
                    .is_some_and(|rest| rest.starts_with('.')))
    }
}

/// A package is unstable when its last component is a version with a pre-release suffix
/// (`v1alpha1`, `v1beta`, `v1p1beta1`, `v1test`…) and it has at least two components.
pub fn is_unstable_package(package: &str) -> bool {
    let parts: Vec<&str> = package.split('.').collect();
    if parts.len() < 2 {
        return false;
    }
    let last = parts[parts.len() - 1];
    let Some(rest) = last.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    let mut rest = &rest[digits..];
    if rest.is_empty() {
        return false;
    }
    if rest.starts_with("test") {
        return true;
    }
    if let Some(r) = rest.strip_prefix('p') {
        let d = r.chars().take_while(|c| c.is_ascii_digit()).count();
        if d == 0 {
            return false;
        }
        rest = &r[d..];
    }
    for tag in ["alpha", "beta"] {
        if let Some(r) = rest.strip_prefix(tag) {
            return r.chars().all(|c| c.is_ascii_digit());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_packages() {
        for p in [
            "foo.v1alpha",
            "foo.v1alpha1",
            "foo.v1beta2",
            "foo.bar.v1p1beta1",
            "foo.v1test",
            "foo.v1testfoo",
        ] {
            assert!(is_unstable_package(p), "{p}");
        }
        for p in [
            "foo.v1",
            "v1beta1",
            "foo.bar",
            "foo.v1foo",
            "foo.valpha",
            "",
        ] {
            assert!(!is_unstable_package(p), "{p}");
        }
    }

    #[test]
    fn path_matching() {
        let m = PathMatcher::new("acme/legacy").unwrap();
        assert!(m.matches("acme/legacy/a.proto"));
        assert!(m.matches("acme/legacy"));
        assert!(!m.matches("acme/legacy2/a.proto"));
        let g = PathMatcher::new("acme/**/old_*.proto").unwrap();
        assert!(g.matches("acme/x/y/old_a.proto"));
    }
}
