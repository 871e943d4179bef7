#!/usr/bin/env python3
"""Compare a tool's breaking-change findings with the mutation manifest.

    check-findings.py buf       mutations.json buf-output.jsonl
    check-findings.py protosync mutations.json protosync-output.json
    check-findings.py compare   buf-output.jsonl protosync-output.json

buf output: `buf breaking --error-format json` (one JSON object per line with
path/start_line/type). protosync output: `--format json`, i.e.
{"findings":[...],"summary":{...}}; each finding is searched for a string
ending in ".proto" (its file) and for buf-style rule ids.

Prints a one-line summary first, then details per mutation kind and the
misses. Python 3 stdlib only.
"""

import json
import re
import sys
from collections import defaultdict

PROTO_RE = re.compile(r"((?:google|grafeas|gapic)/[^\s\"']+\.proto)")


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def load_findings(kind, path):
    """-> list of (file, set_of_strings)"""
    out = []
    text = open(path, encoding="utf-8", errors="replace").read()
    if kind == "buf":
        for line in text.splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            d = json.loads(line)
            m = PROTO_RE.search(d.get("path", ""))
            out.append((m.group(1) if m else d.get("path", ""), set(strings(d))))
    else:
        d = json.loads(text[text.index("{"):])
        for f in d.get("findings", []):
            ss = set(strings(f))
            file = next((PROTO_RE.search(s).group(1) for s in ss if PROTO_RE.search(s)), "")
            out.append((file, ss))
    return out


def keyset(kind, path):
    out = set()
    text = open(path, encoding="utf-8", errors="replace").read()
    if kind == "buf":
        rows = [json.loads(l) for l in text.splitlines() if l.strip().startswith("{")]
        for d in rows:
            m = PROTO_RE.search(d.get("path", ""))
            out.add((m.group(1) if m else d.get("path"), d.get("type"),
                     d.get("start_line"), d.get("message")))
    else:
        for f in json.loads(text[text.index("{"):]).get("findings", []):
            m = PROTO_RE.search(f.get("path", ""))
            out.add((m.group(1) if m else f.get("path"), f.get("rule"),
                     f.get("start_line"), f.get("message")))
    return out


def compare(buf_path, ps_path):
    b, p = keyset("buf", buf_path), keyset("protosync", ps_path)
    same = "identical" if b == p else "DIFFERENT"
    print(f"buf {len(b)} vs protosync {len(p)} findings: {same} "
          f"(by file, rule, start line, message; {len(b - p)} only in buf, "
          f"{len(p - b)} only in protosync)")
    for title, xs in (("only in buf", b - p), ("only in protosync", p - b)):
        for x in sorted(xs, key=str)[:100]:
            print(f"  {title}: {x}")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    kind, manifest_path, findings_path = sys.argv[1:]
    manifest = json.load(open(manifest_path, encoding="utf-8"))
    findings = load_findings(kind, findings_path)
    by_file = defaultdict(list)
    for file, ss in findings:
        by_file[file].append(ss)

    muts = manifest["mutations"]
    mutated_files = {m["file"] for m in muts}
    per_kind = defaultdict(lambda: [0, 0, 0])  # total, flagged, rule matched
    missed, false_pos = [], []
    for m in muts:
        fs = by_file.get(m["file"], [])
        flagged = bool(fs)
        rule_ok = any(r in ss for ss in fs for r in m["rules"]) if m["rules"] else not flagged
        k = per_kind[m["kind"]]
        k[0] += 1
        k[1] += flagged
        k[2] += rule_ok
        if m["breaking"] and not flagged:
            missed.append(m)
        if not m["breaking"] and flagged:
            false_pos.append(m)
    stray = sorted(f for f in by_file if f not in mutated_files)
    nb = sum(1 for m in muts if m["breaking"])
    det = sum(1 for m in muts if m["breaking"] and by_file.get(m["file"]))
    print(f"{len(findings)} findings; {det}/{nb} breaking mutations flagged, "
          f"{len(false_pos)}/{len(muts) - nb} non-breaking mutations flagged, "
          f"{len(stray)} files flagged that have no mutation")
    print()
    print("kind | mutations | file flagged | expected rule seen")
    for k in sorted(per_kind):
        t, f, r = per_kind[k]
        print(f"{k} | {t} | {f} | {r}")
    for title, lst in (("missed (breaking, not flagged)", missed),
                       ("flagged although expected non-breaking", false_pos)):
        if lst:
            print(f"\n{title}:")
            for m in lst:
                print(f"  {m['kind']} {m['file']}:{m['line']} {m['element']}")
    if stray:
        print("\nflagged files without a mutation:")
        for f in stray[:50]:
            print(f"  {f}: {len(by_file[f])} findings")


if __name__ == "__main__":
    main()
