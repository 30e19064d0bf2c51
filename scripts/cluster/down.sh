#!/usr/bin/env bash
# `make cluster-stop`: stops the Temporal services, then PostgreSQL. The data stays in
# .data/cluster/, so `make cluster` brings the same cluster back.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$CLUSTER_DIR/temporal.sh" stop
bash "$CLUSTER_DIR/postgres.sh" stop
cluster_log "stopped (data kept in ${CLUSTER_DATA#"$CLUSTER_ROOT/"})"
