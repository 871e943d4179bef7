//! `breaking`, `rules` and `explain`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::builder::PossibleValue;
use clap::ValueEnum;

use crate::breaking::report::Report;
use crate::breaking::Version;
use crate::config::rules::Overrides;
use crate::config::targets::Targets;
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

/// What `breaking` prints: the report formats, and buf's names and formats besides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakingFormat {
    Report(Format),
    /// buf's `msvs`.
    Msvs,
    /// buf's `config-ignore-yaml`: a buf.yaml `ignore_only` accepting today's findings.
    ConfigIgnoreYaml,
    /// protosync.toml `[[breaking.allow]]` entries accepting today's findings.
    AllowToml,
}

impl ValueEnum for BreakingFormat {
    fn value_variants<'a>() -> &'a [Self] {
        use BreakingFormat::*;
        &[
            Report(Format::Text),
            Report(Format::Json),
            Report(Format::Github),
            Report(Format::Sarif),
            Report(Format::Junit),
            Report(Format::JunitStrict),
            Report(Format::Gitlab),
            Report(Format::Markdown),
            Msvs,
            ConfigIgnoreYaml,
            AllowToml,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            BreakingFormat::Report(Format::Github) => {
                PossibleValue::new("github").alias("github-actions")
            }
            BreakingFormat::Report(Format::Gitlab) => {
                PossibleValue::new("gitlab").alias("gitlab-code-quality")
            }
            BreakingFormat::Report(f) => PossibleValue::new(f.name()),
            BreakingFormat::Msvs => PossibleValue::new("msvs"),
            BreakingFormat::ConfigIgnoreYaml => PossibleValue::new("config-ignore-yaml"),
            BreakingFormat::AllowToml => PossibleValue::new("allow-toml"),
        })
    }
}

/// Which exit code findings give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExitCodeCompat {
    /// 1, protosync's.
    Protosync,
    /// 100, buf's (errors stay 2).
    Buf,
}

#[derive(Debug, clap::Args)]
pub struct BreakingArgs {
    /// The current version: a directory, `.git#branch=main,subdir=proto`, a repository URL,
    /// or a descriptor image (`image.binpb`, `image.json`, `-` for stdin).
    #[arg(default_value = ".")]
    pub input: String,
    /// The previous version to compare against (same syntax as INPUT), e.g. `.git#branch=main`.
    #[arg(
        long,
        value_name = "INPUT",
        required_unless_present = "against_registry"
    )]
    pub against: Option<String>,
    /// Report format (buf's names work too: github-actions, gitlab-code-quality, msvs,
    /// config-ignore-yaml); allow-toml prints protosync.toml allowances for today's findings.
    #[arg(long, value_enum, default_value = "text")]
    pub format: BreakingFormat,
    /// buf's name for --format.
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "format")]
    pub error_format: Option<BreakingFormat>,
    #[command(flatten)]
    pub compare: CompareArgs,
    /// Report only findings in these files or directories, as findings name them (relative to
    /// the working directory, e.g. `proto/acme/v1`); repeatable, the union is taken.
    #[arg(long, value_name = "PATH", value_delimiter = ',')]
    pub path: Vec<String>,
    /// Report no finding in these files or directories (as --path); repeatable.
    #[arg(long, value_name = "PATH", value_delimiter = ',')]
    pub exclude_path: Vec<String>,
    /// The against side holds only the input's files: no findings about files the input no
    /// longer has (deleted files).
    #[arg(long)]
    pub limit_to_input_files: bool,
    /// No findings in imports: files a .proto file input imports from its module are
    /// compared (as buf does) unless this is given; --include directories and dependencies
    /// are never compared.
    #[arg(long)]
    pub exclude_imports: bool,
    /// buf's flag: the BSR is not reachable from protosync, so this is an error that says how
    /// to compare against the module's git repository instead.
    #[arg(long, conflicts_with = "against")]
    pub against_registry: bool,
    /// Exit code for findings: 1 (protosync) or 100 (buf), for scripts written for buf.
    #[arg(
        long,
        value_enum,
        env = "PROTOSYNC_EXIT_CODE_COMPAT",
        default_value_t = ExitCodeCompat::Protosync
    )]
    pub exit_code_compat: ExitCodeCompat,
}

impl BreakingArgs {
    pub fn options(&self) -> BreakingOptions {
        let against = self.against.clone().unwrap_or_default();
        BreakingOptions {
            targets: Targets {
                paths: self.path.clone(),
                exclude_paths: self.exclude_path.clone(),
                limit_to_input_files: self.limit_to_input_files,
                exclude_imports: self.exclude_imports,
            },
            ..self.compare.options(&self.input, &against)
        }
    }

    /// The format asked for (`--error-format` or `--format`).
    pub fn format(&self) -> BreakingFormat {
        self.error_format.unwrap_or(self.format)
    }
}

/// The comparison options `breaking` and `diff` share: configuration, rules, imports and how
/// remote inputs are fetched.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Configuration: a file (protosync.toml or buf.yaml), or buf.yaml data inline (JSON
    /// starting with `{`, or YAML over several lines); default: found in the input directory.
    #[arg(long, value_name = "FILE_OR_DATA")]
    pub config: Option<PathBuf>,
    /// Configuration whose module layout (roots, excludes) applies to the --against side, a
    /// file or inline data as --config; default: the one found in the against input. Its rules
    /// are not used.
    #[arg(long, value_name = "FILE_OR_DATA")]
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

impl CompareArgs {
    /// The options comparing `input` with `against` (no path filters).
    pub fn options(&self, input: &str, against: &str) -> BreakingOptions {
        BreakingOptions {
            input: input.to_owned(),
            against: against.to_owned(),
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
    if args.against_registry {
        bail!(
            "--against-registry: protosync does not reach the Buf Schema Registry; compare against \
             the module's git repository instead, e.g. \
             `--against 'https://github.com/OWNER/REPO.git#branch=main,subdir=proto'` or, in a \
             checkout, `--against '.git#branch=main'` (docs/MIGRATING.md)"
        );
    }
    let opts = args.options();
    let text = match args.format() {
        BreakingFormat::Report(format) => {
            let report = run_breaking_with(&opts, Paths::Reached)?;
            (report::render(&report, format), report)
        }
        BreakingFormat::Msvs => {
            let report = run_breaking_with(&opts, Paths::Reached)?;
            (report::msvs::render(&report), report)
        }
        BreakingFormat::AllowToml => {
            let report = run_breaking_with(&opts, Paths::Reached)?;
            (report::adopt::allow_toml(&report), report)
        }
        BreakingFormat::ConfigIgnoreYaml => {
            // Ignore paths are relative to the buf.yaml directory in v2 (module directory
            // included), to the module root before.
            let mut report = run_breaking_with(&opts, Paths::UnderRoot)?;
            if report.version != Version::V2 {
                report = run_breaking_with(&opts, Paths::Module)?;
            }
            (report::adopt::config_ignore_yaml(&report), report)
        }
    };
    let (text, report) = text;
    out.write_all(text.as_bytes())?;
    if args.format() == BreakingFormat::Report(Format::Github) {
        report::github::append_step_summary(&report::render(&report, Format::Markdown));
    }
    warn_unused(&report);
    Ok(match (report.findings.is_empty(), args.exit_code_compat) {
        (true, _) => 0,
        (false, ExitCodeCompat::Protosync) => 1,
        (false, ExitCodeCompat::Buf) => 100,
    })
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
    for a in &report.expired_allowances {
        eprintln!(
            "warning: {}: allowance for {} on {} expired on {}{}: it no longer allows",
            a.place,
            a.rule_id,
            a.element,
            a.expires.as_deref().unwrap_or("?"),
            approved(a)
        );
    }
    for a in &report.expiring_allowances {
        eprintln!(
            "warning: {}: allowance for {} on {} expires on {}{}",
            a.place,
            a.rule_id,
            a.element,
            a.expires.as_deref().unwrap_or("?"),
            approved(a)
        );
    }
}

fn approved(a: &crate::breaking::report::Allowance) -> String {
    a.approved_by
        .as_deref()
        .map(|b| format!(" (approved by {b})"))
        .unwrap_or_default()
}
