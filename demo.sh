#!/usr/bin/env bash
# Runs the demo fleet: a coordinator on an embedded PostgreSQL and an agent with 16 simulated
# channels, printing live ingest once a second. Ctrl-C stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")"
deploy/install-dependencies.sh
swift build --product cellfleet
exec .build/debug/cellfleet demo "$@"
