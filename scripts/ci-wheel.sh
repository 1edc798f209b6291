#!/usr/bin/env bash
# The README's production install, proved: build the sdist and from it the wheel, install the
# wheel into a fresh virtualenv outside the source tree, and from another directory migrate an
# empty PostgreSQL database, open a period, load a small demo town, run the billing, and serve
# the Ukrainian login page with gunicorn. Everything it made goes away at the end, even on failure.
#
#   scripts/ci-wheel.sh          (PostgreSQL on 127.0.0.1:5432; OBLIK_WHEEL_DB names the database)
set -euo pipefail
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-python3}"
PGHOST_ARGS=(-h 127.0.0.1 -p 5432 -U postgres)
DB="${OBLIK_WHEEL_DB:-oblik_wheel_ci}"
ACCOUNTS="${OBLIK_WHEEL_ACCOUNTS:-40}"

started=$SECONDS
TMP="$(mktemp -d "${TMPDIR:-/tmp}/oblik-wheel.XXXXXX")"
GUNICORN_PID=""
cleanup() {
    status=$?
    if [ -n "$GUNICORN_PID" ]; then
        kill -INT "$GUNICORN_PID" 2>/dev/null || true  # INT: gunicorn's quick shutdown
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -s "$TMP/gunicorn.log" ]; then
        echo "-- gunicorn log --"; tail -n 40 "$TMP/gunicorn.log"
    fi
    dropdb "${PGHOST_ARGS[@]}" --if-exists "$DB" 2>/dev/null || true
    rm -rf "$TMP"
    [ "$status" -eq 0 ] && echo "wheel install: all checks passed (cleaned up; $((SECONDS - started)) s in all)" \
        || echo "wheel install: FAILED (exit $status)"
    exit "$status"
}
trap cleanup EXIT

step() { printf '\n-- [%3d s] %s\n' "$((SECONDS - started))" "$*"; }
check() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAILED: %s\n' "$*" >&2; exit 1; }

pip_quiet() {  # pip's output in a log, shown when it fails
    "$@" >"$TMP/pip.log" 2>&1 || { tail -n 40 "$TMP/pip.log"; fail "$*"; }
}

step "build the sdist, then the wheel from it (python -m build in a venv of exactly requirements-build.lock)"
"$PY" -m venv "$TMP/build-venv"
# build-system.requires and the build front end, pinned with their hashes (make lock)
pip_quiet "$TMP/build-venv/bin/pip" install --require-hashes -r "$SRC/requirements-build.lock"
# --no-isolation reuses that venv instead of making two more; build still checks that it
# satisfies build-system.requires. The wheel is built from the unpacked sdist, so it holds
# only what the sdist carries and nothing stale from a build/ directory of the checkout.
"$TMP/build-venv/bin/python" -m build --no-isolation --outdir "$TMP/dist" "$SRC" >"$TMP/build.log" 2>&1 \
    || { tail -n 40 "$TMP/build.log"; fail "the build"; }
WHEEL="$(ls "$TMP"/dist/oblik-*.whl)"
check "built $(basename "$WHEEL") and $(basename "$(ls "$TMP"/dist/oblik-*.tar.gz)")"

step "install the wheel into a fresh virtualenv outside the source tree: the dependencies from requirements.lock (hashes), the wheel with --no-deps"
VENV="$TMP/venv"
"$PY" -m venv "$VENV"
pip_quiet "$VENV/bin/pip" install --no-compile --require-hashes -r "$SRC/requirements.lock"
pip_quiet "$VENV/bin/pip" install --no-compile --no-deps "$WHEEL"
"$VENV/bin/pip" check >"$TMP/pip-check.log" 2>&1 || { cat "$TMP/pip-check.log"; fail "pip check: requirements.lock lacks a dependency of the wheel (run make lock)"; }
check "the locked dependencies ($(grep -c '^[a-z0-9].*==' "$SRC/requirements.lock") pins with hashes) and the wheel; pip check: $(cat "$TMP/pip-check.log")"
WORK="$TMP/elsewhere"   # the working directory of every command below: neither the source nor the venv
mkdir -p "$WORK"
cd "$WORK"
SITE="$("$VENV/bin/python" -c 'import app, pathlib; print(pathlib.Path(app.__file__).parent.parent)')"
case "$SITE" in "$VENV"/*) check "app imports from $SITE" ;; *) fail "app imports from $SITE, not the venv" ;; esac
for f in app/migrations/alembic.ini app/migrations/env.py app/migrations/script.py.mako \
         app/migrations/versions/0001_initial_schema.py app/templates/oblik/base.html \
         app/translations/uk/LC_MESSAGES/messages.mo config.py; do
    [ -f "$SITE/$f" ] || fail "the wheel lacks $f"
done
check "the wheel holds the migrations ($(ls "$SITE"/app/migrations/versions/*.py | wc -l) revisions), templates, config.py and the Ukrainian .mo"
"$VENV/bin/python" - "$SRC/translations/uk/LC_MESSAGES/messages.po" "$SITE/app/translations/uk/LC_MESSAGES/messages.mo" <<'EOF'
import sys
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
with open(sys.argv[1], "rb") as f:
    po = {m.id: m.string for m in read_po(f, locale="uk") if m.id and m.string and not m.fuzzy}
with open(sys.argv[2], "rb") as f:
    mo = {m.id: m.string for m in read_mo(f) if m.id}
stale = [i for i in po if mo.get(i) != po[i]]
if stale or not po:
    sys.exit(f"   FAILED: the wheel's .mo differs from the .po in {len(stale)} of {len(po)} messages, e.g. {stale[:3]}")
print(f"   ok: the wheel's .mo holds all {len(po)} translations of the source .po")
EOF

step "a fresh empty PostgreSQL database $DB"
dropdb "${PGHOST_ARGS[@]}" --if-exists "$DB" 2>/dev/null
createdb "${PGHOST_ARGS[@]}" "$DB"
export OBLIK_DATABASE_URL="postgresql+psycopg2://postgres@127.0.0.1:5432/$DB"
export OBLIK_INSTANCE_DIR="$TMP/instance"
unset OBLIK_SECRET_KEY OBLIK_BROKER_URL OBLIK_RESULT_BACKEND OBLIK_CELERY_EAGER
export HOME="$TMP/home"   # the default instance directory (below) must not land in the real home
check "OBLIK_DATABASE_URL=$OBLIK_DATABASE_URL OBLIK_INSTANCE_DIR=$OBLIK_INSTANCE_DIR"

OBLIK="$VENV/bin/oblik"
step "oblik db upgrade"
"$OBLIK" db upgrade
tables=$(psql "${PGHOST_ARGS[@]}" -d "$DB" -Atc "select count(*) from information_schema.tables where table_schema='public'")
head=$(psql "${PGHOST_ARGS[@]}" -d "$DB" -Atc "select version_num from alembic_version")
latest=$(basename "$(ls "$SRC"/app/migrations/versions/[0-9]*.py | sort | tail -n1)" .py)
[ "$tables" -gt 20 ] || fail "only $tables tables after the upgrade"
case "$latest" in "$head"*) ;; *) fail "alembic_version is $head, the newest revision is $latest" ;; esac
[ -s "$OBLIK_INSTANCE_DIR/secret_key" ] || fail "no secret key in OBLIK_INSTANCE_DIR"
check "$tables tables, alembic at $head, the secret key in OBLIK_INSTANCE_DIR"

PERIOD="$("$VENV/bin/python" -c 'import datetime as d; t=d.date.today().replace(day=1)-d.timedelta(days=1); print(t.strftime("%Y-%m"))')"
step "oblik period open $PERIOD"
"$OBLIK" period open "$PERIOD"
[ "$(psql "${PGHOST_ARGS[@]}" -d "$DB" -Atc "select period from period where status='open'")" = "$PERIOD" ] \
    || fail "the open period is not $PERIOD"
check "the open period in the database: $PERIOD"

step "oblik demo --accounts $ACCOUNTS"
"$OBLIK" demo --accounts "$ACCOUNTS"
check "demo town loaded"

step "oblik billing run --quiet"
out="$("$OBLIK" billing run --quiet)"
echo "   $out"
accounts=$(psql "${PGHOST_ARGS[@]}" -d "$DB" -Atc "select count(distinct account_id) from charge_line")
[ "$accounts" -gt 0 ] || fail "no charge lines after the billing run"
check "charge lines for $accounts accounts"

step "celery from the venv loads the app: its broker and beat's schedule in the instance directory"
report="$("$VENV/bin/celery" -A app.tasks.worker report)"
grep -q "beat_schedule_filename: '$OBLIK_INSTANCE_DIR/celerybeat-schedule'" <<<"$report" || fail "beat's schedule: $(grep beat_schedule <<<"$report")"
grep -q "broker_url: 'sqla+sqlite:///$OBLIK_INSTANCE_DIR/celery-broker.db'" <<<"$report" || fail "the broker: $(grep broker_url <<<"$report")"
check "celery -A app.tasks.worker report: beat_schedule_filename and broker_url under OBLIK_INSTANCE_DIR"

step "gunicorn from the venv serves the Ukrainian login page"
PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$VENV/bin/gunicorn" --bind "127.0.0.1:$PORT" --workers 1 --timeout 60 'app:create_app()' >"$TMP/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/login/" 2>/dev/null && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || fail "gunicorn exited"
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/login/" -o "$TMP/login.html" || fail "GET /login/"
grep -q 'Увійти' "$TMP/login.html" || fail "the login page is not Ukrainian (no «Увійти»)"
grep -q 'Sign In' "$TMP/login.html" && fail "the login page still shows the English «Sign In»"
check "GET http://127.0.0.1:$PORT/login/ → 200, «Увійти», no «Sign In»"

step "the default instance directory of an installed wheel: \$XDG_DATA_HOME/oblik, else ~/.local/share/oblik"
dir="$(unset OBLIK_INSTANCE_DIR XDG_DATA_HOME; "$VENV/bin/python" -c 'import config; print(config.INSTANCE_DIR)')"
[ "$dir" = "$HOME/.local/share/oblik" ] || fail "the default instance directory is $dir"
[ -s "$HOME/.local/share/oblik/secret_key" ] || fail "no secret key in ~/.local/share/oblik"
[ -z "$(ls -A "$WORK")" ] || fail "commands wrote into the working directory: $(ls -A "$WORK")"
check "~/.local/share/oblik/secret_key made; nothing written into the working directory"

echo
echo "wheel install checked in $((SECONDS - started)) s"
