//! The breaking-change engine: pairs the elements of two schemas and runs the enabled rules.
//!
//! Checks look at a previous and a current element and report; they never read configuration.
//! The [`Checker`] decides which rules run, and where a finding points is resolved only after
//! all checks ran, so spans are computed for the few files that have findings.

mod enums;
pub mod examples;
mod field;
mod file;
mod message;
mod package;
pub mod report;
pub mod rules;
mod service;
pub mod structure;

use std::collections::HashMap;

use crate::model::{File, RawSpan, Schema, Span};
pub use rules::{Category, RuleId, Version};

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Current file the finding points into; `None` for findings about something that has no
    /// file any more (a deleted file or package).
    pub path: Option<String>,
    pub span: Option<Span>,
    pub rule: RuleId,
    pub message: String,
    /// The previous file the element came from (used by path ignores).
    pub against_path: Option<String>,
    /// Fully-qualified name of the element concerned (used by element allowances).
    pub element: String,
    /// What the deletion looks like instead (`looks renamed to …`), when it looks like one.
    pub hint: Option<String>,
    /// Checked against several releases (`--against '.git#tag=v*'`): the releases this finding
    /// breaks, in release order. Empty for a comparison of two inputs.
    pub releases: Vec<Release>,
}

/// A release a finding breaks: its name (a tag, or a pinned commit) and its place in the
/// order of the releases checked, so consecutive runs can be shown as ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub name: String,
    pub index: usize,
}

/// `v1.2.0, v1.3.0`; three or more consecutive releases as `v1.0.0 to v1.4.0`.
pub fn releases_text(releases: &[Release]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < releases.len() {
        let mut j = i;
        while j + 1 < releases.len() && releases[j + 1].index == releases[j].index + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{} to {}", releases[i].name, releases[j].name));
        } else {
            parts.extend(releases[i..=j].iter().map(|r| r.name.clone()));
        }
        i = j + 1;
    }
    parts.join(", ")
}

impl Finding {
    /// The message as printers show it: with the hint, when there is one, and the releases it
    /// breaks, when several were checked (`(breaks v1.2.0, v1.3.0)`).
    pub fn shown_message(&self) -> std::borrow::Cow<'_, str> {
        let mut out: std::borrow::Cow<'_, str> = match &self.hint {
            Some(h) => format!("{} ({h})", self.message).into(),
            None => self.message.as_str().into(),
        };
        if !self.releases.is_empty() {
            out = format!("{out} (breaks {})", releases_text(&self.releases)).into();
        }
        out
    }
}

/// A place a finding may point to, tried in order.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Elem(Vec<i32>),
    Opt {
        elem: Vec<i32>,
        options_field: i32,
        number: i32,
        name: &'static str,
    },
    Raw(RawSpan),
    PseudoOption(Vec<i32>, i32, &'static str),
}

#[derive(Debug, Clone)]
pub(crate) struct Pending {
    rule: RuleId,
    message: String,
    /// Index of the current file.
    file: Option<usize>,
    targets: Vec<Target>,
    against_path: Option<String>,
    element: String,
}

/// Runs checks and collects what they report.
pub(crate) struct Checker<'a> {
    enabled: [bool; RuleId::ALL.len()],
    pub prev: &'a Schema,
    pub cur: &'a Schema,
    pending: Vec<Pending>,
    /// Structural wire compatibility of moved types, when on.
    structural: Option<structure::Matcher<'a>>,
}

/// How a comparison runs beyond the enabled rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompareOptions {
    /// WIRE/WIRE_JSON type checks accept a type moved to another full name when it is
    /// structurally wire-identical (a deliberate difference from the reference tool).
    pub structural: bool,
}

/// Where a finding points, built by the checks.
pub(crate) struct At {
    file: Option<usize>,
    targets: Vec<Target>,
}

impl At {
    /// No file at all.
    pub fn nowhere() -> At {
        At {
            file: None,
            targets: Vec::new(),
        }
    }
    /// A file, with an unknown position (1:1).
    pub fn file(file: usize) -> At {
        At {
            file: Some(file),
            targets: Vec::new(),
        }
    }
    pub fn elem(file: usize, path: &[i32]) -> At {
        At::file(file).or_elem(path)
    }
    pub fn or_elem(mut self, path: &[i32]) -> At {
        self.targets.push(Target::Elem(path.to_vec()));
        self
    }
    pub fn or_sub(self, path: &[i32], sub: &[i32]) -> At {
        let mut p = path.to_vec();
        p.extend_from_slice(sub);
        self.or_elem(&p)
    }
    pub fn or_opt(
        mut self,
        elem: &[i32],
        options_field: i32,
        number: i32,
        name: &'static str,
    ) -> At {
        self.targets.push(Target::Opt {
            elem: elem.to_vec(),
            options_field,
            number,
            name,
        });
        self
    }
    /// A field's `default = …` (7) or `json_name = …` (10), keyword included.
    pub fn or_pseudo_option(mut self, field: &[i32], sub: i32, keyword: &'static str) -> At {
        self.targets
            .push(Target::PseudoOption(field.to_vec(), sub, keyword));
        self
    }
    pub fn or_raw(mut self, raw: Option<RawSpan>) -> At {
        if let Some(raw) = raw {
            self.targets.push(Target::Raw(raw));
        }
        self
    }
}

impl<'a> Checker<'a> {
    pub fn on(&self, rule: RuleId) -> bool {
        self.enabled[rule as usize]
    }

    /// In structural mode: whether the types of a field on both sides (another full name,
    /// same kind) are wire-identical (`json`: and JSON-identical).
    pub fn structurally_same(
        &self,
        p: &crate::model::Field,
        f: &crate::model::Field,
        json: bool,
    ) -> bool {
        self.structural.as_ref().is_some_and(|m| match f.kind {
            crate::model::Kind::Enum => m.same_enum(&p.type_name, &f.type_name, json),
            _ => m.same_message(&p.type_name, &f.type_name, json),
        })
    }

    pub fn report(
        &mut self,
        rule: RuleId,
        at: At,
        against_path: Option<&str>,
        element: &str,
        message: String,
    ) {
        if !self.on(rule) {
            return;
        }
        self.pending.push(Pending {
            rule,
            message,
            file: at.file,
            targets: at.targets,
            against_path: against_path.map(str::to_owned),
            element: element.to_owned(),
        });
    }

    fn resolve(&self, p: Pending) -> Finding {
        let (path, span) = match p.file {
            None => (None, None),
            Some(i) => {
                let file: &File = &self.cur.files[i];
                let span = p
                    .targets
                    .iter()
                    .find_map(|t| match t {
                        Target::Elem(path) => file.spans.span(path),
                        Target::Opt {
                            elem,
                            options_field,
                            number,
                            name,
                        } => file.spans.option_span(elem, *options_field, *number, name),
                        Target::Raw(raw) => Some(file.spans.raw(*raw)),
                        Target::PseudoOption(path, sub, kw) => {
                            file.spans.pseudo_option_span(path, *sub, kw)
                        }
                    })
                    .unwrap_or(Span::UNKNOWN);
                // An image without source info: the element is named, with no position.
                (
                    Some(file.path.clone()),
                    file.spans.has_positions().then_some(span),
                )
            }
        };
        Finding {
            path,
            span,
            rule: p.rule,
            message: p.message,
            against_path: p.against_path,
            element: p.element,
            hint: None,
            releases: Vec::new(),
        }
    }
}

/// Index of named elements of one schema: full name -> (file index, element index).
pub(crate) struct Names<'s> {
    pub messages: HashMap<&'s str, (usize, usize)>,
    pub enums: HashMap<&'s str, (usize, usize)>,
    pub services: HashMap<&'s str, (usize, usize)>,
}

impl<'s> Names<'s> {
    fn new(schema: &'s Schema) -> Names<'s> {
        let mut names = Names {
            messages: HashMap::new(),
            enums: HashMap::new(),
            services: HashMap::new(),
        };
        for (fi, f) in schema.files.iter().enumerate() {
            for (i, m) in f.messages.iter().enumerate() {
                names.messages.insert(m.full_name.as_str(), (fi, i));
            }
            for (i, e) in f.enums.iter().enumerate() {
                names.enums.insert(e.full_name.as_str(), (fi, i));
            }
            for (i, s) in f.services.iter().enumerate() {
                names.services.insert(s.full_name.as_str(), (fi, i));
            }
        }
        names
    }
}

/// Compares two schemas with the given rules enabled; findings come back sorted and
/// de-duplicated, with positions resolved.
pub fn compare(prev: &Schema, cur: &Schema, enabled: &[RuleId]) -> Vec<Finding> {
    compare_with(prev, cur, enabled, CompareOptions::default())
}

/// [`compare`], with options.
pub fn compare_with(
    prev: &Schema,
    cur: &Schema,
    enabled: &[RuleId],
    options: CompareOptions,
) -> Vec<Finding> {
    let mut on = [false; RuleId::ALL.len()];
    for r in enabled {
        on[*r as usize] = true;
    }
    let mut checker = Checker {
        enabled: on,
        prev,
        cur,
        pending: Vec::new(),
        structural: options
            .structural
            .then(|| structure::Matcher::new(prev, cur)),
    };
    let prev_names = Names::new(prev);
    let cur_names = Names::new(cur);
    file::check(&mut checker);
    package::check(&mut checker);
    message::check(&mut checker, &prev_names, &cur_names);
    field::check_extensions(&mut checker);
    enums::check(&mut checker, &prev_names, &cur_names);
    service::check(&mut checker, &prev_names, &cur_names);
    let pending = std::mem::take(&mut checker.pending);
    // Positions need each file with a finding parsed again: do those files on all cores first.
    let mut files: Vec<usize> = pending.iter().filter_map(|p| p.file).collect();
    files.sort_unstable();
    files.dedup();
    let threads = if files.len() < 4 {
        1
    } else {
        crate::parallelism()
    };
    std::thread::scope(|s| {
        for part in files.chunks(files.len().div_ceil(threads).max(1)) {
            s.spawn(move || {
                for &i in part {
                    cur.files[i].spans.prepare();
                }
            });
        }
    });
    let mut findings: Vec<Finding> = pending.into_iter().map(|p| checker.resolve(p)).collect();
    sort_findings(&mut findings);
    findings
}

/// Sorts findings by path (pathless first), line, column, rule, message, end; drops duplicates.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    fn key(f: &Finding) -> (Option<&str>, u32, u32, &str, &str, u32, u32) {
        let s = f.span.unwrap_or(Span::UNKNOWN);
        (
            f.path.as_deref(),
            s.start_line,
            s.start_column,
            f.rule.as_str(),
            &f.message,
            s.end_line,
            s.end_column,
        )
    }
    findings.sort_by(|a, b| key(a).cmp(&key(b)));
    findings.dedup_by(|a, b| {
        a.path == b.path && a.span == b.span && a.rule == b.rule && a.message == b.message
    });
}

/// Quotes like Go's `%q`, which the reference tool's messages use.
pub(crate) fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The enclosing message of a nested name that still exists in the file, for deleted elements.
pub(crate) fn surviving_parent<'f>(
    file: &'f File,
    nested_name: &str,
) -> Option<&'f crate::model::Message> {
    let parts: Vec<&str> = nested_name.split('.').collect();
    (1..parts.len()).rev().find_map(|i| {
        let parent = parts[..i].join(".");
        file.messages.iter().find(|m| m.nested_name == parent)
    })
}
