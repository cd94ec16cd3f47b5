/** The device's coordinate space, carried on every sample so captures keep their scale (SIG-1). */
export interface PadResolution {
  maxX: number;
  maxY: number;
  /** 1 for pads that only report touch (pressure is then 0 or 1). */
  maxPressure: number;
  /** Device units per inch; null when the model does not report it. */
  unitsPerInch: number | null;
}

/** What every signature pad driver emits (Wacom STU, Topaz, generic HID digitizers). */
export type PadEvent =
  | { type: 'strokeStart'; t: number }
  | {
      type: 'sample';
      x: number;
      y: number;
      pressure: number;
      /** Milliseconds, monotonic within a capture. */
      t: number;
      resolution: PadResolution;
    }
  | { type: 'strokeEnd'; t: number }
  | { type: 'button'; button: number; pressed: boolean; t: number };

/** Turns per-report contact state into stroke start / sample / stroke end. */
export class StrokeTracker {
  #down = false;

  get down(): boolean {
    return this.#down;
  }

  update(
    contact: boolean,
    point: { x: number; y: number; pressure: number; t: number },
    resolution: PadResolution,
    out: PadEvent[],
  ): void {
    if (!contact) {
      this.lift(point.t, out);
      return;
    }
    if (!this.#down) {
      this.#down = true;
      out.push({ type: 'strokeStart', t: point.t });
    }
    out.push({ type: 'sample', ...point, resolution });
  }

  /** Ends a stroke in progress (pen lifted, out of range, or the stream ended). */
  lift(t: number, out: PadEvent[]): void {
    if (!this.#down) return;
    this.#down = false;
    out.push({ type: 'strokeEnd', t });
  }
}
