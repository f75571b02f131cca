#!/usr/bin/env bash
# Arize Phoenix (local OTLP backend + UI) for llmscope's end-to-end tests.
#
#   scripts/phoenix.sh start   install arize-phoenix into target/phoenix-venv if missing
#                              (about 70 s, 850 MB), start it on 127.0.0.1 on free ports, wait
#                              until /healthz answers; prints `PHOENIX_URL=...` and
#                              `PHOENIX_GRPC_PORT=...`, also written to target/phoenix/env
#   scripts/phoenix.sh install only the venv (idempotent)
#   scripts/phoenix.sh stop    kill the server by the PID in target/phoenix/phoenix.pid
#   scripts/phoenix.sh status  exit 0 if ours is running and healthy
#
# Env overrides: PHOENIX_VENV, PHOENIX_VERSION, PHOENIX_PORT, PHOENIX_GRPC_PORT,
# PHOENIX_WORKING_DIR (sqlite db, log, pid file), PHOENIX_START_TIMEOUT.
# Adapted from the project's reference tooling (start-phoenix.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${PHOENIX_VENV:-$PWD/target/phoenix-venv}"
VERSION="${PHOENIX_VERSION:-20.26.1}"
WORK="${PHOENIX_WORKING_DIR:-$PWD/target/phoenix}"
PIDFILE="$WORK/phoenix.pid"
ENVFILE="$WORK/env"
LOG="$WORK/phoenix.log"
TIMEOUT="${PHOENIX_START_TIMEOUT:-120}"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

install() {
  if [ ! -x "$VENV/bin/phoenix" ]; then
    echo "installing arize-phoenix==$VERSION into $VENV ..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip >&2
    "$VENV/bin/pip" install -q "arize-phoenix==$VERSION" >&2
  fi
}

running() {
  [ -f "$PIDFILE" ] && [ -f "$ENVFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null || return 1
  # shellcheck disable=SC1090
  . "$ENVFILE"
  curl -sf "$PHOENIX_URL/healthz" >/dev/null 2>&1
}

start() {
  install
  mkdir -p "$WORK"
  if running; then
    echo "phoenix already running (PID $(cat "$PIDFILE"))" >&2
    cat "$ENVFILE"
    return 0
  fi
  local port="${PHOENIX_PORT:-$(free_port)}" grpc="${PHOENIX_GRPC_PORT:-$(free_port)}"
  local url="http://127.0.0.1:$port"
  if curl -sf "$url/healthz" >/dev/null 2>&1; then
    echo "something else answers on $url; set PHOENIX_PORT to a free port" >&2
    return 1
  fi
  # No phone-home, no external resources, no server-side assistant or bash tool.
  PHOENIX_HOST=127.0.0.1 PHOENIX_PORT="$port" PHOENIX_GRPC_PORT="$grpc" \
  PHOENIX_WORKING_DIR="$WORK" PHOENIX_TELEMETRY_ENABLED=false \
  PHOENIX_ALLOW_EXTERNAL_RESOURCES=false PHOENIX_DISABLE_AGENT_ASSISTANT=true \
  PHOENIX_AGENTS_DISABLE_BASH=true \
    nohup "$VENV/bin/phoenix" serve >"$LOG" 2>&1 &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  local t0
  t0=$(date +%s)
  while ! curl -sf "$url/healthz" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "phoenix exited during startup; last log lines:" >&2
      tail -n 30 "$LOG" >&2
      rm -f "$PIDFILE"
      return 1
    fi
    if [ $(( $(date +%s) - t0 )) -ge "$TIMEOUT" ]; then
      echo "phoenix not healthy after ${TIMEOUT}s; stopping PID $pid" >&2
      kill "$pid" 2>/dev/null || true
      rm -f "$PIDFILE"
      return 1
    fi
    sleep 0.5
  done
  printf 'PHOENIX_URL=%s\nPHOENIX_GRPC_PORT=%s\n' "$url" "$grpc" >"$ENVFILE"
  echo "phoenix healthy after $(( $(date +%s) - t0 ))s at $url (OTLP/HTTP $url/v1/traces, gRPC port $grpc), PID $pid, log $LOG" >&2
  cat "$ENVFILE"
}

stop() {
  if [ -f "$PIDFILE" ]; then
    local pid
    pid=$(cat "$PIDFILE")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "phoenix (PID $pid) stopped" >&2
    fi
    rm -f "$PIDFILE" "$ENVFILE"
  fi
}

case "${1:-start}" in
  start) start ;;
  install) install ;;
  stop) stop ;;
  status) running ;;
  *) echo "usage: $0 start|install|stop|status" >&2; exit 2 ;;
esac
