#!/usr/bin/env python3
"""Widened differential: protosync vs buf 1.75 (findings) and vs protoc 36.2 (acceptance).

    python3 bench/differential.py [-n 3] [--seed 11] [-j 2] [--kinds a,b] [PROTOSYNC=path]

Corpora (bench/fetch-diff-corpora.sh, run when missing): protobuf's own test protos
(proto2/proto3/editions, groups, extensions), envoy/xds/udpa/validate (envoy-types crate),
googleapis-common-protos. Each is cut into small modules: one seed file plus its transitive
imports (protoc's bundled google/protobuf/*.proto excluded), kept when protoc 36.2 and
`buf build` accept it.

For every mutation kind (bench/mutations.py) and i < n, a seeded choice of module/file/site;
previous/ = module, current/ = mutated module. Acceptance: protoc 36.2 on current/ vs
`protosync breaking current --against current` (exit 2 = refused). Findings, for each of FILE,
PACKAGE, WIRE_JSON, WIRE with the same v2 buf.yaml in both trees: `buf breaking current
--against previous --error-format json` vs `protosync breaking current --against previous
--format json`, compared as multisets of (path, start line, start column, rule).
Only when protoc accepts current/ (a valid-kind mutation protoc refuses is retried
elsewhere, up to 12 tries; the refused tries still count for acceptance).

Writes bench/.cache/differential/report.md, results.json, and one reproducer directory per
disagreement under bench/.cache/differential/disagreements/<kind>-<i>/.
"""
import argparse
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mutations  # noqa: E402
from protoedit import ProtoFile  # noqa: E402

CACHE = os.path.join(HERE, ".cache")
CORPORA = os.path.join(CACHE, "diff", "corpora")
OUT = os.path.join(CACHE, "differential")
CATS = ["FILE", "PACKAGE", "WIRE_JSON", "WIRE"]
TOOLS = {}


def sh(cmd, cwd=None, timeout=120):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, BUF_CACHE_DIR=os.path.join(CACHE, "buf-cache")))
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return -9, "", "timeout"


def tools(args):
    env = subprocess.run(["bash", "-c", f"source '{HERE}/install-tools.sh' >&2 && echo \"$BUF\" && echo \"$PROTOC_PYPI\""],
                         capture_output=True, text=True)
    lines = env.stdout.split()
    if len(lines) < 2:
        sys.exit("install-tools.sh failed:\n" + env.stderr)
    TOOLS["buf"], TOOLS["protoc"] = lines[0], lines[1]
    TOOLS["protosync"] = os.path.abspath(args.protosync)
    if not os.access(TOOLS["protosync"], os.X_OK):
        sys.exit(f"no protosync binary at {TOOLS['protosync']} (build it, or pass PROTOSYNC=path)")
    inc = os.path.join(os.path.dirname(os.path.dirname(TOOLS["protoc"])), "include")
    wkt = set()
    for d, _, fs in os.walk(inc):
        for f in fs:
            if f.endswith(".proto"):
                wkt.add(os.path.relpath(os.path.join(d, f), inc))
    TOOLS["wkt"] = wkt


# ------------------------------------------------------------------ corpora and modules
def read(p):
    with open(p, encoding="utf-8", errors="replace") as f:
        return f.read()


def write_tree(root, files):
    for p, t in files.items():
        if t is None:
            continue
        dst = os.path.join(root, p)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "w", encoding="utf-8") as f:
            f.write(t)


def buf_yaml(cat):
    return f"version: v2\nbreaking:\n  use:\n    - {cat}\n"


def closure(corpus_root, seed, wkt, limit):
    seen, todo = [], [seed]
    while todo:
        p = todo.pop()
        if p in seen or p in wkt:
            continue
        full = os.path.join(corpus_root, p)
        if not os.path.exists(full):
            return None
        seen.append(p)
        if len(seen) > limit:
            return None
        todo.extend(ProtoFile(p, read(full)).imports)
    return seen


EDITION_LINE = re.compile(r"^\s*edition\s*=", re.M)


def protoc_check(root, files):
    """protoc's verdict as scripts/record-protoc.sh takes it: `-o`, and for editions files also
    `--cpp_out` (the C++ generator's ctype/string_type checks, which buf makes too)."""
    targets = sorted(p for p in files if files[p] is not None)
    rc, _, err = sh([TOOLS["protoc"], "-I", ".", "-o", os.devnull] + targets, cwd=root)
    if rc == 0 and any(EDITION_LINE.search(read(os.path.join(root, t)) or "") for t in targets):
        with tempfile.TemporaryDirectory() as out:
            rc, _, err = sh([TOOLS["protoc"], "-I", ".", f"--cpp_out={out}"] + targets, cwd=root)
    return rc == 0, err.strip()


SEEDS = {
    # corpus: (max seeds, max files per module)
    "protobuf": (80, 25),
    "envoy": (36, 70),
    "gapi": (40, 25),
}


def build_modules(seed, jobs):
    mdir = os.path.join(CACHE, "diff", "modules")
    index = os.path.join(mdir, "index.json")
    if os.path.exists(index):
        return json.load(open(index))
    shutil.rmtree(mdir, ignore_errors=True)
    rng = random.Random(seed)
    cands = []
    for corpus, (maxn, limit) in SEEDS.items():
        root = os.path.join(CORPORA, corpus)
        allp = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
                      if f.endswith(".proto"))
        allp = [p for p in allp if p not in TOOLS["wkt"]]
        rng.shuffle(allp)
        seen_sets = set()
        for p in allp:
            cl = closure(root, p, TOOLS["wkt"], limit)
            if not cl or frozenset(cl) in seen_sets:
                continue
            seen_sets.add(frozenset(cl))
            cands.append((corpus, p, cl))
            if sum(1 for c in cands if c[0] == corpus) >= maxn:
                break

    def check(i_c):
        i, (corpus, p, cl) = i_c
        name = f"{corpus}-{i:03d}"
        d = os.path.join(mdir, name)
        files = {q: read(os.path.join(CORPORA, corpus, q)) for q in cl}
        write_tree(d, files)
        ok, err = protoc_check(d, files)
        if ok:
            with open(os.path.join(d, "buf.yaml"), "w") as f:
                f.write(buf_yaml("FILE"))
            # `buf build` is not enough: buf breaking also builds an image, which refuses more
            # (e.g. MessageSets in editions files)
            rc, o, e = sh([TOOLS["buf"], "breaking", d, "--against", d, "--error-format", "json"])
            ok = rc == 0
            err = (o + e).strip()
            os.remove(os.path.join(d, "buf.yaml"))
        if not ok:
            shutil.rmtree(d, ignore_errors=True)
            return None
        return {"name": name, "corpus": corpus, "seed": p, "files": sorted(cl)}

    with ThreadPoolExecutor(jobs) as ex:
        mods = [m for m in ex.map(check, enumerate(cands)) if m]
    json.dump(mods, open(index, "w"), indent=1)
    return mods


_MODS = {}


def load_module(m):
    if m["name"] not in _MODS:
        d = os.path.join(CACHE, "diff", "modules", m["name"])
        _MODS[m["name"]] = {p: read(os.path.join(d, p)) for p in m["files"]}
    return dict(_MODS[m["name"]])


_PARSED = {}


class Ctx:
    """What a mutation kind sees. Parses are shared across modules (same path and text, same parse):
    kinds only read them."""

    def __init__(self, files, rng, target):
        self.files, self.rng, self.target = files, rng, target

    def pf(self, p):
        key = (p, hash(self.files[p]))
        got = _PARSED.get(key)
        if got is None or got.text != self.files[p]:
            got = _PARSED[key] = ProtoFile(p, self.files[p])
        return got


# ------------------------------------------------------------------ running the tools
def norm_path(p):
    p = p or ""
    for pre in ("current/", "previous/"):
        if p.startswith(pre):
            return p[len(pre):]
    return p


def run_buf(w):
    rc, o, e = sh([TOOLS["buf"], "breaking", "current", "--against", "previous", "--error-format", "json"], cwd=w)
    rows, compile_err = [], []
    for line in o.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        d = json.loads(line)
        if d.get("type") == "COMPILE":
            compile_err.append(line)
            continue
        # an unlocated finding: buf prints 1:1 and no path, protosync null (as scripts/buf-parity.py)
        rows.append((norm_path(d.get("path")), d.get("start_line") or 1, d.get("start_column") or 1, d.get("type")))
    status = "error" if compile_err or rc not in (0, 100) else "ok"
    return {"status": status, "findings": rows, "raw": o + e, "rc": rc}


def run_protosync(w, cur="current", prev="previous"):
    rc, o, e = sh([TOOLS["protosync"], "breaking", cur, "--against", prev, "--format", "json"], cwd=w)
    if rc not in (0, 1):
        return {"status": "error", "findings": [], "raw": o + e, "rc": rc}
    try:
        doc = json.loads(o)
    except ValueError:
        return {"status": "error", "findings": [], "raw": o + e, "rc": rc}
    # Both tools name files as reached from the working directory (`current/…`, `previous/…`);
    # both are compared without that prefix, and a protosync path without it is an error here.
    paths = [f.get("path") for f in doc.get("findings", []) if f.get("path")]
    if any(not p.startswith(("current/", "previous/")) for p in paths):
        return {"status": "error", "findings": [], "raw": "path not named as buf names it\n" + o + e, "rc": rc}
    rows = [(norm_path(f.get("path")), f.get("start_line") or 1, f.get("start_column") or 1, f.get("rule"))
            for f in doc.get("findings", [])]
    return {"status": "ok", "findings": rows, "raw": o + e, "rc": rc}


def set_cat(w, cat):
    for t in ("previous", "current"):
        with open(os.path.join(w, t, "buf.yaml"), "w") as f:
            f.write(buf_yaml(cat))


def acceptance(w):
    files = {}
    root = os.path.join(w, "current")
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(".proto"):
                files[os.path.relpath(os.path.join(d, f), root)] = ""
    ok, err = protoc_check(root, files)
    set_cat(w, "FILE")
    ps = run_protosync(w, "current", "current")
    return {"protoc": ok, "protoc_err": err[:1500], "protosync": ps["status"] == "ok",
            "protosync_err": ps["raw"][:1500] if ps["status"] != "ok" else ""}


def prepare(w, prev, cur):
    shutil.rmtree(w, ignore_errors=True)
    write_tree(os.path.join(w, "previous"), prev)
    write_tree(os.path.join(w, "current"), cur)


def compare_cat(w, cat):
    set_cat(w, cat)
    b = run_buf(w)
    p = run_protosync(w)
    agree = b["status"] == p["status"] == "ok" and Counter(b["findings"]) == Counter(p["findings"])
    return {"buf": b, "protosync": p, "agree": agree}


def minimize(prev, cur, changed, w, cat):
    """Drop module files that neither side's changed files reach; keep if the disagreement persists."""
    def reach(files, start):
        seen, todo = set(), [s for s in start if s in files and files[s] is not None]
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            todo.extend(i for i in ProtoFile(p, files[p]).imports if i in files and files[i] is not None)
        return seen
    keep = reach(prev, changed) | reach(cur, changed)
    # importers of the changed files are dropped too, unless they are changed themselves
    p2 = {k: v for k, v in prev.items() if k in keep}
    c2 = {k: v for k, v in cur.items() if k in keep}
    if len(p2) == len(prev) and len(c2) == len(cur):
        return prev, cur
    prepare(w, p2, c2)
    ok, _ = protoc_check(os.path.join(w, "current"), c2)
    if ok and not compare_cat(w, cat)["agree"]:
        return p2, c2
    return prev, cur


# ------------------------------------------------------------------ deliberate differences
PKG_RULES = {"PACKAGE_MESSAGE_NO_DELETE": ("message", "group"), "PACKAGE_ENUM_NO_DELETE": ("enum",),
             "PACKAGE_EXTENSION_NO_DELETE": ("extension",)}


WKT_FILES = {f"google/protobuf/{n}.proto" for n in (
    "any", "api", "descriptor", "duration", "empty", "field_mask", "source_context", "struct",
    "timestamp", "type", "wrappers", "compiler/plugin", "cpp_features", "java_features", "go_features")}


def imports_compared(cur, buf_only, ps_only, buf_raw):
    """buf compares the files an input imports unless --exclude-imports; protosync compares only the
    input's own files (docs/PARITY.md). When the last importer of a well-known type goes, buf reports
    the WKT file / package / its types deleted. True when every buf-only finding is such a one."""
    if ps_only or not buf_only or any(p in WKT_FILES for p in cur):
        return False
    raw = []
    for line in (buf_raw or "").splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            raw.append(((norm_path(d.get("path")), d.get("start_line") or 1, d.get("start_column") or 1,
                         d.get("type")), d.get("message", "")))
    # buf-only is a multiset difference: as many findings at that place as buf-only ones there must
    # be about well-known types (the others are matched by protosync's findings)
    for f, n in Counter(tuple(f) for f in buf_only).items():
        wkt = sum(1 for k, m in raw if k == f and (any(w in m for w in WKT_FILES) or '"google.protobuf"' in m))
        if wkt < n:
            return False
    return True


def deliberate(cur, buf_only, ps_only, buf_raw=None, prev=None):
    """The name of the docs/PARITY.md deliberate difference that explains the whole disagreement, or None.
    package_no_delete_last_type_quirk: buf is silent on PACKAGE_{MESSAGE,ENUM,EXTENSION}_NO_DELETE when
    the package no longer declares any element of that kind; protosync reports them.
    message_same_required_fields_editions: MESSAGE_SAME_REQUIRED_FIELDS with LEGACY_REQUIRED."""
    if not ps_only and not buf_only:
        return None
    if imports_compared(cur, buf_only, ps_only, buf_raw):
        return "imports_not_compared"
    pfs = {p: ProtoFile(p, t) for p, t in cur.items() if t is not None}
    by_pkg = defaultdict(Counter)
    for pf in pfs.values():
        for e in pf.root.walk():
            if e.kind in ("message", "group", "enum"):
                by_pkg[pf.package][e.kind] += 1
            elif e.kind in ("field", "group") and e.parent is not None and e.parent.kind == "extend":
                by_pkg[pf.package]["extension"] += 1
    if not buf_only and all(f[3] in PKG_RULES for f in ps_only):
        ok = True
        for f in ps_only:
            pf = pfs.get(f[0])
            if pf is None and not f[0]:
                # unlocated (the package's files are gone): the quirk holds when no current package
                # declares an element of that kind
                if any(by_pkg[pk][k] for pk in by_pkg for k in PKG_RULES[f[3]]):
                    ok = False
            elif pf is None or any(by_pkg[pf.package][k] for k in PKG_RULES[f[3]]):
                ok = False
        if ok:
            return "package_no_delete_last_type_quirk"
    if all(f[3] == "MESSAGE_SAME_REQUIRED_FIELDS" for f in list(buf_only) + list(ps_only)) and (
            "LEGACY_REQUIRED" in "".join(t for side in (cur, prev or {}) for t in side.values() if t)):
        return "message_same_required_fields_editions"
    return None


# ------------------------------------------------------------------ one mutation
def one(task):
    kind_name, i, seed, modules = task
    fn = mutations.VALID.get(kind_name) or mutations.INVALID[kind_name]
    valid = kind_name in mutations.VALID
    rng = random.Random(f"{seed}:{kind_name}:{i}")
    w = os.path.join(OUT, "work", f"{kind_name}-{i}")
    res = {"kind": kind_name, "i": i, "valid": valid, "tries": [], "cats": {}}
    corpora = sorted({m["corpus"] for m in modules})
    first = corpora[i % len(corpora)]
    cands = [(m, p) for m in modules for p in m["files"]]
    rng.shuffle(cands)
    cands.sort(key=lambda c: c[0]["corpus"] != first)  # stable: this i's corpus first, then the others
    seen = set()
    fn_calls = 0
    for m, target in cands:
        if (m["corpus"], target) in seen or fn_calls >= 400 or len(res["tries"]) >= 12:
            continue
        seen.add((m["corpus"], target))
        fn_calls += 1
        prev = load_module(m)
        try:
            r = fn(Ctx(prev, rng, target))
        except (IndexError, AttributeError, ValueError, TypeError, StopIteration, KeyError):
            r = None
        if not r:
            continue
        cur = dict(prev)
        for p, t in r["files"].items():
            if t is None:
                cur.pop(p, None)
            else:
                cur[p] = t
        prepare(w, prev, cur)
        acc = acceptance(w)
        tr = {"module": m["name"], "corpus": m["corpus"], "file": r["file"], "line": r["line"],
              "detail": r["detail"], **acc}
        res["tries"].append(tr)
        if not acc["protoc"] == acc["protosync"]:
            save(res, tr, prev, cur, w, None, len(res["tries"]) - 1)
        if valid and not acc["protoc"]:
            continue
        if valid and acc["protoc"]:
            changed = list(r["files"])
            for cat in CATS:
                c = compare_cat(w, cat)
                res["cats"][cat] = {"agree": c["agree"], "buf": c["buf"]["status"], "ps": c["protosync"]["status"],
                                    "nbuf": len(c["buf"]["findings"]), "nps": len(c["protosync"]["findings"]),
                                    "buf_only": sorted(map(list, (Counter(c["buf"]["findings"]) - Counter(c["protosync"]["findings"])).elements())),
                                    "ps_only": sorted(map(list, (Counter(c["protosync"]["findings"]) - Counter(c["buf"]["findings"])).elements()))}
                x = res["cats"][cat]
                x["deliberate"] = None
                if not c["agree"] and x["buf"] == x["ps"] == "ok":
                    x["deliberate"] = deliberate(cur, x["buf_only"], x["ps_only"], c["buf"]["raw"], prev)
                if not c["agree"]:
                    res["cats"][cat]["buf_raw"] = c["buf"]["raw"][-3000:]
                    res["cats"][cat]["ps_raw"] = c["protosync"]["raw"][-3000:]
            # buf refusing what protoc accepts (buf is stricter in a few places) is not a protosync
            # disagreement on findings: such mutations are listed apart and not counted
            res["buf_refused"] = all(res["cats"][c]["buf"] == "error" for c in CATS)
            if res["buf_refused"]:
                res["buf_error"] = c["buf"]["raw"][:600]
            bad = [c for c in CATS if not res["cats"][c]["agree"] and not res["buf_refused"]
                   and not res["cats"][c]["deliberate"]]
            if bad:
                p2, c2 = minimize(prev, cur, changed, w, bad[0])
                save(res, tr, p2, c2, w, bad, None)
            res["module"], res["file"], res["line"], res["detail"] = m["name"], r["file"], r["line"], r["detail"]
        break
    shutil.rmtree(w, ignore_errors=True)
    return res


def save(res, tr, prev, cur, w, bad_cats, try_idx):
    name = f"{res['kind']}-{res['i']}" + (f"-accept{try_idx}" if try_idx is not None else "")
    d = os.path.join(OUT, "disagreements", name)
    shutil.rmtree(d, ignore_errors=True)
    write_tree(os.path.join(d, "previous"), prev)
    write_tree(os.path.join(d, "current"), cur)
    info = {k: v for k, v in tr.items()}
    diff = []
    for p in sorted(set(prev) | set(cur)):
        a, b = prev.get(p), cur.get(p)
        if a != b:
            diff.extend(difflib.unified_diff((a or "").splitlines(True), (b or "").splitlines(True),
                                             f"previous/{p}", f"current/{p}"))
    with open(os.path.join(d, "mutation.diff"), "w") as f:
        f.writelines(diff)
    if bad_cats is None:
        info["what"] = "acceptance"
        with open(os.path.join(d, "buf.yaml"), "w") as f:
            f.write(buf_yaml("FILE"))
        with open(os.path.join(d, "protoc.txt"), "w") as f:
            f.write(("accepted\n" if tr["protoc"] else "refused\n") + tr["protoc_err"] + "\n")
        with open(os.path.join(d, "protosync.txt"), "w") as f:
            f.write(("accepted\n" if tr["protosync"] else "refused\n") + tr["protosync_err"] + "\n")
    else:
        info["what"] = "findings"
        info["categories"] = bad_cats
        with open(os.path.join(d, "buf.yaml"), "w") as f:
            f.write(buf_yaml(bad_cats[0]))
        for cat in bad_cats:
            c = res["cats"][cat]
            with open(os.path.join(d, f"buf.{cat}.jsonl"), "w") as f:
                f.write(c.get("buf_raw", ""))
            with open(os.path.join(d, f"protosync.{cat}.json"), "w") as f:
                f.write(c.get("ps_raw", ""))
            with open(os.path.join(d, f"diff.{cat}.txt"), "w") as f:
                for t in c["buf_only"]:
                    f.write("buf only:       " + json.dumps(t) + "\n")
                for t in c["ps_only"]:
                    f.write("protosync only: " + json.dumps(t) + "\n")
    with open(os.path.join(d, "mutation.json"), "w") as f:
        json.dump(info, f, indent=1)


# ------------------------------------------------------------------ classes of disagreement
def _generic(msg):
    """An error line with names, paths and numbers blanked, to group alike messages."""
    import re
    line = next((l for l in msg.splitlines() if l.strip() and not l.startswith(("   ", " |", "warning:"))
                 and "warning:" not in l[:60]), msg)[:300]
    line = re.sub(r"^(error: )?(against does not compile: |input does not compile: )?", "", line)
    line = re.sub(r"^[^\s:]+\.proto:\d+:\d+:\s*", "", line)
    line = re.sub(r'"[^"]*"|\'[^\']*\'|`[^`]*`', "X", line)
    return re.sub(r"\b\d+\b", "N", line).strip()


def findings_class(c):
    if c["ps"] != "ok":
        return "protosync refuses an input protoc and buf accept: " + _generic(c.get("ps_raw", ""))
    bo = [tuple(x) for x in c["buf_only"]]
    po = [tuple(x) for x in c["ps_only"]]
    parts = []
    for b in list(bo):
        m = next((p for p in po if p[0] == b[0] and p[3] == b[3]), None)
        if m:
            bo.remove(b)
            po.remove(m)
            parts.append(f"{b[3]} located differently")
    parts += [f"buf only {b[3]}" for b in bo] + [f"protosync only {p[3]}" for p in po]
    return "; ".join(sorted(set(parts)))


def acceptance_class(t):
    if t["protoc"]:
        return "protosync refuses what protoc accepts: " + _generic(t["protosync_err"])
    return "protosync accepts what protoc refuses: " + _generic(t["protoc_err"])


# ------------------------------------------------------------------ report
def pct(a, b):
    return f"{100.0 * a / b:.1f}% ({a}/{b})" if b else "-"


def report(results, identity, modules, args, elapsed):
    lines = [f"# protosync differential (seed {args.seed}, n {args.n})", "",
             f"protosync: `{TOOLS['protosync']}`; buf {sh([TOOLS['buf'], '--version'])[1].strip()}; "
             f"{sh([TOOLS['protoc'], '--version'])[1].strip()}; {elapsed:.0f} s, {args.jobs} jobs.", "",
             "Modules: " + ", ".join(f"{c} {n}" for c, n in sorted(Counter(m['corpus'] for m in modules).items()))
             + " (seed file + transitive imports; protoc compiles each and `buf breaking M --against M` passes).", ""]
    lines += ["## Summary", "", "| measure | protosync vs reference | mutations/inputs |", "| --- | --- | --- |"]
    for cat in CATS:
        rs = [r for r in results if cat in r["cats"] and not r.get("buf_refused")]
        ag = sum(1 for r in rs if r["cats"][cat]["agree"] or r["cats"][cat].get("deliberate"))
        dl = sum(1 for r in rs if r["cats"][cat].get("deliberate"))
        nb = sum(r["cats"][cat]["nbuf"] for r in rs)
        matched = nb - sum(len(r["cats"][cat]["buf_only"]) for r in rs)
        nps = sum(r["cats"][cat]["nps"] for r in rs)
        lines.append(f"| findings {cat} (path, line, column, rule) identical to buf | {pct(ag, len(rs))} | "
                     f"buf findings matched {matched}/{nb}, protosync findings {nps}; {dl} deliberate (docs/PARITY.md) |")
    tries = [t for r in results for t in r["tries"]]
    acc = sum(1 for t in tries if t["protoc"] == t["protosync"])
    lines.append(f"| acceptance: protosync accepts iff protoc 36.2 does (mutated inputs) | {pct(acc, len(tries))} | "
                 f"protoc accepted {sum(t['protoc'] for t in tries)}, protosync {sum(t['protosync'] for t in tries)} |")
    ida = sum(1 for x in identity if x["protosync"])
    lines.append(f"| baseline: protosync accepts the unmodified module (protoc and buf do) | {pct(ida, len(identity))} | |")
    idf = sum(1 for x in identity if x.get("self_clean"))
    lines.append(f"| baseline: `breaking M --against M` clean, FILE | {pct(idf, len(identity))} | |")
    for k in ("valid-refused", "invalid-accepted"):
        pass
    va = [t for r in results if r["valid"] for t in r["tries"]]
    ia = [t for r in results if not r["valid"] for t in r["tries"]]
    lines += ["", f"Valid kinds: {len(va)} inputs, protoc refused {sum(not t['protoc'] for t in va)}, "
              f"protosync refused {sum(not t['protosync'] for t in va)}, of which protoc accepted "
              f"{sum(t['protoc'] and not t['protosync'] for t in va)}. Invalid kinds: {len(ia)} inputs, protoc accepted "
              f"{sum(t['protoc'] for t in ia)}, protosync accepted {sum(t['protosync'] for t in ia)}, of which protoc refused "
              f"{sum(t['protosync'] and not t['protoc'] for t in ia)}.", ""]
    lines += ["## Per kind", "", "| kind | valid | mutations compared | FILE | PACKAGE | WIRE_JSON | WIRE | acceptance | corpora |",
              "| --- | --- | ---: | --- | --- | --- | --- | --- | --- |"]
    by = defaultdict(list)
    for r in results:
        by[r["kind"]].append(r)
    for k in sorted(by):
        rs = by[k]
        cells = []
        for cat in CATS:
            x = [r for r in rs if cat in r["cats"] and not r.get("buf_refused")]
            cells.append(f"{sum(bool(r['cats'][cat]['agree'] or r['cats'][cat].get('deliberate')) for r in x)}/{len(x)}" if x else "-")
        tr = [t for r in rs for t in r["tries"]]
        a = f"{sum(t['protoc'] == t['protosync'] for t in tr)}/{len(tr)}"
        cor = ",".join(sorted({t["corpus"] for t in tr}))
        n = sum(1 for r in rs if r["cats"] and not r.get("buf_refused"))
        lines.append(f"| {k} | {'yes' if rs[0]['valid'] else 'no'} | {n} | " + " | ".join(cells) + f" | {a} | {cor} |")
    never = sorted(set(mutations.VALID) | set(mutations.INVALID)) if not args.kinds else []
    never = [k for k in never if not any(r["tries"] for r in by.get(k, []))]
    if never:
        lines += ["", "Kinds that found no applicable site: " + ", ".join(never)]
    bad_id = [x for x in identity if not x["protosync"] or not x.get("self_clean")]
    if bad_id:
        lines += ["", "## Baseline modules protosync refuses or reports against themselves", ""]
        for x in bad_id:
            lines.append(f"- `{x['name']}` ({x['seed']}): {x['err'][:300]!r}")
    br = [r for r in results if r.get("buf_refused")]
    if br:
        lines += ["", "## Inputs protoc accepts and buf refuses (not counted in the findings rows)", ""]
        for r in br:
            lines.append(f"- {r['kind']}-{r['i']} ({r['module']}, {r['detail']}): {r['buf_error'][:300]!r}")
    classes = defaultdict(list)
    for r in results:
        for cat in CATS:
            c = r["cats"].get(cat)
            if c and not c["agree"] and not r.get("buf_refused") and not c.get("deliberate"):
                classes["findings: " + findings_class(c)].append((r["kind"], f"{r['kind']}-{r['i']}", cat))
        for k, t in enumerate(r["tries"]):
            if t["protoc"] != t["protosync"]:
                classes["acceptance: " + acceptance_class(t)].append((r["kind"], f"{r['kind']}-{r['i']}-accept{k}", "-"))
    lines += ["", "## Classes of disagreement (most frequent first)", "",
              "| class | count | kinds | reproducers |", "| --- | ---: | --- | --- |"]
    for cl, xs in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        kinds_ = sorted({x[0] for x in xs})
        reps = sorted({x[1] for x in xs})[:3]
        lines.append(f"| {cl.replace('|', '/')} | {len(xs)} | {', '.join(kinds_)} | {', '.join(reps)} |")
    lines += ["", "## Disagreements", "", "Reproducers: `bench/.cache/differential/disagreements/<kind>-<i>/`", ""]
    for r in results:
        for cat in CATS:
            c = r["cats"].get(cat)
            if c and not c["agree"] and not r.get("buf_refused") and not c.get("deliberate"):
                lines.append(f"- {r['kind']}-{r['i']} {cat} ({r['module']}, {r['detail']}): buf-only {c['buf_only'][:3]} "
                             f"protosync-only {c['ps_only'][:3]} buf={c['buf']} ps={c['ps']}")
        for t in r["tries"]:
            if t["protoc"] != t["protosync"]:
                lines.append(f"- {r['kind']}-{r['i']} acceptance ({t['module']}, {t['detail']}): protoc "
                             f"{'accepts' if t['protoc'] else 'refuses: ' + t['protoc_err'][-200:]!r}; protosync "
                             f"{'accepts' if t['protosync'] else 'refuses: ' + t['protosync_err'][-200:]!r}")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write(text)
    return text


def identity_check(m):
    w = os.path.join(OUT, "work", "identity-" + m["name"])
    files = load_module(m)
    prepare(w, files, files)
    set_cat(w, "FILE")
    p = run_protosync(w)
    shutil.rmtree(w, ignore_errors=True)
    return {"name": m["name"], "seed": m["seed"], "protosync": p["status"] == "ok",
            "self_clean": p["status"] == "ok" and not p["findings"],
            "err": (p["raw"] if p["status"] != "ok" else json.dumps(p["findings"][:3]))[-600:]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=int(os.environ.get("N", 3)), help="mutations per kind (default 3)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", 11)))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--kinds", default="", help="comma-separated kinds (default: all)")
    ap.add_argument("--protosync", default=os.environ.get("PROTOSYNC", os.path.join(os.path.dirname(HERE), "target", "release", "protosync")))
    ap.add_argument("--rebuild-modules", action="store_true")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite report.md from results.json (re-checking deliberate differences)")
    ap.add_argument("extra", nargs="*", help="PROTOSYNC=path")
    args = ap.parse_args()
    for e in args.extra:
        if e.startswith("PROTOSYNC="):
            args.protosync = e.split("=", 1)[1]
    t0 = time.time()
    tools(args)
    if args.report_only:
        doc = json.load(open(os.path.join(OUT, "results.json")))
        for r in doc["results"]:
            d = os.path.join(OUT, "disagreements", f"{r['kind']}-{r['i']}", "current")
            for c in r["cats"].values():
                if not c["agree"] and c["buf"] == c["ps"] == "ok" and os.path.isdir(d):
                    cur = {}
                    for dd, _, fs in os.walk(d):
                        for f in fs:
                            cur[os.path.relpath(os.path.join(dd, f), d)] = read(os.path.join(dd, f))
                    prev = {}
                    pd = os.path.join(os.path.dirname(d), "previous")
                    for dd, _, fs in os.walk(pd):
                        for f in fs:
                            prev[os.path.relpath(os.path.join(dd, f), pd)] = read(os.path.join(dd, f))
                    c["deliberate"] = deliberate(cur, c["buf_only"], c["ps_only"], c.get("buf_raw"), prev)
        json.dump(doc, open(os.path.join(OUT, "results.json"), "w"), indent=1)
        mods = json.load(open(os.path.join(CACHE, "diff", "modules", "index.json")))
        print(report(doc["results"], doc["identity"], mods, args, 0).split("## Per kind")[0])
        return
    if not os.path.exists(os.path.join(CORPORA, ".versions")):
        subprocess.run(["bash", os.path.join(HERE, "fetch-diff-corpora.sh")], check=True)
    if args.rebuild_modules:
        shutil.rmtree(os.path.join(CACHE, "diff", "modules"), ignore_errors=True)
    modules = build_modules(args.seed, args.jobs)
    print(f"{len(modules)} modules: {dict(Counter(m['corpus'] for m in modules))} ({time.time() - t0:.0f} s)", file=sys.stderr)
    shutil.rmtree(os.path.join(OUT, "disagreements"), ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    kinds = [k for k in list(mutations.VALID) + list(mutations.INVALID) if not args.kinds or k in args.kinds.split(",")]
    with ThreadPoolExecutor(args.jobs) as ex:
        identity = list(ex.map(identity_check, modules))
        tasks = [(k, i, args.seed, modules) for k in kinds for i in range(args.n)]
        results = []
        for n_done, r in enumerate(ex.map(one, tasks), 1):
            results.append(r)
            if n_done % 20 == 0:
                print(f"  {n_done}/{len(tasks)} ({time.time() - t0:.0f} s)", file=sys.stderr)
    json.dump({"identity": identity, "results": results}, open(os.path.join(OUT, "results.json"), "w"), indent=1)
    text = report(results, identity, modules, args, time.time() - t0)
    print(text.split("## Per kind")[0])
    print(f"report: {os.path.join(OUT, 'report.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
