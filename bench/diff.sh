#!/usr/bin/env bash
# `protosync diff` against `protosync breaking` on the same inputs: googleapis and its
# 300-mutation copy (bench/mutate.py), release build. Target: diff within 1.2x of breaking.
#
#   bash bench/fetch-corpus.sh && bash bench/diff.sh
#
# Prepares what is missing (corpus, mutated copy), then times both commands with hyperfine
# (`-N`, warm-up 1; both exit non-zero or not without mattering: `-i`), or with a Python timing
# loop when hyperfine is absent. Prints a Markdown table and the ratio; writes it to
# bench/.cache/diff-results.md.
#
# Env: RUNS (default 5), PROTOC (for mutate.py; default: the one install-tools.sh provides or
# the one on PATH), PROTOSYNC (default target/release/protosync).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
CACHE="$BENCH_DIR/.cache"
ROOT="$CACHE/googleapis"
MUT="$CACHE/googleapis-mutated"
RUNS="${RUNS:-5}"
BIN="${PROTOSYNC:-${CARGO_TARGET_DIR:-$REPO_DIR/target}/release/protosync}"

die() { echo "diff.sh: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "no $BIN: run \`cargo build --release\` first"
[ -d "$ROOT/google" ] || bash "$BENCH_DIR/fetch-corpus.sh" >&2
if [ ! -d "$MUT/google" ]; then
  if [ -z "${PROTOC:-}" ]; then
    if [ -x "$CACHE/tools/venv/bin/protoc" ]; then
      PROTOC="$CACHE/tools/venv/bin/protoc"
    else
      PROTOC="$(command -v protoc || true)"
    fi
  fi
  [ -n "$PROTOC" ] || die "no protoc for mutate.py (set PROTOC or run bench/install-tools.sh)"
  echo "creating the mutated corpus (bench/mutate.py) ..." >&2
  python3 "$BENCH_DIR/mutate.py" --protoc "$PROTOC" >&2
fi

BREAKING=("$BIN" breaking "$MUT" --against "$ROOT" --format json)
DIFF=("$BIN" diff "$MUT" --against "$ROOT" --format json)
mkdir -p "$CACHE/out"
"${BREAKING[@]}" > "$CACHE/out/diff-bench-breaking.json" || true
"${DIFF[@]}" > "$CACHE/out/diff-bench-diff.json"
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$CACHE/out/diff-bench-breaking.json")
changes=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["changes"]; print(len(c), sum(x["impact"]=="breaking" for x in c), d["semver"])' "$CACHE/out/diff-bench-diff.json")

q() { printf '%q ' "$@"; }
if command -v hyperfine >/dev/null; then
  hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$CACHE/out/diff-bench.json" \
    -n breaking "$(q "${BREAKING[@]}")" -n diff "$(q "${DIFF[@]}")" >&2
  read -r b bsd d dsd bcpu dcpu < <(python3 -c '
import json,sys
r={x["command"]:x for x in json.load(open(sys.argv[1]))["results"]}
cpu=lambda x: x["user"]+x["system"]
print(r["breaking"]["mean"], r["breaking"]["stddev"], r["diff"]["mean"], r["diff"]["stddev"], cpu(r["breaking"]), cpu(r["diff"]))' "$CACHE/out/diff-bench.json")
else
  read -r b bsd d dsd < <(python3 - "$RUNS" "${BREAKING[*]}" "${DIFF[*]}" <<'EOF'
import os, statistics, subprocess, sys, time
runs = int(sys.argv[1])
def time_it(cmd):
    subprocess.run(cmd.split(), stdout=subprocess.DEVNULL)  # warm-up
    t, cpu = [], []
    for _ in range(runs):
        c0, s = os.times(), time.perf_counter()
        subprocess.run(cmd.split(), stdout=subprocess.DEVNULL)
        t.append(time.perf_counter() - s)
        c1 = os.times()
        cpu.append(c1.children_user - c0.children_user + c1.children_system - c0.children_system)
    return statistics.mean(t), statistics.stdev(t) if runs > 1 else 0.0, statistics.mean(cpu)
b, d = time_it(sys.argv[2]), time_it(sys.argv[3])
print(b[0], b[1], d[0], d[1], b[2], d[2])
EOF
)
fi

ratio=$(python3 -c "print(f'{$d / $b:.2f}')")
cpu_ratio=$(python3 -c "print(f'{$dcpu / $bcpu:.2f}')")
{
  echo "| command | mean (s) | ± | output |"
  echo "| --- | --- | --- | --- |"
  printf '| `protosync breaking` googleapis-mutated vs googleapis | %.2f | %.2f | %s findings |\n' "$b" "$bsd" "$findings"
  read -r n nb sv <<<"$changes"
  printf '| `protosync diff` googleapis-mutated vs googleapis | %.2f | %.2f | %s changes, %s breaking, semver %s |\n' "$d" "$dsd" "$n" "$nb" "$sv"
  echo
  echo "diff / breaking = $ratio wall, $cpu_ratio CPU (user + sys; target <= 1.2); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$CACHE/diff-results.md"
