//! Git revisions read straight from objects with git2: no checkout, no change to the working
//! tree or the index, no `git` binary. Works on bare repositories and on the `.git` of a
//! working copy.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Result};
use git2::{ObjectType, Oid, Repository};

use super::{short, MemFiles, Spec, CONFIG_FILES};
pub use crate::git::resolve::resolve;

/// Blob texts by object id. Both sides of a comparison usually share most files, and an
/// object id names its content, so each blob is read and decompressed once per run.
#[derive(Debug, Clone, Default)]
pub struct BlobCache(pub(super) Arc<Mutex<HashMap<Oid, Arc<str>>>>);

/// Reads the revision a local-repository spec names.
pub fn load_local(spec: &Spec, blobs: &BlobCache) -> Result<MemFiles> {
    let (repo, commit, label) = open_local(spec)?;
    read_commit(&repo, commit, spec.subdir.as_deref(), &label, blobs)
        .map_err(|e| anyhow!("input {:?}: {e}", spec.raw))
}

/// Opens the local repository a spec names and resolves its revision: the repository, the
/// commit and how to name it in messages.
pub fn open_local(spec: &Spec) -> Result<(Repository, Oid, String)> {
    let repo = Repository::open(Path::new(&spec.location)).map_err(|e| {
        anyhow!(
            "input {:?}: {} is not a git repository ({})",
            spec.raw,
            spec.location,
            e.message()
        )
    })?;
    let commit = resolve(&repo, &spec.want).map_err(|e| anyhow!("input {:?}: {e}", spec.raw))?;
    let label = format!("{}@{} ({})", spec.location, spec.want, short(&commit));
    Ok((repo, commit, label))
}

/// Reads every .proto file (and the configuration files at the root) of a commit's tree, or of
/// `subdir` in it, from objects.
pub fn read_commit(
    repo: &Repository,
    commit: Oid,
    subdir: Option<&str>,
    label: &str,
    blobs: &BlobCache,
) -> Result<MemFiles> {
    let started = std::time::Instant::now();
    let commit = repo.find_commit(commit)?;
    let mut tree = commit.tree()?;
    if let Some(sub) = subdir {
        let entry = tree
            .get_path(Path::new(sub))
            .map_err(|_| anyhow!("subdir {sub:?} does not exist in {label}"))?;
        if entry.kind() != Some(ObjectType::Tree) {
            bail!("{}", not_a_dir(sub, label));
        }
        tree = repo.find_tree(entry.id())?;
    }
    // Collect blob ids first, then read them (on all cores for large trees).
    let mut wanted: Vec<(String, Oid)> = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(ObjectType::Blob) && entry.filemode() != 0o120000 {
            if let Ok(name) = entry.name() {
                let path = format!("{dir}{name}");
                if name.ends_with(".proto") || CONFIG_FILES.contains(&name) {
                    wanted.push((path, entry.id()));
                }
            }
        }
        git2::TreeWalkResult::Ok
    })?;
    if !wanted.iter().any(|(p, _)| p.ends_with(".proto")) {
        match subdir {
            Some(sub) => bail!("subdir {sub:?} holds no .proto files in {label}"),
            None => bail!("no .proto files in {label}"),
        }
    }
    let mut files = BTreeMap::new();
    let mut missing = Vec::new();
    {
        let cache = blobs.0.lock().expect("blob cache");
        for (path, oid) in wanted {
            match cache.get(&oid) {
                Some(text) => {
                    files.insert(path, text.clone());
                }
                None => missing.push((path, oid)),
            }
        }
    }
    let walked = started.elapsed();
    let read = read_blobs(repo, &missing)?;
    if crate::trace::enabled() {
        crate::trace::note(&format!(
            "{label}: tree walk {:.3} s, {} blobs read in {:.3} s",
            walked.as_secs_f64(),
            missing.len(),
            (started.elapsed() - walked).as_secs_f64()
        ));
    }
    let mut cache = blobs.0.lock().expect("blob cache");
    for ((path, text), (_, oid)) in read.into_iter().zip(&missing) {
        cache.insert(*oid, text.clone());
        files.insert(path, text);
    }
    Ok(MemFiles {
        label: label.to_owned(),
        files,
    })
}

/// The error for a `subdir` that names a file. buf has no single-file git inputs (it refuses
/// them too): a file is selected with `--path`.
fn not_a_dir(sub: &str, label: &str) -> String {
    match sub.rsplit_once('/') {
        Some((dir, _)) if sub.ends_with(".proto") => format!(
            "subdir {sub:?} is a file in {label}; a git input is read by directory (as in buf): \
             name the module directory (subdir={dir}, or the directory holding its buf.yaml) \
             and select the file with --path {sub}"
        ),
        None if sub.ends_with(".proto") => format!(
            "subdir {sub:?} is a file in {label}; a git input is read by directory (as in buf): \
             leave subdir out and select the file with --path {sub}"
        ),
        _ => format!("subdir {sub:?} is not a directory in {label}"),
    }
}

/// The index being committed, written as a tree object (what `git write-tree` does; nothing
/// else changes). `$GIT_INDEX_FILE` is honoured: git points hooks of `git commit -a` and
/// `git commit <paths>` at a temporary index, and that is what the commit will hold.
pub fn write_index_tree(repo: &Repository) -> Result<Oid> {
    let mut index = match std::env::var_os("GIT_INDEX_FILE") {
        Some(path) if !path.is_empty() => {
            let path = std::path::PathBuf::from(path);
            let path = if path.is_relative() {
                std::env::current_dir()?.join(path)
            } else {
                path
            };
            git2::Index::open(&path)
                .map_err(|e| anyhow!("cannot read the index {}: {}", path.display(), e.message()))?
        }
        _ => repo
            .index()
            .map_err(|e| anyhow!("cannot read the index: {}", e.message()))?,
    };
    if index.has_conflicts() {
        bail!("the index has unmerged paths; resolve the conflicts first");
    }
    index
        .write_tree_to(repo)
        .map_err(|e| anyhow!("cannot write the index as a tree: {}", e.message()))
}

/// A parentless commit object of `tree` that no ref points to, so a tree can be read as a git
/// input (`#commit=`). Fixed author and time: the same tree always gives the same commit.
pub fn tree_commit(repo: &Repository, tree: Oid) -> Result<Oid> {
    let tree = repo.find_tree(tree)?;
    let sig = git2::Signature::new("protosync", "protosync@localhost", &git2::Time::new(0, 0))?;
    Ok(repo.commit(None, &sig, &sig, "protosync: staged tree", &tree, &[])?)
}

type Texts = Vec<(String, Arc<str>)>;

/// Reads blobs in the order given; the result is in the same order.
pub(super) fn read_blobs(repo: &Repository, wanted: &[(String, Oid)]) -> Result<Texts> {
    let threads = crate::parallelism().min(wanted.len().div_ceil(256).max(1));
    let read = |repo: &Repository, part: &[(String, Oid)]| -> Result<Texts> {
        let odb = repo.odb()?;
        part.iter()
            .map(|(path, oid)| {
                let obj = odb.read(*oid)?;
                // Not decoded as a directory's files are: these bytes are also what sync
                // vendors, and it never rewrites them.
                let text = std::str::from_utf8(obj.data()).map_err(|_| {
                    let at = crate::compile::utf8_error_place(obj.data()).unwrap_or_default();
                    anyhow!("{path}:{at}: not valid UTF-8 (protosync reads .proto files in git as UTF-8)")
                })?;
                Ok((path.clone(), Arc::from(text)))
            })
            .collect()
    };
    if threads <= 1 {
        return read(repo, wanted);
    }
    let chunk = wanted.len().div_ceil(threads);
    let git_dir = repo.path().to_path_buf();
    let parts: Vec<Result<Texts>> = std::thread::scope(|s| {
        let handles: Vec<_> = wanted
            .chunks(chunk)
            .map(|part| {
                let git_dir = git_dir.clone();
                s.spawn(move || {
                    let repo = Repository::open(&git_dir)?;
                    read(&repo, part)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("blob reader"))
            .collect()
    });
    let mut out = Vec::with_capacity(wanted.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}
