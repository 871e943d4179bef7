//! Remote git repositories, fetched into a cache (placeholder until the remote fetcher lands).
use anyhow::{bail, Result};
use std::path::PathBuf;

use super::{LoadOptions, Spec};

/// A fetched revision: the cached repository and the commit the spec resolved to.
pub struct Fetched {
    pub path: PathBuf,
    pub commit: git2::Oid,
}

pub fn fetch(spec: &Spec, _opts: &LoadOptions) -> Result<Fetched> {
    bail!(
        "input {:?}: remote repositories are not supported yet",
        spec.raw
    )
}
