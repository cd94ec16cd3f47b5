/** Webhooks: endpoints managed through the API, signed deliveries from the event feed. */
export {
  DEFAULT_TOLERANCE_SECONDS,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  verifyWebhookSignature,
} from './signing.js';
export {
  WEBHOOK_SECRET_TAG,
  WebhookService,
  checkWebhookEvents,
  checkWebhookUrl,
} from './service.js';
export type { WebhookDelivery, WebhookEndpoint, WebhookSettings } from './service.js';
export { WEBHOOK_SUBSCRIBER, WebhookDeliverer, backoffMs, deliveryBody } from './delivery.js';
export type { DelivererOptions } from './delivery.js';
