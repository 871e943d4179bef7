//! The report formats for CI systems (`--format sarif|junit|gitlab|markdown`, docs/OUTPUT.md),
//! run through the real binary on the demo and on cases of the breaking fixture corpus: a
//! reviewed snapshot of each, and what each consumer relies on — SARIF valid against the official
//! schema (fixtures/sarif/) with every rule id in the driver, JUnit well-formed XML with one
//! suite per file and one failed case per finding, GitLab fingerprints unique and stable when
//! lines move, one Markdown table row per finding. Exit codes are those of every format.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use assert_cmd::Command;
use protosync::breaking::rules::RULES;
use protosync::breaking::{Finding, RuleId, Version};
use protosync::model::Span;
use protosync::pipeline::BreakingReport;
use protosync::report::{render, Format};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[path = "support/common.rs"]
mod common;
use common::copy_dir;

const FORMATS: [(&str, Format); 4] = [
    ("sarif", Format::Sarif),
    ("junit", Format::Junit),
    ("gitlab", Format::Gitlab),
    ("markdown", Format::Markdown),
];

/// (snapshot name, input, against), relative to the crate root.
const CASES: [(&str, &str, &str); 4] = [
    // Eight findings in two files, configuration v2, one finding allowed.
    ("demo", "fixtures/demo/current", "fixtures/demo/previous"),
    // Only a finding without a file (a deleted package).
    (
        "package_no_delete",
        "fixtures/breaking/package_no_delete/current",
        "fixtures/breaking/package_no_delete/previous",
    ),
    // Findings without a file (a deleted file, a deleted package) before findings in five files.
    (
        "unstable_packages_off",
        "fixtures/breaking/config_ignore_unstable_packages_off/current",
        "fixtures/breaking/config_ignore_unstable_packages_off/previous",
    ),
    // Seventeen findings in two files, several at the same place, v2 with the CSR category.
    (
        "csr_category",
        "fixtures/breaking/config_v2_csr_category/current",
        "fixtures/breaking/config_v2_csr_category/previous",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `protosync breaking INPUT --against AGAINST --format FORMAT` from the crate root (or
/// `dir`); returns the exit code and stdout.
fn breaking_in(dir: &Path, input: &str, against: &str, format: &str) -> (i32, String) {
    let out = Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(dir)
        .args(["breaking", input, "--against", against, "--format", format])
        .output()
        .unwrap();
    let code = out.status.code().expect("exit code");
    assert!(
        code == 0 || code == 1,
        "exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, String::from_utf8(out.stdout).unwrap())
}

fn breaking(input: &str, against: &str, format: &str) -> (i32, String) {
    breaking_in(root(), input, against, format)
}

/// The findings as `--format json` reports them, for the structural checks.
fn findings(input: &str, against: &str) -> Vec<Value> {
    let (_, out) = breaking(input, against, "json");
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["findings"].as_array().unwrap().clone()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({omit_expression => true}, {
        insta::assert_snapshot!(name.to_owned(), text);
    });
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SARIF

/// `format: uri-reference` (RFC 3986), which the draft-04 schema uses but draft 4 validators do
/// not know: only URI characters and well-formed percent escapes.
fn is_uri_reference(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if !(i + 2 < b.len()
                    && b[i + 1].is_ascii_hexdigit()
                    && b[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&c) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("fixtures/sarif/sarif-schema-2.1.0.json"))
        .expect("fixtures/sarif/sarif-schema-2.1.0.json (bash fixtures/sarif/fetch-schema.sh)");
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    jsonschema::options()
        .should_validate_formats(true)
        .with_format("uri-reference", is_uri_reference)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: invalid SARIF:\n{}",
        errors.join("\n")
    );
}

/// Checks everything code scanning relies on; returns the results.
fn check_sarif(validator: &jsonschema::Validator, out: &str, json: &[Value], what: &str) {
    let doc: Value = serde_json::from_str(out).unwrap();
    assert_valid_sarif(validator, &doc, what);
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{what}: one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "protosync");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));

    // One rule per registry id, all of them, in registry order, tagged with the categories of
    // the report's configuration version.
    let version = Version::parse(run["properties"]["configVersion"].as_str().unwrap()).unwrap();
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let registry: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(ids, registry, "{what}: driver.rules");
    for (rule, reg) in rules.iter().zip(RULES) {
        let tags: Vec<&str> = reg
            .status(version)
            .categories()
            .iter()
            .map(|c| c.id())
            .collect();
        assert_eq!(rule["properties"]["tags"], serde_json::json!(tags));
        assert_eq!(rule["shortDescription"]["text"], reg.why);
        assert!(rule["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with(reg.why));
        assert!(rule["help"]["text"].as_str().unwrap().starts_with(reg.why));
    }

    // One error result per finding, in the same order, pointing where the finding points.
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), json.len(), "{what}: results");
    let mut fingerprints = BTreeSet::new();
    for (r, f) in results.iter().zip(json) {
        let id = r["ruleId"].as_str().unwrap();
        assert_eq!(id, f["rule"]);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "{what}: ruleIndex of {id}");
        assert_eq!(r["level"], "error");
        assert_eq!(r["message"]["text"], f["message"]);
        let loc = &r["locations"][0];
        match f["path"].as_str() {
            Some(path) => {
                let art = &loc["physicalLocation"]["artifactLocation"];
                assert_eq!(art["uri"], path, "{what}: plain paths stay as they are");
                assert_eq!(art["uriBaseId"], "%SRCROOT%");
                let region = &loc["physicalLocation"]["region"];
                for (k, j) in [
                    ("startLine", "start_line"),
                    ("startColumn", "start_column"),
                    ("endLine", "end_line"),
                    ("endColumn", "end_column"),
                ] {
                    assert_eq!(region[k], f[j], "{what}: {k} of {id}");
                }
                assert!(loc.get("logicalLocations").is_none());
            }
            None => {
                // Code scanning rejects a whole file when a result has no physical location:
                // the previous file, and the element as a logical location.
                assert!(loc["physicalLocation"]["artifactLocation"]["uri"].is_string());
                assert!(loc["physicalLocation"].get("region").is_none());
                assert_eq!(
                    loc["logicalLocations"][0]["fullyQualifiedName"],
                    f["element"]
                );
            }
        }
        let fp = r["partialFingerprints"]["protosync/v1"].as_str().unwrap();
        assert_eq!(fp.len(), 64);
        fingerprints.insert(fp.to_owned());
    }
    assert_eq!(fingerprints.len(), results.len(), "{what}: fingerprints");
}

/// A SARIF snapshot without the 69 rule descriptors (the demo's snapshot shows them) and with
/// the version redacted.
fn sarif_snapshot_text(out: &str, keep_rules: bool) -> String {
    let mut doc: Value = serde_json::from_str(out).unwrap();
    let driver = &mut doc["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    if !keep_rules {
        let n = driver["rules"].as_array().unwrap().len();
        driver["rules"] = format!("[{n} rules, as in formats__demo_sarif.snap]").into();
    }
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

#[test]
fn sarif_is_valid_and_complete() {
    let validator = sarif_validator();
    for (name, input, against) in CASES {
        let (code, out) = breaking(input, against, "sarif");
        assert_eq!(code, 1, "{name}");
        check_sarif(&validator, &out, &findings(input, against), name);
        snapshot(
            &format!("{name}_sarif"),
            &sarif_snapshot_text(&out, name == "demo"),
        );
    }
}

#[test]
fn sarif_validation_catches_invalid_documents() {
    // The harness must be able to fail: a result without a message, a region line 0, and a
    // URI with a space are each refused.
    let validator = sarif_validator();
    let (_, out) = breaking("fixtures/demo/current", "fixtures/demo/previous", "sarif");
    let doc: Value = serde_json::from_str(&out).unwrap();
    const RESULT: &str = "/runs/0/results/0";
    type Edit = fn(&mut Value);
    let broken: [(&str, Edit); 3] = [
        ("no message", |d| {
            let result = d.pointer_mut(RESULT).unwrap().as_object_mut().unwrap();
            result.remove("message");
        }),
        ("line 0", |d| {
            let at = format!("{RESULT}/locations/0/physicalLocation/region/startLine");
            *d.pointer_mut(&at).unwrap() = 0.into();
        }),
        ("space in uri", |d| {
            let at = format!("{RESULT}/locations/0/physicalLocation/artifactLocation/uri");
            *d.pointer_mut(&at).unwrap() = "a b.proto".into();
        }),
    ];
    assert!(validator.is_valid(&doc));
    for (what, breakage) in broken {
        let mut d = doc.clone();
        breakage(&mut d);
        assert!(!validator.is_valid(&d), "{what} passed validation");
    }
}

// ---------------------------------------------------------------------------------------------
// JUnit

/// An element of a parsed XML document.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
    }
    fn all(&self, name: &str) -> Vec<&Element> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

/// A strict parser for the XML the JUnit printer writes (declaration, elements, attributes,
/// character data; no comments, CDATA, DTD or processing instructions): fails on anything not
/// well-formed — unbalanced or mismatched tags, unquoted or duplicate attributes, a raw `<` or
/// `&` in data, unknown entities, characters XML 1.0 forbids, content after the root.
struct Xml<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Xml<'a> {
    fn parse(s: &'a str) -> Result<Element, String> {
        let mut p = Xml { s, i: 0 };
        if let Some(c) = s.chars().find(|&c| !Self::xml_char(c)) {
            return Err(format!("character {:?} is not allowed in XML", c));
        }
        if p.rest().starts_with("<?xml") {
            let end = p.rest().find("?>").ok_or("unterminated declaration")?;
            let decl = &p.rest()[..end];
            if !decl.contains("version=\"1.0\"") || !decl.contains("encoding=\"UTF-8\"") {
                return Err(format!("declaration {decl:?}"));
            }
            p.i += end + 2;
        }
        p.ws();
        let root = p.element()?;
        p.ws();
        if p.i != s.len() {
            return Err(format!("content after the root element: {:?}", p.rest()));
        }
        Ok(root)
    }

    fn xml_char(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    }

    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    fn ws(&mut self) {
        let r = self.rest();
        self.i += r.len() - r.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    fn eat(&mut self, t: &str) -> Result<(), String> {
        if self.rest().starts_with(t) {
            self.i += t.len();
            Ok(())
        } else {
            Err(format!(
                "expected {t:?} at {:?}",
                &self.rest()[..self.rest().len().min(40)]
            ))
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let r = self.rest();
        let len = r
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.')))
            .unwrap_or(r.len());
        if len == 0 || !r.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            return Err(format!("expected a name at {:?}", &r[..r.len().min(40)]));
        }
        self.i += len;
        Ok(r[..len].to_owned())
    }

    /// Decodes character data or an attribute value, refusing raw markup.
    fn decode(raw: &str, attribute: bool) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find(['&', '<']) {
            out.push_str(&rest[..at]);
            if rest[at..].starts_with('<') {
                return Err(format!("raw '<' in {raw:?}"));
            }
            let end = rest[at..]
                .find(';')
                .ok_or(format!("bad reference in {raw:?}"))?;
            let entity = &rest[at + 1..at + end];
            out.push(match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let n = if let Some(h) = entity.strip_prefix("#x") {
                        u32::from_str_radix(h, 16)
                    } else if let Some(d) = entity.strip_prefix('#') {
                        d.parse()
                    } else {
                        return Err(format!("unknown entity &{entity}; in {raw:?}"));
                    }
                    .map_err(|e| format!("&{entity};: {e}"))?;
                    char::from_u32(n)
                        .filter(|&c| Self::xml_char(c))
                        .ok_or(format!("&{entity}; is not an XML character"))?
                }
            });
            rest = &rest[at + end + 1..];
        }
        if !attribute && raw.contains("]]>") {
            return Err(format!("']]>' in character data {raw:?}"));
        }
        out.push_str(rest);
        Ok(out)
    }

    fn element(&mut self) -> Result<Element, String> {
        self.eat("<")?;
        let mut e = Element {
            name: self.name()?,
            ..Element::default()
        };
        loop {
            let before = self.i;
            self.ws();
            if self.rest().starts_with("/>") {
                self.i += 2;
                return Ok(e);
            }
            if self.rest().starts_with('>') {
                self.i += 1;
                break;
            }
            if self.i == before {
                return Err(format!("no space before an attribute of <{}>", e.name));
            }
            let name = self.name()?;
            self.ws();
            self.eat("=")?;
            self.ws();
            let quote = self.rest().chars().next().ok_or("end of input")?;
            if quote != '"' && quote != '\'' {
                return Err(format!("unquoted value of {name}"));
            }
            self.i += 1;
            let end = self.rest().find(quote).ok_or("unterminated attribute")?;
            let value = Self::decode(&self.rest()[..end], true)?;
            self.i += end + 1;
            if e.attrs.insert(name.clone(), value).is_some() {
                return Err(format!("duplicate attribute {name} on <{}>", e.name));
            }
        }
        loop {
            let end = self
                .rest()
                .find('<')
                .ok_or(format!("<{}> is not closed", e.name))?;
            e.text.push_str(&Self::decode(&self.rest()[..end], false)?);
            self.i += end;
            if self.rest().starts_with("</") {
                self.i += 2;
                let name = self.name()?;
                if name != e.name {
                    return Err(format!("</{name}> closes <{}>", e.name));
                }
                self.ws();
                self.eat(">")?;
                return Ok(e);
            }
            if self.rest().starts_with("<!") || self.rest().starts_with("<?") {
                return Err("unexpected markup declaration".into());
            }
            e.children.push(self.element()?);
        }
    }
}

#[test]
fn xml_checker_refuses_malformed_documents() {
    for bad in [
        "<a><b></a></b>",
        "<a x=1/>",
        "<a x=\"1\" x=\"2\"/>",
        "<a>1 < 2</a>",
        "<a>AT&T</a>",
        "<a>&nbsp;</a>",
        "<a/><b/>",
        "<a>\u{1}</a>",
        "<a>",
    ] {
        assert!(Xml::parse(bad).is_err(), "accepted {bad:?}");
    }
    let ok =
        Xml::parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x='&lt;&#10;'>t&amp;<b/></a>\n")
            .unwrap();
    assert_eq!((ok.attr("x"), ok.text.as_str()), ("<\n", "t&"));
}

/// One suite per file (findings without a file in `<input>`), one failed case per finding.
fn check_junit(out: &str, json: &[Value], what: &str) {
    let root = Xml::parse(out).unwrap_or_else(|e| panic!("{what}: not well-formed XML: {e}"));
    assert_eq!(root.name, "testsuites");
    let n = json.len().to_string();
    assert_eq!((root.attr("tests"), root.attr("failures")), (&*n, &*n));
    let mut files: Vec<&str> = Vec::new();
    for f in json {
        let file = f["path"].as_str().unwrap_or("<input>");
        if !files.contains(&file) {
            files.push(file);
        }
    }
    let suites = root.all("testsuite");
    assert_eq!(
        suites.iter().map(|s| s.attr("name")).collect::<Vec<_>>(),
        files,
        "{what}: suites"
    );
    let mut cases = Vec::new();
    for s in &suites {
        let here = s.all("testcase");
        let k = here.len().to_string();
        assert_eq!((s.attr("tests"), s.attr("failures")), (&*k, &*k));
        cases.extend(here);
    }
    assert_eq!(cases.len(), json.len(), "{what}: test cases");
    for (c, f) in cases.iter().zip(json) {
        assert_eq!(c.attr("classname"), f["rule"]);
        let name = match f["path"].as_str() {
            Some(p) => format!("{p}:{}:{}", f["start_line"], f["start_column"]),
            None => f["element"].as_str().unwrap().to_owned(),
        };
        assert_eq!(c.attr("name"), name);
        let failure = c.all("failure");
        assert_eq!(failure.len(), 1);
        assert_eq!(failure[0].attr("type"), f["rule"]);
        assert_eq!(failure[0].attr("message"), f["message"]);
        assert!(failure[0].text.contains(f["message"].as_str().unwrap()));
    }
}

#[test]
fn junit_has_a_suite_per_file_and_a_failed_case_per_finding() {
    for (name, input, against) in CASES {
        let (code, out) = breaking(input, against, "junit");
        assert_eq!(code, 1, "{name}");
        check_junit(&out, &findings(input, against), name);
        snapshot(&format!("{name}_junit"), &out);
    }
}

// ---------------------------------------------------------------------------------------------
// GitLab Code Quality

fn gitlab_fingerprints(out: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(out).unwrap();
    doc.as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

fn check_gitlab(out: &str, json: &[Value], what: &str) {
    let doc: Value = serde_json::from_str(out).unwrap();
    let issues = doc.as_array().unwrap();
    assert_eq!(issues.len(), json.len(), "{what}: issues");
    for (i, f) in issues.iter().zip(json) {
        assert_eq!(i["check_name"], f["rule"]);
        assert_eq!(i["severity"], "major");
        assert!(i["description"]
            .as_str()
            .unwrap()
            .ends_with(f["message"].as_str().unwrap()));
        let path = i["location"]["path"].as_str().unwrap();
        assert!(!path.is_empty());
        if let Some(p) = f["path"].as_str() {
            assert_eq!(path, p);
            assert_eq!(i["location"]["lines"]["begin"], f["start_line"]);
        } else {
            assert_eq!(i["location"]["lines"]["begin"], 1);
        }
        // The documented recipe: sha256 of rule, path, element and message, NUL-separated.
        let recipe = format!(
            "{}\0{path}\0{}\0{}",
            f["rule"].as_str().unwrap(),
            f["element"].as_str().unwrap(),
            f["message"].as_str().unwrap()
        );
        assert_eq!(i["fingerprint"], sha256_hex(&recipe), "{what}");
    }
    let fps = gitlab_fingerprints(out);
    let unique: BTreeSet<&String> = fps.iter().collect();
    assert_eq!(unique.len(), fps.len(), "{what}: fingerprints are unique");
}

#[test]
fn gitlab_issues_have_unique_fingerprints_stable_across_runs() {
    for (name, input, against) in CASES {
        let (code, first) = breaking(input, against, "gitlab");
        assert_eq!(code, 1, "{name}");
        check_gitlab(&first, &findings(input, against), name);
        let (_, second) = breaking(input, against, "gitlab");
        assert_eq!(
            gitlab_fingerprints(&first),
            gitlab_fingerprints(&second),
            "{name}: a second run"
        );
        snapshot(&format!("{name}_gitlab"), &first);
    }
}

/// Prepends two comment lines to every .proto file under `dir`.
fn shift_lines(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            shift_lines(&path);
        } else if path.extension().is_some_and(|e| e == "proto") {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, format!("// moved\n// down\n{text}")).unwrap();
        }
    }
}

#[test]
fn fingerprints_survive_lines_moving() {
    let t = tempfile::TempDir::new().unwrap();
    copy_dir(
        &root().join("fixtures/demo/current"),
        &t.path().join("current"),
    );
    copy_dir(
        &root().join("fixtures/demo/previous"),
        &t.path().join("previous"),
    );
    let (_, before_gl) = breaking_in(t.path(), "current", "previous", "gitlab");
    let (_, before_sarif) = breaking_in(t.path(), "current", "previous", "sarif");
    shift_lines(&t.path().join("current"));
    let (_, after_gl) = breaking_in(t.path(), "current", "previous", "gitlab");
    let (_, after_sarif) = breaking_in(t.path(), "current", "previous", "sarif");

    let lines = |out: &str| -> Vec<u64> {
        let doc: Value = serde_json::from_str(out).unwrap();
        doc.as_array()
            .unwrap()
            .iter()
            .map(|i| i["location"]["lines"]["begin"].as_u64().unwrap())
            .collect()
    };
    let moved: Vec<u64> = lines(&before_gl).iter().map(|l| l + 2).collect();
    assert_eq!(lines(&after_gl), moved, "the findings moved down two lines");
    assert_eq!(
        gitlab_fingerprints(&before_gl),
        gitlab_fingerprints(&after_gl)
    );

    let sarif_fps = |out: &str| -> Vec<Value> {
        let doc: Value = serde_json::from_str(out).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(sarif_fps(&before_sarif), sarif_fps(&after_sarif));
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// The rows of the Markdown tables (header and delimiter rows excluded), split into cells at
/// unescaped pipes.
fn table_rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| l.starts_with('|'))
        .filter(|l| *l != "| Location | Rule | Message |" && *l != "| --- | --- | --- |")
        .map(|l| {
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = l.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        cell.push(c);
                        if let Some(n) = chars.next() {
                            cell.push(n);
                        }
                    }
                    '|' => cells.push(std::mem::take(&mut cell)),
                    c => cell.push(c),
                }
            }
            assert!(cell.is_empty(), "row does not end with a pipe: {l}");
            // The empty string before the first pipe.
            cells.remove(0);
            cells.into_iter().map(|c| c.trim().to_owned()).collect()
        })
        .collect()
}

fn check_markdown(out: &str, json: &[Value], what: &str) {
    assert!(
        out.starts_with("### protosync: breaking changes\n\n"),
        "{what}"
    );
    let rows = table_rows(out);
    assert_eq!(rows.len(), json.len(), "{what}: table rows");
    for (row, f) in rows.iter().zip(json) {
        assert_eq!(row.len(), 3, "{what}: {row:?}");
        assert_eq!(row[1], format!("`{}`", f["rule"].as_str().unwrap()));
    }
    let summary = out.lines().nth(2).unwrap();
    let n = json.len();
    assert!(
        summary.starts_with(&format!("**{n} breaking change")),
        "{what}: {summary}"
    );
}

#[test]
fn markdown_has_a_summary_and_a_row_per_finding() {
    for (name, input, against) in CASES {
        let (code, out) = breaking(input, against, "markdown");
        assert_eq!(code, 1, "{name}");
        check_markdown(&out, &findings(input, against), name);
        assert!(!out.contains("<details>"), "{name}: fewer than 50 findings");
        snapshot(&format!("{name}_markdown"), &out);
    }
}

#[test]
fn long_markdown_reports_fold_after_fifty_rows() {
    let t = tempfile::TempDir::new().unwrap();
    let fields: String = (1..=60)
        .map(|i| format!("  string f{i} = {i};\n"))
        .collect();
    for (side, body) in [("previous", fields.as_str()), ("current", "")] {
        let dir = t.path().join(side).join("acme/v1");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("big.proto"),
            format!("syntax = \"proto3\";\npackage acme.v1;\n\nmessage Big {{\n{body}}}\n"),
        )
        .unwrap();
    }
    let (code, out) = breaking_in(t.path(), "current", "previous", "markdown");
    assert_eq!(code, 1);
    let (_, json) = breaking_in(t.path(), "current", "previous", "json");
    let json: Value = serde_json::from_str(&json).unwrap();
    let json = json["findings"].as_array().unwrap();
    assert!(json.len() > 50, "{} findings", json.len());
    check_markdown(&out, json, "60 deleted fields");
    let (shown, folded) = out.split_once("<details>").expect("a <details> block");
    assert_eq!(table_rows(shown).len(), 50);
    assert_eq!(table_rows(folded).len(), json.len() - 50);
    assert!(folded.contains(&format!(
        "<summary>{} more breaking changes</summary>\n\n| Location",
        json.len() - 50
    )));
    assert!(out.ends_with("</details>\n"));
    snapshot("sixty_deleted_fields_markdown", &out);
}

// ---------------------------------------------------------------------------------------------
// No findings, exit codes

#[test]
fn no_findings_exit_zero_in_every_format() {
    let validator = sarif_validator();
    let (input, against) = ("fixtures/demo/previous", "fixtures/demo/previous");
    for (name, _) in FORMATS {
        let (code, out) = breaking(input, against, name);
        assert_eq!(code, 0, "{name}");
        match name {
            "sarif" => {
                check_sarif(&validator, &out, &[], "clean");
                snapshot("clean_sarif", &sarif_snapshot_text(&out, false));
            }
            "junit" => {
                // One passing test, so CI shows a green test rather than an empty report.
                let root = Xml::parse(&out).unwrap();
                let suites = root.all("testsuite");
                assert_eq!(suites.len(), 1);
                assert_eq!(suites[0].attr("name"), "protosync");
                let cases = suites[0].all("testcase");
                assert_eq!(cases.len(), 1);
                assert!(cases[0].children.is_empty(), "passing: no <failure>");
                assert_eq!((root.attr("tests"), root.attr("failures")), ("1", "0"));
                snapshot("clean_junit", &out);
            }
            "gitlab" => {
                assert_eq!(out, "[]\n");
            }
            _ => {
                assert!(out.contains("\nNo breaking changes"), "{out}");
                assert!(table_rows(&out).is_empty());
                snapshot("clean_markdown", &out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Escaping, findings without positions: a report made by hand, through the library.

fn odd_report() -> BreakingReport {
    let finding = |path: Option<&str>, span: Option<Span>, rule, message: &str| Finding {
        path: path.map(str::to_owned),
        span,
        rule,
        message: message.to_owned(),
        against_path: Some("old dir/gone|file.proto".to_owned()),
        element: "acme.v1.Odd".to_owned(),
        hint: None,
        releases: Vec::new(),
    };
    let span = Span {
        start_line: 3,
        start_column: 5,
        end_line: 4,
        end_column: 2,
    };
    BreakingReport {
        version: Version::V1,
        findings: vec![
            finding(
                None,
                None,
                RuleId::FILE_NO_DELETE,
                "Previously present file \"old dir/gone|file.proto\" was deleted.",
            ),
            finding(
                Some("odd dir/a|b<c>&'q'\"d\"é.proto"),
                Some(span),
                RuleId::FIELD_SAME_TYPE,
                "Field \"1\" changed type from \"map<string, int32>\" to \"A|B & *C* `d` [e] _f_\"\nsecond line\u{1}.",
            ),
            // An image without source info: a file, no position.
            finding(
                Some("acme/v1/image.proto"),
                None,
                RuleId::MESSAGE_NO_DELETE,
                "Previously present message \"Gone\" was deleted from file.",
            ),
        ],
        unused_allowances: Vec::new(),
        expired_allowances: Vec::new(),
        expiring_allowances: Vec::new(),
        allowed: 0,
        files: 2,
        against_files: 3,
        releases: Vec::new(),
    }
}

#[test]
fn odd_paths_and_messages_are_escaped_in_every_format() {
    let report = odd_report();

    let sarif = render(&report, Format::Sarif);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    assert_valid_sarif(&sarif_validator(), &doc, "odd");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let uri = |i: usize| {
        results[i]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].clone()
    };
    assert_eq!(uri(0), "old%20dir/gone%7Cfile.proto");
    assert_eq!(uri(1), "odd%20dir/a%7Cb%3Cc%3E&'q'%22d%22%C3%A9.proto");
    assert_eq!(uri(2), "acme/v1/image.proto");
    assert!(results[2]["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
    let tags = &doc["runs"][0]["tool"]["driver"]["rules"][RuleId::FIELD_SAME_TYPE as usize]
        ["properties"]["tags"];
    assert_eq!(
        *tags,
        serde_json::json!(["FILE", "PACKAGE"]),
        "v1 categories"
    );

    let junit = render(&report, Format::Junit);
    let root = Xml::parse(&junit).unwrap_or_else(|e| panic!("{e}\n{junit}"));
    let suites = root.all("testsuite");
    assert_eq!(
        suites.iter().map(|s| s.attr("name")).collect::<Vec<_>>(),
        [
            "<input>",
            "odd dir/a|b<c>&'q'\"d\"é.proto",
            "acme/v1/image.proto"
        ]
    );
    let case = suites[1].all("testcase")[0];
    assert_eq!(case.attr("name"), "odd dir/a|b<c>&'q'\"d\"é.proto:3:5");
    let failure = case.all("failure")[0];
    assert_eq!(
        failure.attr("message"),
        report.findings[1].message.replace('\u{1}', "\u{FFFD}")
    );
    assert_eq!(
        suites[2].all("testcase")[0].attr("name"),
        "acme/v1/image.proto"
    );

    let gitlab = render(&report, Format::Gitlab);
    let issues: Value = serde_json::from_str(&gitlab).unwrap();
    assert_eq!(issues[0]["location"]["path"], "old dir/gone|file.proto");
    assert_eq!(issues[2]["location"]["lines"]["begin"], 1);

    let markdown = render(&report, Format::Markdown);
    let rows = table_rows(&markdown);
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row.len(), 3, "{row:?}");
    }
    assert_eq!(rows[0][0], "`<input>`");
    assert_eq!(rows[1][0], "`odd dir/a\\|b<c>&'q'\"d\"é.proto:3:5`");
    assert_eq!(
        rows[1][2],
        "Field \"1\" changed type from \"map&lt;string, int32&gt;\" to \
         \"A\\|B &amp; \\*C\\* \\`d\\` \\[e\\] \\_f\\_\"<br>second line\u{FFFD}."
    );
    assert_eq!(rows[2][0], "`acme/v1/image.proto`");
    assert!(markdown
        .contains("**3 breaking changes** in 2 files, and 1 about deleted files or packages.\n"));
    snapshot("odd_markdown", &markdown);
    snapshot("odd_junit", &junit);
}

#[path = "formats/ci.rs"]
mod ci;
