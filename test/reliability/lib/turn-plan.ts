/**
 * The work every scenario runs: N agent turns, each with tool calls, whose every backend write is
 * known in advance, so "none missing, none twice" is a count, not a judgement.
 *
 * Turn `<tag>` (user `rel-<runId>-u<k>`, task title `Thread <tag>`, kickoff plan on) goes:
 *   model step 1 → create_task "Sub <tag>"
 *   model step 2 → post_message "Note <tag>" and create_document "Doc <tag>" on that task (parallel)
 *   model step 3 → final answer "Done <tag>"
 *   reply       → message "Done <tag>" on "Thread <tag>" + plan document "Plan <tag>"
 * so each turn writes exactly 2 tasks, 2 messages and 2 documents. The fake model decides from the
 * request alone (which turn, which step), so a retried or replayed model call answers the same.
 */
import { makeSessionKey } from '../../../src/shared/ids';
import type { FakeResponder, FakeStep, RecordedRequest } from '../../support/fake-openai';

export interface PlannedTurn {
  tag: string;
  userId: string;
  /** The Idempotency-Key sent with the request; the turn id is `agent-turn/<user>/<key>`. */
  key: string;
  turnId: string;
}

const MARKER = /\[\[turn ([A-Za-z0-9-]+)\]\]/;

export function planTurns(runId: string, n: number, users = 4): PlannedTurn[] {
  return Array.from({ length: n }, (_, i) => {
    const tag = `${runId}-${i + 1}`;
    // Users (so session keys) are the run's own: a session is one workflow per key in the
    // namespace, and scenarios running side by side must not feed each other's sessions.
    const userId = `rel-${runId}-u${i % users}`;
    const key = `rel-${tag}`;
    return { tag, userId, key, turnId: `agent-turn/${userId}/${key}` };
  });
}

export function sendBodyFor(turn: PlannedTurn): Record<string, unknown> {
  return {
    user_id: turn.userId,
    session_key: makeSessionKey(turn.userId, 'lead'),
    message: `[[turn ${turn.tag}]] Plan the launch, note it and write it up.`,
    task_title: `Thread ${turn.tag}`,
    metadata: { kickoff_plan: true, plan_title: `Plan ${turn.tag}` },
  };
}

type Message = NonNullable<NonNullable<RecordedRequest['body']>['messages']>[number];

/** The turn a model request belongs to, from the marker in its user message. */
export function turnTagOf(req: RecordedRequest): string | undefined {
  for (const m of req.body?.messages ?? []) {
    if (m.role === 'user' && typeof m.content === 'string') {
      const hit = MARKER.exec(m.content);
      if (hit) return hit[1];
    }
  }
  return undefined;
}

/** 1-based model step of a request: one more than the assistant turns already in it. */
export function modelStepOf(req: RecordedRequest): number {
  return (req.body?.messages ?? []).filter((m) => m.role === 'assistant').length + 1;
}

function toolResult(messages: Message[], callId: string): { ok: boolean; value: Record<string, unknown> } {
  const m = messages.find((x) => x.role === 'tool' && x.tool_call_id === callId);
  try {
    const value = JSON.parse(String(m?.content ?? 'null')) as Record<string, unknown> | null;
    return { ok: value !== null && !('error' in value), value: value ?? {} };
  } catch {
    return { ok: false, value: {} };
  }
}

/**
 * The well-behaved model: the three steps above, for any turn of the plan. `skip` model steps
 * that went to something else first (a malformed call the model then corrects) are not counted.
 */
export function planStep(req: RecordedRequest, skip = 0): FakeStep | undefined {
  const tag = turnTagOf(req);
  if (!tag) return undefined;
  const id = tag.replace(/[^A-Za-z0-9]/g, '');
  const step = modelStepOf(req) - skip;
  if (step === 1) {
    return { toolCalls: [{ id: `call_${id}_1`, name: 'create_task', arguments: { title: `Sub ${tag}` } }] };
  }
  if (step === 2) {
    const created = toolResult(req.body?.messages ?? [], `call_${id}_1`);
    const taskId = created.value.id;
    if (!created.ok || (typeof taskId !== 'string' && typeof taskId !== 'number')) {
      // Not part of the plan: the verification will report the writes this turn is missing.
      return { text: `Gave up ${tag}: create_task failed: ${JSON.stringify(created.value).slice(0, 200)}` };
    }
    return {
      toolCalls: [
        {
          id: `call_${id}_2a`,
          name: 'post_message',
          arguments: { task_id: String(taskId), content: `Note ${tag}` },
        },
        {
          id: `call_${id}_2b`,
          name: 'create_document',
          arguments: {
            task_id: String(taskId),
            title: `Doc ${tag}`,
            content: `Write-up of ${tag}`,
            doc_type: 'notes',
          },
        },
      ],
    };
  }
  return { text: `Done ${tag}` };
}

export function planResponder(delayMs: () => number = () => 0): FakeResponder {
  return (req) => {
    const step = planStep(req);
    if (!step) return undefined;
    const delay = delayMs();
    return delay > 0 ? { ...step, delayMs: delay } : step;
  };
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface StoredData {
  tasks: { id: string; user_id: string; title: string }[];
  messages: { id: string; user_id: string; task_id: string; content: string; actor_type: string }[];
  documents: {
    id: string;
    user_id: string;
    task_id: string;
    title: string;
    doc_type?: string;
    content: string;
  }[];
}

export interface WriteCheck {
  expected: { tasks: number; messages: number; documents: number };
  /** Expected writes not found. */
  missing: string[];
  /** Writes found more than once (one entry per extra copy). */
  duplicated: string[];
  /** Writes of these users that no turn should have made. */
  unexpected: string[];
}

/** Compares what the backend holds for the plan's users with exactly what the plan writes. */
export function checkWrites(turns: PlannedTurn[], data: StoredData): WriteCheck {
  const users = new Set(turns.map((t) => t.userId));
  const titleOf = new Map(data.tasks.map((t) => [t.id, t.title]));
  const found = new Map<string, number>();
  const bump = (key: string) => found.set(key, (found.get(key) ?? 0) + 1);
  for (const t of data.tasks) if (users.has(t.user_id)) bump(`task|${t.user_id}|${t.title}`);
  for (const m of data.messages) {
    if (users.has(m.user_id))
      bump(`message|${m.user_id}|${titleOf.get(m.task_id) ?? '?'}|${m.actor_type}|${m.content}`);
  }
  for (const d of data.documents) {
    if (users.has(d.user_id))
      bump(`document|${d.user_id}|${titleOf.get(d.task_id) ?? '?'}|${d.doc_type ?? ''}|${d.title}`);
  }

  const expected: string[] = [];
  for (const { tag, userId: u } of turns) {
    expected.push(
      `task|${u}|Thread ${tag}`,
      `task|${u}|Sub ${tag}`,
      `message|${u}|Sub ${tag}|agent|Note ${tag}`,
      `message|${u}|Thread ${tag}|agent|Done ${tag}`,
      `document|${u}|Sub ${tag}|notes|Doc ${tag}`,
      `document|${u}|Thread ${tag}|plan|Plan ${tag}`,
    );
  }
  const missing: string[] = [];
  const duplicated: string[] = [];
  for (const key of expected) {
    const n = found.get(key) ?? 0;
    if (n === 0) missing.push(key);
    for (let i = 1; i < n; i++) duplicated.push(key);
    found.delete(key);
  }
  const unexpected = [...found.entries()].flatMap(([key, n]) => Array.from({ length: n }, () => key));
  return {
    expected: { tasks: turns.length * 2, messages: turns.length * 2, documents: turns.length * 2 },
    missing,
    duplicated,
    unexpected,
  };
}
