//! GitHub-flavoured Markdown for pull-request comments and job summaries
//! (`$GITHUB_STEP_SUMMARY`): a heading, a one-line summary and a table of the findings in text
//! output's order (location, rule, message). Past the first 50 findings the rest of the table is
//! folded into a `<details>` block.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::plural;
use crate::breaking::report::Report;
use crate::breaking::Finding;

/// Rows shown before the rest is folded.
pub const FOLD_AFTER: usize = 50;

const HEADING: &str = "### protosync: breaking changes\n\n";
const TABLE_HEAD: &str = "| Location | Rule | Message |\n| --- | --- | --- |\n";

/// Escapes text for a table cell: `|` (which would end the cell), Markdown punctuation that
/// could start emphasis, code, links or strike-through, HTML (as entities), and line breaks.
/// Underscores inside a word (`json_name`) cannot start emphasis and stay as they are. Other
/// control characters become U+FFFD.
pub(crate) fn cell(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '|' | '`' | '*' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '_' => {
                let word = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                if !(word(i.checked_sub(1)) && word(Some(i + 1))) {
                    out.push('\\');
                }
                out.push('_');
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell (`|` still needs its backslash inside one); plain escaped text
/// when the value itself holds a backtick.
pub(crate) fn code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        cell(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

/// Where a finding points, as text output writes it (`<input>` for findings without a file).
fn location(f: &Finding) -> String {
    match (&f.path, f.span) {
        (Some(path), None) => path.clone(),
        (Some(path), Some(s)) => format!("{path}:{}:{}", s.start_line, s.start_column),
        (None, _) => "<input>".to_owned(),
    }
}

/// `Checked against 5 releases: v1.0.0 to v1.4.0.` when several were checked.
fn releases_line(report: &Report) -> String {
    if report.releases.is_empty() {
        return String::new();
    }
    let all: Vec<crate::breaking::Release> = report
        .releases
        .iter()
        .enumerate()
        .map(|(index, name)| crate::breaking::Release {
            name: name.clone(),
            index,
        })
        .collect();
    format!(
        "Checked against {}: {}.\n",
        plural(all.len(), "release", "releases"),
        crate::breaking::releases_text(&all)
    )
}

fn summary(report: &Report) -> String {
    let s = summary_line(report);
    format!("{s}{}", releases_line(report))
}

fn summary_line(report: &Report) -> String {
    let n = report.findings.len();
    let allowed = match report.allowed {
        0 => String::new(),
        k => format!(" ({k} more allowed by `[[breaking.allow]]`)"),
    };
    if n == 0 {
        return format!(
            "No breaking changes: {} checked against {}{allowed}.\n",
            plural(report.files, "file", "files"),
            report.against_files
        );
    }
    let files: BTreeSet<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.path.as_deref())
        .collect();
    let pathless = report.findings.iter().filter(|f| f.path.is_none()).count();
    let mut s = format!("**{}**", plural(n, "breaking change", "breaking changes"));
    match (files.len(), pathless) {
        (m, 0) => s.push_str(&format!(" in {}", plural(m, "file", "files"))),
        (0, _) => s.push_str(" about deleted files or packages"),
        (m, p) => s.push_str(&format!(
            " in {}, and {p} about deleted files or packages",
            plural(m, "file", "files")
        )),
    }
    s.push_str(&allowed);
    s.push_str(".\n");
    s
}

fn row(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "| {} | {} | {} |",
        code(&location(f)),
        code(f.rule.as_str()),
        cell(&f.shown_message())
    );
}

pub fn render(report: &Report) -> String {
    let mut out = String::from(HEADING);
    out.push_str(&summary(report));
    if report.findings.is_empty() {
        return out;
    }
    let (shown, folded) = report
        .findings
        .split_at(report.findings.len().min(FOLD_AFTER));
    out.push('\n');
    out.push_str(TABLE_HEAD);
    for f in shown {
        row(&mut out, f);
    }
    if !folded.is_empty() {
        let _ = write!(
            out,
            "\n<details>\n<summary>{}</summary>\n\n{TABLE_HEAD}",
            plural(
                folded.len(),
                "more breaking change",
                "more breaking changes"
            )
        );
        for f in folded {
            row(&mut out, f);
        }
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_escape_pipes_markup_and_html() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(
            cell("map<string, int32> & *x* `y` [z]"),
            "map&lt;string, int32&gt; &amp; \\*x\\* \\`y\\` \\[z\\]"
        );
        assert_eq!(
            cell("json_name _lead trail_ __x__"),
            "json_name \\_lead trail\\_ \\_\\_x\\_\\_"
        );
        assert_eq!(cell("a\r\nb"), "a<br>b");
    }
}
