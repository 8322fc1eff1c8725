#!/usr/bin/env bash
# Backup and restore drill on this machine (make backup-drill): a scratch PostgreSQL database filled with
# the demo committee and finalised minutes, backed up with `flask backup`, restored with `flask
# restore-backup` into a second new database, and checked: rows of every table equal, the minutes chains
# verify against the restored anchor file. Prints the figures; leaves nothing behind.
#   DRILL_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edangwu_drill scripts/backup_drill.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
SOURCE="${DRILL_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/edangwu_drill}"
TARGET="${SOURCE}_restored"
WORK="$(mktemp -d)"
export INSTANCE_DIR="$WORK/instance" BACKUP_DIR="$WORK/backups" EDANGWU_STAGING=1 SECRET_KEY=drill-secret-key-0123456789abcdef
export MINUTES_ANCHOR_KEY=drill-anchor-key-0123456789abcdef0 LOG_LEVEL=WARNING
trap 'rm -rf "$WORK"; psql "${SOURCE%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${SOURCE##*/} WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${TARGET##*/} WITH (FORCE)"' EXIT
psql "${SOURCE%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${SOURCE##*/} WITH (FORCE)" -c "DROP DATABASE IF EXISTS ${TARGET##*/} WITH (FORCE)" -c "CREATE DATABASE ${SOURCE##*/}"

export DATABASE_URL="$SOURCE"
$BIN/flask --app wsgi db upgrade >/dev/null 2>&1
$BIN/flask --app wsgi seed-demo --members-per-branch "${DRILL_MEMBERS_PER_BRANCH:-30}" >/dev/null
$BIN/python - <<'PY'
# Finalise the minutes of every meeting already held, as secretaries do after their meetings.
import sqlalchemy as sa
from server import create_app
from server.db import db, utcnow
from server.meetings import minutes as service
from server.meetings.models import Meeting

app = create_app()
with app.app_context():
    held = db.session.scalars(sa.select(Meeting).where(Meeting.ends_at < utcnow()).order_by(Meeting.ends_at)).all()
    for meeting in held:
        record = service.get_or_create_minutes(meeting)
        service.save_draft(record, f"{meeting.title}议题", "学习党章，讨论本月工作。", "无")
        service.finalise(record)
    db.session.commit()
    print(f"finalised minutes: {len(held)}")
PY
$BIN/flask --app wsgi anchor-minutes
mkdir -p "$INSTANCE_DIR/newspaper/images" && head -c 200000 /dev/urandom >"$INSTANCE_DIR/newspaper/images/$(printf '%032x' 1).jpg"

start=$(date +%s.%N)
$BIN/flask --app wsgi backup
echo "backup: $(echo "$(date +%s.%N) - $start" | bc) s wall, $(du -sh "$BACKUP_DIR" | cut -f1)"
backup="$(ls -d "$BACKUP_DIR"/edangwu-*)"
start=$(date +%s.%N)
$BIN/flask --app wsgi restore-backup "$backup" --database-url "$TARGET" --create-database --files-into "$WORK/restored"
echo "restore: $(echo "$(date +%s.%N) - $start" | bc) s wall"

# Every table, row for row: the same counts and the same checksum of the rows' text in both databases.
digest() {
  psql "$1" -Atc "SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
    SELECT table_name AS t, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I', table_name), false, true, '')))[1]::text
      || ':' || (xpath('/row/h/text()', query_to_xml(format('SELECT md5(coalesce(string_agg(x::text, ''|'' ORDER BY x::text), '''')) AS h FROM %I x', table_name), false, true, '')))[1]::text AS n
    FROM information_schema.tables WHERE table_schema = 'public') s"
}
if [ "$(digest "$SOURCE")" = "$(digest "$TARGET")" ]; then
  echo "tables: $(psql "$SOURCE" -Atc "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'") identical, row for row"
else
  echo "tables DIFFER after restore"; exit 1
fi
DATABASE_URL="$TARGET" MINUTES_ANCHOR_DIR="$WORK/restored/minutes-anchors" $BIN/flask --app wsgi verify-minutes | tail -1
cmp "$INSTANCE_DIR/newspaper/images/$(printf '%032x' 1).jpg" "$WORK/restored/newspaper-images/$(printf '%032x' 1).jpg" && echo "stored files: identical"
echo "drill passed"
