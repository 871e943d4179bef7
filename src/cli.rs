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
use crate::sync;

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
    /// Start vendoring a contract: write protosync.toml and do a first sync (an existing copy
    /// is adopted, not overwritten).
    Init(InitArgs),
    /// Show, per mapping and per file, how the vendored copy stands against its lock and the
    /// contract: in sync, behind, edited, diverged, missing, extra.
    ///
    /// Exit code 0 (also when something is behind or edited); 2 on error.
    Status(StatusArgs),
    /// Update the vendored copy from the contract: diff, breaking verdict, atomic writes, new lock.
    ///
    /// Exit code 0: updated or nothing to do; 1: breaking update refused; 2: local edits in the
    /// way (nothing written), or an error.
    Sync(SyncArgs),
    /// CI and pre-commit check: vendored files match the lock, no breaking change against
    /// --against, contract not ahead (a warning unless --fail-behind).
    ///
    /// Exit code 0: clean; 1: drift, breaking changes, or behind with --fail-behind; 2: error.
    Check(CheckArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The contract repository: a URL or a local path (relative to the current directory).
    #[arg(long, value_name = "URL|PATH")]
    pub contract: String,
    /// Branch, tag or commit of the contract to follow [default: main]
    #[arg(long = "ref", value_name = "REF")]
    pub ref_: Option<String>,
    /// Directory of the contract repository the --from paths are under.
    #[arg(long, value_name = "DIR")]
    pub root: Option<String>,
    /// A path or glob under the contract root to vendor (repeatable; pairs with --to).
    #[arg(long, value_name = "PATH", required = true)]
    pub from: Vec<String>,
    /// Where the matching --from goes in this repository (repeatable).
    #[arg(long, value_name = "DIR", required = true)]
    pub to: Vec<String>,
    /// Show what would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// protosync.toml to use [default: found walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// protosync.toml to use [default: found walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Sync to this branch, tag or commit instead of contract.ref.
    #[arg(long = "ref", value_name = "REF")]
    pub ref_: Option<String>,
    /// Show the plan, diffs and breaking verdict; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply an update even if it has breaking changes for this copy.
    #[arg(long)]
    pub allow_breaking: bool,
    /// Overwrite (or delete) vendored files that were edited locally.
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Github,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// protosync.toml to use [default: found walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also report breaking changes of this repository's protos against INPUT, e.g.
    /// `.git#branch=main` (the [build] roots of protosync.toml lay out both sides).
    #[arg(long, value_name = "INPUT")]
    pub against: Option<String>,
    /// Fail when the contract has changes the vendored copy lacks (fetches the contract;
    /// without it, `behind` is a warning from a local contract or the cache, never the network).
    #[arg(long)]
    pub fail_behind: bool,
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    #[command(flatten)]
    pub remote: RemoteArgs,
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
            warn_unused(&report);
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
        Command::Init(args) => {
            if args.from.len() != args.to.len() {
                anyhow::bail!(
                    "init: {} --from and {} --to; give one --to for each --from",
                    args.from.len(),
                    args.to.len()
                );
            }
            let opts = sync::run::InitOptions {
                dir: std::env::current_dir()?,
                contract: args.contract,
                ref_: args.ref_,
                root: args.root,
                mappings: args.from.into_iter().zip(args.to).collect(),
                dry_run: args.dry_run,
                load: args.remote.load_options(),
            };
            let report = sync::run::init(&opts)?;
            print_sync(&mut stdout, &report, args.format, false)?;
            Ok(report.exit_code())
        }
        Command::Status(args) => {
            let path = sync::run::config_path(args.config.as_deref())?;
            let report = sync::run::status(&path, &args.remote.load_options())?;
            let out = match args.format {
                TextOrJson::Text => report::sync::status_text(&report),
                TextOrJson::Json => report::sync::status_json(&report),
            };
            stdout.write_all(out.as_bytes())?;
            Ok(0)
        }
        Command::Sync(args) => {
            let path = sync::run::config_path(args.config.as_deref())?;
            let opts = sync::run::SyncOptions {
                ref_: args.ref_,
                dry_run: args.dry_run,
                allow_breaking: args.allow_breaking,
                force: args.force,
                load: args.remote.load_options(),
            };
            let report = sync::run::sync(&path, &opts)?;
            print_sync(&mut stdout, &report, args.format, true)?;
            Ok(report.exit_code())
        }
        Command::Check(args) => {
            let path = sync::run::config_path(args.config.as_deref())?;
            let opts = sync::run::CheckOptions {
                against: args.against,
                fail_behind: args.fail_behind,
                load: args.remote.load_options(),
            };
            let report = sync::run::check(&path, &opts)?;
            if let Some(b) = &report.breaking {
                warn_unused(b);
            }
            let out = match args.format {
                CheckFormat::Text => report::sync::check_text(&report),
                CheckFormat::Json => report::sync::check_json(&report),
                CheckFormat::Github => report::sync::check_github(&report),
            };
            stdout.write_all(out.as_bytes())?;
            Ok(report.exit_code())
        }
    }
}

/// Warns on stderr about allowances that matched no finding.
fn warn_unused(report: &crate::pipeline::BreakingReport) {
    for a in &report.unused_allowances {
        eprintln!(
            "warning: {}: allowance for {} on {} matched no finding (reason: {})",
            a.place, a.rule_id, a.element, a.reason
        );
    }
}

fn print_sync(
    out: &mut impl Write,
    report: &sync::run::SyncReport,
    format: TextOrJson,
    diffs: bool,
) -> Result<()> {
    use std::io::IsTerminal;
    let text = match format {
        TextOrJson::Text => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            report::sync::sync_text(report, colour, diffs)
        }
        TextOrJson::Json => report::sync::sync_json(report),
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
