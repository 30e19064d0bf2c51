/**
 * WebhookDelivery: one webhook event of a turn, delivered with the webhook profile's retries. The
 * turn starts it as an abandoned child and returns without waiting, so its answer never waits for
 * the receiver; the delivery keeps retrying on its own and shows in the UI as its own run.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { describeFailure } from '../shared/failures';
import type { WebhookDeliveryInput, WebhookDeliveryResult } from '../shared/webhook';
import { WEBHOOK_CALLS } from './lib/activity-options';

const webhook = proxyActivities<Activities>(WEBHOOK_CALLS);

export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  try {
    await webhook.sendWebhook.executeWithOptions({ summary: `webhook ${String(input.payload.event)}` }, [
      input,
    ]);
    return { delivered: true };
  } catch (err) {
    // The receiver's problem, not the turn's: the run completes and says why in its result.
    const error = describeFailure(err);
    log.warn('webhook could not be delivered', { error });
    return { delivered: false, error };
  }
}
