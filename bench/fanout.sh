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

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
bin="${PROTOSYNC:-$repo_root/target/release/protosync}"
runs="${RUNS:-10}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt install hyperfine)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$here/.cache/fanout"
rm -rf "$work"
mkdir -p "$work"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export PROTOSYNC_CACHE_DIR="$work/cache"
g() { git -c commit.gpgsign=false -c init.defaultBranch=main "$@"; }

pkgs=(billing orders payments shipping catalog users)
c="$work/contracts"
mkdir -p "$c"
for p in "${pkgs[@]}"; do
  mkdir -p "$c/proto/acme/$p/v1"
  for i in 1 2 3 4 5; do
    cat > "$c/proto/acme/$p/v1/${p}_$i.proto" <<EOF
syntax = "proto3";

package acme.$p.v1;

message ${p^}${i}Request {
  string id = 1;
  repeated string tags = 2;
  map<string, string> labels = 3;
}

message ${p^}${i}Response {
  string id = 1;
  int64 updated_unix = 2;
}

service ${p^}${i}Service {
  rpc Get(${p^}${i}Request) returns (${p^}${i}Response);
}
EOF
  done
done
g -C "$c" init -q
g -C "$c" add -A
g -C "$c" commit -q -m contracts

: > "$c/protosync.toml"
for n in $(seq -w 1 20); do
  name="s$n"
  bare="$work/forge/acme/$name.git"
  mkdir -p "$bare"
  g -C "$bare" init -q --bare
  w="$work/work/$name"
  g clone -q "$bare" "$w" 2>/dev/null
  g -C "$w" checkout -q -b main
  args=(init --contract "file://$c" --root proto)
  count=$(( (10#$n % 3) + 2 ))
  for k in $(seq 0 $((count - 1))); do
    p="${pkgs[$(( (10#$n + k) % ${#pkgs[@]} ))]}"
    args+=(--from "acme/$p/v1" --to "third_party/proto/acme/$p/v1")
  done
  (cd "$w" && "$bin" "${args[@]}" >/dev/null)
  g -C "$w" add -A
  g -C "$w" commit -q -m "vendor contracts"
  g -C "$w" push -q origin main
  printf '[[service]]\nname = "%s"\nrepo = "file://%s"\nbranch = "main"\nforge = "github"\n\n' \
    "$name" "$bare" >> "$c/protosync.toml"
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
