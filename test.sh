#!/usr/bin/env bash
# Runs every test of cellfleet on a fresh Debian machine with Swift: installs what is missing,
# builds, and runs the tests (each that needs PostgreSQL starts its own cluster).
set -euo pipefail
cd "$(dirname "$0")"
deploy/install-dependencies.sh
export CELLFLEET_PYTHON="$PWD/.build-venv/bin/python3"
# The fuzz campaigns run 300 cases per decoder here; the inner loop runs fewer (BinaryFuzzTests).
export FUZZ_CASES="${FUZZ_CASES:-300}"
swift build --build-tests
if [ "$#" -gt 0 ]; then exec swift test --skip-build "$@"; fi
# The back-pressure acceptance test floods a coordinator and compares a good agent's run with one
# alone: it runs by itself afterwards, not beside 400 other tests competing for the same cores.
swift test --skip-build --skip BackPressureTests
swift test --skip-build --filter BackPressureTests
