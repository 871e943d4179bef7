//! The published API descriptions the server checks requests and answers against, and the
//! checks themselves: JSON Schema validation by the `jsonschema` crate, `$ref`s resolved in the
//! whole description (a registry holding it), for OpenAPI 3 (GitHub) and Swagger 2 (Gitea,
//! GitLab) alike.
//!
//! The descriptions are downloaded by scripts/fetch-forge-apis.sh into
//! `$PROTOSYNC_FORGE_APIS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/protosync/forge-apis`. Under CI
//! (`CI` set) a missing one fails the test that needs it; elsewhere the server says so loudly
//! on stderr and checks nothing for that forge.
//!
//! The schema dialects differ from JSON Schema in a few words, translated once on loading:
//! `nullable: true` (OpenAPI 3) and `x-nullable: true` (Swagger 2) become a `null` type,
//! Swagger's `type: file` is dropped, OpenAPI 3.0's boolean `exclusiveMinimum`/`Maximum` become
//! numbers. Request bodies are checked strictly (a property the schema does not name is an
//! error: `unevaluatedProperties: false` around the schema); answers are not, since a forge
//! may add fields.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, Validator};
use serde_json::{json, Map, Value};

/// One API description, loaded and ready to validate with.
pub struct Description {
    /// Where it came from (the `.source` file the fetch script writes, or the tests' own).
    pub source: String,
    /// The base URI it is registered under: `$ref`s are made absolute against it.
    uri: String,
    /// The description, translated to JSON Schema (see the module doc).
    pub doc: Value,
    registry: Registry<'static>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// The name a description file has in the cache directory.
pub enum Published {
    /// npm `@octokit/openapi`: generated/api.github.com.json.
    Github,
    /// The crate `forgejo-api`: swagger.v1.json.
    Gitea,
}

fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROTOSYNC_FORGE_APIS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("protosync").join("forge-apis")
}

/// The published description, if it was downloaded. Missing: a panic under CI, else a loud
/// warning (once) and `None`.
pub fn published(which: Published) -> Option<&'static Description> {
    static GITHUB: OnceLock<Option<Description>> = OnceLock::new();
    static GITEA: OnceLock<Option<Description>> = OnceLock::new();
    let (cell, name) = match which {
        Published::Github => (&GITHUB, "github"),
        Published::Gitea => (&GITEA, "gitea"),
    };
    cell.get_or_init(|| {
        let path = cache_dir().join(format!("{name}.json"));
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                let message = format!(
                    "the published {name} API description is missing ({}: {e}); run \
                     scripts/fetch-forge-apis.sh (scripts/install-test-tools.sh runs it)",
                    path.display()
                );
                if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                    panic!("{message}");
                }
                // Straight to the process's stderr: the test harness does not capture it.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n{bar}\nWARNING: {message}.\nThe loopback {name} server checks NO request \
                     against the description in this run.\n{bar}\n",
                    bar = "!".repeat(78)
                );
                return None;
            }
        };
        let doc: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let source = std::fs::read_to_string(path.with_extension("json.source"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| path.display().to_string());
        Some(Description::new(name, source, doc))
    })
    .as_ref()
}

impl Description {
    /// Loads `doc` (an OpenAPI 3 or Swagger 2 description) under the name `name`.
    pub fn new(name: &str, source: String, mut doc: Value) -> Description {
        to_json_schema(&mut doc);
        let uri = format!("https://{name}.forge-api.invalid/description.json");
        let registry = Registry::new()
            .draft(Draft::Draft202012)
            .add(&uri, Draft::Draft202012.create_resource(doc.clone()))
            .and_then(|r| r.prepare())
            .unwrap_or_else(|e| panic!("{source}: cannot register the description: {e}"));
        Description {
            source,
            uri,
            doc,
            registry,
            validators: Mutex::new(HashMap::new()),
        }
    }

    fn swagger2(&self) -> bool {
        self.doc.get("swagger").is_some()
    }

    /// Every operation: (method, path template, operationId).
    pub fn operations(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for (template, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if HTTP_METHODS.contains(&method.as_str()) {
                    let id = op["operationId"].as_str().unwrap_or("").to_owned();
                    out.push((method.to_ascii_uppercase(), template.clone(), id));
                }
            }
        }
        out
    }

    /// The operation `method template`, if the description has it.
    pub fn operation(&self, method: &str, template: &str) -> Option<&Value> {
        self.doc["paths"]
            .get(template)?
            .get(method.to_ascii_lowercase())
    }

    /// The operation whose template matches the decoded path segments `segs` best (most
    /// literal segments), with `method` if there is one: for saying why a request is refused.
    pub fn find(&self, method: &str, segs: &[String]) -> Option<(String, Option<String>)> {
        let mut best: Option<(usize, String, Option<String>)> = None;
        for (template, item) in self.doc["paths"].as_object().into_iter().flatten() {
            let Some(score) = template_score(template, segs) else {
                continue;
            };
            let id = item
                .get(method.to_ascii_lowercase())
                .map(|op| op["operationId"].as_str().unwrap_or("").to_owned());
            let better = match &best {
                None => true,
                Some((s, _, i)) => (id.is_some(), score) > (i.is_some(), *s),
            };
            if better {
                best = Some((score, template.clone(), id));
            }
        }
        best.map(|(_, t, i)| (t, i))
    }

    /// What is wrong with a request to `op`: its path parameters (`bound`), query and JSON body.
    pub fn check_request(
        &self,
        op: &Value,
        bound: &BTreeMap<String, String>,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Vec<String> {
        let mut errors = Vec::new();
        let mut known_query = Vec::new();
        let mut body_schema: Option<(Value, bool)> = None;
        let mut form = Map::new();
        let mut form_required = Vec::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = self.resolve(p);
            let name = p["name"].as_str().unwrap_or("");
            let required = p["required"].as_bool().unwrap_or(false);
            let value = match p["in"].as_str() {
                Some("path") => bound.get(name).cloned(),
                Some("query") => {
                    known_query.push(name.to_owned());
                    query
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                }
                Some("body") => {
                    body_schema = Some((p["schema"].clone(), required));
                    continue;
                }
                Some("formData") => {
                    form.insert(name.to_owned(), self.param_schema(p));
                    if required {
                        form_required.push(json!(name));
                    }
                    continue;
                }
                _ => continue,
            };
            match value {
                None if required => errors.push(format!("missing required parameter {name:?}")),
                None => {}
                Some(text) => {
                    let schema = self.param_schema(p);
                    let value = self.param_value(&schema, &text);
                    self.validate(
                        &schema,
                        &value,
                        &format!("parameter {name}"),
                        false,
                        &mut errors,
                    );
                }
            }
        }
        for (k, _) in query {
            if !known_query.contains(k) {
                errors.push(format!("unknown query parameter {k:?}"));
            }
        }
        if let Some(rb) = op.get("requestBody") {
            let rb = self.resolve(rb);
            let schema = rb.pointer("/content/application~1json/schema").cloned();
            let required = rb["required"].as_bool().unwrap_or(false);
            body_schema = Some((schema.unwrap_or(Value::Null), required));
        } else if !form.is_empty() {
            let schema = json!({"type": "object", "properties": form, "required": form_required});
            body_schema = Some((schema, !form_required.is_empty()));
        }
        match (body_schema, body) {
            (Some((_, true)), None) => errors.push("missing required JSON body".to_owned()),
            (Some((schema, _)), Some(body)) if schema.is_object() => {
                self.validate(&schema, body, "body", true, &mut errors)
            }
            (Some(_), Some(_)) => errors.push("operation takes no JSON body".to_owned()),
            (None, Some(_)) => errors.push("operation takes no body".to_owned()),
            (_, None) => {}
        }
        errors
    }

    /// What is wrong with the answer `status` `body` to `op`, if the description has a schema
    /// for it.
    pub fn check_response(&self, op: &Value, status: u16, body: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        if let Some(schema) = self.response_schema(op, status) {
            self.validate(&schema, body, "answer", false, &mut errors);
        }
        errors
    }

    fn response_schema(&self, op: &Value, status: u16) -> Option<Value> {
        let r = self.resolve(op["responses"].get(status.to_string())?);
        let schema = if self.swagger2() {
            r.get("schema")
        } else {
            r.pointer("/content/application~1json/schema")
        };
        schema.cloned()
    }

    /// A parameter's schema: OpenAPI 3 has one; a Swagger 2 parameter is its own.
    fn param_schema(&self, p: &Value) -> Value {
        if let Some(s) = p.get("schema").filter(|_| !self.swagger2()) {
            return s.clone();
        }
        let keep = [
            "type",
            "format",
            "items",
            "enum",
            "default",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "pattern",
            "minItems",
            "maxItems",
            "uniqueItems",
            "multipleOf",
        ];
        let mut out = Map::new();
        for (k, v) in p.as_object().into_iter().flatten() {
            if keep.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Object(out)
    }

    /// A path or query parameter's text as the JSON value its schema expects.
    fn param_value(&self, schema: &Value, text: &str) -> Value {
        let schema = self.resolve(schema);
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for t in types {
            let v = match t {
                "integer" => text.parse::<i64>().ok().map(Value::from),
                "number" => text.parse::<f64>().ok().map(Value::from),
                "boolean" => text.parse::<bool>().ok().map(Value::from),
                "array" => Some(Value::Array(
                    text.split(',')
                        .map(|item| self.param_value(&schema["items"], item))
                        .collect(),
                )),
                _ => None,
            };
            if let Some(v) = v {
                return v;
            }
        }
        Value::String(text.to_owned())
    }

    /// Follows `$ref`s within the description.
    pub fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                    Some(target) => v = target,
                    None => return v,
                },
                None => return v,
            }
        }
        v
    }

    /// Validates `instance` against `schema` (a part of the description), pushing one line per
    /// error, `what` and the place in the instance first. With `strict`, a property the schema
    /// does not name is an error too (`unevaluatedProperties: false` around it, checked on the
    /// instance without the parts already found wrong: a subschema that fails evaluates
    /// nothing, which would make every property of it unknown).
    fn validate(
        &self,
        schema: &Value,
        instance: &Value,
        what: &str,
        strict: bool,
        errors: &mut Vec<String>,
    ) {
        let mut schema = schema.clone();
        absolute_refs(&mut schema, &self.uri);
        let compiled = |schema: &Value, errors: &mut Vec<String>| match self.validator(schema) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(format!(
                    "{what}: the description's schema does not compile: {e}"
                ));
                None
            }
        };
        let Some(validator) = compiled(&schema, errors) else {
            return;
        };
        let mut pruned = instance.clone();
        for e in validator.iter_errors(instance) {
            let at = e.instance_path().as_str().to_owned();
            errors.push(format!("{what}{at}: {e}"));
            remove_at(&mut pruned, &at);
        }
        if !strict {
            return;
        }
        let strict = json!({"allOf": [schema], "unevaluatedProperties": false});
        let Some(validator) = compiled(&strict, errors) else {
            return;
        };
        for e in validator.iter_errors(&pruned) {
            if matches!(e.kind(), ValidationErrorKind::UnevaluatedProperties { .. }) {
                errors.push(format!("{what}{}: {e}", e.instance_path()));
            }
        }
    }

    fn validator(&self, schema: &Value) -> Result<Arc<Validator>, String> {
        let key = schema.to_string();
        if let Some(v) = self.lock().get(&key) {
            return Ok(v.clone());
        }
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .with_registry(&self.registry)
            .build(schema)
            .map_err(|e| e.to_string())?;
        let validator = Arc::new(validator);
        self.lock().insert(key, validator.clone());
        Ok(validator)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Validator>>> {
        self.validators.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A minimal value of `schema`: every required property, with the first enum value, the
    /// default, an empty array, null where null is allowed, a placeholder string by format.
    pub fn example(&self, schema: &Value) -> Value {
        self.example_at(schema, 0)
    }

    fn example_at(&self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if depth > 16 || !schema.is_object() {
            return Value::Null;
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"null") {
            return Value::Null;
        }
        if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
            return first.clone();
        }
        if let Some(d) = schema.get("default") {
            return d.clone();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(first) = schema[key].as_array().and_then(|a| a.first()) {
                return self.example_at(first, depth + 1);
            }
        }
        if let Some(all) = schema["allOf"].as_array() {
            return all.iter().fold(json!({}), |acc, s| {
                merge(acc, self.example_at(s, depth + 1))
            });
        }
        let ty = types
            .first()
            .copied()
            .or_else(|| schema.get("properties").map(|_| "object"));
        match ty {
            Some("object") => {
                let mut out = Map::new();
                for r in schema["required"].as_array().into_iter().flatten() {
                    let Some(r) = r.as_str() else { continue };
                    let v = schema["properties"]
                        .get(r)
                        .map(|p| self.example_at(p, depth + 1))
                        .unwrap_or(Value::Null);
                    out.insert(r.to_owned(), v);
                }
                Value::Object(out)
            }
            Some("array") => json!([]),
            Some("string") => match schema["format"].as_str() {
                Some("date-time") => json!("2026-01-01T00:00:00Z"),
                Some("uri") | Some("url") => json!("https://example.invalid/"),
                Some("email") => json!("someone@example.invalid"),
                _ => json!(""),
            },
            Some("integer") | Some("number") => json!(0),
            Some("boolean") => json!(false),
            _ => Value::Null,
        }
    }
}

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// Binds the `{name}` segments of `template` to `segs`, if it matches.
pub fn match_template(template: &str, segs: &[String]) -> Option<BTreeMap<String, String>> {
    let parts: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segs.len() {
        return None;
    }
    let mut bound = BTreeMap::new();
    for (p, s) in parts.iter().zip(segs) {
        if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if s.is_empty() {
                return None;
            }
            bound.insert(name.to_owned(), s.clone());
        } else if p != s {
            return None;
        }
    }
    Some(bound)
}

/// How many literal segments of `template` match `segs` (None: it does not match).
pub fn template_score(template: &str, segs: &[String]) -> Option<usize> {
    match_template(template, segs)?;
    Some(
        template
            .split('/')
            .filter(|p| !p.is_empty() && !p.starts_with('{'))
            .count(),
    )
}

/// `over` laid over `base`: objects merged key by key, anything else replaced.
pub fn merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                let merged = match b.remove(&k) {
                    Some(old) => merge(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (_, o) => o,
    }
}

/// Translates the OpenAPI 3.0 / Swagger 2 schema words JSON Schema lacks (see the module doc),
/// everywhere in `v`.
fn to_json_schema(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(to_json_schema),
        Value::Object(map) => {
            map.values_mut().for_each(to_json_schema);
            if map.get("type").and_then(Value::as_str) == Some("file") {
                map.remove("type");
            }
            for (flag, bound) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(on) = map.get(flag).and_then(Value::as_bool) {
                    map.remove(flag);
                    if on {
                        if let Some(b) = map.remove(bound) {
                            map.insert(flag.to_owned(), b);
                        }
                    }
                }
            }
            let mut nullable = false;
            for key in ["nullable", "x-nullable"] {
                if let Some(n) = map.get(key).and_then(Value::as_bool) {
                    map.remove(key);
                    nullable |= n;
                }
            }
            if !nullable {
                return;
            }
            if let Some(Value::String(t)) = map.get("type").cloned() {
                map.insert("type".to_owned(), json!([t, "null"]));
                if let Some(Value::Array(e)) = map.get_mut("enum") {
                    if !e.contains(&Value::Null) {
                        e.push(Value::Null);
                    }
                }
            } else {
                let inner = std::mem::take(map);
                map.insert("anyOf".to_owned(), json!([{"type": "null"}, inner]));
            }
        }
        _ => {}
    }
}

/// `v` without what the JSON pointer `at` names (an array item becomes null; `""` is kept).
fn remove_at(v: &mut Value, at: &str) {
    let Some((parent, last)) = at.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

/// `$ref: "#/…"` made absolute against `uri`, everywhere in `v` (a part copied out of the
/// description is validated apart from it).
fn absolute_refs(v: &mut Value, uri: &str) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| absolute_refs(i, uri)),
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match child {
                    Value::String(r) if k == "$ref" && r.starts_with('#') => {
                        *r = format!("{uri}{r}");
                    }
                    _ => absolute_refs(child, uri),
                }
            }
        }
        _ => {}
    }
}
