//! `protosync init`: write `protosync.toml` and do a first sync that adopts an existing copy.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};

use super::config::{self, CONFIG_FILE};
use super::contract::Contract;
use super::roots::{self, Hint};
use super::run::{run_sync, SyncOptions, SyncReport};
use super::workspace::{lock_repo, Workspace};
use crate::input::LoadOptions;

/// Options of `init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The directory to write `protosync.toml` in (the service repository root).
    pub dir: PathBuf,
    pub contract: String,
    pub ref_: Option<String>,
    pub root: Option<String>,
    /// `(from, to)` pairs.
    pub mappings: Vec<(String, String)>,
    pub dry_run: bool,
    pub load: LoadOptions,
}

/// The `protosync.toml` text `init` writes.
pub fn init_config_text(opts: &InitOptions) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let mut out = String::from(
        "# protosync.toml: which contract this service vendors, and where to.\n\
         # See `protosync sync --help` and docs/CONFIG.md.\n\n[contract]\n",
    );
    out.push_str(&format!("repo = {}\n", q(&opts.contract)));
    out.push_str(&format!(
        "ref = {}\n",
        q(opts.ref_.as_deref().unwrap_or(config::DEFAULT_REF))
    ));
    if let Some(root) = &opts.root {
        out.push_str(&format!("root = {}\n", q(root)));
    }
    for (from, to) in &opts.mappings {
        out.push_str(&format!(
            "\n[[vendor]]\nfrom = {}\nto = {}\n",
            q(from),
            q(to)
        ));
    }
    out
}

/// Without `--root`: the module directory of the contract's buf configuration that holds the
/// `--from` paths, when they are not at the repository root ([`roots::decide`]). It is written
/// to `protosync.toml` as `contract.root`, so later syncs read the same directory whatever the
/// contract's buf configuration becomes. `None`: the repository root, written as before
/// (nothing).
fn decided_root(cfg: &config::SyncConfig, opts: &InitOptions) -> Result<Option<String>> {
    if cfg.contract.root_set {
        return Ok(None);
    }
    let contract = Contract::open(cfg, &cfg.contract.ref_, &opts.load)?;
    let at = format!(
        "contract {}@{} ({})",
        contract.display,
        cfg.contract.ref_,
        crate::input::short(&contract.commit)
    );
    let (root, _) = roots::rooted(
        &contract,
        cfg,
        contract.commit,
        Hint::Flag,
        &at,
        &opts.load.blobs,
    )?;
    Ok((!root.is_empty()).then_some(root))
}

/// `protosync init`: writes `protosync.toml` and does a first sync that adopts an existing
/// copy (files that differ from the contract are kept and recorded against the contract, so
/// `status` shows them as edited). The files and the lock are written first, the
/// configuration last; on any error nothing is written.
pub fn init(opts: &InitOptions) -> Result<SyncReport> {
    let path = opts.dir.join(CONFIG_FILE);
    if path.exists() {
        bail!(
            "{} already exists; edit it, or run `protosync sync`",
            path.display()
        );
    }
    if opts.mappings.is_empty() {
        bail!("init needs at least one --from/--to pair");
    }
    if config::is_url(&opts.contract) && crate::forge::has_credentials(&opts.contract) {
        bail!(
            "--contract {}: the URL carries credentials, and protosync.toml is committed; pass the \
             URL without them and put the token in the environment (PROTOSYNC_GIT_TOKEN)",
            crate::forge::display_url(&opts.contract)
        );
    }
    let text = init_config_text(opts);
    let cfg = config::parse(&path, &text)
        .map_err(|e| anyhow!("the options do not make a valid {CONFIG_FILE}: {e:#}"))?;
    let text = match decided_root(&cfg, opts)? {
        Some(root) => init_config_text(&InitOptions {
            root: Some(root),
            ..opts.clone()
        }),
        None => text,
    };
    let _guard = if opts.dry_run {
        None
    } else {
        Some(lock_repo(&opts.dir)?)
    };
    let ws = Workspace::from_text(&path, &text)?;
    let sync_opts = SyncOptions {
        ref_: None,
        dry_run: opts.dry_run,
        allow_breaking: true,
        force: false,
        load: opts.load.clone(),
    };
    run_sync(&ws, &sync_opts, true, Some((&path, &text)))
}
