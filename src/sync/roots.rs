//! The contract root when `contract.root` (or `init --root`) is not given: the repository root
//! when every `[[vendor]]` path is found there (the behaviour before buf layouts were read),
//! else the module directory, of those the contract's own buf configuration lists, that holds
//! every mapped path. The configuration is read from the contract's git objects at the commit
//! being synced, never from a checkout: a v2 `buf.yaml`'s `modules`, a v1 `buf.work.yaml`'s
//! directories (each with its own `buf.yaml`), a v1beta1 `build.roots`, or, with nothing at the
//! top, every `buf.yaml` in a subdirectory (the usual v1 layout, `proto/buf.yaml`).
//!
//! A path found in several modules, in none, or mappings spread over different modules are
//! errors that list the candidates and say how to set the root. It decides; it does not read
//! or write the service repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use git2::{ObjectType, Oid, Repository};

use super::config::{SyncConfig, Vendor};
use super::contract::{Contract, Protos};
use super::plan;
use crate::input::{self, git, Files, MemFiles};

/// How a message tells the user to set the root: `init` takes a flag, the other commands
/// read `protosync.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// `--root proto`
    Flag,
    /// `contract.root = "proto"`
    Config,
}

impl Hint {
    fn set(self, root: &str) -> String {
        match self {
            Hint::Flag if root.is_empty() => "`--root .`".to_owned(),
            Hint::Flag => format!("`--root {root}`"),
            Hint::Config => format!("`contract.root = {:?}`", root),
        }
    }
}

const BUF_FILES: &[&str] = &["buf.yaml", "buf.yml", "buf.work.yaml", "buf.work.yml"];

/// The buf configuration files of a commit's tree (at any depth), with their text, and every
/// .proto path (with empty contents: only the paths are needed to lay the modules out).
pub fn configs(repo: &Repository, commit: Oid, protos: &Protos, label: &str) -> Result<MemFiles> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut wanted = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = entry.name().unwrap_or_default();
        if entry.kind() == Some(ObjectType::Blob)
            && entry.filemode() != 0o120000
            && BUF_FILES.contains(&name)
        {
            wanted.push((format!("{dir}{name}"), entry.id()));
        }
        git2::TreeWalkResult::Ok
    })?;
    let mut files: BTreeMap<String, Arc<str>> =
        protos.keys().map(|p| (p.clone(), Arc::from(""))).collect();
    for (path, oid) in wanted {
        let blob = repo.find_blob(oid)?;
        let text = std::str::from_utf8(blob.content())
            .map_err(|_| anyhow!("{label}:{path}: not valid UTF-8"))?;
        files.insert(path, Arc::from(text));
    }
    Ok(MemFiles {
        label: label.to_owned(),
        files,
    })
}

/// The module directories the contract's buf configuration lists ("" for the repository
/// root), in the order written, without repeats.
pub fn modules(files: &MemFiles) -> Result<Vec<String>> {
    let context = |e: anyhow::Error| anyhow!("the contract's buf configuration: {e:#}");
    let mut out: Vec<String> = Vec::new();
    let mut push = |dir: String| {
        if !out.contains(&dir) {
            out.push(dir);
        }
    };
    let slash = |p: &Path| crate::config::clean_path(&p.to_string_lossy());
    if let Some(layout) = crate::config::load_buf_yaml(files).map_err(context)? {
        for m in &layout.modules {
            push(slash(&m.root));
        }
        return Ok(out);
    }
    for (path, text) in &files.files {
        let Some((dir, name)) = path.rsplit_once('/') else {
            continue;
        };
        if name != "buf.yaml" && name != "buf.yml" {
            continue;
        }
        let shown = format!("{}:{path}", files.describe());
        let layout = crate::config::buf::parse(Path::new(&shown), text).map_err(context)?;
        for m in &layout.modules {
            push(slash(&Path::new(dir).join(&m.root)));
        }
    }
    Ok(out)
}

/// The files of `protos` (repository paths) under `root`, keyed by their path under it.
pub fn under(protos: &Protos, root: &str) -> Protos {
    if root.is_empty() {
        return protos.clone();
    }
    let prefix = format!("{root}/");
    protos
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_owned(), v.clone())))
        .collect()
}

/// Whether `v` selects at least one of `protos` (repository paths) under `root`.
fn selects(v: &Vendor, protos: &Protos, root: &str) -> Result<bool> {
    let m = plan::matcher(v)?;
    let prefix = if root.is_empty() {
        String::new()
    } else {
        format!("{root}/")
    };
    Ok(protos
        .keys()
        .filter_map(|k| k.strip_prefix(prefix.as_str()))
        .any(|rel| plan::destination(v, m.as_ref(), rel).is_some()))
}

/// Backquoted names joined with `, `.
fn listed(items: &[String]) -> String {
    let shown: Vec<String> = items
        .iter()
        .map(|m| {
            if m.is_empty() {
                "`.`".to_owned()
            } else {
                format!("`{m}`")
            }
        })
        .collect();
    shown.join(", ")
}

/// The modules (of `candidates`, "" for the repository root) in which `v` selects something.
fn homes(v: &Vendor, protos: &Protos, candidates: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for m in candidates {
        if selects(v, protos, m)? {
            out.push(m.clone());
        }
    }
    Ok(out)
}

/// Paths close to `v.from` in any of `modules`: `(path under the module, module)`.
fn near(v: &Vendor, protos: &Protos, modules: &[String]) -> Vec<(String, String)> {
    let mut known: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in modules {
        for rel in under(protos, m).keys() {
            let mut p = rel.as_str();
            loop {
                known.entry(p.to_owned()).or_default().insert(m.clone());
                match p.rfind('/') {
                    Some(i) => p = &p[..i],
                    None => break,
                }
            }
        }
    }
    let want = plan::glob_base(&v.from);
    let want = if want.is_empty() { &v.from } else { &want };
    crate::suggest::closest(want, known.keys().map(String::as_str), 1)
        .into_iter()
        .flat_map(|p| known[p].iter().map(move |m| (p.to_owned(), m.clone())))
        .collect()
}

/// Decides the contract root for `cfg` (whose `contract.root` was not set) from every .proto
/// file of the contract (`protos`, repository paths) and, only when some mapping is not found
/// at the repository root, its buf configuration (`files`, read on demand). `at` names the
/// contract and commit in messages.
pub fn decide(
    cfg: &SyncConfig,
    protos: &Protos,
    files: impl FnOnce() -> Result<MemFiles>,
    hint: Hint,
    at: &str,
) -> Result<String> {
    let mut missing_at_root = false;
    for v in &cfg.vendors {
        missing_at_root |= !selects(v, protos, "")?;
    }
    if !missing_at_root {
        return Ok(String::new());
    }
    let modules = modules(&files()?)?;
    if modules.iter().all(String::is_empty) {
        // No module directory to look in: the repository root, as before (select names the
        // mapping that finds nothing).
        return Ok(String::new());
    }
    let mut candidates = vec![String::new()];
    candidates.extend(modules.iter().filter(|m| !m.is_empty()).cloned());
    let mut common: Option<Vec<String>> = None;
    let mut found: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, v) in cfg.vendors.iter().enumerate() {
        let homes = homes(v, protos, &candidates)?;
        if homes.is_empty() {
            bail!("{}", missing(v, i, protos, &candidates, &modules, hint, at));
        }
        common = Some(match common {
            None => homes.clone(),
            Some(c) => c.into_iter().filter(|m| homes.contains(m)).collect(),
        });
        found.push((i, homes));
    }
    let common = common.unwrap_or_default();
    match common.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(split(cfg, &found, hint, at)),
        many => {
            let (i, _) = found
                .iter()
                .find(|(_, homes)| homes.len() > 1)
                .unwrap_or(&found[0]);
            let v = &cfg.vendors[*i];
            let sets: Vec<String> = many.iter().map(|m| hint.set(m)).collect();
            bail!(
                "{}: vendor[{}].from {:?} is in more than one module of {at} ({}); \
                 say which with {}",
                v.place,
                i + 1,
                v.from,
                listed(many),
                sets.join(" or ")
            )
        }
    }
}

/// The message for mappings found in different modules (`found`: each mapping's modules).
fn split(cfg: &SyncConfig, found: &[(usize, Vec<String>)], hint: Hint, at: &str) -> anyhow::Error {
    let each: Vec<String> = found
        .iter()
        .map(|(i, homes)| {
            format!(
                "vendor[{}].from {:?} in {}",
                i + 1,
                cfg.vendors[*i].from,
                listed(homes)
            )
        })
        .collect();
    let (i, module) = found
        .iter()
        .find_map(|(i, homes)| homes.iter().find(|m| !m.is_empty()).map(|m| (*i, m)))
        .unwrap_or((0, &found[0].1[0]));
    anyhow!(
        "{}: the mappings are in different modules of {at} ({}); one protosync.toml reads one \
         contract root: set it to the repository root with {} and write each `from` with its \
         module directory (`{module}/{}`)",
        cfg.path.display(),
        each.join("; "),
        hint.set(""),
        cfg.vendors[i].from,
    )
}

/// The message for a mapping found in no module, with the paths close to it.
fn missing(
    v: &Vendor,
    i: usize,
    protos: &Protos,
    candidates: &[String],
    modules: &[String],
    hint: Hint,
    at: &str,
) -> String {
    let mut msg = format!(
        "{}: vendor[{}].from {:?} selects no .proto file at the repository root or in the \
         modules the contract's buf configuration lists ({}) in {at}",
        v.place,
        i + 1,
        v.from,
        listed(modules)
    );
    let close = near(v, protos, candidates);
    if !close.is_empty() {
        let shown: Vec<String> = close
            .iter()
            .map(|(p, m)| {
                if m.is_empty() {
                    format!("`{p}` (at the repository root)")
                } else {
                    format!("`{p}` (in module `{m}`, {})", hint.set(m))
                }
            })
            .collect();
        msg.push_str(&format!("; did you mean {}?", shown.join(" or ")));
    }
    msg
}

/// For a root that was given and selects nothing for some mapping: where the contract's buf
/// configuration puts the path instead ("`acme/billing/v1` is in module `proto`: did you mean
/// `--root proto`?"), if anywhere.
pub fn elsewhere(
    cfg: &SyncConfig,
    protos: &Protos,
    files: &MemFiles,
    hint: Hint,
) -> Option<String> {
    let mut candidates = vec![String::new()];
    candidates.extend(modules(files).ok()?.into_iter().filter(|m| !m.is_empty()));
    candidates.retain(|m| *m != cfg.contract.root);
    for v in &cfg.vendors {
        if selects(v, protos, &cfg.contract.root).ok()? {
            continue;
        }
        let homes = homes(v, protos, &candidates).ok()?;
        let sets: Vec<String> = homes.iter().map(|m| hint.set(m)).collect();
        return match homes.as_slice() {
            [] => None,
            [m] if m.is_empty() => Some(format!(
                "`{}` is at the repository root: did you mean {}?",
                v.from, sets[0]
            )),
            [m] => Some(format!(
                "`{}` is in module `{m}`: did you mean {}?",
                v.from, sets[0]
            )),
            many => Some(format!(
                "`{}` is in modules {}: did you mean {}?",
                v.from,
                listed(many),
                sets.join(" or ")
            )),
        };
    }
    None
}

/// The contract root for `cfg` at `commit` and the .proto files under it: `contract.root`
/// when it is set, else decided from where the mappings are and the contract's buf
/// configuration at that commit ([`decide`]). `at` names the contract in messages.
pub fn rooted(
    contract: &Contract,
    cfg: &SyncConfig,
    commit: Oid,
    hint: Hint,
    at: &str,
    blobs: &git::BlobCache,
) -> Result<(String, Protos)> {
    if cfg.contract.root_set {
        let root = cfg.contract.root.clone();
        let protos = contract.protos(commit, &root, blobs)?;
        return Ok((root, protos));
    }
    let all = contract.protos(commit, "", blobs)?;
    let label = format!("contract {}@{}", contract.display, input::short(&commit));
    let files = || configs(contract.repo(), commit, &all, &label);
    let root = decide(cfg, &all, files, hint, at)?;
    let protos = under(&all, &root);
    Ok((root, protos))
}

/// [`elsewhere`] for a contract at `commit`: where its buf configuration puts a mapping that
/// selects nothing under the configured root, for the message.
pub fn elsewhere_in(
    contract: &Contract,
    cfg: &SyncConfig,
    commit: Oid,
    hint: Hint,
    blobs: &git::BlobCache,
) -> Option<String> {
    let all = contract.protos(commit, "", blobs).ok()?;
    let label = format!("contract {}@{}", contract.display, input::short(&commit));
    let files = configs(contract.repo(), commit, &all, &label).ok()?;
    elsewhere(cfg, &all, &files, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(froms: &[&str]) -> SyncConfig {
        let mut text = "[contract]\nrepo = \"../c\"\n".to_owned();
        for (i, f) in froms.iter().enumerate() {
            text.push_str(&format!("[[vendor]]\nfrom = \"{f}\"\nto = \"t/{i}\"\n"));
        }
        super::super::config::parse(Path::new("protosync.toml"), &text).unwrap()
    }

    fn tree(files: &[(&str, &str)]) -> (Protos, MemFiles) {
        let all: BTreeMap<String, Arc<str>> = files
            .iter()
            .map(|(p, t)| (p.to_string(), Arc::from(*t)))
            .collect();
        let protos = all
            .iter()
            .filter(|(k, _)| k.ends_with(".proto"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let files = MemFiles {
            label: "c".into(),
            files: all,
        };
        (protos, files)
    }

    fn decided(froms: &[&str], files: &[(&str, &str)]) -> Result<String> {
        let (protos, mem) = tree(files);
        decide(&cfg(froms), &protos, || Ok(mem), Hint::Config, "c@main")
    }

    #[test]
    fn the_repository_root_first_then_the_module_that_holds_every_path() {
        let v1 = [
            ("proto/buf.yaml", "version: v1\n"),
            ("proto/a/x.proto", ""),
            ("proto/b/y.proto", ""),
        ];
        assert_eq!(decided(&["a", "b/*.proto"], &v1).unwrap(), "proto");
        assert_eq!(decided(&["proto/a"], &v1).unwrap(), "");
        // v1beta1 build.roots at the top, a v2 module list.
        let beta = [
            (
                "buf.yaml",
                "version: v1beta1\nbuild:\n  roots: [src/proto]\n",
            ),
            ("src/proto/a/x.proto", ""),
        ];
        assert_eq!(decided(&["a"], &beta).unwrap(), "src/proto");
        let v2 = [
            (
                "buf.yaml",
                "version: v2\nmodules:\n  - path: p1\n  - path: p2\n",
            ),
            ("p1/a/x.proto", ""),
            ("p2/b/y.proto", ""),
        ];
        assert_eq!(decided(&["b"], &v2).unwrap(), "p2");
        // Without any buf configuration: the repository root, as before.
        assert_eq!(decided(&["a"], &[("proto/a/x.proto", "")]).unwrap(), "");
    }

    #[test]
    fn ambiguous_missing_and_split_paths_are_errors_naming_the_modules() {
        let ws = [
            ("buf.work.yaml", "version: v1\ndirectories: [p1, p2]\n"),
            ("p1/a/x.proto", ""),
            ("p2/a/x.proto", ""),
            ("p2/b/y.proto", ""),
        ];
        let e = decided(&["a"], &ws).unwrap_err().to_string();
        assert!(
            e.contains("more than one module") && e.contains("`p1`, `p2`"),
            "{e}"
        );
        assert_eq!(decided(&["a", "b"], &ws).unwrap(), "p2");
        let e = decided(&["c"], &ws).unwrap_err().to_string();
        assert!(e.contains("selects no .proto file"), "{e}");
        let e = decided(&["x/y"], &[("buf.yaml", "version: v1\nlint: {\n")]);
        assert!(format!("{:#}", e.unwrap_err()).contains("buf configuration"));
    }

    #[test]
    fn a_given_root_that_misses_points_at_the_module() {
        let (protos, mem) = tree(&[
            ("buf.yaml", "version: v2\nmodules:\n  - path: proto\n"),
            ("proto/a/x.proto", ""),
        ]);
        let mut c = cfg(&["a"]);
        c.contract.root = "other".into();
        c.contract.root_set = true;
        assert_eq!(
            elsewhere(&c, &protos, &mem, Hint::Flag).as_deref(),
            Some("`a` is in module `proto`: did you mean `--root proto`?")
        );
        c.contract.root = "proto".into();
        assert_eq!(elsewhere(&c, &protos, &mem, Hint::Flag), None);
    }
}
