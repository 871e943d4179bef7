#!/usr/bin/env bash
# `breaking --against '.git#tag=v*'` on 50 releases of a 400-file module, against a
# single-release run of the same proposal.
# Generates (deterministically, fixed dates) bench/.cache/against-tags: 20 packages × 20 files,
# each with 3 messages and an import of its package's previous file; releases v1.0.0 to v1.49.0,
# each adding a field to 8 files (the releases share most of their blobs). The working tree
# is the proposal: one field of a v1.0.0 message deleted, one retyped, one message added.
# Times both runs with hyperfine when installed (else `time`, best of $RUNS) and prints the
# findings line count of each.
# Usage: cargo build --release && bash bench/against-tags.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${PROTOSYNC:-$ROOT/target/release/protosync}"
RUNS="${RUNS:-5}"
[ -x "$BIN" ] || { echo "build first: cargo build --release (or PROTOSYNC=path/to/protosync)" >&2; exit 1; }
REPO="$ROOT/bench/.cache/against-tags"

generate() {
  rm -rf "$REPO"
  mkdir -p "$REPO"
  git -C "$REPO" init -q -b main
  python3 - "$REPO" <<'EOF'
import os, subprocess, sys
repo = sys.argv[1]
PKGS, FILES, RELEASES, CHANGED = 20, 20, 50, 8
env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
           GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost",
           GIT_CONFIG_NOSYSTEM="1")
# extra[(p, f)] = number of fields added to the file's first message so far
extra = {}
def text(p, f, proposal=False):
    pkg = f"acme.p{p:02}.v1"
    out = ['syntax = "proto3";', f"package {pkg};", ""]
    if f > 0:
        out.append(f'import "acme/p{p:02}/v1/f{f - 1:02}.proto";')
        out.append("")
    for m in range(3):
        out.append(f"// Message {m} of file {f} in package {p}.")
        out.append(f"message M{f:02}x{m} {{")
        fields = [("string", "id", 1), ("int64", "amount", 2), ("string", "note", 3), ("bool", "done", 4)]
        if proposal and (p, f, m) == (0, 0, 0):
            fields[1] = ("string", "amount", 2)   # retyped: breaks every release
            del fields[2]                          # deleted: breaks every release
        for ty, name, n in fields:
            out.append(f"  {ty} {name} = {n};")
        if f > 0 and m == 0:
            out.append(f"  M{f - 1:02}x0 previous = 10;")
        if m == 0:
            for k in range(extra.get((p, f), 0)):
                out.append(f"  string added_{k} = {20 + k};")
        out.append("}")
        out.append("")
    if proposal and (p, f) == (1, 1):
        out += ["message Added {", "  string id = 1;", "}", ""]
    return "\n".join(out)
def write_all(proposal=False):
    for p in range(PKGS):
        for f in range(FILES):
            path = os.path.join(repo, "proto", "acme", f"p{p:02}", "v1", f"f{f:02}.proto")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text(p, f, proposal))
def git(*args, date=None):
    e = dict(env)
    if date:
        e["GIT_AUTHOR_DATE"] = e["GIT_COMMITTER_DATE"] = date
    subprocess.run(["git", "-C", repo, *args], check=True, env=e)
for r in range(RELEASES):
    if r > 0:
        for i in range(CHANGED):
            k = (r * CHANGED + i) * 7 % (PKGS * FILES)
            key = (k // FILES, k % FILES)
            extra[key] = extra.get(key, 0) + 1
    write_all()
    git("add", "-A")
    git("commit", "-q", "-m", f"release {r}", date=f"{1767225600 + r * 86400} +0000")
    git("tag", "-a", f"v1.{r}.0", "-m", f"v1.{r}.0", date=f"{1767225600 + r * 86400} +0000")
write_all(proposal=True)
EOF
  git -C "$REPO" -c gc.autoDetach=false gc -q
}

[ -d "$REPO/.git" ] || generate
echo "repository: $(git -C "$REPO" tag | wc -l) tags, $(find "$REPO/proto" -name '*.proto' | wc -l) files," \
  "$(git -C "$REPO" count-objects -vH | grep -E 'size-pack' | tr '\n' ' ')"
cd "$REPO"
ALL=".git#tag=v*,subdir=proto"
ONE=".git#tag=v1.49.0,subdir=proto"
echo "findings against every release: $("$BIN" breaking proto --against "$ALL" | wc -l)"
echo "findings against v1.49.0 only:  $("$BIN" breaking proto --against "$ONE" | wc -l)"
"$BIN" breaking proto --against "$ALL" | head -3 || true  # exits 1: the findings
if command -v hyperfine >/dev/null; then
  hyperfine -N -i -w 1 -r "$RUNS" \
    -n "against 50 releases" "$BIN breaking proto --against $ALL" \
    -n "against one release" "$BIN breaking proto --against $ONE"
else
  for spec in "$ALL" "$ONE"; do
    echo "$spec:"
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -f "  %e s wall, %M KB peak" "$BIN" breaking proto --against "$spec" >/dev/null || true
    done
  done
fi
/usr/bin/time -f "peak memory, every release: %M KB" "$BIN" breaking proto --against "$ALL" >/dev/null || true
