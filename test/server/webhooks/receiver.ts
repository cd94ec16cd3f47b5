import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, as received (raw body, headers). */
export interface Received {
  eventId: string;
  eventType: string;
  signature: string;
  contentType: string;
  body: string;
  /** What the receiver answered: a status, or 'hang' (no answer until the client gave up). */
  answer: number | 'hang';
}

export type Behaviour = (index: number, request: Omit<Received, 'answer'>) => number | 'hang';

/**
 * A webhook receiver on 127.0.0.1: answers each request as `behave` says (by its index among
 * all requests received), keeps every request, and wakes waiters after each.
 */
export class Receiver {
  readonly received: Received[] = [];
  behave: Behaviour = () => 200;
  #server: http.Server;
  #waiters: (() => void)[] = [];
  #hanging = new Set<http.ServerResponse>();
  url = '';

  constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = {
          eventId: String(req.headers['verikiosk-event-id'] ?? ''),
          eventType: String(req.headers['verikiosk-event-type'] ?? ''),
          signature: String(req.headers['verikiosk-signature'] ?? ''),
          contentType: String(req.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        const answer = this.behave(this.received.length, request);
        this.received.push({ ...request, answer });
        if (answer === 'hang') {
          this.#hanging.add(res);
          res.on('close', () => this.#hanging.delete(res));
        } else {
          res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
        }
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
    return this;
  }

  /** Resolves once `done()` holds, checked after each request (the test's timeout bounds it). */
  async until(done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Event ids answered with a 2xx. */
  acknowledged(): Set<string> {
    return new Set(
      this.received
        .filter((r) => typeof r.answer === 'number' && r.answer >= 200 && r.answer < 300)
        .map((r) => r.eventId),
    );
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
