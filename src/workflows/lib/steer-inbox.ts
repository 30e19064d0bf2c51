/**
 * Messages steered into a running AgentTurn (a session's `steer` strategy, src/shared/session.ts):
 * the `steer` update records one, and the loop adds what arrived to the conversation just before
 * its next model step. The validator refuses once no model step is left to read a message — the
 * turn is finishing, or its last step has already been fed — so an accepted message is always
 * answered; the API then sends a refused one as a turn of its own. Workflow code.
 */
import { ApplicationFailure, setHandler, workflowInfo } from '@temporalio/workflow';
import { STEER_CLOSED, steerUpdate, type SteerAnswer, type SteerRequest } from '../../shared/session';

export class SteerInbox {
  private readonly waiting: string[] = [];
  /** The last step whose model call has been fed the waiting messages. */
  private fedStep = 0;
  private closed = false;

  constructor(private readonly maxSteps: number) {
    setHandler(steerUpdate, (req) => this.accept(req), {
      validator: (_req: SteerRequest) => this.validate(),
    });
  }

  private validate(): void {
    if (this.closed || this.fedStep >= this.maxSteps)
      throw ApplicationFailure.create({
        message: `turn ${workflowInfo().workflowId} has no model step left to read the message`,
        type: STEER_CLOSED,
        nonRetryable: true,
      });
  }

  private accept(req: SteerRequest): SteerAnswer {
    this.waiting.push(req.message);
    return { turn_id: workflowInfo().workflowId, step: this.fedStep + 1 };
  }

  /** True when messages wait that the last answer has not seen. */
  get pending(): boolean {
    return this.waiting.length > 0;
  }

  /** The waiting messages for `step`'s model call, in arrival order. */
  take(step: number): string[] {
    this.fedStep = step;
    return this.waiting.splice(0);
  }

  /** The turn is finishing: nothing steered from now on would be read. Call in the same task as the decision. */
  close(): void {
    this.closed = true;
  }
}
