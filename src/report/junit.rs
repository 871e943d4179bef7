//! JUnit XML (GitLab test reports, Jenkins, Azure DevOps, CircleCI…): one `<testsuite>` per file,
//! named by its path, with one failed `<testcase>` per finding (classname: the rule id, name:
//! `path:line:col`). Findings without a file go to a suite named `<input>`, the name text output
//! gives them. With no findings there is one suite `protosync` holding one passing test case, so
//! CI systems show a green test instead of an empty report.

use std::fmt::Write;

use crate::breaking::report::Report;
use crate::breaking::Finding;
use crate::model::Span;

/// The suite of findings that have no file, as text output names their place.
const NO_FILE: &str = "<input>";

/// Escapes text for an attribute value or character data. Characters XML 1.0 cannot carry (most
/// C0 controls) become U+FFFD; line breaks and tabs in attributes become character references
/// so that parsers do not normalise them to spaces.
pub(crate) fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn attr(s: &str) -> String {
    escape(s, true)
}

/// The test case's name: where the finding points, as text output writes it.
fn case_name(f: &Finding) -> String {
    match (&f.path, f.span) {
        (Some(path), None) => path.clone(),
        (Some(path), Some(s)) => format!("{path}:{}:{}", s.start_line, s.start_column),
        // Without a file, the element (the deleted file or package) tells cases apart.
        (None, _) => f.element.clone(),
    }
}

/// The text output's line for a finding.
fn text_line(f: &Finding) -> String {
    match (&f.path, f.span) {
        (Some(path), None) => format!("{path}: {} {}", f.rule, f.shown_message()),
        _ => {
            let s = f.span.unwrap_or(Span::UNKNOWN);
            let path = f.path.as_deref().unwrap_or(NO_FILE);
            format!(
                "{path}:{}:{}: {} {}",
                s.start_line,
                s.start_column,
                f.rule,
                f.shown_message()
            )
        }
    }
}

/// `strict`: without the `file` and `line` attributes (the strict Jenkins XSD has neither).
pub fn render(report: &Report, strict: bool) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let n = report.findings.len();
    if n == 0 {
        out.push_str(
            "<testsuites name=\"protosync\" tests=\"1\" failures=\"0\" errors=\"0\">\n  \
             <testsuite name=\"protosync\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n    \
             <testcase classname=\"protosync\" name=\"no breaking changes\"/>\n  \
             </testsuite>\n</testsuites>\n",
        );
        return out;
    }
    let _ = writeln!(
        out,
        "<testsuites name=\"protosync breaking\" tests=\"{n}\" failures=\"{n}\" errors=\"0\">"
    );
    out.push_str(&suites(report, strict));
    out.push_str("</testsuites>\n");
    out
}

/// One `<testsuite>` per file with a failing case per finding, in the order the files first
/// appear (findings come sorted, pathless first); empty without findings. `check --format
/// junit` puts these next to its own suite. Test cases carry `file` and `line` (the finding's
/// first line) unless `strict`.
pub(crate) fn suites(report: &Report, strict: bool) -> String {
    let mut out = String::new();
    let mut suites: Vec<(Option<&str>, Vec<&Finding>)> = Vec::new();
    for f in &report.findings {
        let key = f.path.as_deref();
        match suites.iter_mut().find(|(k, _)| *k == key) {
            Some((_, fs)) => fs.push(f),
            None => suites.push((key, vec![f])),
        }
    }
    for (path, findings) in &suites {
        let k = findings.len();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{k}\" failures=\"{k}\" errors=\"0\" skipped=\"0\">",
            attr(path.unwrap_or(NO_FILE))
        );
        for f in findings {
            // `file` and `line` (read by GitLab and action-junit-report) are outside the
            // strict Jenkins XSD; `--format junit-strict` leaves them out.
            let file = match (&f.path, f.span, strict) {
                (_, _, true) | (None, _, _) => String::new(),
                (Some(p), Some(s), false) => {
                    format!(" file=\"{}\" line=\"{}\"", attr(p), s.start_line)
                }
                (Some(p), None, false) => format!(" file=\"{}\"", attr(p)),
            };
            let categories = super::categories(f, report.version)
                .iter()
                .map(|c| c.id())
                .collect::<Vec<_>>()
                .join(", ");
            let body = format!(
                "{}\nelement: {}\ncategories: {categories}",
                text_line(f),
                f.element
            );
            let _ = write!(
                out,
                "    <testcase classname=\"{rule}\" name=\"{}\"{file}>\n      \
                 <failure message=\"{}\" type=\"{rule}\">{}</failure>\n    </testcase>\n",
                attr(&case_name(f)),
                attr(&f.shown_message()),
                escape(&body, false),
                rule = f.rule,
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            escape("a<b>&\"c\"'\n\t\u{1}", true),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;&#9;\u{FFFD}"
        );
        assert_eq!(escape("a<b\n\"c\"\r", false), "a&lt;b\n\"c\"&#13;");
    }
}
