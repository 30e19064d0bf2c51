/**
 * Which tools of a turn wait for approval: backend entries flagged `requires_approval`, and the
 * names in CLASPER_APPROVAL_TOOLS (built-ins included) — only tools the turn actually offers.
 * The client is a stand-in for the two calls listTurnTools makes; the HTTP side is covered by the
 * integration tests against the reference backend.
 */
import { listTurnTools, type MissionControlClient } from '../../../../src/clients/mission-control';

function clientWith(tools: boolean, entries: Record<string, unknown>[]): MissionControlClient {
  return {
    capabilities: async () => ({ contract_version: 'v1', features: { tools } }),
    listBackendToolEntries: async () => entries,
  } as unknown as MissionControlClient;
}

const identity = { userId: 'u1', role: 'lead' };

describe('listTurnTools', () => {
  test('flagged backend tools and configured names need approval; unknown names are ignored', async () => {
    const client = clientWith(true, [
      { name: 'refund', description: 'Refund an order', requires_approval: true },
      { name: 'lookup', description: 'Look an order up' },
    ]);
    const { tools, approvalRequired } = await listTurnTools(client, identity, [
      'create_task',
      'no_such_tool',
    ]);
    expect(tools.map((t) => t.function.name)).toEqual(
      expect.arrayContaining(['create_task', 'refund', 'lookup']),
    );
    expect(approvalRequired.sort()).toEqual(['create_task', 'refund']);
  });

  test('without backend tools only configured built-ins wait', async () => {
    const { tools, approvalRequired } = await listTurnTools(clientWith(false, []), identity, [
      'post_message',
    ]);
    expect(tools.map((t) => t.function.name)).not.toContain('refund');
    expect(approvalRequired).toEqual(['post_message']);
  });
});
