#!/bin/sh
# Restores a backup made by cellfleet-backup.sh into a PostgreSQL data directory.
#
#   cellfleet-restore.sh BACKUP_DIR PGDATA [OWNER]
#
# PostgreSQL must be stopped (e.g. systemctl stop cellfleet-coordinator postgresql). The current
# data directory is kept beside it as PGDATA.before-restore-<time>, never deleted. OWNER (default
# postgres) owns the restored files. Start PostgreSQL afterwards; it replays the WAL included in
# the backup and opens the database as it was when the backup finished.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 BACKUP_DIR PGDATA [OWNER]" >&2
    exit 2
fi
backup=$1
pgdata=$2
owner=${3:-postgres}

if [ ! -f "$backup/base.tar.gz" ]; then
    echo "$backup: no base.tar.gz here; is this a cellfleet-backup.sh backup?" >&2
    exit 1
fi
if [ -f "$pgdata/postmaster.pid" ]; then
    echo "$pgdata: PostgreSQL seems to be running (postmaster.pid exists); stop it first" >&2
    exit 1
fi

if [ -e "$pgdata" ]; then
    aside="$pgdata.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$pgdata" "$aside"
    echo "kept the old data directory as $aside" >&2
fi
mkdir -p "$pgdata"
tar -xzf "$backup/base.tar.gz" -C "$pgdata"
mkdir -p "$pgdata/pg_wal"
if [ -f "$backup/pg_wal.tar.gz" ]; then
    tar -xzf "$backup/pg_wal.tar.gz" -C "$pgdata/pg_wal"
fi
chmod 0700 "$pgdata"
if [ "$(id -u)" = 0 ]; then
    chown -R "$owner:$owner" "$pgdata"
fi
echo "restored $backup into $pgdata; start PostgreSQL now" >&2
