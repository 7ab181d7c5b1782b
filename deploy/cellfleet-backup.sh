#!/bin/sh
# Physical backup of the whole PostgreSQL cluster that holds cellfleet, with pg_basebackup:
# consistent while the coordinator keeps writing, restorable with cellfleet-restore.sh.
#
#   CELLFLEET_BACKUP_DIR   where backups go (default /var/backups/cellfleet)
#   CELLFLEET_BACKUP_KEEP  how many backups to keep (default 7)
#   PGHOST PGPORT PGUSER   the cluster, as for psql (a role with REPLICATION; postgres by default)
#
# Each run writes CELLFLEET_BACKUP_DIR/cellfleet-YYYYmmddTHHMMSSZ/ (base.tar.gz, pg_wal.tar.gz,
# backup_manifest), then removes the oldest beyond KEEP. Prints the new backup's path.
set -eu

backup_root=${CELLFLEET_BACKUP_DIR:-/var/backups/cellfleet}
keep=${CELLFLEET_BACKUP_KEEP:-7}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$backup_root/cellfleet-$stamp"

mkdir -p "$backup_root"
# Written under a temporary name and renamed when complete: a half-written backup never looks
# like a good one.
partial="$target.partial"
rm -rf "$partial"
pg_basebackup --pgdata="$partial" --format=tar --gzip --wal-method=stream --checkpoint=fast \
    --label="cellfleet $stamp" --no-password
mv "$partial" "$target"

# Keep the newest $keep backups.
ls -1d "$backup_root"/cellfleet-*Z 2>/dev/null | sort | head -n "-$keep" | while read -r old; do
    rm -rf "$old"
done
echo "$target"
