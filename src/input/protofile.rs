//! A single `.proto` file as an input (`protosync breaking proto/acme/v1/a.proto --against …`),
//! read as buf reads it.
//!
//! Owns finding the module a file belongs to and choosing the files of that module that are
//! compiled: the file (with `include_package_files=true`, every file of its package in the
//! module) and what those import. It does not compile or compare.
//!
//! * **The module.** From the file's directory up to the working directory (never above it),
//!   the first `buf.work.yaml` or v2 `buf.yaml` names the workspace; without one, the nearest
//!   v1 `buf.yaml` is the module; without any, the file's own directory is the module root
//!   (`a.proto`), as buf does. A file outside the working directory gets only its own
//!   directory searched.
//! * **The files.** The module is laid out as a directory input would be; then only the
//!   targets and the files they import (transitively, from the module) stay. Imported files
//!   are compared as buf compares them (findings in them are reported unless
//!   `--exclude-imports`); the `--against` side stays whole, so files the input does not reach
//!   are reported deleted, as buf reports them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};

use super::spec::{Format, Spec};

/// Files whose presence makes a directory a buf workspace or module.
const MARKERS: &[&str] = &["buf.work.yaml", "buf.work.yml", "buf.yaml", "buf.yml"];

/// A `.proto` file input, located in its module.
#[derive(Debug, Clone)]
pub struct ProtoFile {
    /// The directory input the file is read through: the workspace or module directory.
    pub dir: Spec,
    /// The file's path relative to `dir`, `/`-separated.
    pub rel: String,
    pub include_package_files: bool,
}

/// Finds the workspace or module of the file a `protofile` spec names, relative to the
/// working directory `cwd`.
pub fn locate(spec: &Spec, cwd: &Path, side: &str) -> Result<ProtoFile> {
    let file = Path::new(&spec.location);
    if !cwd.join(file).is_file() {
        bail!(
            "{side} {:?}: no such file (a .proto file input names one file)",
            spec.raw
        );
    }
    let name = file.file_name().unwrap_or_default();
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let canon = |p: &Path| {
        std::fs::canonicalize(cwd.join(p))
            .map_err(|e| anyhow!("{side} {:?}: cannot resolve {}: {e}", spec.raw, p.display()))
    };
    let abs_parent = canon(parent)?;
    let cwd_abs = canon(Path::new("."))?;
    let abs = abs_parent.join(name);
    // The directories searched, (as shown, absolute): from the file's up to the working
    // directory when the file is under it, else only the file's.
    let dirs: Vec<(PathBuf, PathBuf)> = match abs_parent.strip_prefix(&cwd_abs) {
        Ok(inside) => inside
            .ancestors()
            .map(|a| (a.to_path_buf(), cwd_abs.join(a)))
            .collect(),
        Err(_) => vec![(parent.to_path_buf(), abs_parent.clone())],
    };
    let mut nearest_v1 = None;
    let mut chosen = None;
    for (shown, abs) in &dirs {
        let found: Vec<&str> = MARKERS
            .iter()
            .copied()
            .filter(|m| abs.join(m).is_file())
            .collect();
        let workspace = found.iter().any(|m| m.starts_with("buf.work"))
            || found
                .iter()
                .filter(|m| !m.starts_with("buf.work"))
                .any(|m| is_v2(&abs.join(m)));
        if workspace {
            chosen = Some((shown.clone(), abs.clone()));
            break;
        }
        if nearest_v1.is_none() && !found.is_empty() {
            nearest_v1 = Some((shown.clone(), abs.clone()));
        }
    }
    let (dir, dir_abs) = chosen.or(nearest_v1).unwrap_or_else(|| dirs[0].clone());
    let rel = abs
        .strip_prefix(&dir_abs)
        .map_err(|_| {
            anyhow!(
                "{side} {:?}: cannot place the file in {}",
                spec.raw,
                dir.display()
            )
        })?
        .to_string_lossy()
        .replace('\\', "/");
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    Ok(ProtoFile {
        dir: Spec {
            raw: spec.raw.clone(),
            format: Format::Dir,
            ..Spec::dir(&dir)
        },
        rel,
        include_package_files: spec.flags.include_package_files,
    })
}

/// Whether a `buf.yaml` says `version: v2`.
fn is_v2(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| {
        t.lines().any(|l| {
            let l = l.trim();
            l.strip_prefix("version:")
                .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == "v2")
        })
    })
}

/// What stays of a laid-out module tree for a file input.
#[derive(Debug, Default)]
pub struct Selection {
    /// The files compared as targets (module paths).
    pub targets: BTreeSet<String>,
    /// Files compiled because a target imports them (module paths, not targets).
    pub imports: BTreeSet<String>,
}

/// Chooses the files of `files` (module path → source; `under_dir`: module path → the path
/// under the input directory) for the file `pf.rel`: it, with `include_package_files` every
/// file of its package in the same module, and what they import.
pub fn select(
    pf: &ProtoFile,
    files: &BTreeMap<String, Arc<str>>,
    under_dir: &HashMap<String, String>,
    module_of: &HashMap<String, usize>,
    side: &str,
) -> Result<Selection> {
    let Some((target, _)) = under_dir.iter().find(|(_, d)| **d == pf.rel) else {
        bail!(
            "{side} {:?}: {} is not in a module of {} (excluded, or outside every module \
             directory the configuration lists)",
            pf.dir.raw,
            pf.rel,
            pf.dir.location
        );
    };
    let mut targets = BTreeSet::from([target.clone()]);
    if pf.include_package_files {
        let package = package_of(&files[target]);
        let module = module_of.get(target);
        for (path, text) in files {
            if module_of.get(path) == module && package_of(text) == package {
                targets.insert(path.clone());
            }
        }
    }
    let mut imports = BTreeSet::new();
    let mut todo: Vec<String> = targets.iter().cloned().collect();
    while let Some(path) = todo.pop() {
        for dep in imports_of(&path, &files[&path]) {
            if files.contains_key(&dep) && !targets.contains(&dep) && imports.insert(dep.clone()) {
                todo.push(dep);
            }
        }
    }
    Ok(Selection { targets, imports })
}

/// The package a file declares ("" for none). A lexical scan (comments and strings skipped,
/// `package` at the top level), not a parse: a module of thousands of files is scanned for
/// every run with `include_package_files`; a file that does not parse is the compiler's to
/// report.
fn package_of(text: &str) -> String {
    let b = text.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if depth == 0 && &text[start..i] == "package" {
                    let end = text[i..].find(';').map_or(text.len(), |e| i + e);
                    return text[i..end].split_whitespace().collect();
                }
            }
            _ => i += 1,
        }
    }
    String::new()
}

/// The files a file imports (none when it does not parse: the compiler reports that).
fn imports_of(name: &str, text: &str) -> Vec<String> {
    protox_parse::parse(name, text)
        .map(|f| f.dependency)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn located(cwd: &Path, file: &str) -> (String, String) {
        let spec = super::super::spec::parse(file).unwrap();
        let pf = locate(&spec, cwd, "input").unwrap();
        (pf.dir.location, pf.rel)
    }

    #[test]
    fn packages_are_scanned_past_comments_and_strings() {
        let text = "// package no;\n/* package no; */ syntax = \"proto3\";\n\
                    option go_package = \"x;package\";\npackage  acme . v1 ;\nmessage package {}\n";
        assert_eq!(package_of(text), "acme.v1");
        assert_eq!(
            package_of("syntax = \"proto3\";\nmessage M { string package = 1; }\n"),
            ""
        );
    }

    #[test]
    fn the_module_is_found_as_buf_finds_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "a/proto/buf.yaml", "version: v1\n");
        write(root, "a/proto/acme/v1/x.proto", "syntax = \"proto3\";\n");
        write(
            root,
            "b/buf.yaml",
            "version: v2\nmodules:\n  - path: proto\n",
        );
        write(root, "b/proto/acme/v1/x.proto", "syntax = \"proto3\";\n");
        write(root, "c/p/acme/v1/x.proto", "syntax = \"proto3\";\n");
        write(
            root,
            "d/buf.work.yaml",
            "version: v1\ndirectories: [proto]\n",
        );
        write(root, "d/proto/buf.yaml", "version: v1\n");
        write(root, "d/proto/acme/x.proto", "syntax = \"proto3\";\n");
        let a = root.join("a");
        assert_eq!(
            located(&a, "proto/acme/v1/x.proto"),
            ("proto".into(), "acme/v1/x.proto".into())
        );
        // Not above the working directory: the file's own directory is the root.
        assert_eq!(
            located(&a.join("proto/acme"), "v1/x.proto"),
            ("v1".into(), "x.proto".into())
        );
        let b = root.join("b");
        assert_eq!(
            located(&b, "proto/acme/v1/x.proto"),
            (".".into(), "proto/acme/v1/x.proto".into())
        );
        let c = root.join("c");
        assert_eq!(
            located(&c, "p/acme/v1/x.proto"),
            ("p/acme/v1".into(), "x.proto".into())
        );
        // A workspace above a v1 module wins.
        let d = root.join("d");
        assert_eq!(
            located(&d, "./proto/acme/x.proto"),
            (".".into(), "proto/acme/x.proto".into())
        );
        // Outside the working directory: only the file's directory.
        let outside = a.join("proto/acme/v1/x.proto").display().to_string();
        let (dir, rel) = located(&c, &outside);
        assert!(dir.ends_with("a/proto/acme/v1"), "{dir}");
        assert_eq!(rel, "x.proto");
    }
}
