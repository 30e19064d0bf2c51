# Shared settings of the local Temporal cluster (sourced by the other scripts in this folder).
# Every value can be overridden from the environment, e.g. CLUSTER_FRONTEND_PORT=27233 make cluster.
# The ports are not Temporal's or PostgreSQL's defaults, so the cluster runs beside `make dev`
# (7233) and beside a PostgreSQL the machine may already run (5432).

TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.32.2}"
# The server's go.mod asks for a newer Go than Debian ships; the go command fetches this toolchain
# from the Go module proxy when the installed one is older.
CLUSTER_GOTOOLCHAIN="${CLUSTER_GOTOOLCHAIN:-go1.27.3}"

CLUSTER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_DIR="$CLUSTER_ROOT/scripts/cluster"
CLUSTER_DATA="${CLUSTER_DATA:-$CLUSTER_ROOT/.data/cluster}"
CLUSTER_BIN="$CLUSTER_ROOT/.tools/temporal-server-$TEMPORAL_SERVER_VERSION/bin"

CLUSTER_PG_PORT="${CLUSTER_PG_PORT:-15432}"
CLUSTER_PG_USER="${CLUSTER_PG_USER:-temporal}"
CLUSTER_PG_PASSWORD="${CLUSTER_PG_PASSWORD:-temporal}"
CLUSTER_SHARDS="${CLUSTER_SHARDS:-4}"
CLUSTER_NAMESPACE="${CLUSTER_NAMESPACE:-default}"
# gRPC ports; each service's membership port is its gRPC port - 10300 (Temporal's own layout:
# 7233 → 6933).
CLUSTER_FRONTEND_PORT="${CLUSTER_FRONTEND_PORT:-17233}"
CLUSTER_FRONTEND_HTTP_PORT="${CLUSTER_FRONTEND_HTTP_PORT:-17243}"
CLUSTER_HISTORY_PORT="${CLUSTER_HISTORY_PORT:-17234}"
CLUSTER_MATCHING_PORT="${CLUSTER_MATCHING_PORT:-17235}"
CLUSTER_WORKER_PORT="${CLUSTER_WORKER_PORT:-17239}"
CLUSTER_ADDRESS="127.0.0.1:$CLUSTER_FRONTEND_PORT"

# One OS process per Temporal service, in start order.
CLUSTER_SERVICES=(history matching frontend worker)

cluster_log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
cluster_die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }
