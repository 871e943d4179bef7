//! `path:line:col: RULE_ID message`, one finding per line.

use crate::model::Span;
use crate::pipeline::BreakingReport;

pub fn render(report: &BreakingReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let s = f.span.unwrap_or(Span::UNKNOWN);
        let path = f.path.as_deref().unwrap_or("<input>");
        out.push_str(&format!(
            "{path}:{}:{}: {} {}\n",
            s.start_line, s.start_column, f.rule, f.message
        ));
    }
    out
}
