//! Input specs: where one side of a comparison comes from.
//!
//! Today an input is a directory (its module layout may come from a buf.yaml). The spec type
//! is an enum so git refs, remote repositories and descriptor images slot in beside it.

use std::path::PathBuf;

use anyhow::{bail, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A directory: the include root; every `.proto` below it is a target.
    Dir(PathBuf),
}

impl Input {
    /// Parses an input spec as given on the command line.
    pub fn parse(spec: &str) -> Result<Input> {
        if spec.is_empty() {
            bail!("input spec is empty");
        }
        let (location, options) = match spec.split_once('#') {
            Some((l, o)) => (l, Some(o)),
            None => (spec, None),
        };
        if let Some(options) = options {
            bail!(
                "input {spec:?}: options after '#' ({options:?}) are for git and image inputs, which this version does not read yet; give a directory"
            );
        }
        let path = PathBuf::from(location);
        if !path.exists() {
            bail!("input {spec:?}: no such directory");
        }
        if !path.is_dir() {
            bail!("input {spec:?}: not a directory (file inputs such as images are not read yet)");
        }
        Ok(Input::Dir(path))
    }

    pub fn display(&self) -> String {
        match self {
            Input::Dir(p) => p.display().to_string(),
        }
    }
}
