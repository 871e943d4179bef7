//! `protosync impact` on real repositories: a contract repository with a proposed change in
//! its working tree, and services pinned at different contract commits, served as bare repos.

use std::path::PathBuf;
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

#[path = "support/common.rs"]
mod common;
use common::{git, stdout, write};

const MONEY: &str =
    "syntax = \"proto3\";\n\npackage acme.common.v1;\n\nmessage Money {\n  int64 units = 1;\n}\n";
const ORDERS: &str =
    "syntax = \"proto3\";\n\npackage acme.orders.v1;\n\nmessage Order {\n  string id = 1;\n}\n";

fn billing(extra: &str) -> String {
    format!(
        "syntax = \"proto3\";\n\npackage acme.billing.v1;\n\nimport \"acme/common/v1/money.proto\";\n\nmessage Invoice {{\n  string id = 1;\n  acme.common.v1.Money total = 2;\n  string legacy_id = 3;{extra}\n}}\n\nmessage Receipt {{\n  string id = 1;\n}}\n\nservice Billing {{\n  rpc GetInvoice(Receipt) returns (Invoice);\n}}\n"
    )
}

struct Setup {
    tmp: TempDir,
    contracts: PathBuf,
}

impl Setup {
    fn run(&self, args: &[&str]) -> Output {
        Command::cargo_bin("protosync")
            .unwrap()
            .current_dir(&self.contracts)
            .env("PROTOSYNC_CACHE_DIR", self.tmp.path().join("cache"))
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .unwrap()
    }

    fn redact(&self, text: &str) -> String {
        let log = git(&self.contracts, &["log", "--reverse", "--format=%H"]);
        let mut out = text.replace(&self.tmp.path().display().to_string(), "<tmp>");
        for (i, c) in log.lines().enumerate() {
            out = out
                .replace(c, &format!("<commit-{}>", i + 1))
                .replace(&c[..7], &format!("<commit-{}>", i + 1));
        }
        out
    }
}

/// A service repository (bare, with main) that vendors `mappings` of the contract at `pin`,
/// with `own` protos of its own.
fn service(s: &Setup, name: &str, mappings: &[&str], pin: &str, own: &[(&str, &str)]) -> String {
    let bare = s.tmp.path().join(format!("forge/{name}.git"));
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    let work = s.tmp.path().join(format!("work/{name}"));
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    let url = format!("file://{}", s.contracts.display());
    let mut args = vec![
        "init",
        "--contract",
        url.as_str(),
        "--root",
        "proto",
        "--ref",
        pin,
    ];
    let tos: Vec<String> = mappings
        .iter()
        .map(|m| format!("third_party/proto/{m}"))
        .collect();
    for (m, to) in mappings.iter().zip(&tos) {
        args.extend(["--from", m, "--to", to.as_str()]);
    }
    let o = Command::cargo_bin("protosync")
        .unwrap()
        .current_dir(&work)
        .env("PROTOSYNC_CACHE_DIR", s.tmp.path().join("cache"))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    if !own.is_empty() {
        let mut cfg = std::fs::read_to_string(work.join("protosync.toml")).unwrap();
        cfg.push_str("\n[build]\nroots = [\"proto\", \"third_party/proto\"]\n");
        std::fs::write(work.join("protosync.toml"), cfg).unwrap();
    }
    for (rel, text) in own {
        write(&work, rel, text);
    }
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "vendor"]);
    git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
    format!("file://{}", bare.display())
}

fn setup() -> Setup {
    let tmp = TempDir::new().unwrap();
    let contracts = tmp.path().join("contracts");
    std::fs::create_dir_all(&contracts).unwrap();
    git(&contracts, &["init", "-q", "-b", "main"]);
    write(&contracts, "proto/acme/common/v1/money.proto", MONEY);
    write(
        &contracts,
        "proto/acme/billing/v1/billing.proto",
        &billing(""),
    );
    write(&contracts, "proto/acme/orders/v1/orders.proto", ORDERS);
    git(&contracts, &["add", "-A"]);
    git(&contracts, &["commit", "-q", "-m", "first"]);
    let c1 = git(&contracts, &["rev-parse", "HEAD"]).trim().to_owned();
    write(
        &contracts,
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;"),
    );
    git(&contracts, &["commit", "-q", "-am", "note"]);
    let c2 = git(&contracts, &["rev-parse", "HEAD"]).trim().to_owned();
    write(
        &contracts,
        "proto/acme/common/v1/money.proto",
        &MONEY.replace("message Money", "// An amount.\nmessage Money"),
    );
    git(&contracts, &["commit", "-q", "-am", "doc"]);
    let c3 = git(&contracts, &["rev-parse", "HEAD"]).trim().to_owned();
    let s = Setup { tmp, contracts };

    let checkout_own = "syntax = \"proto3\";\n\npackage acme.checkout.v1;\n\nimport \"acme/billing/v1/billing.proto\";\n\nmessage Cart {\n  string id = 1;\n  acme.billing.v1.Invoice invoice = 2;\n}\n\nservice Checkout {\n  rpc Pay(Cart) returns (acme.billing.v1.Invoice);\n  rpc Lookup(acme.billing.v1.Receipt) returns (Cart);\n}\n";
    let checkout = service(
        &s,
        "checkout",
        &["acme/billing/v1", "acme/common/v1"],
        &c1,
        &[("proto/acme/checkout/v1/checkout.proto", checkout_own)],
    );
    let ledger = service(
        &s,
        "ledger",
        &["acme/billing/v1", "acme/common/v1"],
        &c2,
        &[],
    );
    let orders = service(&s, "orders", &["acme/orders/v1"], &c1, &[]);
    let shipping = service(&s, "shipping", &["acme/common/v1"], &c3, &[]);
    let mut toml = String::new();
    for (name, url) in [
        ("checkout", checkout),
        (
            "gone",
            format!("file://{}/forge/gone.git", s.tmp.path().display()),
        ),
        ("ledger", ledger),
        ("orders", orders),
        ("shipping", shipping),
    ] {
        toml.push_str(&format!(
            "[[service]]\nname = \"{name}\"\nrepo = \"{url}\"\n\n"
        ));
    }
    write(&s.contracts, "protosync.toml", &toml);
    git(&s.contracts, &["add", "-A"]);
    git(&s.contracts, &["commit", "-q", "-m", "services"]);
    // The proposal, in the working tree: Invoice.legacy_id is deleted (breaking for whoever
    // vendors billing), Order gains a field (compatible), money is untouched.
    write(
        &s.contracts,
        "proto/acme/billing/v1/billing.proto",
        &billing("\n  string note = 4;").replace("\n  string legacy_id = 3;", ""),
    );
    write(
        &s.contracts,
        "proto/acme/orders/v1/orders.proto",
        &ORDERS.replace("string id = 1;", "string id = 1;\n  string note = 2;"),
    );
    s
}

#[test]
fn each_service_is_judged_from_its_pin_under_its_own_rules() {
    let s = setup();
    let o = s.run(&["impact", "--format", "json", "--jobs", "3"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let verdict = |name: &str| -> serde_json::Value {
        doc["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(verdict("checkout")["verdict"], "breaking");
    assert_eq!(verdict("ledger")["verdict"], "breaking");
    assert_eq!(verdict("orders")["verdict"], "compatible");
    assert_eq!(verdict("shipping")["verdict"], "unaffected");
    assert_eq!(verdict("gone")["verdict"], "unknown");
    assert!(
        verdict("gone")["detail"]
            .as_str()
            .unwrap()
            .contains("gone.git"),
        "{}",
        verdict("gone")["detail"]
    );
    // Judged from the pin: three different pins, checkout the first commit, ledger the
    // second, shipping the third.
    let pin = |rev: &str| git(&s.contracts, &["rev-parse", rev]).trim().to_owned();
    assert_eq!(verdict("checkout")["pinned"], pin("HEAD~3"));
    assert_eq!(verdict("ledger")["pinned"], pin("HEAD~2"));
    assert_eq!(verdict("shipping")["pinned"], pin("HEAD~1"));
    let f = &verdict("checkout")["findings"][0];
    assert_eq!(f["rule"], "FIELD_NO_DELETE");
    assert_eq!(f["contract_path"], "proto/acme/billing/v1/billing.proto");
    assert_eq!(
        f["service_path"],
        "third_party/proto/acme/billing/v1/billing.proto"
    );
    assert_eq!(f["element"], "acme.billing.v1.Invoice.legacy_id");
    // The service's own protos that use the broken message.
    let usages: Vec<(String, String)> = verdict("checkout")["usages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["kind"].as_str().unwrap().to_owned(),
                u["element"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        usages,
        [
            (
                "field".to_owned(),
                "acme.checkout.v1.Cart.invoice".to_owned()
            ),
            ("rpc".to_owned(), "acme.checkout.v1.Checkout.Pay".to_owned()),
        ]
    );
    assert_eq!(doc["summary"]["breaking"], 2);

    let mut redacted: serde_json::Value = serde_json::from_str(&s.redact(&stdout(&o))).unwrap();
    for r in redacted["services"].as_array_mut().unwrap() {
        r["seconds"] = serde_json::json!(0.0);
    }
    insta::assert_json_snapshot!("impact_json", redacted);
    let o = s.run(&["impact", "--format", "markdown"]);
    insta::assert_snapshot!("impact_markdown", s.redact(&stdout(&o)));
    let o = s.run(&["impact", "--format", "text", "--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!("impact_text", s.redact(&stdout(&o)));
    let o = s.run(&["impact", "--format", "github", "--service", "checkout"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with("::error file=proto/acme/billing/v1/billing.proto,line=7,col=1,title=FIELD_NO_DELETE breaks checkout::"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_proposal_that_touches_nothing_vendored_breaks_no_one() {
    let s = setup();
    git(&s.contracts, &["checkout", "-q", "--", "proto"]);
    write(
        &s.contracts,
        "proto/acme/inventory/v1/stock.proto",
        "syntax = \"proto3\";\npackage acme.inventory.v1;\nmessage Stock {}\n",
    );
    let o = s.run(&[
        "impact",
        "--format",
        "json",
        "--service",
        "checkout",
        "--service",
        "orders",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for r in doc["services"].as_array().unwrap() {
        assert_eq!(r["verdict"], "unaffected", "{r}");
    }
    let o = s.run(&["impact", "--service", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn transitive_judges_the_proposal_against_every_pinned_commit() {
    let s = setup();
    // Also drop `note`, which only the second and third commits have.
    write(
        &s.contracts,
        "proto/acme/billing/v1/billing.proto",
        &billing("").replace("\n  string legacy_id = 3;", ""),
    );
    let o = s.run(&["impact", "--transitive", "--fail-on", "never"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = s.redact(&stdout(&o));
    // Shipping vendors only money, so it is unaffected as a service, but its pin is broken.
    assert!(
        text.contains("<commit-3>  breaking (2 findings)  pinned by shipping"),
        "{text}"
    );
    assert!(text.contains("(breaks <commit-2>, <commit-3>)"), "{text}");
    insta::assert_snapshot!("impact_transitive_text", text);
    let o = s.run(&["impact", "--transitive", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let pins = doc["transitive"]["pins"].as_array().unwrap();
    assert_eq!(pins.len(), 3);
    assert_eq!(
        pins[0]["services"],
        serde_json::json!(["checkout", "orders"])
    );
    assert_eq!(pins[0]["findings"], 1);
    let findings = doc["transitive"]["breaking"]["findings"]
        .as_array()
        .unwrap();
    assert_eq!(findings.len(), 2, "{findings:?}");
    let mut redacted: serde_json::Value = serde_json::from_str(&s.redact(&stdout(&o))).unwrap();
    for r in redacted["services"].as_array_mut().unwrap() {
        r["seconds"] = serde_json::json!(0.0);
    }
    insta::assert_json_snapshot!("impact_transitive_json", redacted["transitive"]);
    let o = s.run(&["impact", "--transitive", "--format", "markdown"]);
    insta::assert_snapshot!("impact_transitive_markdown", s.redact(&stdout(&o)));
    // A compatible proposal breaks no pin, and exits 0.
    git(&s.contracts, &["checkout", "-q", "--", "proto"]);
    let o = s.run(&["impact", "--transitive"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("0 of 3 pinned commits break"),
        "{}",
        stdout(&o)
    );
}
