#!/usr/bin/env python3
"""Compare protosync with the reference tool's recorded output on every fixture case.

For each fixtures/breaking/<case>/, runs
    protosync breaking current --against previous --format json
and compares its findings with buf.jsonl (recorded by scripts/record-buf.sh) on
(path, start line, start column, end line, end column, rule, message). Prints every
difference and exits 1 if there is any. Usage:
    python3 scripts/buf-parity.py [--bin target/release/protosync] [--positions-only] [CASE...]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def exceptions():
    import tomllib
    with open(os.path.join(ROOT, "fixtures", "breaking", "parity-exceptions.toml"), "rb") as f:
        doc = tomllib.load(f)
    wording = [(w["from"], w["to"]) for w in doc.get("wording", [])]
    cases = {c["name"]: (c["kind"], c["reason"]) for c in doc.get("case", [])}
    return wording, cases


def buf_findings(case_dir):
    out = set()
    path = os.path.join(case_dir, "buf.jsonl")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            out.add((d.get("path"), d.get("start_line", 1), d.get("start_column", 1),
                     d.get("end_line", 1), d.get("end_column", 1), d["type"], d["message"]))
    return out


def ours(binary, case_dir):
    p = subprocess.run([binary, "breaking", "current", "--against", "previous", "--format", "json"],
                       cwd=case_dir, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        return None, p.stderr.strip()
    doc = json.loads(p.stdout)
    out = set()
    for f in doc["findings"]:
        out.add((f["path"], f["start_line"] or 1, f["start_column"] or 1, f["end_line"] or 1,
                 f["end_column"] or 1, f["rule"], f["message"]))
    return out, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "protosync"))
    ap.add_argument("--positions-only", action="store_true", help="ignore message text")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    base = os.path.join(ROOT, "fixtures", "breaking")
    cases = args.cases or sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)))
    wording_fixes, deliberate = exceptions()
    differing = 0
    for case in cases:
        case_dir = os.path.join(base, case)
        expected = buf_findings(case_dir)
        if expected is None:
            continue
        got, err = ours(args.bin, case_dir)
        if got is None:
            print(f"== {case}: protosync failed: {err}")
            differing += 1
            continue
        # buf prints paths as given on its command line (current/<root>/file.proto);
        # protosync prints module-relative paths. Map buf's onto ours by suffix.
        ours_paths = {t[0] for t in got if t[0]}
        def norm(t):
            p = t[0]
            if p:
                p = p[len("current/"):] if p.startswith("current/") else p
                for o in ours_paths:
                    if p.endswith("/" + o):
                        p = o
            msg = t[6]
            for bad, good in wording_fixes:
                msg = msg.replace(bad, good)
            return (p,) + t[1:6] + (msg,)
        expected = {norm(t) for t in expected}
        if args.positions_only:
            strip = lambda s: {t[:6] for t in s}
            expected, got = strip(expected), strip(got)
        if case in deliberate:
            kind, reason = deliberate[case]
            if expected != got and (kind == "differs" or expected <= got):
                print(f"== {case}: deliberate difference ({kind}): {reason}")
                continue
        if expected != got:
            differing += 1
            print(f"== {case}")
            for t in sorted(expected - got, key=str):
                print("  buf only:       ", t)
            for t in sorted(got - expected, key=str):
                print("  protosync only: ", t)
    print(f"{len(cases) - differing} cases agree, {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
