//! `protosync impact`: run in the contract repository (typically on a pull request), judge the
//! proposed contract against what each service actually pinned.
//!
//! Per `[[service]]`, on a worker: fetch its default branch into the cache and read its
//! configuration and lock from the commit (no checkout, [`super::fanout::prepare`]); select the
//! contract files its mappings vendor from the proposed tree (the contract repository's files
//! on disk); if none of the files changed against `--against` is among them (or among those its
//! lock pins), it is `unaffected`. Otherwise compare the service's pinned copy (the contract at
//! its lock's commit, read from this repository, else fetched from the service's
//! `contract.repo`) with the proposed files, under the service's own `[breaking]` rules:
//! `compatible` or `breaking`. For a breaking verdict, the service's own protos (its repository
//! at the default branch, laid out by its `[build] roots`) are compiled to name which of its
//! messages and RPCs use a broken element. A service that cannot be read is `unknown`, with why;
//! the others are still judged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::fanout::{self, Prepared};
use super::Service;
use crate::breaking::Finding;
use crate::compile::SourceTree;
use crate::input::{self, LoadOptions};
use crate::pipeline::{self, TargetTree};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Breaking,
    Unknown,
    Compatible,
    Unaffected,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Breaking => "breaking",
            Verdict::Unknown => "unknown",
            Verdict::Compatible => "compatible",
            Verdict::Unaffected => "unaffected",
        }
    }
}

/// A breaking finding for one service.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactFinding {
    pub rule: String,
    pub message: String,
    /// The element the finding is about (`acme.billing.v1.Invoice.legacy_id`).
    pub element: String,
    /// Where in the contract repository (proposed side; the pinned side for deletions).
    pub contract_path: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The service's vendored copy of that file.
    pub service_path: Option<String>,
}

/// One of the service's own elements that uses a broken one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Usage {
    /// `acme.checkout.v1.Cart.invoice` (a field) or `acme.checkout.v1.Checkout.Pay` (an RPC).
    pub element: String,
    /// `field` or `rpc`.
    pub kind: &'static str,
    /// The service's file, as laid out by its roots.
    pub file: String,
    /// The broken contract type it uses.
    pub uses: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceImpact {
    pub name: String,
    pub repo: String,
    pub verdict: Verdict,
    /// Why (unknown), or a one-line summary.
    pub detail: String,
    /// The contract commit the service pinned.
    pub pinned: Option<String>,
    /// Changed contract files (root-relative) the service vendors.
    pub changed_files: Vec<String>,
    pub findings: Vec<ImpactFinding>,
    pub usages: Vec<Usage>,
    pub seconds: f64,
    /// Every schema change from the pinned copy to the proposal (contract-repository paths),
    /// when they were compared (the comment's changelog).
    #[serde(skip)]
    pub changes: Option<crate::diff::DiffReport>,
    /// The contract root the service's configuration names (`[contract] root`), once read.
    #[serde(skip)]
    pub contract_root: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ImpactOptions {
    /// The contract repository's directory (where its protosync.toml is).
    pub contract_dir: PathBuf,
    /// What the proposal is compared with to find the changed files.
    pub against: String,
    pub jobs: usize,
    pub load: LoadOptions,
    /// Per-service progress on stderr (a terminal).
    pub progress: bool,
}

/// The proposed contract: the files on disk under `root` of the contract repository.
fn proposed(dir: &Path, root: &str) -> Result<BTreeMap<String, std::sync::Arc<str>>> {
    let path = if root.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(root)
    };
    Ok(crate::compile::read_dir_tree(&path)?.files)
}

/// The proposal under one contract root: its .proto files, and which of them differ from
/// `--against` (root-relative paths; a file only `--against` has counts too).
struct Proposal {
    protos: BTreeMap<String, std::sync::Arc<str>>,
    changed: BTreeSet<String>,
}

/// Proposals by contract root, each read once per run however many services use the root.
type Proposals = Mutex<BTreeMap<String, std::sync::Arc<Proposal>>>;

fn proposal(dir: &Path, against: &input::Loaded, root: &str) -> Result<Proposal> {
    let files = match against {
        input::Loaded::Files(f) => f,
        input::Loaded::Image(_) => {
            return Err(anyhow!(
                "--against must be a directory or git input, not an image"
            ))
        }
    };
    let protos = proposed(dir, root)?;
    let old = if root.is_empty() || files.is_dir(root) {
        files.protos_under(root)?
    } else {
        BTreeMap::new()
    };
    let mut changed = BTreeSet::new();
    for (rel, text) in &protos {
        if old.get(rel).map(|t| **t == **text) != Some(true) {
            changed.insert(rel.clone());
        }
    }
    changed.extend(old.keys().filter(|rel| !protos.contains_key(*rel)).cloned());
    Ok(Proposal { protos, changed })
}

/// Runs impact over `services`.
pub fn run(services: &[Service], opts: &ImpactOptions) -> Result<Vec<ServiceImpact>> {
    let against_spec = input::spec::parse(&opts.against).map_err(|e| anyhow!("--against: {e}"))?;
    let against = input::load(&against_spec, &opts.load, "against")?;
    let proposals: Proposals = Mutex::new(BTreeMap::new());
    let contract_repo = git2::Repository::discover(&opts.contract_dir)
        .ok()
        .map(|r| r.path().to_path_buf());
    let progress = crate::report::progress::Progress::new(services.len(), opts.progress);
    // Each worker opens the contract repository once (a repository is not shared by threads).
    let open = || {
        contract_repo
            .as_deref()
            .and_then(|p| git2::Repository::open(p).ok())
    };
    let results = crate::workers::map(services, opts.jobs, open, |local, _, service| {
        progress.start(&service.name);
        let started = Instant::now();
        let mut r = match one(service, opts, &against, &proposals, local.as_ref()) {
            Ok(r) => r,
            Err(e) => ServiceImpact {
                name: service.name.clone(),
                repo: service.repo.clone(),
                verdict: Verdict::Unknown,
                detail: format!("{e:#}"),
                pinned: None,
                changed_files: Vec::new(),
                findings: Vec::new(),
                usages: Vec::new(),
                seconds: 0.0,
                changes: None,
                contract_root: None,
            },
        };
        r.seconds = started.elapsed().as_secs_f64();
        progress.done(&service.name, r.verdict.label());
        crate::trace::note(&format!(
            "{}: {} in {:.3} s",
            r.name,
            r.verdict.label(),
            r.seconds
        ));
        r
    });
    progress.finish();
    Ok(results)
}

// long: one service's judgement, step by step (lock, proposal, pin, compare, uses).
fn one(
    service: &Service,
    opts: &ImpactOptions,
    against: &input::Loaded,
    proposals: &Proposals,
    local: Option<&git2::Repository>,
) -> Result<ServiceImpact> {
    let prepared = fanout::prepare(service, &opts.load)?;
    let ws = &prepared.workspace;
    let cfg = &ws.cfg;
    let lock = ws.lock.as_ref().ok_or_else(|| {
        anyhow!(
            "{} has no protosync.lock on {}: it has never synced",
            service.repo,
            service.branch
        )
    })?;
    let root = contract_root(cfg, lock, opts, local)?;
    let mut result = ServiceImpact {
        name: service.name.clone(),
        repo: service.repo.clone(),
        verdict: Verdict::Unaffected,
        detail: String::new(),
        pinned: Some(lock.contract.commit.clone()),
        changed_files: Vec::new(),
        findings: Vec::new(),
        usages: Vec::new(),
        seconds: 0.0,
        changes: None,
        contract_root: Some(root.clone()),
    };
    let proposal = cached_proposal(proposals, opts, against, &root)?;
    let changed = &proposal.changed;
    let at = format!("the proposed contract ({})", opts.contract_dir.display());
    let targets = crate::sync::plan::select(cfg, &proposal.protos, &at)?;
    let pinned_rels = pinned_rels(lock, &root);
    let mut vendored: BTreeSet<String> = targets.iter().map(|t| t.rel.clone()).collect();
    vendored.extend(pinned_rels.keys().cloned());
    result.changed_files = vendored.intersection(changed).cloned().collect();
    if result.changed_files.is_empty() {
        result.detail = "vendors none of the changed files".to_owned();
        return Ok(result);
    }

    let pinned_commit = git2::Oid::from_str(&lock.contract.commit)?;
    let pinned = pinned_protos(cfg, lock, pinned_commit, &root, opts, local)?;
    let (report, mut changes) = compare_pinned(
        service,
        ws,
        (pinned, pinned_commit, &pinned_rels),
        &proposal,
        &targets,
    )?;
    result.findings = impact_findings(&report, &targets, &pinned_rels, &root);
    for c in &mut changes.changes {
        c.path = c.path.as_deref().map(|rel| in_repo(&root, rel));
    }
    result.changes = Some(changes);
    if result.findings.is_empty() {
        result.verdict = Verdict::Compatible;
        result.detail = format!(
            "vendors {} changed file{}; nothing breaks",
            result.changed_files.len(),
            if result.changed_files.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        return Ok(result);
    }
    result.verdict = Verdict::Breaking;
    result.detail = format!(
        "{} breaking change{}",
        result.findings.len(),
        if result.findings.len() == 1 { "" } else { "s" }
    );
    // Which of the service's own messages and RPCs use a broken element.
    match own_usages(&prepared, &result.findings) {
        Ok(u) => result.usages = u,
        Err(e) => result.detail.push_str(&format!(
            " (its own protos could not be compiled to find the uses: {e:#})"
        )),
    }
    Ok(result)
}

/// The service's contract root: `contract.root`, else decided at the commit its lock pins
/// from where its mappings are and the contract's buf configuration, as its syncs decided it.
fn contract_root(
    cfg: &crate::sync::config::SyncConfig,
    lock: &crate::sync::lock::Lock,
    opts: &ImpactOptions,
    local: Option<&git2::Repository>,
) -> Result<String> {
    use crate::sync::roots::{self, Hint};
    if cfg.contract.root_set {
        return Ok(cfg.contract.root.clone());
    }
    let commit = git2::Oid::from_str(&lock.contract.commit)?;
    let at = format!("contract {}@{}", cfg.contract.repo, input::short(&commit));
    let blobs = input::git::BlobCache::default();
    match local.filter(|r| r.find_commit(commit).is_ok()) {
        Some(repo) => {
            let all: crate::sync::contract::Protos =
                input::git::read_commit(repo, commit, None, &at, &blobs)?
                    .files
                    .into_iter()
                    .filter(|(k, _)| k.ends_with(".proto"))
                    .collect();
            let files = || roots::configs(repo, commit, &all, &at);
            roots::decide(cfg, &all, files, Hint::Config, &at)
        }
        None => {
            let contract =
                crate::sync::contract::Contract::open(cfg, &lock.contract.commit, &opts.load)?;
            roots::rooted(&contract, cfg, commit, Hint::Config, &at, &blobs).map(|(root, _)| root)
        }
    }
}

/// Contract-root-relative path → service path of each file the service's lock pins.
fn pinned_rels(lock: &crate::sync::lock::Lock, root: &str) -> BTreeMap<String, String> {
    let strip = |from: &str| -> Option<String> {
        if root.is_empty() {
            Some(from.to_owned())
        } else {
            from.strip_prefix(&format!("{root}/")).map(str::to_owned)
        }
    };
    lock.files
        .iter()
        .filter_map(|(path, f)| strip(&f.from).map(|rel| (rel, path.clone())))
        .collect()
}

/// The pinned copy (the files, their commit, the lock's root-relative paths) against the
/// proposed contract, under the service's own `[breaking]` rules.
fn compare_pinned(
    service: &Service,
    ws: &crate::sync::workspace::Workspace,
    (pinned, pinned_commit, pinned_rels): (
        BTreeMap<String, std::sync::Arc<str>>,
        git2::Oid,
        &BTreeMap<String, String>,
    ),
    proposal: &Proposal,
    targets: &[crate::sync::plan::Target],
) -> Result<(pipeline::BreakingReport, crate::diff::DiffReport)> {
    let prev_targets: Vec<String> = pinned_rels
        .keys()
        .filter(|rel| pinned.contains_key(*rel))
        .cloned()
        .collect();
    pipeline::compare_targets(
        TargetTree {
            tree: SourceTree {
                files: pinned,
                includes: Vec::new(),
                ..Default::default()
            },
            targets: prev_targets,
            label: format!(
                "{} pinned contract {}",
                service.name,
                input::short(&pinned_commit)
            ),
        },
        TargetTree {
            tree: SourceTree {
                files: proposal.protos.clone(),
                includes: Vec::new(),
                ..Default::default()
            },
            targets: targets.iter().map(|t| t.rel.clone()).collect(),
            label: "the proposed contract".to_owned(),
        },
        &ws.layout,
        &crate::config::rules::Overrides::default(),
    )
}

/// The proposed contract under `root`, read once per contract root and shared by the workers.
fn cached_proposal(
    proposals: &Proposals,
    opts: &ImpactOptions,
    against: &input::Loaded,
    root: &str,
) -> Result<std::sync::Arc<Proposal>> {
    let mut cache = proposals.lock().expect("proposals");
    Ok(match cache.get(root) {
        Some(p) => p.clone(),
        None => {
            let p = std::sync::Arc::new(proposal(&opts.contract_dir, against, root)?);
            cache.insert(root.to_owned(), p.clone());
            p
        }
    })
}

/// The pinned copy's .proto files: the contract at the lock's commit, from this repository when
/// it has the commit, else from the service's contract URL.
fn pinned_protos(
    cfg: &crate::sync::config::SyncConfig,
    lock: &crate::sync::lock::Lock,
    pinned_commit: git2::Oid,
    root: &str,
    opts: &ImpactOptions,
    local: Option<&git2::Repository>,
) -> Result<BTreeMap<String, std::sync::Arc<str>>> {
    let blobs = input::git::BlobCache::default();
    let pinned = match local.filter(|r| r.find_commit(pinned_commit).is_ok()) {
        Some(repo) => {
            let label = format!("contract@{}", input::short(&pinned_commit));
            let subdir = (!root.is_empty()).then_some(root);
            input::git::read_commit(repo, pinned_commit, subdir, &label, &blobs)?.files
        }
        None => {
            let contract =
                crate::sync::contract::Contract::open(cfg, &lock.contract.commit, &opts.load)?;
            contract.protos(pinned_commit, root, &blobs)?
        }
    };
    Ok(pinned
        .into_iter()
        .filter(|(k, _)| k.ends_with(".proto"))
        .collect())
}

/// The report's findings, each located in the contract repository and, where the service
/// vendors or pins the file, in the service.
fn impact_findings(
    report: &pipeline::BreakingReport,
    targets: &[crate::sync::plan::Target],
    pinned_rels: &BTreeMap<String, String>,
    root: &str,
) -> Vec<ImpactFinding> {
    let service_path: BTreeMap<&str, &str> = targets
        .iter()
        .map(|t| (t.rel.as_str(), t.path.as_str()))
        .chain(pinned_rels.iter().map(|(r, p)| (r.as_str(), p.as_str())))
        .collect();
    report
        .findings
        .iter()
        .map(|f: &Finding| {
            let rel = f.path.as_deref().or(f.against_path.as_deref());
            let located = f.path.is_some();
            ImpactFinding {
                rule: f.rule.as_str().to_owned(),
                message: f.message.clone(),
                element: f.element.clone(),
                contract_path: rel.map(|r| in_repo(root, r)),
                line: f.span.filter(|_| located).map(|s| s.start_line),
                column: f.span.filter(|_| located).map(|s| s.start_column),
                service_path: rel.and_then(|r| service_path.get(r)).map(|s| s.to_string()),
            }
        })
        .collect()
}

/// A contract-root-relative path as a path in the contract repository.
fn in_repo(root: &str, rel: &str) -> String {
    if root.is_empty() {
        rel.to_owned()
    } else {
        format!("{root}/{rel}")
    }
}

/// The service's own fields and RPCs (outside its vendored directories) whose type is a broken
/// element or contains one.
fn own_usages(prepared: &Prepared, findings: &[ImpactFinding]) -> Result<Vec<Usage>> {
    let ws = &prepared.workspace;
    let label = format!("service@{}", input::short(&prepared.base));
    let subdir = (!prepared.prefix.is_empty()).then_some(prepared.prefix.as_str());
    let files = input::git::read_commit(
        &prepared.repo,
        prepared.base,
        subdir,
        &label,
        &input::git::BlobCache::default(),
    )?;
    let mut tree = SourceTree::default();
    // (root-relative path → repository path) of each file, by root.
    let mut full: BTreeMap<String, String> = BTreeMap::new();
    for m in &ws.layout.modules {
        let r = m.root.to_string_lossy().replace('\\', "/");
        for (rel, text) in input::Files::protos_under(&files, &r)? {
            let path = if r.is_empty() {
                rel.clone()
            } else {
                format!("{r}/{rel}")
            };
            full.insert(rel.clone(), path);
            tree.files.insert(rel, text);
        }
    }
    let vendored = |rel: &str| {
        full.get(rel).is_some_and(|p| {
            ws.cfg
                .vendors
                .iter()
                .any(|v| p.starts_with(&format!("{}/", v.to)))
        })
    };
    let own: Vec<String> = tree
        .files
        .keys()
        .filter(|k| !vendored(k))
        .cloned()
        .collect();
    if own.is_empty() {
        return Ok(Vec::new());
    }
    let compiled = crate::compile::compile_targets(tree, own, "service").map_err(|e| anyhow!(e))?;
    let schema = crate::model::build(&compiled);
    Ok(usages_in(&schema, &full, findings))
}

/// The fields and RPCs of `schema` whose type is a broken element or contains one; `full` maps
/// root-relative paths to repository paths.
fn usages_in(
    schema: &crate::model::Schema,
    full: &BTreeMap<String, String>,
    findings: &[ImpactFinding],
) -> Vec<Usage> {
    // A type is broken when a finding is about it or about something inside it.
    let broken = |ty: &str| -> Option<String> {
        findings
            .iter()
            .find(|f| f.element == ty || f.element.starts_with(&format!("{ty}.")))
            .map(|_| ty.to_owned())
    };
    let mut out = BTreeSet::new();
    for file in &schema.files {
        for m in &file.messages {
            for f in &m.fields {
                if f.type_name.is_empty() {
                    continue;
                }
                if let Some(uses) = broken(&f.type_name) {
                    out.insert(Usage {
                        element: f.full_name.clone(),
                        kind: "field",
                        file: full.get(&file.path).cloned().unwrap_or(file.path.clone()),
                        uses,
                    });
                }
            }
        }
        for s in &file.services {
            for m in &s.methods {
                for ty in [&m.input, &m.output] {
                    if let Some(uses) = broken(ty) {
                        out.insert(Usage {
                            element: format!("{}.{}", s.full_name, m.name),
                            kind: "rpc",
                            file: full.get(&file.path).cloned().unwrap_or(file.path.clone()),
                            uses,
                        });
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// 1 when a service would break (unless `--fail-on never`), else 0.
pub fn exit_code(results: &[ServiceImpact], fail_on_breaking: bool) -> i32 {
    if fail_on_breaking && results.iter().any(|r| r.verdict == Verdict::Breaking) {
        1
    } else {
        0
    }
}
