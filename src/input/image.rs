//! Descriptor images (placeholder until the image reader lands).
use anyhow::{bail, Result};

use super::Spec;
use crate::compile::Compiled;

pub fn load(spec: &Spec, side: &str) -> Result<Compiled> {
    bail!("{side} {:?}: images are not supported yet", spec.raw)
}
