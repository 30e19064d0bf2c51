#!/usr/bin/env bash
# The Temporal services of the local cluster, one OS process each (history, matching, frontend,
# worker), all from scripts/cluster/temporal.yaml, logs in .data/cluster/logs/<service>.log.
#
#   temporal.sh start [service…]     start those not running (default: all), each once the previous listens
#   temporal.sh stop [service…]      SIGTERM, then SIGKILL after 10 s
#   temporal.sh kill9 <service>      SIGKILL, as a crash would (the fault run uses it)
#   temporal.sh status               one line per service
set -euo pipefail
source "$(dirname "$0")/env.sh"

export CLUSTER_SHARDS CLUSTER_PG_PORT CLUSTER_PG_USER CLUSTER_PG_PASSWORD CLUSTER_FRONTEND_PORT \
  CLUSTER_FRONTEND_HTTP_PORT CLUSTER_HISTORY_PORT CLUSTER_MATCHING_PORT CLUSTER_WORKER_PORT
export CLUSTER_DYNAMIC_CONFIG="$CLUSTER_DIR/dynamicconfig.yaml"
RUN_DIR="$CLUSTER_DATA/run"
LOG_DIR="$CLUSTER_DATA/logs"
mkdir -p "$RUN_DIR" "$LOG_DIR"

pid_of() { cat "$RUN_DIR/$1.pid" 2>/dev/null || true; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
port_of() {
  case "$1" in
    frontend) echo "$CLUSTER_FRONTEND_PORT" ;; history) echo "$CLUSTER_HISTORY_PORT" ;;
    matching) echo "$CLUSTER_MATCHING_PORT" ;; worker) echo "$CLUSTER_WORKER_PORT" ;;
    *) cluster_die "unknown Temporal service '$1' (known: ${CLUSTER_SERVICES[*]})" ;;
  esac
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_one() {
  local svc="$1" port; port="$(port_of "$svc")"
  if alive "$svc"; then return; fi
  if listening "$port"; then
    cluster_die "port $port ($svc) is taken by another process; stop it or set CLUSTER_${svc^^}_PORT"
  fi
  # setsid: the service outlives the make that started it and gets no Ctrl-C meant for make.
  setsid "$CLUSTER_BIN/temporal-server" --config-file "$CLUSTER_DIR/temporal.yaml" --allow-no-auth \
    start --service "$svc" >>"$LOG_DIR/$svc.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$svc.pid"
}

wait_listening() {
  local svc="$1" port deadline; port="$(port_of "$svc")"; deadline=$(($(date +%s) + 90))
  until listening "$port"; do
    alive "$svc" || cluster_die "temporal $svc exited at start; last lines of $LOG_DIR/$svc.log:
$(tail -n 15 "$LOG_DIR/$svc.log")"
    [ "$(date +%s)" -lt "$deadline" ] || cluster_die "temporal $svc not listening on $port after 90 s; see $LOG_DIR/$svc.log"
    sleep 0.2
  done
}

stop_one() {
  local svc="$1" p; p="$(pid_of "$svc")"
  if alive "$svc"; then
    kill -TERM "$p"
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p"
  fi
  rm -f "$RUN_DIR/$svc.pid"
}

cmd="${1:-}"; shift || true
services=("$@"); [ ${#services[@]} -gt 0 ] || services=("${CLUSTER_SERVICES[@]}")
case "$cmd" in
  start)
    [ -x "$CLUSTER_BIN/temporal-server" ] || cluster_die "no $CLUSTER_BIN/temporal-server: run make cluster"
    # One at a time: on a fresh database the first service to start writes the cluster metadata
    # record, and services starting together race for it and exit.
    for s in "${services[@]}"; do start_one "$s" && wait_listening "$s"; done
    ;;
  stop) for s in "${services[@]}"; do stop_one "$s"; done ;;
  kill9)
    [ $# -eq 1 ] || cluster_die "usage: temporal.sh kill9 <service>"
    alive "$1" && kill -KILL "$(pid_of "$1")"
    rm -f "$RUN_DIR/$1.pid"
    ;;
  status)
    for s in "${CLUSTER_SERVICES[@]}"; do
      if alive "$s"; then echo "$s: running (pid $(pid_of "$s"), port $(port_of "$s"))"; else echo "$s: stopped"; fi
    done
    ;;
  *) cluster_die "usage: temporal.sh start|stop|kill9|status [service…]" ;;
esac
