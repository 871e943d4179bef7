//! A bounded, seeded fuzz of everything protosync reads from others (issue 12, "Keep it
//! honest"): mutations of .proto sources, of descriptor images (bytes, and the descriptors
//! themselves), of `protosync.toml`, `buf.yaml` and `protosync.lock`. Every case must end in
//! exit 0, 1 or 2: no panic, no signal, no hang.
//!
//! * Most cases run in-process through the library (what the binary runs: `breaking` on a
//!   directory or an image, the config and lock parsers), a panic caught and recorded.
//! * A few run the real binary, with a timeout, so signals (a stack overflow aborts) and hangs
//!   are seen as a user would see them.
//!
//! Fixed seed and case counts, so a run is reproducible; `PROTOSYNC_FUZZ_SEED` and
//! `PROTOSYNC_FUZZ_SCALE` (a multiplier of the counts) explore further. A failing case is
//! written under `target/fuzz-failures/` (the last binary case started is in `last-case`, for a crash
//! that takes the test process down, `last-case.txt` names it) and should become a regression
//! test. Longer runs:
//! `cargo fuzz` targets in `fuzz/` (docs/SECURITY.md, "Fuzzing").

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prost_reflect::prost::Message as _;
use prost_reflect::prost_types::{
    source_code_info::Location, DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto,
    FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet, MessageOptions, SourceCodeInfo,
};
use protosync::pipeline::{run_breaking, BreakingOptions};
use tempfile::TempDir;

#[path = "fuzz/mutate.rs"]
mod mutate;
use mutate::{dictionary, mutate_bytes, mutate_descriptor, to_json};

const SEED: u64 = 0x005e_ed12;
/// In-process cases per target (sources, binary images, structural image mutations, JSON
/// images, protosync.toml, buf.yaml, lock).
const CASES: [(&str, usize); 7] = [
    ("proto", 300),
    ("image-bytes", 400),
    ("image-struct", 500),
    ("image-json", 60),
    ("protosync.toml", 350),
    ("buf.yaml", 350),
    ("lock", 450),
];
/// Cases run through the binary (each target in turn).
const BINARY_CASES: usize = 42;
const BINARY_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// A small seeded PRNG (splitmix64)

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds

const PROTO2: &str = r#"syntax = "proto2";
package acme.legacy.v1;
import "google/protobuf/descriptor.proto";
option java_package = "com.acme.legacy";
option optimize_for = SPEED;
extend google.protobuf.FieldOptions { optional Rule rule = 50001; }
message Rule { optional int32 min = 1; repeated string tags = 2; optional Rule next = 3; }
message Order {
  required string id = 1 [(rule) = { min: 1 tags: ["a", "b"] next { min: 2 } }];
  optional int64 total = 2 [default = -5, deprecated = true];
  repeated group Line = 3 { optional string sku = 4; }
  oneof pay { string card = 5; bytes token = 6; }
  map<string, Order> children = 7;
  extensions 100 to 199;
  reserved 8, 10 to 12;
  reserved "old";
  enum State { option allow_alias = true; UNKNOWN = 0; NEW = 1; FRESH = 1; }
  optional State state = 9 [default = NEW];
}
extend Order { optional string note = 100; }
service Orders { rpc Get(Order) returns (Order) { option idempotency_level = NO_SIDE_EFFECTS; } }
"#;

const PROTO3: &str = r#"syntax = "proto3";
package acme.billing.v1;
import "acme/legacy/v1/order.proto";
import "google/protobuf/timestamp.proto";
option go_package = "acme/billing/v1;billingv1";
message Invoice {
  string id = 1;
  optional int32 cents = 2 [json_name = "amount"];
  repeated acme.legacy.v1.Order orders = 3;
  google.protobuf.Timestamp at = 4;
  map<int32, string> labels = 5;
  oneof kind { string a = 6; int64 b = 7; }
  reserved 9 to 11;
  message Line { string sku = 1; Status status = 2; }
}
enum Status { STATUS_UNSPECIFIED = 0; STATUS_PAID = 1; }
service Billing {
  rpc Pay(Invoice) returns (Invoice);
  rpc Watch(stream Invoice) returns (stream Invoice.Line) { option deprecated = true; }
}
"#;

const EDITIONS: &str = r#"edition = "2023";
package acme.ed.v1;
option features.field_presence = IMPLICIT;
message Msg {
  string s = 1 [features.field_presence = EXPLICIT];
  int32 n = 2 [default = 7, features.field_presence = EXPLICIT];
  Msg child = 3 [features.message_encoding = DELIMITED];
  repeated int32 r = 4 [features.repeated_field_encoding = EXPANDED];
  enum E { option features.enum_type = CLOSED; E_ONE = 1; }
}
"#;

const TOML: &str = r#"[breaking]
version = "v1"
use = ["FILE", "WIRE_JSON"]
except = ["FIELD_NO_DELETE"]
ignore = ["acme/legacy"]
ignore_only = { ENUM_VALUE_NO_DELETE = ["acme/billing/v1/invoice.proto"] }
ignore_unstable_packages = true

[[breaking.allow]]
rule = "FIELD_SAME_TYPE"
element = "acme.billing.v1.Invoice.id"
reason = "migrated"

[contract]
repo = "../contracts"
ref = "v3"
root = "proto"

[[vendor]]
from = "acme/billing/v1"
to = "third_party/acme/billing/v1"

[[vendor]]
from = "acme/common/**/*.proto"
to = "third_party/acme/common"
"#;

const BUF_YAML: &str = r#"version: v2
modules:
  - path: .
    excludes:
      - acme/legacy/v2
breaking:
  use:
    - FILE
    - WIRE
  except:
    - FIELD_NO_DELETE
  ignore:
    - acme/ed
  ignore_only:
    ENUM_VALUE_NO_DELETE:
      - acme/billing/v1/invoice.proto
  ignore_unstable_packages: true
"#;

const BUF_V1: &str = "version: v1beta1\nbuild:\n  roots:\n    - .\nbreaking:\n  use: [FILE]\n";

const LOCK: &str = r#"# protosync.lock
version = 1

[contract]
repo = "https://github.com/acme/contracts.git"
ref = "main"
commit = "5f0c3e2a9d4b7c1e8f6a0b3d2c5e4f7a9b8c1d0e"

[[file]]
path = "third_party/proto/acme/billing/v1/billing.proto"
sha256 = "1b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014"
from = "proto/acme/billing/v1/billing.proto"

[[file]]
path = "third_party/proto/acme/common/ünï.proto"
sha256 = "2b4f0e9851971998e732078544c96b36c3d01cedf7caa332359d6f1d83567014"
from = "proto/acme/common/ünï.proto"
"#;

/// The source seeds: the three above plus the fixture corpus's `current` files.
fn sources() -> Vec<(String, String)> {
    let mut out = vec![
        ("acme/legacy/v1/order.proto".to_owned(), PROTO2.to_owned()),
        (
            "acme/billing/v1/invoice.proto".to_owned(),
            PROTO3.to_owned(),
        ),
        ("acme/ed/v1/ed.proto".to_owned(), EDITIONS.to_owned()),
    ];
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/breaking");
    let mut found = Vec::new();
    let mut stack = vec![fixtures];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "proto")
                && path.components().any(|c| c.as_os_str() == "current")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    for path in found.into_iter().step_by(7) {
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((
                format!("seed/{}", path.file_name().unwrap().to_string_lossy()),
                text,
            ));
        }
    }
    out
}

/// The three seed files compiled by protox with source info: a `FileDescriptorSet`.
fn seed_image() -> FileDescriptorSet {
    let dir = TempDir::new().unwrap();
    let names: Vec<String> = sources().into_iter().take(2).map(|(n, _)| n).collect();
    for (name, text) in sources().into_iter().take(2) {
        write(dir.path(), &name, text.as_bytes());
    }
    let mut compiler = protox::Compiler::new([dir.path()]).unwrap();
    compiler.include_imports(true);
    compiler.include_source_info(true);
    for n in &names {
        compiler.open_file(n).unwrap();
    }
    compiler.file_descriptor_set()
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Running a case

/// One generated input: files to write (relative path → bytes) and what to run on them.
struct Case {
    target: &'static str,
    files: BTreeMap<String, Vec<u8>>,
    /// Whether a configuration case also runs the whole `breaking` command.
    full: bool,
    /// The other side: the unmutated tree or image, or a one-file image (cheaper, and every
    /// element is then new), written once for all cases.
    against: PathBuf,
}

impl Case {
    /// `breaking <input> --against <against>` as the binary would run it in the case
    /// directory, or nothing for a target only a parser reads.
    fn args(&self) -> Vec<String> {
        let input = match self.target {
            "proto" | "protosync.toml" | "buf.yaml" => "cur",
            "image-bytes" | "image-struct" => "cur.binpb",
            "image-json" => "cur.json",
            // The lock is read by `check`/`status`, which need a contract; the parser is what
            // a hostile lock reaches first.
            _ => return Vec::new(),
        };
        vec![
            "breaking".into(),
            input.into(),
            "--against".into(),
            self.against.display().to_string(),
        ]
    }
}

struct Generator {
    /// The unmutated side of every comparison: `prev/` (the seed tree), `prev.binpb`.
    base: TempDir,
    rng: Rng,
    dict: Vec<Vec<u8>>,
    sources: Vec<(String, String)>,
    image: FileDescriptorSet,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let g = Generator {
            base: TempDir::new().unwrap(),
            rng: Rng(seed),
            dict: dictionary(),
            sources: sources(),
            image: seed_image(),
        };
        let mut files = BTreeMap::new();
        g.tree("prev", &mut files);
        files.insert("prev.binpb".to_owned(), g.image.encode_to_vec());
        let tiny = FileDescriptorSet {
            file: vec![FileDescriptorProto {
                name: Some("acme/billing/v1/invoice.proto".into()),
                package: Some("acme.billing.v1".into()),
                syntax: Some("proto3".into()),
                message_type: vec![DescriptorProto {
                    name: Some("Invoice".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        files.insert("tiny.binpb".to_owned(), tiny.encode_to_vec());
        for (rel, bytes) in files {
            write(g.base.path(), &rel, &bytes);
        }
        g
    }

    /// The unmutated tree: the seed sources under `side/`.
    fn tree(&self, side: &str, files: &mut BTreeMap<String, Vec<u8>>) {
        for (name, text) in self.sources.iter().take(3) {
            files.insert(format!("{side}/{name}"), text.as_bytes().to_vec());
        }
    }

    fn case(&mut self, target: &'static str) -> Case {
        let mut files = BTreeMap::new();
        let mut full = false;
        let base = self.base.path();
        let against = match target {
            _ if self.rng.chance(50) => base.join("tiny.binpb"),
            "proto" | "protosync.toml" | "buf.yaml" => base.join("prev"),
            _ => base.join("prev.binpb"),
        };
        match target {
            "proto" => {
                self.tree("cur", &mut files);
                let k = self.rng.below(self.sources.len());
                let (name, text) = &self.sources[k];
                let mut bytes = text.as_bytes().to_vec();
                mutate_bytes(&mut self.rng, &mut bytes, &self.dict);
                if self.rng.chance(20) {
                    mutate_bytes(&mut self.rng, &mut bytes, &self.dict);
                }
                files.insert(format!("cur/{name}"), bytes);
            }
            "image-bytes" | "image-struct" | "image-json" => {
                let mut set = self.image.clone();
                if target != "image-bytes" {
                    mutate_descriptor(&mut self.rng, &mut set);
                }
                let mut bytes = if target == "image-json" {
                    to_json(&set)
                } else {
                    set.encode_to_vec()
                };
                if target == "image-bytes" || self.rng.chance(15) {
                    mutate_bytes(&mut self.rng, &mut bytes, &self.dict);
                }
                let name = if target == "image-json" {
                    "cur.json"
                } else {
                    "cur.binpb"
                };
                files.insert(name.into(), bytes);
            }
            "protosync.toml" | "buf.yaml" => {
                let seed = match target {
                    "buf.yaml" if self.rng.chance(30) => BUF_V1,
                    "buf.yaml" => BUF_YAML,
                    _ => TOML,
                };
                let mut bytes = seed.as_bytes().to_vec();
                mutate_bytes(&mut self.rng, &mut bytes, &self.dict);
                files.insert(format!("cur/{target}"), bytes);
                full = self.rng.chance(10);
                if full {
                    self.tree("cur", &mut files);
                }
            }
            _ => {
                let mut bytes = LOCK.as_bytes().to_vec();
                mutate_bytes(&mut self.rng, &mut bytes, &self.dict);
                if self.rng.chance(10) {
                    // Many entries (linear reading).
                    let entry = &LOCK[LOCK.find("[[file]]").unwrap()..];
                    for i in 0..200 {
                        bytes.extend(
                            entry
                                .replace("billing.proto", &format!("b{i}.proto"))
                                .bytes(),
                        );
                    }
                }
                files.insert("protosync.lock".into(), bytes);
            }
        }
        Case {
            target,
            files,
            full,
            against,
        }
    }
}

fn materialise(case: &Case) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (rel, bytes) in &case.files {
        write(dir.path(), rel, bytes);
    }
    dir
}

/// Runs a case in-process; `Err` is a panic message.
fn run_in_process(case: &Case) -> Result<(), String> {
    let dir = materialise(case);
    let root = dir.path();
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let args = case.args();
        if args.is_empty() {
            let path = root.join("protosync.lock");
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let _ = protosync::sync::lock::Lock::parse(&path, &text);
            return;
        }
        if matches!(case.target, "protosync.toml" | "buf.yaml") {
            for (rel, bytes) in &case.files {
                let path = root.join(rel);
                let text = String::from_utf8_lossy(bytes);
                if rel.ends_with("protosync.toml") {
                    let _ = protosync::sync::config::parse(&path, &text);
                    let _ = protosync::config::parse_protosync_toml(&path, &text);
                } else if rel.ends_with("buf.yaml") {
                    let _ = protosync::config::buf::parse(&path, &text);
                }
            }
            // What `breaking` does with the configuration before it compiles anything.
            let files = protosync::input::DiskFiles {
                root: root.join("cur"),
            };
            if let Ok(layout) = protosync::config::load(&files, None) {
                let _ = protosync::config::rules::resolve(&layout, &Default::default());
            }
            if !case.full {
                return;
            }
        }
        let opts = BreakingOptions {
            input: root.join(&args[1]).display().to_string(),
            against: root.join(&args[3]).display().to_string(),
            config: None,
            against_config: None,
            overrides: Default::default(),
            includes: Vec::new(),
            load: Default::default(),
            targets: Default::default(),
        };
        let _ = run_breaking(&opts);
    }));
    result.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

/// Runs a case with the binary; `Err` when it did not exit 0, 1 or 2 in time.
fn run_binary(case: &Case) -> Result<(), String> {
    let args = case.args();
    if args.is_empty() {
        return Ok(());
    }
    let dir = materialise(case);
    let mut child = Command::new(env!("CARGO_BIN_EXE_protosync"))
        .args(&args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return match status.code() {
                Some(0..=2) => Ok(()),
                other => {
                    let mut err = String::new();
                    use std::io::Read as _;
                    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                    Err(format!("exit {other:?} (signal or panic): {err}"))
                }
            };
        }
        if start.elapsed() > BINARY_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("no answer in {BINARY_TIMEOUT:?} (a hang)"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn failures_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap_or(Path::new("target"))
        .join("fuzz-failures")
}

fn save(case: &Case, dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    for (rel, bytes) in &case.files {
        write(dir, rel, bytes);
    }
    let _ = std::fs::write(dir.join("ARGS"), case.args().join(" "));
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

#[test]
fn seeded_mutations_never_panic_crash_or_hang() {
    let seed = env_number("PROTOSYNC_FUZZ_SEED").unwrap_or(SEED);
    let scale = env_number("PROTOSYNC_FUZZ_SCALE").unwrap_or(1).max(1) as usize;
    let started = Instant::now();
    let mut generator = Generator::new(seed);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let dir = failures_dir();
    std::fs::create_dir_all(&dir).unwrap();
    // Panics are recorded, not printed a thousand times.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let percent = env_number("PROTOSYNC_FUZZ_PERCENT").unwrap_or(100) as usize;
    let mut total = 0;
    let mut times = Vec::new();
    for (target, count) in CASES {
        let t0 = Instant::now();
        for i in 0..count * scale * percent / 100 {
            let case = generator.case(target);
            // A crash takes the test process down: say which case it was (the generator is
            // deterministic, so seed and index reproduce it).
            let _ = std::fs::write(
                dir.join("last-case.txt"),
                format!("seed {seed:#x} {target} #{i}\n"),
            );
            let t = Instant::now();
            let outcome = run_in_process(&case);
            let slow = t.elapsed() > Duration::from_secs(20);
            if let Err(why) = outcome.clone().and_then(|()| {
                if slow {
                    Err(format!("took {:?}", t.elapsed()))
                } else {
                    Ok(())
                }
            }) {
                let keep = dir.join(format!("{target}-{i}"));
                save(&case, &keep);
                failures.lock().unwrap().push(format!(
                    "{target} #{i}: {why} (input in {})",
                    keep.display()
                ));
            }
            total += 1;
        }
        times.push(format!("{target} {:.1?}", t0.elapsed()));
    }
    std::panic::set_hook(hook);
    let in_process = started.elapsed();
    let targets = [
        "proto",
        "image-bytes",
        "image-struct",
        "image-json",
        "protosync.toml",
        "buf.yaml",
    ];
    for i in 0..BINARY_CASES * scale * percent / 100 {
        let case = generator.case(targets[i % targets.len()]);
        save(&case, &dir.join("last-case"));
        if let Err(why) = run_binary(&case) {
            let keep = dir.join(format!("binary-{}-{i}", case.target));
            save(&case, &keep);
            failures.lock().unwrap().push(format!(
                "binary {} #{i}: {why} (input in {})",
                case.target,
                keep.display()
            ));
        }
        total += 1;
    }
    let _ = std::fs::remove_dir_all(dir.join("last-case"));
    let _ = std::fs::remove_file(dir.join("last-case.txt"));
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "fuzz: seed {seed:#x}, {total} cases ({:?} in process: {}; {:?} in all), {} failures",
        in_process,
        times.join(", "),
        started.elapsed(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
