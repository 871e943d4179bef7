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

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
bin="${PROTOSYNC:-$repo_root/target/release/protosync}"
runs="${RUNS:-5}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt install hyperfine)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$here/.cache/impact"
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
for n in $(seq -w 1 50); do
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
