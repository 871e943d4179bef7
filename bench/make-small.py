#!/usr/bin/env python3
"""Lay out the pre-commit-sized benchmark input under bench/.cache/small/.

    small/previous/   one API family (default google/cloud/dialogflow/cx/v3),
                      as an include root (google/cloud/...)
    small/current/    the same family with a few mutations (bench/mutate.py)
    small/deps/       everything the family imports, transitively, except
                      google/protobuf/** (every tool has the well-known types
                      built in); used as an extra import root (--include / -I)
    small/mutations.json

The family + deps are at most 50 .proto files. Python 3 stdlib only,
deterministic.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache"
IMPORT_RE = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.M)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=CACHE / "googleapis")
    ap.add_argument("--out", type=Path, default=CACHE / "small")
    ap.add_argument("--family", default="google/cloud/dialogflow/cx/v3")
    ap.add_argument("-n", "--count", type=int, default=3, help="mutations in current/")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-files", type=int, default=50)
    ap.add_argument("--protoc", default=None)
    args = ap.parse_args()

    root = args.root.resolve()
    fam_dir = root / args.family
    family = sorted(p.relative_to(root).as_posix() for p in fam_dir.glob("*.proto"))
    if not family:
        sys.exit(f"make-small.py: no .proto files in {fam_dir}")

    seen, todo = set(), list(family)
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        src = (root / f).read_text(encoding="utf-8")
        todo.extend(i for i in IMPORT_RE.findall(src) if i not in seen)
    deps = sorted(f for f in seen - set(family) if not f.startswith("google/protobuf/"))
    total = len(family) + len(deps)
    if total > args.max_files:
        sys.exit(f"make-small.py: {args.family} needs {total} files (> {args.max_files})")

    out = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    for sub, files in (("previous", family), ("deps", deps)):
        for f in files:
            dst = out / sub / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / f, dst)

    cmd = [sys.executable, str(BENCH_DIR / "mutate.py"),
           "--root", str(out / "previous"), "--out", str(out / "current"),
           "--manifest", str(out / "mutations.json"),
           "--include", str(out / "deps"),
           "-n", str(args.count), "--seed", str(args.seed)]
    if args.protoc:
        cmd += ["--protoc", args.protoc]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    print(f"small input: {out} ({len(family)} files of {args.family} + "
          f"{len(deps)} imported files in deps/ = {total}; {args.count} mutations "
          f"in current/, see {out / 'mutations.json'})")


if __name__ == "__main__":
    main()
