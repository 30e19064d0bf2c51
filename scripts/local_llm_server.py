"""llama-cpp-python's OpenAI-compatible server with one more chat format, `chatml-tools`.

Run as `python scripts/local_llm_server.py <llama_cpp.server flags>` (scripts/local-llm-server.sh
does). `chatml-tools` is llama-cpp-python 0.3.36's `chatml-function-calling` with two of its gaps
closed, because an agent's tool loop falls into both on every turn:

- Its prompt template has no case for `role: "tool"`, so tool results are silently dropped and the
  model never sees what its call returned. They are passed on as user messages naming the tool.
- With `tool_choice: "auto"`, when the model decides to answer in words it generates that answer
  under the grammar meant for a follow-up call, which only admits a tool name or end-of-message:
  the answer is always empty. An empty answer is generated again without tools, as plain chatml.
- In that mode it also ignores `max_tokens` (it asks for the rest of the context): a small model
  wrote 1,237 tokens of one tool argument, and the next step's prompt no longer fit in n_ctx.
  Every completion the handler makes is held to the request's `max_tokens`.

One policy is added for small models: after `LOCAL_LLM_TOOL_ROUNDS` (default 1) rounds of tool
calls since the last user message, the next completion is asked for words (`tool_choice: "none"`).
A 135M model offered tools keeps calling them rather than answering; with this it reads the
results of its calls and writes the reply. 0 lifts the limit (the runtime's own step cap,
CLASPER_MAX_TOOL_ITERATIONS, still ends the turn).

Everything else (the tool list in the system prompt, grammar-constrained arguments, a forced
`tool_choice`) is the upstream handler's. Written against llama-cpp-python 0.3.36, the version
scripts/ensure-local-llm.sh pins.
"""

import os

from llama_cpp import llama_chat_format as formats
from llama_cpp.server.__main__ import main


def _tool_rounds_limit():
    raw = os.environ.get("LOCAL_LLM_TOOL_ROUNDS", "1")
    if not raw.isdigit():
        raise SystemExit(f"LOCAL_LLM_TOOL_ROUNDS must be a whole number (0 = no limit), got {raw!r}")
    return int(raw)


TOOL_ROUNDS = _tool_rounds_limit()


def _tool_rounds_since_user(messages):
    rounds = 0
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        if message.get("role") == "assistant" and message.get("tool_calls"):
            rounds += 1
    return rounds


def _tool_results_as_user_messages(messages):
    names = {}
    out = []
    for message in messages:
        for call in message.get("tool_calls") or []:
            names[call.get("id")] = (call.get("function") or {}).get("name", "a tool")
        if message.get("role") == "tool":
            name = names.get(message.get("tool_call_id"), "a tool")
            out.append({"role": "user", "content": f"Result of {name}: {message.get('content') or ''}"})
        else:
            out.append(message)
    return out


def _is_empty_answer(result):
    message = result["choices"][0]["message"]
    text = (message.get("content") or "").strip()
    # Under that grammar the only non-empty "answer" is a bare tool name like `functions.x:`.
    bare_tool_name = text.startswith("functions.") and text.endswith(":") and " " not in text
    return not message.get("tool_calls") and (not text or bare_tool_name)


def _bounded_completions(llama, max_tokens):
    """Shadows `llama.create_completion` so no call asks for more than `max_tokens`; undo with `del`."""
    unbounded = llama.create_completion

    def create_completion(*args, **kwargs):
        asked = kwargs.get("max_tokens")
        if max_tokens and (asked is None or asked <= 0 or asked > max_tokens):
            kwargs["max_tokens"] = max_tokens
        return unbounded(*args, **kwargs)

    llama.create_completion = create_completion


@formats.register_chat_completion_handler("chatml-tools")
def chatml_tools(llama, messages, **kwargs):
    rounds = _tool_rounds_since_user(messages)
    messages = _tool_results_as_user_messages(messages)
    if kwargs.get("tools") and TOOL_ROUNDS and rounds >= TOOL_ROUNDS:
        kwargs = dict(kwargs, tools=None, tool_choice=None, functions=None, function_call=None)
    # The server runs one request at a time per model (it holds a lock), so shadowing is safe.
    _bounded_completions(llama, kwargs.get("max_tokens"))
    try:
        result = formats.chatml_function_calling(llama=llama, messages=messages, **kwargs)
        automatic = kwargs.get("tools") and kwargs.get("tool_choice") in (None, "auto")
        if automatic and not kwargs.get("stream") and _is_empty_answer(result):
            plain = dict(kwargs, tool_choice="none", functions=None, function_call=None)
            result = formats.chatml_function_calling(llama=llama, messages=messages, **plain)
        return result
    finally:
        del llama.create_completion


if __name__ == "__main__":
    main()
