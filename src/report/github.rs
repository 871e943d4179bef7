//! GitHub Actions workflow commands: one `::error` annotation per finding.

use crate::breaking::report::Report;

/// Escapes a message for a workflow command.
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
                f.rule,
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
                    f.rule,
                    data(&f.shown_message())
                ));
            }
            (None, _) => out.push_str(&format!(
                "::error title={}::{}\n",
                f.rule,
                data(&f.shown_message())
            )),
        }
    }
    out
}
