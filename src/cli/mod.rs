//! The command line: the only place clap lives. `Cli` and the dispatch are here, one module
//! per command group holds its arguments; each arguments type turns into the plain options
//! struct the library takes (`options()`), and each command prints its report. Errors are
//! returned, never printed (main does, with exit code 2).

mod breaking;
mod comment;
mod diff;
mod fleet;
mod hook;
mod sync;

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

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
    /// Colour diffs and the fleet table: `auto` colours a terminal unless NO_COLOR is set or
    /// TERM is `dumb` (CLICOLOR=0 turns it off, CLICOLOR_FORCE on even when piped).
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
    /// What `anstream` decides for stdout: `always` and `never` as given, `auto` by its rules
    /// (NO_COLOR, CLICOLOR_FORCE, CLICOLOR, TERM=dumb, a terminal; on Windows, whether the
    /// console takes ANSI sequences). Never `Auto`.
    pub(crate) fn resolve(self) -> anstream::ColorChoice {
        let choice = match self {
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
            ColorChoice::Auto => anstream::ColorChoice::Auto,
        };
        choice.write_global();
        anstream::AutoStream::choice(&std::io::stdout())
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
    Breaking(Box<breaking::BreakingArgs>),
    /// List every change of INPUT against a previous version, each breaking (with the rules
    /// that fire), compatible or cosmetic, with the semver verdict (docs/DIFF.md).
    ///
    /// Exit code 0: it ran (whatever changed); 1: a change matched --fail-on; 2: error.
    Diff(Box<diff::DiffArgs>),
    /// List every breaking rule with its categories and why it breaks callers.
    Rules(breaking::RulesArgs),
    /// Start vendoring a contract: write protosync.toml and do a first sync (an existing copy
    /// is adopted, not overwritten).
    Init(sync::InitArgs),
    /// Show, per mapping and per file, how the vendored copy stands against its lock and the
    /// contract: in sync, behind, edited, diverged, missing, extra.
    ///
    /// Exit code 0 (also when something is behind or edited); 2 on error.
    Status(sync::StatusArgs),
    /// Update the vendored copy from the contract: diff, breaking verdict, atomic writes, new lock.
    ///
    /// Exit code 0: updated or nothing to do; 1: breaking update refused; 2: local edits in the
    /// way (nothing written), or an error.
    Sync(Box<sync::SyncArgs>),
    /// CI and pre-commit check: vendored files match the lock, no breaking change against
    /// --against, contract not ahead (a warning unless --fail-behind).
    ///
    /// Exit code 0: clean; 1: drift, breaking changes, or behind with --fail-behind; 2: error.
    Check(sync::CheckArgs),
    /// Install or remove a git pre-commit hook that runs `protosync check --staged` (for teams
    /// without the pre-commit framework; with it, use the hooks in .pre-commit-hooks.yaml).
    Hook(hook::HookArgs),
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
    Impact(Box<fleet::ImpactArgs>),
    /// From the contract repository: sync every [[service]] and open or update its pull request.
    ///
    /// Exit code 0: every service succeeded (created, updated, unchanged, closed or skipped);
    /// 1: a service failed; 2: error.
    Fanout(Box<fleet::FanoutArgs>),
    /// Post or update one pull-request comment, found again by a hidden marker (GitHub).
    ///
    /// Exit code 0: created, updated, unchanged, or nothing to update; 2: error.
    Comment(comment::CommentArgs),
    /// From the contract repository: one row per [[service]]: the contract commit its lock
    /// pins and that commit's age, commits behind the contract head, vendored files edited in
    /// the service, whether syncing now would be breaking, and its open sync pull request.
    ///
    /// Exit code 0: every service was judged; 1: a service could not be (unknown); 2: error.
    Fleet(Box<fleet::FleetArgs>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

/// How remote repositories are fetched.
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// Use the cache of remote repositories and downloaded archives only; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Cache of remote repositories and downloaded archives [default: the user cache directory]
    #[arg(long, value_name = "DIR", env = "PROTOSYNC_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Resolve a buf.yaml dependency (or add one) from a protosync input, e.g.
    /// `buf.build/googleapis/googleapis=https://github.com/googleapis/googleapis.git#commit=<sha>`;
    /// wins over `[deps]` (repeatable)
    #[arg(long = "dep", value_name = "NAME=INPUT", value_parser = parse_dep)]
    pub deps: Vec<(String, String)>,
}

/// One `--dep NAME=INPUT` value.
fn parse_dep(value: &str) -> Result<(String, String), String> {
    crate::config::deps::parse_flag(value).map(|m| (m.name, m.input))
}

impl RemoteArgs {
    pub fn load_options(&self) -> crate::input::LoadOptions {
        crate::input::LoadOptions {
            offline: self.offline,
            cache_dir: self.cache_dir.clone(),
            deps: self.deps.clone(),
            ..Default::default()
        }
    }
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    if cli.verbose {
        crate::trace::enable();
    }
    if cli.quiet {
        crate::trace::set_quiet();
    }
    let choice = cli.color.resolve();
    let colour = choice != anstream::ColorChoice::Never;
    // Printers style only when `colour`; without it the bytes pass through untouched (nothing
    // stripped), with it a legacy Windows console gets its styles through the console API.
    let pass = if colour {
        choice
    } else {
        anstream::ColorChoice::AlwaysAnsi
    };
    let out = &mut anstream::AutoStream::new(std::io::stdout().lock(), pass);
    match cli.command {
        Command::Breaking(args) => breaking::breaking(*args, out),
        Command::Diff(args) => diff::diff(*args, out),
        Command::Rules(args) => breaking::rules(args, out),
        Command::Explain { rule } => breaking::explain(&rule, out),
        Command::Completions { shell } => completions(shell, out),
        Command::Init(args) => sync::init(args, colour, out),
        Command::Status(args) => sync::status(args, out),
        Command::Sync(args) => sync::sync(*args, colour, out),
        Command::Check(args) => sync::check(args, out),
        Command::Hook(args) => hook::run(args),
        Command::Impact(args) => fleet::impact(*args, out),
        Command::Fanout(args) => fleet::fanout(*args, out),
        Command::Fleet(args) => fleet::fleet(*args, colour, out),
        Command::Comment(args) => comment::run(args),
    }
}

fn completions(shell: Shell, out: &mut dyn Write) -> Result<i32> {
    use clap::CommandFactory;
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Elvish => clap_complete::Shell::Elvish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut Cli::command(), "protosync", out);
    Ok(0)
}

/// The directory of a configuration file (`.` for a bare file name).
fn dir_of(path: &std::path::Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf()
}
