import type { Appliance } from '../app.js';
import { listKiosks, registerKiosk, revokeKiosk } from '../auth/index.js';
import { printLine, type CliIo } from './io.js';

/** The kiosk a demo start registers (its token is printed in the kiosk link). */
export const DEMO_KIOSK_NAME = 'Demo kiosk';
const DEMO_ACTOR = 'cli:demo';

/**
 * `verikiosk start --demo` (the README's first five minutes): the simulated pads and reader are
 * attached (every capture from them marks its session simulated, which is never approved
 * without staff), and a demo kiosk is registered afresh (the previous demo kiosk's token is
 * revoked) so its link can be printed with the token in the URL fragment, which the kiosk page
 * keeps and removes from the address bar.
 */
export function announceDemo(appliance: Appliance, url: string, io: CliIo): void {
  for (const kiosk of listKiosks(appliance.vault)) {
    if (kiosk.name === DEMO_KIOSK_NAME && kiosk.revokedAt === null) {
      revokeKiosk(appliance.vault, kiosk.id, DEMO_ACTOR);
    }
  }
  const { token } = registerKiosk(appliance.vault, DEMO_KIOSK_NAME, DEMO_ACTOR, 'Demonstration');
  const lines = [
    '',
    'DEMO MODE: simulated signature pads and document reader attached.',
    '  Every session that uses them is marked simulated and is never approved without staff.',
    `  Kiosk:          ${url}/kiosk#token=${token}`,
    `  Staff console:  ${url}/staff   (sign in as the admin user printed at the first run)`,
    `  Admin pages:    ${url}/admin`,
    '  On the kiosk, the dashed "Simulated …" buttons present a specimen passport and sign on the pad.',
    '',
  ];
  for (const line of lines) printLine(io.stdout, line);
}
