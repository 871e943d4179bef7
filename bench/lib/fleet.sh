# Shared set-up of the fleet benchmarks (fanout.sh, impact.sh, fleet.sh): a contract
# repository and service repositories as bare repos on local disk. Source it, then call
# `fleet_setup NAME` first.
#
#   fleet_setup NAME        bin, work (bench/.cache/NAME, emptied), git identity, cache dir
#   make_contract           $c: 30 .proto files in 6 packages (${pkgs[@]}), one commit
#   make_service NAME N     a bare repo $work/forge/acme/NAME.git whose main vendors 2 to 4
#                           packages (chosen from N) of the contract's current commit
#   service_entry NAME      the `[[service]]` table for that service, on stdout

fleet_setup() {
  here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
  repo_root="$(cd "$here/.." && pwd)"
  bin="${PROTOSYNC:-$repo_root/target/release/protosync}"
  [ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
  command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt install hyperfine)" >&2; exit 2; }
  bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
  work="$here/.cache/$1"
  rm -rf "$work"
  mkdir -p "$work"
  export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
  export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
  export PROTOSYNC_CACHE_DIR="$work/cache"
  unset PROTOSYNC_API_URL GITHUB_TOKEN PROTOSYNC_TOKEN
  pkgs=(billing orders payments shipping catalog users)
  c="$work/contracts"
}

g() { git -c commit.gpgsign=false -c init.defaultBranch=main "$@"; }

make_contract() {
  local p i
  mkdir -p "$c"
  for p in "${pkgs[@]}"; do
    mkdir -p "$c/proto/acme/$p/v1"
    for i in 1 2 3 4 5; do
      cat > "$c/proto/acme/$p/v1/${p}_$i.proto" <<PROTO
syntax = "proto3";

package acme.$p.v1;

message ${p^}${i}Request {
  string id = 1;
  repeated string tags = 2;
  map<string, string> labels = 3;
  string legacy_ref = 4;
}

message ${p^}${i}Response {
  string id = 1;
  int64 updated_unix = 2;
}

service ${p^}${i}Service {
  rpc Get(${p^}${i}Request) returns (${p^}${i}Response);
}
PROTO
    done
  done
  g -C "$c" init -q
  g -C "$c" add -A
  g -C "$c" commit -q -m "contracts"
}

make_service() {
  local name="$1" n="$2"
  local bare="$work/forge/acme/$name.git" w="$work/work/$name"
  mkdir -p "$bare"
  g -C "$bare" init -q --bare
  g clone -q "$bare" "$w" 2>/dev/null
  g -C "$w" checkout -q -b main
  local args=(init --contract "file://$c" --root proto)
  local count=$(( (10#$n % 3) + 2 )) k p
  for k in $(seq 0 $((count - 1))); do
    p="${pkgs[$(( (10#$n + k) % ${#pkgs[@]} ))]}"
    args+=(--from "acme/$p/v1" --to "third_party/proto/acme/$p/v1")
  done
  (cd "$w" && "$bin" "${args[@]}" >/dev/null)
  g -C "$w" add -A
  g -C "$w" commit -q -m "vendor contracts"
  g -C "$w" push -q origin main
}

service_entry() {
  printf '[[service]]\nname = "%s"\nrepo = "file://%s"\nbranch = "main"\nforge = "github"\n\n' \
    "$1" "$work/forge/acme/$1.git"
}
