//! GitHub Actions workflow commands: one `::error` annotation per finding, in the report's
//! order (a step shows its first 10 error annotations, a job 50), and the job summary
//! (`$GITHUB_STEP_SUMMARY`) that carries the complete report.

use crate::breaking::report::Report;

/// Escapes a message for a workflow command (GitHub's escaping of command data).
pub(crate) fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`).
pub(crate) fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        match (&f.path, f.span) {
            (Some(path), None) => out.push_str(&format!(
                "::error file={},title={}::{}\n",
                prop(path),
                prop(f.rule.as_str()),
                data(&f.shown_message())
            )),
            (Some(path), Some(s)) => {
                out.push_str(&format!(
                    "::error file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                    prop(path),
                    s.start_line,
                    s.start_column,
                    s.end_line,
                    s.end_column,
                    prop(f.rule.as_str()),
                    data(&f.shown_message())
                ));
            }
            (None, _) => out.push_str(&format!(
                "::error title={}::{}\n",
                prop(f.rule.as_str()),
                data(&f.shown_message())
            )),
        }
    }
    out
}

/// Appends `markdown` (the complete report) to the job summary when `$GITHUB_STEP_SUMMARY`
/// names one; a file that cannot be written is a warning on stderr, never a failed verdict.
pub fn append_step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{markdown}\n").as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "warning: cannot append the report to GITHUB_STEP_SUMMARY ({}): {e}",
            std::path::Path::new(&path).display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{data, prop};

    #[test]
    fn escapes_data_and_properties_as_github_does() {
        assert_eq!(data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(prop("50% a\r\nb: c, d"), "50%25 a%0D%0Ab%3A c%2C d");
    }
}
