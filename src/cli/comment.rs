//! `comment`.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::comment::{post, CommentOptions, DEFAULT_MARKER};

/// Post or update one pull-request comment, found again by a hidden marker (GitHub).
///
/// Exit code 0: the comment was created, updated, already up to date, or (with
/// --update-only) there was none to update; 2: error.
#[derive(Debug, clap::Args)]
pub struct CommentArgs {
    /// File holding the comment's Markdown (`-` for stdin). The marker is put on its first line
    /// unless the text already contains it.
    #[arg(long, value_name = "FILE")]
    pub body_file: PathBuf,
    /// The hidden HTML comment the comment is found again by.
    #[arg(long, value_name = "MARKER", default_value = DEFAULT_MARKER)]
    pub marker: String,
    /// The repository, owner/name [default: GITHUB_REPOSITORY]
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The pull request's number [default: the pull request of the event in GITHUB_EVENT_PATH]
    #[arg(long, value_name = "N")]
    pub pr: Option<u64>,
    /// GitHub's API base URL [default: GITHUB_API_URL, else https://api.github.com]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Update the comment if there is one; post none if there is not.
    #[arg(long)]
    pub update_only: bool,
}

impl CommentArgs {
    pub fn options(&self) -> CommentOptions {
        CommentOptions {
            marker: self.marker.clone(),
            repo: self.repo.clone(),
            pr: self.pr,
            api_url: self.api_url.clone(),
            update_only: self.update_only,
        }
    }
}

/// Runs `protosync comment`: prints the outcome's line; returns the exit code (0).
pub(super) fn run(args: CommentArgs) -> Result<i32> {
    let body = read_body(&args.body_file)?;
    let outcome = post(&args.options(), &body, &|name| std::env::var(name).ok())?;
    println!("{}", outcome.line());
    Ok(0)
}
fn read_body(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the comment from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
