/**
 * A Server-Sent Events client over fetch: unlike EventSource it can send the kiosk's bearer
 * token. Frames are parsed as the spec says (event, data, id; a blank line ends a frame); the
 * stream is reopened after a drop with `Last-Event-ID` when the stream gave ids, until stopped.
 */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id: string | null;
}

export interface SseOptions {
  headers?: () => Record<string, string>;
  onMessage: (message: SseMessage) => void;
  /** Called with true when the stream is open, false when it dropped (it is then retried). */
  onConnection?: (open: boolean) => void;
  /** Wait before reopening after a drop (ms); the server's `retry:` overrides it. */
  retryMs?: number;
}

export interface SseConnection {
  close(): void;
}

/** Parses an SSE byte stream into messages; `feed` takes decoded text chunks. */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | null = null;
  lastId: string | null = null;
  retry: number | null = null;

  constructor(private readonly emit: (message: SseMessage) => void) {}

  feed(text: string): void {
    this.#buffer += text;
    let end: number;
    while ((end = this.#buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.#buffer.slice(0, end);
      const newline = this.#buffer.startsWith('\r\n', end) ? 2 : 1;
      // A lone \r at the end of a chunk may be the first half of \r\n: wait for more.
      if (this.#buffer[end] === '\r' && end + 1 === this.#buffer.length) break;
      this.#buffer = this.#buffer.slice(end + newline);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) {
        if (this.#id !== null) this.lastId = this.#id;
        this.emit({ event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id });
      }
      this.#event = '';
      this.#data = [];
      this.#id = null;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

export function openSse(url: string, options: SseOptions): SseConnection {
  const controller = new AbortController();
  let stopped = false;
  const parser = new SseParser(options.onMessage);
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        const headers: Record<string, string> = {
          accept: 'text/event-stream',
          ...options.headers?.(),
        };
        if (parser.lastId !== null) headers['last-event-id'] = parser.lastId;
        const response = await fetch(url, {
          headers,
          credentials: 'same-origin',
          cache: 'no-store',
          signal: controller.signal,
        });
        if (response.ok && response.body) {
          options.onConnection?.(true);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parser.feed(value);
          }
        }
      } catch {
        // dropped or refused: retried below unless closed
      }
      if (stopped) return;
      options.onConnection?.(false);
      await new Promise((resolve) => setTimeout(resolve, parser.retry ?? options.retryMs ?? 2000));
    }
  };
  void run();
  return {
    close() {
      stopped = true;
      controller.abort();
    },
  };
}
