/**
 * Body limits per route group (issue 13 §3): JSON operations take server.bodyLimitBytes (64 KiB by
 * default), image uploads server.maxImageBytes. On a real server on 127.0.0.1: an oversized body
 * is a 413 problem before the client has finished sending it, and writes nothing.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAppliance, type RunningServer } from '../../../server/app.js';
import { createApiClient, listApiClients } from '../../../server/auth/index.js';
import { bodyLimitStep, type ApiEnv } from '../../../server/api/index.js';
import { problemErrorHandler } from '../../../server/api/problem.js';
import { createLogger } from '../../../server/log/index.js';
import { cleanupDirs } from '../cli/helpers.js';
import { closeAppliances, newAppliance } from './helpers.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  closeAppliances();
  cleanupDirs();
});

interface Answer {
  status: number;
  contentType: string;
  body: string;
  /** Bytes of the request body written when the answer's head arrived. */
  sentWhenAnswered: number;
}

/**
 * Sends `total` bytes of body in 16 KiB chunks (chunked, or with a Content-Length when
 * `declared`), one chunk per turn of the event loop, and never ends the request unless the whole
 * body is sent: an answer that arrives before then was given without reading the whole body.
 */
function streamBody(
  url: string,
  options: { method?: string; headers?: Record<string, string>; total: number; declare?: boolean },
): Promise<Answer> {
  const chunk = Buffer.alloc(16 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = http.request(url, {
      method: options.method ?? 'POST',
      agent: false,
      headers: {
        ...options.headers,
        ...(options.declare ? { 'content-length': String(options.total) } : {}),
      },
    });
    request.on('response', (response) => {
      answered = true;
      const sentWhenAnswered = sent;
      let body = '';
      response.setEncoding('utf8').on('data', (s: string) => (body += s));
      response.on('end', () => {
        request.destroy();
        resolve({
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
          body,
          sentWhenAnswered,
        });
      });
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    const pump = (): void => {
      if (answered) return;
      if (sent >= options.total) {
        request.end();
        return;
      }
      const piece = chunk.subarray(0, Math.min(chunk.length, options.total - sent));
      sent += piece.length;
      request.write(piece, () => setImmediate(pump));
    };
    request.flushHeaders();
    pump();
  });
}

describe('the appliance: a JSON operation takes at most server.bodyLimitBytes', () => {
  it('an oversized JSON body, chunked or declared, is a 413 problem before it is all sent; nothing is written', async () => {
    const t = await newAppliance();
    expect(t.appliance.config.server.bodyLimitBytes).toBe(64 * 1024);
    const { vault } = t.appliance;
    const admin = createApiClient(vault, { name: 'admin', scopes: ['admin'] }, 'cli');
    const running: RunningServer = await serveAppliance(t.appliance, {
      host: '127.0.0.1',
      port: 0,
    });
    servers.push(running);
    const before = listApiClients(vault).length;
    const headers = {
      authorization: `Bearer ${admin.key}`,
      'content-type': 'application/json',
    };
    const total = 8 * 1024 * 1024;
    for (const declare of [false, true]) {
      const answer = await streamBody(`${running.url}/api/v1/api-keys`, {
        headers,
        total,
        declare,
      });
      expect(answer.status).toBe(413);
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({
        type: '/api/v1/problems/body_too_large',
        status: 413,
      });
      expect(answer.sentWhenAnswered).toBeLessThan(total);
    }
    expect(listApiClients(vault)).toHaveLength(before);
  });

  it('a JSON body under the limit is read and answered', async () => {
    const t = await newAppliance();
    const admin = createApiClient(t.appliance.vault, { name: 'admin', scopes: ['admin'] }, 'cli');
    const running = await serveAppliance(t.appliance, { host: '127.0.0.1', port: 0 });
    servers.push(running);
    // A valid body padded with whitespace to 48 KiB, sent chunked: under the 64 KiB limit.
    const text = JSON.stringify({ name: 'integration', scopes: ['reports:read'] });
    const body = text + ' '.repeat(48 * 1024 - text.length);
    const response = await fetch(`${running.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    });
    expect(response.status).toBe(201);
  });
});

describe('bodyLimitStep: image routes take up to server.maxImageBytes, the rest the JSON limit', () => {
  async function served(): Promise<string> {
    const app = new OpenAPIHono<ApiEnv>();
    const checkBodyLimit = bodyLimitStep({ json: 64 * 1024, image: 1024 * 1024 }, [
      '/api/v1/test-images/',
    ]);
    // As the platform middleware runs the step (api/index.ts), with test routes behind it.
    app.use('/api/*', async (c, next) => {
      const reading = checkBodyLimit(c);
      if (reading !== null) await reading;
      await next();
    });
    const received = async (c: { req: { arrayBuffer(): Promise<ArrayBuffer> } }) =>
      (await c.req.arrayBuffer()).byteLength;
    app.post('/api/v1/test-images/upload', async (c) => c.json({ bytes: await received(c) }));
    app.post('/api/v1/test-json', async (c) => c.json({ bytes: await received(c) }));
    app.onError(problemErrorHandler(createLogger({ level: 'error', write: () => {} })));
    const server: ServerType = await new Promise((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    servers.push({
      close: () => new Promise<void>((done) => server.close(() => done())),
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('an image under the image limit is accepted where a JSON route refuses it', async () => {
    const url = await served();
    const image = { 'content-type': 'image/jpeg' };
    for (const declare of [false, true]) {
      const accepted = await streamBody(`${url}/api/v1/test-images/upload`, {
        headers: image,
        total: 512 * 1024,
        declare,
      });
      expect(accepted.status).toBe(200);
      expect(JSON.parse(accepted.body)).toEqual({ bytes: 512 * 1024 });
      const refused = await streamBody(`${url}/api/v1/test-json`, {
        headers: image,
        total: 512 * 1024,
        declare,
      });
      expect(refused.status).toBe(413);
      expect(refused.contentType).toMatch(/^application\/problem\+json/);
    }
  });

  it('an image over the image limit is a 413 before it is all sent', async () => {
    const url = await served();
    const total = 16 * 1024 * 1024;
    for (const declare of [false, true]) {
      const refused = await streamBody(`${url}/api/v1/test-images/upload`, {
        headers: { 'content-type': 'image/jpeg' },
        total,
        declare,
      });
      expect(refused.status).toBe(413);
      expect(refused.sentWhenAnswered).toBeLessThan(total);
    }
  });
});
