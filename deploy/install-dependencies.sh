#!/usr/bin/env bash
# Installs what cellfleet needs on Debian (12 "bookworm" or newer) beside Swift: ZeroMQ with
# CURVE, PostgreSQL's server binaries (the embedded cluster of the demo and the tests), libpq,
# protoc, mdbtools (the tests cross-check our own Arbin .res reader against mdb-export),
# Prometheus Alertmanager (/usr/bin/prometheus-alertmanager: the alert-delivery tests start one
# of their own on a free port; Debian's service is not used), Prometheus (its promtool checks
# deploy/prometheus/), Chromium (headless: the dashboard's tests load and screenshot its pages),
# dygraphs and Chart.js (the dashboard's plots, served from Debian's files: no CDN), wrk (the API
# benchmark), and a Python venv with pyzmq and protobuf (the third-party-agent test), lifelines
# and pandas (the statistics and CSV cross-checks), schemathesis and openapi-spec-validator (the
# API against schemas/openapi.yaml). Idempotent: a second run installs nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(libzmq3-dev libpq-dev pkg-config postgresql postgresql-contrib postgresql-15-partman
          protobuf-compiler mdbtools prometheus-alertmanager prometheus chromium libjs-dygraphs
          libjs-chart.js wrk curl python3 python3-venv python3-pip util-linux passwd systemd)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo apt-get update -qq
    # Debian's postgresql package starts a "main" cluster as a service where it can; cellfleet
    # never uses it (the demo and tests run clusters of their own on private sockets).
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

venv="$root/.build-venv"
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c "import zmq, google.protobuf, lifelines, pandas, schemathesis, openapi_spec_validator, jsonschema, prometheus_client" 2>/dev/null; then
    echo "preparing the Python test venv in $venv" >&2
    /usr/bin/python3 -m venv "$venv" >&2 || python3 -m venv "$venv" >&2
    "$venv/bin/python3" -m pip install -q --disable-pip-version-check pyzmq protobuf lifelines pandas schemathesis \
        openapi-spec-validator jsonschema prometheus-client >&2
fi
