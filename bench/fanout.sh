#!/usr/bin/env bash
# Fan-out timing: 20 services against the slowest single one, warm cache, local bare repos.
#
# Builds (under bench/.cache/fanout/) a contract repository (30 .proto files in 6 packages)
# whose protosync.toml lists 20 services, and 20 service repositories as bare repos on local
# disk. Each service vendors 2 to 4 packages (so their work differs) and is synced at the
# first contract commit; a second contract commit changes 3 files in every package, so every
# service has an update to plan, diff and judge. Then, with the cache warm:
#
#   fanout --dry-run --service sNN   one service at a time (all 20; the slowest is reported)
#   fanout --dry-run                 all 20, --jobs 4 (the default)
#
# --dry-run does everything but push and open pull requests: fetch (a warm cache: one round
# trip per service), a scratch checkout borrowing the cache's objects, the sync plan, diffs and
# the breaking verdict. Pushes and API calls are network-bound and run on the same workers.
#
# Target (issue 5): all 20 in <= 2 x the slowest single service.
#
# Usage: cargo build --release && bash bench/fanout.sh
# Env: PROTOSYNC (default target/release/protosync), RUNS (hyperfine runs, default 10).
set -euo pipefail

# shellcheck source=bench/lib/fleet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fleet.sh"
fleet_setup fanout
runs="${RUNS:-10}"
make_contract

: > "$c/protosync.toml"
for n in $(seq -w 1 20); do
  make_service "s$n" "$n"
  service_entry "s$n" >> "$c/protosync.toml"
done
# The update every service will plan: 3 changed files per package.
for p in "${pkgs[@]}"; do
  for i in 1 2 3; do
    sed -i 's/  int64 updated_unix = 2;/  int64 updated_unix = 2;\n  string etag = 3;/' \
      "$c/proto/acme/$p/v1/${p}_$i.proto"
  done
done
g -C "$c" add -A
g -C "$c" commit -q -m "etag everywhere"

cd "$c"
# Warm the cache (every service and the contract fetched once).
"$bin" fanout --dry-run --format json > "$work/warm.json"
grep -q '"failed": 0' "$work/warm.json" || { echo "warm-up run failed:" >&2; cat "$work/warm.json" >&2; exit 1; }

singles=()
for n in $(seq -w 1 20); do
  singles+=(-n "s$n alone" "$bin fanout --dry-run --format json --service s$n")
done
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/singles.json" "${singles[@]}" >/dev/null
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/all.json" \
  -n "all 20 (--jobs 4)" "$bin fanout --dry-run --format json"

python3 - "$work/singles.json" "$work/all.json" <<'EOF' | tee "$work/results.md"
import json, sys
singles = json.load(open(sys.argv[1]))["results"]
all20 = json.load(open(sys.argv[2]))["results"][0]
slow = max(singles, key=lambda r: r["mean"])
fast = min(singles, key=lambda r: r["mean"])
ms = lambda s: f"{s * 1000:.1f} ms"
print("| run | mean ± sd |")
print("| --- | ---: |")
print(f"| fastest single service ({fast['command']}) | {ms(fast['mean'])} ± {ms(fast['stddev'])} |")
print(f"| slowest single service ({slow['command']}) | {ms(slow['mean'])} ± {ms(slow['stddev'])} |")
means = sorted(r["mean"] for r in singles)
print(f"| median single service | {ms(means[len(means) // 2])} |")
print(f"| sum of the 20 single runs | {ms(sum(means))} |")
print(f"| all 20, --jobs 4 | {ms(all20['mean'])} ± {ms(all20['stddev'])} |")
ratio = all20["mean"] / slow["mean"]
print(f"\nall 20 / slowest single = {ratio:.2f} (target <= 2)")
EOF
