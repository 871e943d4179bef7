//! Configuration of the breaking check: `protosync.toml` (`[breaking]`) or, for teams coming
//! from buf, a `buf.yaml` (v1beta1, v1, v2) with its module layout, or a v1 workspace
//! (`buf.work.yaml`, `workspace`).
//!
//! Owns: finding and parsing the files, validating rule and category ids with the place they
//! were written, and resolving `use`/`except` into a rule set per module. It does not run checks.

pub mod buf;
pub mod deps;
pub mod rules;
pub mod schema;
pub mod targets;
pub mod workspace;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use crate::breaking::Version;
pub use schema::ProtosyncToml;
use schema::{BuildSection, GitSection};

/// A raw configuration id with where it was written, for error messages.
#[derive(Debug, Clone)]
pub struct Written {
    pub id: String,
    /// e.g. `protosync.toml:4:8` or `buf.yaml:6`.
    pub place: String,
}

/// Breaking configuration of one module, ids still as written.
/// One `[[breaking.allow]]` entry, checked: the rule as written, the element, the reason, who
/// approved it and when it expires (`YYYY-MM-DD` and its day number).
#[derive(Debug, Clone)]
pub struct AllowSpec {
    pub rule: Written,
    pub element: String,
    pub reason: String,
    pub approved_by: Option<String>,
    pub expires: Option<(String, i64)>,
}

#[derive(Debug, Clone, Default)]
pub struct ModuleBreaking {
    pub use_: Vec<Written>,
    pub except: Vec<Written>,
    /// Paths relative to the module root.
    pub ignore: Vec<String>,
    pub ignore_only: Vec<(Written, Vec<String>)>,
    pub ignore_unstable_packages: bool,
    pub allow: Vec<AllowSpec>,
    /// `structural = true` (protosync.toml only).
    pub structural: bool,
}

/// One module: a directory of .proto files under the input dir, with its breaking config.
#[derive(Debug, Clone)]
pub struct Module {
    /// Relative to the input dir ("" for the dir itself).
    pub root: PathBuf,
    /// Paths (module-relative) excluded from the build.
    pub excludes: Vec<String>,
    pub breaking: ModuleBreaking,
}

/// What a config file says about an input directory.
#[derive(Debug, Clone)]
pub struct Layout {
    pub version: Version,
    /// The file the configuration came from, if any.
    pub source: Option<PathBuf>,
    pub modules: Vec<Module>,
    /// `[git] timeout` of a protosync.toml, in seconds.
    pub git_timeout: Option<u64>,
    /// Declared dependencies and the side's own `[deps]` mappings.
    pub deps: deps::Deps,
}

impl Layout {
    fn default_for(version: Version) -> Layout {
        Layout {
            version,
            git_timeout: None,
            source: None,
            deps: deps::Deps::default(),
            modules: vec![Module {
                root: PathBuf::new(),
                excludes: Vec::new(),
                breaking: ModuleBreaking::default(),
            }],
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    crate::compile::diagnostic::line_col(text, offset)
}

/// Reads `protosync.toml` text.
pub fn parse_protosync_toml(path: &Path, text: &str) -> Result<Layout> {
    let parsed = schema::parse(text)
        .map_err(|e| anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    layout_of(path, text, &parsed)
}

/// The module layout and breaking configuration of an already parsed `protosync.toml`
/// (`text` is what it was parsed from, for line and column numbers).
// long: the [breaking] keys one after the other, each with its own located error.
pub fn layout_of(path: &Path, text: &str, parsed: &ProtosyncToml) -> Result<Layout> {
    let name = path.display().to_string();
    let section = parsed.breaking.clone().unwrap_or_default();
    let version = match &section.version {
        None => Version::V2,
        Some(v) => Version::parse(v).ok_or_else(|| {
            anyhow!("{name}: breaking.version: unknown version {v:?} (expected v1beta1, v1 or v2)")
        })?,
    };
    let written = |s: &toml::Spanned<String>, key: &str| {
        let (l, c) = line_col(text, s.span().start);
        Written {
            id: s.get_ref().clone(),
            place: format!("{name}:{l}:{c} ({key})"),
        }
    };
    let mut allow = Vec::new();
    for a in &section.allow {
        if a.reason.get_ref().trim().is_empty() {
            let (l, c) = line_col(text, a.reason.span().start);
            bail!("{name}:{l}:{c}: breaking.allow: reason must not be empty (say why the change is accepted)");
        }
        if a.element.trim().is_empty() {
            let (l, c) = line_col(text, a.rule.span().start);
            bail!("{name}:{l}:{c}: breaking.allow: element must not be empty");
        }
        let expires = match &a.expires {
            None => None,
            Some(e) => {
                let date = e.get_ref().text();
                let day = crate::clock::parse_date(&date).map_err(|why| {
                    let (l, c) = line_col(text, e.span().start);
                    anyhow!("{name}:{l}:{c}: breaking.allow.expires: {why}")
                })?;
                Some((date, day))
            }
        };
        allow.push(AllowSpec {
            rule: written(&a.rule, "breaking.allow.rule"),
            element: a.element.clone(),
            reason: a.reason.get_ref().clone(),
            approved_by: a.approved_by.clone().filter(|s| !s.trim().is_empty()),
            expires,
        });
    }
    let breaking = ModuleBreaking {
        use_: section
            .use_
            .iter()
            .map(|s| written(s, "breaking.use"))
            .collect(),
        except: section
            .except
            .iter()
            .map(|s| written(s, "breaking.except"))
            .collect(),
        ignore: section
            .ignore
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let clean = clean_path(p.get_ref());
                crate::breaking::report::PathMatcher::new(&clean).map_err(|e| {
                    let (l, c) = line_col(text, p.span().start);
                    anyhow!("{name}:{l}:{c}: breaking.ignore[{}]: {e}", i + 1)
                })?;
                Ok(clean)
            })
            .collect::<Result<_>>()?,
        ignore_only: section
            .ignore_only
            .iter()
            .map(|(k, v)| {
                (
                    Written {
                        id: k.clone(),
                        place: format!("{name} (breaking.ignore_only)"),
                    },
                    v.iter().map(|p| clean_path(p)).collect(),
                )
            })
            .collect(),
        ignore_unstable_packages: section.ignore_unstable_packages,
        allow,
        structural: section.structural,
    };
    let mut layout = Layout::default_for(version);
    layout.source = Some(path.to_path_buf());
    layout.modules = build_roots(&name, text, parsed.build.as_ref())?
        .into_iter()
        .map(|root| Module {
            root,
            excludes: Vec::new(),
            breaking: breaking.clone(),
        })
        .collect();
    layout.git_timeout = git_timeout(&name, text, parsed.git.as_ref())?;
    layout.deps = toml_deps(&name, text, parsed)?;
    validate(&layout)?;
    Ok(layout)
}

/// `[deps]` of a protosync.toml: its names are the declared dependencies, its values their
/// mappings.
pub fn toml_deps(name: &str, text: &str, parsed: &ProtosyncToml) -> Result<deps::Deps> {
    let mappings = deps::from_toml(&parsed.deps, text, name)?;
    let declared = mappings
        .iter()
        .map(|m| deps::Declared {
            name: m.name.clone(),
            place: m.place.clone(),
            lock_commit: None,
        })
        .collect();
    Ok(deps::Deps { declared, mappings })
}

/// `[git] timeout`, checked (whole seconds, 1 to 86400).
pub fn git_timeout(name: &str, text: &str, git: Option<&GitSection>) -> Result<Option<u64>> {
    let Some(t) = git.and_then(|g| g.timeout.as_ref()) else {
        return Ok(None);
    };
    let (l, c) = line_col(text, t.span().start);
    crate::input::remote::parse_timeout(&t.get_ref().to_string())
        .map(Some)
        .map_err(|why| anyhow!("{name}:{l}:{c}: git.timeout: {why}"))
}

/// Checks everything a layout's rules say (rule and category ids, path patterns) now, at load,
/// in every command: a typo must fail `check` and `status` today, not the first time the
/// contract moves and a comparison runs.
pub fn validate(layout: &Layout) -> Result<()> {
    rules::resolve(layout, &rules::Overrides::default()).map(|_| ())
}

/// `[build] roots`, checked: relative, inside the repository, each listed once. `[""]` when
/// there is no `[build]`.
fn build_roots(name: &str, text: &str, build: Option<&BuildSection>) -> Result<Vec<PathBuf>> {
    let roots = build.map(|b| b.roots.as_slice()).unwrap_or(&[]);
    if roots.is_empty() {
        return Ok(vec![PathBuf::new()]);
    }
    let mut out: Vec<PathBuf> = Vec::new();
    for (i, r) in roots.iter().enumerate() {
        let (l, c) = line_col(text, r.span().start);
        let clean = crate::sync::fsafe::normalize_rel(r.get_ref(), true).map_err(|why| {
            anyhow!(
                "{name}:{l}:{c}: build.roots[{}]: {:?} {why}",
                i + 1,
                r.get_ref()
            )
        })?;
        let root = PathBuf::from(&clean);
        if out.contains(&root) {
            bail!(
                "{name}:{l}:{c}: build.roots[{}]: {:?} is listed twice",
                i + 1,
                r.get_ref()
            );
        }
        out.push(root);
    }
    Ok(out)
}

/// Normalises a configured path: forward slashes, no leading `./`, no trailing `/`.
pub fn clean_path(p: &str) -> String {
    let p = p.replace('\\', "/");
    let p = p.trim_start_matches("./");
    p.trim_end_matches('/').to_owned()
}

/// Finds the configuration for an input: `--config` first (a file, or inline JSON/YAML), then `protosync.toml`, then
/// `buf.yaml`, then defaults (v2 rules, the input root is the module).
pub fn load(files: &dyn crate::input::Files, explicit: Option<&Path>) -> Result<Layout> {
    if let Some(path) = explicit {
        if let Some(text) = inline(path) {
            return buf::parse(Path::new("inline --config"), text);
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml") | Some("yml")
        );
        return if is_yaml {
            buf::parse(path, &text)
        } else {
            parse_protosync_toml(path, &text)
        };
    }
    if let Some(text) = files.read_text("protosync.toml")? {
        return parse_protosync_toml(&shown(files, "protosync.toml"), &text);
    }
    load_buf_yaml(files).map(|l| l.unwrap_or_else(|| Layout::default_for(Version::V2)))
}

/// A `--config` / `--against-config` value that is the configuration itself, as buf takes it:
/// one starting with `{` (JSON) or spanning several lines (YAML); buf.yaml syntax either way.
pub fn inline(value: &Path) -> Option<&str> {
    let s = value.to_str()?;
    (s.trim_start().starts_with('{') || s.contains('\n')).then_some(s)
}

/// How a config file of an input is named in messages: `proto/buf.yaml`, `.git@main (…):buf.yaml`.
fn shown(files: &dyn crate::input::Files, name: &str) -> PathBuf {
    let base = files.describe();
    if Path::new(&base).is_dir() {
        Path::new(&base).join(name)
    } else {
        PathBuf::from(format!("{base}:{name}"))
    }
}

/// The input root's buf configuration: a v2 `buf.yaml` (which lists its modules), else a v1
/// workspace (`buf.work.yaml`), else a v1beta1/v1 `buf.yaml`.
pub fn load_buf_yaml(files: &dyn crate::input::Files) -> Result<Option<Layout>> {
    let mut root = None;
    for name in ["buf.yaml", "buf.yml"] {
        if let Some(text) = files.read_text(name)? {
            let mut layout = buf::parse(&shown(files, name), &text)?;
            layout.deps.declared = deps::with_lock(
                std::mem::take(&mut layout.deps.declared),
                buf_lock(files, "")?,
            )?;
            root = Some(layout);
            break;
        }
    }
    if root.as_ref().is_some_and(|l| l.version == Version::V2) {
        return Ok(root);
    }
    for name in ["buf.work.yaml", "buf.work.yml"] {
        if let Some(text) = files.read_text(name)? {
            let file = shown(files, name);
            return workspace::layout(files, &file, &text, |rel| shown(files, rel)).map(Some);
        }
    }
    Ok(root)
}

/// The `buf.lock` in directory `dir` of an input (`""`: its root): how to name it, and its text.
pub fn buf_lock(files: &dyn crate::input::Files, dir: &str) -> Result<Option<(String, String)>> {
    let rel = match dir {
        "" => "buf.lock".to_owned(),
        d => format!("{d}/buf.lock"),
    };
    Ok(files
        .read_text(&rel)?
        .map(|text| (shown(files, &rel).display().to_string(), text)))
}

/// The configuration for an input without files of its own (an image): `--config` or defaults.
pub fn load_explicit_or_default(explicit: Option<&Path>) -> Result<Layout> {
    match explicit {
        Some(_) => load(&crate::input::MemFiles::empty(), explicit),
        None => Ok(Layout::default_for(Version::V2)),
    }
}

/// Only the module layout of an input (for the `--against` side: its rules do not apply).
pub fn load_layout_only(files: &dyn crate::input::Files) -> Result<Layout> {
    if let Some(text) = files.read_text("protosync.toml")? {
        let name = shown(files, "protosync.toml");
        let parsed: ProtosyncToml = toml::from_str(&text)
            .map_err(|e| anyhow!("{}: {}", name.display(), e.to_string().trim_end()))?;
        let mut layout = Layout::default_for(Version::V2);
        let roots = build_roots(&name.display().to_string(), &text, parsed.build.as_ref())?;
        layout.modules = roots
            .into_iter()
            .map(|root| Module {
                root,
                excludes: Vec::new(),
                breaking: ModuleBreaking::default(),
            })
            .collect();
        layout.source = Some(name.clone());
        layout.deps = toml_deps(&name.display().to_string(), &text, &parsed)?;
        return Ok(layout);
    }
    load_buf_yaml(files).map(|l| l.unwrap_or_else(|| Layout::default_for(Version::V2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_roots_become_modules_and_bad_roots_are_located() {
        let path = Path::new("protosync.toml");
        let layout = parse_protosync_toml(
            path,
            "[build]\nroots = [\"proto\", \"./third_party/proto/\"]\n[breaking]\nuse = [\"WIRE\"]\n",
        )
        .unwrap();
        let roots: Vec<&Path> = layout.modules.iter().map(|m| m.root.as_path()).collect();
        assert_eq!(roots, [Path::new("proto"), Path::new("third_party/proto")]);
        assert!(layout
            .modules
            .iter()
            .all(|m| m.breaking.use_[0].id == "WIRE"));
        let err = parse_protosync_toml(path, "[build]\nroots = [\"a\", \"../b\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "protosync.toml:2:15: build.roots[2]: \"../b\" contains `..` (it must stay inside the repository)"
        );
        let err = parse_protosync_toml(path, "[build]\nroots = [\"a\", \"a/\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("build.roots[2]: \"a/\" is listed twice"),
            "{err}"
        );
        let err = parse_protosync_toml(path, "[build]\nroot = [\"a\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `root`"), "{err}");
    }
}
