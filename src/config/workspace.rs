//! buf's v1 workspaces: `buf.work.yaml` (`version: v1`, `directories: [...]`) at the input root,
//! each directory a module laid out and configured by its own `buf.yaml` (or buf's defaults when
//! it has none). Module roots become `<directory>/<root>`, so files are compiled with their
//! module-relative paths (imports between the modules resolve as in buf) and findings name them
//! under the directory, as buf prints them.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde_norway::Value;

use super::buf::{at_line, module_dir, refuse_unknown_keys};
use super::{Layout, Module, ModuleBreaking};
use crate::breaking::Version;
use crate::input::Files;

/// The directories a `buf.work.yaml` lists, validated (relative, inside the input, distinct,
/// not nested in one another).
pub fn directories(file: &str, text: &str) -> Result<Vec<String>> {
    let doc: Value = serde_norway::from_str(text).map_err(|e| anyhow!("{file}: {e}"))?;
    let top = doc
        .as_mapping()
        .ok_or_else(|| anyhow!("{file}:1: buf.work.yaml must be a mapping (`version: v1` …)"))?;
    refuse_unknown_keys(
        top,
        &["version", "directories"],
        "",
        text,
        file,
        "buf.work.yaml",
    )?;
    match top.get("version").and_then(Value::as_str) {
        Some("v1") => {}
        other => bail!("{file}: version: expected v1 (buf.work.yaml has only v1), found {other:?}"),
    }
    let list = match top.get("directories") {
        Some(Value::Sequence(items)) if !items.is_empty() => items,
        _ => bail!("{file}: directories: expected a non-empty list of module directories"),
    };
    let mut dirs: Vec<String> = Vec::new();
    for (i, d) in list.iter().enumerate() {
        let raw = d
            .as_str()
            .ok_or_else(|| anyhow!("{file}: directories[{i}]: expected a string"))?;
        let key = format!("directories[{i}]");
        let dir = module_dir(raw, &key, text, file)?;
        if dir.is_empty() {
            bail!("{file}: {key}: {raw:?} is the workspace root; list the module directories");
        }
        let nested = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}/"));
        if let Some(other) = dirs.iter().find(|o| nested(&dir, o) || nested(o, &dir)) {
            let line = text.lines().position(|l| l.contains(raw)).map(|l| l + 1);
            bail!(
                "{}: {key}: {raw:?} overlaps {other:?}; workspace directories must not contain one another",
                at_line(file, line)
            );
        }
        dirs.push(dir);
    }
    Ok(dirs)
}

/// The layout of a workspace input: one or more modules per directory, from each directory's
/// buf.yaml. `shown` names a file of the input in messages.
pub fn layout(
    files: &dyn Files,
    file: &Path,
    text: &str,
    shown: impl Fn(&str) -> PathBuf,
) -> Result<Layout> {
    let dirs = directories(&file.display().to_string(), text)?;
    let mut modules = Vec::new();
    let mut version = None;
    let mut deps = Vec::new();
    for dir in &dirs {
        if !files.is_dir(dir) {
            bail!(
                "{}: directories: {dir:?} does not exist in {}",
                file.display(),
                files.describe()
            );
        }
        let mut own = None;
        for name in ["buf.yaml", "buf.yml"] {
            let rel = format!("{dir}/{name}");
            if let Some(t) = files.read_text(&rel)? {
                own = Some(super::buf::parse(&shown(&rel), &t)?);
                break;
            }
        }
        let own = own.unwrap_or_else(|| Layout {
            version: Version::V1,
            source: None,
            git_timeout: None,
            deps: Default::default(),
            modules: vec![Module {
                root: PathBuf::new(),
                excludes: Vec::new(),
                breaking: ModuleBreaking::default(),
            }],
        });
        if own.version == Version::V2 {
            bail!(
                "{}: {dir}/buf.yaml is version v2; a v2 buf.yaml lists its modules itself \
                 (`modules:`) and replaces buf.work.yaml: move it to the workspace root",
                file.display()
            );
        }
        version.get_or_insert(own.version);
        // The modules of a workspace build together: their dependencies are shared.
        let lock = super::buf_lock(files, dir)?;
        for d in super::deps::with_lock(own.deps.declared, lock)? {
            if deps
                .iter()
                .all(|o: &super::deps::Declared| o.name != d.name)
            {
                deps.push(d);
            }
        }
        for m in own.modules {
            let root = Path::new(dir).join(&m.root);
            modules.push(Module { root, ..m });
        }
    }
    let layout = Layout {
        version: version.unwrap_or(Version::V1),
        git_timeout: None,
        source: Some(file.to_path_buf()),
        modules,
        deps: super::deps::Deps {
            declared: deps,
            mappings: Vec::new(),
        },
    };
    super::validate(&layout).map_err(|e| anyhow!("{e:#}"))?;
    Ok(layout)
}

#[cfg(test)]
mod tests {
    use super::directories;

    #[test]
    fn directories_are_checked() {
        let ok = directories("w", "version: v1\ndirectories:\n  - proto\n  - ./vendor/\n").unwrap();
        assert_eq!(ok, ["proto", "vendor"]);
        for (text, needle) in [
            ("version: v1\ndirectories: []\n", "non-empty"),
            ("version: v2\ndirectories: [a]\n", "expected v1"),
            ("version: v1\ndirectories: [a, a/b]\n", "overlaps"),
            ("version: v1\ndirectories: [../a]\n", "directories[0]"),
            ("version: v1\ndirectories: [.]\n", "workspace root"),
            ("version: v1\ndirs: [a]\n", "dirs"),
        ] {
            let err = format!("{:#}", directories("w", text).unwrap_err());
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
