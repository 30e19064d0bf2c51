/**
 * `clasper turns cancel` and `clasper approvals list|approve|deny`: the human-in-the-loop
 * endpoints of the runtime's HTTP API, for an operator at a terminal.
 */
import { apiErrorText, apiTarget, callApi, type ApiResponse } from './http';
import { fail, printJson, printLine, table, type Printer } from './output';
import type { TurnsDeps } from './turns';

export interface ControlOptions {
  api?: string;
  json?: boolean;
}

async function call(
  deps: TurnsDeps,
  opts: ControlOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const target = apiTarget(deps.config, opts.api, deps.fetch);
  return callApi(target, method, path, { body, signal: AbortSignal.timeout(30_000) });
}

function printerOf(deps: TurnsDeps, opts: ControlOptions): Printer {
  return { out: deps.out, json: opts.json === true };
}

export async function runTurnsCancel(
  turnId: string,
  opts: ControlOptions & { reason?: string },
  deps: TurnsDeps,
): Promise<number> {
  const p = printerOf(deps, opts);
  try {
    const res = await call(deps, opts, 'POST', `/api/agents/turns/${encodeURIComponent(turnId)}/cancel`, {
      ...(opts.reason ? { reason: opts.reason } : {}),
    });
    if (res.status !== 202) return fail(p, apiErrorText(res));
    if (p.json) printJson(p.out, res.body);
    else printLine(p.out, `cancelling ${turnId}: ${(res.body as { reason: string }).reason}`);
    return 0;
  } catch (err) {
    return fail(p, err instanceof Error ? err.message : String(err));
  }
}

interface InboxItem {
  turn_id: string;
  call_id: string;
  name: string;
  arguments: unknown;
  requested_at: string;
  user_id?: string;
}

export async function runApprovalsList(
  opts: ControlOptions & { user?: string },
  deps: TurnsDeps,
): Promise<number> {
  const p = printerOf(deps, opts);
  try {
    const query = opts.user ? `?user_id=${encodeURIComponent(opts.user)}` : '';
    const res = await call(deps, opts, 'GET', `/api/approvals${query}`);
    if (res.status !== 200) return fail(p, apiErrorText(res));
    const { items } = res.body as { items: InboxItem[] };
    if (p.json) printJson(p.out, { items });
    else if (items.length === 0) printLine(p.out, 'no tool call is waiting for approval');
    else
      printLine(
        p.out,
        table([
          ['turn', 'call', 'tool', 'user', 'since', 'arguments'],
          ...items.map((i) => [
            i.turn_id,
            i.call_id,
            i.name,
            i.user_id ?? '',
            i.requested_at,
            JSON.stringify(i.arguments),
          ]),
        ]),
      );
    return 0;
  } catch (err) {
    return fail(p, err instanceof Error ? err.message : String(err));
  }
}

export async function runApprovalDecision(
  decision: 'approve' | 'deny',
  turnId: string,
  callId: string,
  opts: ControlOptions & { reason?: string; arguments?: string },
  deps: TurnsDeps,
): Promise<number> {
  const p = printerOf(deps, opts);
  let edited: unknown;
  if (opts.arguments !== undefined) {
    try {
      edited = JSON.parse(opts.arguments);
    } catch {
      return fail(p, `--arguments is not JSON: ${opts.arguments}`);
    }
  }
  try {
    const res = await call(
      deps,
      opts,
      'POST',
      `/api/agents/turns/${encodeURIComponent(turnId)}/approvals/${encodeURIComponent(callId)}`,
      {
        decision,
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(edited !== undefined ? { arguments: edited } : {}),
      },
    );
    if (res.status !== 200) return fail(p, apiErrorText(res));
    if (p.json) printJson(p.out, res.body);
    else printLine(p.out, `${decision === 'approve' ? 'approved' : 'denied'} ${callId} of ${turnId}`);
    return 0;
  } catch (err) {
    return fail(p, err instanceof Error ? err.message : String(err));
  }
}
