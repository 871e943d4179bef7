//! Printers for `fleet`: an aligned table (text), one JSON document, or one self-contained
//! HTML page (inline CSS, JS and SVG; no external asset, so it works offline and as a CI
//! artifact).

use super::plural;
use crate::fleet::status::{age_label, Fleet, PullRequestState, Row, Status};

fn short(commit: &Option<String>) -> String {
    commit.as_deref().map_or("-", super::short).to_owned()
}

/// What a sync now would do, in a few words.
fn sync_now(r: &Row) -> String {
    match (r.changes, r.breaking) {
        (Some(0), Some(0)) if r.pinned.is_some() && r.pinned == r.head => "up to date".to_owned(),
        (Some(0), Some(0)) => "lock only".to_owned(),
        (Some(c), Some(b)) => {
            let mut parts = vec![plural(c, "file", "files")];
            if b > 0 {
                parts.push(format!("{b} breaking"));
            }
            match r.conflicts.unwrap_or(0) {
                0 => {}
                k => parts.push(format!("{} in the way", plural(k, "edit", "edits"))),
            }
            parts.join(", ")
        }
        _ => "-".to_owned(),
    }
}

fn pinned_text(r: &Row) -> String {
    match (&r.pinned, r.error.is_some() && r.contract.is_none()) {
        (_, true) => "-".to_owned(),
        (None, false) => "none".to_owned(),
        (p, false) => short(p),
    }
}

fn age_text(r: &Row) -> String {
    match r.pinned_age_seconds {
        Some(s) => age_label(s),
        None if r.pinned.is_some() => "?".to_owned(),
        None => "-".to_owned(),
    }
}

fn behind_text(r: &Row) -> String {
    match r.behind {
        Some(n) => n.to_string(),
        None if r.head.is_some() && r.pinned.is_some() => "?".to_owned(),
        None => "-".to_owned(),
    }
}

fn edited_text(r: &Row) -> String {
    if r.contract.is_none() {
        "-".to_owned()
    } else {
        r.edited.len().to_string()
    }
}

fn pr_text(r: &Row) -> String {
    match &r.pull_request {
        PullRequestState::Open { number, url, .. } => format!("#{number} {url}"),
        other => other.label(),
    }
}

fn style(status: Status) -> anstyle::Style {
    use anstyle::AnsiColor;
    match status.colour() {
        "green" => AnsiColor::Green.on_default(),
        "yellow" => AnsiColor::Yellow.on_default(),
        "red" => AnsiColor::Red.on_default(),
        _ => AnsiColor::BrightBlack.on_default(),
    }
}

/// The table, the details (breaking findings, edited files, errors, why pull requests are
/// unknown) and the totals.
pub fn text(fleet: &Fleet, colour: bool) -> String {
    let mut out = table(fleet, colour);
    out.push_str(&details(fleet));
    out.push_str(&unknown_pull_requests(fleet));
    out.push('\n');
    out.push_str(&summary_line(fleet));
    out.push('\n');
    out
}

/// One row per service under the column heads, the status coloured when `colour`.
fn table(fleet: &Fleet, colour: bool) -> String {
    let head = [
        "SERVICE",
        "STATUS",
        "PINNED",
        "AGE",
        "BEHIND",
        "EDITED",
        "SYNC NOW",
        "PULL REQUEST",
    ];
    let rows: Vec<[String; 8]> = fleet
        .services
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                r.status.label().to_owned(),
                pinned_text(r),
                age_text(r),
                behind_text(r),
                edited_text(r),
                sync_now(r),
                pr_text(r),
            ]
        })
        .collect();
    let mut width = head.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let right = [false, false, false, true, true, true, false, false];
    let line = |cells: &[String], status: Option<Status>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let last = i + 1 == cells.len();
            let pad = width[i].saturating_sub(cell.chars().count());
            let mut shown = cell.clone();
            if let (1, Some(s), true) = (i, status, colour) {
                let style = style(s);
                shown = format!("{style}{cell}{style:#}");
            }
            if right[i] {
                out.push_str(&" ".repeat(pad));
                out.push_str(&shown);
            } else {
                out.push_str(&shown);
                if !last {
                    out.push_str(&" ".repeat(pad));
                }
            }
            if !last {
                out.push_str("  ");
            }
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(&head.map(str::to_owned), None);
    for (r, cells) in fleet.services.iter().zip(&rows) {
        out.push_str(&line(cells, Some(r.status)));
    }

    out
}

/// The breaking findings, edited files and errors, each under its heading (none when empty).
fn details(fleet: &Fleet) -> String {
    let mut out = String::new();
    let name_width = fleet
        .services
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0);
    let breaking: Vec<&Row> = fleet
        .services
        .iter()
        .filter(|r| !r.findings.is_empty())
        .collect();
    if !breaking.is_empty() {
        out.push_str("\nbreaking if synced now:\n");
        for r in breaking {
            for f in &r.findings {
                let at = match (&f.path, f.line) {
                    (Some(p), Some(l)) => format!("{p}:{l}"),
                    (Some(p), None) => p.clone(),
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "  {:<name_width$}  {at}  {}  {}\n",
                    r.name, f.rule, f.message
                ));
            }
        }
    }
    let edited: Vec<&Row> = fleet
        .services
        .iter()
        .filter(|r| !r.edited.is_empty())
        .collect();
    if !edited.is_empty() {
        out.push_str("\nedited in the service (differs from its protosync.lock):\n");
        for r in edited {
            for e in &r.edited {
                out.push_str(&format!(
                    "  {:<name_width$}  {:<8}  {}\n",
                    r.name,
                    e.state.label(),
                    e.path
                ));
            }
        }
    }
    let failed: Vec<&Row> = fleet
        .services
        .iter()
        .filter(|r| r.error.is_some())
        .collect();
    if !failed.is_empty() {
        out.push_str("\ncould not be judged:\n");
        for r in failed {
            out.push_str(&format!(
                "  {:<name_width$}  {}\n",
                r.name,
                r.error.as_deref().unwrap_or("")
            ));
        }
    }
    out
}

/// Why pull requests are unknown, once per reason (usually: no token).
fn unknown_pull_requests(fleet: &Fleet) -> String {
    let mut out = String::new();
    let mut reasons: Vec<(String, Vec<&str>)> = Vec::new();
    for r in fleet.services.iter().filter(|r| r.error.is_none()) {
        if let PullRequestState::Unknown { why } = &r.pull_request {
            match reasons.iter_mut().find(|(w, _)| w == why) {
                Some((_, names)) => names.push(&r.name),
                None => reasons.push((why.clone(), vec![&r.name])),
            }
        }
    }
    if !reasons.is_empty() {
        out.push_str("\npull requests unknown:\n");
        let judged = fleet.services.iter().filter(|r| r.error.is_none()).count();
        for (why, names) in reasons {
            let who = if names.len() == judged && judged > 2 {
                format!("all {judged} services")
            } else {
                names.join(", ")
            };
            out.push_str(&format!("  {who}: {why}\n"));
        }
    }
    out
}

fn summary_line(fleet: &Fleet) -> String {
    let n = fleet.services.len();
    let parts: Vec<String> = Status::ALL
        .iter()
        .rev()
        .map(|s| format!("{} {}", fleet.count(*s), s.label()))
        .collect();
    format!("{}: {}", plural(n, "service", "services"), parts.join(", "))
}

/// One document: `contract`, `generated_at`, `jobs`, `seconds`, `services` (one object per
/// row), `summary` (counts per status) and `exit_code`.
pub fn json(fleet: &Fleet) -> String {
    #[derive(serde::Serialize)]
    struct Summary {
        services: usize,
        in_sync: usize,
        behind: usize,
        unknown: usize,
        edited: usize,
        breaking: usize,
    }
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        #[serde(flatten)]
        fleet: &'a Fleet,
        summary: Summary,
        exit_code: i32,
    }
    let doc = Doc {
        fleet,
        summary: Summary {
            services: fleet.services.len(),
            in_sync: fleet.count(Status::InSync),
            behind: fleet.count(Status::Behind),
            unknown: fleet.count(Status::Unknown),
            edited: fleet.count(Status::Edited),
            breaking: fleet.count(Status::Breaking),
        },
        exit_code: fleet.exit_code(),
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain values");
    s.push('\n');
    s
}

/// `text` escaped for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http(s) URLs become links (never `javascript:` and the like).
fn link(url: &str, text: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            escape(url.trim()),
            escape(text)
        )
    } else {
        escape(text)
    }
}

/// The status's class name (`st-in_sync`).
fn class(status: Status) -> String {
    let key = serde_json::to_value(status).expect("a status");
    format!("st-{}", key.as_str().expect("a string"))
}

/// Fill colours of the chart's bars and the badges, by status.
fn fill(status: Status) -> &'static str {
    match status {
        Status::InSync => "#2e7d32",
        Status::Behind => "#f9a825",
        Status::Breaking => "#c62828",
        Status::Edited => "#d84315",
        Status::Unknown => "#757575",
    }
}

const CSS: &str = r#"
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif;
       color: var(--fg); background: #ffffff; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 20px 0 8px; }
code { font: 12px/1.4 ui-monospace, "Liberation Mono", Menlo, Consolas, monospace; }
.meta { color: var(--muted); margin: 0 0 12px; }
.summary { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; margin: 0 0 8px; }
.summary li { padding: 2px 10px; border-radius: 12px; color: #ffffff; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #ffffff; font-weight: 600;
         white-space: nowrap; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; cursor: pointer; user-select: none; white-space: nowrap; position: sticky; top: 0; }
th:hover { background: #eaeef2; }
th[aria-sort="ascending"]::after { content: " \25B2"; font-size: 10px; }
th[aria-sort="descending"]::after { content: " \25BC"; font-size: 10px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td:first-child { min-width: 220px; }
.sub code { white-space: nowrap; }
.sub { color: var(--muted); font-size: 12px; word-break: break-all; }
tr.st-in_sync { background: #e6f4ea; }
tr.st-behind { background: #fff4d6; }
tr.st-breaking { background: #fde2e1; }
tr.st-edited { background: #fde9df; }
tr.st-unknown { background: #eeeeee; }
.st-in_sync .badge, li.st-in_sync { background: #2e7d32; }
.st-behind .badge, li.st-behind { background: #f9a825; color: #1f2328; }
.st-breaking .badge, li.st-breaking { background: #c62828; }
.st-edited .badge, li.st-edited { background: #d84315; }
.st-unknown .badge, li.st-unknown { background: #757575; }
details summary { cursor: pointer; }
ul.notes { margin: 4px 0 0; padding-left: 18px; }
.err { color: #8b1a1a; word-break: break-word; }
#chart svg { max-width: 100%; height: auto; }
footer { color: var(--muted); margin-top: 16px; font-size: 12px; }
"#;

/// Sorts the table by a clicked header (again: the other way), worst status first at load,
/// and marks the table `data-ready` once done (tests check that the script ran).
const JS: &str = r#"
(function () {
  var table = document.getElementById('fleet');
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function value(row, col, type) {
    var v = row.cells[col].getAttribute('data-v');
    if (type === 'num') { return v === null || v === '' ? null : parseFloat(v); }
    return (v === null ? row.cells[col].textContent : v).toLowerCase();
  }
  function sortBy(col, dir) {
    var type = heads[col].getAttribute('data-type');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, col, type), y = value(b, col, type);
      if (x === null && y !== null) { return 1; }
      if (y === null && x !== null) { return -1; }
      if (x !== null && x !== y) { return (x < y ? -1 : 1) * dir; }
      var n = a.getAttribute('data-name'), m = b.getAttribute('data-name');
      return n < m ? -1 : n > m ? 1 : 0;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute('aria-sort'); }
    heads[col].setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
    table.setAttribute('data-sorted', heads[col].getAttribute('data-key') + (dir > 0 ? ' asc' : ' desc'));
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    th.tabIndex = 0;
    function click() {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      if (!th.getAttribute('aria-sort') && th.getAttribute('data-type') === 'num') { dir = -1; }
      sortBy(col, dir);
    }
    th.addEventListener('click', click);
    th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); click(); } });
  });
  for (var c = 0; c < heads.length; c++) {
    if (heads[c].getAttribute('data-key') === 'status') { sortBy(c, -1); }
  }
  table.setAttribute('data-ready', 'true');
})();
"#;

fn num_cell(value: Option<String>, shown: &str) -> String {
    format!(
        "<td class=\"num\" data-v=\"{}\">{}</td>",
        escape(value.as_deref().unwrap_or("")),
        escape(shown)
    )
}

/// The notes of a row: the error, edited files, breaking findings, why the PR is unknown.
fn notes(r: &Row) -> String {
    let mut items: Vec<String> = Vec::new();
    if let Some(e) = &r.error {
        items.push(format!("<li class=\"err\">{}</li>", escape(e)));
    }
    for e in &r.edited {
        items.push(format!(
            "<li>{} <code>{}</code></li>",
            escape(e.state.label()),
            escape(&e.path)
        ));
    }
    for f in &r.findings {
        let at = match (&f.path, f.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            _ => String::new(),
        };
        items.push(format!(
            "<li><code>{}</code> <code>{}</code> {}</li>",
            escape(f.rule),
            escape(&at),
            escape(&f.message)
        ));
    }
    if let (PullRequestState::Unknown { why }, None) = (&r.pull_request, &r.error) {
        items.push(format!("<li>pull request unknown: {}</li>", escape(why)));
    }
    if items.is_empty() {
        return String::new();
    }
    let summary = match (r.error.is_some(), r.findings.len(), r.edited.len()) {
        (true, _, _) => "error".to_owned(),
        (false, f, e) if f > 0 || e > 0 => {
            let mut parts = Vec::new();
            if f > 0 {
                parts.push(plural(f, "finding", "findings"));
            }
            if e > 0 {
                parts.push(plural(e, "edited file", "edited files"));
            }
            parts.join(", ")
        }
        _ => "note".to_owned(),
    };
    format!(
        "<details{}><summary>{}</summary><ul class=\"notes\">{}</ul></details>",
        if r.error.is_some() { " open" } else { "" },
        escape(&summary),
        items.join("")
    )
}

fn html_row(r: &Row) -> String {
    let mut out = format!(
        "<tr class=\"{}\" data-name=\"{}\" data-status=\"{}\">",
        class(r.status),
        escape(&r.name.to_lowercase()),
        escape(r.status.label())
    );
    out.push_str(&format!(
        "<td data-v=\"{}\"><strong>{}</strong><div class=\"sub\">{} <code>{}</code></div></td>",
        escape(&r.name.to_lowercase()),
        escape(&r.name),
        link(&r.repo, &crate::forge::display_url(&r.repo)),
        escape(&r.branch)
    ));
    out.push_str(&format!(
        "<td data-v=\"{}\"><span class=\"badge\">{}</span></td>",
        r.status.rank(),
        escape(r.status.label())
    ));
    out.push_str(&format!(
        "<td data-v=\"{}\" title=\"{}\"><code>{}</code></td>",
        escape(r.pinned.as_deref().unwrap_or("")),
        escape(r.pinned.as_deref().unwrap_or("")),
        escape(&pinned_text(r))
    ));
    out.push_str(&format!(
        "<td class=\"num\" data-v=\"{}\" title=\"{}\">{}</td>",
        r.pinned_age_seconds
            .map(|s| s.to_string())
            .unwrap_or_default(),
        escape(r.pinned_at.as_deref().unwrap_or("")),
        escape(&age_text(r))
    ));
    out.push_str(&num_cell(r.behind.map(|b| b.to_string()), &behind_text(r)));
    out.push_str(&num_cell(
        r.contract.is_some().then(|| r.edited.len().to_string()),
        &edited_text(r),
    ));
    // Sorted by breaking findings, then changed files.
    out.push_str(&format!(
        "<td class=\"num\" data-v=\"{}\">{}</td>",
        match (r.changes, r.breaking) {
            (Some(c), Some(b)) => (b * 100_000 + c).to_string(),
            _ => String::new(),
        },
        escape(&sync_now(r))
    ));
    let pr = match &r.pull_request {
        PullRequestState::Open { number, url, .. } => {
            format!("<td data-v=\"1\">{}</td>", link(url, &format!("#{number}")))
        }
        PullRequestState::None { .. } => "<td data-v=\"0\">none</td>".to_owned(),
        PullRequestState::Unknown { .. } => "<td data-v=\"\">unknown</td>".to_owned(),
    };
    out.push_str(&pr);
    out.push_str(&format!("<td>{}</td>", notes(r)));
    out.push_str("</tr>\n");
    out
}

/// An SVG bar chart of commits behind per service (worst first), or a histogram of them when
/// the fleet is too large for one bar each.
fn chart(fleet: &Fleet) -> String {
    let mut rows: Vec<&Row> = fleet.services.iter().collect();
    rows.sort_by(|a, b| {
        b.behind
            .map(|x| x as i64)
            .unwrap_or(-1)
            .cmp(&a.behind.map(|x| x as i64).unwrap_or(-1))
            .then_with(|| a.name.cmp(&b.name))
    });
    if rows.len() <= 40 {
        bar_chart(&rows)
    } else {
        histogram(&rows)
    }
}

/// One bar per service (in the order given), its length the commits it is behind.
fn bar_chart(rows: &[&Row]) -> String {
    let (label_w, bar_w, row_h, bar_h) = (170.0_f64, 460.0_f64, 22.0_f64, 16.0_f64);
    let max = rows
        .iter()
        .filter_map(|r| r.behind)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = rows.len() as f64 * row_h + 8.0;
    let width = label_w + bar_w + 60.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"commits behind the contract head, per service\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let name: String = if r.name.chars().count() > 22 {
            r.name.chars().take(21).collect::<String>() + "…"
        } else {
            r.name.clone()
        };
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"#1f2328\">{}</text>",
            label_w - 8.0,
            y + bar_h - 3.0,
            escape(&name)
        ));
        let (w, shown) = match r.behind {
            Some(b) => ((b as f64 / max * bar_w).max(3.0), b.to_string()),
            None => (bar_w * 0.04, "?".to_owned()),
        };
        out.push_str(&format!(
            "<rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" rx=\"2\" fill=\"{}\"><title>{}: {}</title></rect>",
            fill(r.status),
            escape(&r.name),
            escape(&match r.behind {
                Some(b) => plural(b, "commit behind", "commits behind"),
                None => "commits behind unknown".to_owned(),
            })
        ));
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#1f2328\">{}</text>",
            label_w + w + 6.0,
            y + bar_h - 3.0,
            escape(&shown)
        ));
    }
    out.push_str("</svg>");
    out
}

/// Services per bucket of commits behind (`?` for unknown), with the bar colour of each.
fn histogram_counts(rows: &[&Row]) -> Vec<(String, usize, &'static str)> {
    let buckets: [(&str, usize, usize); 8] = [
        ("0", 0, 0),
        ("1", 1, 1),
        ("2", 2, 2),
        ("3–5", 3, 5),
        ("6–10", 6, 10),
        ("11–20", 11, 20),
        ("21–50", 21, 50),
        (">50", 51, usize::MAX),
    ];
    let mut counts: Vec<(String, usize, &'static str)> = buckets
        .iter()
        .map(|(label, lo, hi)| {
            let n = rows
                .iter()
                .filter(|r| r.behind.is_some_and(|b| b >= *lo && b <= *hi))
                .count();
            let colour = if *hi == 0 {
                fill(Status::InSync)
            } else {
                fill(Status::Behind)
            };
            ((*label).to_owned(), n, colour)
        })
        .collect();
    counts.push((
        "?".to_owned(),
        rows.iter().filter(|r| r.behind.is_none()).count(),
        fill(Status::Unknown),
    ));
    counts
}

/// A histogram: services per bucket of commits behind.
fn histogram(rows: &[&Row]) -> String {
    let counts = histogram_counts(rows);
    let max = counts.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
    let (col_w, plot_h) = (56.0_f64, 180.0_f64);
    let width = col_w * counts.len() as f64 + 20.0;
    let height = plot_h + 62.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"services by commits behind the contract head\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">"
    );
    for (i, (label, n, colour)) in counts.iter().enumerate() {
        let x = 10.0 + i as f64 * col_w;
        let h = if *n == 0 {
            0.0
        } else {
            (*n as f64 / max * plot_h).max(2.0)
        };
        let y = 16.0 + plot_h - h;
        out.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{}: {}</title></rect>",
            x + 6.0,
            col_w - 12.0,
            escape(label),
            plural(*n, "service", "services")
        ));
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">{n}</text>",
            x + col_w / 2.0,
            y - 4.0
        ));
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
            x + col_w / 2.0,
            16.0 + plot_h + 18.0,
            escape(label)
        ));
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#59636e\">commits behind</text>",
        width / 2.0,
        16.0 + plot_h + 38.0
    ));
    out.push_str("</svg>");
    out
}

/// One self-contained page: the totals per status, a chart of how far behind each service
/// is, and the table (sortable by clicking a header; a colour per status).
pub fn html(fleet: &Fleet) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!(
        "<title>protosync fleet: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(&fleet.contract)
    ));
    out.push_str(&format!(
        "<header>\n<h1>Fleet of <code>{}</code></h1>\n<p class=\"meta\">{} · generated {} by protosync {}</p>\n<ul class=\"summary\">",
        escape(&fleet.contract),
        escape(&plural(fleet.services.len(), "service", "services")),
        escape(&fleet.generated_at),
        env!("CARGO_PKG_VERSION")
    ));
    for s in Status::ALL {
        out.push_str(&format!(
            "<li class=\"{}\">{} {}</li>",
            class(s),
            fleet.count(s),
            escape(s.label())
        ));
    }
    out.push_str("</ul>\n</header>\n");
    out.push_str(&format!(
        "<section id=\"chart\">\n<h2>{}</h2>\n{}\n</section>\n",
        if fleet.services.len() <= 40 {
            "Commits behind the contract head"
        } else {
            "Services by commits behind the contract head"
        },
        chart(fleet)
    ));
    out.push_str("<section>\n<h2>Services</h2>\n<table id=\"fleet\">\n<thead><tr>");
    for (key, ty, label) in [
        ("name", "text", "Service"),
        ("status", "num", "Status"),
        ("pinned", "text", "Pinned"),
        ("age", "num", "Age"),
        ("behind", "num", "Behind"),
        ("edited", "num", "Edited"),
        ("sync", "num", "Sync now"),
        ("pr", "num", "Pull request"),
        ("notes", "text", "Notes"),
    ] {
        out.push_str(&format!(
            "<th data-key=\"{key}\" data-type=\"{ty}\" scope=\"col\">{label}</th>"
        ));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    // Alphabetical here; the script puts the worst first.
    let mut rows: Vec<&Row> = fleet.services.iter().collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    for r in rows {
        out.push_str(&html_row(r));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out.push_str(&format!(
        "<footer>{} · the pinned commit is the one each service's protosync.lock records on its base branch; behind counts the contract commits since; sync now is a dry run under each service's own [breaking] rules.</footer>\n",
        escape(&summary_line(fleet))
    ));
    out.push_str(&format!("<script>{JS}</script>\n</body>\n</html>\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::status::Timings;

    fn row(name: &str, behind: Option<usize>, status: Status) -> Row {
        Row {
            name: name.to_owned(),
            repo: format!("https://github.com/acme/{name}.git"),
            branch: "main".to_owned(),
            status,
            colour: status.colour(),
            contract: Some("https://github.com/acme/contracts.git".to_owned()),
            ref_: Some("main".to_owned()),
            pinned: Some("a".repeat(40)),
            pinned_at: None,
            pinned_age_seconds: None,
            head: Some("b".repeat(40)),
            behind,
            edited: Vec::new(),
            changes: Some(0),
            breaking: Some(0),
            conflicts: Some(0),
            findings: Vec::new(),
            pull_request: PullRequestState::Unknown {
                why: "--no-forge".to_owned(),
            },
            error: None,
            seconds: 0.0,
            timings: Timings::default(),
        }
    }

    fn fleet(services: Vec<Row>) -> Fleet {
        Fleet {
            contract: "contracts".to_owned(),
            generated_at: "2026-03-11T00:00:00Z".to_owned(),
            generated_unix: 0,
            jobs: 4,
            seconds: 0.0,
            services,
        }
    }

    #[test]
    fn a_bar_per_service_then_a_histogram_for_large_fleets() {
        let small = html(&fleet(vec![
            row("a<b", Some(3), Status::Behind),
            row("c", None, Status::Unknown),
        ]));
        assert!(small.contains("Commits behind the contract head"));
        assert_eq!(small.matches("<rect ").count(), 2);
        assert!(small.contains(">a&lt;b</text>") && !small.contains("a<b"));
        let large: Vec<Row> = (0..45)
            .map(|i| row(&format!("s{i:02}"), Some(i % 12), Status::Behind))
            .collect();
        let large = html(&fleet(large));
        assert!(large.contains("Services by commits behind the contract head"));
        // Nine buckets: 0, 1, 2, 3–5, 6–10, 11–20, 21–50, >50, unknown.
        assert_eq!(large.matches("<rect ").count(), 9);
        assert!(
            large.contains("<title>6–10: 18 services</title>"),
            "{large}"
        );
    }

    #[test]
    fn escaping_and_links() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(link("javascript:alert(1)", "x"), "x");
        assert_eq!(
            link("https://h/a?b=1&c=<", "t"),
            "<a href=\"https://h/a?b=1&amp;c=&lt;\" rel=\"noopener noreferrer\">t</a>"
        );
    }
}
