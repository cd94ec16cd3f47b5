/**
 * Devices: each pad and reader with its state, kept live by the event stream (device.connected,
 * .disconnected, .error reload the list), a test read per device, and a pad's live ink (its pen
 * samples over SSE drawn as they come: never stored, the core audits who watched).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Device, DeviceTest } from '../../contract/index.js';
import { openSse } from '../shared/sse.js';
import { useConsole } from '../staff/console/context.js';
import { RowButton, Section, Table } from '../staff/console/parts.js';
import { Feedback, Loaded, useAction, useLoad, When } from '../staff/console/ui.js';
import { listDevices, penStreamUrl, testDevice } from './api.js';

const DEVICE_EVENTS = 'device.connected,device.disconnected,device.error';

export function DevicesScreen() {
  const { t, api } = useConsole();
  const [load, reload] = useLoad((signal) => listDevices(api, signal), [], {
    notFoundIsUnavailable: true,
  });
  const [live, setLive] = useState(false);
  const [lastEvent, setLastEvent] = useState<string | null>(null);
  const [inkOf, setInkOf] = useState<string | null>(null);
  const [tested, setTested] = useState<DeviceTest | null>(null);
  const action = useAction();
  useEffect(() => {
    const connection = openSse(`/api/v1/events?types=${DEVICE_EVENTS}`, {
      onConnection: setLive,
      onMessage: (message) => {
        if (message.event.startsWith('device.')) {
          setLastEvent(message.event);
          reload();
        }
      },
    });
    return () => connection.close();
  }, [reload]);
  const test = async (device: Device) => {
    const result = await action.run(() => testDevice(api, device.id));
    if (result) {
      setTested(result);
      reload();
    }
  };
  return (
    <>
      <h1>{t('admin.devices.title')}</h1>
      <p role="status">
        {live ? t('admin.devices.live') : t('admin.devices.notLive')}
        {lastEvent && ` · ${t('admin.devices.lastEvent', { event: lastEvent })}`}
      </p>
      <Feedback message={action.message} />
      {tested && (
        <div class={tested.ok ? 'ok' : 'notice'} role="status">
          {tested.ok
            ? t('admin.devices.testOk', { name: tested.device.name })
            : t('admin.devices.testFailed', { name: tested.device.name })}
          {tested.hint && (
            <span lang="en" class="muted">
              {' '}
              {tested.hint}
            </span>
          )}
        </div>
      )}
      <Loaded load={load}>
        {(list) => (
          <>
            {list.items.length === 0 ? (
              <p>{t('admin.devices.none')}</p>
            ) : (
              <Table
                headers={[
                  t('admin.devices.name'),
                  t('admin.devices.kind'),
                  t('admin.devices.state'),
                  t('admin.devices.lastSeen'),
                  t('admin.devices.counters'),
                ]}
              >
                {list.items.map((d) => (
                  <tr key={d.id}>
                    <td>
                      {d.name}
                      {d.transport.source === 'simulator' && (
                        <>
                          {' '}
                          <span class="badge warn">{t('admin.devices.simulated')}</span>
                        </>
                      )}
                    </td>
                    <td>{t(`admin.devices.kinds.${d.kind}`)}</td>
                    <td>
                      <span class={`badge ${d.state === 'connected' ? 'pass' : 'fail'}`}>
                        {t(`admin.devices.states.${d.state}`)}
                      </span>
                      {d.lastError && (
                        <div class="muted">
                          <code>{d.lastError.code}</code>
                        </div>
                      )}
                    </td>
                    <td>
                      <When at={d.lastSeen} />
                    </td>
                    <td>
                      {t('admin.devices.countersValue', {
                        reads: d.counters.reads,
                        samples: d.counters.samples,
                      })}
                    </td>
                    <td class="row">
                      <RowButton
                        label={t('admin.devices.testNamed', { name: d.name })}
                        onClick={() => void test(d)}
                      >
                        {t('admin.devices.test')}
                      </RowButton>
                      {d.kind === 'pad' && (
                        <RowButton
                          aria-pressed={inkOf === d.id}
                          label={t('admin.devices.inkNamed', { name: d.name })}
                          onClick={() => setInkOf(inkOf === d.id ? null : d.id)}
                        >
                          {t('admin.devices.ink')}
                        </RowButton>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            )}
            {list.buses.some((b) => !b.available) && (
              <ul>
                {list.buses
                  .filter((b) => !b.available)
                  .map((b) => (
                    <li key={b.bus}>{t('admin.devices.busUnavailable', { bus: b.bus })}</li>
                  ))}
              </ul>
            )}
          </>
        )}
      </Loaded>
      {inkOf && <LiveInk key={inkOf} deviceId={inkOf} />}
    </>
  );
}

interface Resolution {
  maxX: number;
  maxY: number;
  maxPressure: number;
}

function LiveInk({ deviceId }: { deviceId: string }) {
  const { t } = useConsole();
  const canvas = useRef<HTMLCanvasElement>(null);
  const [samples, setSamples] = useState(0);
  const [state, setState] = useState<string | null>(null);
  useEffect(() => {
    let resolution: Resolution = { maxX: 10_000, maxY: 5_000, maxPressure: 1024 };
    let last: { x: number; y: number } | null = null;
    let count = 0;
    const connection = openSse(penStreamUrl(deviceId), {
      onMessage: (message) => {
        const ctx = canvas.current?.getContext('2d');
        if (!ctx || !canvas.current) return;
        const data = JSON.parse(message.data) as Record<string, number | string>;
        if (message.event === 'resolution') resolution = data as unknown as Resolution;
        else if (message.event === 'stroke-start' || message.event === 'stroke-end') {
          last = null;
          setSamples(count);
        } else if (message.event === 'state') setState(String(data.state));
        else if (message.event === 'sample') {
          const { width, height } = canvas.current;
          const x = (Number(data.x) / resolution.maxX) * width;
          const y = (Number(data.y) / resolution.maxY) * height;
          const pressure = Number(data.pressure);
          if (last && pressure > 0) {
            ctx.strokeStyle = '#16181d';
            ctx.lineCap = 'round';
            ctx.lineWidth = 1 + (3 * pressure) / Math.max(1, resolution.maxPressure);
            ctx.beginPath();
            ctx.moveTo(last.x, last.y);
            ctx.lineTo(x, y);
            ctx.stroke();
          }
          last = pressure > 0 ? { x, y } : null;
          count += 1;
          if (count % 20 === 1) setSamples(count);
        }
      },
    });
    return () => connection.close();
  }, [deviceId]);
  const clear = () => {
    const c = canvas.current;
    c?.getContext('2d')?.clearRect(0, 0, c.width, c.height);
  };
  return (
    <Section id="ink" title={t('admin.devices.inkTitle')}>
      <p class="muted">{t('admin.devices.inkHint')}</p>
      <canvas
        ref={canvas}
        class="ink"
        width={800}
        height={400}
        role="img"
        aria-label={t('admin.devices.inkCanvas', { count: samples })}
      />
      <p role="status">
        {t('admin.devices.samples', { count: samples })}
        {state && ` · ${t('admin.devices.padState', { state })}`}
      </p>
      <button type="button" class="secondary" onClick={clear}>
        {t('admin.devices.clearInk')}
      </button>
    </Section>
  );
}
