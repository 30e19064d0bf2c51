#!/usr/bin/env bash
# `scripts/with-local-llm.sh CMD...`: starts the local model server (scripts/local-llm-server.sh),
# waits until it answers, runs CMD with the runtime pointed at it, and stops the server after.
# Used by `make dev-local` and `make test-local-llm`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${LOCAL_LLM_PORT:-8090}"
ctx="${LOCAL_LLM_CTX:-8192}"
bash "$root/scripts/ensure-local-llm.sh" >/dev/null
log="$root/.tools/local-llm-server.log"
bash "$root/scripts/local-llm-server.sh" >"$log" 2>&1 &
server=$!
watcher=
trap 'kill $watcher "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "the local model server exited; its log ($log) ends with:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/v1/models" >/dev/null || {
  echo "the local model server did not answer on port $port within 120 s; see $log" >&2
  exit 1
}
echo "local model server: http://127.0.0.1:$port/v1 (SmolLM2-135M-Instruct, n_ctx $ctx, log $log)" >&2
export OPENAI_BASE_URL="http://127.0.0.1:$port/v1"
export OPENAI_API_KEY=
export LLM_MODEL_DEFAULT="${LOCAL_LLM_ALIAS:-smollm2-135m}"
export LLM_MODEL_LABEL="${LOCAL_LLM_ALIAS:-smollm2-135m}"
export LLM_CONTEXT_WINDOW="$ctx"
# llama-cpp-python cannot stream a request that offers tools (it answers 500, then crashes).
export LLM_STREAM_WITH_TOOLS=false
export LLM_MAX_OUTPUT_TOKENS="${LLM_MAX_OUTPUT_TOKENS:-256}"
# A 135M model on 2 shared cores takes tens of seconds for a prompt with tools.
export LLM_REQUEST_TIMEOUT_SEC="${LLM_REQUEST_TIMEOUT_SEC:-300}"
export CLASPER_LOCAL_LLM_URL="$OPENAI_BASE_URL"
# A server that dies mid-run (llama.cpp can crash on a request) makes turns fail with connection
# errors after their retries; say so the moment it happens, not only after the command ends.
# Ctrl-C reaches the server too; uvicorn then shuts down cleanly and logs "Finished server process".
(
  while kill -0 "$server" 2>/dev/null; do sleep 1; done
  if tail -3 "$log" | grep -q 'Finished server process'; then exit 0; fi
  echo "the local model server stopped while the command runs; model calls now fail with connection errors. Its log ($log) ends with:" >&2
  tail -5 "$log" >&2
) &
watcher=$!
status=0
"$@" || status=$?
if ! kill -0 "$server" 2>/dev/null; then
  code=0
  wait "$server" || code=$?
  if [ "$code" -ne 0 ]; then
    echo "the local model server exited with code $code during the run (139 = segmentation fault); see $log" >&2
    [ "$status" -ne 0 ] || status=1
  fi
fi
exit "$status"
