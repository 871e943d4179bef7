//! `diff`: every change between two versions, classified, with the semver verdict.

use std::io::Write;

use anyhow::Result;
use clap::ValueEnum;

use crate::diff::Impact;
use crate::pipeline::BreakingOptions;
use crate::report::diff::DiffFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFailOn {
    Breaking,
    Compatible,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The current version (same syntax as `breaking`'s INPUT).
    pub input: String,
    /// The previous version, e.g. `.git#branch=main`.
    #[arg(long, value_name = "INPUT")]
    pub against: String,
    #[arg(long, value_enum, default_value_t = DiffFormatArg::Text)]
    pub format: DiffFormatArg,
    /// Exit 1 when a breaking change (or, with `compatible`, any non-cosmetic change) exists.
    #[arg(long, value_enum)]
    pub fail_on: Option<DiffFailOn>,
    #[command(flatten)]
    pub compare: super::breaking::CompareArgs,
}

impl DiffArgs {
    pub fn options(&self) -> BreakingOptions {
        self.compare.options(&self.input, &self.against)
    }
}

pub(super) fn diff(args: DiffArgs, out: &mut dyn Write) -> Result<i32> {
    let diff = crate::diff::run(&args.options(), crate::pipeline::Paths::Reached)?;
    let format = match args.format {
        DiffFormatArg::Text => DiffFormat::Text,
        DiffFormatArg::Json => DiffFormat::Json,
        DiffFormatArg::Markdown => DiffFormat::Markdown,
    };
    out.write_all(crate::report::diff::render(&diff, format).as_bytes())?;
    let failed = match args.fail_on {
        None => false,
        Some(DiffFailOn::Breaking) => diff.has(Impact::Breaking),
        Some(DiffFailOn::Compatible) => diff.has(Impact::Compatible),
    };
    Ok(i32::from(failed))
}
