#!/usr/bin/env bash
# Runs the demo fleet: a coordinator on an embedded PostgreSQL and an agent with 16 simulated
# channels, printing live ingest once a second, with the dashboard and the HTTP API on
# http://127.0.0.1:8080/ (no tokens: a laptop demo; CELLFLEET_HTTP=HOST:PORT moves it). Ctrl-C
# stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")"
deploy/install-dependencies.sh
swift build --product cellfleet
exec .build/debug/cellfleet demo --http "${CELLFLEET_HTTP:-127.0.0.1:8080}" --insecure-http "$@"
