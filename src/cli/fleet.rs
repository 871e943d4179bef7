//! `fanout`, `impact` and `fleet`: the commands of a contract repository over its services.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::ValueEnum;

use super::dir_of;
use crate::fleet::fanout::{self, FanoutOptions};
use crate::fleet::impact::{self, ImpactOptions};
use crate::fleet::select_services;
use crate::fleet::status::{self, FleetOptions};
use crate::report;
use crate::sync::workspace::config_path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FanoutFormat {
    Text,
    Json,
    /// The affected services as a GitHub Actions matrix (`{"include":[…]}`), one line.
    GithubMatrix,
}

#[derive(Debug, clap::Args)]
pub struct FanoutArgs {
    /// The contract repository's protosync.toml with its [[service]] list [default: found
    /// walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Contract ref every service syncs to [default: each service's contract.ref]
    #[arg(long = "ref", value_name = "REF")]
    pub ref_: Option<String>,
    /// Only this service (repeatable) [default: all]
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Services processed at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    /// Push and open nothing; show every service's diff and verdict.
    #[arg(long)]
    pub dry_run: bool,
    /// Open pull requests for breaking updates too (their body lists the findings).
    #[arg(long)]
    pub allow_breaking: bool,
    /// Open pull requests as drafts.
    #[arg(long)]
    pub draft: bool,
    /// Label for the pull requests (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Reviewer to request (repeatable).
    #[arg(long = "reviewer", value_name = "USER")]
    pub reviewers: Vec<String>,
    /// The forges' API base URL [default: per forge, from the environment or the host]
    #[arg(long, value_name = "URL", env = "PROTOSYNC_API_URL")]
    pub api_url: Option<String>,
    #[arg(long, value_enum, default_value_t = FanoutFormat::Text)]
    pub format: FanoutFormat,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImpactFormat {
    Text,
    Json,
    /// One pull-request comment: a table of services and verdicts, findings folded per service.
    Markdown,
    /// Annotations on the contract files, naming the services they break.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Breaking,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct ImpactArgs {
    /// The contract repository's protosync.toml with its [[service]] list [default: found
    /// walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What the proposal is compared with to find the changed files (e.g. the pull request's
    /// base, `.git#branch=main`).
    #[arg(long, value_name = "INPUT", default_value = ".git#branch=main")]
    pub against: String,
    /// Only this service (repeatable) [default: all]
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Services judged at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    #[arg(long, value_enum, default_value_t = ImpactFormat::Text)]
    pub format: ImpactFormat,
    /// Exit 1 when a service would break (`breaking`), or never.
    #[arg(long, value_enum, default_value_t = FailOn::Breaking)]
    pub fail_on: FailOn,
    /// Also judge the proposal against every distinct contract commit any service pinned,
    /// whole, and summarise which pins it breaks and who pins them (docs/IMPACT.md).
    #[arg(long)]
    pub transitive: bool,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

/// Output formats of `fleet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FleetFormat {
    /// An aligned table, then the details (errors, edited files, breaking findings).
    Text,
    /// One JSON document.
    Json,
    /// One self-contained HTML page: sortable table, a colour per status, a chart of how far
    /// behind each service is. No external assets: it works offline.
    Html,
}

/// `protosync fleet`.
#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    /// The contract repository's protosync.toml with its [[service]] list [default: found
    /// walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only this service (repeatable) [default: all]
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Services processed at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    #[arg(long, value_enum, default_value_t = FleetFormat::Text)]
    pub format: FleetFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The forges' API base URL [default: per forge, from the environment or the host]
    #[arg(long, value_name = "URL", env = "PROTOSYNC_API_URL")]
    pub api_url: Option<String>,
    /// Do not ask the forges for open pull requests (the column says "unknown").
    #[arg(long)]
    pub no_forge: bool,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

pub(super) fn impact(args: ImpactArgs, out: &mut dyn Write) -> Result<i32> {
    let path = config_path(args.config.as_deref())?;
    let services = select_services(&path, &args.services)?;
    let opts = ImpactOptions {
        contract_dir: dir_of(&path),
        against: args.against,
        jobs: args.jobs,
        load: args.remote.load_options(),
        progress: !crate::trace::quiet(),
    };
    let results = impact::run(&services, &opts)?;
    let transitive = match args.transitive {
        true => Some(crate::fleet::transitive::run(&results, &opts)?),
        false => None,
    };
    let fail_on = args.fail_on == FailOn::Breaking;
    let mut code = impact::exit_code(&results, fail_on);
    if fail_on && transitive.as_ref().is_some_and(|t| t.breaking()) {
        code = 1;
    }
    let t = transitive.as_ref();
    let text = match args.format {
        ImpactFormat::Text => {
            let head = t.map(report::transitive::text).unwrap_or_default();
            format!("{head}{}", report::impact::text(&results))
        }
        ImpactFormat::Json => {
            let doc = report::impact::json(&results, code);
            match t {
                None => doc,
                Some(t) => {
                    let mut v: serde_json::Value = serde_json::from_str(&doc)?;
                    v["transitive"] = report::transitive::json(t);
                    format!("{}\n", serde_json::to_string_pretty(&v)?)
                }
            }
        }
        ImpactFormat::Markdown => {
            let body = report::impact::markdown(&results);
            match t {
                None => body,
                Some(t) => match body.split_once("| service | verdict |") {
                    Some((head, rest)) => format!(
                        "{head}{}| service | verdict |{rest}",
                        report::transitive::markdown(t)
                    ),
                    None => format!("{body}\n{}", report::transitive::markdown(t)),
                },
            }
        }
        ImpactFormat::Github => report::impact::github(&results),
    };
    out.write_all(text.as_bytes())?;
    Ok(code)
}

pub(super) fn fanout(args: FanoutArgs, out: &mut dyn Write) -> Result<i32> {
    let path = config_path(args.config.as_deref())?;
    let services = select_services(&path, &args.services)?;
    let matrix = args.format == FanoutFormat::GithubMatrix;
    let opts = FanoutOptions {
        ref_: args.ref_,
        services: args.services,
        jobs: args.jobs,
        dry_run: args.dry_run || matrix,
        allow_breaking: args.allow_breaking,
        draft: args.draft,
        labels: args.labels,
        reviewers: args.reviewers,
        api_url: args.api_url,
        load: args.remote.load_options(),
        progress: args.format == FanoutFormat::Text && !crate::trace::quiet(),
    };
    let results = fanout::run(&services, &opts);
    let text = match args.format {
        FanoutFormat::Text => report::fanout::text(&results, opts.dry_run),
        FanoutFormat::Json => report::fanout::json(&results),
        FanoutFormat::GithubMatrix => report::fanout::github_matrix(&results),
    };
    out.write_all(text.as_bytes())?;
    Ok(fanout::exit_code(&results))
}

pub(super) fn fleet(args: FleetArgs, colour: bool, out: &mut dyn Write) -> Result<i32> {
    let path = config_path(args.config.as_deref())?;
    let services = select_services(&path, &args.services)?;
    let dir = dir_of(&path);
    let load = args.remote.load_options();
    let opts = FleetOptions {
        jobs: args.jobs,
        api_url: args.api_url,
        forge: !args.no_forge && !load.offline,
        load,
        contract_dir: Some(dir.clone()),
        progress: !crate::trace::quiet() && !crate::trace::enabled(),
    };
    let fleet = status::judge(&status::contract_label(&dir), &services, &opts);
    let colour = colour && args.output.is_none();
    let text = match args.format {
        FleetFormat::Text => report::fleet::text(&fleet, colour),
        FleetFormat::Json => report::fleet::json(&fleet),
        FleetFormat::Html => report::fleet::html(&fleet),
    };
    match &args.output {
        Some(file) => crate::sync::fsafe::write_atomic(file, text.as_bytes())?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(fleet.exit_code())
}
