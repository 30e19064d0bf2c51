import { FLUSH_CHARS, FLUSH_INTERVAL_START_MS, TextBatcher } from '../../../src/activities/stream-text';

/** A send that records batches and resolves when the test says so. */
function recorder() {
  const sent: { text: string; batch: number }[] = [];
  const pending: (() => void)[] = [];
  const send = (text: string, batch: number) =>
    new Promise<void>((resolve) => {
      sent.push({ text, batch });
      pending.push(resolve);
    });
  const release = async () => {
    pending.splice(0).forEach((r) => r());
    await new Promise((r) => setImmediate(r));
  };
  return { sent, send, release };
}

describe('TextBatcher', () => {
  it('sends the first delta at once, then gathers what arrives while a batch is in flight', async () => {
    const r = recorder();
    const b = new TextBatcher(r.send);
    b.push('Hel');
    expect(r.sent).toEqual([{ text: 'Hel', batch: 1 }]);
    b.push('lo');
    b.push(' world');
    expect(r.sent).toHaveLength(1);
    await r.release();
    // The interval since the first flush has not passed: the rest waits for it or for close.
    const closing = b.close();
    await r.release();
    await r.release();
    await closing;
    expect(r.sent.map((s) => s.text).join('')).toBe('Hello world');
    expect(r.sent.map((s) => s.batch)).toEqual(r.sent.map((_, i) => i + 1));
  });

  it('flushes on size before the interval is due', async () => {
    const r = recorder();
    let now = 1_000;
    const b = new TextBatcher(r.send, undefined, () => now);
    b.push('a');
    await r.release();
    now += FLUSH_INTERVAL_START_MS / 10;
    b.push('x'.repeat(FLUSH_CHARS));
    expect(r.sent).toHaveLength(2);
    await r.release();
    await b.close();
  });

  it('a failed send stops streaming without throwing, and close resolves', async () => {
    const errors: unknown[] = [];
    const b = new TextBatcher(
      () => Promise.reject(new Error('workflow not found')),
      (e) => errors.push(e),
    );
    b.push('text');
    b.push('more');
    await b.close();
    b.push('after');
    expect(errors).toHaveLength(1);
    expect(b.sent).toBe(1);
  });
});
