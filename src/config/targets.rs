//! buf's target flags for `breaking`: `--path`, `--exclude-path` and `--limit-to-input-files`.
//! They limit which files' findings are reported, as buf does: every file is still compiled
//! (the others serve imports), and a finding counts as in a file when the file it points into
//! is (for an element that no longer has a file, the previous file it came from). Paths are
//! matched against the paths findings are printed with (as reached from the working
//! directory: `proto/acme/v1/x.proto`), a directory matching everything under it.

use anyhow::{bail, Result};

use crate::breaking::Finding;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// `--path`: only files under one of these (all files when empty).
    pub paths: Vec<String>,
    /// `--exclude-path`: never files under one of these.
    pub exclude_paths: Vec<String>,
    /// `--limit-to-input-files`: the previous side holds only the input's files, so elements of
    /// files the input no longer has (deleted files) are not reported.
    pub limit_to_input_files: bool,
    /// `--exclude-imports`: no findings in files compiled only because the input's files import
    /// them (what a `.proto` file input pulls in from its module). Not a filter of
    /// [`Targets::apply`]: the pipeline knows which files those are.
    pub exclude_imports: bool,
}

/// `./proto/a/` → `proto/a`.
fn clean(p: &str) -> String {
    let mut p = p.replace('\\', "/");
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_owned();
    }
    let p = p.trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_owned()
    }
}

fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.exclude_paths.is_empty() && !self.limit_to_input_files
    }

    /// Whether a file (as findings print it) is targeted.
    pub fn selects(&self, path: &str) -> bool {
        let path = clean(path);
        (self.paths.is_empty() || self.paths.iter().any(|d| under(&path, &clean(d))))
            && !self.exclude_paths.iter().any(|d| under(&path, &clean(d)))
    }

    /// Keeps the findings in targeted files. `input_files`: the input's files as findings print
    /// them; when `--path`/`--exclude-path` select none of them it is an error, as in buf (a
    /// mistyped `--path` must not pass a check silently).
    pub fn apply(&self, findings: &mut Vec<Finding>, input_files: &[String]) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        if (!self.paths.is_empty() || !self.exclude_paths.is_empty())
            && !input_files.is_empty()
            && !input_files.iter().any(|f| self.selects(f))
        {
            let mut flags: Vec<String> = self.paths.iter().map(|p| format!("--path {p}")).collect();
            flags.extend(
                self.exclude_paths
                    .iter()
                    .map(|p| format!("--exclude-path {p}")),
            );
            bail!(
                "no .proto file of the input is targeted by {} (paths are relative to the working \
                 directory, as findings print them, e.g. {})",
                flags.join(" "),
                input_files[0]
            );
        }
        findings.retain(|f| {
            let Some(path) = f.path.as_deref().or(f.against_path.as_deref()) else {
                // A finding without any file (a deleted package) is kept unless the run is
                // limited to some paths.
                return self.paths.is_empty();
            };
            if self.limit_to_input_files && !input_files.iter().any(|i| clean(i) == clean(path)) {
                return false;
            }
            self.selects(path)
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(paths: &[&str], excludes: &[&str]) -> Targets {
        Targets {
            paths: paths.iter().map(|s| s.to_string()).collect(),
            exclude_paths: excludes.iter().map(|s| s.to_string()).collect(),
            limit_to_input_files: false,
            exclude_imports: false,
        }
    }

    #[test]
    fn directories_match_what_is_under_them_on_component_boundaries() {
        let only_a = t(&["./proto/a/"], &[]);
        assert!(only_a.selects("proto/a/v1/a.proto"));
        assert!(!only_a.selects("proto/ab/v1/a.proto"));
        assert!(only_a.selects("proto/a"));
        let not_b = t(&["proto"], &["proto/b/v1/b.proto"]);
        assert!(not_b.selects("proto/a/v1/a.proto"));
        assert!(!not_b.selects("proto/b/v1/b.proto"));
        assert!(t(&[], &[]).selects("x.proto"));
    }

    #[test]
    fn a_path_that_selects_no_input_file_is_an_error() {
        let mut none = Vec::new();
        let err = t(&["a"], &[])
            .apply(&mut none, &["proto/a/v1/a.proto".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--path a"), "{err}");
        assert!(err.contains("proto/a/v1/a.proto"), "{err}");
    }
}
