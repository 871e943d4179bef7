//! Inputs: where one side of a comparison comes from.
//!
//! A spec (`spec`) names a directory, a git revision of a local repository (`git`), a remote
//! repository fetched into a cache (`remote`), a tar or zip archive, local or downloaded into
//! the cache (`archive`, `download`), a descriptor image (`image`), or one `.proto` file read
//! in its module (`protofile`). Directories, git trees and archives become [`Files`] (read by the config/layout loader and the compiler); images
//! are already compiled.

pub mod archive;
pub mod download;
pub mod git;
pub mod image;
mod json_enums;
pub mod protofile;
pub mod releases;
pub mod remote;
pub mod spec;
pub mod submodules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};

use crate::compile::Compiled;
pub use spec::{ArchiveOptions, Compression, Format, GitWant, Spec, SpecError, SpecFlags};

/// The files of a directory-like input: a directory on disk or a git tree read from objects.
pub trait Files: Send + Sync {
    /// How to name this input in messages (`proto/`, `.git@main (1a2b3c4)`).
    fn describe(&self) -> String;
    /// A text file at `rel` (relative to the input root), if it exists.
    fn read_text(&self, rel: &str) -> Result<Option<String>>;
    /// Whether `rel` is a directory of the input ("" is the root).
    fn is_dir(&self, rel: &str) -> bool;
    /// Every `.proto` file under `rel`, keyed by its path relative to `rel`.
    fn protos_under(&self, rel: &str) -> Result<BTreeMap<String, Arc<str>>>;
}

/// A directory on disk.
pub struct DiskFiles {
    pub root: PathBuf,
}

impl Files for DiskFiles {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn read_text(&self, rel: &str) -> Result<Option<String>> {
        let path = self.root.join(rel);
        if !path.is_file() {
            return Ok(None);
        }
        std::fs::read_to_string(&path)
            .map(Some)
            .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))
    }

    fn is_dir(&self, rel: &str) -> bool {
        self.root.join(rel).is_dir()
    }

    fn protos_under(&self, rel: &str) -> Result<BTreeMap<String, Arc<str>>> {
        Ok(crate::compile::read_dir_tree(&self.root.join(rel))?.files)
    }
}

/// Files held in memory: a git tree read straight from objects, or an archive's entries.
pub struct MemFiles {
    pub label: String,
    /// Path relative to the input root -> contents (.proto files and configuration files).
    pub files: BTreeMap<String, Arc<str>>,
}

impl MemFiles {
    pub fn empty() -> MemFiles {
        MemFiles {
            label: String::new(),
            files: BTreeMap::new(),
        }
    }
}

impl Files for MemFiles {
    fn describe(&self) -> String {
        self.label.clone()
    }

    fn read_text(&self, rel: &str) -> Result<Option<String>> {
        Ok(self.files.get(rel).map(|s| s.to_string()))
    }

    fn is_dir(&self, rel: &str) -> bool {
        rel.is_empty() || {
            let prefix = format!("{}/", rel.trim_end_matches('/'));
            self.files.keys().any(|k| k.starts_with(&prefix))
        }
    }

    fn protos_under(&self, rel: &str) -> Result<BTreeMap<String, Arc<str>>> {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{}/", rel.trim_end_matches('/'))
        };
        Ok(self
            .files
            .iter()
            .filter(|(k, _)| k.ends_with(".proto"))
            .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|r| (r.to_owned(), v.clone())))
            .collect())
    }
}

/// Names of configuration files read besides .proto files, at the input root and in its
/// directories (a v1 workspace's modules and a v1 `proto/buf.yaml` have their own).
pub const CONFIG_FILES: &[&str] = &[
    "protosync.toml",
    "buf.yaml",
    "buf.yml",
    "buf.lock",
    "buf.work.yaml",
    "buf.work.yml",
];

/// Whether a file at `path` (relative to the input root) is one of [`CONFIG_FILES`].
pub fn is_config_file(path: &str) -> bool {
    CONFIG_FILES.contains(&path.rsplit('/').next().unwrap_or(path))
}

/// A loaded input.
pub enum Loaded {
    Files(Box<dyn Files>),
    Image(Box<Compiled>),
}

/// Options for loading inputs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Use the remote cache only; never touch the network.
    pub offline: bool,
    /// Where remote repositories are cached (`$PROTOSYNC_CACHE_DIR`, else the user cache dir).
    pub cache_dir: Option<PathBuf>,
    /// Blobs already read in this run, shared by both sides of a comparison.
    pub blobs: git::BlobCache,
    /// `--dep NAME=INPUT` flags: dependency module name → input spec (they win over
    /// `[deps]`).
    pub deps: Vec<(String, String)>,
}

/// Loads an input spec. `side` names it in errors ("input", "against").
pub fn load(spec: &Spec, opts: &LoadOptions, side: &str) -> Result<Loaded> {
    match spec.format {
        Format::Dir => {
            let path = Path::new(&spec.location);
            if !path.exists() {
                bail!("{side} {:?}: no such directory", spec.raw);
            }
            if !path.is_dir() {
                bail!(
                    "{side} {:?}: not a directory (for an image, name it *.binpb or *.json, or add #format=binpb)",
                    spec.raw
                );
            }
            Ok(Loaded::Files(Box::new(DiskFiles {
                root: path.to_path_buf(),
            })))
        }
        Format::Git if spec.is_remote() => {
            let fetched = remote::fetch(spec, opts)?;
            let repo = git2::Repository::open(&fetched.path).map_err(|e| {
                anyhow!(
                    "{side} {:?}: cannot open the cached repository: {}",
                    spec.raw,
                    e.message()
                )
            })?;
            let label = format!(
                "{}@{} ({})",
                spec.location,
                spec.want,
                short(&fetched.commit)
            );
            if spec.flags.recurse_submodules {
                let origin = submodules::Origin::Remote {
                    url: &spec.location,
                    opts,
                };
                let (sub, blobs) = (spec.subdir.as_deref(), &opts.blobs);
                let files =
                    submodules::read_commit(repo, fetched.commit, sub, &label, blobs, &origin)
                        .map_err(|e| anyhow!("{side} {:?}: {e}", spec.raw))?;
                return Ok(Loaded::Files(Box::new(files)));
            }
            let files = git::read_commit(
                &repo,
                fetched.commit,
                spec.subdir.as_deref(),
                &label,
                &opts.blobs,
            )?;
            Ok(Loaded::Files(Box::new(files)))
        }
        Format::Git if spec.flags.recurse_submodules => {
            let (repo, commit, label) = git::open_local(spec)?;
            let origin = submodules::Origin::Local;
            let (sub, blobs) = (spec.subdir.as_deref(), &opts.blobs);
            let files = submodules::read_commit(repo, commit, sub, &label, blobs, &origin)
                .map_err(|e| anyhow!("{side} {:?}: {e}", spec.raw))?;
            Ok(Loaded::Files(Box::new(files)))
        }
        Format::Git => Ok(Loaded::Files(Box::new(git::load_local(spec, &opts.blobs)?))),
        Format::Tar | Format::Zip => Ok(Loaded::Files(Box::new(load_archive(spec, opts, side)?))),
        Format::Binpb | Format::Json | Format::Txtpb => {
            Ok(Loaded::Image(Box::new(image::load(spec, side)?)))
        }
        Format::ProtoFile => bail!(
            "{side} {:?}: a single .proto file is an input of `breaking` and `diff` only; \
             name its directory here",
            spec.raw
        ),
    }
}

/// A tar or zip archive, local or downloaded into the cache, read into memory.
fn load_archive(spec: &Spec, opts: &LoadOptions, side: &str) -> Result<MemFiles> {
    let path = if spec.is_remote() {
        download::fetch(&spec.location, opts)
            .map_err(|e| anyhow!("{side} {:?}: {e:#}", spec.raw))?
    } else {
        let path = PathBuf::from(&spec.location);
        if !path.is_file() {
            bail!("{side} {:?}: no such archive file", spec.raw);
        }
        path
    };
    archive::load(spec, &path).map_err(|e| anyhow!("{side} {:?}: {e:#}", spec.raw))
}

/// The first 7 hex digits of an object id.
pub fn short(oid: &git2::Oid) -> String {
    oid.to_string()[..7].to_owned()
}
