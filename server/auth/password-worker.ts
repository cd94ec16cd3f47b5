/**
 * The password hashing worker thread: Argon2id (libsodium crypto_pwhash_str) off the event loop.
 * Started by password-pool.ts; never imported by anything else. One request at a time.
 */
import { parentPort } from 'node:worker_threads';
import sodium from 'libsodium-wrappers-sumo';
import type { PasswordReply, PasswordRequest } from './password-pool.js';

const port = parentPort;
if (port === null) throw new Error('password-worker.ts runs only as a worker thread');
await sodium.ready;
const s = sodium;

port.on('message', (request: PasswordRequest) => {
  let reply: PasswordReply;
  try {
    if (request.op === 'hash') {
      reply = {
        id: request.id,
        hash: s.crypto_pwhash_str(
          request.password,
          s.crypto_pwhash_OPSLIMIT_INTERACTIVE,
          s.crypto_pwhash_MEMLIMIT_INTERACTIVE,
        ),
      };
    } else {
      let ok: boolean;
      try {
        ok = s.crypto_pwhash_str_verify(request.hash, request.password);
      } catch {
        ok = false; // a malformed stored hash opens nothing
      }
      reply = { id: request.id, ok };
    }
  } catch {
    reply = { id: request.id, error: 'password hashing failed' };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
