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
swift test --skip-build "$@"
