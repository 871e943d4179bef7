#!/usr/bin/env bash
# Fleet timing: `protosync fleet` over 10, 25 and 50 services, warm cache, local bare repos.
#
# Builds (under bench/.cache/fleet/) a contract repository (30 .proto files in 6 packages, three
# commits) and 50 service repositories as bare repos on local disk. Each service vendors 2 to 4
# packages (so their work differs). Services are pinned at different commits: every fifth one at
# the head (in sync), the others at the first commit, so they are two commits behind: the second
# commit adds a field to 3 files of every package (compatible), the third deletes a field in
# `billing` (breaking for the services that vendor it). The contract repository holds three
# service lists, protosync-10.toml, protosync-25.toml and protosync-50.toml (the first 10, 25
# and 50 services). Then, with the cache warm, hyperfine times
#
#   fleet --config protosync-N.toml --format json --no-forge     for N = 10, 25, 50
#
# (--jobs 4, the default): per service the fetch (a warm cache: one round trip), reading the
# config, lock and vendored files from the commit, the drift check, the dry in-memory sync with
# its breaking verdict, and the pinned commit's date. The forge API (one GET per service) is
# network-bound and not measured here.
#
# Target (issue 7): 50 services in <= 5 s on 2 cores; the cost grows linearly with N.
#
# Usage: cargo build --release && bash bench/fleet.sh
# Env: PROTOSYNC (default target/release/protosync), RUNS (hyperfine runs, default 10).
set -euo pipefail

# shellcheck source=bench/lib/fleet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fleet.sh"
fleet_setup fleet
runs="${RUNS:-10}"
make_contract

# The service repositories, each vendoring 2 to 4 packages at the first commit.
for n in $(seq -w 1 50); do
  make_service "s$n" "$n"
done

# Commit 2: a field added to 3 files of every package (compatible).
for p in "${pkgs[@]}"; do
  for i in 1 2 3; do
    sed -i 's/  int64 updated_unix = 2;/  int64 updated_unix = 2;\n  string etag = 3;/' \
      "$c/proto/acme/$p/v1/${p}_$i.proto"
  done
done
g -C "$c" add -A
g -C "$c" commit -q -m "etag everywhere"
# Commit 3: a field deleted in billing (breaking for whoever vendors billing).
sed -i '/  string legacy_ref = 4;/d' "$c/proto/acme/billing/v1/billing_1.proto"
g -C "$c" add -A
g -C "$c" commit -q -m "drop billing legacy_ref"

# Every fifth service syncs to the head (in sync); the others stay two commits behind.
for n in $(seq -w 5 5 50); do
  w="$work/work/s$n"
  (cd "$w" && "$bin" sync --allow-breaking >/dev/null)
  g -C "$w" add -A
  g -C "$w" commit -q -m "sync contracts"
  g -C "$w" push -q origin main
done

# The service lists (untracked files of the contract repository).
for size in 10 25 50; do
  out="$c/protosync-$size.toml"
  : > "$out"
  for n in $(seq -w 1 "$size"); do
    service_entry "s$n" >> "$out"
  done
done

cd "$c"
# Warm the cache (every service and the contract fetched once), and check the verdicts.
"$bin" fleet --config protosync-50.toml --format json --no-forge > "$work/warm.json" || true
python3 - "$work/warm.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
s = doc["summary"]
print(f"50 services: {s['in_sync']} in sync, {s['behind']} behind, {s['breaking']} breaking, "
      f"{s['edited']} edited, {s['unknown']} unknown")
if s["unknown"] or s["services"] != 50:
    sys.exit("warm-up run failed: " + json.dumps([r["error"] for r in doc["services"] if r["error"]]))
PY

hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/fleet.json" \
  -n "10 services" "$bin fleet --config protosync-10.toml --format json --no-forge" \
  -n "25 services" "$bin fleet --config protosync-25.toml --format json --no-forge" \
  -n "50 services" "$bin fleet --config protosync-50.toml --format json --no-forge" >/dev/null
# Where the time goes (one verbose run over the 50).
"$bin" -v fleet --config protosync-50.toml --format json --no-forge 2>&1 >/dev/null \
  | grep 'trace: fleet:' | sed 's/^trace: //' > "$work/where.txt" || true

python3 - "$work/fleet.json" "$work/where.txt" <<'PY' | tee "$work/results.md"
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda s: f"{s * 1000:.1f} ms"
print("| services | mean ± sd | per service |")
print("| ---: | ---: | ---: |")
per = {}
for n in (10, 25, 50):
    r = results[f"{n} services"]
    per[n] = r["mean"] / n
    print(f"| {n} | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(per[n])} |")
r = {n: results[f"{n} services"]["mean"] for n in (10, 25, 50)}
# A straight line through the three sizes (least squares): fixed start-up + a cost per service.
xs = list(r)
mx, my = sum(xs) / 3, sum(r.values()) / 3
slope = sum((x - mx) * (r[x] - my) for x in xs) / sum((x - mx) ** 2 for x in xs)
fixed = my - slope * mx
worst = max(abs(fixed + slope * x - r[x]) / r[x] for x in xs)
print(f"\n50 services: {r[50]:.3f} s (target <= 5 s)")
print(f"linear fit: {ms(fixed)} + {ms(slope)} per service (largest deviation {worst * 100:.0f}%); "
      f"marginal cost 10->25: {ms((r[25] - r[10]) / 15)}, 25->50: {ms((r[50] - r[25]) / 25)} per service")
where = open(sys.argv[2]).read().strip()
if where:
    print(f"\n--verbose, one run over the 50: {where}")
PY
