#!/usr/bin/env bash
# Reading from git objects vs reading the same files from disk, on googleapis.
# Commits the corpus (bench/.cache/googleapis) to a temporary repository, packs it, and runs
# `protosync breaking` on the same tree given as a directory and as git revisions:
#   - end to end (hyperfine), and
#   - the read phase alone (PROTOSYNC_TRACE's "read both sides", best of 5).
# Usage: bash bench/fetch-corpus.sh && cargo build --release && bash bench/git-read.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${PROTOSYNC:-$ROOT/target/release/protosync}"
CORPUS="$ROOT/bench/.cache/googleapis"
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
[ -d "$CORPUS" ] || { echo "fetch the corpus first: bash bench/fetch-corpus.sh" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

REPO="$ROOT/bench/.cache/googleapis-repo"
if [ ! -d "$REPO/.git" ]; then
  rm -rf "$REPO"
  mkdir -p "$REPO"
  cp -r "$CORPUS/." "$REPO/"
  git -C "$REPO" init -q -b main
  git -C "$REPO" add -A
  git -C "$REPO" -c user.name=bench -c user.email=bench@localhost -c gc.auto=0 commit -qm corpus
  git -C "$REPO" -c gc.autoDetach=false gc -q
fi
echo "repository: $(git -C "$REPO" count-objects -vH | grep -E 'in-pack|size-pack' | tr '\n' ' ')"

cd "$REPO"
read_phase() {
  local best=999
  for _ in 1 2 3 4 5; do
    t=$(PROTOSYNC_TRACE=1 "$BIN" breaking "$1" --against "$2" 2>&1 >/dev/null | awk '/read both sides/ {print $(NF-1)}')
    best=$(python3 -c "print(min($best, $t))")
  done
  echo "$best"
}
echo
echo "| inputs | read phase, best of 5 (s) |"
echo "| --- | ---: |"
echo "| dir vs dir | $(read_phase . .) |"
echo "| git vs git (same repo) | $(read_phase '.git#branch=main' '.git#branch=main') |"
echo "| dir vs git | $(read_phase . '.git#branch=main') |"
echo
hyperfine -N -w 1 -r "${RUNS:-5}" \
  -n "dir vs dir" "$BIN breaking . --against ." \
  -n "git vs git" "$BIN breaking .git#branch=main --against .git#branch=main" \
  -n "dir vs git" "$BIN breaking . --against .git#branch=main"
