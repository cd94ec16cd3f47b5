import * as http from 'node:http';

/** One message of a `text/event-stream`: its fields, or a comment. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A streaming client on a real socket that parses frames as they arrive. */
export interface SseConnection {
  status: number;
  headers: http.IncomingHttpHeaders;
  messages: SseMessage[];
  /** Messages with an `event:` (comments left out). */
  events(): SseMessage[];
  /** How many of them (without copying). */
  eventCount(): number;
  /** Resolves once `predicate` holds for the messages received (checked on each chunk). */
  until(predicate: (messages: SseMessage[], connection: SseConnection) => boolean): Promise<void>;
  /** Resolves when the server ended the response or the socket closed. */
  ended: Promise<void>;
  /** The body of a non-200 answer. */
  body: string;
  close(): void;
}

function parseFrame(frame: string): SseMessage {
  const message: SseMessage = {};
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) message.comment = line.slice(1).trim();
    else {
      const at = line.indexOf(':');
      const field = at === -1 ? line : line.slice(0, at);
      const value = at === -1 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id' || field === 'event') message[field] = value;
      else if (field === 'data')
        message.data = message.data === undefined ? value : `${message.data}\n${value}`;
    }
  }
  return message;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      let buffer = '';
      let eventCount = 0;
      const waiters: Array<{
        predicate: (m: SseMessage[], c: SseConnection) => boolean;
        done: () => void;
      }> = [];
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      const connection: SseConnection = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        messages: [],
        body: '',
        events: () => connection.messages.filter((m) => m.event !== undefined),
        eventCount: () => eventCount,
        until(predicate) {
          if (predicate(connection.messages, connection)) return Promise.resolve();
          return new Promise<void>((done, fail) => {
            waiters.push({ predicate, done });
            void ended.then(() => {
              if (!predicate(connection.messages, connection))
                fail(new Error('the stream ended first'));
            });
          });
        },
        ended,
        close: () => request.destroy(),
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (connection.status !== 200) {
          connection.body += chunk;
          return;
        }
        buffer += chunk;
        let from = 0;
        let at: number;
        while ((at = buffer.indexOf('\n\n', from)) !== -1) {
          const message = parseFrame(buffer.slice(from, at));
          connection.messages.push(message);
          if (message.event !== undefined) eventCount += 1;
          from = at + 2;
        }
        buffer = buffer.slice(from);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(connection.messages, connection)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.done();
          }
        }
      });
      response.on('end', endResolve);
      response.on('close', endResolve);
      response.on('error', endResolve);
      if (connection.status !== 200) {
        response.on('end', () => resolve(connection));
      } else resolve(connection);
    });
    request.on('error', reject);
  });
}
