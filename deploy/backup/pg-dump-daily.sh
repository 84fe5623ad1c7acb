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
#
# With BACKUP_METRICS_DIR set, the newest good dump's time and size are written there as
# clinic_backup.prom for node-exporter's textfile collector: the alert BackupTooOld fires when it gets old.
set -eu

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_AT=${BACKUP_AT:-03:15}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) backup: $*"; }

# The newest dump's modification time and size, for Prometheus (nothing when there is none, or no directory).
publish_metrics() {
    [ -n "${BACKUP_METRICS_DIR:-}" ] || return 0
    newest=$(ls -t "$BACKUP_DIR"/clinic-*.dump 2>/dev/null | head -n 1)
    [ -n "$newest" ] || return 0
    mkdir -p "$BACKUP_METRICS_DIR"
    {
        echo "# HELP clinic_backup_last_success_timestamp_seconds When the newest complete database dump was written."
        echo "# TYPE clinic_backup_last_success_timestamp_seconds gauge"
        echo "clinic_backup_last_success_timestamp_seconds $(date -u -r "$newest" +%s)"
        echo "# HELP clinic_backup_last_size_bytes Size of the newest complete database dump."
        echo "# TYPE clinic_backup_last_size_bytes gauge"
        echo "clinic_backup_last_size_bytes $(wc -c < "$newest")"
    } > "$BACKUP_METRICS_DIR/clinic_backup.prom.tmp"
    mv "$BACKUP_METRICS_DIR/clinic_backup.prom.tmp" "$BACKUP_METRICS_DIR/clinic_backup.prom"
}

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
    publish_metrics
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
publish_metrics  # after a restart, the age of the dumps already there
while :; do
    sleep "$(seconds_until_next)"
    dump_once || true  # a failed night is logged; the next one tries again
done
