/**
 * One signature: on the pad when one is attached (its pen stream drawn live), otherwise on the
 * touch screen (pointer events, coalesced samples). The parent owns the Ink and reads it when
 * the person is done; "clear and sign again" empties it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Device } from '../../contract/index.js';
import { openSse } from '../shared/sse.js';
import type { Translator } from '../shared/i18n/index.js';
import type { KioskApi } from './api.js';
import type { Ink } from './ink.js';
import { drawInk, drawSegment, padDevice, screenDevice, type InkSample } from './ink.js';

/** A probe the pen-to-ink benchmark installs; called after each sample is drawn. */
declare global {
  var verikioskInkProbe: ((drawnSamples: number) => void) | undefined;
}

export interface SignaturePadProps {
  i18n: Translator;
  ink: Ink;
  /** The pad to listen to; null: sign on the screen. */
  pad: Device | null;
  token: () => string;
  /** Called when the box goes from empty to signed or back. */
  onChange: (empty: boolean) => void;
  /** The demo's button: asks the simulated pad to sign. */
  onSimulate?: (() => void) | undefined;
}

/** The "sign" button of a simulated pad: it asks the simulator to sign; absent for a real pad. */
export function simulateSigning(api: KioskApi, pad: Device | null): (() => void) | undefined {
  return pad?.transport.source === 'simulator'
    ? () => void api.simulate(pad.id, { action: 'sign' })
    : undefined;
}

export function SignaturePad({ i18n, ink, pad, token, onChange, onSimulate }: SignaturePadProps) {
  const { t } = i18n;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [, setVersion] = useState(0);
  const empty = useRef(true);
  const changed = () => {
    if (empty.current !== ink.empty) {
      empty.current = ink.empty;
      onChange(ink.empty);
    }
  };

  // Size the canvas to its box (device pixels) and redraw what is there.
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const fit = () => {
      const ratio = window.devicePixelRatio || 1;
      element.width = Math.round(element.clientWidth * ratio);
      element.height = Math.round(element.clientHeight * ratio);
      if (pad === null) ink.device = screenDevice(element.clientWidth, element.clientHeight);
      drawInk(element, ink);
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ink, pad]);

  // The pad's pen stream: every sample drawn as it arrives.
  useEffect(() => {
    if (pad === null) return;
    let drawn = 0;
    let previous: InkSample | null = null;
    const connection = openSse(`/api/v1/devices/${encodeURIComponent(pad.id)}/pen`, {
      headers: () => ({ authorization: `Bearer ${token()}` }),
      onMessage(message) {
        const element = canvas.current;
        const data = JSON.parse(message.data) as Record<string, number | undefined>;
        if (message.event === 'resolution') {
          ink.device = padDevice(data);
        } else if (message.event === 'stroke-start') {
          ink.strokeStart();
          previous = null;
        } else if (message.event === 'sample') {
          const sample = ink.add(data.x ?? 0, data.y ?? 0, data.pressure ?? 0, data.t ?? 0);
          if (element)
            drawSegment(element, ink.device, sample.strokeStart ? null : previous, sample);
          previous = sample;
          drawn += 1;
          globalThis.verikioskInkProbe?.(drawn);
          changed();
        }
      },
    });
    return () => connection.close();
  }, [pad, ink]);

  // The touch screen: pointer events, with the coalesced samples between frames.
  const down = useRef(false);
  const last = useRef<InkSample | null>(null);
  const addPointer = (event: PointerEvent) => {
    const element = canvas.current;
    if (!element) return;
    const box = element.getBoundingClientRect();
    const events = event.getCoalescedEvents?.() ?? [];
    for (const e of events.length > 0 ? events : [event]) {
      const pressure = (e.pressure || 0.5) * ink.device.pressureMax;
      const sample = ink.add(e.clientX - box.left, e.clientY - box.top, pressure, e.timeStamp);
      drawSegment(element, ink.device, sample.strokeStart ? null : last.current, sample);
      last.current = sample;
    }
    changed();
  };
  const screenHandlers =
    pad === null
      ? {
          onPointerDown: (event: PointerEvent) => {
            (event.currentTarget as HTMLCanvasElement).setPointerCapture(event.pointerId);
            down.current = true;
            ink.strokeStart();
            last.current = null;
            addPointer(event);
          },
          onPointerMove: (event: PointerEvent) => {
            if (down.current) addPointer(event);
          },
          onPointerUp: () => {
            down.current = false;
          },
          onPointerCancel: () => {
            down.current = false;
          },
        }
      : {};

  const clear = () => {
    ink.clear();
    if (canvas.current) drawInk(canvas.current, ink);
    changed();
    setVersion((v) => v + 1);
  };

  return (
    <div class="signature">
      <p class="signature-hint">
        {pad === null ? t('kiosk.signature.onScreen') : t('kiosk.signature.onPad')}
      </p>
      <canvas
        ref={canvas}
        class="signature-canvas"
        role="img"
        aria-label={pad === null ? t('kiosk.signature.area') : t('kiosk.signature.areaPad')}
        data-testid="signature-canvas"
        {...screenHandlers}
      />
      <div class="row">
        <button type="button" class="secondary" onClick={clear}>
          {t('kiosk.signature.clear')}
        </button>
        {onSimulate && (
          <button type="button" class="secondary simulate" onClick={onSimulate}>
            {t('kiosk.signature.simulate')}
          </button>
        )}
      </div>
    </div>
  );
}
