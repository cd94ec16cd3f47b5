import { createRoute } from '@hono/zod-openapi';
import {
  WebhookCreateSchema,
  WebhookDeliveryListSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliveryQuerySchema,
  WebhookDeliverySchema,
  WebhookIdParamsSchema,
  WebhookListSchema,
  WebhookRedeliverSchema,
  WebhookSchema,
  WebhookUpdateSchema,
  WebhookWithSecretSchema,
} from '../../../contract/index.js';
import type { WebhookService } from '../../webhooks/index.js';
import { requireScope } from '../middleware/auth.js';
import { apiRouter, json, problemResponses } from '../openapi.js';
import { actorOf } from './api-keys.js';

const SECURITY = [{ apiKey: ['admin'] }];
const TAGS = ['webhooks'];

/** Webhook endpoints, their secrets and delivery logs: `admin` only. */
export function webhookRoutes(webhooks: WebhookService) {
  const admin = requireScope('admin', { vault: webhooks.vault });
  const common = { tags: TAGS, security: SECURITY, middleware: admin };
  const list = createRoute({
    ...common,
    method: 'get',
    path: '/webhooks',
    summary: 'List the webhook endpoints (never their secrets)',
    responses: {
      200: { description: 'Every endpoint', content: json(WebhookListSchema) },
      ...problemResponses(401, 403, 429),
    },
  });
  const create = createRoute({
    ...common,
    method: 'post',
    path: '/webhooks',
    summary: 'Create a webhook endpoint: the signing secret is in this response only',
    request: { body: { required: true, content: json(WebhookCreateSchema) } },
    responses: {
      201: { description: 'Created; store `secret` now', content: json(WebhookWithSecretSchema) },
      ...problemResponses(400, 401, 403, 413, 422, 429),
    },
  });
  const getOne = createRoute({
    ...common,
    method: 'get',
    path: '/webhooks/{id}',
    summary: 'One webhook endpoint',
    request: { params: WebhookIdParamsSchema },
    responses: {
      200: { description: 'The endpoint', content: json(WebhookSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const update = createRoute({
    ...common,
    method: 'patch',
    path: '/webhooks/{id}',
    summary: 'Change the URL, events or description; turn the endpoint on or off',
    request: {
      params: WebhookIdParamsSchema,
      body: { required: true, content: json(WebhookUpdateSchema) },
    },
    responses: {
      200: { description: 'The endpoint as changed', content: json(WebhookSchema) },
      ...problemResponses(400, 401, 403, 404, 413, 422, 429),
    },
  });
  const remove = createRoute({
    ...common,
    method: 'delete',
    path: '/webhooks/{id}',
    summary: 'Delete the endpoint, its queue and its delivery log',
    request: { params: WebhookIdParamsSchema },
    responses: {
      204: { description: 'Deleted' },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const rotate = createRoute({
    ...common,
    method: 'post',
    path: '/webhooks/{id}/rotate-secret',
    summary: 'A new signing secret, shown once; the old one still signs for the overlap',
    request: { params: WebhookIdParamsSchema },
    responses: {
      200: { description: 'The new secret', content: json(WebhookWithSecretSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const deliveries = createRoute({
    ...common,
    method: 'get',
    path: '/webhooks/{id}/deliveries',
    summary: 'The delivery log, newest first (ids, status codes, error classes; never bodies)',
    request: { params: WebhookIdParamsSchema, query: WebhookDeliveryQuerySchema },
    responses: {
      200: { description: 'A page of deliveries', content: json(WebhookDeliveryListSchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const redeliver = createRoute({
    ...common,
    method: 'post',
    path: '/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    summary: 'Send the event of this delivery again (a new delivery at the end of the queue)',
    request: { params: WebhookDeliveryParamsSchema },
    responses: {
      202: { description: 'Queued', content: json(WebhookDeliverySchema) },
      ...problemResponses(400, 401, 403, 404, 429),
    },
  });
  const redeliverEvent = createRoute({
    ...common,
    method: 'post',
    path: '/webhooks/{id}/redeliver',
    summary: 'Send an event again by its id (from the log, or the feed while it keeps the event)',
    request: {
      params: WebhookIdParamsSchema,
      body: { required: true, content: json(WebhookRedeliverSchema) },
    },
    responses: {
      202: { description: 'Queued', content: json(WebhookDeliverySchema) },
      ...problemResponses(400, 401, 403, 404, 413, 429),
    },
  });
  return apiRouter()
    .openapi(list, (c) => c.json({ items: webhooks.list() }, 200))
    .openapi(create, (c) => {
      const { endpoint, secret } = webhooks.create(c.req.valid('json'), actorOf(c));
      return c.json({ webhook: endpoint, secret }, 201);
    })
    .openapi(getOne, (c) => c.json(webhooks.get(c.req.valid('param').id), 200))
    .openapi(update, (c) =>
      c.json(webhooks.update(c.req.valid('param').id, c.req.valid('json'), actorOf(c)), 200),
    )
    .openapi(remove, (c) => {
      webhooks.remove(c.req.valid('param').id, actorOf(c));
      return c.body(null, 204);
    })
    .openapi(rotate, (c) => {
      const { endpoint, secret } = webhooks.rotateSecret(c.req.valid('param').id, actorOf(c));
      return c.json({ webhook: endpoint, secret }, 200);
    })
    .openapi(deliveries, (c) => {
      const query = c.req.valid('query');
      return c.json(
        webhooks.deliveries(c.req.valid('param').id, { before: query.before, limit: query.limit }),
        200,
      );
    })
    .openapi(redeliver, (c) => {
      const { id, deliveryId } = c.req.valid('param');
      return c.json(webhooks.redeliver(id, { deliveryId }, actorOf(c)), 202);
    })
    .openapi(redeliverEvent, (c) => {
      const { id } = c.req.valid('param');
      return c.json(
        webhooks.redeliver(id, { eventId: c.req.valid('json').eventId }, actorOf(c)),
        202,
      );
    });
}
