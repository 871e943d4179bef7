//! `recurse_submodules=true` for git inputs: the trees of a commit's submodules, read from
//! objects at the commits its gitlinks record, as if they were part of the superproject's tree
//! (buf runs `git submodule update --init --recursive`; protosync checks nothing out).
//!
//! Owns finding each submodule's objects and walking the combined tree. Where they come from:
//!
//! * **Local repositories**: the superproject's `.git/modules/<name>` (where `git submodule
//!   update` keeps them), else the submodule's checkout in the work tree, else the URL in
//!   `.gitmodules` when it is a local path or `file://` URL (relative URLs resolve against the
//!   superproject's directory).
//! * **Remote repositories**: the gitlink's commit fetched from the URL in `.gitmodules` at
//!   that commit into the remote cache (relative URLs resolve against the superproject's URL),
//!   with the same credentials, `--offline` and cache rules as any remote input.
//!
//! Nested submodules are read the same way, from their own `.gitmodules`. Without the flag a
//! gitlink is skipped, as buf skips it. It does not parse .proto files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use git2::{ObjectType, Oid, Repository};

use super::git::{read_blobs, BlobCache};
use super::{LoadOptions, MemFiles, Spec};

/// Where the superproject lives.
pub enum Origin<'a> {
    /// A local repository (its objects are the repository passed in).
    Local,
    /// A remote repository fetched from this URL into the cache.
    Remote { url: &'a str, opts: &'a LoadOptions },
}

/// Nesting deeper than this is taken for a cycle.
const MAX_DEPTH: usize = 8;

struct Repo {
    repo: Repository,
    /// The URL (remote) or directory (local) relative submodule URLs resolve against.
    base: String,
}

struct Walk<'a> {
    origin: &'a Origin<'a>,
    repos: Vec<Repo>,
    /// Path in the combined tree → (blob, index of the repository holding it).
    blobs: Vec<(String, Oid, usize)>,
    label: &'a str,
}

/// Reads every .proto file (and the configuration files at the input root) of `commit` and its
/// submodules, or of `subdir` in the combined tree.
pub fn read_commit(
    repo: Repository,
    commit: Oid,
    subdir: Option<&str>,
    label: &str,
    blobs: &BlobCache,
    origin: &Origin,
) -> Result<MemFiles> {
    let base = match origin {
        Origin::Local => repo
            .workdir()
            .unwrap_or_else(|| repo.path())
            .display()
            .to_string(),
        Origin::Remote { url, .. } => url.to_string(),
    };
    let mut walk = Walk {
        origin,
        repos: vec![Repo { repo, base }],
        blobs: Vec::new(),
        label,
    };
    walk.tree(0, commit, "", 0)?;
    let prefix = subdir.map(|s| format!("{s}/")).unwrap_or_default();
    let mut by_repo: BTreeMap<usize, Vec<(String, Oid)>> = BTreeMap::new();
    for (path, oid, ri) in std::mem::take(&mut walk.blobs) {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if rel.ends_with(".proto") || super::is_config_file(rel) {
            by_repo.entry(ri).or_default().push((rel.to_owned(), oid));
        }
    }
    if !by_repo
        .values()
        .flatten()
        .any(|(p, _)| p.ends_with(".proto"))
    {
        match subdir {
            Some(sub) => {
                bail!("subdir {sub:?} holds no .proto files in {label} (submodules included)")
            }
            None => bail!("no .proto files in {label} (submodules included)"),
        }
    }
    let mut files = BTreeMap::new();
    for (ri, wanted) in by_repo {
        let texts = read_blobs(&walk.repos[ri].repo, &wanted)?;
        let mut cache = blobs.0.lock().expect("blob cache");
        for ((path, text), (_, oid)) in texts.into_iter().zip(&wanted) {
            cache.insert(*oid, text.clone());
            files.insert(path, text);
        }
    }
    Ok(MemFiles {
        label: label.to_owned(),
        files,
    })
}

impl Walk<'_> {
    /// Collects the blobs of `commit` (of repository `ri`) under `prefix`, and recurses into its
    /// gitlinks.
    fn tree(&mut self, ri: usize, commit: Oid, prefix: &str, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            bail!(
                "submodules of {} nest deeper than {MAX_DEPTH} levels at {prefix:?}",
                self.label
            );
        }
        let (links, gitmodules) = {
            let repo = &self.repos[ri].repo;
            let tree = repo.find_commit(commit)?.tree()?;
            let mut links = Vec::new();
            let blobs = &mut self.blobs;
            tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if let Ok(name) = entry.name() {
                    let path = format!("{prefix}{dir}{name}");
                    match entry.kind() {
                        Some(ObjectType::Blob) if entry.filemode() != 0o120000 => {
                            blobs.push((path, entry.id(), ri))
                        }
                        Some(ObjectType::Commit) => {
                            links.push((format!("{dir}{name}"), entry.id()))
                        }
                        _ => {}
                    }
                }
                git2::TreeWalkResult::Ok
            })?;
            let gitmodules = match tree.get_path(Path::new(".gitmodules")) {
                Ok(e) => {
                    let blob = repo.find_blob(e.id())?;
                    String::from_utf8_lossy(blob.content()).into_owned()
                }
                Err(_) => String::new(),
            };
            (links, gitmodules)
        };
        let modules = parse_gitmodules(&gitmodules);
        for (path, oid) in links {
            let shown = format!("{prefix}{path}");
            let Some((name, url)) = modules.get(&path) else {
                bail!(
                    "submodule at {shown:?} in {}: .gitmodules has no entry with path = {path}",
                    self.label
                );
            };
            let sub = self.open(ri, name, &path, url, oid, &shown)?;
            self.tree(sub, oid, &format!("{shown}/"), depth + 1)?;
        }
        Ok(())
    }

    /// Opens (or fetches) the repository of submodule `name` that holds `commit`.
    fn open(
        &mut self,
        parent: usize,
        name: &str,
        path: &str,
        url: &str,
        commit: Oid,
        shown: &str,
    ) -> Result<usize> {
        let resolved = resolve_url(&self.repos[parent].base, url);
        let found = match self.origin {
            Origin::Local => {
                let p = &self.repos[parent].repo;
                let mut candidates: Vec<PathBuf> = vec![p.path().join("modules").join(name)];
                if let Some(work) = p.workdir() {
                    candidates.push(work.join(path));
                }
                let local = resolved.strip_prefix("file://").unwrap_or(&resolved);
                if !local.contains("://") {
                    candidates.push(PathBuf::from(local));
                }
                let hit = candidates.iter().find_map(|c| {
                    let r = Repository::open(c).ok()?;
                    let has = r.find_commit(commit).is_ok();
                    has.then(|| (r, c.clone()))
                });
                let Some((repo, at)) = hit else {
                    bail!(
                        "submodule {name:?} at {shown:?} in {}: commit {commit} is in none of {}; \
                         run `git submodule update --init --recursive` first",
                        self.label,
                        candidates
                            .iter()
                            .map(|c| c.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                };
                Repo {
                    repo,
                    base: at.display().to_string(),
                }
            }
            Origin::Remote { opts, .. } => {
                let spec = Spec::git(&resolved, super::GitWant::Commit(commit.to_string()));
                let fetched = super::remote::fetch(&spec, opts).map_err(|e| {
                    anyhow!(
                        "submodule {name:?} at {shown:?} in {} ({resolved}): {e:#}",
                        self.label
                    )
                })?;
                Repo {
                    repo: Repository::open(&fetched.path)?,
                    base: resolved,
                }
            }
        };
        self.repos.push(found);
        Ok(self.repos.len() - 1)
    }
}

/// `.gitmodules`: submodule path → (name, url).
fn parse_gitmodules(text: &str) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Option<String>, Option<String>)> = None;
    let mut flush = |c: Option<(String, Option<String>, Option<String>)>| {
        if let Some((name, Some(path), url)) = c {
            out.insert(
                path.trim_end_matches('/').to_owned(),
                (name, url.unwrap_or_default()),
            );
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            flush(current.take());
            let section = section.trim_end_matches(']').trim();
            if let Some(name) = section.strip_prefix("submodule") {
                let name = name.trim().trim_matches('"').to_owned();
                current = Some((name, None, None));
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        if let Some((_, path, url)) = current.as_mut() {
            match key.trim() {
                "path" => *path = Some(value),
                "url" => *url = Some(value),
                _ => {}
            }
        }
    }
    flush(current.take());
    out
}

/// A submodule URL as git resolves it: `./x` and `../x` against the superproject's URL (or
/// directory), anything else as written.
fn resolve_url(base: &str, url: &str) -> String {
    if !(url.starts_with("./") || url.starts_with("../")) {
        return url.to_owned();
    }
    let mut base = base.trim_end_matches('/').to_owned();
    let mut rest = url;
    loop {
        if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("../") {
            rest = r;
            match base.rfind('/') {
                Some(i) if !base[..i].ends_with('/') => base.truncate(i),
                _ => {}
            }
        } else {
            break;
        }
    }
    format!("{base}/{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_resolve_against_the_superproject() {
        assert_eq!(
            resolve_url("https://h/org/app.git", "../protos.git"),
            "https://h/org/protos.git"
        );
        assert_eq!(
            resolve_url("https://h/org/app.git/", "./sub.git"),
            "https://h/org/app.git/sub.git"
        );
        assert_eq!(resolve_url("/srv/app", "../lib"), "/srv/lib");
        assert_eq!(
            resolve_url("/srv/app", "https://x/y.git"),
            "https://x/y.git"
        );
    }

    #[test]
    fn gitmodules_map_paths_to_names_and_urls() {
        let m = parse_gitmodules(
            "[submodule \"common\"]\n\tpath = third_party/common\n\turl = ../common.git\n\
             [submodule \"x\"]\n  url = https://h/x.git\n  path = x/\n",
        );
        assert_eq!(
            m["third_party/common"],
            ("common".into(), "../common.git".into())
        );
        assert_eq!(m["x"], ("x".into(), "https://h/x.git".into()));
    }
}
