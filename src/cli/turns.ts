/** `clasper turns show <turn_id>`: a turn's status and result from GET /api/agents/turns/:turn_id. */
import type { Config } from '../config';
import { apiErrorText, apiTarget, callApi, type FetchFn } from './http';
import { fail, printJson, table, type Out, type Printer } from './output';

export interface TurnsShowOptions {
  api?: string;
  json?: boolean;
}

export interface TurnsDeps {
  config: Config;
  out: Out;
  fetch?: FetchFn;
}

interface TurnStatus {
  turn_id: string;
  status: string;
  error?: string;
  result?: {
    task_id: string;
    response: string;
    model?: string;
    usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    cost?: number | null;
    tool_calls?: { name: string; ok: boolean; error?: string }[];
    iterations?: number;
    capped?: boolean;
    posted?: boolean;
    message_id?: string;
    document_id?: string;
    context_warning?: string;
  };
}

export async function runTurnsShow(turnId: string, opts: TurnsShowOptions, deps: TurnsDeps): Promise<number> {
  const p: Printer = { out: deps.out, json: opts.json === true };
  try {
    const target = apiTarget(deps.config, opts.api, deps.fetch);
    const res = await callApi(target, 'GET', `/api/agents/turns/${encodeURIComponent(turnId)}`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200) return fail(p, apiErrorText(res));
    const turn = res.body as TurnStatus;
    if (p.json) printJson(p.out, turn);
    else p.out.stdout(describeTurn(turn));
    // A turn that ended badly is a failed command, so scripts can test `clasper turns show` directly.
    return turn.status === 'running' || turn.status === 'completed' ? 0 : 1;
  } catch (err) {
    return fail(p, err instanceof Error ? err.message : String(err));
  }
}

export function describeTurn(turn: TurnStatus): string {
  const rows: string[][] = [
    ['turn', turn.turn_id],
    ['status', turn.status],
  ];
  if (turn.error) rows.push(['error', turn.error]);
  const r = turn.result;
  if (r) {
    rows.push(['task', r.task_id]);
    if (r.model) rows.push(['model', r.model]);
    if (r.iterations !== undefined)
      rows.push(['iterations', `${r.iterations}${r.capped ? ' (hit the cap)' : ''}`]);
    if (r.usage) {
      rows.push([
        'tokens',
        `${r.usage.prompt_tokens} prompt + ${r.usage.completion_tokens} completion = ${r.usage.total_tokens}`,
      ]);
    }
    if (r.cost !== undefined && r.cost !== null) rows.push(['cost', `$${r.cost.toFixed(6)}`]);
    if (r.tool_calls && r.tool_calls.length > 0) {
      rows.push([
        'tool calls',
        r.tool_calls
          .map((c) => `${c.name} ${c.ok ? 'ok' : `failed${c.error ? ` (${c.error})` : ''}`}`)
          .join(', '),
      ]);
    }
    if (r.posted !== undefined)
      rows.push(['posted', r.posted ? `yes${r.message_id ? ` (message ${r.message_id})` : ''}` : 'no']);
    if (r.document_id) rows.push(['document', r.document_id]);
    if (r.context_warning) rows.push(['warning', r.context_warning]);
  }
  let text = table(rows);
  if (r) text += `\n${r.response}\n`;
  return text;
}
