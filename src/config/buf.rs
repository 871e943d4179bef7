//! `buf.yaml` (v1beta1, v1, v2) for teams migrating from buf: the `breaking` section with that
//! version's categories, and the module layout (v1beta1 `build.roots`, v2 `modules[].path`).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde_norway::Value;

use super::{clean_path, Layout, Module, ModuleBreaking, Written};
use crate::breaking::Version;

fn strings(v: Option<&Value>, key: &str, file: &str) -> Result<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(anyhow!(
                    "{file}: {key}: expected a list of strings, found {other:?}"
                )),
            })
            .collect(),
        Some(other) => bail!("{file}: {key}: expected a list of strings, found {other:?}"),
    }
}

/// Line of the first occurrence of `needle` at or after line `from` (1-based), for messages.
fn find_line(text: &str, needle: &str, from: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
}

fn breaking_section(
    v: Option<&Value>,
    text: &str,
    file: &str,
    key: &str,
) -> Result<(ModuleBreaking, Vec<String>)> {
    let Some(v) = v else {
        return Ok((ModuleBreaking::default(), Vec::new()));
    };
    if v.is_null() {
        return Ok((ModuleBreaking::default(), Vec::new()));
    }
    let map = v
        .as_mapping()
        .ok_or_else(|| anyhow!("{file}: {key}: expected a mapping"))?;
    let section_line = find_line(text, "breaking:", 1).unwrap_or(1);
    let written = |id: String, sub: &str| {
        let place = match find_line(text, &id, section_line) {
            Some(l) => format!("{file}:{l} ({key}.{sub})"),
            None => format!("{file} ({key}.{sub})"),
        };
        Written { id, place }
    };
    for k in map.keys() {
        let k = k.as_str().unwrap_or("");
        if !matches!(
            k,
            "use"
                | "except"
                | "ignore"
                | "ignore_only"
                | "ignore_unstable_packages"
                | "disable_builtin"
        ) {
            bail!("{file}: {key}.{k}: unknown key");
        }
    }
    let get = |k: &str| map.get(Value::String(k.to_owned()));
    let mut out = ModuleBreaking {
        use_: strings(get("use"), &format!("{key}.use"), file)?
            .into_iter()
            .map(|id| written(id, "use"))
            .collect(),
        except: strings(get("except"), &format!("{key}.except"), file)?
            .into_iter()
            .map(|id| written(id, "except"))
            .collect(),
        ..ModuleBreaking::default()
    };
    let ignore = strings(get("ignore"), &format!("{key}.ignore"), file)?;
    for (i, p) in ignore.iter().enumerate() {
        crate::breaking::report::PathMatcher::new(&clean_path(p)).map_err(|e| {
            let line = find_line(text, p, section_line);
            anyhow!("{}: {key}.ignore[{i}]: {e}", at_line(file, line))
        })?;
    }
    if let Some(only) = get("ignore_only") {
        let only = only
            .as_mapping()
            .ok_or_else(|| anyhow!("{file}: {key}.ignore_only: expected a mapping"))?;
        for (k, v) in only {
            let id = k.as_str().unwrap_or_default().to_owned();
            let paths = strings(Some(v), &format!("{key}.ignore_only.{id}"), file)?;
            out.ignore_only.push((written(id, "ignore_only"), paths));
        }
    }
    out.ignore_unstable_packages = match get("ignore_unstable_packages") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            bail!("{file}: {key}.ignore_unstable_packages: expected true or false, found {other:?}")
        }
    };
    Ok((out, ignore))
}

/// Makes a path written relative to the buf.yaml directory relative to a module root; `None`
/// when it lies outside the module.
fn into_module(path: &str, module_root: &str) -> Option<String> {
    let p = clean_path(path);
    if module_root.is_empty() || module_root == "." {
        return Some(p);
    }
    if p == module_root {
        return Some(String::new());
    }
    p.strip_prefix(&format!("{module_root}/"))
        .map(str::to_owned)
}

fn rebase(b: &ModuleBreaking, ignore: &[String], root: &str) -> ModuleBreaking {
    let mut out = b.clone();
    out.ignore = ignore.iter().filter_map(|p| into_module(p, root)).collect();
    out.ignore_only = b
        .ignore_only
        .iter()
        .map(|(id, paths)| {
            (
                id.clone(),
                paths.iter().filter_map(|p| into_module(p, root)).collect(),
            )
        })
        .collect();
    out
}

/// The line of a top-level key (`key:` at the start of a line), for messages.
fn key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

/// `file:line` when the line is known, else `file`.
pub(super) fn at_line(file: &str, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_owned(),
    }
}

/// The keys buf 1.75 accepts, per version (it refuses any other: `field breakng not found`).
fn known_keys(version: Version) -> &'static [&'static str] {
    match version {
        Version::V1Beta1 | Version::V1 => &["version", "name", "deps", "build", "breaking", "lint"],
        Version::V2 => &[
            "version", "name", "deps", "modules", "breaking", "lint", "plugins", "policies",
        ],
    }
}

/// Refuses keys of `map` not in `known`, naming the key (with its place) and the closest
/// known one.
pub(super) fn refuse_unknown_keys(
    map: &serde_norway::Mapping,
    known: &[&str],
    key_prefix: &str,
    text: &str,
    file: &str,
    what: &str,
) -> Result<()> {
    for k in map.keys() {
        let name = match k {
            Value::String(s) => s.clone(),
            other => serde_norway::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_owned(),
        };
        if known.contains(&name.as_str()) {
            continue;
        }
        let line = find_line(text, &format!("{name}:"), 1);
        let hint = match crate::suggest::closest(&name, known.iter().copied(), 1).first() {
            Some(c) => format!(" (did you mean {c}?)"),
            None => format!(" ({what} has: {})", known.join(", ")),
        };
        bail!(
            "{}: {key_prefix}{name}: unknown key{hint}; buf refuses it too",
            at_line(file, line)
        );
    }
    Ok(())
}

/// A module directory (`build.roots[i]`, `modules[i].path`): relative, inside the directory of
/// buf.yaml, as buf requires; "" for that directory itself.
pub(super) fn module_dir(raw: &str, key: &str, text: &str, file: &str) -> Result<String> {
    let line = find_line(text, raw, 1);
    crate::sync::fsafe::normalize_rel(raw, true).map_err(|why| {
        anyhow!(
            "{}: {key}: {raw:?} {why}; a module must be inside the directory of buf.yaml",
            at_line(file, line)
        )
    })
}

/// Parses a buf.yaml.
// long: one pass over buf.yaml's keys in the order buf reads them, each with its version
// check and its located error.
pub fn parse(path: &Path, text: &str) -> Result<Layout> {
    let file = path.display().to_string();
    let doc: Value = serde_norway::from_str(text).map_err(|e| anyhow!("{file}: {e}"))?;
    let empty = serde_norway::Mapping::new();
    let top = match &doc {
        Value::Mapping(m) => m,
        Value::Null => &empty,
        other => {
            let kind = match other {
                Value::Sequence(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "not a mapping",
            };
            bail!("{file}:1: the document is {kind}; buf.yaml must be a mapping (`version: v2` …)")
        }
    };
    let version_str = match top.get("version") {
        None | Some(Value::Null) => "v1beta1".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let shown = serde_norway::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_owned();
            bail!(
                "{}: version: unknown buf.yaml version {shown} (expected v1beta1, v1 or v2, as a string: `version: v2`)",
                at_line(&file, key_line(text, "version"))
            )
        }
    };
    let version = Version::parse(&version_str).ok_or_else(|| {
        anyhow!(
            "{}: version: unknown buf.yaml version {version_str:?} (expected v1beta1, v1 or v2)",
            at_line(&file, key_line(text, "version"))
        )
    })?;
    refuse_unknown_keys(
        top,
        known_keys(version),
        "",
        text,
        &file,
        &format!("buf.yaml {version}"),
    )?;
    if let Some(build) = top.get("build").filter(|b| !b.is_null()) {
        let map = build.as_mapping().ok_or_else(|| {
            anyhow!(
                "{}: build: expected a mapping",
                at_line(&file, key_line(text, "build"))
            )
        })?;
        refuse_unknown_keys(map, &["roots", "excludes"], "build.", text, &file, "build")?;
        if version == Version::V1 && map.get("roots").is_some_and(|r| !r.is_null()) {
            bail!(
                "{}: build.roots: cannot be set on version v1 (buf refuses it too; use v1beta1, or one buf.yaml per module)",
                at_line(&file, find_line(text, "roots:", 1))
            );
        }
    }
    let (breaking, ignore) = breaking_section(doc.get("breaking"), text, &file, "breaking")?;
    let mut modules = Vec::new();
    match version {
        Version::V1Beta1 => {
            let build = doc.get("build");
            let roots = strings(build.and_then(|b| b.get("roots")), "build.roots", &file)?;
            let roots = if roots.is_empty() {
                vec![".".to_owned()]
            } else {
                roots
            };
            let excludes = strings(
                build.and_then(|b| b.get("excludes")),
                "build.excludes",
                &file,
            )?;
            for (i, raw) in roots.iter().enumerate() {
                let root = module_dir(raw, &format!("build.roots[{i}]"), text, &file)?;
                // v1beta1 ignores are relative to the roots already.
                let mut b = breaking.clone();
                b.ignore = ignore.iter().map(|p| clean_path(p)).collect();
                b.ignore_only = breaking
                    .ignore_only
                    .iter()
                    .map(|(id, ps)| (id.clone(), ps.iter().map(|p| clean_path(p)).collect()))
                    .collect();
                modules.push(Module {
                    excludes: excludes
                        .iter()
                        .filter_map(|e| into_module(e, &root))
                        .collect(),
                    root: PathBuf::from(&root),
                    breaking: b,
                });
            }
        }
        Version::V1 => {
            let excludes = strings(
                doc.get("build").and_then(|b| b.get("excludes")),
                "build.excludes",
                &file,
            )?;
            modules.push(Module {
                root: PathBuf::new(),
                excludes: excludes.iter().map(|e| clean_path(e)).collect(),
                breaking: rebase(&breaking, &ignore, ""),
            });
        }
        Version::V2 => {
            let list = match doc.get("modules") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Sequence(items)) => items.clone(),
                Some(_) => bail!("{file}: modules: expected a list"),
            };
            if list.is_empty() {
                modules.push(Module {
                    root: PathBuf::new(),
                    excludes: Vec::new(),
                    breaking: rebase(&breaking, &ignore, ""),
                });
            }
            for (i, m) in list.iter().enumerate() {
                let map = m
                    .as_mapping()
                    .ok_or_else(|| anyhow!("{file}: modules[{i}]: expected a mapping"))?;
                refuse_unknown_keys(
                    map,
                    &["path", "name", "excludes", "includes", "lint", "breaking"],
                    &format!("modules[{i}]."),
                    text,
                    &file,
                    "a module",
                )?;
                let root = match m.get("path") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(p)) => {
                        module_dir(p, &format!("modules[{i}].path"), text, &file)?
                    }
                    Some(_) => bail!("{file}: modules[{i}].path: expected a string"),
                };
                let excludes =
                    strings(m.get("excludes"), &format!("modules[{i}].excludes"), &file)?;
                let (own, own_ignore) = match m.get("breaking") {
                    Some(v) => {
                        breaking_section(Some(v), text, &file, &format!("modules[{i}].breaking"))?
                    }
                    None => (breaking.clone(), ignore.clone()),
                };
                modules.push(Module {
                    excludes: excludes
                        .iter()
                        .filter_map(|e| into_module(e, &root))
                        .collect(),
                    breaking: rebase(&own, &own_ignore, &root),
                    root: PathBuf::from(root),
                });
            }
        }
    }
    let declared = match version {
        Version::V1Beta1 => Vec::new(),
        _ => super::deps::from_buf_yaml(&doc, text, &file)?,
    };
    let layout = Layout {
        version,
        git_timeout: None,
        source: Some(path.to_path_buf()),
        modules,
        deps: super::deps::Deps {
            declared,
            mappings: Vec::new(),
        },
    };
    super::validate(&layout).map_err(|e| anyhow!("{e:#}"))?;
    Ok(layout)
}
