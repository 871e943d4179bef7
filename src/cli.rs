//! Command-line definitions (clap) and dispatch. Returns an exit code; never prints errors
//! itself (main does).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::breaking::Version;
use crate::config::rules::Overrides;
use crate::pipeline::{run_breaking, BreakingOptions};
use crate::report::{self, Format};

#[derive(Debug, Parser)]
#[command(
    name = "protosync",
    version,
    about = "Keep protobuf/gRPC contracts aligned across service repositories",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report breaking changes of INPUT against a previous version.
    ///
    /// Exit code 0: no breaking change; 1: breaking changes found; 2: usage, config or input error.
    Breaking(Box<BreakingArgs>),
    /// List every breaking rule with its categories and why it breaks callers.
    Rules(RulesArgs),
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
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// How remote repositories are fetched.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// Use the cache of remote repositories only; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Cache of remote repositories [default: the user cache directory]
    #[arg(long, value_name = "DIR", env = "PROTOSYNC_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl RemoteArgs {
    pub fn load_options(&self) -> crate::input::LoadOptions {
        crate::input::LoadOptions {
            offline: self.offline,
            cache_dir: self.cache_dir.clone(),
            ..Default::default()
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

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Breaking(args) => {
            let args = *args;
            let opts = BreakingOptions {
                input: args.input,
                against: args.against,
                config: args.config,
                against_config: args.against_config,
                overrides: Overrides {
                    use_: args.use_,
                    except: args.except,
                },
                includes: args.include,
                load: args.remote.load_options(),
            };
            let report = run_breaking(&opts)?;
            stdout.write_all(report::render(&report, args.format).as_bytes())?;
            for a in &report.unused_allowances {
                eprintln!(
                    "warning: {}: allowance for {} on {} matched no finding (reason: {})",
                    a.place, a.rule_id, a.element, a.reason
                );
            }
            Ok(if report.findings.is_empty() { 0 } else { 1 })
        }
        Command::Rules(args) => {
            let version = match args.config_version {
                ConfigVersion::V1beta1 => Version::V1Beta1,
                ConfigVersion::V1 => Version::V1,
                ConfigVersion::V2 => Version::V2,
            };
            let out = match args.format {
                RulesFormat::Text => report::rules::text(version),
                RulesFormat::Json => report::rules::json(version),
                RulesFormat::Markdown => report::rules::markdown(),
            };
            stdout.write_all(out.as_bytes())?;
            Ok(0)
        }
    }
}
