#!/usr/bin/env bash
# Sync-command timings on a pre-commit-sized service repository.
#
# Builds (under bench/.cache/sync/) a contract repository with 50 .proto files in 10
# packages that import a common one, and a service repository that vendors all 50 (one
# [[vendor]] per package) and has 10 protos of its own importing them. Then measures with
# hyperfine (warm page cache, nothing fetched):
#
#   check                         drift against the lock + behind from the local contract
#   check --against .git#branch=main   the same plus a breaking check of the whole repo
#   check (remote contract)       the contract is a file:// URL read from the cache
#   status                        contract read, states, breaking verdict of the update
#   sync (nothing to do)          the no-op path
#   sync --dry-run                5 vendored files changed upstream: plan, diffs, breaking
#
# Target (issue 4): `check` <= 100 ms on a repo with 50 protos when nothing is fetched.
#
# Usage: cargo build --release && bash bench/sync.sh
# Env: PROTOSYNC (default target/release/protosync), RUNS (hyperfine --runs, default 30).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/.." && pwd)"
bin="${PROTOSYNC:-$repo_root/target/release/protosync}"
runs="${RUNS:-30}"
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt install hyperfine)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$here/.cache/sync"
rm -rf "$work"
mkdir -p "$work"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export PROTOSYNC_CACHE_DIR="$work/cache"
g() { git -c commit.gpgsign=false "$@"; }

proto() { # package file index
  local pkg="$1" name="$2" i="$3"
  cat <<EOF
syntax = "proto3";

package acme.$pkg.v1;

import "acme/common/v1/common.proto";

// $name: a service contract of the $pkg team.
message ${name^}Request {
  string id = 1;
  acme.common.v1.Money amount = 2;
  repeated string tags = 3;
  map<string, string> labels = 4;
  oneof target {
    string account = 5;
    string user = 6;
  }
}

message ${name^}Response {
  string id = 1;
  ${name^}State state = 2;
  int64 updated_unix = 3;
}

enum ${name^}State {
  ${name^^}_STATE_UNSPECIFIED = 0;
  ${name^^}_STATE_OPEN = 1;
  ${name^^}_STATE_CLOSED = $((i + 2));
}

service ${name^}Service {
  rpc Get${name^}(${name^}Request) returns (${name^}Response);
  rpc List${name^}s(${name^}Request) returns (stream ${name^}Response);
}
EOF
}

c="$work/contracts"
mkdir -p "$c/proto/acme/common/v1"
cat > "$c/proto/acme/common/v1/common.proto" <<'EOF'
syntax = "proto3";

package acme.common.v1;

message Money {
  string currency = 1;
  int64 units = 2;
  int32 nanos = 3;
}
EOF
pkgs=(billing orders payments shipping catalog users search reviews promos audit)
n=1
for p in "${pkgs[@]}"; do
  mkdir -p "$c/proto/acme/$p/v1"
  for f in a b c d e; do
    [ "$p" = audit ] && [ "$f" = e ] && continue # 49 + common = 50
    proto "$p" "${p}${f}" "$n" > "$c/proto/acme/$p/v1/${p}_$f.proto"
    n=$((n + 1))
  done
done
g -C "$c" init -q -b main
g -C "$c" add -A
g -C "$c" commit -q -m contracts

s="$work/service"
mkdir -p "$s/proto/acme/svc/v1"
g -C "$s" init -q -b main
for i in $(seq 1 10); do
  p="${pkgs[$((i - 1))]}"
  cat > "$s/proto/acme/svc/v1/own_$i.proto" <<EOF
syntax = "proto3";

package acme.svc.v1;

import "acme/$p/v1/${p}_a.proto";

message Own$i {
  acme.$p.v1.${p^}aRequest request = 1;
  string note = 2;
}
EOF
done
args=(init --contract ../contracts --root proto --from acme/common/v1 --to third_party/proto/acme/common/v1)
for p in "${pkgs[@]}"; do
  args+=(--from "acme/$p/v1" --to "third_party/proto/acme/$p/v1")
done
(cd "$s" && "$bin" "${args[@]}" >/dev/null)
printf '\n[build]\nroots = ["proto", "third_party/proto"]\n' >> "$s/protosync.toml"
g -C "$s" add -A
g -C "$s" commit -q -m service
echo "service: $(find "$s" -name '*.proto' | wc -l) .proto files ($(find "$s/third_party" -name '*.proto' | wc -l) vendored)"

# The same service with the contract as a URL (read from the cache after one fetch).
r="$work/service-remote"
cp -r "$s" "$r"
sed -i "s|repo = \"../contracts\"|repo = \"file://$c\"|" "$r/protosync.toml"
sed -i "s|repo = \"../contracts\"|repo = \"file://$c\"|" "$r/protosync.lock"
(cd "$r" && "$bin" status >/dev/null)

# A second service copy whose contract moved on (5 vendored files changed, one breaking).
d="$work/service-behind"
cp -r "$s" "$d"
cp -r "$c" "$work/contracts-next"
sed -i "s|../contracts|../contracts-next|" "$d/protosync.toml" "$d/protosync.lock"
for f in a b c d e; do
  sed -i 's/  int64 updated_unix = 3;/  int64 updated_unix = 3;\n  string etag = 7;/' "$work/contracts-next/proto/acme/orders/v1/orders_$f.proto"
done
sed -i 's/  repeated string tags = 3;//' "$work/contracts-next/proto/acme/orders/v1/orders_a.proto"
g -C "$work/contracts-next" commit -q -am "orders: etag; drop tags"

cd "$s"
"$bin" check >/dev/null
hyperfine --warmup 3 --runs "$runs" -N --export-markdown "$work/results.md" \
  -n "check" "$bin check" \
  -n "check --against .git#branch=main" "$bin check --against .git#branch=main" \
  -n "check (remote contract, cached)" "$bin check --config $r/protosync.toml" \
  -n "status" "$bin status" \
  -n "sync (nothing to do)" "$bin sync" \
  -n "sync --dry-run (5 files behind, 1 breaking)" "$bin sync --dry-run --allow-breaking --config $d/protosync.toml"
echo
cat "$work/results.md"
