//! What a vendored copy is, against its lock and against the contract: which contract files
//! each `[[vendor]]` mapping selects and where they go ([`select`]), what is on disk
//! ([`scan`]), the state of every file ([`FileView::state`], for `status` and `check`), and
//! the file changes a sync would make ([`FileView::action`]).
//!
//! # Mapping
//!
//! `from` is under `contract.root`:
//! * a file: it goes to `to/<its file name>`;
//! * a directory: every .proto file under it goes to `to/<its path under from>`;
//! * a glob: every .proto file whose path, or one of whose parent directories, matches goes to
//!   `to/<its path under the glob's literal directory prefix>` (`acme/*/v1` puts
//!   `acme/billing/v1/b.proto` at `to/billing/v1/b.proto`).
//!
//! Only `.proto` files are vendored. A mapping that selects nothing is an error (a typo would
//! otherwise delete the copy).
//!
//! # Local edits
//!
//! The lock records what protosync wrote. A file whose bytes differ from its lock entry is a
//! local edit, committed to git or not; a file at a planned path that the lock does not list
//! is one too, unless it already holds the planned bytes. A file already equal to what the
//! sync would write is never a local edit (this is how a sync interrupted by a crash
//! completes). A deleted vendored file is restored, not treated as an edit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use serde::Serialize;

use super::config::{SyncConfig, Vendor};
use super::contract::Protos;
use super::fsafe::{normalize_rel, safe_join};
use super::lock::Lock;
use crate::hash::sha256_hex;

/// A contract file selected by a mapping, and where it goes.
#[derive(Debug, Clone)]
pub struct Target {
    /// Path in the service repository.
    pub path: String,
    /// Path under the contract root (its import path).
    pub rel: String,
    /// Index of the `[[vendor]]` mapping.
    pub mapping: usize,
    pub text: Arc<str>,
}

pub(super) fn glob_base(glob: &str) -> String {
    let parts: Vec<&str> = glob
        .split('/')
        .take_while(|p| !p.contains(['*', '?', '[', ']', '{', '}']))
        .collect();
    parts.join("/")
}

/// Where `rel` (a path under the contract root) goes under `v`, if `v` selects it.
pub fn destination(
    v: &Vendor,
    matcher: Option<&globset::GlobMatcher>,
    rel: &str,
) -> Option<String> {
    let under = match matcher {
        Some(m) => {
            let mut hit = m.is_match(rel);
            let mut dir = rel;
            while !hit {
                match dir.rfind('/') {
                    Some(i) => {
                        dir = &dir[..i];
                        hit = m.is_match(dir);
                    }
                    None => break,
                }
            }
            if !hit {
                return None;
            }
            let base = glob_base(&v.from);
            if base.is_empty() {
                rel.to_owned()
            } else {
                rel.strip_prefix(&format!("{base}/"))?.to_owned()
            }
        }
        None if rel == v.from => rel.rsplit('/').next().unwrap_or(rel).to_owned(),
        None => rel.strip_prefix(&format!("{}/", v.from))?.to_owned(),
    };
    Some(format!("{}/{under}", v.to))
}

pub(super) fn matcher(v: &Vendor) -> Result<Option<globset::GlobMatcher>> {
    if !v.from_is_glob {
        return Ok(None);
    }
    let glob = globset::GlobBuilder::new(&v.from)
        .literal_separator(true)
        .build()
        .map_err(|e| anyhow!("{}: vendor.from {:?}: {e}", v.place, v.from))?;
    Ok(Some(glob.compile_matcher()))
}

/// The contract files every mapping selects. A mapping that selects nothing is an error that
/// names it.
pub fn select(cfg: &SyncConfig, protos: &Protos, at: &str) -> Result<Vec<Target>> {
    // A tree entry git itself would not write (`/abs.proto`, `.`, `..`, a control character)
    // comes from a crafted contract repository: refused whatever the command (init, sync,
    // status), before any mapping is applied.
    for rel in protos.keys() {
        match normalize_rel(rel, false) {
            Ok(clean) if &clean == rel => {}
            Ok(_) => bail!(
                "contract file {:?} in {at} has an empty, `.` or absolute path component; refusing the contract tree",
                cfg.contract.repo_path(rel)
            ),
            Err(why) => bail!(
                "contract file {:?} in {at} {why}; refusing the contract tree",
                cfg.contract.repo_path(rel)
            ),
        }
    }
    let mut out = Vec::new();
    for (i, v) in cfg.vendors.iter().enumerate() {
        let m = matcher(v)?;
        let before = out.len();
        for (rel, text) in protos {
            if let Some(path) = destination(v, m.as_ref(), rel) {
                let path = normalize_rel(&path, false).map_err(|why| {
                    anyhow!(
                        "contract file {:?} would be vendored to {path:?}, which {why}",
                        cfg.contract.repo_path(rel)
                    )
                })?;
                out.push(Target {
                    path,
                    rel: rel.clone(),
                    mapping: i,
                    text: text.clone(),
                });
            }
        }
        if out.len() == before {
            bail!(
                "{}: vendor[{}].from {:?} selects no .proto file under {} in {at}",
                v.place,
                i + 1,
                v.from,
                if cfg.contract.root.is_empty() {
                    "the repository root".to_owned()
                } else {
                    format!("contract.root {:?}", cfg.contract.root)
                }
            );
        }
    }
    Ok(out)
}

/// The paths protosync may vendor: `.proto` files strictly under some mapping's `to`.
/// Nothing else is ever written or deleted by a sync. A lookup walks the path's parent
/// directories (no scan of every mapping), so checking a lock is linear in its size.
pub struct VendoredSet<'a> {
    tos: std::collections::HashSet<&'a str>,
}

impl<'a> VendoredSet<'a> {
    pub fn new(cfg: &'a SyncConfig) -> VendoredSet<'a> {
        VendoredSet {
            tos: cfg.vendors.iter().map(|v| v.to.as_str()).collect(),
        }
    }

    /// Whether `path` (normalised, repo-relative) is in the set.
    pub fn contains(&self, path: &str) -> bool {
        if !path.ends_with(".proto") || path.contains(|c: char| c.is_control()) {
            return false;
        }
        let mut dir = path;
        while let Some(i) = dir.rfind('/') {
            dir = &dir[..i];
            if self.tos.contains(dir) {
                return true;
            }
        }
        false
    }
}

/// Refuses a lock that lists a file protosync would never vendor (outside every mapping's
/// `to`, or not a `.proto`): a lock comes with pull requests, and a sync deletes what its lock
/// lists and the contract no longer has, so such an entry could make it delete source files.
/// The error names the entry's place in the lock.
pub fn check_lock_scope(cfg: &SyncConfig, lock: &Lock, lock_path: &Path) -> Result<()> {
    let set = VendoredSet::new(cfg);
    for path in lock.files.keys() {
        if set.contains(path) {
            continue;
        }
        let place = lock
            .places
            .0
            .get(path)
            .cloned()
            .unwrap_or_else(|| lock_path.display().to_string());
        let why = if !path.ends_with(".proto") {
            "is not a .proto file".to_owned()
        } else {
            let tos: Vec<String> = cfg.vendors.iter().map(|v| format!("{:?}", v.to)).collect();
            format!("is under no [[vendor]] mapping's `to` ({})", tos.join(", "))
        };
        bail!(
            "{place}: file.path: {path:?} {why}; protosync only vendors .proto files under a \
             mapping's `to`, so a lock may list nothing else (nothing was written). If a mapping \
             was removed or moved, delete its old files and their [[file]] entries, or delete \
             {} and run `protosync sync` again",
            crate::sync::lock::LOCK_FILE
        );
    }
    Ok(())
}

/// The .proto files under every mapping's `to` directory and every path the lock lists, with
/// their bytes. Paths go through [`safe_join`], so a symlink out of the repository is refused.
pub fn scan(cfg: &SyncConfig, lock: Option<&Lock>) -> Result<BTreeMap<String, Vec<u8>>> {
    let root = cfg.repo_root();
    let mut out = BTreeMap::new();
    for v in &cfg.vendors {
        let dir = safe_join(root, &v.to)?;
        if dir.is_dir() {
            walk(&dir, &v.to, &mut out)?;
        } else if dir.exists() {
            bail!("{}: vendor.to {:?} is not a directory", v.place, v.to);
        }
    }
    if let Some(lock) = lock {
        for path in lock.files.keys() {
            if out.contains_key(path) {
                continue;
            }
            let full = safe_join(root, path)?;
            if let Some(bytes) = read_file(&full)? {
                out.insert(path.clone(), bytes);
            }
        }
    }
    Ok(out)
}

/// The bytes of the blob at `path` in `tree`; `None` when there is none (or it is a symlink
/// or a submodule).
pub fn tree_blob(
    repo: &git2::Repository,
    tree: &git2::Tree,
    path: &str,
) -> Result<Option<Vec<u8>>> {
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(None);
    };
    if entry.kind() != Some(git2::ObjectType::Blob) || entry.filemode() == 0o120000 {
        return Ok(None);
    }
    Ok(Some(repo.find_blob(entry.id())?.content().to_vec()))
}

/// The counterpart of [`scan`] for a git tree (the index written as a tree, a commit's): the
/// .proto files under every mapping's `to` directory and every path the lock lists. `in_repo`
/// turns a service path into a path in the repository; `label` says where the tree comes
/// from in messages (`staged`, `on branch main`).
pub fn scan_tree(
    repo: &git2::Repository,
    tree: &git2::Tree,
    cfg: &SyncConfig,
    lock: Option<&Lock>,
    in_repo: &dyn Fn(&str) -> String,
    label: &str,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for v in &cfg.vendors {
        let Ok(entry) = tree.get_path(Path::new(&in_repo(&v.to))) else {
            continue;
        };
        if entry.kind() != Some(git2::ObjectType::Tree) {
            bail!(
                "{}: vendor.to {:?} is not a directory ({label})",
                v.place,
                v.to
            );
        }
        let sub = repo.find_tree(entry.id())?;
        let mut found = Vec::new();
        sub.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            if e.kind() == Some(git2::ObjectType::Blob) && e.filemode() != 0o120000 {
                if let Ok(name) = e.name() {
                    if name.ends_with(".proto") {
                        found.push((format!("{}/{dir}{name}", v.to), e.id()));
                    }
                }
            }
            git2::TreeWalkResult::Ok
        })?;
        for (path, id) in found {
            out.insert(path, repo.find_blob(id)?.content().to_vec());
        }
    }
    if let Some(lock) = lock {
        for path in lock.files.keys() {
            if !out.contains_key(path) {
                if let Some(bytes) = tree_blob(repo, tree, &in_repo(path))? {
                    out.insert(path.clone(), bytes);
                }
            }
        }
    }
    Ok(out)
}

fn read_file(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| anyhow!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ty = entry.file_type()?;
        let child = format!("{rel}/{name}");
        if ty.is_dir() {
            walk(&entry.path(), &child, out)?;
        } else if ty.is_file() && name.ends_with(".proto") {
            out.insert(child, std::fs::read(entry.path())?);
        }
    }
    Ok(())
}

/// The state of one vendored file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Bytes equal the lock (and the contract has nothing newer).
    InSync,
    /// Unchanged locally; the contract changed, added or deleted it.
    Behind,
    /// Bytes differ from the lock: someone changed the copy.
    Edited,
    /// Edited locally and changed in the contract.
    Diverged,
    /// Listed in the lock, gone from disk.
    Missing,
    /// On disk under a mapped directory, not in the lock.
    Extra,
}

impl FileState {
    pub fn label(self) -> &'static str {
        match self {
            FileState::InSync => "in sync",
            FileState::Behind => "behind",
            FileState::Edited => "edited",
            FileState::Diverged => "diverged",
            FileState::Missing => "missing",
            FileState::Extra => "extra",
        }
    }

    /// Whether the copy differs from what protosync wrote.
    pub fn is_drift(self) -> bool {
        matches!(
            self,
            FileState::Edited | FileState::Diverged | FileState::Missing | FileState::Extra
        )
    }
}

/// What a sync does with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Add,
    Change,
    Delete,
    /// Already holds the planned bytes (or is a deletion of a file already gone).
    Unchanged,
    /// Not protosync's file (not in the lock, not in the contract): left alone.
    Leave,
}

/// One file as seen by the lock, the disk and the contract.
#[derive(Debug, Clone)]
pub struct FileView {
    /// Path in the service repository.
    pub path: String,
    /// Path in the contract repository (root included), when known.
    pub from: Option<String>,
    /// Path under the contract root (import path), when known.
    pub rel: Option<String>,
    /// The mapping whose `to` holds it.
    pub mapping: Option<usize>,
    pub disk: Option<Vec<u8>>,
    pub disk_sha: Option<String>,
    pub locked_sha: Option<String>,
    /// What the contract has for this path (`None`: not selected, or contract not read).
    pub new: Option<Arc<str>>,
    pub new_sha: Option<String>,
}

impl FileView {
    /// The file's state. `contract_known`: whether `new` reflects the contract (otherwise the
    /// state is against the lock alone).
    pub fn state(&self, contract_known: bool) -> FileState {
        let (disk, lock, new) = (
            self.disk_sha.as_deref(),
            self.locked_sha.as_deref(),
            self.new_sha.as_deref(),
        );
        match (lock, disk) {
            (Some(_), None) => FileState::Missing,
            (Some(l), Some(d)) if d != l => {
                if contract_known && new != Some(l) && new != Some(d) {
                    FileState::Diverged
                } else {
                    FileState::Edited
                }
            }
            (Some(l), Some(_)) => {
                if contract_known && new != Some(l) {
                    FileState::Behind
                } else {
                    FileState::InSync
                }
            }
            (None, Some(d)) => {
                if contract_known && new == Some(d) {
                    FileState::Behind
                } else {
                    FileState::Extra
                }
            }
            (None, None) => FileState::Behind,
        }
    }

    /// What changed upstream, for a `behind` file.
    pub fn upstream(&self) -> &'static str {
        match (&self.locked_sha, &self.new_sha) {
            (None, _) => "added upstream",
            (Some(_), None) => "deleted upstream",
            _ => "changed upstream",
        }
    }

    /// What a sync does with the file, and why it would overwrite a local edit (a conflict).
    pub fn action(&self) -> (Action, Option<&'static str>) {
        let (disk, lock) = (self.disk_sha.as_deref(), self.locked_sha.as_deref());
        match self.new_sha.as_deref() {
            Some(n) => match disk {
                None => (Action::Add, None),
                Some(d) if d == n => (Action::Unchanged, None),
                Some(d) => match lock {
                    Some(l) if l == d => (Action::Change, None),
                    Some(_) => (Action::Change, Some("edited locally (differs from protosync.lock)")),
                    None => (
                        Action::Change,
                        Some("not written by protosync (not in protosync.lock) and differs from the contract"),
                    ),
                },
            },
            None => match (lock, disk) {
                (None, _) => (Action::Leave, None),
                (Some(_), None) => (Action::Unchanged, None),
                (Some(l), Some(d)) if l == d => (Action::Delete, None),
                (Some(_), Some(_)) => (
                    Action::Delete,
                    Some("edited locally (differs from protosync.lock) and no longer in the contract"),
                ),
            },
        }
    }
}

/// Every file of interest: the lock's, the disk's under mapped directories, and the
/// contract's (`targets`, when read), sorted by path.
pub fn views(
    cfg: &SyncConfig,
    lock: Option<&Lock>,
    disk: BTreeMap<String, Vec<u8>>,
    targets: Option<&[Target]>,
) -> Vec<FileView> {
    let mut paths: BTreeSet<String> = disk.keys().cloned().collect();
    if let Some(lock) = lock {
        paths.extend(lock.files.keys().cloned());
    }
    let by_path: BTreeMap<&str, &Target> = targets
        .unwrap_or(&[])
        .iter()
        .map(|t| (t.path.as_str(), t))
        .collect();
    paths.extend(by_path.keys().map(|p| p.to_string()));
    let mut disk = disk;
    paths
        .into_iter()
        .map(|path| {
            let target = by_path.get(path.as_str());
            let locked = lock.and_then(|l| l.files.get(&path));
            let from = target
                .map(|t| cfg.contract.repo_path(&t.rel))
                .or_else(|| locked.map(|l| l.from.clone()));
            let rel = target.map(|t| t.rel.clone()).or_else(|| {
                let from = from.as_deref()?;
                if cfg.contract.root.is_empty() {
                    Some(from.to_owned())
                } else {
                    from.strip_prefix(&format!("{}/", cfg.contract.root))
                        .map(str::to_owned)
                }
            });
            let mapping = target.map(|t| t.mapping).or_else(|| {
                cfg.vendors
                    .iter()
                    .position(|v| path.starts_with(&format!("{}/", v.to)))
            });
            let bytes = disk.remove(&path);
            FileView {
                disk_sha: bytes.as_deref().map(sha256_hex),
                disk: bytes,
                locked_sha: locked.map(|l| l.sha256.clone()),
                new_sha: target.map(|t| sha256_hex(t.text.as_bytes())),
                new: target.map(|t| t.text.clone()),
                from,
                rel,
                mapping,
                path,
            }
        })
        .collect()
}

/// A unified diff of one file (`a/PATH` → `b/PATH`; `/dev/null` for an added or deleted
/// file) and its added and removed line counts.
pub fn unified_diff(path: &str, old: Option<&[u8]>, new: Option<&str>) -> (String, usize, usize) {
    let old_text = old.map(String::from_utf8_lossy).unwrap_or_default();
    let new_text = new.unwrap_or("");
    let diff = similar::TextDiff::from_lines(old_text.as_ref(), new_text);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let a = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_owned()
    };
    let b = if new.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".to_owned()
    };
    let text = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&a, &b)
        .to_string();
    (text, added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor(from: &str, to: &str) -> Vendor {
        Vendor {
            from: from.into(),
            from_is_glob: from.contains('*'),
            to: to.into(),
            place: "protosync.toml:1:1".into(),
        }
    }

    #[test]
    fn destinations_for_files_dirs_and_globs() {
        let dir = vendor("acme/billing/v1", "third_party/acme/billing/v1");
        assert_eq!(
            destination(&dir, None, "acme/billing/v1/a.proto").as_deref(),
            Some("third_party/acme/billing/v1/a.proto")
        );
        assert_eq!(
            destination(&dir, None, "acme/billing/v1/sub/b.proto").as_deref(),
            Some("third_party/acme/billing/v1/sub/b.proto")
        );
        assert_eq!(destination(&dir, None, "acme/billing/v10/a.proto"), None);
        let file = vendor("acme/billing/v1/a.proto", "vendor/billing");
        assert_eq!(
            destination(&file, None, "acme/billing/v1/a.proto").as_deref(),
            Some("vendor/billing/a.proto")
        );
        let glob = vendor("acme/*/v1", "third_party/acme");
        let m = matcher(&glob).unwrap();
        assert_eq!(
            destination(&glob, m.as_ref(), "acme/billing/v1/a.proto").as_deref(),
            Some("third_party/acme/billing/v1/a.proto")
        );
        assert_eq!(
            destination(&glob, m.as_ref(), "acme/billing/v2/a.proto"),
            None
        );
        let files = vendor("acme/**/*.proto", "x");
        let m = matcher(&files).unwrap();
        assert_eq!(
            destination(&files, m.as_ref(), "acme/a/b/c.proto").as_deref(),
            Some("x/a/b/c.proto")
        );
        assert_eq!(destination(&files, m.as_ref(), "other/c.proto"), None);
    }

    fn view(lock: Option<&str>, disk: Option<&str>, new: Option<&str>) -> FileView {
        FileView {
            path: "p".into(),
            from: None,
            rel: None,
            mapping: Some(0),
            disk: disk.map(|d| d.as_bytes().to_vec()),
            disk_sha: disk.map(|d| sha256_hex(d.as_bytes())),
            locked_sha: lock.map(|l| sha256_hex(l.as_bytes())),
            new: new.map(Arc::from),
            new_sha: new.map(|n| sha256_hex(n.as_bytes())),
        }
    }

    #[test]
    fn states_cover_every_combination() {
        use FileState::*;
        let cases = [
            (
                (Some("a"), Some("a"), Some("a")),
                InSync,
                Action::Unchanged,
                false,
            ),
            (
                (Some("a"), Some("a"), Some("b")),
                Behind,
                Action::Change,
                false,
            ),
            ((Some("a"), Some("a"), None), Behind, Action::Delete, false),
            ((None, None, Some("b")), Behind, Action::Add, false),
            (
                (None, Some("b"), Some("b")),
                Behind,
                Action::Unchanged,
                false,
            ),
            (
                (Some("a"), Some("x"), Some("a")),
                Edited,
                Action::Change,
                true,
            ),
            (
                (Some("a"), Some("x"), Some("b")),
                Diverged,
                Action::Change,
                true,
            ),
            // A crash left the new bytes without the new lock: not a conflict.
            (
                (Some("a"), Some("b"), Some("b")),
                Edited,
                Action::Unchanged,
                false,
            ),
            ((Some("a"), Some("x"), None), Diverged, Action::Delete, true),
            ((Some("a"), None, Some("a")), Missing, Action::Add, false),
            ((None, Some("x"), Some("b")), Extra, Action::Change, true),
            ((None, Some("x"), None), Extra, Action::Leave, false),
        ];
        for ((l, d, n), state, action, conflict) in cases {
            let v = view(l, d, n);
            assert_eq!(v.state(true), state, "{l:?} {d:?} {n:?}");
            assert_eq!(v.action().0, action, "{l:?} {d:?} {n:?}");
            assert_eq!(v.action().1.is_some(), conflict, "{l:?} {d:?} {n:?}");
        }
        // Without the contract, states are against the lock alone.
        assert_eq!(view(Some("a"), Some("a"), None).state(false), InSync);
        assert_eq!(view(Some("a"), Some("x"), None).state(false), Edited);
    }

    #[test]
    fn diff_counts_lines_and_names_sides() {
        let (text, added, removed) = unified_diff("a.proto", Some(b"x\ny\n"), Some("x\nz\n"));
        assert_eq!((added, removed), (1, 1));
        assert!(
            text.starts_with("--- a/a.proto\n+++ b/a.proto\n@@"),
            "{text}"
        );
        let (text, added, removed) = unified_diff("n.proto", None, Some("a\nb\n"));
        assert_eq!((added, removed), (2, 0));
        assert!(text.starts_with("--- /dev/null\n+++ b/n.proto\n"), "{text}");
    }
}
