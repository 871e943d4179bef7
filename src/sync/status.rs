//! `protosync status`: per mapping and per file, how the vendored copy stands.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::judge::judge;
use super::plan::{self, Action, FileState, FileView};
use super::roots::Hint;
use super::workspace::{behind_commits, upstream, ContractInfo, Workspace};
use crate::breaking::report::Report as BreakingReport;
use crate::input::LoadOptions;

/// One file in `status` and `check`.
#[derive(Debug, Clone, Serialize)]
pub struct FileStatus {
    pub path: String,
    pub from: Option<String>,
    pub state: FileState,
    /// For `behind`: what changed upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
}

/// One mapping in `status`.
#[derive(Debug, Clone, Serialize)]
pub struct MappingStatus {
    pub from: String,
    pub to: String,
    /// `in_sync`, `behind`, `edited` or `diverged`.
    pub state: FileState,
    pub files: Vec<FileStatus>,
}

/// What `status` found.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub contract: ContractInfo,
    pub mappings: Vec<MappingStatus>,
    /// Files in the lock under no mapping any more.
    pub unmapped: Vec<FileStatus>,
    pub has_lock: bool,
    /// Breaking changes the update would bring to this copy.
    #[serde(skip)]
    pub breaking: BreakingReport,
}

pub(super) fn file_status(v: &FileView, contract_known: bool) -> FileStatus {
    let state = v.state(contract_known);
    FileStatus {
        path: v.path.clone(),
        from: v.from.clone(),
        state,
        detail: (state == FileState::Behind || state == FileState::Diverged).then(|| v.upstream()),
    }
}

fn mapping_state(files: &[FileStatus]) -> FileState {
    let local = files.iter().any(|f| f.state.is_drift());
    let behind = files
        .iter()
        .any(|f| matches!(f.state, FileState::Behind | FileState::Diverged));
    match (local, behind) {
        (true, true) => FileState::Diverged,
        (true, false) => FileState::Edited,
        (false, true) => FileState::Behind,
        (false, false) => FileState::InSync,
    }
}

pub fn status(config_path: &Path, opts: &LoadOptions) -> Result<StatusReport> {
    let ws = Workspace::load(config_path)?;
    let ref_ = ws.cfg.contract.ref_.clone();
    let up = upstream(&ws, &ref_, opts, Hint::Config)?;
    let disk = plan::scan(&ws.cfg, ws.lock.as_ref())?;
    let views = plan::views(&up.cfg, ws.lock.as_ref(), disk, Some(&up.targets));
    let changes = views
        .iter()
        .any(|v| !matches!(v.action().0, Action::Unchanged | Action::Leave));
    let breaking = if changes {
        judge(&ws, &up, &views, opts)?.0
    } else {
        BreakingReport::empty(ws.layout.version)
    };
    let mut mappings: Vec<MappingStatus> = ws
        .cfg
        .vendors
        .iter()
        .map(|v| MappingStatus {
            from: v.from.clone(),
            to: v.to.clone(),
            state: FileState::InSync,
            files: Vec::new(),
        })
        .collect();
    let mut unmapped = Vec::new();
    for v in &views {
        let fs = file_status(v, true);
        match v.mapping {
            Some(m) => mappings[m].files.push(fs),
            None => unmapped.push(fs),
        }
    }
    for m in &mut mappings {
        m.state = mapping_state(&m.files);
    }
    Ok(StatusReport {
        contract: ContractInfo {
            repo: ws.cfg.contract.repo.clone(),
            ref_,
            locked_commit: ws.lock.as_ref().map(|l| l.contract.commit.clone()),
            commit: Some(up.contract.commit.to_string()),
            behind_commits: behind_commits(&ws, &up),
        },
        mappings,
        unmapped,
        has_lock: ws.lock.is_some(),
        breaking,
    })
}
