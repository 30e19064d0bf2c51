/**
 * How a running turn stops when asked. Every step (setup, model call, tool round) runs shielded
 * from the workflow's own cancellation, inside a scope this class cancels itself: a cancel that
 * says `now` (the cancel endpoint, the Temporal UI) cancels the step at once — the in-flight
 * activity is cancelled and a pending approval dropped — while one that says `step` (a session's
 * interrupt) lets the running step finish. Either way the turn stops before its next step and ends
 * cancelled, with the reason. Workflow code.
 */
import { CancellationScope, CancelledFailure, setHandler } from '@temporalio/workflow';
import { CANCELLED_BY_OPERATOR, cancelReasonSignal, type CancelRequest } from '../../shared/control';

export class TurnControl {
  private request: CancelRequest = {};
  private cancelled = false;
  private current: CancellationScope | undefined;
  /** A step that waits for people (approvals) is cancelled at once even by a `step` interrupt. */
  private currentWaitsForPeople = false;

  constructor() {
    setHandler(cancelReasonSignal, (req) => {
      this.request = { ...this.request, ...req };
    });
    CancellationScope.current().cancelRequested.catch(() => {
      this.cancelled = true;
      if (this.request.at !== 'step' || this.currentWaitsForPeople) this.current?.cancel();
    });
  }

  get reason(): string {
    return this.request.reason ?? CANCELLED_BY_OPERATOR;
  }

  /** Throws the turn's cancellation when it has been asked to stop: call between steps. */
  checkpoint(): void {
    if (this.cancelled) throw new CancelledFailure(this.reason);
  }

  /** Runs one step under this control; `waitsForPeople` for steps that may wait on approvals. */
  async step<T>(fn: () => Promise<T>, opts: { waitsForPeople?: boolean } = {}): Promise<T> {
    this.checkpoint();
    const result = await CancellationScope.nonCancellable(() => {
      const scope = new CancellationScope();
      this.current = scope;
      this.currentWaitsForPeople = opts.waitsForPeople === true;
      return scope.run(fn);
    });
    this.current = undefined;
    return result;
  }
}
