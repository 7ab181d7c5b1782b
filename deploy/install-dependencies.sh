#!/usr/bin/env bash
# Installs what cellfleet needs on Debian (12 "bookworm" or newer) beside Swift: ZeroMQ with
# CURVE, PostgreSQL's server binaries (the embedded cluster of the demo and the tests), libpq,
# protoc, mdbtools (the tests cross-check our own Arbin .res reader against mdb-export),
# Prometheus Alertmanager (/usr/bin/prometheus-alertmanager: the alert-delivery tests start one
# of their own on a free port; Debian's service is not used), and a Python venv with pyzmq and
# protobuf for the third-party-agent test. Idempotent: a second run installs nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(libzmq3-dev libpq-dev pkg-config postgresql postgresql-contrib postgresql-15-partman
          protobuf-compiler mdbtools prometheus-alertmanager python3 python3-venv python3-pip util-linux passwd systemd)
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
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c "import zmq, google.protobuf" 2>/dev/null; then
    echo "preparing the Python test venv in $venv" >&2
    /usr/bin/python3 -m venv "$venv" >&2 || python3 -m venv "$venv" >&2
    "$venv/bin/python3" -m pip install -q --disable-pip-version-check pyzmq protobuf >&2
fi
