/**
 * The README's Workflows-list queries ("The Workflows list: the operator's home") are real
 * visibility queries: each runs against the dev server, and on a completed and a failed turn of
 * one user they find what the table says they find.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sendBody, startStack, type Stack } from '../../support/stack';
import { uniqueUser, waitFor } from '../workflows/helpers';

const README = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');

/** The `List query` column of the README's table: what it is for → the query. */
function readmeQueries(): Map<string, string> {
  const section = README.split("### The Workflows list: the operator's home")[1]?.split('\n### ')[0] ?? '';
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\| ([^|]+?) +\| `([^`]+)` +\|$/.exec(line);
    if (m) rows.set(m[1] as string, m[2] as string);
  }
  return rows;
}

describe("the README's list queries", () => {
  let stack: Stack;
  const user = uniqueUser('lq');
  const ids: { ok?: string; failed?: string } = {};

  beforeAll(async () => {
    stack = await startStack();
    const send = () =>
      stack.api.inject({
        method: 'POST',
        url: '/api/agents/send',
        payload: sendBody({ user_id: user, session_key: `user:${user}:lead` }),
      });
    stack.llm.script({ text: 'done' });
    ids.ok = (await send()).json().turn_id as string;
    stack.llm.script({ status: 400, error: 'rejected for this test' });
    ids.failed = (await send()).json().turn_id as string;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Workflow ids a query finds among this test's user's runs, once visibility has caught up. */
  async function find(query: string, expected: number): Promise<string[]> {
    return waitFor(`${expected} runs for ${query}`, async () => {
      const found: string[] = [];
      for await (const wf of stack.client.workflow.list({
        query: `(${query}) AND ClasperUserId = "${user}"`,
      }))
        found.push(wf.workflowId);
      return found.length === expected ? found.sort() : undefined;
    });
  }

  it('the table is there, with every query', () => {
    expect(readmeQueries().size).toBeGreaterThanOrEqual(10);
  });

  it('every query is accepted by the server', async () => {
    for (const [what, query] of readmeQueries()) {
      await expect(stack.client.workflow.count(query).then((r) => [what, typeof r.count])).resolves.toEqual([
        what,
        'number',
      ]);
    }
  });

  it('agent turns, API turns and one user find both turns; the failure queries only the failed one', async () => {
    const q = readmeQueries();
    const get = (what: string) => {
      const query = q.get(what);
      if (!query) throw new Error(`README has no list query for "${what}"`);
      return query;
    };
    const both = [ids.ok, ids.failed].sort();
    expect(ids.ok && ids.failed).toBeTruthy();
    expect(await find(get('agent turns (API, notification, heartbeat)'), 2)).toEqual(both);
    expect(await find(get('turns sent through the API'), 2)).toEqual(both);
    expect(await find(get("one user's turns").replace('"u1"', `"${user}"`), 2)).toEqual(both);
    expect(await find(get("one agent's turns"), 2)).toEqual(both);
    // Both turns went through their session's workflow, which carries the user too.
    const session = `session/user:${user}:lead`;
    expect(await find(get("everything but the dispatcher's runs"), 3)).toEqual([...both, session].sort());
    expect(await find(get('conversations (one session workflow each)'), 1)).toEqual([session]);
    expect(await find(get('failed turns'), 1)).toEqual([ids.failed]);
    expect(await find(get('every run that did not complete'), 1)).toEqual([ids.failed]);
    expect(await find(get('turns waiting for a person'), 0)).toEqual([]);
  });
});
