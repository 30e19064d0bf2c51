#!/usr/bin/env bash
# Builds the official Temporal server and its SQL schema tool from the Go module proxy at the pinned
# version, into .tools/temporal-server-<version>/bin (temporal-server, temporal-sql-tool). A second
# run finds both binaries and returns at once. Cold, this takes ~3-5 min on 2 cores (download of the
# toolchain and modules, then compiling).
set -euo pipefail
source "$(dirname "$0")/env.sh"

server="$CLUSTER_BIN/temporal-server"
sqltool="$CLUSTER_BIN/temporal-sql-tool"
if [ -x "$server" ] && [ -x "$sqltool" ]; then exit 0; fi

command -v go >/dev/null 2>&1 ||
  cluster_die "no 'go' command: install Go (apt-get install golang-go, or https://go.dev/dl) — any version; it fetches $CLUSTER_GOTOOLCHAIN itself"

cluster_log "building Temporal server $TEMPORAL_SERVER_VERSION with $CLUSTER_GOTOOLCHAIN (a few minutes the first time)"
started=$(date +%s)
staging="$CLUSTER_BIN.partial"
rm -rf "$staging" && mkdir -p "$staging"
# `go install pkg@version` builds outside any module, exactly the published module and its go.sum.
GOTOOLCHAIN="$CLUSTER_GOTOOLCHAIN" GOBIN="$staging" \
  go install "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
mv "$staging/server" "$staging/temporal-server"
mv "$staging/sql" "$staging/temporal-sql-tool"
rm -rf "$CLUSTER_BIN" && mv "$staging" "$CLUSTER_BIN"
cluster_log "built $CLUSTER_BIN in $(($(date +%s) - started)) s"
