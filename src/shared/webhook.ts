/**
 * A turn's webhook delivery, run as its own workflow (`<turnId>/webhook/<event>`) that the turn
 * starts and abandons, so a slow or unreachable receiver never delays the turn's answer.
 * Workflow-safe: types and ids only.
 */

export interface WebhookDeliveryInput {
  url: string;
  /** The secret and headers, sealed (clients/webhook/sealed.ts); never in clear in history. */
  sealed?: string;
  payload: Record<string, unknown>;
}

export interface WebhookDeliveryResult {
  delivered: boolean;
  error?: string;
}

export function makeWebhookDeliveryId(turnId: string, event: string): string {
  return `${turnId}/webhook/${event}`;
}
