#!/usr/bin/env bash
# Runs journey.py against a server of its own: starts BINARY (`sos serve --demo`) on a free
# loopback port, with a fresh data directory (SQLite), waits until /healthz answers, runs the
# journey through the client that check.sh generated and installed, then stops the server.
# The exit status is the journey's; on failure the server's log is shown.
#
# Usage: tests/client/journey.sh BINARY      (after tests/client/check.sh)
#   SOS_CLIENT_VENV  the venv check.sh made (default tests/client/.venv)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${1:?usage: tests/client/journey.sh path/to/sos}"
venv="${SOS_CLIENT_VENV:-$here/.venv}"
[ -x "$binary" ] || { echo "journey: no server binary at $binary" >&2; exit 1; }
[ -x "$venv/bin/python" ] || { echo "journey: no venv at $venv: run tests/client/check.sh first" >&2; exit 1; }

scratch="$(mktemp -d)"
log="$scratch/server.log"
server=""
stop() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap stop EXIT
failed() {
  echo "journey: FAILED: $*" >&2
  echo "journey: the server's log:" >&2
  tail -n 60 "$log" >&2 || true
  exit 1
}

# Port 0: the system picks a free port, which the server names in its log. Nothing but the
# loopback address is listened on or contacted.
env -u DATABASE_URL -u JWT_SECRET -u SMTP_URL -u FCM_SERVICE_ACCOUNT -u SOS_PHOTO_STORE \
  SOS_LISTEN=127.0.0.1:0 SOS_DATA_DIR="$scratch/data" SOS_LOG_FORMAT=text NO_COLOR=1 \
  RUST_LOG=info,sqlx=warn,sea_orm=warn \
  "$binary" serve --demo >"$log" 2>&1 &
server=$!

address=""
for _ in $(seq 1 600); do
  kill -0 "$server" 2>/dev/null || failed "the server stopped before listening"
  address="$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$log" | head -n 1 | sed 's/^listening on //')" || true
  [ -n "$address" ] && break
  sleep 0.2
done
[ -n "$address" ] || failed "the server did not listen within 2 minutes"

healthy=""
for _ in $(seq 1 300); do
  if "$venv/bin/python" - "$address/healthz" <<'EOF' 2>/dev/null; then
import sys
import urllib.request

opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(sys.argv[1], timeout=2) as answer:
    sys.exit(0 if answer.status == 200 else 1)
EOF
    healthy=1
    break
  fi
  sleep 0.2
done
[ -n "$healthy" ] || failed "$address/healthz did not answer within a minute"
echo "journey: the server answers at $address"

if ! SOS_BASE_URL="$address" "$venv/bin/python" "$here/journey.py"; then
  failed "journey.py (above)"
fi
