#!/bin/bash
# bench/login_limit.sh TREE PORT — 30 wrong API sign-ins (one account, then 30 unknown names)
# against gunicorn with 2 workers on a fresh SQLite database: how many reach the password
# check (401) and how many are refused (429). IPF=N sets OBLIK_LOGIN_IP_FAILURES.
TREE=$1; PORT=$2
export OBLIK_INSTANCE_DIR=$(mktemp -d /tmp/oblik-login-limit-XXXX) OBLIK_SECRET_KEY=bench-secret-key-0123456789abcdef0123
export OBLIK_BROKER_URL=memory:// OBLIK_RESULT_BACKEND=cache+memory:// OBLIK_LOGIN_IP_FAILURES=${IPF:-20}
cd $TREE
/work/main/.venv/bin/python -c "from app.cli import main; main()" db upgrade >/dev/null
/work/main/.venv/bin/python -c "from app.cli import main; main()" user create --username victim --password 'bench-pass-long-1' --role operator >/dev/null
/work/main/.venv/bin/gunicorn --bind 127.0.0.1:$PORT --workers 2 --chdir $TREE 'app:create_app()' >$OBLIK_INSTANCE_DIR/gunicorn.log 2>&1 &
GPID=$!
sleep 6
for mode in same distinct; do
  codes=""
  for i in $(seq 1 30); do
    user=victim; [ $mode = distinct ] && user="nobody$i-$mode"
    c=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:$PORT/api/v1/security/login -H 'Content-Type: application/json' -d "{\"username\":\"$user\",\"password\":\"wrong-guess-$i\",\"provider\":\"db\"}")
    codes="$codes $c"
  done
  echo "$mode: processed(401)=$(echo $codes | tr ' ' '\n' | grep -c 401) refused(429)=$(echo $codes | tr ' ' '\n' | grep -c 429)"
  sleep 21  # FAB's per-process limit window (10 per 20 s)
done
kill $GPID; wait $GPID 2>/dev/null
