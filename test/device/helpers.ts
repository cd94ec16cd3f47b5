import fc from 'fast-check';

import type { Timers } from '../../device/transport/index.js';

/** A deterministic clock for protocol code that takes Timers: time moves only by advance(). */
export class FakeTimers implements Timers {
  #now = 0;
  #next = 1;
  readonly #pending = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#pending.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#pending.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = until;
  }
}

/** Splits bytes at the given cut points (any numbers; taken modulo the length). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

export const cutPoints = fc.array(fc.nat(), { maxLength: 12 });

export const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
export const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** An AAMVA DL/ID payload whose header offsets and lengths are right (DOC-2's shape). */
export function buildAamva(subfiles: { type: string; body: string }[]): string {
  const headerLength = 4 + 5 + 6 + 2 + 2 + 2 + subfiles.length * 10;
  let offset = headerLength;
  let directory = '';
  for (const subfile of subfiles) {
    directory +=
      subfile.type + String(offset).padStart(4, '0') + String(subfile.body.length).padStart(4, '0');
    offset += subfile.body.length;
  }
  const entries = String(subfiles.length).padStart(2, '0');
  return `@\n\x1e\rANSI 6360001001${entries}${directory}${subfiles.map((s) => s.body).join('')}`;
}
