//! `protosync fanout`: from the contract repository, sync every `[[service]]` and open or
//! update its pull request.
//!
//! Per service, on a worker thread: fetch its base branch into the cache of remote
//! repositories, check it out into a scratch directory that borrows the cache's objects (no
//! copy), run the service's own sync there (its `protosync.toml`, its `[breaking]` rules), then
//! publish (commit, push with lease, pull request). One service failing never stops the others.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::Service;
use crate::input::{self, GitWant, LoadOptions};
use crate::report::progress::Progress;
use crate::sync::publish::{self, PublishOptions, PublishReport};
use crate::sync::run::{self, Outcome as SyncOutcome, SyncOptions};

#[derive(Debug, Clone, Default)]
pub struct FanoutOptions {
    /// Contract ref every service syncs to (default: each service's `contract.ref`).
    pub ref_: Option<String>,
    /// Only these services (by name); all when empty.
    pub services: Vec<String>,
    pub jobs: usize,
    pub dry_run: bool,
    pub allow_breaking: bool,
    pub draft: bool,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub api_url: Option<String>,
    pub load: LoadOptions,
    /// Show per-service progress on stderr (a terminal).
    pub progress: bool,
}

/// How one service ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Created,
    Updated,
    Unchanged,
    Closed,
    Skipped,
    Failed,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Created => "created",
            Verdict::Updated => "updated",
            Verdict::Unchanged => "unchanged",
            Verdict::Closed => "closed",
            Verdict::Skipped => "skipped",
            Verdict::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceResult {
    pub name: String,
    pub repo: String,
    pub branch: String,
    pub verdict: Verdict,
    /// Why (skipped), the error (failed), or what happened.
    pub detail: String,
    /// Whether the sync would change the service's vendored copy.
    pub affected: bool,
    pub pull_request: Option<String>,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish: Option<PublishReport>,
    /// The sync's text report (diffs and verdict), for `--dry-run` output.
    #[serde(skip)]
    pub text: String,
}

/// Runs fanout over `services` (already filtered).
pub fn run(services: &[Service], opts: &FanoutOptions) -> Vec<ServiceResult> {
    let progress = Progress::new(services.len(), opts.progress);
    let results = crate::workers::map(
        services,
        opts.jobs,
        || (),
        |_, _, service| {
            progress.start(&service.name);
            let started = Instant::now();
            let mut result = match one(service, opts) {
                Ok(r) => r,
                Err(e) => failed(service, format!("{e:#}")),
            };
            result.seconds = started.elapsed().as_secs_f64();
            progress.done(&service.name, result.verdict.label());
            result
        },
    );
    progress.finish();
    results
}

fn failed(service: &Service, detail: String) -> ServiceResult {
    ServiceResult {
        name: service.name.clone(),
        repo: service.repo.clone(),
        branch: service.branch.clone(),
        verdict: Verdict::Failed,
        detail,
        affected: false,
        pull_request: None,
        seconds: 0.0,
        sync: None,
        publish: None,
        text: String::new(),
    }
}

/// A service's base branch, fetched into the cache, and what its sync reads from it: the
/// configuration, the lock, and the files under its vendored directories (and any other path
/// the lock lists). Read from the commit's tree; nothing is checked out or written.
pub struct Prepared {
    /// The cached repository (where the sync commit is made and pushed from).
    pub repo: git2::Repository,
    /// The base branch's commit.
    pub base: git2::Oid,
    pub workspace: crate::sync::workspace::Workspace,
    /// Service path → bytes, as `plan::scan` would return them from a working tree.
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
    /// The service's directory inside the repository ("" at the top).
    pub prefix: String,
}

/// The directory of the service's configuration file inside the repository ("" at the top).
fn config_dir(config: &str) -> String {
    match config.rsplit_once('/') {
        Some((p, _)) => p.to_owned(),
        None => String::new(),
    }
}

/// Fetches a service's base branch into the cache and reads what its sync needs from it.
pub fn prepare(service: &Service, opts: &LoadOptions) -> Result<Prepared> {
    let spec = input::Spec::git(&service.repo, GitWant::Branch(service.branch.clone()));
    let fetched = input::remote::fetch(&spec, opts)?;
    let repo = git2::Repository::open(&fetched.path)?;
    let (workspace, files, prefix) = {
        let tree = repo.find_commit(fetched.commit)?.tree()?;
        let prefix = config_dir(&service.config);
        let in_repo = |rel: &str| {
            if prefix.is_empty() {
                rel.to_owned()
            } else {
                format!("{prefix}/{rel}")
            }
        };
        let blob = |path: &str| -> Option<Vec<u8>> {
            let entry = tree.get_path(Path::new(path)).ok()?;
            if entry.filemode() == 0o120000 {
                return None;
            }
            repo.find_blob(entry.id())
                .ok()
                .map(|b| b.content().to_vec())
        };
        let text = |bytes: Vec<u8>, what: &str| {
            String::from_utf8(bytes).map_err(|_| anyhow!("{what}: not valid UTF-8"))
        };
        // Messages name the file as `<repo>@<branch>:<path>`.
        let shown =
            |path: &str| PathBuf::from(format!("{}@{}:{path}", service.repo, service.branch));
        let config_text = blob(&service.config).ok_or_else(|| {
            anyhow!(
                "{} has no {} on branch {}",
                service.repo,
                service.config,
                service.branch
            )
        })?;
        let config_text = text(config_text, &service.config)?;
        let lock_name = in_repo(crate::sync::lock::LOCK_FILE);
        let lock = match blob(&lock_name) {
            Some(bytes) => Some(crate::sync::lock::Lock::parse(
                &shown(&lock_name),
                &text(bytes, &lock_name)?,
            )?),
            None => None,
        };
        // The configuration's directory stands for the service root: nothing is read there.
        let config_path = Path::new("/nonexistent-protosync-fanout")
            .join(&service.name)
            .join(&service.config);
        let workspace =
            crate::sync::workspace::Workspace::from_parts(&config_path, &config_text, lock)
                .map_err(|e| anyhow!("{}: {e:#}", shown(&service.config).display()))?;
        let files = crate::sync::plan::scan_tree(
            &repo,
            &tree,
            &workspace.cfg,
            workspace.lock.as_ref(),
            &in_repo,
            &format!("on branch {}", service.branch),
        )?;
        (workspace, files, prefix)
    };
    Ok(Prepared {
        repo,
        base: fetched.commit,
        workspace,
        files,
        prefix,
    })
}

fn one(service: &Service, opts: &FanoutOptions) -> Result<ServiceResult> {
    let t = Instant::now();
    let prepared = prepare(service, &opts.load)?;
    crate::trace::since(&format!("{}: fetch and read", service.name), t);
    let t = Instant::now();
    let report = planned_sync(&prepared, opts)?;
    crate::trace::since(&format!("{}: sync", service.name), t);
    let affected = !report.plan.changes.is_empty();
    let text = crate::report::sync::sync_text(&report, false, true);
    let mut result = ServiceResult {
        name: service.name.clone(),
        repo: service.repo.clone(),
        branch: service.branch.clone(),
        verdict: Verdict::Unchanged,
        detail: String::new(),
        affected,
        pull_request: None,
        seconds: 0.0,
        sync: Some(crate::report::sync::sync_value(&report)),
        publish: None,
        text,
    };
    if let Some(why) = refusal(&report) {
        result.verdict = Verdict::Skipped;
        result.detail = why;
        return Ok(result);
    }
    if opts.dry_run {
        (result.verdict, result.detail) = dry_run_verdict(&report, affected);
        return Ok(result);
    }
    let published = publish_planned(service, opts, &prepared, &report)?;
    result.verdict = match published.outcome {
        publish::Outcome::Created => Verdict::Created,
        publish::Outcome::Updated | publish::Outcome::Pushed | publish::Outcome::Committed => {
            Verdict::Updated
        }
        publish::Outcome::Unchanged => Verdict::Unchanged,
        publish::Outcome::Closed => Verdict::Closed,
        publish::Outcome::Skipped => Verdict::Skipped,
    };
    result.detail = published
        .note
        .clone()
        .unwrap_or_else(|| match result.verdict {
            Verdict::Unchanged if !affected && published.commit.is_none() => "in sync".to_owned(),
            Verdict::Unchanged => "the pull request already carries this update".to_owned(),
            _ => format!("{} on {}", result.verdict.label(), published.branch),
        });
    result.pull_request = published.pull_request.as_ref().map(|p| p.url.clone());
    result.publish = Some(published);
    Ok(result)
}

/// The service's sync, planned in memory: nothing is written; the publish step commits the plan.
fn planned_sync(prepared: &Prepared, opts: &FanoutOptions) -> Result<run::SyncReport> {
    let sync_opts = SyncOptions {
        ref_: opts.ref_.clone(),
        dry_run: true,
        allow_breaking: opts.allow_breaking,
        force: false,
        load: opts.load.clone(),
    };
    let mut report = run::run_sync_on(
        &prepared.workspace,
        &sync_opts,
        false,
        None,
        prepared.files.clone(),
    )?;
    if !opts.dry_run {
        // Planned dry, published for real: report it as the update it is.
        report.dry_run = false;
        if report.outcome == SyncOutcome::DryRun {
            report.outcome = SyncOutcome::Updated;
        }
    }
    Ok(report)
}

/// Why the sync refused to update the service, when it did.
fn refusal(report: &run::SyncReport) -> Option<String> {
    match report.outcome {
        SyncOutcome::RefusedBreaking => Some(format!(
            "breaking update ({} finding{}); rerun with --allow-breaking to open the pull request anyway",
            report.breaking.findings.len(),
            if report.breaking.findings.len() == 1 { "" } else { "s" }
        )),
        SyncOutcome::RefusedLocalEdits => Some(format!(
            "the service's copy has local edits ({}); they must be resolved in the service",
            report
                .plan
                .conflicts
                .iter()
                .map(|c| c.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

/// The verdict and detail of a dry run: what it would update, or in sync.
fn dry_run_verdict(report: &run::SyncReport, affected: bool) -> (Verdict, String) {
    let verdict = if affected || report.outcome == SyncOutcome::DryRun {
        Verdict::Skipped
    } else {
        Verdict::Unchanged
    };
    let detail = if verdict == Verdict::Skipped {
        format!(
            "dry run: would update {} file{}",
            report.plan.changes.len(),
            if report.plan.changes.len() == 1 {
                ""
            } else {
                "s"
            }
        )
    } else {
        "in sync".to_owned()
    };
    (verdict, detail)
}

/// Commits the planned update on the service's branch, pushes it and opens or updates its
/// pull request.
fn publish_planned(
    service: &Service,
    opts: &FanoutOptions,
    prepared: &Prepared,
    report: &run::SyncReport,
) -> Result<PublishReport> {
    let publish_opts = PublishOptions {
        branch: None,
        base: Some(service.branch.clone()),
        push: true,
        remote: service.repo.clone(),
        pr: true,
        draft: opts.draft,
        labels: opts.labels.clone(),
        reviewers: opts.reviewers.clone(),
        forge: service.forge,
        api_url: opts.api_url.clone(),
        ..PublishOptions::default()
    };
    publish::publish_in(
        &prepared.repo,
        &prepared.prefix,
        (&service.branch, prepared.base),
        publish::Contents::Planned(&report.plan.writes, report.plan.lock_bytes.as_bytes()),
        &prepared.workspace.cfg,
        report,
        &publish_opts,
    )
}

/// 1 when a service failed, else 0.
pub fn exit_code(results: &[ServiceResult]) -> i32 {
    if results.iter().any(|r| r.verdict == Verdict::Failed) {
        1
    } else {
        0
    }
}
