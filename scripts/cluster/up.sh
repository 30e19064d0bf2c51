#!/usr/bin/env bash
# `make cluster`: a real Temporal cluster on this machine, from nothing but Debian and the package
# registries: PostgreSQL (Debian's package, our own data directory), the official Temporal server
# built from the Go module proxy at a pinned version, its schemas applied with temporal-sql-tool,
# history / matching / frontend / worker as four processes, the `default` namespace, and our search
# attributes registered by `npm run temporal:setup`. Idempotent: a rerun starts what is stopped and
# changes nothing else. State lives in .data/cluster/ (`make cluster-clean` removes it).
set -euo pipefail
source "$(dirname "$0")/env.sh"
started=$(date +%s)
cd "$CLUSTER_ROOT"

bash "$CLUSTER_DIR/postgres.sh" start
bash "$CLUSTER_DIR/build-temporal.sh"

# The schema files ship inside the server module; `go mod download` puts it in the module cache
# (already there after the build) and says where.
schema_root="$(GOTOOLCHAIN="$CLUSTER_GOTOOLCHAIN" go mod download -json "go.temporal.io/server@$TEMPORAL_SERVER_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')/schema/postgresql/v12"
[ -d "$schema_root" ] || cluster_die "no PostgreSQL schema under '$schema_root' in the Go module cache"

sql_tool=("$CLUSTER_BIN/temporal-sql-tool" --plugin postgres12 --endpoint 127.0.0.1 --port "$CLUSTER_PG_PORT"
  --user "$CLUSTER_PG_USER" --password "$CLUSTER_PG_PASSWORD")
schema_log="$CLUSTER_DATA/logs/schema.log"
sql() { "${sql_tool[@]}" "$@" >>"$schema_log" 2>&1 || cluster_die "temporal-sql-tool $* failed; see $schema_log"; }
psql_at() {
  PGPASSWORD="$CLUSTER_PG_PASSWORD" psql -h 127.0.0.1 -p "$CLUSTER_PG_PORT" -U "$CLUSTER_PG_USER" \
    -d "$1" -tAX -v ON_ERROR_STOP=1 -c "$2"
}
# All three steps are idempotent (the database and the version tables are created only when
# missing), so a rerun just confirms the schema is current and an upgraded pin migrates it.
for spec in temporal:temporal temporal_visibility:visibility; do
  db="${spec%%:*}" dir="$schema_root/${spec##*:}/versioned"
  sql --database "$db" create-database
  sql --database "$db" setup-schema -v 0.0
  sql --database "$db" update-schema -d "$dir"
  cluster_log "schema of $db at version $(psql_at "$db" "SELECT curr_version FROM schema_version")"
done

bash "$CLUSTER_DIR/temporal.sh" start
temporal_cli="$(bash "$CLUSTER_ROOT/scripts/ensure-temporal.sh")"
tctl() { "$temporal_cli" --address "$CLUSTER_ADDRESS" "$@"; }
deadline=$(($(date +%s) + 90))
until tctl operator cluster health >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || cluster_die "the frontend on $CLUSTER_ADDRESS is not healthy after 90 s; see .data/cluster/logs/"
  sleep 0.5
done
if ! tctl operator namespace describe --namespace "$CLUSTER_NAMESPACE" >/dev/null 2>&1; then
  cluster_log "creating namespace $CLUSTER_NAMESPACE"
  tctl operator namespace create --namespace "$CLUSTER_NAMESPACE" --retention 72h >/dev/null
  # The frontend caches namespaces; wait until the new one resolves.
  until tctl operator namespace describe --namespace "$CLUSTER_NAMESPACE" >/dev/null 2>&1; do sleep 0.5; done
fi

setup_out="$(TEMPORAL_ADDRESS="$CLUSTER_ADDRESS" TEMPORAL_NAMESPACE="$CLUSTER_NAMESPACE" \
  node node_modules/tsx/dist/cli.mjs scripts/temporal-setup.ts)"
cluster_log "temporal:setup: $setup_out"
if [[ "$setup_out" == added* ]]; then
  # Each service caches the search attributes for up to 60 s; restarting them makes the new ones
  # usable at once (a turn that upserts an unknown one fails its workflow task until then).
  cluster_log "restarting the Temporal services so they load the new search attributes"
  bash "$CLUSTER_DIR/temporal.sh" stop
  bash "$CLUSTER_DIR/temporal.sh" start
  until tctl operator namespace describe --namespace "$CLUSTER_NAMESPACE" >/dev/null 2>&1; do sleep 0.5; done
fi

bash "$CLUSTER_DIR/temporal.sh" status | sed 's/^/  /'
cluster_log "Temporal $TEMPORAL_SERVER_VERSION on PostgreSQL ($CLUSTER_SHARDS history shards) ready at $CLUSTER_ADDRESS, namespace '$CLUSTER_NAMESPACE', in $(($(date +%s) - started)) s"
echo "  use it:  TEMPORAL_ADDRESS=$CLUSTER_ADDRESS npm run dev    ·    make test-cluster    ·    make cluster-stop"
