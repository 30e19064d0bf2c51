import { Connection } from '@temporalio/client';

describe('test harness', () => {
  it('provides a running Temporal dev server with our search attributes', async () => {
    const address = process.env.CLASPER_TEST_TEMPORAL_ADDRESS;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const conn = await Connection.connect({ address });
    try {
      const res = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(res.customAttributes ?? {})).toEqual(
        expect.arrayContaining([
          'ClasperUserId',
          'ClasperSessionKey',
          'ClasperAgentRole',
          'ClasperTaskId',
          'ClasperTrigger',
        ]),
      );
    } finally {
      await conn.close();
    }
  });
});
