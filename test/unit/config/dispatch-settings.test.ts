/** The dispatcher's window and the execution timeout derived from it (src/shared/timeouts.ts). */
import { loadConfig, timeoutSettings } from '../../../src/config';
import { executionTimeoutMs } from '../../../src/shared/timeouts';
import { configProblems } from './problems';

const dispatcherTimeoutSec = (env: Record<string, string>) =>
  executionTimeoutMs('dispatcher', timeoutSettings(loadConfig(env))) / 1000;

describe('dispatch settings', () => {
  it("a run's execution timeout outlasts its window by a late poll's budget and slack", () => {
    // Default: a 300 s window, polled every 5 s.
    expect(dispatcherTimeoutSec({})).toBe(300 + 120 + 300);
    expect(dispatcherTimeoutSec({ DISPATCH_WINDOW_SEC: '3600' })).toBe(3600 + 420);
    // A window no longer than the interval is one poll a run: no window to outlast.
    expect(dispatcherTimeoutSec({ DISPATCH_WINDOW_SEC: '5', DISPATCH_INTERVAL_SEC: '5' })).toBe(420);
  });

  it('DISPATCH_TIMEOUT_SEC stops the start with one line saying what replaced it', () => {
    const problems = configProblems({ DISPATCH_TIMEOUT_SEC: '300' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^DISPATCH_TIMEOUT_SEC is no longer read: .*DISPATCH_WINDOW_SEC plus 7 minutes; remove it .*got '300'$/,
    );
    expect(configProblems({ DISPATCH_TIMEOUT_SEC: '' })).toEqual([]);
  });
});
