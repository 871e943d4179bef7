//! `breaking`, `rules` and `explain`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::breaking::report::Report;
use crate::breaking::Version;
use crate::config::rules::Overrides;
use crate::pipeline::{run_breaking_with, BreakingOptions, Paths};
use crate::report::{self, Format};

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        Format::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

#[derive(Debug, clap::Args)]
pub struct BreakingArgs {
    /// The current version: a directory, `.git#branch=main,subdir=proto`, a repository URL,
    /// or a descriptor image (`image.binpb`, `image.json`, `-` for stdin).
    pub input: String,
    /// The previous version to compare against (same syntax as INPUT), e.g. `.git#branch=main`.
    #[arg(long, value_name = "INPUT")]
    pub against: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Configuration file (protosync.toml or buf.yaml); default: found in the input directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Configuration whose module layout (roots, excludes) applies to the --against side;
    /// default: the one found in the against input. Its rules are not used.
    #[arg(long, value_name = "FILE")]
    pub against_config: Option<PathBuf>,
    /// Rules or categories to run, replacing the configured `use` (repeatable).
    #[arg(long = "use", value_name = "RULE_OR_CATEGORY")]
    pub use_: Vec<String>,
    /// Rules or categories to skip, added to the configured `except` (repeatable).
    #[arg(long, value_name = "RULE_OR_CATEGORY")]
    pub except: Vec<String>,
    /// Extra import directories, searched after the input itself (repeatable).
    #[arg(long, value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// WIRE/WIRE_JSON: a field whose type moved to another name but is structurally
    /// wire-identical is not a break (differs from buf; also `[breaking] structural = true`).
    #[arg(long)]
    pub structural: bool,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

impl BreakingArgs {
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
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigVersion {
    V1beta1,
    V1,
    V2,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
    /// Configuration version whose categories to show (text and json).
    #[arg(long = "config-version", value_enum, default_value_t = ConfigVersion::V2)]
    pub config_version: ConfigVersion,
}

pub(super) fn breaking(args: BreakingArgs, out: &mut dyn Write) -> Result<i32> {
    let report = run_breaking_with(&args.options(), Paths::Reached)?;
    out.write_all(report::render(&report, args.format).as_bytes())?;
    if args.format == Format::Github {
        report::github::append_step_summary(&report::render(&report, Format::Markdown));
    }
    warn_unused(&report);
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}

pub(super) fn rules(args: RulesArgs, out: &mut dyn Write) -> Result<i32> {
    let version = match args.config_version {
        ConfigVersion::V1beta1 => Version::V1Beta1,
        ConfigVersion::V1 => Version::V1,
        ConfigVersion::V2 => Version::V2,
    };
    let text = match args.format {
        RulesFormat::Text => report::rules::text(version),
        RulesFormat::Json => report::rules::json(version),
        RulesFormat::Markdown => report::rules::markdown(),
    };
    out.write_all(text.as_bytes())?;
    Ok(0)
}

pub(super) fn explain(rule: &str, out: &mut dyn Write) -> Result<i32> {
    out.write_all(report::rules::explain(rule)?.as_bytes())?;
    Ok(0)
}

/// Warns on stderr about allowances that matched no finding.
pub(super) fn warn_unused(report: &Report) {
    if crate::trace::quiet() {
        return;
    }
    for a in &report.unused_allowances {
        eprintln!(
            "warning: {}: allowance for {} on {} matched no finding (reason: {})",
            a.place, a.rule_id, a.element, a.reason
        );
    }
}
