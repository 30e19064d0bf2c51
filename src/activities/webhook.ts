/** `sendWebhook`: the turn's completion event to the caller's URL, through the webhook client. */
import type { Config } from '../config';
import { createWebhookClient, type SendWebhookInput } from '../clients/webhook/send-webhook';

export function createWebhookActivities({ config }: { config: Config }) {
  const webhook = createWebhookClient({
    jwtSecret: config.backend.jwtSecret,
    allowPrivate: config.agent.webhookAllowPrivate,
  });
  return {
    async sendWebhook(input: SendWebhookInput): Promise<{ status: number }> {
      return webhook.sendWebhook(input);
    },
  };
}
