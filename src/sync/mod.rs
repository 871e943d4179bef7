//! Contract sync in a service repository: the vendored copy of the contract and its lock.
//!
//! Owns:
//! * [`config`]: the `[contract]` and `[[vendor]]` sections of `protosync.toml` (typed,
//!   validated, errors with file, line, column and key) and finding that file by walking up
//!   from a directory;
//! * [`contract`]: the contract repository at a ref (a local repository read from objects, or
//!   a remote one through the fetch cache), its .proto files under the root, commit distance;
//! * [`plan`]: which contract files each mapping selects and where they go, what is on disk,
//!   the state of each file and what a sync does with it;
//! * [`roots`]: the contract root when `contract.root` is not set, from where the mappings
//!   are and the contract's buf configuration at the commit read;
//! * [`lock`]: the `protosync.lock` format (read with located errors, written
//!   deterministically) and the file hash it records;
//! * [`fsafe`]: everything that touches the service repository's files: joining configured or
//!   contract-provided paths onto the repo root without escaping it, atomic writes, and
//!   applying a set of file changes followed by the lock;
//! * [`workspace`]: the repository's configuration (parsed once) and lock, the contract at the
//!   followed ref, the per-repository sync lock;
//! * [`run`] (`sync`: plan, decide, apply), [`init`], [`status`], [`check`]: the commands,
//!   returning reports; [`judge`]: the breaking verdict of an update;
//! * [`publish`]: committing, pushing and proposing a sync.
//!
//! It does not compare schemas itself (`pipeline::compare_targets` does) or print anything
//! (`report::sync` does). docs/SYNC.md describes the behaviour.

pub mod check;
pub mod config;
pub mod contract;
pub mod fsafe;
pub mod init;
pub mod judge;
pub mod lock;
pub mod plan;
pub mod publish;
pub mod roots;
pub mod run;
pub mod status;
pub mod workspace;

/// Turns a TOML deserialisation error into `FILE:LINE:COL: KEY: MESSAGE` (one line), naming
/// the dotted key the error points at when it can be read from the text (`vendor[2].to`).
pub(crate) fn toml_error(name: &str, text: &str, err: &toml::de::Error) -> anyhow::Error {
    let message = err.message().trim_end();
    match err.span() {
        Some(span) => {
            let (line, col) = crate::compile::diagnostic::line_col(text, span.start);
            match key_at(text, span.start) {
                Some(key) => anyhow::anyhow!("{name}:{line}:{col}: {key}: {message}"),
                None => anyhow::anyhow!("{name}:{line}:{col}: {message}"),
            }
        }
        None => anyhow::anyhow!("{name}: {message}"),
    }
}

/// `name:line:col` of byte offsets of one text: each lookup is a binary search, so reading a
/// file with thousands of entries stays linear.
pub(crate) struct Places<'a> {
    name: &'a str,
    index: crate::compile::diagnostic::LineIndex<'a>,
}

impl<'a> Places<'a> {
    pub(crate) fn new(name: &'a str, text: &'a str) -> Places<'a> {
        Places {
            name,
            index: crate::compile::diagnostic::LineIndex::new(text),
        }
    }

    pub(crate) fn at(&self, offset: usize) -> String {
        let (line, col) = self.index.line_col(offset);
        format!("{}:{line}:{col}", self.name)
    }
}

/// The dotted key written on the line of `offset`: the table header in force (with a 1-based
/// index for arrays of tables) and the key before `=` on that line. A best-effort reading of
/// the text for error messages; `None` when the line has neither.
pub(crate) fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[line_start..]
        .find('\n')
        .map(|i| line_start + i)
        .unwrap_or(text.len());
    let line = text[line_start..line_end].trim();
    let header_of = |l: &str| -> Option<(String, bool)> {
        let l = l.split('#').next().unwrap_or("").trim();
        if let Some(inner) = l.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            Some((inner.trim().to_owned(), true))
        } else {
            l.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .map(|inner| (inner.trim().to_owned(), false))
        }
    };
    // The header in force at the line (the line itself when it is a header).
    let mut header: Option<(String, bool)> = None;
    let mut index = 0usize;
    for l in text[..line_end].lines() {
        if let Some((name, is_array)) = header_of(l) {
            if is_array && header.as_ref().map(|(n, _)| n) != Some(&name) {
                index = 0;
            }
            if is_array {
                index += 1;
            }
            header = Some((name, is_array));
        }
    }
    let table = header.map(|(name, is_array)| {
        if is_array {
            format!("{name}[{index}]")
        } else {
            name
        }
    });
    if header_of(line).is_some() {
        return table;
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.starts_with('#'))
        .map(|k| k.replace(['"', '\''], ""));
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (None, Some(k)) => Some(k),
        (Some(t), None) => Some(t),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::key_at;

    #[test]
    fn key_at_names_table_index_and_key() {
        let text = "[contract]\nrepo = 1\n\n[[vendor]]\nfrom = \"a\"\n[[vendor]]\nto = 2\n";
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(key_at(text, at("1")).as_deref(), Some("contract.repo"));
        assert_eq!(key_at(text, at("\"a\"")).as_deref(), Some("vendor[1].from"));
        assert_eq!(key_at(text, at("2")).as_deref(), Some("vendor[2].to"));
        assert_eq!(
            key_at(text, at("[[vendor]]\nto")).as_deref(),
            Some("vendor[2]")
        );
        assert_eq!(key_at("x = 1", 4).as_deref(), Some("x"));
    }
}
