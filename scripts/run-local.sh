#!/usr/bin/env bash
# Serve Oblik on 127.0.0.1:8080 with a Celery worker and beat on the embedded transport
# (kombu's SQLAlchemy transport on instance/celery-broker.db). Ctrl+C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
INSTANCE="${OBLIK_INSTANCE_DIR:-$PWD/instance}"
mkdir -p "$INSTANCE"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"$BIN/celery" -A app.tasks.worker worker --loglevel=warning --concurrency=1 \
    --logfile="$INSTANCE/celery-worker.log" &
pids+=($!)
"$BIN/celery" -A app.tasks.worker beat --loglevel=warning \
    --schedule="$INSTANCE/celerybeat-schedule" --logfile="$INSTANCE/celery-beat.log" &
pids+=($!)
echo "Oblik: http://127.0.0.1:8080  (Ctrl+C to stop)"
"$BIN/gunicorn" --bind 127.0.0.1:8080 --workers 2 --timeout 120 --access-logfile - 'app:create_app()'
