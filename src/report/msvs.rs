//! buf's `msvs` error format (Visual Studio's): `path(line,col) : error RULE : message`, one
//! finding per line; `<input>(1,1)` for a finding without a file, as buf prints it.

use crate::breaking::report::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let path = f.path.as_deref().unwrap_or("<input>");
        let (line, col) = f
            .span
            .map(|s| (s.start_line, s.start_column))
            .unwrap_or((1, 1));
        out.push_str(&format!(
            "{path}({line},{col}) : error {} : {}\n",
            f.rule, f.message
        ));
    }
    out
}
