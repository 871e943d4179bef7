//! `init`, `status`, `sync` and `check`: the commands of a service repository.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::builder::PossibleValue;
use clap::ValueEnum;

use super::TextOrJson;
use crate::forge::ForgeKind;
use crate::report::{self, Format};
use crate::sync::check::{self, CheckOptions};
use crate::sync::init::{self, InitOptions};
use crate::sync::publish::{self, PublishOptions};
use crate::sync::run::SyncOptions;
use crate::sync::workspace::config_path;

impl ValueEnum for ForgeKind {
    fn value_variants<'a>() -> &'a [Self] {
        &[ForgeKind::Github, ForgeKind::Gitlab, ForgeKind::Gitea]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ForgeKind::Github => PossibleValue::new("github"),
            ForgeKind::Gitlab => PossibleValue::new("gitlab"),
            // Gitea and Forgejo (Codeberg) share one API.
            ForgeKind::Gitea => PossibleValue::new("gitea").alias("forgejo"),
        })
    }
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
    pub remote: super::RemoteArgs,
}

impl InitArgs {
    pub fn options(&self) -> Result<InitOptions> {
        if self.from.len() != self.to.len() {
            anyhow::bail!(
                "init: {} --from and {} --to; give one --to for each --from",
                self.from.len(),
                self.to.len()
            );
        }
        Ok(InitOptions {
            dir: std::env::current_dir()?,
            contract: self.contract.clone(),
            ref_: self.ref_.clone(),
            root: self.root.clone(),
            mappings: self
                .from
                .iter()
                .cloned()
                .zip(self.to.iter().cloned())
                .collect(),
            dry_run: self.dry_run,
            load: self.remote.load_options(),
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// protosync.toml to use [default: found walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
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
    pub remote: super::RemoteArgs,
}

impl SyncArgs {
    pub fn options(&self) -> SyncOptions {
        SyncOptions {
            ref_: self.ref_.clone(),
            dry_run: self.dry_run,
            allow_breaking: self.allow_breaking,
            force: self.force,
            load: self.remote.load_options(),
        }
    }
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
    pub forge: Option<ForgeKind>,
    /// The forge's API base URL [default: GITHUB_API_URL / GITLAB_API_URL / GITEA_API_URL, else
    /// derived from the remote's host]
    #[arg(long, value_name = "URL", env = "PROTOSYNC_API_URL")]
    pub api_url: Option<String>,
    /// The pull request's title [default: protosync: sync <contract> to <commit>]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// The pull request's body, Markdown [default: the update's range, files and findings]
    #[arg(long, value_name = "TEXT")]
    pub body: Option<String>,
    /// When the update turns out empty, delete the sync branch on the remote too (after closing
    /// its pull request).
    #[arg(long)]
    pub delete_branch: bool,
}

impl PublishArgs {
    pub fn wanted(&self) -> bool {
        self.commit || self.push || self.pr
    }

    pub fn options(&self) -> PublishOptions {
        PublishOptions {
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
            title: self.title.clone(),
            body: self.body.clone(),
            delete_branch: self.delete_branch,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// protosync.toml to use [default: found walking up from the current directory]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also report breaking changes of this repository's protos against INPUT, e.g.
    /// `.git#branch=main` (the [build] roots of protosync.toml lay out both sides). Given
    /// twice, the last one counts (a pre-commit hook's `args:` override its entry's).
    #[arg(long, value_name = "INPUT", overrides_with = "against")]
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
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

impl CheckArgs {
    pub fn options(&self) -> CheckOptions {
        CheckOptions {
            against: self.against.clone(),
            fail_behind: self.fail_behind,
            load: self.remote.load_options(),
        }
    }
}

pub(super) fn init(args: InitArgs, colour: bool, out: &mut dyn Write) -> Result<i32> {
    let report = init::init(&args.options()?)?;
    let text = match args.format {
        TextOrJson::Text => report::sync::sync_text(&report, colour, false),
        TextOrJson::Json => report::sync::sync_json(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(report.exit_code())
}

pub(super) fn status(args: StatusArgs, out: &mut dyn Write) -> Result<i32> {
    let path = config_path(args.config.as_deref())?;
    let report = crate::sync::status::status(&path, &args.remote.load_options())?;
    let text = match args.format {
        TextOrJson::Text => report::sync::status_text(&report),
        TextOrJson::Json => report::sync::status_json(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(0)
}

pub(super) fn sync(args: SyncArgs, colour: bool, out: &mut dyn Write) -> Result<i32> {
    let path = config_path(args.config.as_deref())?;
    let wanted = args.publish.wanted();
    let publishing = wanted.then(|| args.publish.options());
    let (report, published) =
        publish::sync_and_publish(&path, &args.options(), publishing.as_ref())?;
    let text = match args.format {
        TextOrJson::Text => {
            let mut text = report::sync::sync_text(&report, colour, true);
            if let Some(p) = &published {
                text.push_str(&report::sync::publish_text(p));
            } else if wanted && !args.dry_run {
                text.push_str("nothing committed: the sync did not complete\n");
            }
            text
        }
        TextOrJson::Json => report::sync::sync_json_with(&report, published.as_ref()),
    };
    out.write_all(text.as_bytes())?;
    Ok(report.exit_code())
}

pub(super) fn check(args: CheckArgs, out: &mut dyn Write) -> Result<i32> {
    let path = config_path(args.config.as_deref())?;
    let opts = args.options();
    let report = if args.staged {
        check::check_staged(&path, &opts)?
    } else {
        check::check(&path, &opts)?
    };
    if let Some(b) = &report.breaking {
        super::breaking::warn_unused(b);
    }
    // Paths as reached from the working directory, also for a service in a subdirectory.
    let root = report::sync::service_root(&path);
    out.write_all(report::sync::check_render_at(&report, args.format, &root).as_bytes())?;
    if args.format == Format::Github {
        let summary = report::sync::check_render_at(&report, Format::Markdown, &root);
        report::github::append_step_summary(&summary);
    }
    Ok(report.exit_code())
}
