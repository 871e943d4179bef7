//! Resolving configured rule and category ids into rule sets, and deciding whether a finding
//! is ignored (paths, unstable packages) or allowed (element allowances).

use anyhow::{anyhow, bail, Result};

use super::{Layout, ModuleBreaking, Written};
/// An allowance expiring within this many days is warned about.
pub const EXPIRING_DAYS: i64 = 14;

use crate::breaking::report::{Allowance, ModuleRules, PathMatcher, RuleSet};
use crate::breaking::rules::{Category, RuleId, Status, RULES};
use crate::breaking::Version;

/// Expands one id: a category to its rules, a deprecated id to its replacements.
pub fn expand(id: &str, version: Version) -> std::result::Result<Vec<RuleId>, String> {
    if let Some(cat) = Category::parse(id) {
        if !cat.exists_in(version) {
            return Err(format!(
                "category {id} does not exist in configuration version {version}"
            ));
        }
        return Ok(RULES
            .iter()
            .filter(|r| r.status(version).in_category(cat))
            .map(|r| r.id)
            .collect());
    }
    let Some(rule) = RuleId::parse(id) else {
        let hint = closest(id)
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        return Err(format!("unknown rule or category {id:?}{hint}"));
    };
    match rule.rule().status(version) {
        Status::Active(_) => Ok(vec![rule]),
        Status::Deprecated(repl) => Ok(repl.to_vec()),
        Status::Absent => {
            let exists: Vec<&str> = Version::ALL
                .iter()
                .filter(|v| rule.rule().status(**v) != Status::Absent)
                .map(|v| v.as_str())
                .collect();
            Err(format!(
                "rule {id} does not exist in configuration version {version} (it exists in {})",
                exists.join(", ")
            ))
        }
    }
}

fn closest(id: &str) -> Option<&'static str> {
    let upper = id.to_ascii_uppercase();
    let candidates = RuleId::ALL
        .iter()
        .map(|r| r.as_str())
        .chain(Category::ALL.iter().map(|c| c.id()));
    crate::suggest::closest(&upper, candidates, 1)
        .first()
        .copied()
}

fn expand_written(w: &Written, version: Version) -> Result<Vec<RuleId>> {
    expand(&w.id, version).map_err(|e| anyhow!("{}: {e}", w.place))
}

/// Command-line additions: `--use` replaces the configured `use`, `--except` adds to `except`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub use_: Vec<String>,
    pub except: Vec<String>,
    /// `--structural`: turns structural wire compatibility on.
    pub structural: bool,
}

/// Resolves the configured rules of every module of `layout`, with the command line's overrides.
pub fn resolve(layout: &Layout, overrides: &Overrides) -> Result<RuleSet> {
    let version = layout.version;
    let source = layout
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "configuration".to_owned());
    let mut out = Vec::new();
    for m in &layout.modules {
        let b = &m.breaking;
        let cli = |ids: &[String], flag: &str| -> Result<Vec<RuleId>> {
            let mut v = Vec::new();
            for id in ids {
                v.extend(expand(id, version).map_err(|e| anyhow!("{flag} {id}: {e}"))?);
            }
            Ok(v)
        };
        let mut enabled: Vec<RuleId> = if !overrides.use_.is_empty() {
            cli(&overrides.use_, "--use")?
        } else if b.use_.is_empty() {
            RULES
                .iter()
                .filter(|r| r.is_default(version))
                .map(|r| r.id)
                .collect()
        } else {
            let mut v = Vec::new();
            for w in &b.use_ {
                v.extend(expand_written(w, version)?);
            }
            v
        };
        let mut except = Vec::new();
        for w in &b.except {
            except.extend(expand_written(w, version)?);
        }
        except.extend(cli(&overrides.except, "--except")?);
        enabled.retain(|r| !except.contains(r));
        enabled.sort();
        enabled.dedup();
        let mut ignore_only = Vec::new();
        for (w, paths) in &b.ignore_only {
            let rules = expand_written(w, version)?;
            for p in paths {
                let m = PathMatcher::new(p)
                    .map_err(|e| anyhow!("{source}: breaking.ignore_only.{}: {e}", w.id))?;
                ignore_only.push((rules.clone(), m));
            }
        }
        let allow = allowances(b, version)?;
        out.push(ModuleRules {
            enabled,
            ignore: b
                .ignore
                .iter()
                .map(|p| PathMatcher::new(p).map_err(|e| anyhow!("{source}: breaking.ignore: {e}")))
                .collect::<Result<_>>()?,
            ignore_only,
            ignore_unstable_packages: b.ignore_unstable_packages,
            allow,
            structural: b.structural || overrides.structural,
        });
    }
    Ok(RuleSet { modules: out })
}

/// The `[[breaking.allow]]` entries of one module, with their expiry judged against today.
fn allowances(b: &ModuleBreaking, version: Version) -> Result<Vec<Allowance>> {
    let mut allow = Vec::new();
    let today = crate::clock::today();
    for a in &b.allow {
        let w = &a.rule;
        let rules = expand_written(w, version)?;
        if rules.is_empty() {
            bail!("{}: {} enables no rule in version {version}", w.place, w.id);
        }
        let day = a.expires.as_ref().map(|(_, d)| *d);
        allow.push(Allowance {
            rules,
            rule_id: w.id.clone(),
            element: a.element.clone(),
            reason: a.reason.clone(),
            place: w.place.clone(),
            approved_by: a.approved_by.clone(),
            expires: a.expires.as_ref().map(|(t, _)| t.clone()),
            // Valid through its day; expiring: within the next 14 days.
            expired: day.is_some_and(|d| d < today),
            expiring: day.is_some_and(|d| d >= today && d <= today + EXPIRING_DAYS),
        });
    }
    Ok(allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_the_version() {
        assert_eq!(
            expand("FIELD_SAME_CTYPE", Version::V1).unwrap(),
            vec![RuleId::FIELD_SAME_CPP_STRING_TYPE]
        );
        assert!(expand("FIELD_SAME_CTYPE", Version::V2).is_err());
        assert!(expand("CSR", Version::V1).is_err());
        assert_eq!(
            expand("FILE_SAME_PHP_GENERIC_SERVICES", Version::V1).unwrap(),
            vec![]
        );
        let err = expand("FIELD_NO_DELET", Version::V1).unwrap_err();
        assert!(err.contains("did you mean FIELD_NO_DELETE"), "{err}");
    }
}
