import type { VirtualDevice } from '../manager/index.js';
import { createMemoryTransportPair, systemTimers } from '../transport/index.js';
import type { Timers } from '../transport/index.js';
import { createTopazPadSimulator, createWacomStuSimulator } from './pads.js';
import type { PlaybackOptions } from './pacing.js';
import { createReaderSimulator } from './reader.js';
import type { SimulatedSignature } from './signature.js';
import { createSimulatedSigner } from './signer.js';
import type { SimulatedSigner } from './signer.js';
import type { SpecimenDocument } from './specimens.js';

export interface SimulatedDevices {
  /** For the device manager's `virtualDevices`. */
  devices: VirtualDevice[];
  /** Signs on a simulated pad: the simulated person's next signing unless a signature is given. */
  sign(
    pad?: 'topaz' | 'wacom',
    signature?: SimulatedSignature,
    options?: PlaybackOptions,
  ): Promise<void>;
  /** Presents a specimen document to the simulated reader. */
  present(document: SpecimenDocument): Promise<void>;
}

/**
 * The appliance's simulated hardware (`verikiosk start --simulate`): a Topaz pad speaking its
 * serial packets and a reader sending STX/ETX frames, each over an in-memory serial transport,
 * and a Wacom STU-540 over in-memory HID. They go through the same drivers as real devices.
 * `signer`: who signs on the pads when no signature is given (default: simulated person 1).
 */
export function createSimulatedDevices(
  options: { timers?: Timers; signer?: SimulatedSigner } = {},
): SimulatedDevices {
  const timers = options.timers ?? systemTimers;
  // One simulated person signs at this appliance, a little differently each time, so that an
  // enrolment takes their signings and a later signing is theirs (device/simulators/signer.ts).
  const signer = options.signer ?? createSimulatedSigner(1);
  let signing = 0;
  const topaz = createTopazPadSimulator({ timers });
  const wacom = createWacomStuSimulator({ timers });
  const reader = createReaderSimulator({ timers, framing: 'stx-etx' });
  const devices: VirtualDevice[] = [
    {
      id: 'topaz-pad',
      name: 'Simulated Topaz SignatureGem 1X5',
      driver: 'topaz-serial',
      settings: { model: 'SignatureGem1X5' },
      open() {
        const [host, device] = createMemoryTransportPair('simulated-topaz');
        topaz.attach(device);
        return Promise.resolve(host);
      },
    },
    {
      id: 'wacom-stu',
      name: 'Simulated Wacom STU-540',
      driver: 'wacom-stu',
      open: () => Promise.resolve(wacom.connect()),
    },
    {
      id: 'document-reader',
      name: 'Simulated MRZ/barcode reader',
      driver: 'serial-reader',
      settings: { framing: 'stx-etx' },
      open() {
        const [host, device] = createMemoryTransportPair('simulated-reader');
        reader.attach(device);
        return Promise.resolve(host);
      },
    },
  ];
  return {
    devices,
    sign(pad = 'topaz', signature, playback) {
      const chosen = signature ?? signer.sign(signing++);
      return pad === 'topaz' ? topaz.play(chosen, playback) : wacom.play(chosen, playback);
    },
    present: (document) => reader.present(document),
  };
}
