import sodiumModule from 'libsodium-wrappers-sumo';

/** The initialised libsodium instance. Call `loadSodium()` once before any crypto. */
export type Sodium = typeof sodiumModule;

let ready = false;

export async function loadSodium(): Promise<Sodium> {
  if (!ready) {
    await sodiumModule.ready;
    ready = true;
  }
  return sodiumModule;
}

/** The libsodium instance; throws if `loadSodium()` has not completed (a programming error). */
export function sodium(): Sodium {
  if (!ready) throw new Error('libsodium used before loadSodium() completed');
  return sodiumModule;
}
