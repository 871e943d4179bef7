#!/usr/bin/env bash
# `protosync impact` timing: 10, 25 and 50 services, warm cache, local bare repos.
#
# Builds (under bench/.cache/impact/) a contract repository (30 .proto files in 6 packages)
# and 50 service repositories as bare repos on local disk, each vendoring 2 to 4 packages and
# pinned at the first contract commit. The proposal (the contract's working tree) changes 3
# files per package, one of them breaking. With the cache warm, hyperfine times
# `impact --service ...` over the first 10, 25 and all 50 services (--jobs 4).
#
# Target (issue 7): 50 services in <= 5 s on 2 cores, cost linear in the number of services.
#
# Usage: cargo build --release && bash bench/impact.sh
# Env: PROTOSYNC (default target/release/protosync), RUNS (hyperfine runs, default 5).
set -euo pipefail

# shellcheck source=bench/lib/fleet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fleet.sh"
fleet_setup impact
runs="${RUNS:-5}"
make_contract

: > "$c/protosync.toml"
for n in $(seq -w 1 50); do
  make_service "s$n" "$n"
  service_entry "s$n" >> "$c/protosync.toml"
done
g -C "$c" add -A
g -C "$c" commit -q -m "services"
# The proposal, in the working tree: 3 changed files per package, one field deleted in each.
for p in "${pkgs[@]}"; do
  for i in 1 2 3; do
    sed -i 's/  int64 updated_unix = 2;/  int64 updated_unix = 2;\n  string etag = 3;/' \
      "$c/proto/acme/$p/v1/${p}_$i.proto"
  done
  sed -i 's/  repeated string tags = 2;//' "$c/proto/acme/$p/v1/${p}_1.proto"
done

cd "$c"
# Warm the cache (every service fetched once).
"$bin" impact --format json --fail-on never > "$work/warm.json"
grep -q '"unknown": 0' "$work/warm.json" || { echo "warm-up run failed:" >&2; cat "$work/warm.json" >&2; exit 1; }

names() { for n in $(seq -w 1 "$1"); do printf -- '--service s%s ' "$n"; done; }
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$work/results.md" \
  -n "impact, 10 services" "$bin impact --format json --fail-on never $(names 10)" \
  -n "impact, 25 services" "$bin impact --format json --fail-on never $(names 25)" \
  -n "impact, 50 services" "$bin impact --format json --fail-on never"
echo
cat "$work/results.md"
