import { STREAM_PAGE_MAX_EVENTS, StreamLog, type StreamEvent } from '../../../src/shared/stream';
import { textShownPerStep } from '../../support/sse';

const batch = (step: number, source: string, n: number, text: string) => ({ step, source, batch: n, text });

/** Per step, what a client that honours `reset` shows. */
const shown = (events: StreamEvent[]) => Object.fromEntries(textShownPerStep(events));

describe('StreamLog', () => {
  it('numbers events from 1 and pages from any offset', () => {
    const log = new StreamLog();
    log.text(batch(1, 'model:1#1', 1, 'Hel'));
    log.append('tool', { status: 'started', name: 'x', step: 1 });
    log.text(batch(1, 'model:1#1', 2, 'lo'));
    expect(log.page().events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(log.page({ after: 2 }).events).toEqual([{ id: 3, event: 'chunk', data: { data: 'lo', step: 1 } }]);
    expect(log.page({ after: 3 })).toEqual({ events: [], lastId: 3 });
  });

  it('ignores a repeated batch; a new attempt resets the step and the retired one is ignored after', () => {
    const log = new StreamLog();
    log.text(batch(1, 'model:1#1', 1, 'first try '));
    log.text(batch(1, 'model:1#1', 1, 'first try '));
    log.text(batch(1, 'model:1#2', 1, 'second '));
    log.text(batch(1, 'model:1#1', 2, 'late words of the dead attempt'));
    log.text(batch(1, 'model:1#2', 2, 'try'));
    const { events } = log.page();
    expect(events.map((e) => e.event)).toEqual(['chunk', 'reset', 'chunk', 'chunk']);
    expect(shown(events)).toEqual({ 1: 'second try' });
  });

  it('settling shows exactly the recorded text: no-op when equal, reset and replace when not', () => {
    const log = new StreamLog();
    log.text(batch(1, 'model:1#1', 1, 'Same.'));
    log.settle(1, 'Same.');
    expect(log.page().lastId).toBe(1);
    log.text(batch(2, 'model:2#1', 1, 'Partial'));
    log.settle(2, 'The whole answer, clipped or not.');
    log.text(batch(2, 'model:2#1', 2, ' more after settling is ignored'));
    expect(shown(log.page().events)).toEqual({ 1: 'Same.', 2: 'The whole answer, clipped or not.' });
    // A capped turn's reply differs from its last step's text: settling again replaces it.
    log.settle(2, 'Stopped after 2 steps.');
    expect(shown(log.page().events)[2]).toBe('Stopped after 2 steps.');
  });

  it('a step that never streamed settles into sentence-sized chunks; an empty step adds nothing', () => {
    const log = new StreamLog();
    log.settle(1, '');
    log.settle(2, 'One. Two.');
    expect(log.page().events.map((e) => e.data.data)).toEqual(['One. ', 'Two.']);
  });

  it('one page holds at most STREAM_PAGE_MAX_EVENTS events; the rest comes from the next offset', () => {
    const log = new StreamLog();
    for (let i = 1; i <= STREAM_PAGE_MAX_EVENTS + 5; i++) log.append('tool', { n: i });
    const first = log.page();
    expect(first.events).toHaveLength(STREAM_PAGE_MAX_EVENTS);
    expect(first.lastId).toBe(STREAM_PAGE_MAX_EVENTS + 5);
    expect(log.page({ after: first.events.at(-1)?.id }).events).toHaveLength(5);
  });
});
