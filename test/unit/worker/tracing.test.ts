/** The worker's tracing parts with tracing off: a sink that drops spans, no activity interceptor. */
import { workerTracing } from '../../../src/worker/tracing';

describe('workerTracing, tracing off', () => {
  it('registers the workflow span sink as a drop, and intercepts no activity', async () => {
    const { sinks, activity } = await workerTracing();
    expect(activity).toEqual([]);
    expect(Object.keys(sinks)).toEqual(['exporter']);
    expect(sinks.exporter.export.fn({} as never, [])).toBeUndefined();
  });
});
