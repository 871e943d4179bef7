//! `protosync diff`: every semantic change between two versions of a schema, each with its
//! impact (breaking under the configured rules, compatible, or cosmetic), the semver verdict
//! and the package-version advice (docs/DIFF.md).
//!
//! The walk (`walk`) reads only the schema model; which changes are breaking comes from the
//! breaking engine's findings, attached to the changes they are about (`attach`). Renames and
//! moves are recognised by structure (`renames`), which also hints the findings of `breaking`.
//! Structural wire identity of types (`structure`) serves the opt-in structural mode of the
//! WIRE checks. Nothing here prints (report::diff does).

pub mod changes;
pub mod renames;
pub mod report;
pub mod semver;
mod walk;

use anyhow::Result;

use crate::pipeline::{self, BreakingOptions, Paths};
pub use changes::{Change, Impact, Kind};
pub use report::{diff, of, DiffReport};
pub use semver::{PackageAdvice, Semver, Stability};

/// Loads, compiles and compares both sides as `breaking` does (same configuration, same
/// findings), then lists every change, its files named as `paths` says.
pub fn run(opts: &BreakingOptions, paths: Paths) -> Result<DiffReport> {
    let (report, cur, prev, namer) = pipeline::run_breaking_with_schemas(opts)?;
    let t = std::time::Instant::now();
    let mut out = of(&prev, &cur, &report);
    for c in &mut out.changes {
        if let Some(p) = &c.path {
            c.path = Some(namer.name(p, cur.file(p).is_some(), paths));
        }
    }
    crate::trace::since("diff", t);
    std::thread::spawn(move || drop((cur, prev)));
    Ok(out)
}
