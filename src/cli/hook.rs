//! `hook install|uninstall`.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use clap::Subcommand;
use git2::Repository;

use crate::hook::{install, uninstall};

#[derive(Debug, clap::Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write a git pre-commit hook that runs `protosync check --staged --against
    /// .git#ref=HEAD`: the vendored copy as staged against the staged lock, and breaking
    /// changes of the staged protos against HEAD.
    ///
    /// Exit code 0: installed, updated or already there; 2: a pre-commit hook that is not
    /// protosync's is in the way (use --force), or an error.
    Install(InstallArgs),
    /// Remove protosync's pre-commit hook (and put back the hook it replaced, if any). A hook
    /// that is not protosync's is left alone.
    ///
    /// Exit code 0: removed, or nothing to remove; 2: error.
    Uninstall,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Replace a pre-commit hook that is not protosync's; it is kept as
    /// pre-commit.protosync-backup next to the hook, and `hook uninstall` restores it.
    #[arg(long)]
    pub force: bool,
    /// protosync.toml the hook checks [default: found walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs `protosync hook …`; returns the exit code.
pub fn run(args: HookArgs) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let repo = Repository::discover(&cwd).map_err(|e| {
        anyhow!(
            "{} is not in a git repository ({})",
            cwd.display(),
            e.message()
        )
    })?;
    let message = match args.command {
        HookCommand::Install(a) => install(&repo, a.config.as_deref(), a.force)?,
        HookCommand::Uninstall => uninstall(&repo)?,
    };
    if !crate::trace::quiet() {
        println!("{message}");
    }
    Ok(0)
}
