//! `protosync hook install|uninstall`: a git pre-commit hook for teams without the pre-commit
//! framework (for those, `.pre-commit-hooks.yaml` at the repository root; see
//! docs/PRECOMMIT.md).
//!
//! The hook is a small POSIX shell script that runs `protosync check --staged --against
//! .git#ref=HEAD` (with `--config` when `protosync.toml` is not at the top of the working tree)
//! and exits with its code. It goes where git looks for hooks: `core.hooksPath` when set, else
//! the `hooks` directory of the repository (shared by its worktrees). A marker line tells
//! protosync's hook from anyone else's: a foreign hook is only replaced with `--force`, and is
//! then kept as `pre-commit.protosync-backup`, which `uninstall` puts back. Both commands are
//! idempotent.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use git2::Repository;

/// The line that marks a hook as protosync's.
pub const MARKER: &str = "# protosync-hook: installed by `protosync hook install`";
/// Name of the hook file.
pub const HOOK_NAME: &str = "pre-commit";
/// Where a foreign hook replaced with `--force` is kept (next to the hook).
pub const BACKUP_NAME: &str = "pre-commit.protosync-backup";

/// The directory git runs hooks from: `core.hooksPath` (relative to the top of the working
/// tree), else `hooks` in the repository's (common) git directory.
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    })
}

/// Quotes `s` for a POSIX shell.
fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@+%".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The arguments the hook passes to protosync for the configuration at `config` (a path
/// relative to the top of the working tree, `/`-separated).
pub fn check_args(config: &str) -> Vec<String> {
    let mut args = vec!["check".to_owned(), "--staged".to_owned()];
    let dir = match config.rsplit_once('/') {
        Some((dir, _)) => dir,
        None => "",
    };
    if config != crate::sync::config::CONFIG_FILE {
        args.push("--config".into());
        args.push(config.to_owned());
    }
    args.push("--against".into());
    args.push(if dir.is_empty() {
        ".git#ref=HEAD".to_owned()
    } else {
        format!(".git#ref=HEAD,subdir={dir}")
    });
    args
}

/// The hook script. `fallback`: the protosync that installed it, run when none is on `PATH`.
pub fn script(args: &[String], fallback: Option<&Path>) -> String {
    let command = args
        .iter()
        .map(|a| sh_quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let fallback = fallback
        .map(|p| sh_quote(&p.display().to_string()))
        .unwrap_or_else(|| "''".into());
    format!(
        r#"#!/bin/sh
{MARKER}; `protosync hook uninstall` removes it.
# Checks what is being committed (the index, not the working tree): the vendored copy
# against protosync.lock, and breaking changes of this repository's protos against HEAD.
# Skip it once with `git commit --no-verify`. PROTOSYNC=/path/to/protosync picks the binary.
protosync="${{PROTOSYNC:-protosync}}"
if ! command -v "$protosync" >/dev/null 2>&1; then
    protosync={fallback}
    if [ ! -x "$protosync" ]; then
        echo "protosync pre-commit hook: protosync is not on PATH; install it, or remove this hook with \`protosync hook uninstall\`" >&2
        exit 2
    fi
fi
exec "$protosync" {command}
"#
    )
}

fn is_ours(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(MARKER))
}

/// Writes `text` to `path` atomically, executable.
fn write_hook(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_file_name(format!("{HOOK_NAME}.protosync-tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// How to name `path` in messages: relative to the current directory when under it.
fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    cwd.as_deref()
        .and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The configuration the hook will check (`config`, else the one found from the working
/// directory), which must parse, as a path in the repository's working tree.
fn config_in_tree(repo: &Repository, config: Option<&Path>) -> Result<String> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| {
            anyhow!(
                "{} is a bare repository: it has no commits to check",
                repo.path().display()
            )
        })?
        .canonicalize()?;
    let config = crate::sync::workspace::config_path(config)?;
    let config = config
        .canonicalize()
        .map_err(|e| anyhow!("cannot open {}: {e}", config.display()))?;
    // The configuration must parse: a hook that fails on every commit helps nobody.
    crate::sync::workspace::Workspace::load(&config)?;
    Ok(config
        .strip_prefix(&workdir)
        .map_err(|_| {
            anyhow!(
                "{} is outside the working tree {}",
                config.display(),
                workdir.display()
            )
        })?
        .to_string_lossy()
        .replace('\\', "/"))
}

/// Installs (or updates) protosync's pre-commit hook; returns what was done, for the user.
pub fn install(repo: &Repository, config: Option<&Path>, force: bool) -> Result<String> {
    let rel = config_in_tree(repo, config)?;
    let args = check_args(&rel);
    let exe = std::env::current_exe().ok();
    let text = script(&args, exe.as_deref());
    let dir = hooks_dir(repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let hook = dir.join(HOOK_NAME);
    let runs = format!("runs `protosync {}`", args.join(" "));
    let mut backed_up = None;
    if hook.exists() || hook.is_symlink() {
        if is_ours(&hook) {
            if std::fs::read_to_string(&hook).is_ok_and(|t| t == text) {
                return Ok(format!(
                    "the protosync pre-commit hook is already installed in {} ({runs})",
                    shown(&hook)
                ));
            }
        } else {
            let backup = dir.join(BACKUP_NAME);
            if !force {
                bail!(
                    "{} exists and is not protosync's; rerun with --force to replace it (it is kept as {} and `protosync hook uninstall` puts it back)",
                    shown(&hook),
                    BACKUP_NAME
                );
            }
            if backup.exists() || backup.is_symlink() {
                bail!(
                    "{} exists and is not protosync's, and {} already holds an earlier hook; move one of them away first",
                    shown(&hook),
                    shown(&backup)
                );
            }
            std::fs::rename(&hook, &backup)
                .with_context(|| format!("cannot move {} aside", hook.display()))?;
            backed_up = Some(backup);
        }
    }
    let updated = hook.exists();
    write_hook(&hook, &text)?;
    Ok(match backed_up {
        Some(b) => format!(
            "replaced the pre-commit hook in {} with protosync's ({runs}); the previous one is kept as {}",
            shown(&hook),
            shown(&b)
        ),
        None if updated => format!(
            "updated the protosync pre-commit hook in {} ({runs})",
            shown(&hook)
        ),
        None => format!(
            "installed the protosync pre-commit hook in {} ({runs})",
            shown(&hook)
        ),
    })
}

/// Removes protosync's pre-commit hook (restoring the one it replaced); returns what was done.
pub fn uninstall(repo: &Repository) -> Result<String> {
    let dir = hooks_dir(repo)?;
    let hook = dir.join(HOOK_NAME);
    let backup = dir.join(BACKUP_NAME);
    let present = hook.exists() || hook.is_symlink();
    if present && !is_ours(&hook) {
        return Ok(format!(
            "the pre-commit hook in {} is not protosync's; left it alone",
            shown(&hook)
        ));
    }
    if present {
        std::fs::remove_file(&hook).with_context(|| format!("cannot remove {}", hook.display()))?;
    }
    let restored = if backup.exists() || backup.is_symlink() {
        std::fs::rename(&backup, &hook)
            .with_context(|| format!("cannot restore {}", backup.display()))?;
        true
    } else {
        false
    };
    Ok(match (present, restored) {
        (true, true) => format!(
            "removed the protosync pre-commit hook and put back the previous one ({} → {})",
            BACKUP_NAME,
            shown(&hook)
        ),
        (true, false) => format!("removed the protosync pre-commit hook {}", shown(&hook)),
        (false, true) => format!(
            "no protosync pre-commit hook was installed; put back the previous one ({} → {})",
            BACKUP_NAME,
            shown(&hook)
        ),
        (false, false) => format!(
            "no protosync pre-commit hook in {}; nothing to remove",
            shown(&dir)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_names_the_config_when_it_is_not_at_the_top() {
        assert_eq!(
            check_args("protosync.toml"),
            ["check", "--staged", "--against", ".git#ref=HEAD"]
        );
        assert_eq!(
            check_args("services/billing/protosync.toml"),
            [
                "check",
                "--staged",
                "--config",
                "services/billing/protosync.toml",
                "--against",
                ".git#ref=HEAD,subdir=services/billing"
            ]
        );
    }

    #[test]
    fn paths_are_quoted_for_the_shell() {
        assert_eq!(sh_quote(".git#ref=HEAD"), "'.git#ref=HEAD'");
        assert_eq!(sh_quote("/usr/bin/protosync"), "/usr/bin/protosync");
        assert_eq!(sh_quote("/tmp/it's here"), "'/tmp/it'\\''s here'");
        let s = script(&check_args("protosync.toml"), None);
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(MARKER));
        assert!(s.contains("exec \"$protosync\" check --staged --against '.git#ref=HEAD'\n"));
    }
}
