//! `path:line:col: RULE_ID message`, one finding per line (`path: RULE_ID message` in a file
//! without positions, `<input>:1:1: …` for findings without a file).

use crate::breaking::report::Report;
use crate::model::Span;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        match (&f.path, f.span) {
            // A file without positions (an image without source info).
            (Some(path), None) => {
                out.push_str(&format!("{path}: {} {}\n", f.rule, f.shown_message()))
            }
            _ => {
                let s = f.span.unwrap_or(Span::UNKNOWN);
                let path = f.path.as_deref().unwrap_or("<input>");
                out.push_str(&format!(
                    "{path}:{}:{}: {} {}\n",
                    s.start_line,
                    s.start_column,
                    f.rule,
                    f.shown_message()
                ));
            }
        }
    }
    out
}
