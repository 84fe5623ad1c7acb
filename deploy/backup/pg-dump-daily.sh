#!/bin/sh
# The compose stack's scheduled backup (service `backup` in docker-compose.yml, on the postgres image, which has
# the server's own pg_dump): every day at BACKUP_AT (UTC) a `pg_dump -Fc` of the clinic's database into
# BACKUP_DIR as clinic-<UTC time>.dump, the name and format `make restore` takes; then dumps older than
# BACKUP_KEEP_DAYS are deleted. A dump is written under a .partial name and renamed only once `pg_restore --list`
# reads it, so a dump cut short (a crash, a full disk) is never mistaken for a backup and never deleted by age
# before a good one replaces it. Connection settings come from libpq's PG* variables; the password from the file
# PGPASSWORD_FILE names.
#
#   BACKUP_ONCE=1  one dump and the pruning, now, then exit (the restore drill in tests/tools/test_backup_job.py)
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_AT=${BACKUP_AT:-03:15}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup: $*"; }

dump_once() {
    name="clinic-$(date -u +%Y%m%dT%H%M%SZ).dump"
    partial="$BACKUP_DIR/$name.partial"
    if pg_dump -Fc --no-password -f "$partial" && pg_restore --list "$partial" > /dev/null; then
        mv "$partial" "$BACKUP_DIR/$name"
        log "written $name ($(wc -c < "$BACKUP_DIR/$name") bytes)"
    else
        rm -f "$partial"
        log "FAILED: no new backup (the previous ones are kept)"
        return 1
    fi
    # Age out old dumps only after a good one was written: at least the newest always stays.
    find "$BACKUP_DIR" -maxdepth 1 -name 'clinic-*.dump' -mtime "+$BACKUP_KEEP_DAYS" -print -delete \
        | sed 's|.*/|deleted |' | while read -r line; do log "$line"; done
    find "$BACKUP_DIR" -maxdepth 1 -name 'clinic-*.dump.partial' -mmin +1440 -delete
}

seconds_until_next() {
    now=$(date -u +%s)
    next=$(date -u -d "today $BACKUP_AT" +%s)
    [ "$next" -gt "$now" ] || next=$(date -u -d "tomorrow $BACKUP_AT" +%s)
    echo $((next - now))
}

# The password from a file (compose's secret), as the postgres image's own POSTGRES_PASSWORD_FILE.
if [ -n "${PGPASSWORD_FILE:-}" ]; then
    PGPASSWORD=$(cat "$PGPASSWORD_FILE")
    export PGPASSWORD
fi
mkdir -p "$BACKUP_DIR"
if [ "${BACKUP_ONCE:-0}" = 1 ]; then
    dump_once
    exit
fi
log "daily at $BACKUP_AT UTC into $BACKUP_DIR, keeping $BACKUP_KEEP_DAYS days"
while :; do
    sleep "$(seconds_until_next)"
    dump_once || true  # a failed night is logged; the next one tries again
done
