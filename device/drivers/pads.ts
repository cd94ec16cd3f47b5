import {
  parseHidReportDescriptor,
  findDigitizerFields,
  createHidDigitizerDecoder,
} from '../hid/index.js';
import {
  TOPAZ_MODELS,
  WACOM_CAPABILITY_REPORT_LENGTH,
  createTopazDecoder,
  createWacomStuDecoder,
  decodeWacomCapability,
  wacomStuCommands,
} from '../pads/index.js';
import type { PadEvent, TopazModel } from '../pads/index.js';
import { TransportError, withTimeout } from '../transport/index.js';
import type { HidTransport, Transport } from '../transport/index.js';
import type {
  DeviceDriver,
  DeviceSettings,
  DriverContext,
  HidDriverFactory,
  SerialDriverFactory,
} from './types.js';

const SETUP_TIMEOUT_MS = 3000;
const WACOM_CAPABILITY_REPORT_ID = 0x09;

/**
 * Forwards pad events and keeps count of the stroke in progress, so that a stroke cut short by
 * an unplug is reported as discarded (with its sample count) instead of ending normally.
 */
function padForwarder<D>(context: DriverContext<D>) {
  let samplesInStroke = 0;
  let down = false;
  return {
    forward(events: readonly PadEvent[]): void {
      for (const event of events) {
        if (event.type === 'strokeStart') {
          down = true;
          samplesInStroke = 0;
        } else if (event.type === 'sample') samplesInStroke += 1;
        else if (event.type === 'strokeEnd') down = false;
        context.emit({ type: 'pad', event });
      }
    },
    interrupt(reason: 'disconnected' | 'stopped'): void {
      if (!down) return;
      down = false;
      context.emit({
        type: 'discarded',
        reason: reason === 'disconnected' ? 'disconnected-mid-stroke' : 'incomplete',
        count: samplesInStroke,
        unit: 'samples',
      });
    },
  };
}

function listen(transport: Transport, onData: (bytes: Uint8Array) => void): () => void {
  return transport.on((event) => {
    if (event.type === 'data') onData(event.bytes);
  });
}

/** Wacom STU pads over HID (research §1): capability, clear screen, time-stamped pen data, inking. */
export const wacomStuDriver: HidDriverFactory = {
  bus: 'hid',
  kind: 'pad',
  create<D>(transport: HidTransport, context: DriverContext<D>): DeviceDriver {
    const pad = padForwarder(context);
    let unsubscribe: (() => void) | undefined;
    let warnedEncrypted = false;
    return {
      async start() {
        const report = await withTimeout(
          transport.getFeatureReport(WACOM_CAPABILITY_REPORT_ID, WACOM_CAPABILITY_REPORT_LENGTH),
          SETUP_TIMEOUT_MS,
          `${transport.description}: capability`,
          context.timers,
        );
        const capability = decodeWacomCapability(report);
        if (!capability || capability.tabletMaxX === 0 || capability.tabletMaxY === 0) {
          throw new TransportError(
            `${transport.description}: the capability report is not a Wacom STU one`,
            'io',
          );
        }
        const decoder = createWacomStuDecoder({ capability, now: () => context.timers.now() });
        unsubscribe = listen(transport, (bytes) => {
          pad.forward(decoder.push(bytes));
          if (decoder.stats.encryptedReports > 0 && !warnedEncrypted) {
            warnedEncrypted = true;
            context.emit({
              type: 'notice',
              message:
                'the pad sends encrypted pen data, which is not supported: switch pad encryption off',
            });
          }
        });
        await transport.sendFeatureReport(wacomStuCommands.clearScreen());
        try {
          // Time-stamped pen data exists on 430/530/540 only; older pads refuse the report.
          await transport.sendFeatureReport(wacomStuCommands.penDataOptionMode(3));
        } catch {
          context.emit({
            type: 'notice',
            message: 'the pad has no time-stamped pen data; host time is used',
          });
        }
        await transport.sendFeatureReport(wacomStuCommands.inkingMode(true));
      },
      stop(reason) {
        unsubscribe?.();
        pad.interrupt(reason);
      },
    };
  },
};

export function topazModel(settings: DeviceSettings): TopazModel {
  const name = settings.model ?? 'SignatureGem1X5';
  const model = TOPAZ_MODELS.find((m) => m.model === name);
  if (!model) throw new RangeError(`unknown Topaz model ${name}`);
  return model;
}

/** Topaz serial pads: 5-byte sync-bit packets (research §2.1); line settings from the model table. */
export const topazSerialDriver: SerialDriverFactory = {
  bus: 'serial',
  kind: 'pad',
  lineSettings(settings) {
    const model = topazModel(settings);
    return {
      baudRate: model.baudRate,
      dataBits: model.dataBits,
      parity: model.parity,
      stopBits: model.stopBits,
      flowControl: 'none',
    };
  },
  create<D>(transport: Transport, context: DriverContext<D>): DeviceDriver {
    const pad = padForwarder(context);
    const decoder = createTopazDecoder({
      model: topazModel(context.settings),
      now: () => context.timers.now(),
    });
    let unsubscribe: (() => void) | undefined;
    return {
      start() {
        unsubscribe = listen(transport, (bytes) => pad.forward(decoder.push(bytes)));
        return Promise.resolve();
      },
      stop(reason) {
        unsubscribe?.();
        decoder.flush();
        pad.interrupt(reason);
      },
    };
  },
};

/** Any HID pen digitizer, decoded from its report descriptor (research §4). */
export const hidDigitizerDriver: HidDriverFactory = {
  bus: 'hid',
  kind: 'pad',
  create<D>(transport: HidTransport, context: DriverContext<D>): DeviceDriver {
    const pad = padForwarder(context);
    let unsubscribe: (() => void) | undefined;
    return {
      async start() {
        const bytes = await transport.readReportDescriptor();
        if (!bytes) {
          throw new TransportError(`${transport.description}: no report descriptor to read`, 'io');
        }
        const parsed = parseHidReportDescriptor(bytes);
        if (!parsed.ok) {
          throw new TransportError(
            `${transport.description}: report descriptor rejected (${parsed.error.message})`,
            'io',
          );
        }
        const fields = findDigitizerFields(parsed.descriptor);
        if (!fields) {
          throw new TransportError(`${transport.description}: not a pen digitizer`, 'io');
        }
        const decoder = createHidDigitizerDecoder({ fields, now: () => context.timers.now() });
        unsubscribe = listen(transport, (report) => pad.forward(decoder.push(report)));
      },
      stop(reason) {
        unsubscribe?.();
        pad.interrupt(reason);
      },
    };
  },
};
