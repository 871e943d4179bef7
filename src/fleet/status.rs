//! `protosync fleet`: from the contract repository, one row per `[[service]]` saying how its
//! vendored copy stands: the contract commit its lock pins and how old that commit is, how many
//! commits it is behind the contract head, which vendored files were edited in the service,
//! whether syncing now would be breaking for it, and its open sync pull request.
//!
//! Per service, on one of `--jobs` workers (nothing is written anywhere but the cache):
//!
//! 1. [`super::fanout::prepare`]: fetch the service's base branch into the cache and read its
//!    configuration, lock and vendored files from the commit (no checkout);
//! 2. drift: the vendored files against the lock's hashes ([`plan::views`], `state(false)`);
//! 3. a dry, in-memory sync ([`run::run_sync_on`] with `dry_run`): the contract head, the commit
//!    distance, the files it would change and its breaking findings under the service's own
//!    `[breaking]` rules;
//! 4. the pinned commit's date, from the contract repository this runs in when it has the
//!    commit, else from the cached copy of the service's `contract.repo` (fetched in step 3);
//! 5. the open pull request of `protosync/<contract-name>` → the base branch, when the forge
//!    is known, a token is set and it answers; otherwise "unknown", never an error for the row.
//!
//! A service that cannot be read keeps its row, with the error, and status `unknown`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use super::fanout;
use super::Service;
pub use crate::clock::rfc3339;
use crate::clock::unix_now;
use crate::forge::{self, RepoRef};
use crate::input::{self, GitWant, LoadOptions};
use crate::report::progress::Progress;
use crate::sync::config::ContractRepo;
use crate::sync::plan::{self, FileState};
use crate::sync::publish::contract_name;
use crate::sync::run::{self, SyncOptions};

/// A row's status, worst first when sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Syncing now would bring breaking changes for this service.
    Breaking,
    /// Vendored files differ from what protosync wrote (edited, missing or extra).
    Edited,
    /// The service could not be judged (see `error`).
    Unknown,
    /// The lock is behind the contract head (or there is no lock yet).
    Behind,
    /// The lock is at the contract head and the copy matches it.
    InSync,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Breaking,
        Status::Edited,
        Status::Unknown,
        Status::Behind,
        Status::InSync,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Status::Breaking => "breaking",
            Status::Edited => "edited",
            Status::Unknown => "unknown",
            Status::Behind => "behind",
            Status::InSync => "in sync",
        }
    }

    /// The colour the reports give it.
    pub fn colour(self) -> &'static str {
        match self {
            Status::Breaking | Status::Edited => "red",
            Status::Unknown => "grey",
            Status::Behind => "yellow",
            Status::InSync => "green",
        }
    }

    /// Severity for sorting: higher is worse.
    pub fn rank(self) -> u8 {
        match self {
            Status::Breaking => 5,
            Status::Edited => 4,
            Status::Unknown => 3,
            Status::Behind => 2,
            Status::InSync => 1,
        }
    }
}

/// A vendored file that differs from the lock.
#[derive(Debug, Clone, Serialize)]
pub struct EditedFile {
    pub path: String,
    /// `edited`, `missing` or `extra` (see `protosync status`).
    pub state: FileState,
}

/// A breaking finding of the update, for the service.
#[derive(Debug, Clone, Serialize)]
pub struct FleetFinding {
    pub rule: &'static str,
    /// The service's vendored file.
    pub path: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

/// The sync pull request, as far as the forge told.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PullRequestState {
    /// An open pull request from the sync branch to the base branch.
    Open {
        number: u64,
        url: String,
        branch: String,
        title: String,
    },
    /// The forge answered: none is open.
    None { branch: String },
    /// Not asked, or no answer: why.
    Unknown { why: String },
}

impl PullRequestState {
    pub fn label(&self) -> String {
        match self {
            PullRequestState::Open { number, .. } => format!("#{number}"),
            PullRequestState::None { .. } => "none".to_owned(),
            PullRequestState::Unknown { .. } => "unknown".to_owned(),
        }
    }
}

/// Seconds per phase for one service (`--verbose` prints them; JSON has them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Fetching the service's branch and reading its files from the commit.
    pub fetch: f64,
    /// The dry sync: the contract (fetched once per run), the plan and the breaking check.
    pub plan: f64,
    /// Local edits, and the pinned commit's date.
    pub drift: f64,
    /// The forge API.
    pub forge: f64,
}

/// One service's row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub repo: String,
    pub branch: String,
    pub status: Status,
    /// `green`, `yellow`, `red` or `grey`.
    pub colour: &'static str,
    /// The service's `contract.repo` and `contract.ref`.
    pub contract: Option<String>,
    #[serde(rename = "ref")]
    pub ref_: Option<String>,
    /// The contract commit the service's lock pins (on its base branch).
    pub pinned: Option<String>,
    /// When the pinned commit was made (committer date, RFC 3339, UTC).
    pub pinned_at: Option<String>,
    /// Seconds from the pinned commit to when this report was made.
    pub pinned_age_seconds: Option<i64>,
    /// The commit `contract.ref` resolves to now.
    pub head: Option<String>,
    /// Commits the head has that the pinned commit does not.
    pub behind: Option<usize>,
    /// Vendored files that differ from the lock.
    pub edited: Vec<EditedFile>,
    /// Files a sync now would add, change or delete.
    pub changes: Option<usize>,
    /// Breaking findings a sync now would bring (under the service's `[breaking]` rules).
    pub breaking: Option<usize>,
    /// Files whose local edits a sync now would overwrite (`sync` refuses without `--force`).
    pub conflicts: Option<usize>,
    pub findings: Vec<FleetFinding>,
    pub pull_request: PullRequestState,
    /// Why the service could not be judged (fully or in part).
    pub error: Option<String>,
    pub seconds: f64,
    pub timings: Timings,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    /// The contract repository's name (its directory).
    pub contract: String,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    #[serde(skip)]
    pub generated_unix: i64,
    pub jobs: usize,
    /// Wall-clock seconds for the whole fleet.
    pub seconds: f64,
    pub services: Vec<Row>,
}

impl Fleet {
    /// How many rows have each status.
    pub fn count(&self, status: Status) -> usize {
        self.services.iter().filter(|r| r.status == status).count()
    }

    /// 1 when a service could not be judged, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.services.iter().any(|r| r.status == Status::Unknown) {
            1
        } else {
            0
        }
    }
}

/// What `fleet` needs besides the services.
#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
    pub jobs: usize,
    pub load: LoadOptions,
    pub api_url: Option<String>,
    /// Ask the forges for open pull requests.
    pub forge: bool,
    /// The contract repository this runs in (where pinned commits are looked up first).
    pub contract_dir: Option<PathBuf>,
    /// A progress line on stderr (when it is a terminal).
    pub progress: bool,
}

/// The name the report gives the contract repository: its working tree's directory name.
pub fn contract_label(dir: &Path) -> String {
    let top = git2::Repository::discover(dir)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.to_path_buf());
    let top = top.canonicalize().unwrap_or(top);
    contract_name(&top.display().to_string())
}

/// Judges every service on `opts.jobs` workers; rows in the order of `services`.
pub fn judge(contract: &str, services: &[Service], opts: &FleetOptions) -> Fleet {
    let started = Instant::now();
    let now = unix_now();
    let jobs = opts.jobs.max(1).min(services.len().max(1));
    let progress = Progress::new(services.len(), opts.progress);
    let forges = ForgeMemo::default();
    // git2 repositories are not Sync: each worker opens the local contract once.
    let open = || {
        opts.contract_dir
            .as_ref()
            .and_then(|d| git2::Repository::discover(d).ok())
    };
    let services: Vec<Row> = crate::workers::map(services, jobs, open, |local, _, service| {
        progress.start(&service.name);
        let t = Instant::now();
        let mut row = one(service, opts, local.as_ref(), &forges, now);
        row.seconds = t.elapsed().as_secs_f64();
        crate::trace::note(&format!(
            "fleet {}: {:.3} s (fetch and read {:.3} s, dry sync {:.3} s, drift and age {:.3} s, forge {:.3} s)",
            service.name,
            row.seconds,
            row.timings.fetch,
            row.timings.plan,
            row.timings.drift,
            row.timings.forge
        ));
        progress.done(&service.name, "");
        row
    });
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    if crate::trace::enabled() {
        let sum = |f: fn(&Timings) -> f64| services.iter().map(|r| f(&r.timings)).sum::<f64>();
        crate::trace::note(&format!(
            "fleet: {} services in {seconds:.3} s on {jobs} workers; summed over services: fetch and read {:.3} s, dry sync {:.3} s, drift and age {:.3} s, forge {:.3} s",
            services.len(),
            sum(|t| t.fetch),
            sum(|t| t.plan),
            sum(|t| t.drift),
            sum(|t| t.forge),
        ));
    }
    Fleet {
        contract: contract.to_owned(),
        generated_at: rfc3339(now),
        generated_unix: now,
        jobs,
        seconds,
        services,
    }
}

fn empty_row(service: &Service) -> Row {
    Row {
        name: service.name.clone(),
        repo: service.repo.clone(),
        branch: service.branch.clone(),
        status: Status::Unknown,
        colour: Status::Unknown.colour(),
        contract: None,
        ref_: None,
        pinned: None,
        pinned_at: None,
        pinned_age_seconds: None,
        head: None,
        behind: None,
        edited: Vec::new(),
        changes: None,
        breaking: None,
        conflicts: None,
        findings: Vec::new(),
        pull_request: PullRequestState::Unknown {
            why: "the service could not be read".to_owned(),
        },
        error: None,
        seconds: 0.0,
        timings: Timings::default(),
    }
}

/// One service's row; errors end up in the row.
fn one(
    service: &Service,
    opts: &FleetOptions,
    local: Option<&git2::Repository>,
    forges: &ForgeMemo,
    now: i64,
) -> Row {
    let mut row = empty_row(service);
    let t = Instant::now();
    let prepared = fanout::prepare(service, &opts.load);
    row.timings.fetch = t.elapsed().as_secs_f64();
    let prepared = match prepared {
        Ok(p) => p,
        Err(e) => {
            row.error = Some(format!("{e:#}"));
            return row;
        }
    };
    let ws = &prepared.workspace;
    row.contract = Some(ws.cfg.contract.repo.clone());
    row.ref_ = Some(ws.cfg.contract.ref_.clone());
    row.pinned = ws.lock.as_ref().map(|l| l.contract.commit.clone());

    // Local edits: the files against the lock alone (no contract needed).
    let t = Instant::now();
    row.edited = edited_files(&prepared);
    row.timings.drift = t.elapsed().as_secs_f64();

    // The dry sync: head, distance, changes and breaking findings.
    let t = Instant::now();
    let sync_opts = SyncOptions {
        ref_: None,
        dry_run: true,
        allow_breaking: false,
        force: false,
        load: opts.load.clone(),
    };
    let report = run::run_sync_on(ws, &sync_opts, false, None, prepared.files.clone());
    row.timings.plan = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let pinned_oid = row
        .pinned
        .as_deref()
        .and_then(|c| git2::Oid::from_str(c).ok());
    let cached = match &report {
        // The contract was fetched by the sync: this finds it in this run's fetch memo.
        Ok(_) => contract_repo(&ws.cfg, &opts.load),
        Err(_) => None,
    };
    if let Some(oid) = pinned_oid {
        set_pinned_age(&mut row, oid, [local, cached.as_ref()], now);
    }
    match report {
        Ok(report) => record_sync(&mut row, &report, local, pinned_oid),
        Err(e) => row.error = Some(format!("{e:#}")),
    }
    row.timings.drift += t.elapsed().as_secs_f64();

    let t = Instant::now();
    row.pull_request = pull_request_state(service, opts, &ws.cfg.contract.repo, forges);
    row.timings.forge = t.elapsed().as_secs_f64();
    row.status = status_of(&row);
    row.colour = row.status.colour();
    row
}

/// The service's files that differ from its lock (the lock alone, no contract needed).
fn edited_files(prepared: &fanout::Prepared) -> Vec<EditedFile> {
    if let Some(lock) = &prepared.workspace.lock {
        let views = plan::views(
            &prepared.workspace.cfg,
            Some(lock),
            prepared.files.clone(),
            None,
        );
        return views
            .iter()
            .filter_map(|v| {
                let state = v.state(false);
                state.is_drift().then(|| EditedFile {
                    path: v.path.clone(),
                    state,
                })
            })
            .collect();
    }
    Vec::new()
}

/// When the pinned commit was made and how old it is, from the first repository that has it.
fn set_pinned_age(row: &mut Row, oid: git2::Oid, repos: [Option<&git2::Repository>; 2], now: i64) {
    let time = repos
        .into_iter()
        .flatten()
        .find_map(|r| r.find_commit(oid).ok().map(|c| c.time().seconds()));
    if let Some(time) = time {
        row.pinned_at = Some(rfc3339(time));
        row.pinned_age_seconds = Some((now - time).max(0));
    }
}

/// What the dry sync found: head, distance, changes and breaking findings.
fn record_sync(
    row: &mut Row,
    report: &run::SyncReport,
    local: Option<&git2::Repository>,
    pinned_oid: Option<git2::Oid>,
) {
    row.head = report.contract.commit.clone();
    row.behind = report.contract.behind_commits;
    if row.behind.is_none() {
        // A shallow cache may lack the pinned commit; this repository may have both.
        if let (Some(local), Some(pin), Some(head)) = (
            local,
            pinned_oid,
            row.head
                .as_deref()
                .and_then(|h| git2::Oid::from_str(h).ok()),
        ) {
            if local.find_commit(pin).is_ok() && local.find_commit(head).is_ok() {
                row.behind = local
                    .graph_ahead_behind(head, pin)
                    .ok()
                    .map(|(ahead, _)| ahead);
            }
        }
    }
    row.changes = Some(report.plan.changes.len());
    row.breaking = Some(report.breaking.findings.len());
    row.conflicts = Some(report.plan.conflicts.len());
    row.findings = report
        .breaking
        .findings
        .iter()
        .map(|f| FleetFinding {
            rule: f.rule.as_str(),
            path: f.path.clone(),
            line: f.span.map(|s| s.start_line),
            message: f.message.clone(),
        })
        .collect();
}

/// The open sync pull request, or why it is unknown (the forge not asked).
fn pull_request_state(
    service: &Service,
    opts: &FleetOptions,
    contract_repo: &str,
    forges: &ForgeMemo,
) -> PullRequestState {
    if !opts.forge {
        PullRequestState::Unknown {
            why: if opts.load.offline {
                "--offline: the forge was not asked".to_owned()
            } else {
                "--no-forge: the forge was not asked".to_owned()
            },
        }
    } else {
        let branch = format!("protosync/{}", contract_name(contract_repo));
        open_pull_request(service, &branch, opts.api_url.as_deref(), forges)
    }
}

fn status_of(row: &Row) -> Status {
    if row.error.is_some() {
        Status::Unknown
    } else if row.breaking.unwrap_or(0) > 0 {
        Status::Breaking
    } else if !row.edited.is_empty() {
        Status::Edited
    } else if row.pinned.is_none()
        || row.behind.unwrap_or(0) > 0
        || row.changes.unwrap_or(0) > 0
        || row.pinned != row.head
    {
        Status::Behind
    } else {
        Status::InSync
    }
}

/// The service's contract repository as the dry sync opened it: a URL's cache entry (from this
/// run's fetch memo, so no second fetch), or a local path.
fn contract_repo(
    cfg: &crate::sync::config::SyncConfig,
    load: &LoadOptions,
) -> Option<git2::Repository> {
    match cfg.contract.location(cfg.repo_root()) {
        ContractRepo::Url(url) => {
            let ref_ = cfg.contract.ref_.clone();
            // The same spec as `Contract::open`, so the memo recognises it.
            let spec = input::Spec::git(
                &url,
                GitWant::Ref {
                    expr: ref_,
                    branch: None,
                },
            );
            let fetched = input::remote::fetch(&spec, load).ok()?;
            git2::Repository::open(fetched.path).ok()
        }
        ContractRepo::Path(path) => git2::Repository::open(path).ok(),
    }
}

/// API bases that failed at the transport level in this run: asked once, not 50 times.
#[derive(Default)]
struct ForgeMemo {
    unreachable: Mutex<HashMap<String, String>>,
}

/// The open pull request from `branch` to the service's base branch.
fn open_pull_request(
    service: &Service,
    branch: &str,
    api_url: Option<&str>,
    memo: &ForgeMemo,
) -> PullRequestState {
    let unknown = |why: String| PullRequestState::Unknown { why };
    let Some(kind) = service.forge.or_else(|| forge::detect(&service.repo)) else {
        return unknown(format!(
            "the forge of {} is not known (set `forge` in its [[service]])",
            forge::display_url(&service.repo)
        ));
    };
    let repo = match RepoRef::from_remote_url(&service.repo) {
        Ok(r) => r,
        Err(e) => return unknown(format!("{e:#}")),
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let base = match forge::api_base(kind, &repo, api_url, &env) {
        Ok(b) => b,
        Err(e) => return unknown(format!("{e:#}")),
    };
    if let Some(why) = memo.unreachable.lock().expect("forge memo").get(&base) {
        return unknown(why.clone());
    }
    let client = match forge::client(kind, &repo, api_url) {
        Ok(c) => c,
        Err(e) => return unknown(format!("{e:#}")),
    };
    match client.find_open(branch, &service.branch) {
        Ok(Some(pr)) => PullRequestState::Open {
            number: pr.number,
            url: pr.url,
            branch: branch.to_owned(),
            title: pr.title,
        },
        Ok(None) => PullRequestState::None {
            branch: branch.to_owned(),
        },
        Err(e) => {
            let why = format!("{}: {e:#}", forge::display_url(&base));
            let transport = e
                .downcast_ref::<forge::http::HttpError>()
                .is_some_and(|h| h.status.is_none());
            if transport {
                // The other services on this forge are not asked again.
                memo.unreachable
                    .lock()
                    .expect("forge memo")
                    .insert(base, why.clone());
            }
            unknown(why)
        }
    }
}

/// A short age: `45s`, `12m`, `5h`, `3d`, `7w`, `4mo`, `2y`.
pub fn age_label(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => format!("{}h", s / 3_600),
        86_400..=1_209_599 => format!("{}d", s / 86_400),
        1_209_600..=5_183_999 => format!("{}w", s / 604_800),
        5_184_000..=31_535_999 => format!("{}mo", s / 2_592_000),
        _ => format!("{}y", s / 31_536_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_ages() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_681_200), "2026-11-26T08:20:00Z");
        assert_eq!(rfc3339(-86_400), "1969-12-31T00:00:00Z");
        assert_eq!(age_label(5), "5s");
        assert_eq!(age_label(120), "2m");
        assert_eq!(age_label(7_200), "2h");
        assert_eq!(age_label(3 * 86_400), "3d");
        assert_eq!(age_label(21 * 86_400), "3w");
        assert_eq!(age_label(100 * 86_400), "3mo");
        assert_eq!(age_label(800 * 86_400), "2y");
        assert_eq!(age_label(-3), "0s");
    }

    #[test]
    fn statuses_order_worst_first() {
        let mut all = Status::ALL.to_vec();
        all.reverse();
        all.sort();
        assert_eq!(all, Status::ALL);
        assert!(Status::ALL.windows(2).all(|w| w[0].rank() > w[1].rank()));
    }
}
