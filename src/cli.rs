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
    /// Colour diffs on a terminal (`auto` also honours NO_COLOR).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only findings and errors: no warnings, notes, progress or "all good" lines.
    #[arg(long, short = 'q', global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print where the time goes (the phases of each command) on stderr.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report breaking changes of INPUT against a previous version.
    ///
    /// Exit code 0: no breaking change; 1: breaking changes found; 2: usage, config or input error.
    Breaking(Box<BreakingArgs>),
    /// List every change of INPUT against a previous version, each breaking (with the rules
    /// that fire), compatible or cosmetic, with the semver verdict (docs/DIFF.md).
    ///
    /// Exit code 0: it ran (whatever changed); 1: a change matched --fail-on; 2: error.
    Diff(Box<DiffArgs>),
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
    /// Install or remove a git pre-commit hook that runs `protosync check --staged` (for teams
    /// without the pre-commit framework; with it, use the hooks in .pre-commit-hooks.yaml).
    Hook(crate::hook::HookArgs),
    /// Explain a rule: why it breaks callers, its categories, and a before/after example.
    Explain {
        /// A rule id, e.g. FIELD_SAME_TYPE (case does not matter).
        rule: String,
    },
    /// Print a shell completion script (e.g. `protosync completions bash > /etc/bash_completion.d/protosync`).
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// From the contract repository: what the proposed contract (the files on disk) breaks in
    /// each [[service]], judged from what each one pinned, under its own rules.
    ///
    /// Exit code 0: no service breaks (or --fail-on never); 1: a service would break; 2: error.
    Impact(Box<ImpactArgs>),
    /// From the contract repository: sync every [[service]] and open or update its pull request.
    ///
    /// Exit code 0: every service succeeded (created, updated, unchanged, closed or skipped);
    /// 1: a service failed; 2: error.
    Fanout(Box<FanoutArgs>),
    /// Post or update one pull-request comment, found again by a hidden marker (GitHub).
    ///
    /// Exit code 0: created, updated, unchanged, or nothing to update; 2: error.
    Comment(crate::comment::CommentArgs),
    /// From the contract repository: one row per [[service]]: the contract commit its lock
    /// pins and that commit's age, commits behind the contract head, vendored files edited in
    /// the service, whether syncing now would be breaking, and its open sync pull request.
    ///
    /// Exit code 0: every service was judged; 1: a service could not be (unknown); 2: error.
    Fleet(Box<crate::fleet::FleetArgs>),
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
    pub publish: PublishArgs,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// Committing, pushing and proposing a sync (`sync --commit --push --pr`).
#[derive(Debug, Clone, clap::Args)]
pub struct PublishArgs {
    /// After a successful sync, commit exactly the vendored files and the lock on a branch
    /// (built from objects: the index, the current branch and other changes are not touched).
    #[arg(long)]
    pub commit: bool,
    /// Branch to commit to [default: protosync/<contract-name>]
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Branch the sync branch starts from and the pull request targets [default: the current branch]
    #[arg(long, value_name = "BRANCH")]
    pub base: Option<String>,
    /// Push the branch, with a lease: a branch holding someone else's commits is left alone
    /// (implies --commit).
    #[arg(long)]
    pub push: bool,
    /// Remote to push to: a remote name or a URL.
    #[arg(long, value_name = "NAME|URL", default_value = "origin")]
    pub remote: String,
    /// Open a pull request, or update the open one for the branch (implies --push).
    #[arg(long)]
    pub pr: bool,
    /// Open the pull request as a draft.
    #[arg(long)]
    pub draft: bool,
    /// Label for the pull request (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Reviewer to request (repeatable).
    #[arg(long = "reviewer", value_name = "USER")]
    pub reviewers: Vec<String>,
    /// The forge hosting the remote [default: from the remote URL]
    #[arg(long, value_enum)]
    pub forge: Option<crate::forge::ForgeKind>,
    /// The forge's API base URL [default: GITHUB_API_URL / GITLAB_API_URL / GITEA_API_URL, else
    /// derived from the remote's host]
    #[arg(long, value_name = "URL", env = "PROTOSYNC_API_URL")]
    pub api_url: Option<String>,
}

impl PublishArgs {
    fn wanted(&self) -> bool {
        self.commit || self.push || self.pr
    }

    fn options(&self) -> crate::sync::publish::PublishOptions {
        crate::sync::publish::PublishOptions {
            branch: self.branch.clone(),
            base: self.base.clone(),
            push: self.push || self.pr,
            remote: self.remote.clone(),
            pr: self.pr,
            draft: self.draft,
            labels: self.labels.clone(),
            reviewers: self.reviewers.clone(),
            forge: self.forge,
            api_url: self.api_url.clone(),
        }
    }
}

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
    pub remote: RemoteArgs,
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
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Github,
    Sarif,
    Junit,
    Gitlab,
    Markdown,
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
    /// Check what is staged for commit (the index) instead of the working tree: the vendored
    /// files and protosync.lock as staged, and with --against the staged protos (use
    /// `--against .git#ref=HEAD` in a pre-commit hook). Unstaged changes are ignored.
    #[arg(long)]
    pub staged: bool,
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
    /// WIRE/WIRE_JSON: a field whose type moved to another name but is structurally
    /// wire-identical is not a break (differs from buf; also `[breaking] structural = true`).
    #[arg(long)]
    pub structural: bool,
    #[command(flatten)]
    pub remote: RemoteArgs,
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
    #[arg(long, value_enum, default_value_t = report::diff::DiffFormat::Text)]
    pub format: report::diff::DiffFormat,
    /// Exit 1 when a breaking change (or, with `compatible`, any non-cosmetic change) exists.
    #[arg(long, value_enum)]
    pub fail_on: Option<DiffFailOn>,
    #[command(flatten)]
    pub breaking: BreakingArgsNoInput,
}

/// `breaking`'s options other than the inputs and the format, shared by `diff`.
#[derive(Debug, clap::Args)]
pub struct BreakingArgsNoInput {
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
    if cli.verbose {
        crate::trace::enable();
    }
    if cli.quiet {
        crate::trace::set_quiet();
    }
    let colour = cli.color.enabled();
    match cli.command {
        Command::Explain { rule } => {
            stdout.write_all(report::rules::explain(&rule)?.as_bytes())?;
            Ok(0)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
                Shell::Elvish => clap_complete::Shell::Elvish,
                Shell::Powershell => clap_complete::Shell::PowerShell,
            };
            clap_complete::generate(shell, &mut Cli::command(), "protosync", &mut stdout);
            Ok(0)
        }
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
                    structural: args.structural,
                },
                includes: args.include,
                load: args.remote.load_options(),
            };
            let report = run_breaking(&opts)?;
            stdout.write_all(report::render(&report, args.format).as_bytes())?;
            warn_unused(&report);
            Ok(if report.findings.is_empty() { 0 } else { 1 })
        }
        Command::Diff(args) => {
            let args = *args;
            let b = args.breaking;
            let opts = BreakingOptions {
                input: args.input,
                against: args.against,
                config: b.config,
                against_config: b.against_config,
                overrides: Overrides {
                    use_: b.use_,
                    except: b.except,
                    structural: b.structural,
                },
                includes: b.include,
                load: b.remote.load_options(),
            };
            let diff = crate::diff::run(&opts)?;
            stdout.write_all(report::diff::render(&diff, args.format).as_bytes())?;
            let failed = match args.fail_on {
                None => false,
                Some(DiffFailOn::Breaking) => diff.has(crate::diff::Impact::Breaking),
                Some(DiffFailOn::Compatible) => diff.has(crate::diff::Impact::Compatible),
            };
            Ok(i32::from(failed))
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
            print_sync(&mut stdout, &report, args.format, false, colour)?;
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
            if args.publish.wanted() && !args.dry_run {
                let ws = sync::run::Workspace::load(&path)?;
                sync::publish::preflight(&ws.cfg, &args.publish.options())?;
            }
            let report = sync::run::sync(&path, &opts)?;
            let applied = matches!(
                report.outcome,
                sync::run::Outcome::Updated
                    | sync::run::Outcome::LockUpdated
                    | sync::run::Outcome::UpToDate
            );
            let published = if args.publish.wanted() && applied {
                let ws = sync::run::Workspace::load(&path)?;
                Some(sync::publish::publish(
                    &ws.cfg,
                    &report,
                    &args.publish.options(),
                )?)
            } else {
                None
            };
            match args.format {
                TextOrJson::Text => {
                    print_sync(&mut stdout, &report, args.format, true, colour)?;
                    if let Some(p) = &published {
                        stdout.write_all(report::sync::publish_text(p).as_bytes())?;
                    } else if args.publish.wanted() && !args.dry_run {
                        stdout.write_all(b"nothing committed: the sync did not complete\n")?;
                    }
                }
                TextOrJson::Json => {
                    stdout.write_all(
                        report::sync::sync_json_with(&report, published.as_ref()).as_bytes(),
                    )?;
                }
            }
            Ok(report.exit_code())
        }
        Command::Impact(args) => {
            let args = *args;
            let path = sync::run::config_path(args.config.as_deref())?;
            let services = crate::fanout::select_services(&path, &args.services)?;
            let opts = crate::impact::ImpactOptions {
                contract_dir: path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."))
                    .to_path_buf(),
                against: args.against,
                jobs: args.jobs,
                load: args.remote.load_options(),
                progress: !crate::trace::quiet(),
            };
            let results = crate::impact::run(&services, &opts)?;
            let code = crate::impact::exit_code(&results, args.fail_on == FailOn::Breaking);
            let out = match args.format {
                ImpactFormat::Text => report::impact::text(&results),
                ImpactFormat::Json => report::impact::json(&results, code),
                ImpactFormat::Markdown => report::impact::markdown(&results),
                ImpactFormat::Github => report::impact::github(&results),
            };
            stdout.write_all(out.as_bytes())?;
            Ok(code)
        }
        Command::Fleet(args) => crate::fleet::run(*args, colour),
        Command::Comment(args) => crate::comment::run(args),
        Command::Fanout(args) => {
            let args = *args;
            let path = sync::run::config_path(args.config.as_deref())?;
            let services = crate::fanout::select_services(&path, &args.services)?;
            let matrix = args.format == FanoutFormat::GithubMatrix;
            let opts = crate::fanout::FanoutOptions {
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
            let results = crate::fanout::run(&services, &opts);
            let out = match args.format {
                FanoutFormat::Text => report::fanout::text(&results, opts.dry_run),
                FanoutFormat::Json => report::fanout::json(&results),
                FanoutFormat::GithubMatrix => report::fanout::github_matrix(&results),
            };
            stdout.write_all(out.as_bytes())?;
            Ok(crate::fanout::exit_code(&results))
        }
        Command::Hook(args) => crate::hook::run(args),
        Command::Check(args) => {
            let path = sync::run::config_path(args.config.as_deref())?;
            let opts = sync::run::CheckOptions {
                against: args.against,
                fail_behind: args.fail_behind,
                load: args.remote.load_options(),
            };
            let report = if args.staged {
                sync::run::check_staged(&path, &opts)?
            } else {
                sync::run::check(&path, &opts)?
            };
            if let Some(b) = &report.breaking {
                warn_unused(b);
            }
            let out = match args.format {
                CheckFormat::Text => report::sync::check_text(&report),
                CheckFormat::Json => report::sync::check_json(&report),
                CheckFormat::Github => report::sync::check_github(&report),
                CheckFormat::Sarif => report::sync::check_sarif(&report),
                CheckFormat::Junit => report::sync::check_junit(&report),
                CheckFormat::Gitlab => report::sync::check_gitlab(&report),
                CheckFormat::Markdown => report::sync::check_markdown(&report),
            };
            stdout.write_all(out.as_bytes())?;
            Ok(report.exit_code())
        }
    }
}

/// Warns on stderr about allowances that matched no finding.
fn warn_unused(report: &crate::pipeline::BreakingReport) {
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

fn print_sync(
    out: &mut impl Write,
    report: &sync::run::SyncReport,
    format: TextOrJson,
    diffs: bool,
    colour: bool,
) -> Result<()> {
    let text = match format {
        TextOrJson::Text => report::sync::sync_text(report, colour, diffs),
        TextOrJson::Json => report::sync::sync_json(report),
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
