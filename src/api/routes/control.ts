/**
 * Human in the loop: decide a tool call a turn waits on, list every waiting call (the inbox), and
 * cancel a running turn (README, "Human in the loop").
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isAgentTurnId } from '../../shared/ids';
import { errorResponses } from '../schemas/common';
import { TurnParamsSchema } from '../schemas/agents';
import {
  ApprovalBodySchema,
  ApprovalParamsSchema,
  ApprovalRecordSchema,
  CancelBodySchema,
  CancelResultSchema,
  InboxQuerySchema,
  InboxSchema,
} from '../schemas/control';
import { CANCELLED_BY_OPERATOR } from '../../shared/control';
import { DECISION_WAIT_MS, type TurnControlService } from '../turn-control';

export interface ControlRoutesOptions {
  control: TurnControlService;
}

const conflict = { 409: errorResponses[400] };
const noWorker = { 503: errorResponses[400] };

export const controlRoutes: FastifyPluginAsyncZod<ControlRoutesOptions> = async (app, { control }) => {
  app.post(
    '/api/agents/turns/:turn_id/approvals/:call_id',
    {
      schema: {
        tags: ['agents'],
        summary: 'Approve or deny a tool call the turn waits on',
        description: `Approve runs the tool exactly once (with \`arguments\` if given, checked against the tool schema); deny hands the model \`denied by reviewer: <reason>\`. 404: no such call waiting; 409: already decided, or the turn has ended; 503: no worker accepted the decision within ${DECISION_WAIT_MS / 1000} s (nothing recorded; sending the same decision again is safe and records it once).`,
        params: ApprovalParamsSchema,
        body: ApprovalBodySchema,
        response: { 200: ApprovalRecordSchema, ...errorResponses, ...conflict, ...noWorker },
      },
    },
    async (request, reply) => {
      const { turn_id: turnId, call_id: callId } = request.params;
      if (!isAgentTurnId(turnId)) return reply.code(404).send({ error: `no turn '${turnId}'` });
      const result = await control.decide(turnId, { call_id: callId, ...request.body });
      if (!result.ok) return reply.code(result.status).send({ error: result.error, turn_id: turnId });
      request.log.info(
        { turn_id: turnId, call_id: callId, decision: result.value.decision },
        'approval decided',
      );
      return reply.send(result.value);
    },
  );

  app.post(
    '/api/agents/turns/:turn_id/cancel',
    {
      schema: {
        tags: ['agents'],
        summary: 'Cancel a running turn',
        description:
          'Stops the turn at once: an in-flight model or tool call is cancelled, pending approvals are dropped, no reply is posted, and the turn ends `cancelled` with the reason (webhook `agent.cancelled`). 409 when the turn has already ended.',
        params: TurnParamsSchema,
        body: CancelBodySchema,
        response: { 202: CancelResultSchema, ...errorResponses, ...conflict },
      },
    },
    async (request, reply) => {
      const turnId = request.params.turn_id;
      if (!isAgentTurnId(turnId)) return reply.code(404).send({ error: `no turn '${turnId}'` });
      const reason = request.body.reason?.trim() || CANCELLED_BY_OPERATOR;
      const result = await control.cancel(turnId, reason);
      if (!result.ok) return reply.code(result.status).send({ error: result.error, turn_id: turnId });
      request.log.info({ turn_id: turnId }, 'turn cancel requested');
      return reply.code(202).send({ turn_id: turnId, status: 'cancelling' as const, reason });
    },
  );

  app.get(
    '/api/approvals',
    {
      schema: {
        tags: ['agents'],
        summary: 'Every tool call waiting for approval, across turns',
        querystring: InboxQuerySchema,
        response: { 200: InboxSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.send({ items: await control.inbox(request.query.user_id) }),
  );
};
