//! Adopting the check on a repository with old breaks: today's findings written as
//! configuration that accepts them. `config-ignore-yaml` is buf's (`version:` and a `breaking:`
//! `ignore_only` map of rule → files, rules and files sorted); `allow-toml` is protosync's
//! `[[breaking.allow]]` entries, one per rule and element, with a reason to fill in.

use std::collections::{BTreeMap, BTreeSet};

use crate::breaking::report::Report;
use crate::breaking::Version;

/// The reason written into each allowance, for a reviewer to replace.
pub const REASON_PLACEHOLDER: &str = "TODO: why this break is accepted";

fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
        && !s.starts_with(['-', '.']);
    if plain {
        s.to_owned()
    } else {
        serde_json::to_string(s).expect("a string serialises")
    }
}

/// `version: v1` / `v2`, then `breaking.ignore_only`. Paths are those of the report (the
/// caller names them as that configuration version's ignores expect: relative to the module
/// root for v1beta1/v1, to the buf.yaml directory for v2). A finding without any file cannot
/// be ignored by path and is left out.
pub fn config_ignore_yaml(report: &Report) -> String {
    let mut by_rule: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for f in &report.findings {
        if let Some(path) = f.path.as_deref().or(f.against_path.as_deref()) {
            by_rule.entry(f.rule.to_string()).or_default().insert(path);
        }
    }
    let version = match report.version {
        Version::V1Beta1 => "v1beta1",
        Version::V1 => "v1",
        Version::V2 => "v2",
    };
    let mut out = format!("version: {version}\n");
    if by_rule.is_empty() {
        return out;
    }
    out.push_str("breaking:\n  ignore_only:\n");
    for (rule, paths) in by_rule {
        out.push_str(&format!("    {rule}:\n"));
        for p in paths {
            out.push_str(&format!("      - {}\n", yaml_scalar(p)));
        }
    }
    out
}

/// One `[[breaking.allow]]` entry per (rule, element), in the findings' order.
pub fn allow_toml(report: &Report) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for f in &report.findings {
        let rule = f.rule.to_string();
        if !seen.insert((rule.clone(), f.element.clone())) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
        out.push_str(&format!(
            "[[breaking.allow]]\nrule = {}\nelement = {}\nreason = {}\n",
            q(&rule),
            q(&f.element),
            q(REASON_PLACEHOLDER)
        ));
    }
    out
}
