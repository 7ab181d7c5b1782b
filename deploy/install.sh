#!/bin/sh
# Installs a cellfleet role as a systemd service, run by its own non-root user.
#
#   install.sh coordinator [--database URL] [--listen ENDPOINT]
#   install.sh agent --name NAME --coordinator ENDPOINT --server-key FILE.key
#
# Common options (defaults in brackets):
#   --binary FILE      the cellfleet executable to install [./cellfleet, else cellfleet on PATH]
#   --prefix DIR       [/usr/local]; the binary goes to DIR/bin, the schema to DIR/share/cellfleet
#   --sysconfdir DIR   [/etc]
#   --statedir DIR     [/var/lib]
#   --unitdir DIR      [/etc/systemd/system]
#
# Safe to run again (an upgrade): users, keys and configuration files that exist are kept.
# It never starts anything; it prints the systemctl command to run.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
role=${1:-}
[ $# -gt 0 ] && shift
prefix=/usr/local sysconfdir=/etc statedir=/var/lib unitdir=/etc/systemd/system
binary= name= coordinator= server_key=
database='postgres://cellfleet@localhost/cellfleet?host=/run/postgresql'
listen='tcp://0.0.0.0:7341'

die() { echo "install.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case $1 in
        --binary) binary=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        --sysconfdir) sysconfdir=$2; shift 2 ;;
        --statedir) statedir=$2; shift 2 ;;
        --unitdir) unitdir=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --coordinator) coordinator=$2; shift 2 ;;
        --server-key) server_key=$2; shift 2 ;;
        --database) database=$2; shift 2 ;;
        --listen) listen=$2; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
case $role in
    coordinator) user=cellfleet ;;
    agent) user=cellfleet-agent
        [ -n "$name" ] || die "agent: --name NAME is required (the agent id, e.g. the cycler's name)"
        [ -n "$coordinator" ] || die "agent: --coordinator tcp://HOST:7341 is required"
        [ -n "$server_key" ] && [ -f "$server_key" ] || die "agent: --server-key FILE.key (the coordinator's public key) is required"
        ;;
    *) die "usage: install.sh coordinator|agent [options] (see the comment at the top)" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (it creates a system user and protected directories)"
if [ -z "$binary" ]; then
    if [ -x "$here/../cellfleet" ]; then binary="$here/../cellfleet"; else binary=$(command -v cellfleet) || die "give --binary FILE"; fi
fi
[ -x "$binary" ] || die "$binary is not an executable"

# 1. The service user: a system account with no login and no home of its own.
if ! getent passwd "$user" >/dev/null; then
    nologin=$(command -v nologin || echo /usr/sbin/nologin)
    useradd --system --user-group --home-dir "/var/lib/$user" --no-create-home --shell "$nologin" "$user"
fi

# 2. The program and the schema it migrates the database with.
install -d -m 0755 "$prefix/bin" "$prefix/share/cellfleet/schemas/migrations" "$prefix/share/cellfleet/deploy" \
    "$prefix/share/cellfleet/profiles" "$prefix/share/cellfleet/studies" "$prefix/share/cellfleet/dashboard"
install -m 0755 "$binary" "$prefix/bin/cellfleet"
install -m 0644 "$here"/../schemas/migrations/*.sql "$prefix/share/cellfleet/schemas/migrations/"
install -m 0755 "$here/cellfleet-backup.sh" "$here/cellfleet-restore.sh" "$prefix/share/cellfleet/deploy/"
install -m 0644 "$here/README.md" "$prefix/share/cellfleet/deploy/"
# Cycler profiles the agent reads files with, and the shipped study files (`demo --study paper`).
install -m 0644 "$here"/../agents/profiles/*.json "$prefix/share/cellfleet/profiles/"
install -m 0644 "$here"/../agents/studies/*.toml "$prefix/share/cellfleet/studies/"
# The web dashboard's static files (the HTTP API serves them at /; the chart libraries come
# from Debian's libjs-dygraphs and libjs-chart.js in /usr/share/javascript).
install -m 0644 "$here"/../Sources/Dashboard/* "$prefix/share/cellfleet/dashboard/"

# 3. Configuration, keys and state, each readable only by who needs it.
substitute() {
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@SYSCONFDIR@|$sysconfdir|g" -e "s|@STATEDIR@|$statedir|g" "$1"
}
install -d -m 0755 "$unitdir"
if [ "$role" = coordinator ]; then
    config="$sysconfdir/cellfleet"
    install -d -m 0755 "$config"
    install -d -m 0750 -o root -g cellfleet "$config/keys" "$config/allowed-agents"
    install -d -m 0750 -o cellfleet -g cellfleet "$statedir/cellfleet"
    if [ ! -f "$config/keys/coordinator.key_secret" ]; then
        "$prefix/bin/cellfleet" keygen --name coordinator --out "$config/keys" >/dev/null
    fi
    chown cellfleet:cellfleet "$config/keys/coordinator.key_secret"
    chmod 0600 "$config/keys/coordinator.key_secret"
    chmod 0644 "$config/keys/coordinator.key"
    if [ ! -f "$config/coordinator.env" ]; then
        umask 027
        cat > "$config/coordinator.env" <<ENV
# cellfleet coordinator settings (read by cellfleet-coordinator.service)
CELLFLEET_DATABASE=$database
CELLFLEET_LISTEN=$listen
# More flags, e.g. keep raw samples one year: --retain-samples-days 365
CELLFLEET_COORDINATOR_OPTIONS=
ENV
        umask 022
        chgrp cellfleet "$config/coordinator.env"
    fi
    substitute "$here/systemd/cellfleet-coordinator.service" > "$unitdir/cellfleet-coordinator.service"
    substitute "$here/systemd/cellfleet-backup.service" > "$unitdir/cellfleet-backup.service"
    install -m 0644 "$here/systemd/cellfleet-backup.timer" "$unitdir/cellfleet-backup.timer"
    chmod 0644 "$unitdir/cellfleet-coordinator.service" "$unitdir/cellfleet-backup.service"
    echo "coordinator installed. Its public key, to give to every agent: $config/keys/coordinator.key"
    echo "Allow an agent by copying its NAME.key into $config/allowed-agents/ (no restart needed)."
    echo "Start it: systemctl daemon-reload && systemctl enable --now cellfleet-coordinator"
else
    config="$sysconfdir/cellfleet-agent"
    install -d -m 0755 "$config"
    install -d -m 0750 -o root -g cellfleet-agent "$config/keys"
    install -d -m 0750 -o cellfleet-agent -g cellfleet-agent "$statedir/cellfleet-agent"
    install -d -m 0700 -o cellfleet-agent -g cellfleet-agent "$statedir/cellfleet-agent/spool"
    if [ ! -f "$config/keys/$name.key_secret" ]; then
        "$prefix/bin/cellfleet" keygen --name "$name" --out "$config/keys" >/dev/null
    fi
    chown cellfleet-agent:cellfleet-agent "$config/keys/$name.key_secret"
    chmod 0600 "$config/keys/$name.key_secret"
    chmod 0644 "$config/keys/$name.key"
    install -m 0644 "$server_key" "$config/keys/coordinator.key"
    if [ ! -f "$config/agent.toml" ]; then
        cat > "$config/agent.toml" <<TOML
# cellfleet agent (read by cellfleet-agent.service). The key's name is the agent id.
key = "$config/keys/$name.key_secret"

[coordinator]
endpoint = "$coordinator"
server_key = "$config/keys/coordinator.key"

[spool]
directory = "$statedir/cellfleet-agent/spool"
capacity_mb = 4096
TOML
        chmod 0644 "$config/agent.toml"
    fi
    substitute "$here/systemd/cellfleet-agent.service" > "$unitdir/cellfleet-agent.service"
    chmod 0644 "$unitdir/cellfleet-agent.service"
    echo "agent '$name' installed. Copy its public key to the coordinator's allowed-agents directory:"
    echo "    $config/keys/$name.key"
    echo "Start it: systemctl daemon-reload && systemctl enable --now cellfleet-agent"
fi
if [ -d /run/systemd/system ] && [ "$unitdir" = /etc/systemd/system ]; then
    systemctl daemon-reload
fi
