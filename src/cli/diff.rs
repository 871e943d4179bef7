//! `diff`: every change between two versions, classified, with the semver verdict.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::ValueEnum;

use crate::config::rules::Overrides;
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
    /// Configuration file (protosync.toml or buf.yaml); default: found in the input directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Configuration whose module layout applies to the --against side.
    #[arg(long, value_name = "FILE")]
    pub against_config: Option<PathBuf>,
    /// Rules or categories that decide what is breaking, replacing the configured `use`.
    #[arg(long = "use", value_name = "RULE_OR_CATEGORY")]
    pub use_: Vec<String>,
    /// Rules or categories to skip, added to the configured `except` (repeatable).
    #[arg(long, value_name = "RULE_OR_CATEGORY")]
    pub except: Vec<String>,
    /// Extra import directories, searched after the input itself (repeatable).
    #[arg(long, value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// Structural wire compatibility of moved types (see `breaking --structural`).
    #[arg(long)]
    pub structural: bool,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

impl DiffArgs {
    pub fn options(&self) -> BreakingOptions {
        BreakingOptions {
            input: self.input.clone(),
            against: self.against.clone(),
            config: self.config.clone(),
            against_config: self.against_config.clone(),
            overrides: Overrides {
                use_: self.use_.clone(),
                except: self.except.clone(),
                structural: self.structural,
            },
            includes: self.include.clone(),
            load: self.remote.load_options(),
            ..BreakingOptions::default()
        }
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
