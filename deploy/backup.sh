#!/bin/sh
# Back up the LMS database with pg_dump (custom format, compressed) and keep the newest KEEP dumps.
#
#   deploy/backup.sh                      # uses PG* variables or DATABASE below
#   BACKUP_DIR=/var/backups/lms KEEP=14 DATABASE=lms deploy/backup.sh
#   DATABASE=postgresql://lms@db.internal/lms BACKUP_NAME=lms deploy/backup.sh
#
# Run it daily from cron or the systemd timer in deploy/systemd/. The dump holds every table the app has;
# course media (the folder or the S3 bucket) and instance/ (the signing key) are backed up separately - see
# docs/deploy.md, "Backups". Restore with pg_restore, as the restore drill there shows.
set -eu

BACKUP_DIR="${BACKUP_DIR:-/var/backups/lms}"
KEEP="${KEEP:-14}"
DATABASE="${DATABASE:-${PGDATABASE:-lms}}"  # a database name or a postgresql:// connection string
NAME="${BACKUP_NAME:-$DATABASE}"              # the dump files' prefix

case "$KEEP" in
    ''|*[!0-9]*) echo "backup.sh: KEEP must be a number, not '$KEEP'" >&2; exit 2 ;;
esac
[ "$KEEP" -ge 1 ] || { echo "backup.sh: KEEP must be at least 1" >&2; exit 2; }
case "$NAME" in
    ''|*[!A-Za-z0-9_.-]*) echo "backup.sh: set BACKUP_NAME (letters, digits, . _ -) for the file names" >&2; exit 2 ;;
esac

umask 077  # a dump holds personal data: readable by its owner only
mkdir -p "$BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/$NAME-$stamp.dump"
partial="$target.partial"

# Written under another name and renamed once complete: a dump cut short never counts as a backup, and
# rotation below only ever deletes complete ones.
trap 'rm -f "$partial"' EXIT
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" "$DATABASE"
pg_restore --list "$partial" > /dev/null  # the archive can be read back
mv "$partial" "$target"
trap - EXIT
echo "backup.sh: wrote $target ($(wc -c < "$target") bytes)"

# Rotation: keep the newest $KEEP dumps of this database (the names sort by time).
ls -1 "$BACKUP_DIR"/"$NAME"-*.dump 2>/dev/null | sort -r | tail -n +"$((KEEP + 1))" | while read -r old; do
    rm -f -- "$old"
    echo "backup.sh: removed $old"
done
